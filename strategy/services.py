"""Every change of state of a measurement or target, each atomic, each leaving its
history row (who, when, why). Pages, API, admin actions, imports and commands call
these and nothing else."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import UniqueConstraint
from django.utils import timezone
from django.utils.translation import gettext as _

from artisanat import permissions
from artisanat.exceptions import StaleVersion, TransitionNotAllowed
from strategy.choices import EDITABLE_STATUSES, MEASUREMENT_TRANSITIONS, MeasurementStatus
from strategy.models import Indicator, Measurement, Target


def validate(instance):
    """full_clean() without re-running CHECK constraints in Python (one query each):
    ``clean()`` already states every check rule with its message and the database
    enforces them at save. Unique constraints are still checked, for their message."""
    instance.full_clean(validate_constraints=False)
    errors = {}
    for constraint in instance._meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            try:
                constraint.validate(type(instance), instance)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _save(instance, *, by, reason="", bump=True):
    """Validate, bump the version, and save with the history's user and reason."""
    validate(instance)
    if bump and instance.pk:
        instance.version += 1
    instance._history_user = by
    instance._change_reason = reason or ""
    instance.save()
    return instance


def _check_version(instance, expected_version):
    if expected_version is not None and int(expected_version) != instance.version:
        raise StaleVersion(instance.version)


def _locked(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _check_may_record(measurement, by):
    if not permissions.can_record_measurements(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de saisir des mesures."))
    if permissions.is_reporter(by):
        org_id = permissions.organisation_id_of(by)
        if measurement.organisation_id != org_id:
            raise PermissionDenied(_("Vous ne pouvez saisir que les mesures de votre organisation."))
        if not Indicator.objects.filter(pk=measurement.indicator_id, reporting_organisations=org_id).exists():
            raise PermissionDenied(_("Votre organisation ne rapporte pas cet indicateur."))


@transaction.atomic
def save_measurement(measurement, *, by, reason="", expected_version=None):
    """Create a draft measurement, or change one that is still draft or returned."""
    if measurement.pk:
        current = _locked(Measurement, measurement.pk)
        _check_version(current, expected_version)
        if current.status not in EDITABLE_STATUSES:
            raise TransitionNotAllowed("modifier", current.get_status_display())
        if permissions.is_reporter(by) and measurement.organisation_id != current.organisation_id:
            raise PermissionDenied(_("L'organisation rapporteuse d'une mesure ne change pas."))
        measurement.status = current.status
        measurement.version = current.version
    else:
        measurement.status = MeasurementStatus.DRAFT
        if measurement.reported_by_id is None:
            measurement.reported_by = by
    _check_may_record(measurement, by)
    return _save(measurement, by=by, reason=reason or (_("Modification") if measurement.pk else _("Création")))


def _transition(measurement, action, *, by, reason="", expected_version=None, check=None):
    """Move the locked row; ``check(current)`` vets the caller against the row as locked,
    not against the caller's possibly outdated copy."""
    sources, target = MEASUREMENT_TRANSITIONS[action]
    current = _locked(Measurement, measurement.pk)
    if check is not None:
        check(current)
    _check_version(current, expected_version)
    if current.status not in sources:
        raise TransitionNotAllowed(action, current.status)
    current.status = target
    current.status_reason = reason
    if target == MeasurementStatus.VALIDATED:
        current.validated_by = by
        current.validated_at = timezone.now()
    else:
        current.validated_by = None
        current.validated_at = None
    _save(current, by=by, reason=reason or action)
    measurement.__dict__.update({k: v for k, v in current.__dict__.items() if not k.startswith("_")})
    return current


@transaction.atomic
def submit_measurement(measurement, *, by, reason="", expected_version=None):
    """draft or returned → submitted, by whoever may record it."""
    return _transition(
        measurement,
        "submit",
        by=by,
        reason=reason or _("Soumission"),
        expected_version=expected_version,
        check=lambda current: _check_may_record(current, by),
    )


def _require_reason(reason):
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Le motif est obligatoire.")})


@transaction.atomic
def validate_measurement(measurement, *, by, comment="", expected_version=None):
    """submitted → validated, by a validator; the value now counts in the figures."""
    if not permissions.can_validate(by):
        raise PermissionDenied(_("Seul un validateur peut valider une mesure."))
    return _transition(
        measurement, "validate", by=by, reason=comment or _("Validation"), expected_version=expected_version
    )


@transaction.atomic
def return_measurement(measurement, *, by, reason, expected_version=None):
    """submitted → returned, with the reason the reporter will read."""
    if not permissions.can_validate(by):
        raise PermissionDenied(_("Seul un validateur peut renvoyer une mesure."))
    _require_reason(reason)
    return _transition(measurement, "return", by=by, reason=reason, expected_version=expected_version)


@transaction.atomic
def reopen_measurement(measurement, *, by, reason, expected_version=None):
    """validated → returned: unlocks a validated period; validator only, reason required."""
    if not permissions.can_validate(by):
        raise PermissionDenied(_("Seul un validateur peut rouvrir une période validée."))
    _require_reason(reason)
    return _transition(measurement, "reopen", by=by, reason=reason, expected_version=expected_version)


@transaction.atomic
def validate_measurements(measurements, *, by, comment=""):
    """Validate several submitted measurements at once; all or nothing. A row carrying
    ``expected_version`` (the version the validator saw) is refused if it changed since."""
    return [
        validate_measurement(m, by=by, comment=comment, expected_version=getattr(m, "expected_version", None))
        for m in measurements
    ]


@transaction.atomic
def save_target(target, *, by, reason="", expected_version=None):
    """Create or change a target (editors and validators)."""
    if not permissions.can_edit_strategy(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les cibles."))
    if target.pk:
        current = _locked(Target, target.pk)
        _check_version(current, expected_version)
        target.version = current.version
    return _save(target, by=by, reason=reason)


def _delete(instance, *, by, reason):
    """Delete with the history's user and reason (the history keeps a "-" row)."""
    instance._history_user = by
    instance._change_reason = reason or ""
    instance.delete()


@transaction.atomic
def delete_measurement(measurement, *, by, reason="", expected_version=None):
    """Delete a measurement while it is still draft or returned, by whoever may record it."""
    current = _locked(Measurement, measurement.pk)
    _check_version(current, expected_version)
    _check_may_record(current, by)
    if current.status not in EDITABLE_STATUSES:
        raise TransitionNotAllowed("supprimer", current.status)
    _delete(current, by=by, reason=reason or _("Suppression"))


@transaction.atomic
def delete_target(target, *, by, reason="", expected_version=None):
    """Delete a target (editors and validators)."""
    if not permissions.can_edit_strategy(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les cibles."))
    current = _locked(Target, target.pk)
    _check_version(current, expected_version)
    _delete(current, by=by, reason=reason or _("Suppression"))
