"""Querysets that carry the figures. One definition each; pages, API and exports
call these methods (definitions and worked examples: docs/figures.md)."""

from django.apps import apps
from django.db import models
from django.db.models import Case, CharField, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce

from artisanat import permissions
from artisanat.models import Filiere, Region
from strategy import calendar, figures
from strategy.choices import EDITABLE_STATUSES, ActorType, Aggregation, MeasurementStatus, Sex
from strategy.stored_figures import scope_name


def _model(name):
    return apps.get_model("strategy", name)


def _totals(published):
    """The stored totals the figures read: ``PeriodTotal`` (every validation as it
    happens) or, for the public (``published=True``), ``PublishedTotal`` — the same
    columns as the last open-data release copied them (strategy.services.release_open_data)."""
    return _model("PublishedTotal" if published else "PeriodTotal")


def _scope_key(obj):
    """PeriodTotal's key of a scope: the region's or filière's id, 0 for all of them."""
    return 0 if obj is None else int(getattr(obj, "pk", obj))


def period_total_keys(*, region=None, filiere=None, sex=None, actor_type=None):
    """PeriodTotal's filter of a scope: ``{region_key, filiere_key, sex_key, actor_key}``
    (0 / '' for "all"). ``sex`` / ``actor_type`` are the choice values ("F",
    "artisan"…); None or '' for all. A combination of dimensions that is not stored
    (stored_figures.SCOPES) is a programming error here: the edges (ScopeForm, the API's
    scope_of) refuse it with a message first."""
    asked = {"region": region, "filiere": filiere, "sex": sex or None, "actor_type": actor_type or None}
    if scope_name(name for name, value in asked.items() if value is not None) is None:
        raise ValueError(f"No stored scope for {sorted(k for k, v in asked.items() if v is not None)}")
    if sex and sex not in Sex.values:
        raise ValueError(sex)
    if actor_type and actor_type not in ActorType.values:
        raise ValueError(actor_type)
    return {
        "region_key": _scope_key(region),
        "filiere_key": _scope_key(filiere),
        "sex_key": sex or "",
        "actor_key": actor_type or "",
    }


def phase_as_of(as_of, phase_end):
    """The date a phase's figures are read at: ``as_of``, or the phase's end once it is
    over — a closed phase keeps the state it ended in. ``phase_end`` None (no phase):
    ``as_of``."""
    return as_of if phase_end is None else min(as_of, phase_end)


def phase_scope(phase):
    """Scoped to a phase — the one definition (docs/figures.md, "Scoped to a phase"),
    as keyword arguments of ``Indicator.objects.with_figures`` / ``with_rollup``: the
    indicators measured against the targets due at the phase's end, with their values as
    of ``phase_as_of(as_of, phase.end_date)``, progress, expected value and status all
    against that same target (the trajectory stops at the phase's end). An indicator
    without a target due then has neither progress nor status in that phase. The pages
    (ScopeForm's ``?phase=``), the API, the home dashboard, the phases' roll-ups and the
    phase page all read it."""
    return {"target_date": phase.end_date}


class ReadableQuerySet(models.QuerySet):
    """Strategy data: every signed-in user with a role reads it; nobody else."""

    def visible_to(self, user):
        return self if permissions.can_read(user) else self.none()


#: The date a row waits in the validation queue since (``queue_order``, the index
#: ``measurement_queue``): its first submission, else its creation.
QUEUE_SINCE = Coalesce("submitted_at", "created_at")


