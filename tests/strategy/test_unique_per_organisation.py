"""A value is unique per indicator, period, breakdown AND reporting organisation: on a
shared indicator, one organisation's row neither blocks nor reveals another's, and the
figures add the organisations' values up."""

import datetime as dt
from decimal import Decimal as D

import pytest

from strategy import services
from strategy.choices import Aggregation
from strategy.models import Indicator, Measurement, PeriodTotal
from tests.rules import assert_db_refuses

URL = "/api/v1/measurements/"
AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def shared(make_indicator, org_a, org_b):
    return make_indicator(code="IND-SHARED", name="Coopératives accompagnées", reporters=[org_a, org_b])


def body(indicator, **extra):
    return {"indicator": indicator.pk, "period_start": "2024-01-01", "period_end": "2024-12-31", "value": "42", **extra}


def test_a_partner_reports_a_period_another_organisation_already_reported(as_partner_a, as_partner_b, shared):
    assert as_partner_a.post(URL, body(shared)).status_code == 201
    response = as_partner_b.post(URL, body(shared, value="8"))
    assert response.status_code == 201, response.content  # was 400 "une valeur existe déjà"
    assert sorted(Measurement.objects.values_list("organisation__acronym", flat=True)) == ["FCA", "MDA"]


def test_the_same_organisation_still_cannot_report_a_period_twice(as_partner_a, shared):
    assert as_partner_a.post(URL, body(shared)).status_code == 201
    response = as_partner_a.post(URL, body(shared))
    assert response.status_code == 400
    assert "Cette organisation a déjà une valeur" in str(response.json()["details"])


def test_bulk_submission_checks_duplicates_per_organisation(as_partner_a, as_partner_b, shared):
    row = {"indicator": "IND-SHARED", "period_start": "2024-01-01", "period_end": "2024-12-31", "value": "5"}
    assert as_partner_a.post(f"{URL}bulk/", [row], format="json").status_code == 201
    response = as_partner_b.post(f"{URL}bulk/", [row], format="json")
    assert response.status_code == 201, response.content
    again = as_partner_b.post(f"{URL}bulk/", [row], format="json")
    assert again.status_code == 400
    assert "Cette organisation a déjà une valeur" in str(again.json())


def test_the_database_refuses_a_second_row_of_the_same_organisation(shared, org_a, org_b):
    def row(org):
        return Measurement(
            indicator=shared,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            value=D("1"),
            organisation=org,
        )

    row(org_a).save()
    row(org_b).save()  # another organisation: its own row
    assert_db_refuses(row(org_a).save, "measurement_unique_per_breakdown")


@pytest.mark.parametrize(
    ("aggregation", "a", "b", "achieved"),
    [
        # Each organisation reports its own share: the period's value is their sum, for a
        # flow (sum) as for a level (latest: the latest period's total, as for regions).
        (Aggregation.SUM, {"value": D("30")}, {"value": D("12")}, D("42")),
        (Aggregation.LATEST, {"value": D("30")}, {"value": D("12")}, D("42")),
        # A ratio pools the organisations: (30 + 10) / (100 + 300) = 10 %, not the mean of
        # 30 % and 3.3 %.
        (
            Aggregation.RATIO,
            {"numerator": D("30"), "denominator": D("100")},
            {"numerator": D("10"), "denominator": D("300")},
            D("10"),
        ),
    ],
)
def test_figures_add_up_two_organisations_values_for_the_same_period(
    make_indicator, org_a, org_b, partner_a, partner_b, validator, aggregation, a, b, achieved
):
    indicator = make_indicator(code=f"IND-{aggregation}", aggregation=aggregation, reporters=[org_a, org_b])
    for org, by, fields in ((org_a, partner_a, a), (org_b, partner_b, b)):
        m = Measurement(
            indicator=indicator,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            organisation=org,
            **fields,
        )
        services.save_measurement(m, by=by, reason="Saisie (test)")
        services.submit_measurement(m, by=by)
        services.validate_measurement(m, by=validator)
    stored = PeriodTotal.objects.get(indicator=indicator, region_key=0, filiere_key=0)
    assert stored.row_count == 2
    assert Indicator.objects.with_figures(AS_OF).get(pk=indicator.pk).achieved == achieved
    services.rebuild_figures([indicator.pk])  # the rebuild agrees with the triggers
    assert PeriodTotal.objects.get(indicator=indicator, region_key=0, filiere_key=0).row_count == 2
