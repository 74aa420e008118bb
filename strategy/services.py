"""Every change of state of a measurement or target, each atomic, each leaving its
history row (who, when, why). Pages, API, admin actions, imports and commands call
these and nothing else."""

import datetime as dt
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from artisanat import data_version, permissions
from artisanat.dates import today
from artisanat.exceptions import TransitionNotAllowed
from artisanat.models import Filiere, Organisation, Region
from artisanat.services import check_version, delete_with_history, lock, require_reason, save_with_history, validate
from strategy import stored_figures
from strategy.choices import EDITABLE_STATUSES, MEASUREMENT_TRANSITIONS, MeasurementStatus
from strategy.models import (
    Action,
    Indicator,
    IndicatorComment,
    Measurement,
    OpenDataRelease,
    PeriodTotal,
    Programme,
    PublishedTotal,
    ReportPublication,
    Target,
)

#: What a measurement's rules read, loaded with the locked row.
MEASUREMENT_RULE_RELATIONS = ("indicator__axis__strategy", "region", "filiere", "organisation")


def _locked(model, pk):
    """The row of ``model`` locked for update; a measurement with what its rules read
    (no query per relation in clean())."""
    related = MEASUREMENT_RULE_RELATIONS if model is Measurement else ()
    return lock(model, pk, related=related)


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
        check_version(current, expected_version)
        if current.status not in EDITABLE_STATUSES:
            raise TransitionNotAllowed("modifier", current.status, current.get_status_display())
        if permissions.is_reporter(by) and measurement.organisation_id != current.organisation_id:
            raise PermissionDenied(_("L'organisation rapporteuse d'une mesure ne change pas."))
        measurement.status = current.status
        measurement.version = current.version
    else:
        measurement.status = MeasurementStatus.DRAFT
        if measurement.reported_by_id is None:
            measurement.reported_by = by
    _check_may_record(measurement, by)
    # A change needs its reason (save_with_history); a new draft may come without one.
    return save_with_history(measurement, by=by, reason=reason if measurement.pk else reason or _("Création"))


class MeasurementRowsInvalid(ValidationError):
    """Rows of a ``create_measurements`` call that break a rule: ``rows`` maps each
    bad row's position in the list to its ValidationError (fields and reasons)."""

    def __init__(self, errors):
        self.rows = dict(sorted(errors.items()))
        super().__init__(list(self.rows.values()))


#: What Measurement.clean_fields() would look up row by row: checked for all rows at once.
_RELATIONS = ["indicator", "region", "filiere", "organisation", "reported_by", "validated_by", "evidence"]


def _breakdown_key(m):
    """What makes a row unique (the ``measurement_unique_per_breakdown`` constraint)."""
    return (
        m.indicator_id,
        m.period_start,
        m.period_end,
        m.region_id,
        m.filiere_id,
        m.sex,
        m.actor_type,
        m.organisation_id,
    )


def _unknown(model, field_name, value):
    """The message full_clean() gives for a foreign key to a missing row."""
    field = Measurement._meta.get_field(field_name)
    return ValidationError(
        field.error_messages["invalid"],
        code="invalid",
        params={"model": model._meta.verbose_name, "pk": value, "field": "id", "value": value},
    )