class MeasurementQuerySet(models.QuerySet):
    def validated(self):
        return self.filter(status=MeasurementStatus.VALIDATED)

    def waiting_validation(self):
        return self.filter(status=MeasurementStatus.SUBMITTED)

    def queue_order(self):
        """The validation queue's order: the oldest submission first (a row loaded
        without a submission date takes its creation date), then by id — one total
        order, so that "next in the queue" is always defined. The index
        ``measurement_queue`` (status, this date, id) serves it: the first page reads
        50 index entries, whatever the length of the queue."""
        return self.alias(queue_since=QUEUE_SINCE).order_by("queue_since", "pk")

    def after_in_queue(self, measurement):
        """The rows that come after ``measurement`` in ``queue_order`` (it need not be
        in the queue any more: a row just validated keeps its place to go on from)."""
        since = measurement.submitted_at or measurement.created_at
        later = Q(queue_since__gt=since) | Q(queue_since=since, pk__gt=measurement.pk)
        return self.queue_order().filter(later)

    def with_previous(self):
        """The previous value of each row's series — same indicator, organisation and
        breakdown row (region, filière, sex, actor type) — from the latest validated
        period ending before the row's starts: ``fig_prev_start``, ``fig_prev_end``,
        ``fig_prev_value``, ``fig_prev_numerator``, ``fig_prev_denominator``. The model's
        ``previous_amount`` and ``change`` read them (strategy.figures)."""
        rows = (
            _model("Measurement")
            .objects.filter(
                status=MeasurementStatus.VALIDATED,
                indicator=OuterRef("indicator"),
                organisation=OuterRef("organisation"),
                sex=OuterRef("sex"),
                actor_type=OuterRef("actor_type"),
                period_end__lt=OuterRef("period_start"),
            )
            .alias(_region=Coalesce("region", Value(0)), _filiere=Coalesce("filiere", Value(0)))
            .filter(_region=Coalesce(OuterRef("region"), Value(0)), _filiere=Coalesce(OuterRef("filiere"), Value(0)))
            .order_by("-period_end", "-period_start")
        )
        return self.annotate(
            **{
                f"fig_prev_{name}": Subquery(rows.values(column)[:1])
                for name, column in (
                    ("start", "period_start"),
                    ("end", "period_end"),
                    ("value", "value"),
                    ("numerator", "numerator"),
                    ("denominator", "denominator"),
                )
            }
        )

    def with_period_target(self):
        """The target due at the end of each row's period for the row's own scope
        (national, one region, one filière, or both): ``fig_period_target``. Targets are
        never set by sex or actor type: the model's ``period_target`` is None for such a
        row."""
        targets = (
            _model("Target")
            .objects.filter(indicator=OuterRef("indicator"), due_date=OuterRef("period_end"))
            .alias(_region=Coalesce("region", Value(0)), _filiere=Coalesce("filiere", Value(0)))
            .filter(_region=Coalesce(OuterRef("region"), Value(0)), _filiere=Coalesce(OuterRef("filiere"), Value(0)))
        )
        return self.annotate(fig_period_target=Subquery(targets.values("value")[:1]))

    def with_validation_context(self, as_of):
        """What a validator judges a row by, in the row's query: the previous value of
        its series (``with_previous``), the target due at its period's end
        (``with_period_target``) and the date its age is counted to (``fig_as_of``:
        the edge's today). The figures themselves are the model's properties."""
        return (
            self.with_previous().with_period_target().annotate(fig_as_of=Value(as_of, output_field=models.DateField()))
        )

    def visible_to(self, user):
        """Ministry roles see every measurement; a partner reporter sees validated values
        and its own organisation's in any state; anyone else sees nothing."""
        if permissions.is_ministry(user):
            return self
        if permissions.is_reporter(user):
            return self.filter(
                Q(status=MeasurementStatus.VALIDATED) | Q(organisation_id=permissions.organisation_id_of(user))
            )
        return self.none()

    def editable_by(self, user):
        """What ``user`` may still change: draft or returned, and for a reporter its own."""
        qs = self.filter(status__in=EDITABLE_STATUSES)
        if permissions.is_ministry(user) and permissions.can_record_measurements(user):
            return qs
        if permissions.is_reporter(user):
            return qs.filter(organisation_id=permissions.organisation_id_of(user))
        return qs.none()


