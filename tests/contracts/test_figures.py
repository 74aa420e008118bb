"""Contract figures worked out by hand: execution rate (overall, per party, per year),
milestone completion and late milestones."""

import datetime as dt
from decimal import Decimal as D

import pytest

from contracts.choices import ContractKind, ContractStatus, MilestoneStatus, PartyRole
from contracts.models import (
    AmendedCommitment,
    Amendment,
    Commitment,
    ContratProgramme,
    Disbursement,
    Milestone,
    Party,
)


@pytest.fixture
def money(contract, ministry, org_a):
    """Ministry commits 1 000 000 (2021) and 500 000 (2022); FCA commits 500 000 (2022).
    Disbursed: 600 000 + 150 000 by the ministry, 150 000 by FCA, and 100 000 more in 2023."""
    funder = Party.objects.create(contract=contract, organisation=ministry, role=PartyRole.FUNDER)
    implementer = Party.objects.create(contract=contract, organisation=org_a, role=PartyRole.IMPLEMENTER)
    c2021 = Commitment.objects.create(party=funder, year=2021, amount=D("1000000"))
    c2022 = Commitment.objects.create(party=funder, year=2022, amount=D("500000"))
    fca2022 = Commitment.objects.create(party=implementer, year=2022, amount=D("500000"))
    Disbursement.objects.create(commitment=c2021, date=dt.date(2021, 10, 1), amount=D("600000"))
    Disbursement.objects.create(commitment=c2022, date=dt.date(2022, 5, 1), amount=D("150000"))
    Disbursement.objects.create(commitment=fca2022, date=dt.date(2022, 6, 1), amount=D("150000"))
    Disbursement.objects.create(commitment=c2021, date=dt.date(2023, 2, 1), amount=D("100000"))
    return funder, implementer


def test_execution_rate_is_disbursed_over_committed(contract, money):
    row = ContratProgramme.objects.with_execution(dt.date(2022, 12, 31)).get(pk=contract.pk)
    # (600 000 + 150 000 + 150 000) / 2 000 000 = 45 %
    assert (row.fig_committed, row.fig_disbursed) == (D("2000000"), D("900000"))
    assert row.execution_rate == D("45.00")
    # As of 2023 the 100 000 paid on 01/02/2023 counts too: 1 000 000 / 2 000 000 = 50 %.
    assert ContratProgramme.objects.with_execution(dt.date(2023, 3, 1)).get(pk=contract.pk).execution_rate == D("50.00")


def test_execution_rate_per_party(contract, money):
    funder, implementer = money
    rates = {
        p.pk: p.execution_rate for p in Party.objects.filter(contract=contract).with_execution(dt.date(2022, 12, 31))
    }
    assert rates[funder.pk] == D("50.00")  # 750 000 / 1 500 000
    assert rates[implementer.pk] == D("30.00")  # 150 000 / 500 000


def test_execution_rate_per_year(contract, money):
    rows = Commitment.objects.filter(party__contract=contract).execution_by_year(dt.date(2022, 12, 31))
    assert rows == [
        {"year": 2021, "committed": D("1000000"), "disbursed": D("600000"), "rate": D("60.00")},
        {"year": 2022, "committed": D("1000000"), "disbursed": D("300000"), "rate": D("30.00")},
    ]


def test_no_commitment_means_no_rate_not_a_division_by_zero(contract):
    row = ContratProgramme.objects.with_execution(dt.date(2022, 12, 31)).get(pk=contract.pk)
    assert row.execution_rate is None
    assert row.milestone_completion is None


