"""The helpers every app's service functions use to change a row: validate it the way
the model states its rules, refuse a stale version, lock the current row, save or
delete it with the history's author and reason.

The apps' ``services.py`` hold their own state changes (``save_measurement``,
``record_disbursement``…), each atomic, and call these for the common steps."""

from django.core.exceptions import ValidationError
from django.db.models import UniqueConstraint
from django.utils.translation import gettext as _

from artisanat.exceptions import StaleVersion
from artisanat.history_author import history_author

#: The fewest letters or digits a reason may have: a reason says why ("Avenant n° 2 du
#: 12/03/2025", "coquille sur la cible 2026"), which "ok" or "-" do not.
MIN_REASON_LENGTH = 5


def require_reason(reason, field="change_reason"):
    """The reason, stripped; a ValidationError on ``field`` when it is missing or too
    short to say why. Every change and every deletion of a tracked row needs one, on
    every surface (pages, API, admin)."""
    text = " ".join((reason or "").split())
    if sum(character.isalnum() for character in text) < MIN_REASON_LENGTH:
        raise ValidationError({field: reason_message()})
    return text


def reason_message():
    """What a change without a reason is answered, on every surface."""
    return _("Indiquez le motif de ce changement (au moins %(n)d caractères) : il est gardé dans l'historique.") % {
        "n": MIN_REASON_LENGTH
    }


def validate(instance):
    """full_clean() without re-running CHECK constraints in Python (one query each):
    ``clean()`` already states every check rule with its message and the database
    enforces them at save. Unique constraints are still checked, for their message."""
    instance.full_clean(exclude=_loaded_relations(instance), validate_constraints=False)
    errors = {}
    for constraint in instance._meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            try:
                constraint.validate(type(instance), instance)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _loaded_relations(instance):
    """Foreign keys whose row is already loaded on ``instance`` (read with it, or given
    as an object): full_clean() would query each one again just to see that it exists."""
    loaded = []
    for field in instance._meta.concrete_fields:
        if field.is_relation and field.is_cached(instance):
            related = field.get_cached_value(instance)
            if related is not None and related.pk is not None and related.pk == getattr(instance, field.attname):
                loaded.append(field.name)
    return loaded


def save_with_history(instance, *, by, reason="", bump=True, reason_required=True):
    """Validate, bump the version (a change, not a creation), and save with the
    history's user and reason. Changing an existing row needs a reason
    (``require_reason``: a ValidationError on ``change_reason`` without one), whatever
    the surface; a creation keeps the reason it is given. ``reason_required=False``
    is for the measurement workflow's moves only (submit, validate, return, reopen):
    they change the status, not what was reported, and keep their own rules."""
    changing = instance.pk is not None and not instance._state.adding
    if changing and reason_required:
        reason = require_reason(reason)
    validate(instance)
    if bump and changing:
        instance.version += 1
    instance._history_user = by
    instance._change_reason = reason or ""
    instance.save()
    return instance


def check_version(instance, expected_version):
    """Refuse a change made from an outdated copy (``StaleVersion`` carries the current
    version); ``None`` means the caller did not say which version it read."""
    if expected_version is not None and int(expected_version) != instance.version:
        raise StaleVersion(instance.version)


def lock(model, pk, *, related=()):
    """The current row of ``model``, locked until the transaction ends (``SELECT … FOR
    UPDATE`` of that table only), with ``related`` read in the same query."""
    queryset = model.objects.select_for_update(of=("self",))
    if related:
        queryset = queryset.select_related(*related)
    return queryset.get(pk=pk)


def delete_with_history(instance, *, by, reason):
    """Delete with the history's user and reason (the history keeps a "-" row), and the
    rows deleted with it by cascade too. The reason is required (``require_reason``)."""
    instance._history_user = by
    instance._change_reason = require_reason(reason)
    with history_author(by, instance._change_reason):
        instance.delete()