class IndicatorQuerySet(ReadableQuerySet):
    def reportable_by(self, user):
        """Indicators ``user`` may record values for."""
        if permissions.is_ministry(user) and permissions.can_record_measurements(user):
            return self
        if permissions.is_reporter(user):
            return self.filter(reporting_organisations=permissions.organisation_id_of(user))
        return self.none()

    @staticmethod
    def reportable_one(user, reporting_organisation_ids):
        """``reportable_by`` for one indicator whose reporting organisations are already
        read: the same rule, without a query."""
        if permissions.is_ministry(user) and permissions.can_record_measurements(user):
            return True
        if permissions.is_reporter(user):
            return permissions.organisation_id_of(user) in set(reporting_organisation_ids)
        return False

    def expected_reports(self, as_of, **options):
        """The reporting calendar of these indicators as of ``as_of``
        (strategy/calendar.py: expected, received, on time, late)."""
        return calendar.expected_reports(self, as_of, **options)

    def published(self, today):
        """The indicators the public sees on ``today``: marked public from that day or
        earlier (``public_from``) and part of the last open-data release. Their figures
        are read with ``with_figures(…, published=True)``."""
        release = _model("OpenDataRelease").objects.order_by("-number").values("pk")[:1]
        return self.filter(public_from__isnull=False, public_from__lte=today, open_data_releases=Subquery(release))

    def with_figures(
        self, as_of, *, target_date=None, region=None, filiere=None, sex=None, actor_type=None, published=False
    ):
        """Annotate the aggregates behind every figure, as of ``as_of`` (required: the edge
        resolves it, artisanat/dates.py).

        Only validated rows whose period ends on or before ``as_of`` count. ``target_date``
        is the end of the phase the figures are scoped to (``phase_scope``; docs/figures.md,
        "Scoped to a phase"): values as of ``min(as_of, target_date)``, and progress,
        expected value and status all against the trajectory ending at the target due
        then — none without such a target. Without it: the strategy's whole trajectory,
        progress toward its last target. ``region`` / ``filiere`` restrict rows and targets to one scope;
        ``sex`` / ``actor_type`` (choice values) restrict the rows — targets are never set
        by sex or actor type, so those scopes show values without progress. The stored
        combinations of dimensions are those of ``stored_figures.SCOPES``.
        The model's properties (achieved, progress, expected, status, forecast_date)
        apply strategy.figures to these annotations.

        The measurement aggregates come from the stored totals (``PeriodTotal``, kept by
        triggers): one index seek per indicator for the latest period of the scope ending
        on or before ``as_of``, whose running totals carry the sum and the number of
        periods — whatever the length of the history. Same names and values as the
        computation over the rows (the tests' oracle, tests/oracle.py).

        ``published=True``: the same figures from the last open-data release's copy of
        the totals (``PublishedTotal``) — what the public reads."""
        as_of = phase_as_of(as_of, target_date)
        keys = period_total_keys(region=region, filiere=filiere, sex=sex, actor_type=actor_type)
        latest = (
            _totals(published)
            .objects.filter(indicator=OuterRef("pk"), period_end__lte=as_of, **keys)
            .order_by("-period_end", "-period_start")
        )

        def column(expression):
            return Subquery(latest.annotate(_v=expression).values("_v")[:1])

        def when_rows(counter, field):
            return Case(When(**{f"{counter}__gt": 0}, then=F(field)), default=None)

        return (
            self.with_target_figures(as_of, target_date, region, filiere, sex=sex, actor_type=actor_type)
            .annotate(
                fig_latest_end=Subquery(latest.values("period_end")[:1]),
                fig_latest_start=Subquery(latest.values("period_start")[:1]),
                fig_sum_all=column(when_rows("cum_value_rows", "cum_total")),
                fig_periods=Coalesce(Subquery(latest.values("cum_periods")[:1]), 0),  # COUNT: 0, not NULL
                fig_latest_total=column(when_rows("value_rows", "total")),
                fig_latest_numerator=column(when_rows("ratio_rows", "numerator")),
                fig_latest_denominator=column(when_rows("ratio_rows", "denominator")),
            )
            .with_status_figures(
                region, filiere, sex=sex, actor_type=actor_type, target_date=target_date, published=published
            )
        )

    @staticmethod
    def _scoped_targets(region, filiere, sex=None, actor_type=None, target_date=None):
        """The indicator's (OuterRef) targets set for exactly this scope (a national target
        has neither region nor filière). A target has a region and a filière, never a sex
        or an actor type: a scope by sex or actor type has none. Scoped to a phase
        (``target_date``, its end): the trajectory stops at the phase's end."""
        targets = _model("Target").objects.filter(indicator=OuterRef("pk"))
        if target_date is not None:
            targets = targets.filter(due_date__lte=target_date)
        targets = targets.filter(region=region) if region is not None else targets.filter(region__isnull=True)
        targets = targets.filter(filiere=filiere) if filiere is not None else targets.filter(filiere__isnull=True)
        if sex or actor_type:
            targets = targets.filter(due_date__isnull=True)  # none: due_date is required
        return targets

    def with_status_figures(self, region, filiere, *, sex=None, actor_type=None, target_date=None, published=False):
        """What the status and the data-late flag read beside the figures as of the date
        (``with_figures`` and the tests' oracle share it; it needs ``fig_latest_end``
        annotated first): the targets around the end of the latest validated period — the
        status compares the achieved value with the trajectory *there*, not at ``as_of``
        — and the strategy's dates (the first report owed). Subqueries of the same
        query: no query more. ``target_date``: the end of the phase the figures are
        scoped to (the trajectory stops there, ``with_figures``)."""
        targets = self._scoped_targets(region, filiere, sex, actor_type, target_date)
        latest_end = OuterRef("fig_latest_end")
        previous = targets.filter(due_date__lte=latest_end).order_by("-due_date")
        following = targets.filter(due_date__gt=latest_end).order_by("due_date")
        reported = {}
        if any(value not in (None, "") for value in (region, filiere, sex, actor_type)):
            # "Data late" is the indicator's next report, whatever the scope shown: read from
            # its national totals (a scope by a dimension it is not broken down by has no
            # rows, and would call every such indicator late since its first period).
            national = (
                _totals(published)
                .objects.filter(indicator=OuterRef("pk"), period_end__lte=OuterRef("fig_as_of"), **period_total_keys())
                .order_by("-period_end", "-period_start")
            )
            reported["fig_reported_end"] = Subquery(national.values("period_end")[:1])
        return self.annotate(
            fig_end_prev_target_date=Subquery(previous.values("due_date")[:1]),
            fig_end_prev_target_value=Subquery(previous.values("value")[:1]),
            fig_end_next_target_date=Subquery(following.values("due_date")[:1]),
            fig_end_next_target_value=Subquery(following.values("value")[:1]),
            fig_strategy_start=F("axis__strategy__start_date"),
            fig_strategy_end=F("axis__strategy__end_date"),
            **reported,
        )

    def with_target_figures(self, as_of, target_date, region, filiere, *, sex=None, actor_type=None):
        """The scope flags and the targets around ``as_of`` (``with_figures`` and the tests'
        oracle share them). A target has a region and a filière, never a sex or an actor
        type: a scope by sex or actor type has no target (``fig_without_targets``).
        ``target_date``: the end of the phase the figures are scoped to, whose target
        progress is measured against (``fig_phase_end``); ``as_of`` is already capped
        at it (``phase_as_of``)."""
        targets = self._scoped_targets(region, filiere, sex, actor_type, target_date)
        without_targets = bool(sex or actor_type)
        previous = targets.filter(due_date__lte=as_of).order_by("-due_date")
        following = targets.filter(due_date__gt=as_of).order_by("due_date")
        goal = targets.filter(due_date=target_date) if target_date else targets.order_by("-due_date")
        scoped = region is not None or filiere is not None or without_targets
        return self.annotate(
            fig_as_of=Value(as_of, output_field=models.DateField()),
            fig_scoped=Value(scoped, output_field=models.BooleanField()),
            fig_without_targets=Value(without_targets, output_field=models.BooleanField()),
            # Cast: a NULL (no phase) beside a phase's date in figures_by_scope's union.
            fig_phase_end=Cast(Value(target_date), output_field=models.DateField()),
            fig_prev_target_date=Subquery(previous.values("due_date")[:1]),
            fig_prev_target_value=Subquery(previous.values("value")[:1]),
            fig_next_target_date=Subquery(following.values("due_date")[:1]),
            fig_next_target_value=Subquery(following.values("value")[:1]),
            fig_target_date=Subquery(goal.values("due_date")[:1]),
            fig_target_value=Subquery(goal.values("value")[:1]),
        )


