"""Bad input on the pages is a clear refusal, never a 500; no validation of a value
nobody saw; the reopen action on the measurement page."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from strategy.choices import MeasurementStatus as S
from strategy.models import Measurement


@pytest.fixture
def submitted(indicator, org_a):
    return Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        value=D("10"),
        organisation=org_a,
        status=S.SUBMITTED,
    )


@pytest.mark.parametrize(
    ("name", "params", "status"),
    [
        ("contracts:contract_list", {"party": "99999999999999999999"}, 200),
        ("contracts:contract_list", {"party": "1e30"}, 200),
        # ``phase`` is also the figures' scope there: refused with a 400 naming it.
        ("contracts:milestone_list", {"phase": "99999999999999999999"}, 400),
        ("strategy:indicator_list", {"contract": "99999999999999999999"}, 200),
        ("strategy:indicator_list", {"reporting_organisation": "²"}, 200),
        ("strategy:measurement_list", {"indicator": "99999999999999999999"}, 200),
        ("strategy:measurement_create", {"indicator": "²"}, 200),
    ],
)
def test_out_of_range_ids_never_reach_the_database(client, editor, name, params, status):
    client.force_login(editor)
    assert client.get(reverse(name), params).status_code == status


def test_bulk_validation_refuses_a_row_changed_since_it_was_seen(client, validator, submitted):
    seen_version = submitted.version
    Measurement.objects.filter(pk=submitted.pk).update(value=D("99999"), version=seen_version + 1)
    client.force_login(validator)
    response = client.post(reverse("strategy:validation_queue"), {"ids": [f"{submitted.pk}:{seen_version}"]})
    assert response.status_code in (200, 302)
    assert Measurement.objects.get(pk=submitted.pk).status == S.SUBMITTED


def test_bulk_validation_ignores_malformed_ids(client, validator, submitted):
    client.force_login(validator)
    response = client.post(reverse("strategy:validation_queue"), {"ids": ["²", "99999999999999999999:1", "x:y"]})
    assert response.status_code in (200, 302)
    assert Measurement.objects.get(pk=submitted.pk).status == S.SUBMITTED


def test_xlsx_export_survives_control_characters(client, editor, submitted):
    Measurement.objects.filter(pk=submitted.pk).update(source="rapport\x0bannuel")
    client.force_login(editor)
    response = client.get(reverse("strategy:measurement_list"), {"format": "xlsx"})
    assert response.status_code == 200


def test_validator_reopens_a_validated_period_with_a_reason(client, validator, editor, submitted):
    Measurement.objects.filter(pk=submitted.pk).update(status=S.VALIDATED)
    url = reverse("strategy:measurement_reopen", args=[submitted.pk])
    client.force_login(editor)  # forbidden: editors do not reopen
    assert client.post(url, {"version": submitted.version, "reason": "Valeur à revoir"}).status_code == 403
    assert Measurement.objects.get(pk=submitted.pk).status == S.VALIDATED
    client.force_login(validator)
    client.post(url, {"version": submitted.version, "reason": "Erreur signalée par la FCA"})
    reopened = Measurement.objects.get(pk=submitted.pk)
    assert (reopened.status, reopened.status_reason) == (S.RETURNED, "Erreur signalée par la FCA")
    assert reopened.history.first().history_user == validator