@pytest.fixture
def milestones(contract, org_a):
    def make(title, status, due, met=None):
        return Milestone.objects.create(
            contract=contract, title=title, responsible=org_a, status=status, due_date=due, date_met=met
        )

    return [
        make("Étude de marché", MilestoneStatus.MET, dt.date(2021, 12, 31), dt.date(2021, 12, 15)),
        make("Formation des formateurs", MilestoneStatus.MET, dt.date(2022, 3, 31), dt.date(2022, 4, 2)),
        make("Label qualité", MilestoneStatus.PARTIALLY_MET, dt.date(2022, 6, 30)),
        make("Plateforme export", MilestoneStatus.NOT_MET, dt.date(2022, 9, 30)),
        make("Salon abandonné", MilestoneStatus.CANCELLED, dt.date(2022, 1, 31)),
        make("Bilan final", MilestoneStatus.SCHEDULED, dt.date(2022, 12, 31)),
    ]


def test_milestone_completion_counts_half_for_partially_met(contract, milestones):
    row = ContratProgramme.objects.with_execution(dt.date(2022, 10, 1)).get(pk=contract.pk)
    # (2 met + ½ partially met) / 5 not cancelled = 50 %
    assert row.milestone_completion == D("50.00")


def test_late_milestones_are_due_and_not_met(contract, milestones):
    late = Milestone.objects.late(dt.date(2022, 10, 1))
    # Partially met (30/06) and not met (30/09) are late; met, cancelled and the 31/12 one are not.
    assert sorted(m.title for m in late) == ["Label qualité", "Plateforme export"]
    assert ContratProgramme.objects.with_execution(dt.date(2022, 10, 1)).get(pk=contract.pk).fig_milestones_late == 2
    assert Milestone.objects.late(dt.date(2023, 1, 1)).count() == 3


def test_contract_list_query_count_does_not_grow(phases, ministry, django_assert_num_queries):
    for n in range(10):
        c = ContratProgramme.objects.create(
            reference=f"CP-{n}",
            title="x",
            kind=ContractKind.TRANSVERSAL,
            phase=phases[0],
            start_date=dt.date(2021, 1, 1),
            end_date=dt.date(2022, 1, 1),
        )
        p = Party.objects.create(contract=c, organisation=ministry, role=PartyRole.FUNDER)
        Commitment.objects.create(party=p, year=2021, amount=D("10"))
    with django_assert_num_queries(1):
        rates = [c.execution_rate for c in ContratProgramme.objects.with_execution(dt.date(2022, 1, 1))]
    assert len(rates) == 10


def test_reporter_updates_only_the_progress_of_its_own_milestones(contract, org_a, org_b, partner_a, partner_b, editor):
    from django.core.exceptions import PermissionDenied

    from contracts.services import update_milestone

    m = Milestone.objects.create(contract=contract, title="Formation", responsible=org_a, due_date=dt.date(2022, 6, 30))
    mine = Milestone.objects.get(pk=m.pk)
    mine.status, mine.date_met, mine.title = MilestoneStatus.MET, dt.date(2022, 6, 1), "Titre changé"
    update_milestone(mine, by=partner_a, reason="Atteint")
    m.refresh_from_db()
    assert (m.status, m.date_met, m.title) == (MilestoneStatus.MET, dt.date(2022, 6, 1), "Formation")
    assert m.history.first().history_user == partner_a

    with pytest.raises(PermissionDenied):  # another organisation's milestone
        update_milestone(Milestone.objects.get(pk=m.pk), by=partner_b, reason="Saisie (test)")
    with pytest.raises(PermissionDenied):  # a reporter creates none
        update_milestone(
            Milestone(contract=contract, title="Nouveau", responsible=org_a, due_date=dt.date(2022, 6, 30)),
            by=partner_a,
            reason="Saisie (test)",
        )
    assert Milestone.objects.count() == 1


