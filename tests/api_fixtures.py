"""Fixtures of the API tests (a pytest plugin of tests/conftest.py): authenticated clients
per actor, and data owned by organisation A or B so that every ownership rule has
something to be tested on."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.cache import cache, caches
from rest_framework.test import APIClient

from artisanat.accounts.services import issue_token
from artisanat.choices import OrganisationKind
from artisanat.models import Organisation
from contracts.choices import ContractKind, ContractStatus, MilestoneStatus, PartyRole
from contracts.models import AmendedCommitment, Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy import services
from strategy.choices import ActionStatus, MeasurementStatus
from strategy.models import Action, Measurement, Target

__all__ = [
    "_clear_throttle_cache",
    "api",
    "as_admin",
    "as_editor",
    "as_validator",
    "as_viewer",
    "as_partner_a",
    "as_partner_b",
    "indicator_b",
    "make_measurement",
    "draft_a",
    "draft_b",
    "submitted_a",
    "validated_b",
    "target",
    "action",
    "contract_a",
    "contract_b",
    "party_a",
    "party_b",
    "commitment_a",
    "commitment_b",
    "disbursement_a",
    "disbursement_b",
    "milestone_a",
    "milestone_b",
    "amendment_a",
    "amendment_b",
    "amended_commitment_a",
    "world",
    "etag",
    "last_history",
]


@pytest.fixture(autouse=True)
def _clear_throttle_cache(request, django_db_blocker):
    """Each test starts with an empty figures cache and no throttle counts. The counts
    live in the database cache's table (the "throttle" cache), which a test's rollback
    empties; a flush (transactional tests, the live server) does not, hence the clear."""
    cache.clear()
    yield
    cache.clear()
    marker = request.node.get_closest_marker("django_db")
    if {"transactional_db", "live_server"} & set(request.fixturenames) or (marker and marker.kwargs.get("transaction")):
        with django_db_blocker.unblock():
            caches["throttle"].clear()


@pytest.fixture
def api(db):
    """api(user) → an APIClient authenticated with the user's token; api() → anonymous."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            _token, key = issue_token(user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def as_admin(api, admin_user):
    return api(admin_user)


@pytest.fixture
def as_editor(api, editor):
    return api(editor)


@pytest.fixture
def as_validator(api, validator):
    return api(validator)


@pytest.fixture
def as_viewer(api, viewer):
    return api(viewer)


@pytest.fixture
def as_partner_a(api, partner_a):
    return api(partner_a)


@pytest.fixture
def as_partner_b(api, partner_b):
    return api(partner_b)


@pytest.fixture
def indicator_b(make_indicator, org_b):
    """An indicator reported by organisation B only."""
    return make_indicator(code="IND-MDA", name="Exportations", reporters=[org_b])


@pytest.fixture
def make_measurement(db):
    def make(indicator, organisation, by, *, year=2024, value="10", status=MeasurementStatus.DRAFT, validator=None):
        m = Measurement(
            indicator=indicator,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            value=D(value),
            organisation=organisation,
        )
        services.save_measurement(m, by=by, reason="Saisie (test)")
        if status != MeasurementStatus.DRAFT:
            services.submit_measurement(m, by=by)
        if status in (MeasurementStatus.VALIDATED, MeasurementStatus.RETURNED):
            if status == MeasurementStatus.VALIDATED:
                services.validate_measurement(m, by=validator)
            else:
                services.return_measurement(m, by=validator, reason="Source manquante")
        m.refresh_from_db()
        return m

    return make


@pytest.fixture
def draft_a(make_measurement, indicator, org_a, partner_a):
    return make_measurement(indicator, org_a, partner_a, year=2023)


@pytest.fixture
def submitted_a(make_measurement, indicator, org_a, partner_a):
    return make_measurement(indicator, org_a, partner_a, year=2022, status=MeasurementStatus.SUBMITTED)


@pytest.fixture
def draft_b(make_measurement, indicator_b, org_b, partner_b):
    return make_measurement(indicator_b, org_b, partner_b, year=2023)


@pytest.fixture
def validated_b(make_measurement, indicator_b, org_b, partner_b, validator):
    return make_measurement(
        indicator_b, org_b, partner_b, year=2022, value="50", status=MeasurementStatus.VALIDATED, validator=validator
    )


@pytest.fixture
def target(indicator, editor):
    return services.save_target(
        Target(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("1000")),
        by=editor,
        reason="Saisie (test)",
    )


