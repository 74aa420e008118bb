"""The home dashboard's figures, gathered once for the page and the API."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Min
from django.utils import timezone

from artisanat import permissions
from artisanat.choices import Role
from artisanat.dates import today
from artisanat.figures import rate
from contracts.models import Commitment, ContratProgramme, Milestone
from portal.calendar import calendar_reports, summary
from strategy.choices import MeasurementStatus, TrajectoryStatus
from strategy.models import Axis, Indicator, Measurement, Phase
from strategy.querysets import attach_phase_rollups, figures_by_scope, indicator_rollup, phase_scope

# How many off-track indicators and late milestones the home page lists.
TOP = 5


def scope_params(*, as_of=None, phase=None, region=None, filiere=None, sex=None, actor_type=None, **extra):
    """A query string (``as_of=…&phase=…``) carrying a scope to the list behind a number."""
    params = {
        "as_of": as_of.isoformat() if as_of else None,
        "phase": getattr(phase, "pk", phase),
        "region": getattr(region, "pk", region),
        "filiere": getattr(filiere, "pk", filiere),
        "sex": sex,
        "actor_type": actor_type,
        **extra,
    }
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@dataclass
class Todo:
    """What waits for the reader's action, by role (the home page's "Ce qui attend mon
    action"): an editor's rows returned and drafts it may still change; a validator's
    queue and the age in days of its oldest submission; a partner's reports due (the
    reporting calendar: overdue, and those whose period has ended, still to come)."""

    role: str = ""
    returned: int = 0
    drafts: int = 0
    queue: int = 0
    queue_oldest_days: int | None = None
    reports_overdue: int = 0
    reports_pending: int = 0
    next_due: object = None

    @property
    def kind(self):
        if self.role == Role.REPORTER:
            return "reporter"
        if self.role in (Role.VALIDATOR, Role.ADMINISTRATOR):
            return "validator"
        if self.role == Role.EDITOR:
            return "editor"
        return ""


def build_todo(user, waiting, reports):
    """``waiting``: the measurements submitted that ``user`` sees in the scope;
    ``reports``: the reporting calendar ``user`` reads (with the pending reports).
    One query for an editor (its rows by state), one for a validator (the queue's size
    and oldest submission), none for a partner."""
    role = permissions.role_of(user)
    todo = Todo(role=role or "")
    if todo.kind == "editor":
        counts = dict(
            Measurement.objects.visible_to(user)
            .editable_by(user)
            .order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        todo.returned = counts.get(MeasurementStatus.RETURNED, 0)
        todo.drafts = counts.get(MeasurementStatus.DRAFT, 0)
    elif todo.kind == "validator":
        queue = waiting.aggregate(n=Count("pk"), oldest=Min("submitted_at"))
        todo.queue = queue["n"]
        if queue["oldest"] is not None:
            todo.queue_oldest_days = max(0, (today() - timezone.localdate(queue["oldest"])).days)
    elif todo.kind == "reporter":
        todo.reports_overdue = sum(1 for r in reports if r.overdue)
        pending = [r for r in reports if not r.due and not r.received]
        todo.reports_pending = len(pending)
        todo.next_due = min((r.due_date for r in pending), default=None)
    return todo


@dataclass
class Dashboard:
    as_of: object
    axes: list
    phases: list
    current_phase: object
    contracts: list
    late_milestones: int
    waiting_validation: int
    phase: object = None
    region: object = None
    filiere: object = None
    sex: str = ""
    actor_type: str = ""
    status_counts: dict = field(default_factory=dict)
    data_late: int = 0
    execution_by_year: list = field(default_factory=list)
    committed: object = None
    disbursed: object = None
    execution_rate: object = None
    links: dict = field(default_factory=dict)
    reporting: object = None  # portal.calendar.Summary: the reporting calendar's card
    overall: object = None  # the strategy's headline: the roll-up of every indicator in the scope
    off_track: list = field(default_factory=list)  # the TOP indicators furthest off track
    oldest_late_milestones: list = field(default_factory=list)  # the TOP milestones late the longest
    todo: object = None  # Todo: what waits for the reader's action, by role

    @property
    def rows_scoped(self):
        """A region, filière, sex or actor type asked: the cards that stay national (the
        phases, the phase in progress) say so."""
        return bool(self.region or self.filiere or self.sex or self.actor_type)

    @property
    def status_rows(self):
        """(status, label, count, query string of the indicator list behind the count)."""
        return [
            (s.value, s.label, self.status_counts.get(s.value, 0), self.links["indicators"] + f"&status={s.value}")
            for s in TrajectoryStatus
        ]

    @property
    def data_late_query(self):
        """The query string of the indicator list behind the data-late count."""
        return self.links["indicators"] + "&data_late=1"


def build_dashboard(user, as_of, *, phase=None, region=None, filiere=None, sex="", actor_type=""):
    """Axes and phases rolled up, the contracts ``user`` may see with their execution,
    late milestones and measurements waiting for validation — a fixed number of queries.

    ``phase`` scopes the indicators' figures to that phase (``phase_scope``) and keeps
    the contracts (and their milestones) of that phase; ``region`` / ``filiere`` restrict
    the indicators' rows and targets (and ``filiere`` the contracts) to that scope;
    ``sex`` / ``actor_type`` the indicators' rows (no target has them: values without
    progress) and the measurements waiting. Phases stay national (docs/figures.md)."""
    scope = phase_scope(phase) if phase is not None else {}
    if region is not None:
        scope["region"] = region
    if filiere is not None:
        scope["filiere"] = filiere
    if sex:
        scope["sex"] = sex
    if actor_type:
        scope["actor_type"] = actor_type
    if scope:
        axes = list(Axis.objects.visible_to(user).with_rollup(as_of, **scope).select_related("strategy"))
        phases = list(Phase.objects.visible_to(user).with_rollup(as_of))
    else:  # the axes' indicators (as of ``as_of``) and each phase's (scoped to it) in one query
        axes = list(Axis.objects.visible_to(user).select_related("strategy"))
        phases = list(Phase.objects.visible_to(user))
        strategy_of = {axis.pk: axis.strategy_id for axis in axes}
        scopes = {(as_of, None)} | {(as_of, p.end_date) for p in phases}
        indicators = Indicator.objects.filter(axis__in=list(strategy_of))
        by_scope = figures_by_scope(indicators, scopes) if axes else {key: [] for key in scopes}
        for axis in axes:
            axis.figure_indicators = [i for i in by_scope[(as_of, None)] if i.axis_id == axis.pk]
        if phases:
            attach_phase_rollups(phases, as_of, indicators_by_scope=by_scope)
    status_counts = {s.value: 0 for s in TrajectoryStatus}
    data_late = 0
    for axis in axes:
        axis.figures = axis.rollup
        for status, count in axis.figures.status_counts.items():
            status_counts[status] += count
        data_late += axis.figures.data_late
    current = next((p for p in phases if p.start_date <= as_of <= p.end_date), None)
    if current is not None:
        current.elapsed = current.elapsed_share(as_of) * 100

    contracts = ContratProgramme.objects.visible_to(user)
    commitments = Commitment.objects.visible_to(user)
    if phase is not None:
        contracts = contracts.filter(phase=phase)
        commitments = commitments.filter(party__contract__phase=phase)
    if filiere is not None:
        contracts = contracts.filter(filiere=filiere)
        commitments = commitments.filter(party__contract__filiere=filiere)
    by_year = commitments.execution_by_year(as_of)
    committed = sum((row["committed"] for row in by_year), 0)
    disbursed = sum((row["disbursed"] for row in by_year), 0)

    waiting = Measurement.objects.visible_to(user).waiting_validation()
    if region is not None:
        waiting = waiting.filter(region=region)
    if filiere is not None:
        waiting = waiting.filter(filiere=filiere)
    if sex:
        waiting = waiting.filter(sex=sex)
    if actor_type:
        waiting = waiting.filter(actor_type=actor_type)

    # Late milestones: summed from the contracts' own counts (same contracts, same rule).
    contracts = list(contracts.with_execution(as_of).select_related("phase", "filiere"))
    late = Milestone.objects.visible_to(user).late(as_of).with_late(as_of)
    if phase is not None:
        late = late.filter(contract__phase=phase)
    if filiere is not None:
        late = late.filter(contract__filiere=filiere)
    oldest_late = list(late.select_related("contract", "responsible").order_by("due_date", "pk")[:TOP])

    # The strategy's headline and the indicators furthest off track: the axes' indicators,
    # already read with their figures in the scope (no query).
    indicators = [i for axis in axes for i in axis.figure_indicators]
    off_track = sorted(
        (i for i in indicators if i.status == TrajectoryStatus.OFF_TRACK),
        key=lambda i: (i.performance if i.performance is not None else 0, i.code),
    )[:TOP]
    _as_of, reports = calendar_reports(user, {"as_of": as_of, "region": getattr(region, "pk", None)})

    base = {"as_of": as_of}
    rows = {"region": region, "filiere": filiere, "sex": sex, "actor_type": actor_type}
    links = {
        "indicators": scope_params(**base, phase=phase, **rows),
        "contracts": scope_params(**base, phase=phase, filiere=filiere),
        "late_milestones": scope_params(**base, phase=phase, filiere=filiere, late="true"),
        "waiting": scope_params(**rows, status="submitted"),
        "scope": scope_params(**base, phase=phase, **rows),
        "calendar": scope_params(**base, region=region),
        "as_of": scope_params(**base),
    }
    todo = build_todo(user, waiting, reports)
    return Dashboard(
        as_of=as_of,
        axes=axes,
        phases=phases,
        current_phase=current,
        contracts=contracts,
        late_milestones=sum(c.fig_milestones_late or 0 for c in contracts),
        waiting_validation=todo.queue if todo.kind == "validator" else waiting.count(),
        phase=phase,
        region=region,
        filiere=filiere,
        sex=sex,
        actor_type=actor_type,
        status_counts=status_counts,
        data_late=data_late,
        execution_by_year=by_year,
        committed=committed,
        disbursed=disbursed,
        execution_rate=rate(disbursed, committed),
        links=links,
        reporting=summary(reports),
        overall=indicator_rollup(indicators),
        off_track=off_track,
        oldest_late_milestones=oldest_late,
        todo=todo,
    )
