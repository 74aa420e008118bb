"""Four eyes: nobody validates a value they entered or changed last, on any surface
(services, pages, API, bulk validation, admin action); somebody else may."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from artisanat.choices import Role
from strategy import services
from strategy.choices import MeasurementStatus as S
from strategy.models import Measurement
from tests.conftest import _user

URL = "/api/v1/measurements/"
REASON = "quatre yeux"


@pytest.fixture
def second_validator(ministry):
    return _user("validator_2", ministry, Role.VALIDATOR)


def new(indicator, organisation, by, *, year=2024, value="120", submit=True):
    m = Measurement(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        value=D(value),
        organisation=organisation,
    )
    services.save_measurement(m, by=by, reason="Saisie (test)")
    if submit:
        services.submit_measurement(m, by=by)
    m.refresh_from_db()
    return m


def corrected_by(m, partner, validator, editor_of_value):
    """Submitted by ``partner``, returned by ``validator``, value changed by
    ``editor_of_value``, resubmitted."""
    services.return_measurement(m, by=validator, reason="Chiffre à vérifier")
    m.refresh_from_db()
    m.value = D("9999999")
    services.save_measurement(m, by=editor_of_value, reason="Correction")
    services.submit_measurement(m, by=editor_of_value)
    m.refresh_from_db()
    return m


# ---------------------------------------------------------------- services


def test_a_validator_cannot_validate_its_own_entry(indicator, org_a, validator, second_validator):
    own = new(indicator, org_a, validator, value="9999999")
    with pytest.raises(PermissionDenied, match=REASON) as refused:
        services.validate_measurement(own, by=validator)
    assert f"n° {own.pk}" in str(refused.value)
    assert Measurement.objects.get(pk=own.pk).status == S.SUBMITTED
    services.validate_measurement(own, by=second_validator)  # another pair of eyes may
    assert Measurement.objects.get(pk=own.pk).validated_by == second_validator


def test_a_validator_cannot_validate_a_value_it_changed_last(indicator, org_a, partner_a, validator, second_validator):
    m = corrected_by(new(indicator, org_a, partner_a), partner_a, validator, validator)
    assert m.reported_by == partner_a  # entered by the partner, changed by the validator
    with pytest.raises(PermissionDenied, match=REASON):
        services.validate_measurement(m, by=validator)
    services.validate_measurement(m, by=second_validator)
    assert Measurement.objects.get(pk=m.pk).status == S.VALIDATED


def test_returning_is_not_changing_and_a_later_change_by_the_partner_counts(indicator, org_a, partner_a, validator):
    # The validator returned it (a workflow move, not a change of the value) …
    m = corrected_by(new(indicator, org_a, partner_a), partner_a, validator, partner_a)
    services.validate_measurement(m, by=validator)
    assert Measurement.objects.get(pk=m.pk).status == S.VALIDATED
    # … and a value the validator changed, then the partner changed again, is the partner's.
    other = corrected_by(new(indicator, org_a, partner_a, year=2023), partner_a, validator, validator)
    services.return_measurement(other, by=validator, reason="Encore")
    other.refresh_from_db()
    other.value = D("130")
    services.save_measurement(other, by=partner_a, reason="Correction")
    services.submit_measurement(other, by=partner_a)
    services.validate_measurement(other, by=validator)
    assert Measurement.objects.get(pk=other.pk).status == S.VALIDATED


def test_last_changed_by_reads_content_changes_only(indicator, org_a, partner_a, validator, editor):
    m = corrected_by(new(indicator, org_a, partner_a), partner_a, validator, editor)
    untouched = new(indicator, org_a, partner_a, year=2023)
    assert services.last_changed_by([m.pk, untouched.pk]) == {m.pk: editor.pk, untouched.pk: partner_a.pk}


def test_the_first_submission_date_is_not_content(indicator, org_a, partner_a, validator):
    """submitted_at is the workflow's: filled without history (the 0007 migration, the
    demo's indicative dates), it never makes the validator an author of the value."""
    m = new(indicator, org_a, partner_a)
    Measurement.objects.filter(pk=m.pk).update(submitted_at=dt.datetime(2025, 2, 1, 10, tzinfo=dt.UTC))
    services.validate_measurement(m, by=validator)
    assert services.last_changed_by([m.pk]) == {m.pk: partner_a.pk}
    assert services.content_authors([m.pk]) == {m.pk: {partner_a.pk}}


def test_bulk_validation_refuses_all_and_names_the_row(indicator, org_a, partner_a, validator):
    theirs = new(indicator, org_a, partner_a, year=2022)
    own = new(indicator, org_a, validator, year=2023)
    with pytest.raises(PermissionDenied, match=f"n° {own.pk}"):
        services.validate_measurements([theirs, own], by=validator)
    assert set(Measurement.objects.values_list("status", flat=True)) == {S.SUBMITTED}
    services.validate_measurements([theirs], by=validator)
    assert Measurement.objects.get(pk=theirs.pk).status == S.VALIDATED