def indicator_rollup(indicators):
    """Roll-up of indicators carrying figures (see figures.rollup). Scoped to a phase, an
    indicator without a target due at its end counts beside the mean, without target."""
    return figures.rollup(
        (i.progress, i.weight, i.performance, i.has_data, i.data_late, not i.without_phase_target) for i in indicators
    )


class _RollupQuerySet(ReadableQuerySet):
    """Axes and programmes: prefetch their indicators with figures, roll them up on access."""

    def with_rollup(self, as_of, *, public_on=None, **scope):
        """``public_on`` (a date): the public's roll-up — only the indicators published
        that day (``IndicatorQuerySet.published``), with their published figures."""
        Indicator = _model("Indicator")
        indicators = Indicator.objects.all()
        if public_on is not None:
            indicators = indicators.published(public_on)
            scope["published"] = True
        return self.prefetch_related(
            Prefetch(
                "indicators",
                queryset=indicators.with_figures(as_of, **scope).order_by("code"),
                to_attr="figure_indicators",
            )
        )


class AxisQuerySet(_RollupQuerySet):
    pass


class ProgrammeQuerySet(_RollupQuerySet):
    pass


class PhaseQuerySet(ReadableQuerySet):
    """A phase measures every indicator of its strategy against the target due at the
    phase's end; indicators without such a target are left out."""

    def with_rollup(self, as_of):
        clone = self._chain()
        clone._rollup_as_of = as_of
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._rollup_as_of = getattr(self, "_rollup_as_of", None)
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        as_of = getattr(self, "_rollup_as_of", None)
        if fresh and as_of is not None and self._result_cache and hasattr(self._result_cache[0], "end_date"):
            attach_phase_rollups(self._result_cache, as_of)


