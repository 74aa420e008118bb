"""The public world of the open-data tests: one indicator published (broken down by
region, validated values in two regions, a national target), one kept internal (with
validated values too), a signed contract with a party, money and a milestone, a draft
contract, and a first release."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.cache import cache

from contracts.choices import MilestoneStatus, PartyRole
from contracts.models import Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy import services
from strategy.models import Measurement, Target

PUBLIC_FROM = dt.date(2021, 1, 1)


def validated(indicator, organisation, by, validator, *, year, value, region=None):
    m = Measurement(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        value=D(value),
        organisation=organisation,
        region=region,
    )
    services.save_measurement(m, by=by, reason="Saisie (test)")
    services.submit_measurement(m, by=by)
    services.validate_measurement(m, by=validator)
    return m


@pytest.fixture(autouse=True)
def _fresh_public_cache():
    """The public answers are kept in the shared cache: each test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def public_indicator(make_indicator, org_a, partner_a, validator, region, other_region):
    indicator = make_indicator(
        code="IND-PUB",
        name="Artisans formés (public)",
        reporters=[org_a],
        by_region=True,
        public_from=PUBLIC_FROM,
    )
    Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("1000"))
    validated(indicator, org_a, partner_a, validator, year=2022, value="40", region=region)
    validated(indicator, org_a, partner_a, validator, year=2022, value="60", region=other_region)
    return indicator


@pytest.fixture
def internal_indicator(make_indicator, org_a, partner_a, validator, region):
    indicator = make_indicator(code="IND-SECRET", name="Indicateur interne", reporters=[org_a], by_region=True)
    validated(indicator, org_a, partner_a, validator, year=2022, value="7", region=region)
    return indicator


@pytest.fixture
def signed_contract(contract, ministry, org_a):
    party = Party.objects.create(contract=contract, organisation=ministry, role=PartyRole.SIGNATORY)
    commitment = Commitment.objects.create(party=party, year=2022, amount=D("2000000.00"), note="Note interne")
    Disbursement.objects.create(commitment=commitment, date=dt.date(2022, 3, 1), amount=D("500000.00"))
    Milestone.objects.create(
        contract=contract,
        title="Jalon public",
        responsible=org_a,
        due_date=dt.date(2022, 6, 30),
        status=MilestoneStatus.SCHEDULED,
        note="Note interne du jalon",
    )
    contract.source = "Source interne du contrat"
    contract.save()
    return contract


@pytest.fixture
def draft_contract(contract_fields):
    return ContratProgramme.objects.create(
        **{**contract_fields, "reference": "CP-PROJET", "status": "draft", "signing_date": None}
    )


@pytest.fixture
def world(public_indicator, internal_indicator, signed_contract, draft_contract, validator, phases):
    release = services.release_open_data(by=validator, reason="Première publication")
    return {"release": release, "public": public_indicator, "internal": internal_indicator}
