"""The open-data release (strategy.services.release_open_data) and what the public reads:
``Indicator.objects.published(day)`` and the figures with ``published=True``."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from strategy import services
from strategy.choices import MeasurementStatus
from strategy.models import Indicator, OpenDataRelease, PublishedTotal
from strategy.querysets import stored_breakdowns, stored_period_totals

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 3)


@pytest.fixture
def public_indicator(indicator):
    indicator.public_from = dt.date(2025, 1, 1)
    indicator.save()
    return indicator


def achieved(indicator, *, published, as_of=TODAY):
    return Indicator.objects.with_figures(as_of, published=published).get(pk=indicator.pk).achieved


def test_a_validator_releases_the_public_indicators_figures_as_they_are(
    make_measurement, public_indicator, indicator_b, org_a, partner_a, org_b, partner_b, validator
):
    make_measurement(public_indicator, org_a, partner_a, year=2023, value="40", status="validated", validator=validator)
    make_measurement(indicator_b, org_b, partner_b, year=2023, value="7", status="validated", validator=validator)

    release = services.release_open_data(by=validator, reason="Publication trimestrielle")

    assert release.number == 1 and release.released_by == validator
    assert list(release.indicators.all()) == [public_indicator]
    assert set(PublishedTotal.objects.values_list("indicator_id", flat=True)) == {public_indicator.pk}
    assert release.total_rows == PublishedTotal.objects.count() == 1
    assert achieved(public_indicator, published=True) == D("40")
    assert list(Indicator.objects.published(TODAY)) == [public_indicator]


def test_a_later_validation_reaches_the_public_only_with_the_next_release(
    make_measurement, public_indicator, org_a, partner_a, validator
):
    make_measurement(public_indicator, org_a, partner_a, year=2023, value="40", status="validated", validator=validator)
    services.release_open_data(by=validator, reason="Première publication")
    make_measurement(public_indicator, org_a, partner_a, year=2024, value="60", status="validated", validator=validator)

    assert achieved(public_indicator, published=False) == D("100")
    assert achieved(public_indicator, published=True) == D("40")  # the public still sees the release

    second = services.release_open_data(by=validator, reason="Deuxième publication")

    assert second.number == 2
    assert achieved(public_indicator, published=True) == D("100")
    # as_of still works on the published figures
    assert achieved(public_indicator, published=True, as_of=dt.date(2023, 12, 31)) == D("40")
    assert [row["total"] for row in stored_period_totals(public_indicator, TODAY, published=True)] == [
        D("40"),
        D("60"),
    ]


def test_a_reopened_value_stays_published_until_the_next_release(
    make_measurement, public_indicator, org_a, partner_a, validator
):
    row = make_measurement(
        public_indicator, org_a, partner_a, year=2023, value="40", status="validated", validator=validator
    )
    services.release_open_data(by=validator, reason="Première publication")
    services.reopen_measurement(row, by=validator, reason="Chiffre à revoir")
    row.refresh_from_db()
    assert row.status != MeasurementStatus.VALIDATED

    assert achieved(public_indicator, published=False) is None
    assert achieved(public_indicator, published=True) == D("40")


def test_nothing_is_public_before_the_publication_date_nor_before_a_release(public_indicator, validator):
    assert list(Indicator.objects.published(TODAY)) == []  # marked, never released
    services.release_open_data(by=validator, reason="Première publication")
    assert list(Indicator.objects.published(dt.date(2024, 12, 31))) == []  # before its date
    assert list(Indicator.objects.published(dt.date(2025, 1, 1))) == [public_indicator]


def test_an_indicator_withdrawn_from_the_public_disappears_at_once(public_indicator, validator):
    services.release_open_data(by=validator, reason="Première publication")
    public_indicator.public_from = None
    public_indicator.save()
    assert list(Indicator.objects.published(TODAY)) == []


def test_an_indicator_marked_after_the_release_waits_for_the_next_one(public_indicator, make_indicator, validator):
    services.release_open_data(by=validator, reason="Première publication")
    later = make_indicator(code="IND-LATER", public_from=dt.date(2025, 1, 1))
    assert list(Indicator.objects.published(TODAY)) == [public_indicator]
    services.release_open_data(by=validator, reason="Deuxième publication")
    assert set(Indicator.objects.published(TODAY)) == {public_indicator, later}


def test_published_breakdowns_read_the_release(
    make_indicator, org_a, partner_a, validator, region, other_region, make_measurement
):
    by_region = make_indicator(code="IND-REG", by_region=True, reporters=[org_a], public_from=dt.date(2025, 1, 1))
    from strategy.models import Measurement

    for reg, value in ((region, "5"), (other_region, "9")):
        m = Measurement(
            indicator=by_region,
            period_start=dt.date(2023, 1, 1),
            period_end=dt.date(2023, 12, 31),
            value=D(value),
            organisation=org_a,
            region=reg,
        )
        services.save_measurement(m, by=partner_a, reason="Saisie (test)")
        services.submit_measurement(m, by=partner_a)
        services.validate_measurement(m, by=validator)
    services.release_open_data(by=validator, reason="Première publication")
    rows = stored_breakdowns(by_region, ["region"], TODAY, published=True)["region"]
    assert {r["code"]: r["achieved"] for r in rows} == {"03": D("9"), "07": D("5")}


@pytest.mark.parametrize("actor", ["editor", "viewer", "partner_a"])
def test_only_validators_and_administrators_release(actor, request, public_indicator):
    with pytest.raises(PermissionDenied):
        services.release_open_data(by=request.getfixturevalue(actor), reason="Publication trimestrielle")
    assert not OpenDataRelease.objects.exists()


def test_a_release_needs_its_reason(validator):
    with pytest.raises(ValidationError) as error:
        services.release_open_data(by=validator, reason="  ")
    assert "reason" in error.value.message_dict
    assert not OpenDataRelease.objects.exists()


def test_the_database_refuses_a_release_without_reason(validator):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    with pytest.raises(IntegrityError), transaction.atomic():
        OpenDataRelease.objects.create(number=1, released_at=timezone.now(), released_by=validator, reason="")


def test_public_contracts_are_the_signed_ones(contract):
    from contracts.models import ContratProgramme

    contract.status = "draft"
    contract.signing_date = None
    contract.save()
    assert list(ContratProgramme.objects.public()) == []
    contract.status = "signed"
    contract.signing_date = dt.date(2022, 3, 1)
    contract.save()
    assert list(ContratProgramme.objects.public()) == [contract]


def test_a_release_made_since_the_caller_looked_refuses_the_next(public_indicator, validator):
    services.release_open_data(by=validator, reason="Première publication", after=0)
    with pytest.raises(ValidationError) as error:
        services.release_open_data(by=validator, reason="Première publication", after=0)
    assert "after" in error.value.message_dict and "n° 1" in error.value.message_dict["after"][0]
    assert OpenDataRelease.objects.count() == 1