def test_milestone_figures_as_of_a_date_before_it_was_met(contract, org_a):
    """Due 01/03/2024, met 01/09/2024: on 30/06/2024 it was late and not yet met."""
    Milestone.objects.create(
        contract=contract,
        title="Catalogue export",
        responsible=org_a,
        due_date=dt.date(2024, 3, 1),
        status=MilestoneStatus.MET,
        date_met=dt.date(2024, 9, 1),
    )
    june = ContratProgramme.objects.with_execution(dt.date(2024, 6, 30)).get(pk=contract.pk)
    assert (june.fig_milestones_late, june.milestone_completion) == (1, D("0.00"))
    assert Milestone.objects.with_late(dt.date(2024, 6, 30)).get().late is True
    assert Milestone.objects.with_late(dt.date(2024, 10, 1)).get().late is False
    assert Milestone.objects.with_late(dt.date(2024, 2, 29)).get().late is False  # not due yet
    october = ContratProgramme.objects.with_execution(dt.date(2024, 10, 1)).get(pk=contract.pk)
    assert (october.fig_milestones_late, october.milestone_completion) == (0, D("100.00"))


@pytest.mark.parametrize(
    ("status", "date_met", "late"),
    [
        (MilestoneStatus.SCHEDULED, None, True),
        (MilestoneStatus.PARTIALLY_MET, None, True),
        (MilestoneStatus.NOT_MET, None, True),
        (MilestoneStatus.CANCELLED, None, False),
        (MilestoneStatus.MET, dt.date(2024, 5, 1), False),
        (MilestoneStatus.MET, dt.date(2024, 7, 1), True),
    ],
)
def test_late_has_one_definition_for_filter_flag_and_contract_count(contract, org_a, status, date_met, late):
    """Due 01/03/2024, seen on 30/06/2024: ``late()``, ``with_late()`` and the contract's
    count say the same thing for every status."""
    Milestone.objects.create(
        contract=contract, title="M", responsible=org_a, due_date=dt.date(2024, 3, 1), status=status, date_met=date_met
    )
    day = dt.date(2024, 6, 30)
    assert Milestone.objects.late(day).exists() is late
    assert Milestone.objects.with_late(day).get().late is late
    assert ContratProgramme.objects.with_execution(day).get(pk=contract.pk).fig_milestones_late == int(late)


def test_a_reporter_cannot_cancel_a_milestone(contract, org_a, partner_a):
    from django.core.exceptions import PermissionDenied

    from contracts.services import update_milestone

    m = Milestone.objects.create(contract=contract, title="Formation", responsible=org_a, due_date=dt.date(2022, 6, 30))
    m.status = MilestoneStatus.CANCELLED
    with pytest.raises(PermissionDenied):
        update_milestone(m, by=partner_a, reason="Saisie (test)")
    assert Milestone.objects.get().status == MilestoneStatus.SCHEDULED


# ── as of a date: signing, amendments, met late, time elapsed (issue 13) ─────────────


def test_nothing_is_committed_before_the_contract_is_signed(contract, money):
    """Signed 26/07/2021: on 30/06/2019 it commits nothing and nothing was paid."""
    funder, implementer = money
    day = dt.date(2019, 6, 30)
    row = ContratProgramme.objects.with_execution(day).get(pk=contract.pk)
    assert (row.fig_committed, row.fig_disbursed, row.execution_rate) == (D("0"), None, None)
    parties = {p.pk: p for p in Party.objects.filter(contract=contract).with_execution(day)}
    assert [(parties[p.pk].fig_committed, parties[p.pk].execution_rate) for p in money] == [(0, None), (0, None)]
    assert Commitment.objects.filter(party__contract=contract).execution_by_year(day) == []
    # The day before and the day of the signing.
    assert ContratProgramme.objects.with_execution(dt.date(2021, 7, 25)).get(pk=contract.pk).fig_committed == 0
    signed = ContratProgramme.objects.with_execution(dt.date(2021, 7, 26)).get(pk=contract.pk)
    assert signed.fig_committed == D("2000000")  # 1 000 000 + 500 000 + 500 000
    # As of 31/12/2022, the real numbers: 900 000 ÷ 2 000 000 = 45 %.
    real = ContratProgramme.objects.with_execution(dt.date(2022, 12, 31)).get(pk=contract.pk)
    assert (real.fig_committed, real.fig_disbursed, real.execution_rate) == (D("2000000"), D("900000"), D("45.00"))