@pytest.fixture
def action(programme, phases, org_a):
    return Action.objects.create(
        programme=programme,
        code="A3.1.1",
        title="Former les artisans",
        lead_organisation=org_a,
        phase=phases[0],
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2022, 12, 31),
        status=ActionStatus.ONGOING,
    )


def monthly_periods(count):
    """(start, end) of ``count`` consecutive months from January 2021."""
    day = dt.date(2021, 1, 1)
    for _ in range(count):
        following = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        yield day, following - dt.timedelta(days=1)
        day = following


def _contract(reference, phase, organisation, ministry):
    contract = ContratProgramme.objects.create(
        reference=reference,
        title=f"Contrat {reference}",
        kind=ContractKind.TRANSVERSAL,
        phase=phase,
        start_date=dt.date(2021, 7, 26),
        end_date=dt.date(2025, 12, 31),
        signing_date=dt.date(2021, 7, 26),
        status=ContractStatus.IN_EXECUTION,
    )
    party = Party.objects.create(contract=contract, organisation=organisation, role=PartyRole.IMPLEMENTER)
    Party.objects.create(contract=contract, organisation=ministry, role=PartyRole.SIGNATORY)
    return contract, party


@pytest.fixture
def contract_a(phases, org_a, ministry):
    return _contract("CP-A", phases[0], org_a, ministry)[0]


@pytest.fixture
def contract_b(phases, org_b, ministry):
    return _contract("CP-B", phases[0], org_b, ministry)[0]


@pytest.fixture
def party_a(contract_a, org_a):
    return contract_a.parties.get(organisation=org_a)


@pytest.fixture
def party_b(contract_b, org_b):
    return contract_b.parties.get(organisation=org_b)


@pytest.fixture
def commitment_a(party_a):
    return Commitment.objects.create(party=party_a, year=2022, amount=D("1000000.00"))


@pytest.fixture
def commitment_b(party_b):
    return Commitment.objects.create(party=party_b, year=2022, amount=D("500000.00"))


@pytest.fixture
def disbursement_a(commitment_a):
    return Disbursement.objects.create(commitment=commitment_a, date=dt.date(2022, 3, 1), amount=D("250000.00"))


@pytest.fixture
def disbursement_b(commitment_b):
    return Disbursement.objects.create(commitment=commitment_b, date=dt.date(2022, 3, 1), amount=D("100000.00"))


@pytest.fixture
def milestone_a(contract_a, org_a):
    return Milestone.objects.create(
        contract=contract_a, title="Plateforme de formation", responsible=org_a, due_date=dt.date(2023, 6, 30)
    )


@pytest.fixture
def milestone_b(contract_b, org_b):
    return Milestone.objects.create(
        contract=contract_b,
        title="Salon export",
        responsible=org_b,
        due_date=dt.date(2023, 6, 30),
        status=MilestoneStatus.SCHEDULED,
    )


@pytest.fixture
def amendment_a(contract_a):
    return Amendment.objects.create(
        contract=contract_a, number=1, date=dt.date(2023, 1, 15), reason="Report", changes_dates=True, summary="Dates"
    )


@pytest.fixture
def amended_commitment_a(amendment_a, commitment_a):
    """Avenant n° 1 of CP-A sets FCA's 2022 commitment to 1 100 000 (from 15/01/2023)."""
    return AmendedCommitment.objects.create(amendment=amendment_a, commitment=commitment_a, new_amount=D("1100000"))


@pytest.fixture
def amendment_b(contract_b):
    return Amendment.objects.create(
        contract=contract_b, number=1, date=dt.date(2023, 1, 15), reason="Report", changes_dates=True, summary="Dates"
    )


@pytest.fixture
def world(
    region,
    filiere,
    phases,
    indicator,
    indicator_b,
    target,
    action,
    draft_a,
    draft_b,
    validated_b,
    submitted_a,
    disbursement_a,
    disbursement_b,
    milestone_a,
    milestone_b,
    amendment_a,
    amendment_b,
):
    """One of everything, for organisation A and organisation B."""
    Organisation.objects.get_or_create(acronym="ANON", defaults={"name": "Autre", "kind": OrganisationKind.OTHER})
    return {
        "draft_a": draft_a,
        "draft_b": draft_b,
        "validated_b": validated_b,
        "submitted_a": submitted_a,
    }


def etag(response):
    return response["ETag"]


def last_history(obj):
    return obj.history.order_by("-history_id").first()
