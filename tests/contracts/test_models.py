"""Every rule of the contract models, enforced twice: ``full_clean()`` refuses the bad
value with a French message on the right field, and the database refuses the same row
when ``clean()`` is bypassed (named CHECK / UNIQUE constraint or named rule trigger),
storing nothing."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import NON_FIELD_ERRORS

from contracts.choices import ContractKind, ContractStatus, MilestoneStatus, PartyRole
from contracts.models import AmendedCommitment, Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from tests.rules import assert_db_refuses, assert_refused

pytestmark = pytest.mark.django_db


# ── fixtures ───────────────────────────────────────────────────────────────────────


@pytest.fixture
def funder(contract, ministry):
    return Party.objects.create(contract=contract, organisation=ministry, role=PartyRole.FUNDER)


@pytest.fixture
def commitment(funder):
    return Commitment.objects.create(party=funder, year=2022, amount=D("1000.00"))


def pay(commitment, amount, day=dt.date(2022, 6, 1)):
    return Disbursement.objects.create(commitment=commitment, date=day, amount=D(amount))


# ── Contrats programmes ────────────────────────────────────────────────────────────


class TestContractDates:
    def test_a_good_contract_is_accepted(self, contract_fields):
        ContratProgramme(**contract_fields).full_clean()

    @pytest.mark.parametrize("end", [dt.date(2021, 7, 26), dt.date(2021, 1, 1)])
    def test_clean_refuses_end_not_after_start(self, contract_fields, end):
        c = ContratProgramme(**{**contract_fields, "end_date": end})
        assert_refused(c, "end_date", "postérieure")

    def test_database_refuses_end_not_after_start(self, contract_fields):
        assert_db_refuses(
            lambda: ContratProgramme.objects.create(**{**contract_fields, "end_date": dt.date(2021, 7, 26)}),
            "contract_end_after_start",
        )
        assert ContratProgramme.objects.count() == 0

    def test_database_refuses_an_update_moving_end_before_start(self, contract):
        assert_db_refuses(
            lambda: ContratProgramme.objects.filter(pk=contract.pk).update(end_date=dt.date(2020, 1, 1)),
            "contract_end_after_start",
        )
        contract.refresh_from_db()
        assert contract.end_date == dt.date(2023, 12, 31)


class TestContractFiliereMatchesKind:
    def test_clean_needs_the_filiere_of_a_filiere_contract(self, contract_fields):
        c = ContratProgramme(**{**contract_fields, "kind": ContractKind.FILIERE})
        assert_refused(c, "filiere", "doit désigner sa filière")

    def test_clean_refuses_a_filiere_on_a_transversal_contract(self, contract_fields, filiere):
        c = ContratProgramme(**{**contract_fields, "filiere": filiere})
        assert_refused(c, "filiere", "transversal")

    def test_a_filiere_contract_with_its_filiere_is_accepted(self, contract_fields, filiere):
        c = ContratProgramme(**{**contract_fields, "kind": ContractKind.FILIERE, "filiere": filiere})
        c.full_clean()
        c.save()

    def test_database_refuses_a_filiere_contract_without_filiere(self, contract_fields):
        assert_db_refuses(
            lambda: ContratProgramme.objects.create(**{**contract_fields, "kind": ContractKind.FILIERE}),
            "contract_filiere_matches_kind",
        )
        assert ContratProgramme.objects.count() == 0

    def test_database_refuses_a_transversal_contract_with_a_filiere(self, contract_fields, filiere):
        assert_db_refuses(
            lambda: ContratProgramme.objects.create(**{**contract_fields, "filiere": filiere}),
            "contract_filiere_matches_kind",
        )
        assert ContratProgramme.objects.count() == 0

    def test_database_refuses_an_update_of_the_kind_alone(self, contract):
        assert_db_refuses(
            lambda: ContratProgramme.objects.filter(pk=contract.pk).update(kind=ContractKind.FILIERE),
            "contract_filiere_matches_kind",
        )
        contract.refresh_from_db()
        assert contract.kind == ContractKind.TRANSVERSAL


class TestDraftContractIsNotSigned:
    def test_clean_refuses_a_signing_date_on_a_draft(self, contract_fields):
        c = ContratProgramme(**{**contract_fields, "status": ContractStatus.DRAFT})
        assert_refused(c, "signing_date", "projet", "signature")

    def test_a_draft_without_signing_date_is_accepted(self, contract_fields):
        c = ContratProgramme(**{**contract_fields, "status": ContractStatus.DRAFT, "signing_date": None})
        c.full_clean()
        c.save()

    def test_database_refuses_a_signing_date_on_a_draft(self, contract_fields):
        assert_db_refuses(
            lambda: ContratProgramme.objects.create(**{**contract_fields, "status": ContractStatus.DRAFT}),
            "contract_draft_not_signed",
        )
        assert ContratProgramme.objects.count() == 0

    def test_database_refuses_an_update_back_to_draft(self, contract):
        assert_db_refuses(
            lambda: ContratProgramme.objects.filter(pk=contract.pk).update(status=ContractStatus.DRAFT),
            "contract_draft_not_signed",
        )
        contract.refresh_from_db()
        assert contract.status == ContractStatus.IN_EXECUTION

    def test_an_unknown_status_is_refused_twice(self, contract_fields):
        assert_refused(ContratProgramme(**{**contract_fields, "status": "lost"}), "status", "valide")
        assert_db_refuses(
            lambda: ContratProgramme.objects.create(**{**contract_fields, "status": "lost"}), "contract_status_valid"
        )
        assert ContratProgramme.objects.count() == 0


# ── Parties ────────────────────────────────────────────────────────────────────────


class TestPartyUniqueRole:
    def test_clean_refuses_the_same_role_twice(self, funder, contract, ministry):
        again = Party(contract=contract, organisation=ministry, role=PartyRole.FUNDER)
        assert_refused(again, NON_FIELD_ERRORS, "a déjà ce rôle")

    def test_database_refuses_the_same_role_twice(self, funder, contract, ministry):
        assert_db_refuses(
            lambda: Party.objects.create(contract=contract, organisation=ministry, role=PartyRole.FUNDER),
            (
                "party_unique_role_per_contract",
                "contracts_party.contract_id, contracts_party.organisation_id, contracts_party.role",
            ),
        )
        assert Party.objects.count() == 1

    def test_another_role_of_the_same_organisation_is_accepted(self, funder, contract, ministry):
        p = Party(contract=contract, organisation=ministry, role=PartyRole.SIGNATORY)
        p.full_clean()
        p.save()
        assert Party.objects.count() == 2

    def test_an_unknown_role_is_refused_twice(self, contract, ministry):
        assert_refused(Party(contract=contract, organisation=ministry, role="boss"), "role", "valide")
        assert_db_refuses(
            lambda: Party.objects.create(contract=contract, organisation=ministry, role="boss"), "party_role_valid"
        )
        assert Party.objects.count() == 0


# ── Commitments ────────────────────────────────────────────────────────────────────


class TestCommitmentAmount:
    def test_clean_refuses_a_negative_amount(self, funder):
        assert_refused(Commitment(party=funder, year=2022, amount=D("-0.01")), "amount", "négatif")

    def test_a_zero_amount_is_accepted(self, funder):
        c = Commitment(party=funder, year=2022, amount=D("0"))
        c.full_clean()
        c.save()

    def test_database_refuses_a_negative_amount(self, funder):
        assert_db_refuses(
            lambda: Commitment.objects.create(party=funder, year=2022, amount=D("-1")),
            "commitment_amount_not_negative",
        )
        assert Commitment.objects.count() == 0

    def test_database_refuses_an_update_to_a_negative_amount(self, commitment):
        assert_db_refuses(
            lambda: Commitment.objects.filter(pk=commitment.pk).update(amount=D("-1")),
            "commitment_amount_not_negative",
        )
        commitment.refresh_from_db()
        assert commitment.amount == D("1000.00")


class TestCommitmentYear:
    def test_clean_refuses_a_second_commitment_for_the_same_year(self, commitment, funder):
        again = Commitment(party=funder, year=2022, amount=D("5"))
        assert_refused(again, NON_FIELD_ERRORS, "déjà un engagement")

    def test_database_refuses_a_second_commitment_for_the_same_year(self, commitment, funder):
        assert_db_refuses(
            lambda: Commitment.objects.create(party=funder, year=2022, amount=D("5")),
            ("commitment_unique_per_party_year", "contracts_commitment.party_id, contracts_commitment.year"),
        )
        assert Commitment.objects.count() == 1

    def test_another_year_or_party_is_accepted(self, commitment, funder, contract, org_a):
        Commitment(party=funder, year=2023, amount=D("5")).full_clean()
        other = Party.objects.create(contract=contract, organisation=org_a, role=PartyRole.IMPLEMENTER)
        Commitment(party=other, year=2022, amount=D("5")).full_clean()

    @pytest.mark.parametrize("year", [2020, 2024])
    def test_clean_refuses_a_year_outside_the_contract(self, funder, year):
        assert_refused(Commitment(party=funder, year=year, amount=D("5")), "year", "2021", "2023")

    @pytest.mark.parametrize("year", [2021, 2023])
    def test_the_contract_bounds_are_inside(self, funder, year):
        Commitment(party=funder, year=year, amount=D("5")).full_clean()

    def test_database_refuses_an_implausible_year(self, funder):
        assert_db_refuses(
            lambda: Commitment.objects.create(party=funder, year=1999, amount=D("5")), "commitment_year_plausible"
        )
        assert Commitment.objects.count() == 0


class TestCommitmentCoversDisbursements:
    def test_clean_refuses_lowering_below_what_was_paid(self, commitment):
        pay(commitment, "600")
        commitment.amount = D("599.99")
        assert_refused(commitment, "amount", "décaissé", "600")

    def test_lowering_to_exactly_what_was_paid_is_accepted(self, commitment):
        pay(commitment, "600")
        commitment.amount = D("600")
        commitment.full_clean()
        commitment.save()

    def test_database_refuses_lowering_below_what_was_paid_by_save(self, commitment):
        pay(commitment, "600")
        commitment.amount = D("599.99")
        assert_db_refuses(commitment.save, "commitment_covers_disbursements")
        commitment.refresh_from_db()
        assert commitment.amount == D("1000.00")

    def test_database_refuses_lowering_below_what_was_paid_by_update(self, commitment):
        pay(commitment, "400")
        pay(commitment, "200")
        assert_db_refuses(
            lambda: Commitment.objects.filter(pk=commitment.pk).update(amount=D("500")),
            "commitment_covers_disbursements",
        )
        commitment.refresh_from_db()
        assert commitment.amount == D("1000.00")


# ── Disbursements ──────────────────────────────────────────────────────────────────


class TestDisbursementAmount:
    @pytest.mark.parametrize("amount", ["0", "-10"])
    def test_clean_refuses_an_amount_not_above_zero(self, commitment, amount):
        d = Disbursement(commitment=commitment, date=dt.date(2022, 6, 1), amount=D(amount))
        assert_refused(d, "amount", "strictement positif")

    @pytest.mark.parametrize("amount", ["0", "-10"])
    def test_database_refuses_an_amount_not_above_zero(self, commitment, amount):
        assert_db_refuses(lambda: pay(commitment, amount), "disbursement_amount_positive")
        assert Disbursement.objects.count() == 0


class TestDisbursementWithinCommitment:
    def test_clean_refuses_paying_more_than_committed(self, commitment):
        d = Disbursement(commitment=commitment, date=dt.date(2022, 6, 1), amount=D("1000.01"))
        assert_refused(d, "amount", "au-delà", "1000.00")

    def test_clean_refuses_a_second_payment_that_overflows(self, commitment):
        pay(commitment, "700")
        d = Disbursement(commitment=commitment, date=dt.date(2022, 7, 1), amount=D("300.01"))
        assert_refused(d, "amount", "au-delà")

    def test_clean_of_an_existing_payment_does_not_count_it_twice(self, commitment):
        d = pay(commitment, "1000")
        d.full_clean()
        d.amount = D("1000.01")
        assert_refused(d, "amount", "au-delà")

    def test_paying_exactly_the_commitment_is_accepted(self, commitment):
        pay(commitment, "400")
        d = Disbursement(commitment=commitment, date=dt.date(2022, 7, 1), amount=D("600"))
        d.full_clean()
        d.save()

    def test_database_refuses_one_payment_above_the_commitment(self, commitment):
        assert_db_refuses(lambda: pay(commitment, "1000.01"), "disbursement_within_commitment")
        assert Disbursement.objects.count() == 0

    def test_database_refuses_two_payments_whose_sum_is_above_the_commitment(self, commitment):
        pay(commitment, "700")
        assert_db_refuses(lambda: pay(commitment, "300.01"), "disbursement_within_commitment")
        assert Disbursement.objects.count() == 1

    def test_database_refuses_raising_a_payment_above_the_commitment(self, commitment):
        first = pay(commitment, "700")
        pay(commitment, "300")
        assert_db_refuses(
            lambda: Disbursement.objects.filter(pk=first.pk).update(amount=D("700.01")),
            "disbursement_within_commitment",
        )
        first.refresh_from_db()
        assert first.amount == D("700")

    def test_database_refuses_moving_a_payment_onto_a_full_commitment(self, commitment, funder):
        pay(commitment, "1000")
        other = Commitment.objects.create(party=funder, year=2023, amount=D("500"))
        moved = pay(other, "500")
        assert_db_refuses(
            lambda: Disbursement.objects.filter(pk=moved.pk).update(commitment=commitment),
            "disbursement_within_commitment",
        )
        moved.refresh_from_db()
        assert moved.commitment_id == other.pk

    def test_cents_add_up_exactly(self, funder):
        """0.10 + 0.20 fills a 0.30 commitment exactly, although SQLite keeps decimals as
        binary floats (0.1 + 0.2 = 0.30000000000000004 there)."""
        c = Commitment.objects.create(party=funder, year=2022, amount=D("0.30"))
        pay(c, "0.10")
        second = Disbursement(commitment=c, date=dt.date(2022, 7, 1), amount=D("0.20"))
        second.full_clean()
        second.save()
        assert c.disbursed_total() == D("0.30")
        # And one more cent is too much, for both guards.
        third = Disbursement(commitment=c, date=dt.date(2022, 8, 1), amount=D("0.01"))
        assert_refused(third, "amount", "au-delà")
        assert_db_refuses(third.save, "disbursement_within_commitment")
        assert Disbursement.objects.filter(commitment=c).count() == 2
        # Lowering the commitment by a cent is refused; keeping it at 0.30 is accepted.
        c.amount = D("0.30")
        c.full_clean()
        c.save()
        c.amount = D("0.29")
        assert_db_refuses(c.save, "commitment_covers_disbursements")


# ── Milestones ─────────────────────────────────────────────────────────────────────


@pytest.fixture
def milestone_fields(contract, org_a):
    return {
        "contract": contract,
        "title": "Lancement de la plateforme de formation",
        "responsible": org_a,
        "due_date": dt.date(2022, 6, 30),
    }


class TestMilestoneDateMetOnlyWhenMet:
    def test_clean_needs_the_date_of_a_met_milestone(self, milestone_fields):
        m = Milestone(**milestone_fields, status=MilestoneStatus.MET)
        assert_refused(m, "date_met", "atteint", "date")

    @pytest.mark.parametrize(
        "status", [MilestoneStatus.SCHEDULED, MilestoneStatus.PARTIALLY_MET, MilestoneStatus.NOT_MET]
    )
    def test_clean_refuses_a_date_on_a_milestone_not_met(self, milestone_fields, status):
        m = Milestone(**milestone_fields, status=status, date_met=dt.date(2022, 6, 1))
        assert_refused(m, "date_met", "ne se renseigne que")

    def test_met_with_its_date_is_accepted(self, milestone_fields):
        m = Milestone(**milestone_fields, status=MilestoneStatus.MET, date_met=dt.date(2022, 6, 1))
        m.full_clean()
        m.save()

    def test_database_refuses_met_without_date(self, milestone_fields):
        assert_db_refuses(
            lambda: Milestone.objects.create(**milestone_fields, status=MilestoneStatus.MET),
            "milestone_date_met_only_when_met",
        )
        assert Milestone.objects.count() == 0

    def test_database_refuses_a_date_without_met(self, milestone_fields):
        assert_db_refuses(
            lambda: Milestone.objects.create(**milestone_fields, date_met=dt.date(2022, 6, 1)),
            "milestone_date_met_only_when_met",
        )
        assert Milestone.objects.count() == 0

    def test_database_refuses_an_update_of_the_status_alone(self, milestone_fields):
        m = Milestone.objects.create(**milestone_fields, status=MilestoneStatus.MET, date_met=dt.date(2022, 6, 1))
        assert_db_refuses(
            lambda: Milestone.objects.filter(pk=m.pk).update(status=MilestoneStatus.NOT_MET),
            "milestone_date_met_only_when_met",
        )
        m.refresh_from_db()
        assert m.status == MilestoneStatus.MET


# ── Amendments ─────────────────────────────────────────────────────────────────────


@pytest.fixture
def amendment_fields(contract):
    return {
        "contract": contract,
        "number": 1,
        "date": dt.date(2022, 3, 1),
        "reason": "Report du calendrier",
        "summary": "Échéances décalées de six mois",
    }


class TestAmendmentChangesSomething:
    def test_clean_refuses_an_amendment_that_changes_nothing(self, amendment_fields):
        assert_refused(Amendment(**amendment_fields), NON_FIELD_ERRORS, "modifie au moins")

    @pytest.mark.parametrize("flag", ["changes_targets", "changes_amounts", "changes_dates"])
    def test_one_change_is_enough(self, amendment_fields, flag):
        a = Amendment(**amendment_fields, **{flag: True})
        a.full_clean()
        a.save()

    def test_database_refuses_an_amendment_that_changes_nothing(self, amendment_fields):
        assert_db_refuses(lambda: Amendment.objects.create(**amendment_fields), "amendment_changes_something")
        assert Amendment.objects.count() == 0

    def test_database_refuses_an_update_clearing_every_change(self, amendment_fields):
        a = Amendment.objects.create(**amendment_fields, changes_dates=True)
        assert_db_refuses(
            lambda: Amendment.objects.filter(pk=a.pk).update(changes_dates=False), "amendment_changes_something"
        )
        a.refresh_from_db()
        assert a.changes_dates is True

    def test_the_number_is_unique_per_contract(self, amendment_fields):
        Amendment.objects.create(**amendment_fields, changes_dates=True)
        again = Amendment(**{**amendment_fields, "reason": "Autre"}, changes_amounts=True)
        assert_refused(again, NON_FIELD_ERRORS, "déjà un avenant")
        assert_db_refuses(
            again.save,
            ("amendment_number_unique_per_contract", "contracts_amendment.contract_id, contracts_amendment.number"),
        )
        assert Amendment.objects.count() == 1

    def test_the_reason_is_required(self, amendment_fields):
        fields = {**amendment_fields, "reason": ""}
        assert_refused(Amendment(**fields, changes_dates=True), "reason")
        assert_db_refuses(lambda: Amendment.objects.create(**fields, changes_dates=True), "amendment_reason_required")
        assert Amendment.objects.count() == 0


# ── Engagements modifiés par avenant ────────────────────────────────────────────────


@pytest.fixture
def amendment(contract):
    return Amendment.objects.create(
        contract=contract, number=1, date=dt.date(2023, 3, 15), reason="Extension", changes_amounts=True, summary="x"
    )


@pytest.fixture
def other_commitment(contract_fields, ministry):
    other = ContratProgramme.objects.create(**{**contract_fields, "reference": "CP-AUTRE"})
    party = Party.objects.create(contract=other, organisation=ministry, role=PartyRole.FUNDER)
    return Commitment.objects.create(party=party, year=2022, amount=D("1000.00"))


class TestAmendedCommitment:
    def test_a_commitment_of_the_amendments_contract_is_accepted(self, amendment, commitment):
        AmendedCommitment(amendment=amendment, commitment=commitment, new_amount=D("1200.00")).full_clean()

    def test_clean_refuses_a_commitment_of_another_contract(self, amendment, other_commitment):
        row = AmendedCommitment(amendment=amendment, commitment=other_commitment, new_amount=D("1200.00"))
        assert_refused(row, "commitment", "contrat de l'avenant")

    def test_database_refuses_a_commitment_of_another_contract(self, amendment, other_commitment):
        assert_db_refuses(
            lambda: AmendedCommitment.objects.create(
                amendment=amendment, commitment=other_commitment, new_amount=D("1200.00")
            ),
            "amended_commitment_same_contract",
        )
        assert AmendedCommitment.objects.count() == 0

    def test_clean_refuses_a_negative_amount(self, amendment, commitment):
        row = AmendedCommitment(amendment=amendment, commitment=commitment, new_amount=D("-0.01"))
        assert_refused(row, "new_amount", "négatif")

    def test_database_refuses_a_negative_amount(self, amendment, commitment):
        assert_db_refuses(
            lambda: AmendedCommitment.objects.create(amendment=amendment, commitment=commitment, new_amount=D("-0.01")),
            "amended_commitment_amount_not_negative",
        )

    def test_one_amendment_changes_a_commitment_once(self, amendment, commitment):
        AmendedCommitment.objects.create(amendment=amendment, commitment=commitment, new_amount=D("1200.00"))
        again = AmendedCommitment(amendment=amendment, commitment=commitment, new_amount=D("1300.00"))
        assert_refused(again, NON_FIELD_ERRORS, "modifie déjà")
        assert_db_refuses(
            lambda: AmendedCommitment.objects.create(amendment=amendment, commitment=commitment, new_amount=D("1")),
            ("amended_commitment_unique_per_amendment", "contracts_amendedcommitment.amendment_id"),
        )