def test_a_contract_without_signing_date_commits_nothing(contract_fields, ministry):
    draft = ContratProgramme.objects.create(
        **{**contract_fields, "reference": "CP-PROJET", "status": ContractStatus.DRAFT, "signing_date": None}
    )
    party = Party.objects.create(contract=draft, organisation=ministry, role=PartyRole.FUNDER)
    Commitment.objects.create(party=party, year=2022, amount=D("500000"))
    row = ContratProgramme.objects.with_execution(dt.date(2030, 1, 1)).get(pk=draft.pk)
    assert (row.fig_committed, row.execution_rate) == (D("0"), None)
    assert Commitment.objects.filter(party=party).execution_by_year(dt.date(2030, 1, 1)) == []


@pytest.fixture
def amended(contract, ministry):
    """A 2023 commitment of 10 000 000, raised to 12 000 000 by avenant n° 1 (15/03/2023),
    then set to 11 000 000 by avenant n° 2 (01/09/2023); 3 000 000 paid on 01/06/2023."""
    party = Party.objects.create(contract=contract, organisation=ministry, role=PartyRole.FUNDER)
    commitment = Commitment.objects.create(party=party, year=2023, amount=D("10000000"))
    Disbursement.objects.create(commitment=commitment, date=dt.date(2023, 6, 1), amount=D("3000000"))

    def amend(number, day, amount):
        amendment = Amendment.objects.create(
            contract=contract, number=number, date=day, reason="Extension", changes_amounts=True, summary="Montants"
        )
        AmendedCommitment.objects.create(amendment=amendment, commitment=commitment, new_amount=D(amount))
        return amendment

    amend(1, dt.date(2023, 3, 15), "12000000")
    amend(2, dt.date(2023, 9, 1), "11000000")
    return party


@pytest.mark.parametrize(
    ("day", "committed", "disbursed", "execution"),
    [
        (dt.date(2023, 3, 14), D("10000000"), None, None),  # before avenant n° 1: nothing paid yet
        (dt.date(2023, 3, 15), D("12000000"), None, None),  # avenant n° 1 in force from its date
        (dt.date(2023, 6, 30), D("12000000"), D("3000000"), D("25.00")),  # 3 000 000 ÷ 12 000 000
        (dt.date(2023, 12, 31), D("11000000"), D("3000000"), D("27.27")),  # the latest wins: 3 ÷ 11 = 27.27 %
    ],
)
def test_an_amendment_replaces_the_amount_from_its_date(contract, amended, day, committed, disbursed, execution):
    row = ContratProgramme.objects.with_execution(day).get(pk=contract.pk)
    assert (row.fig_committed, row.fig_disbursed, row.execution_rate) == (committed, disbursed, execution)
    party = Party.objects.with_execution(day).get(pk=amended.pk)
    assert (party.fig_committed, party.execution_rate) == (committed, execution)
    # By year, nothing paid reads 0 (as before this change): 0 ÷ committed = 0 %.
    by_year = Commitment.objects.filter(party__contract=contract).execution_by_year(day)
    year_rate = execution or D("0.00")
    assert by_year == [{"year": 2023, "committed": committed, "disbursed": disbursed or 0, "rate": year_rate}]


def test_two_amendments_of_one_day_the_higher_number_wins(contract, amended):
    commitment = Commitment.objects.get(party=amended)
    third = Amendment.objects.create(
        contract=contract, number=3, date=dt.date(2023, 9, 1), reason="Correction", changes_amounts=True, summary="x"
    )
    AmendedCommitment.objects.create(amendment=third, commitment=commitment, new_amount=D("9000000"))
    row = ContratProgramme.objects.with_execution(dt.date(2023, 12, 31)).get(pk=contract.pk)
    assert row.fig_committed == D("9000000")


