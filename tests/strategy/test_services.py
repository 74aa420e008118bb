"""Workflow and audit: every legal and illegal move, who may make it, and the history row."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from artisanat.exceptions import StaleVersion, TransitionNotAllowed
from strategy import services
from strategy.choices import MeasurementStatus as S
from strategy.models import Measurement, Target


@pytest.fixture
def draft(indicator, org_a, partner_a):
    m = Measurement(
        indicator=indicator,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        value=D("120"),
        organisation=org_a,
    )
    return services.save_measurement(m, by=partner_a, reason="Saisie (test)")


def last_history(measurement):
    return measurement.history.order_by("-history_id").first()


def test_reporter_creates_a_draft_with_history(draft, partner_a):
    assert draft.status == S.DRAFT
    assert draft.reported_by == partner_a
    h = last_history(draft)
    assert (h.history_user, h.history_type) == (partner_a, "+")


def test_full_cycle_submit_return_resubmit_validate(draft, partner_a, validator):
    services.submit_measurement(draft, by=partner_a)
    services.return_measurement(draft, by=validator, reason="Source manquante")
    draft.refresh_from_db()
    assert (draft.status, draft.status_reason) == (S.RETURNED, "Source manquante")
    h = last_history(draft)
    assert (h.history_user, h.history_change_reason, h.status) == (validator, "Source manquante", S.RETURNED)

    draft.value = D("125")
    services.save_measurement(draft, by=partner_a, reason="Source ajoutée")
    services.submit_measurement(draft, by=partner_a)
    services.validate_measurement(draft, by=validator)
    draft.refresh_from_db()
    assert (draft.status, draft.value, draft.validated_by) == (S.VALIDATED, D("125"), validator)
    assert draft.validated_at is not None
    # create, submit, return, edit, resubmit, validate: six rows, each with its author.
    assert [h.history_user.username for h in draft.history.order_by("history_id")] == [
        "partner_a",
        "partner_a",
        "validator",
        "partner_a",
        "partner_a",
        "validator",
    ]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.DRAFT, "validate"),
        (S.DRAFT, "return"),
        (S.DRAFT, "reopen"),
        (S.SUBMITTED, "submit"),
        (S.SUBMITTED, "reopen"),
        (S.VALIDATED, "submit"),
        (S.VALIDATED, "validate"),
        (S.VALIDATED, "return"),
        (S.RETURNED, "validate"),
        (S.RETURNED, "return"),
        (S.RETURNED, "reopen"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(draft, validator, status, action):
    Measurement.objects.filter(pk=draft.pk).update(status=status, status_reason="motif")
    draft.refresh_from_db()
    call = {
        "submit": lambda: services.submit_measurement(draft, by=validator),
        "validate": lambda: services.validate_measurement(draft, by=validator),
        "return": lambda: services.return_measurement(draft, by=validator, reason="Valeur à revoir"),
        "reopen": lambda: services.reopen_measurement(draft, by=validator, reason="Valeur à revoir"),
    }[action]
    rows_before = draft.history.count()
    with pytest.raises(TransitionNotAllowed) as exc:
        call()
    assert exc.value.current_status == status
    draft.refresh_from_db()
    assert draft.status == status
    assert draft.history.count() == rows_before


def test_reopen_needs_a_validator_and_a_reason(draft, partner_a, validator, editor):
    services.submit_measurement(draft, by=partner_a)
    services.validate_measurement(draft, by=validator)
    with pytest.raises(PermissionDenied):
        services.reopen_measurement(draft, by=editor, reason="erreur")
    with pytest.raises(ValidationError):
        services.reopen_measurement(draft, by=validator, reason="  ")
    services.reopen_measurement(draft, by=validator, reason="Erreur de saisie signalée par la FCA")
    draft.refresh_from_db()
    assert draft.status == S.RETURNED
    assert last_history(draft).history_change_reason == "Erreur de saisie signalée par la FCA"


def test_validated_value_is_locked(draft, partner_a, validator):
    services.submit_measurement(draft, by=partner_a)
    services.validate_measurement(draft, by=validator)
    draft.value = D("1")
    with pytest.raises(TransitionNotAllowed):
        services.save_measurement(draft, by=validator, reason="Saisie (test)")
    assert Measurement.objects.get(pk=draft.pk).value == D("120")


def test_only_validators_validate_or_return(draft, partner_a, editor, viewer):
    services.submit_measurement(draft, by=partner_a)
    for user in (partner_a, editor, viewer):
        with pytest.raises(PermissionDenied):
            services.validate_measurement(draft, by=user)
        with pytest.raises(PermissionDenied):
            services.return_measurement(draft, by=user, reason="Valeur à revoir")
    assert Measurement.objects.get(pk=draft.pk).status == S.SUBMITTED


def test_partner_cannot_record_for_another_organisation(indicator, org_a, org_b, partner_b):
    m = Measurement(
        indicator=indicator,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        value=D("1"),
        organisation=org_a,
    )
    with pytest.raises(PermissionDenied):
        services.save_measurement(m, by=partner_b, reason="Saisie (test)")
    # Nor for its own organisation on an indicator it does not report.
    m.organisation = org_b
    with pytest.raises(PermissionDenied):
        services.save_measurement(m, by=partner_b, reason="Saisie (test)")
    assert Measurement.objects.count() == 0


def test_partner_cannot_change_the_reporting_organisation(draft, partner_a, org_b):
    draft.organisation = org_b
    with pytest.raises(PermissionDenied):
        services.save_measurement(draft, by=partner_a, reason="Saisie (test)")
    assert Measurement.objects.get(pk=draft.pk).organisation.acronym == "FCA"


def test_partner_cannot_submit_another_organisations_draft(draft, partner_b):
    with pytest.raises(PermissionDenied):
        services.submit_measurement(draft, by=partner_b)
    assert Measurement.objects.get(pk=draft.pk).status == S.DRAFT


def test_viewer_cannot_record(indicator, org_a, viewer):
    m = Measurement(
        indicator=indicator,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        value=D("1"),
        organisation=org_a,
    )
    with pytest.raises(PermissionDenied):
        services.save_measurement(m, by=viewer, reason="Saisie (test)")


def test_stale_version_is_refused(draft, partner_a, editor):
    version = draft.version
    draft.value = D("130")
    services.save_measurement(draft, by=editor, expected_version=version, reason="Saisie (test)")
    stale = Measurement.objects.get(pk=draft.pk)
    stale.value = D("999")
    with pytest.raises(StaleVersion):
        services.save_measurement(stale, by=partner_a, expected_version=version, reason="Saisie (test)")
    assert Measurement.objects.get(pk=draft.pk).value == D("130")


def test_bulk_validate_is_all_or_nothing(indicator, org_a, partner_a, validator):
    rows = []
    for y in (2022, 2023):
        m = Measurement(
            indicator=indicator,
            period_start=dt.date(y, 1, 1),
            period_end=dt.date(y, 12, 31),
            value=D(y),
            organisation=org_a,
        )
        services.save_measurement(m, by=partner_a, reason="Saisie (test)")
        rows.append(m)
    services.submit_measurement(rows[0], by=partner_a)  # the second stays draft
    with pytest.raises(TransitionNotAllowed):
        services.validate_measurements(rows, by=validator)
    assert set(Measurement.objects.values_list("status", flat=True)) == {S.SUBMITTED, S.DRAFT}


def test_save_target_records_who_and_why(indicator, editor, partner_a):
    t = Target(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("1000"))
    with pytest.raises(PermissionDenied):
        services.save_target(t, by=partner_a, reason="Saisie (test)")
    services.save_target(t, by=editor, reason="Cible du contrat programme")
    h = Target.objects.get().history.get()
    assert (h.history_user, h.history_change_reason) == (editor, "Cible du contrat programme")


def test_submit_checks_the_row_as_locked_not_the_callers_copy(draft, partner_b, org_b):
    """A caller cannot pass the check with an edited in-memory copy of someone else's row."""
    draft.organisation = org_b  # partner B pretends the row is its own
    with pytest.raises(PermissionDenied):
        services.submit_measurement(draft, by=partner_b)
    assert Measurement.objects.get(pk=draft.pk).status == S.DRAFT