# ---------------------------------------------------------------- API


def test_api_validate_own_entry_is_403_with_the_reason(as_validator, indicator, org_a, validator):
    own = new(indicator, org_a, validator)
    response = as_validator.post(f"{URL}{own.pk}/validate/", {})
    assert response.status_code == 403
    data = response.json()
    assert data["code"] == "permission_denied" and REASON in data["message"]
    assert Measurement.objects.get(pk=own.pk).status == S.SUBMITTED


def test_api_validate_another_persons_entry_is_200(as_validator, indicator, org_a, partner_a):
    theirs = new(indicator, org_a, partner_a)
    assert as_validator.post(f"{URL}{theirs.pk}/validate/", {}).status_code == 200


def test_api_batch_validation_is_403_and_names_the_row(as_validator, indicator, org_a, partner_a, validator):
    theirs = new(indicator, org_a, partner_a, year=2022)
    changed = corrected_by(new(indicator, org_a, partner_a, year=2023), partner_a, validator, validator)
    response = as_validator.post(f"{URL}validate/", {"ids": [theirs.pk, changed.pk]}, format="json")
    assert response.status_code == 403
    assert f"n° {changed.pk}" in response.json()["message"]
    assert set(Measurement.objects.values_list("status", flat=True)) == {S.SUBMITTED}
    response = as_validator.post(f"{URL}validate/", {"ids": [theirs.pk]}, format="json")
    assert response.status_code == 200


# ---------------------------------------------------------------- pages


def test_page_validate_own_entry_is_refused_with_the_reason(client, indicator, org_a, validator, partner_a):
    own = new(indicator, org_a, validator, year=2023)
    theirs = new(indicator, org_a, partner_a)
    client.force_login(validator)
    response = client.post(
        reverse("strategy:measurement_validate", args=[own.pk]), {"version": own.version}, follow=True
    )
    assert REASON in response.content.decode()
    assert Measurement.objects.get(pk=own.pk).status == S.SUBMITTED
    client.post(reverse("strategy:measurement_validate", args=[theirs.pk]), {"version": theirs.version})
    assert Measurement.objects.get(pk=theirs.pk).status == S.VALIDATED


def test_validation_queue_refuses_the_batch_and_names_the_row(client, indicator, org_a, validator, partner_a):
    own = new(indicator, org_a, validator, year=2023)
    theirs = new(indicator, org_a, partner_a)
    client.force_login(validator)
    queue = reverse("strategy:validation_queue")
    response = client.post(queue, {"ids": [f"{own.pk}:{own.version}", f"{theirs.pk}:{theirs.version}"]}, follow=True)
    assert f"n° {own.pk}" in response.content.decode()
    assert set(Measurement.objects.values_list("status", flat=True)) == {S.SUBMITTED}
    client.post(queue, {"ids": [f"{theirs.pk}:{theirs.version}"]})
    assert Measurement.objects.get(pk=theirs.pk).status == S.VALIDATED


# ---------------------------------------------------------------- admin


def test_admin_action_refuses_own_entries_and_says_which(client, indicator, org_a, admin_user, partner_a):
    own = new(indicator, org_a, admin_user, year=2023)
    theirs = new(indicator, org_a, partner_a)
    client.force_login(admin_user)
    changelist = reverse("admin:strategy_measurement_changelist")
    data = {"action": "validate_selected", ACTION_CHECKBOX_NAME: [own.pk, theirs.pk], "index": "0"}
    response = client.post(changelist, data, follow=True)
    shown = " ".join(str(m) for m in response.context["messages"])
    assert "Aucune mesure n'a été validée" in shown and f"n° {own.pk}" in shown
    assert set(Measurement.objects.values_list("status", flat=True)) == {S.SUBMITTED}
    client.post(changelist, {**data, ACTION_CHECKBOX_NAME: [theirs.pk]})
    assert Measurement.objects.get(pk=theirs.pk).status == S.VALIDATED


def test_a_value_the_validator_typed_stays_theirs_after_someone_else_changes_another_field(
    draft_a, partner_a, validator
):
    """The review's case: the validator returns a partner's row and changes its value;
    the partner changes only the source and submits again; the validator may not
    validate the value they typed."""
    services.submit_measurement(draft_a, by=partner_a)
    services.return_measurement(draft_a, by=validator, reason="À revoir")
    row = Measurement.objects.get(pk=draft_a.pk)
    row.value = D("999")
    services.save_measurement(row, by=validator, expected_version=row.version, reason="Saisie (test)")
    row = Measurement.objects.get(pk=draft_a.pk)
    row.source = "Registre corrigé"
    services.save_measurement(row, by=partner_a, expected_version=row.version, reason="Saisie (test)")
    services.submit_measurement(Measurement.objects.get(pk=draft_a.pk), by=partner_a)
    with pytest.raises(PermissionDenied):
        services.validate_measurement(Measurement.objects.get(pk=draft_a.pk), by=validator)
    assert Measurement.objects.get(pk=draft_a.pk).status == S.SUBMITTED