def test_amendments_in_force_at_a_date(contract, amended):
    flags = dict(
        Amendment.objects.filter(contract=contract)
        .with_in_force(dt.date(2023, 6, 30))
        .values_list("number", "in_force")
    )
    assert flags == {1: True, 2: False}


def test_a_milestone_met_ten_days_late(contract, org_a):
    """Due 31/03/2022, met 10/04/2022: late by 5 days on 05/04/2022, then met late by 10."""
    Milestone.objects.create(
        contract=contract,
        title="Formation des formateurs",
        responsible=org_a,
        due_date=dt.date(2022, 3, 31),
        status=MilestoneStatus.MET,
        date_met=dt.date(2022, 4, 10),
    )
    before = Milestone.objects.with_late(dt.date(2022, 4, 5)).get()
    assert (before.late, before.met_late, before.days_late) == (True, False, 5)
    after = Milestone.objects.with_late(dt.date(2022, 4, 30)).get()
    assert (after.late, after.met_late, after.days_late) == (False, True, 10)
    assert Milestone.objects.with_late(dt.date(2022, 3, 31)).get().days_late is None  # due that day, not late yet
    counts = ContratProgramme.objects.with_execution(dt.date(2022, 4, 30)).get(pk=contract.pk)
    assert (counts.fig_milestones_late, counts.fig_milestones_met_late, counts.milestone_completion) == (
        0,
        1,
        D("100.00"),
    )


def test_a_milestone_met_on_time_is_neither_late_nor_met_late(contract, milestones):
    rows = {m.title: m for m in Milestone.objects.with_late(dt.date(2022, 10, 1))}
    on_time = rows["Étude de marché"]  # due 31/12/2021, met 15/12/2021
    assert (on_time.late, on_time.met_late, on_time.days_late) == (False, False, None)
    two_days = rows["Formation des formateurs"]  # due 31/03/2022, met 02/04/2022
    assert (two_days.met_late, two_days.days_late) == (True, 2)
    export = rows["Plateforme export"]  # due 30/09/2022, not met: 1 day late on 01/10/2022
    assert (export.late, export.days_late) == (True, 1)
    label = rows["Label qualité"]  # due 30/06/2022: 93 days late on 01/10/2022 (0 + 31 + 31 + 30 + 1)
    assert label.days_late == 93


@pytest.mark.parametrize(
    ("day", "share"),
    [
        (dt.date(2019, 6, 30), D("0.00")),  # before the start
        (dt.date(2021, 7, 26), D("0.00")),  # the first day
        (dt.date(2022, 12, 31), D("58.90")),  # 523 of 888 days (26/07/2021 → 31/12/2023)
        (dt.date(2023, 12, 31), D("100.00")),
        (dt.date(2024, 6, 30), D("100.00")),  # after the end
    ],
)
def test_share_of_the_contract_duration_elapsed(contract, day, share):
    assert ContratProgramme.objects.with_execution(day).get(pk=contract.pk).time_elapsed == share


def test_a_partially_met_milestone_counts_half_from_its_due_date_only(contract, org_a):
    """ "Partially met" carries no date: it is the assessment at the due date. Before it
    the milestone was not judged (0), not half done since the beginning of time (the
    review found 25 % completion as of 2019 on a contract signed in 2022)."""
    for title, due in (("Label qualité", dt.date(2022, 6, 30)), ("Étude", dt.date(2022, 12, 31))):
        Milestone.objects.create(
            contract=contract, title=title, responsible=org_a, due_date=due, status=MilestoneStatus.PARTIALLY_MET
        )

    def completion(day):
        return ContratProgramme.objects.with_execution(day).get(pk=contract.pk).milestone_completion

    assert completion(dt.date(2019, 6, 30)) == D("0.00")
    assert completion(dt.date(2022, 6, 30)) == D("25.00")  # ½ of 1 ÷ 2
    assert completion(dt.date(2023, 1, 1)) == D("50.00")  # (½ + ½) ÷ 2