def figures_by_scope(indicators, scopes, *, published=False):
    """``{(as_of, phase_end): [indicator with_figures(as_of, target_date=phase_end), by
    code]}`` for each of ``scopes`` (``phase_end`` None: no phase), in one query (a union
    of one part per scope) whatever the number of scopes."""
    scopes = sorted(set(scopes), key=lambda k: (k[0], k[1] is not None, k[1]))
    by_scope = {key: [] for key in scopes}
    if not scopes:
        return by_scope
    parts = [
        indicators.with_figures(day, target_date=end, published=published)
        .annotate(rollup_day=Value(n, output_field=IntegerField()), rollup_strategy=F("axis__strategy_id"))
        .order_by()
        for n, (day, end) in enumerate(scopes)
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    for ind in rows.order_by("rollup_day", "code"):
        by_scope[scopes[ind.rollup_day]].append(ind)
    return by_scope


def attach_phase_rollups(phases, as_of, *, indicators_by_scope=None, public_on=None):
    """Each phase's roll-up (``phase.rollup``): its strategy's indicators scoped to it
    (``phase_scope``), those with a target due at its end; ``phase.rollup_without_target``
    counts the others. The figures of all the phases in one query (``figures_by_scope``).

    ``indicators_by_scope``: ``figures_by_scope`` already read (of every indicator of the
    phases' strategies); the scopes it holds are not read again.

    ``public_on`` (a date): the public's roll-ups — only the indicators published that
    day (``IndicatorQuerySet.published``), with their published figures."""
    Indicator = _model("Indicator")
    strategy_ids = {p.strategy_id for p in phases}
    by_scope = dict(indicators_by_scope or {})
    missing = {(as_of, p.end_date) for p in phases} - set(by_scope)
    if missing:
        indicators = Indicator.objects.filter(axis__strategy__in=strategy_ids)
        if public_on is not None:  # the public's: the published indicators, their published figures
            indicators = indicators.published(public_on)
        by_scope.update(figures_by_scope(indicators, missing, published=public_on is not None))
    for phase in phases:
        indicators = [i for i in by_scope[(as_of, phase.end_date)] if i.rollup_strategy == phase.strategy_id]
        measured = [i for i in indicators if not i.without_phase_target]
        phase.rollup = indicator_rollup(measured)
        phase.rollup_without_target = len(indicators) - len(measured)
        phase.figure_indicators = indicators


def measurement_history_visible_to(history, user):
    """Historical rows of measurements that ``user`` may read: ministry roles all of
    them; a partner reporter its own organisation's and, of other organisations, only
    the states in which a value was validated (never another organisation's draft)."""
    if permissions.is_ministry(user):
        return history
    if permissions.is_reporter(user):
        return history.filter(
            Q(status=MeasurementStatus.VALIDATED) | Q(organisation_id=permissions.organisation_id_of(user))
        )
    return history.none()


def stored_period_totals(indicator, as_of, *, region=None, filiere=None, sex=None, actor_type=None, published=False):
    """The validated period totals of one indicator and scope, oldest first, read from
    the stored totals: one row per period instead of every measurement. The same rows,
    in the same order, as the computation over the rows (``tests.oracle.raw_period_totals``)."""
    rows = (
        _totals(published)
        .objects.filter(
            indicator=indicator,
            period_end__lte=as_of,
            **period_total_keys(region=region, filiere=filiere, sex=sex, actor_type=actor_type),
        )
        .order_by("period_end", "period_start")
        .values_list("period_start", "period_end", "total", "value_rows", "numerator", "denominator", "ratio_rows")
    )
    return [
        {
            "period_start": start,
            "period_end": end,
            "total": total if value_rows else None,
            "numerator": numerator if ratio_rows else None,
            "denominator": denominator if ratio_rows else None,
        }
        for start, end, total, value_rows, numerator, denominator, ratio_rows in rows
    ]


def stored_breakdown(indicator, dimension, as_of, *, published=False):
    """The breakdown (``tests.oracle.raw_breakdown``) read from the stored totals: for ``sum`` and
    ``average`` the running totals of each region's (filière's, sex's, actor type's)
    latest period, for ``latest`` and ``ratio`` each one's totals of the indicator's
    latest national period. One query whatever the history (the totals, with the names)."""
    return stored_breakdowns(indicator, [dimension], as_of, published=published)[dimension]


#: PeriodTotal's key column of each dimension; a breakdown row has the others at 0 / ''.
BREAKDOWN_KEYS = {"region": "region_key", "filiere": "filiere_key", "sex": "sex_key", "actor_type": "actor_key"}
#: The dimensions whose values are a table (named from it) and those whose values are choices.
BREAKDOWN_TABLES = {"region": Region, "filiere": Filiere}
BREAKDOWN_CHOICES = {"sex": Sex, "actor_type": ActorType}


def breakdown_order(dimension, row):
    """Rows of a breakdown are sorted by the region's (filière's) code, by the choices'
    order for sex and actor type."""
    if dimension in BREAKDOWN_CHOICES:
        return BREAKDOWN_CHOICES[dimension].values.index(row["code"])
    return row["code"]


def stored_breakdowns(indicator, dimensions, as_of, *, published=False):
    """``stored_breakdown`` of several dimensions ("region", "filiere", "sex",
    "actor_type") in one query: {dimension: rows}. The indicator page and the API's
    indicator detail show every declared breakdown from this one read. A row:
    ``{key, code, name, name_ar, achieved}`` (for sex and actor type: key and code the
    choice value, name its label in the active language, name_ar empty).
    ``published=True``: from the last open-data release's copy (``PublishedTotal``)."""
    dimensions = list(dict.fromkeys(dimensions))
    if not dimensions:
        return {}
    if any(d not in BREAKDOWN_KEYS for d in dimensions):
        raise ValueError(dimensions)
    PeriodTotal = _totals(published)
    all_keys = {"region_key": 0, "filiere_key": 0, "sex_key": "", "actor_key": ""}
    latest_only = indicator.aggregation in (Aggregation.LATEST, Aggregation.RATIO)
    period = {}
    if latest_only:
        latest = PeriodTotal.objects.filter(indicator=indicator, period_end__lte=as_of, **all_keys).order_by(
            "-period_end", "-period_start"
        )
        period = {
            "period_end": Subquery(latest.values("period_end")[:1]),
            "period_start": Subquery(latest.values("period_start")[:1]),
        }

    def own_latest(dimension, value):
        key = BREAKDOWN_KEYS[dimension]
        keys = {**all_keys, key: value}
        return (
            PeriodTotal.objects.filter(indicator=indicator, period_end__lte=as_of, **keys, **period)
            .order_by("-period_end", "-period_start")
            .values("pk")[:1]
        )

    # Driven from the regions (filières): for each, one seek in the totals' unique index
    # (indicator, region_key, filiere_key, sex_key, actor_key, period_end, …) for its
    # latest row — 12 + 11 seeks whatever the number of periods, instead of reading every
    # stored row. Sex and actor type have no table: one seek per choice, driven from the
    # indicator's own row.
    parts = []
    for dimension in dimensions:
        if dimension in BREAKDOWN_TABLES:
            model = BREAKDOWN_TABLES[dimension]
            parts.append(model.objects.order_by().values(latest=Subquery(own_latest(dimension, OuterRef("pk")))))
        else:
            one = _model("Indicator").objects.filter(pk=indicator.pk).order_by()
            for value in BREAKDOWN_CHOICES[dimension].values:
                parts.append(one.values(latest=Subquery(own_latest(dimension, value))))
    # One IN over a UNION of the ids, read by id: an OR of two INs made PostgreSQL scan
    # every stored total (0.7 s at 1 000 000 measurements) instead.
    latest_ids = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    rows = PeriodTotal.objects.filter(pk__in=latest_ids)
    # A region's row has filiere_key 0, a filière's region_key 0: the name comes from the
    # one table whose key is not 0 (no region or filière has the pk 0).
    tables = [d for d in dimensions if d in BREAKDOWN_TABLES]
    if tables:
        names = {}
        for field in ("code", "name", "name_ar"):
            lookups = [
                Subquery(BREAKDOWN_TABLES[d].objects.filter(pk=OuterRef(BREAKDOWN_KEYS[d])).values(field)[:1])
                for d in tables
            ]
            names[f"scope_{field}"] = Coalesce(*lookups, output_field=CharField()) if len(lookups) > 1 else lookups[0]
        rows = rows.annotate(**names)
    result = {dimension: [] for dimension in dimensions}
    cumulative = not latest_only
    for row in rows:
        if row.sex_key:
            dimension, key = "sex", row.sex_key
        elif row.actor_key:
            dimension, key = "actor_type", row.actor_key
        elif row.region_key:
            dimension, key = "region", row.region_key
        else:
            dimension, key = "filiere", row.filiere_key
        if dimension in BREAKDOWN_CHOICES:
            code, name, name_ar = key, str(BREAKDOWN_CHOICES[dimension](key).label), ""
        else:
            code, name, name_ar = row.scope_code, row.scope_name, row.scope_name_ar
        latest_total = row.total if row.value_rows else None
        result[dimension].append(
            {
                "key": key,
                "code": code,
                "name": name,
                "name_ar": name_ar,
                "achieved": figures.achieved(
                    indicator.aggregation,
                    sum_all=(row.cum_total if row.cum_value_rows else None) if cumulative else latest_total,
                    periods=row.cum_periods if cumulative else 1,
                    latest_total=latest_total,
                    latest_numerator=row.numerator if row.ratio_rows else None,
                    latest_denominator=row.denominator if row.ratio_rows else None,
                ),
            }
        )
    return {
        dimension: sorted(found, key=lambda r, d=dimension: breakdown_order(d, r))
        for dimension, found in result.items()
    }


# ---------------------------------------------------------------- actions and their progress

#: Who annotates an action's milestone counts: contracts registers
#: ``contracts.querysets.action_milestone_counts`` in its ``ready()`` (strategy may not
#: import contracts: docs/architecture.md, registries). ``build(as_of)`` → annotations
#: ``fig_milestones_counted``, ``fig_milestones_met``, ``fig_milestones_partial``.
_MILESTONE_COUNTS = []


def register_milestone_counts(build):
    if build not in _MILESTONE_COUNTS:
        _MILESTONE_COUNTS.append(build)


def milestone_count_annotations(as_of):
    return _MILESTONE_COUNTS[0](as_of) if _MILESTONE_COUNTS else {}


class ActionQuerySet(ReadableQuerySet):
    """Actions with the inputs of their progress (``Action.advancement``:
    strategy.figures.action_progress)."""

    def with_milestone_counts(self, as_of):
        """Each action's milestone counts as of ``as_of`` (the contracts' definition) and
        the date its progress is read at. Its indicators come apart: ``with_progress``,
        or a page that already read them with their figures sets ``figure_indicators``."""
        return self.annotate(
            fig_as_of=Value(as_of, output_field=models.DateField()), **milestone_count_annotations(as_of)
        )

    def with_progress(self, as_of, **scope):
        """``with_milestone_counts`` and its linked indicators with their figures
        (``figure_indicators``, one query for all the rows)."""
        Indicator = _model("Indicator")
        return self.with_milestone_counts(as_of).prefetch_related(
            Prefetch(
                "indicators",
                queryset=Indicator.objects.with_figures(as_of, **scope).order_by("code"),
                to_attr="figure_indicators",
            )
        )