def _existing_ids(model, ids):
    ids = {i for i in ids if i is not None}
    return set(model.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


def check_new_measurements(measurements, *, by, labels=None):
    """The rules ``save_measurement`` applies to a new measurement, checked for many at
    once in a fixed number of queries whatever their number: the indicators (with their
    strategy and whether ``by``'s organisation reports them), the referenced regions,
    filières and organisations, and the breakdown keys already recorded.

    Returns {position in the list: ValidationError} for the rows that break a rule
    (empty when all pass). A role that may not record measurements at all raises
    PermissionDenied. ``labels`` name the rows in the message about a row repeated in
    the same batch (default: position + 1)."""
    if not permissions.can_record_measurements(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de saisir des mesures."))
    labels = labels or [position + 1 for position in range(len(measurements))]
    reporter = permissions.is_reporter(by)
    own_organisation = permissions.organisation_id_of(by)
    indicators = Indicator.objects.select_related("axis__strategy")
    if reporter:
        reports = Indicator.reporting_organisations.through.objects.filter(
            indicator_id=OuterRef("pk"), organisation_id=own_organisation
        )
        indicators = indicators.annotate(may_report=Exists(reports))
    indicators = indicators.in_bulk({m.indicator_id for m in measurements if m.indicator_id is not None})
    known = {
        "region": (Region, _existing_ids(Region, (m.region_id for m in measurements))),
        "filiere": (Filiere, _existing_ids(Filiere, (m.filiere_id for m in measurements))),
        "organisation": (
            Organisation,
            {own_organisation} if reporter else _existing_ids(Organisation, (m.organisation_id for m in measurements)),
        ),
    }
    errors, seen, candidates = {}, {}, []
    for position, m in enumerate(measurements):
        m.status = MeasurementStatus.DRAFT
        if m.reported_by_id is None:
            m.reported_by = by
        indicator = indicators.get(m.indicator_id)
        problems = {}
        if indicator is None:
            problems["indicator"] = [_unknown(Indicator, "indicator", m.indicator_id)]
        for name, (model, ids) in known.items():
            value = getattr(m, f"{name}_id")
            if value is not None and value not in ids and not (name == "organisation" and reporter):
                problems[name] = [_unknown(model, name, value)]
        if reporter and m.organisation_id != own_organisation:
            problems["organisation"] = [_("Vous ne pouvez saisir que les mesures de votre organisation.")]
        elif reporter and indicator is not None and not indicator.may_report:
            problems["indicator"] = [_("Votre organisation ne rapporte pas cet indicateur.")]
        if problems:
            errors[position] = ValidationError(problems)
            continue
        m.indicator = indicator  # shared instance: clean() reads its strategy without a query
        try:
            m.clean_fields(exclude=_RELATIONS)
            m.clean()
        except ValidationError as error:
            errors[position] = error
            continue
        key = _breakdown_key(m)
        if key in seen:
            errors[position] = ValidationError(
                {
                    NON_FIELD_ERRORS: _(
                        "Ligne en double avec la ligne %(n)d (même indicateur, période, ventilation et organisation)."
                    )
                    % {"n": labels[seen[key]]}
                }
            )
            continue
        seen[key] = position
        candidates.append(position)
    if candidates:
        rows = [measurements[p] for p in candidates]
        existing = set(
            Measurement.objects.filter(
                indicator_id__in={m.indicator_id for m in rows},
                period_start__in={m.period_start for m in rows},
                period_end__in={m.period_end for m in rows},
                organisation_id__in={m.organisation_id for m in rows},
            ).values_list(
                "indicator_id",
                "period_start",
                "period_end",
                "region_id",
                "filiere_id",
                "sex",
                "actor_type",
                "organisation_id",
            )
        )
        for position in candidates:
            if _breakdown_key(measurements[position]) in existing:
                errors[position] = ValidationError({NON_FIELD_ERRORS: [UNIQUE_MESSAGE]})
    return errors


UNIQUE_MESSAGE = next(
    c.violation_error_message for c in Measurement._meta.constraints if c.name == "measurement_unique_per_breakdown"
)


def _history_rows(measurements, *, history_type, by, reason, date):
    """Unsaved history rows of ``measurements`` as they are now (simple_history's
    bulk_history_create, without its insert, so that both states go in one)."""
    History = Measurement.history.model
    return [
        History(
            history_date=date,
            history_user=by,
            history_change_reason=reason,
            history_type=history_type,
            **{field.attname: getattr(m, field.attname) for field in History.tracked_fields},
        )
        for m in measurements
    ]


@transaction.atomic
def create_measurements(measurements, *, by, reason="", submit=False, labels=None):
    """Create many new measurements at once (a partner's bulk submission): the rules,
    messages and history of ``save_measurement`` for each (then of
    ``submit_measurement`` when ``submit``), in a fixed number of queries: the checks of
    ``check_new_measurements``, one INSERT of the rows and one of their history rows
    (user and reason included). All or nothing: MeasurementRowsInvalid lists every bad
    row and nothing is written."""
    errors = check_new_measurements(measurements, by=by, labels=labels)
    if errors:
        raise MeasurementRowsInvalid(errors)
    if not measurements:
        return []
    created_reason = reason or _("Création")
    now = timezone.now()
    for m in measurements:
        m.version, m.status_reason, m.validated_by, m.validated_at = 1, "", None, None
        m.submitted_at = None
        m.created_at = m.updated_at = now
    # The history row of the draft each one is created as (save_measurement)…
    history = _history_rows(measurements, history_type="+", by=by, reason=created_reason, date=now)
    if submit:
        # …and, a microsecond later (history reads newest first), of its submission
        # (submit_measurement): saved directly in that state, one INSERT.
        submit_reason = reason or _("Soumission")
        for m in measurements:
            m.status, m.status_reason, m.version = MeasurementStatus.SUBMITTED, submit_reason, 2
            m.submitted_at = now
    Measurement.objects.bulk_create(measurements)
    for row, m in zip(history, measurements, strict=True):
        row.id, row.created_at, row.updated_at = m.pk, m.created_at, m.updated_at
    if submit:
        later = now + dt.timedelta(microseconds=1)
        history += _history_rows(measurements, history_type="~", by=by, reason=submit_reason, date=later)
    Measurement.history.model.objects.bulk_create(history)
    return measurements


def _lock_figures(indicator_ids):
    """Lock the indicators whose stored figures a transition will change, in id order,
    BEFORE the measurement rows. The stored-figures triggers lock the indicator too
    (strategy/stored_figures.py); taking indicators first, always in the same order,
    means two validations can never wait for each other in a cycle (a PostgreSQL
    deadlock, which the soak test met with bulk validations in different orders)."""
    list(
        Indicator.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(set(indicator_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _transition(measurement, action, *, by, reason="", expected_version=None, check=None):
    """Move the locked row; ``check(current)`` vets the caller against the row as locked,
    not against the caller's possibly outdated copy."""
    sources, target = MEASUREMENT_TRANSITIONS[action]
    if MeasurementStatus.VALIDATED in (target, *sources):
        _lock_figures([measurement.indicator_id])
    current = _locked(Measurement, measurement.pk)
    if check is not None:
        check(current)
    check_version(current, expected_version)
    if current.status not in sources:
        raise TransitionNotAllowed(action, current.status)
    current.status = target
    current.status_reason = reason
    # Back to its reporter: allowed even for a row recorded before the period rule whose
    # period does not fit (Measurement._sending_back), so that it can be corrected.
    current._sending_back = target == MeasurementStatus.RETURNED
    if target == MeasurementStatus.SUBMITTED and current.submitted_at is None:
        current.submitted_at = timezone.now()  # first submission: the calendar's "received"
    if target == MeasurementStatus.VALIDATED:
        current.validated_by = by
        current.validated_at = timezone.now()
    else:
        current.validated_by = None
        current.validated_at = None
    save_with_history(current, by=by, reason=reason or action, reason_required=False)
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


#: A measurement's columns that are not its content: the workflow's own, which a move
#: (submit, validate, return, reopen) changes without changing what was reported.
WORKFLOW_COLUMNS = {
    "id",
    "status",
    "status_reason",
    "validated_by_id",
    "validated_at",
    "submitted_at",
    "version",
    "updated_at",
}


def _content_history(measurement_ids):
    """(id, author, content) of every creation and change of the measurements, oldest
    first, in one query; content: every tracked column but ``WORKFLOW_COLUMNS``."""
    History = Measurement.history.model
    columns = [f.attname for f in History.tracked_fields if f.attname not in WORKFLOW_COLUMNS]
    rows = (
        History.objects.filter(id__in=list(measurement_ids), history_type__in=("+", "~"))
        .order_by("history_date", "history_id")
        .values_list("id", "history_user_id", *columns)
    )
    for pk, user_id, *content in rows:
        yield pk, user_id, content


def last_changed_by(measurement_ids):
    """{measurement id: id of the user who last changed its content}: the author of the
    newest history row whose content (value, numerator, denominator, period, breakdown,
    source, evidence, organisation…) differs from the row before it; the creation counts
    as a change. A row without history (a bulk load) is absent."""
    authors, contents = {}, {}
    for pk, user_id, content in _content_history(measurement_ids):
        if contents.get(pk) != content:
            authors[pk], contents[pk] = user_id, content
    return authors


def content_authors(measurement_ids):
    """{measurement id: ids of the users who wrote what the row holds now}: for each
    content column, the author of the history row that last changed it. A value typed
    by someone and later typed again by someone else is the second person's; a value
    nobody touched since is still its author's, whatever else changed around it."""
    current = {}  # pk → [(value, author) per column]
    for pk, user_id, content in _content_history(measurement_ids):
        held = current.get(pk)
        if held is None:  # the creation: every column is its author's
            current[pk] = [(value, user_id) for value in content]
        else:
            current[pk] = [
                (v, a) if v == value else (value, user_id) for (v, a), value in zip(held, content, strict=True)
            ]
    return {pk: {author for _value, author in held} for pk, held in current.items()}


def not_validatable_by(measurements, by):
    """Ids of ``measurements`` that ``by`` may not validate under the four-eyes rule:
    those they entered (``reported_by``) or whose current content they wrote, in any
    field (``content_authors``). One query whatever the number of rows: the queue and
    the measurement page say in advance what the service would refuse."""
    rows = list(measurements)
    authors = content_authors([m.pk for m in rows]) if rows else {}
    return {m.pk for m in rows if by.pk == m.reported_by_id or by.pk in authors.get(m.pk, ())}


def _check_four_eyes(current, by):
    """Four eyes: nobody validates a row they entered (``reported_by``) or whose current
    content they wrote, in any field (``content_authors``): a value a validator typed
    stays theirs even after someone else changes another field (the review's case)."""
    if current.pk in not_validatable_by([current], by):
        raise PermissionDenied(
            _(
                "Mesure n° %(pk)s (%(m)s) : vous l'avez saisie ou modifiée, "
                "une autre personne doit la valider (règle des quatre yeux)."
            )
            % {"pk": current.pk, "m": current}
        )


@transaction.atomic
def validate_measurement(measurement, *, by, comment="", expected_version=None):
    """submitted → validated, by a validator other than the person who entered or last
    changed the value (four eyes); the value now counts in the figures."""
    if not permissions.can_validate(by):
        raise PermissionDenied(_("Seul un validateur peut valider une mesure."))
    return _transition(
        measurement,
        "validate",
        by=by,
        reason=comment or _("Validation"),
        expected_version=expected_version,
        check=lambda current: _check_four_eyes(current, by),
    )


@transaction.atomic
def return_measurement(measurement, *, by, reason, expected_version=None):
    """submitted → returned, with the reason the reporter will read."""
    if not permissions.can_validate(by):
        raise PermissionDenied(_("Seul un validateur peut renvoyer une mesure."))
    reason = require_reason(reason, field="reason")
    return _transition(measurement, "return", by=by, reason=reason, expected_version=expected_version)


@transaction.atomic
def reopen_measurement(measurement, *, by, reason, expected_version=None):
    """validated → returned: unlocks a validated period; validator only, reason required."""
    if not permissions.can_validate(by):
        raise PermissionDenied(_("Seul un validateur peut rouvrir une période validée."))
    reason = require_reason(reason, field="reason")
    return _transition(measurement, "reopen", by=by, reason=reason, expected_version=expected_version)


@transaction.atomic
def validate_measurements(measurements, *, by, comment=""):
    """Validate several submitted measurements at once; all or nothing. A row carrying
    ``expected_version`` (the version the validator saw) is refused if it changed since."""
    _lock_figures([m.indicator_id for m in measurements])
    done = {
        m.pk: validate_measurement(m, by=by, comment=comment, expected_version=getattr(m, "expected_version", None))
        for m in sorted(measurements, key=lambda m: m.pk)
    }
    return [done[m.pk] for m in measurements]


@transaction.atomic
def return_measurements(measurements, *, by, reason):
    """Return several submitted measurements at once with one reason; all or nothing. A
    row carrying ``expected_version`` (the version the validator saw) is refused if it
    changed since."""
    if not permissions.can_validate(by):
        raise PermissionDenied(_("Seul un validateur peut renvoyer une mesure."))
    reason = require_reason(reason, field="reason")
    done = {
        m.pk: return_measurement(m, by=by, reason=reason, expected_version=getattr(m, "expected_version", None))
        for m in sorted(measurements, key=lambda m: m.pk)
    }
    return [done[m.pk] for m in measurements]


@transaction.atomic
def save_target(target, *, by, reason="", expected_version=None):
    """Create or change a target (editors and validators)."""
    if not permissions.can_edit_strategy(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les cibles."))
    if target.pk:
        current = _locked(Target, target.pk)
        check_version(current, expected_version)
        target.version = current.version
    return save_with_history(target, by=by, reason=reason)


@transaction.atomic
def delete_measurement(measurement, *, by, reason="", expected_version=None):
    """Delete a measurement while it is still draft or returned, by whoever may record it."""
    current = _locked(Measurement, measurement.pk)
    check_version(current, expected_version)
    _check_may_record(current, by)
    if current.status not in EDITABLE_STATUSES:
        raise TransitionNotAllowed("supprimer", current.status)
    delete_with_history(current, by=by, reason=reason)


@transaction.atomic
def delete_target(target, *, by, reason="", expected_version=None):
    """Delete a target (editors and validators)."""
    if not permissions.can_edit_strategy(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les cibles."))
    current = _locked(Target, target.pk)
    check_version(current, expected_version)
    delete_with_history(current, by=by, reason=reason)


@transaction.atomic
def rebuild_figures(indicator_ids=None):
    """Recompute the stored figures (``PeriodTotal``) of ``indicator_ids`` (None: all)
    from their validated measurements, in one transaction. Triggers keep them current on
    every write; call this after a load that went around them (``bulk_load_figures``) or
    to repair a database. Returns the number of stored period rows of those indicators."""
    stored_figures.rebuild(indicator_ids)
    rows = PeriodTotal.objects.all()
    if indicator_ids is not None:
        rows = rows.filter(indicator_id__in=list(indicator_ids))
    return rows.count()


@contextmanager
def bulk_load_figures():
    """For bulk loads of validated rows (seed_scale, imports of history): the figure
    triggers are dropped for the block's duration and the stored figures rebuilt once at
    the end — one INSERT … SELECT per scope instead of a few statements per row — then
    the triggers come back. All in one transaction: on error nothing is kept and the
    triggers are back. (On PostgreSQL, dropping a trigger locks the measurement table
    until the commit: for loads, not for a live site's bulk submissions, which create
    draft or submitted rows that the triggers skip at no cost.) The data version's
    per-row bumps (artisanat/data_version.py) are dropped the same way and replaced by
    one bump at the end."""
    with transaction.atomic():
        connection = transaction.get_connection()
        stored_figures.drop_triggers(connection)
        data_version.drop_triggers(connection)
        yield
        stored_figures.rebuild(connection=connection)
        stored_figures.install_triggers(connection)
        data_version.install_triggers(connection)
        data_version.bump(connection)


# ---------------------------------------------------------------- report comments, publications


@transaction.atomic
def save_indicator_comment(comment, *, by, reason="", expected_version=None):
    """Write or change the comment of an indicator for a year (editors, validators,
    administrators), with the history's reason; a change made from an outdated copy is
    refused (StaleVersion)."""
    if not permissions.can_edit_strategy(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de rédiger les commentaires du rapport."))
    if comment.pk:
        current = _locked(IndicatorComment, comment.pk)
        check_version(current, expected_version)
        if (current.indicator_id, current.year) != (comment.indicator_id, comment.year):
            raise ValidationError({"year": _("L'indicateur et l'année d'un commentaire ne changent pas.")})
        comment.version = current.version
    comment.updated_by = by
    return save_with_history(comment, by=by, reason=reason if comment.pk else reason or _("Rédaction"))


@transaction.atomic
def publish_report(spec, *, by, reason):
    """Publish (freeze) the report ``spec`` (strategy.reports.ReportSpec): its figures
    exactly as the report renders them now, and its PDF with the SHA-256 of the bytes,
    stored together (validators and administrators). Publishing the same report again
    makes the next edition; earlier ones stay as they were."""
    from django.core.files.base import ContentFile
    from django.utils import translation

    from strategy import reports

    if not permissions.can_validate(by):
        raise PermissionDenied(_("Seuls les valideurs et les administrateurs publient un rapport."))
    reason = require_reason(reason, field="reason")
    report = reports.build_report(spec, by)
    figures = reports.freeze(report)
    previous = ReportPublication.objects.filter(kind=spec.kind, year=spec.year, quarter=spec.quarter).aggregate(
        last=Max("edition")
    )["last"]
    publication = ReportPublication(
        kind=spec.kind,
        year=spec.year,
        quarter=spec.quarter,
        edition=(previous or 0) + 1,
        as_of=spec.as_of,
        published_at=timezone.now(),
        published_by=by,
        reason=reason,
        figures=figures,
    )
    pdf = reports.render_pdf(
        reports.thaw(figures),
        title=spec.title,
        published_at=publication.published_at,
        published_by=by.get_full_name() or by.get_username(),
        edition=publication.edition,
        language=translation.get_language() or "fr",
    )
    publication.sha256 = hashlib.sha256(pdf).hexdigest()
    publication.pdf = ContentFile(pdf, name="rapport.pdf")
    validate(publication)
    publication.save()
    return publication


#: Serialises open-data releases on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
_RELEASE_LOCK = 0x4F50454E  # "OPEN"


def release_open_data(*, by, reason, after=None):
    """Publish the open data (validators and administrators): the stored totals of every
    indicator marked public (``public_from`` set, today or later) are copied as they are
    now into ``PublishedTotal``, replacing the previous release's copy, in one statement
    (a consistent snapshot); the release records who, when, why and which indicators.
    From then on the public pages and API show exactly these figures until the next
    release. All or nothing.

    ``after``: the number of the last release the caller saw (0: none). When another
    release came since (a page sent twice, two validators at once), nothing is published
    and the error says which one: each release is a deliberate act, never a repeat."""
    if not permissions.can_validate(by):
        raise PermissionDenied(_("Seuls les valideurs et les administrateurs publient les données ouvertes."))
    reason = require_reason(reason, field="reason")
    with transaction.atomic():
        connection = transaction.get_connection()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_RELEASE_LOCK])
        last = OpenDataRelease.objects.aggregate(last=Max("number"))["last"] or 0
        if after is not None and after != last:
            raise ValidationError(
                {
                    "after": _(
                        "La publication n° %(n)s vient d'être faite : relisez la page avant de publier de nouveau."
                    )
                    % {"n": last}
                }
            )
        release = OpenDataRelease(number=last + 1, released_at=timezone.now(), released_by=by, reason=reason)
        validate(release)
        release.save()
        indicator_ids = list(Indicator.objects.filter(public_from__isnull=False).values_list("pk", flat=True))
        release.indicators.set(indicator_ids)
        PublishedTotal.objects.all().delete()
        if indicator_ids:
            columns = [f.column for f in PeriodTotal._meta.concrete_fields if not f.primary_key]
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {connection.ops.quote_name(PublishedTotal._meta.db_table)} ({names}) "
                    f"SELECT {names} FROM {connection.ops.quote_name(PeriodTotal._meta.db_table)} "
                    f"WHERE indicator_id IN ({', '.join(['%s'] * len(indicator_ids))})",
                    indicator_ids,
                )
        release.total_rows = PublishedTotal.objects.count()
        release.save(update_fields=["total_rows"])
    return release


# ---------------------------------------------------------------- the strategy's own rows (pages, API, admin)


def _check_may_edit_strategy(by):
    if not permissions.can_edit_strategy(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier la stratégie."))


# ---------------------------------------------------------------- indicators and their targets (pages, API, admin)


@transaction.atomic
def save_indicator(indicator, *, by, reason, expected_version=None):
    """Create an indicator, or change one (editors, validators, administrators), with
    the history's reason. A change made from an outdated copy is refused
    (StaleVersion); a change its recorded measurements do not follow (breakdown,
    aggregation, frequency) is refused by Indicator.clean() naming the rows. The
    caller sets the reporting organisations inside the same transaction."""
    _check_may_edit_strategy(by)
    reason = require_reason(reason)
    if indicator.pk:
        current = lock(Indicator, indicator.pk)
        check_version(current, expected_version)
        indicator.version = current.version
    return save_with_history(indicator, by=by, reason=reason)


@transaction.atomic
def delete_indicator(indicator, *, by, reason, expected_version=None):
    """Delete an indicator nothing depends on yet (no measurement, target, report
    comment nor link from another record such as a contract): a ValidationError naming
    what depends on it otherwise, so that nothing disappears with it by cascade."""
    _check_may_edit_strategy(by)
    reason = require_reason(reason)
    current = lock(Indicator, indicator.pk)
    check_version(current, expected_version)
    dependents = []
    for relation in Indicator._meta.related_objects:
        if relation.related_model in (PeriodTotal, Indicator.history.model) or relation.name.startswith("historical"):
            continue
        accessor = relation.get_accessor_name()
        if accessor and getattr(current, accessor).exists():
            dependents.append(str(relation.related_model._meta.verbose_name_plural))
    if dependents:
        raise ValidationError(
            _("Cet indicateur ne peut pas être supprimé : des enregistrements en dépendent (%(what)s).")
            % {"what": ", ".join(sorted(dependents))}
        )
    delete_with_history(current, by=by, reason=reason)


@dataclass
class TargetCell:
    """One cell of an indicator's target grid that the user changed: the scope (national
    when ``region_id`` and ``filiere_id`` are both None), the due date, the value typed
    (None: no target, the existing one is deleted) and the version of the target read
    (None: there was no target when the page was read)."""

    due_date: dt.date
    region_id: int | None
    filiere_id: int | None
    value: Decimal | None
    expected_version: int | None

    @property
    def key(self):
        return (self.due_date, self.region_id, self.filiere_id)


class TargetGridStale(Exception):
    """Cells changed meanwhile by someone else: ``cells`` maps each stale cell's key to
    the target stored now (None when there is none any more). Nothing was saved."""

    def __init__(self, cells):
        self.cells = cells
        super().__init__(
            _(
                "Des cibles ont été modifiées par quelqu'un d'autre entre-temps : rien n'a été enregistré. "
                "Les valeurs enregistrées sont affichées à côté de vos saisies."
            )
        )


class TargetGridInvalid(ValidationError):
    """Cells whose target breaks a rule: ``cells`` maps each cell's key to its messages.
    Nothing was saved."""

    def __init__(self, cells):
        self.cells = cells
        super().__init__([message for messages in cells.values() for message in messages])


@transaction.atomic
def save_target_grid(indicator, cells, *, by, reason):
    """Save the changed cells of an indicator's target grid at once, with one reason:
    a value where there was none creates a target, another value changes it, no value
    deletes it; each created, changed or deleted target gets its own history row with
    the reason. All or nothing: if any cell was changed by someone else since it was
    read (its target's version, or a target created or deleted meanwhile), nothing is
    saved and TargetGridStale names those cells; a cell that breaks a rule,
    TargetGridInvalid. ``indicator`` should come with ``axis__strategy`` loaded.

    Returns [(what, target)], what being "create", "change" or "delete".

    Queries: the indicator locked, its targets locked (one query), the regions and
    filières of created cells (one query each, only when cells name some), then per changed cell:
    a creation or change, the uniqueness check, the write and its history row (3); a
    deletion, the delete and its history row (2)."""
    _check_may_edit_strategy(by)
    reason = require_reason(reason)
    cells = list(cells)
    # The indicator first, then its targets: two grids saved at once wait for each
    # other instead of both creating the same cell.
    list(
        Indicator.objects.select_for_update(no_key=True).filter(pk=indicator.pk).order_by().values_list("pk", flat=True)
    )
    stored = {
        (t.due_date, t.region_id, t.filiere_id): t
        for t in Target.objects.select_for_update(of=("self",)).filter(indicator_id=indicator.pk).order_by("pk")
    }
    stale = {}
    for cell in cells:
        current = stored.get(cell.key)
        if (current.version if current is not None else None) != cell.expected_version:
            stale[cell.key] = current
    if stale:
        raise TargetGridStale(stale)
    regions = _in_bulk(Region, {c.region_id for c in cells})
    filieres = _in_bulk(Filiere, {c.filiere_id for c in cells})
    done, errors = [], {}
    for cell in cells:
        current = stored.get(cell.key)
        if cell.value is None:
            if current is not None:
                delete_with_history(current, by=by, reason=reason)
                done.append(("delete", current))
            continue
        if current is not None and current.value == cell.value:
            continue
        target = current or Target(
            due_date=cell.due_date, region=regions.get(cell.region_id), filiere=filieres.get(cell.filiere_id)
        )
        target.indicator = indicator  # its rules read the strategy: no query per cell
        target.value = cell.value
        try:
            # validate() refuses before anything is written: the transaction stays usable
            # to check the other cells, and is rolled back below.
            save_with_history(target, by=by, reason=reason)
        except ValidationError as error:
            errors[cell.key] = error.messages
            continue
        done.append(("change" if current is not None else "create", target))
    if errors:
        raise TargetGridInvalid(errors)
    return done


def _in_bulk(model, ids):
    ids = {i for i in ids if i is not None}
    return model.objects.in_bulk(ids) if ids else {}


# ---------------------------------------------------------------- programmes and actions


@transaction.atomic
def save_programme(programme, *, by, reason, expected_version=None):
    """Create or change a programme (editors, validators, administrators), with the
    history's reason; a change made from an outdated copy is refused (StaleVersion)."""
    _check_may_edit_strategy(by)
    reason = require_reason(reason)
    if programme.pk:
        current = lock(Programme, programme.pk)
        check_version(current, expected_version)
        programme.version = current.version
    return save_with_history(programme, by=by, reason=reason)


#: The fields of the progress entered by hand: a change of any of them needs its reason.
MANUAL_PROGRESS_FIELDS = ("progress", "progress_reason", "progress_date")


def _manual_progress(action, current):
    """The manual progress as it will be stored: a value entered (or changed) carries its
    reason (``progress_reason``, refused without one) and its date (today by default);
    a value cleared (0, no reason) is no value (no date)."""
    before = tuple(getattr(current, f) for f in MANUAL_PROGRESS_FIELDS) if current else (0, "", None)
    after = tuple(getattr(action, f) for f in MANUAL_PROGRESS_FIELDS)
    if after == before:
        return
    action.progress_reason = (action.progress_reason or "").strip()
    if not action.progress and not action.progress_reason:
        action.progress, action.progress_date = 0, None
        return
    action.progress_reason = require_reason(action.progress_reason, field="progress_reason")
    changed_value = current is None or action.progress != current.progress
    date_typed = action.progress_date is not None and (current is None or action.progress_date != current.progress_date)
    if not date_typed and (action.progress_date is None or changed_value):
        action.progress_date = today()


def _link_indicators(action, indicators, *, by, reason):
    """Make ``indicators`` the ones that measure ``action``: each indicator attached or
    detached is saved with its history row (who, why), in the caller's transaction;
    an indicator of another programme is refused (Indicator.clean)."""
    wanted = {i.pk for i in indicators}
    linked = set(Indicator.objects.filter(action=action).values_list("pk", flat=True))
    errors = []
    for pk in sorted(wanted ^ linked):
        indicator = lock(Indicator, pk, related=("axis__strategy", "programme"))
        indicator.action = action if pk in wanted else None
        try:
            save_with_history(indicator, by=by, reason=reason)
        except ValidationError as error:
            errors.extend(f"{indicator.code} : {m}" for m in error.messages)
    if errors:
        raise ValidationError({"linked_indicators": errors})


@transaction.atomic
def save_action(action, *, by, reason, expected_version=None, indicators=None):
    """Create or change an action (editors, validators, administrators), with the
    history's reason; a change made from an outdated copy is refused (StaleVersion).
    Its manual progress needs its own reason (``progress_reason``) whenever it changes.
    ``indicators`` (optional): the indicators of its programme that measure its
    progress, linked and unlinked in the same transaction (strategy.figures.action_progress)."""
    _check_may_edit_strategy(by)
    reason = require_reason(reason)
    current = None
    if action.pk:
        current = lock(Action, action.pk)
        check_version(current, expected_version)
        action.version = current.version
    _manual_progress(action, current)
    if current is not None and current.programme_id != action.programme_id:
        # The indicators that will still measure it must follow it into its new programme.
        kept = (
            [i.pk for i in indicators]
            if indicators is not None
            else Indicator.objects.filter(action=action).values_list("pk", flat=True)
        )
        if Indicator.objects.filter(pk__in=kept).exclude(programme_id=action.programme_id).exists():
            raise ValidationError(
                {"programme": _("Des indicateurs d'un autre programme mesurent cette action : détachez-les d'abord.")}
            )
    save_with_history(action, by=by, reason=reason)
    if indicators is not None:
        _link_indicators(action, indicators, by=by, reason=reason)
    return action


@transaction.atomic
def delete_action(action, *, by, reason, expected_version=None):
    """Delete an action nothing links to any more (no indicator, no milestone): a clear
    refusal otherwise, naming what still links to it."""
    _check_may_edit_strategy(by)
    reason = require_reason(reason)
    current = lock(Action, action.pk)
    check_version(current, expected_version)
    indicators = Indicator.objects.filter(action=current).count()
    milestones = current.milestones.count()  # contracts' milestones, by the reverse relation
    if indicators or milestones:
        raise ValidationError(
            _(
                "Cette action ne peut pas être supprimée : %(indicators)d indicateur(s) et %(milestones)d jalon(s) "
                "y sont liés. Détachez-les d'abord."
            )
            % {"indicators": indicators, "milestones": milestones}
        )
    delete_with_history(current, by=by, reason=reason)
