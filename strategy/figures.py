"""The product's formulas, written once as pure functions on Decimals.

The SQL aggregates (period totals, latest period, targets around a date) come from
``strategy.querysets``; these functions turn them into achieved value, progress,
expected value, status, forecast and roll-ups. See docs/figures.md.
"""

import math
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings

from artisanat.figures import CENT, HUNDRED, quantize, rate
from strategy import periods
from strategy.choices import Aggregation, Direction, ProgressSource, TrajectoryStatus


def achieved(aggregation, *, sum_all, periods, latest_total, latest_numerator, latest_denominator):
    """Achieved value from validated rows, by the indicator's aggregation rule; None = no data."""
    if aggregation == Aggregation.SUM:
        return quantize(sum_all)
    if aggregation == Aggregation.LATEST:
        return quantize(latest_total)
    if aggregation == Aggregation.AVERAGE:
        if sum_all is None or not periods:
            return None
        return quantize(Decimal(sum_all) / Decimal(periods))
    if aggregation == Aggregation.RATIO:
        if latest_numerator is None or not latest_denominator:
            return None
        return quantize(Decimal(latest_numerator) * HUNDRED / Decimal(latest_denominator))
    raise ValueError(f"unknown aggregation {aggregation!r}")


def measurement_amount(value, numerator, denominator):
    """One measurement's figure: its value, or for a ratio numerator ÷ denominator in %
    — the very percentage ``achieved`` gives a ratio indicator (2 194 / 5 644 → 38,8733).
    None when the row holds neither."""
    if value is not None:
        return quantize(value)
    return achieved(
        Aggregation.RATIO,
        sum_all=None,
        periods=1,
        latest_total=None,
        latest_numerator=numerator,
        latest_denominator=denominator,
    )


def change(previous, current):
    """(current − previous, that change in % of the previous value's size): what moved
    since the previous period of the same series. (None, None) without either value; the
    percentage None when the previous value is 0 (no division by zero). For a ratio the
    change is in percentage points."""
    if previous is None or current is None:
        return None, None
    difference = current - previous
    return difference, rate(difference, abs(previous))


def age_days(since, as_of):
    """Whole days from ``since`` (a date) to ``as_of``; None without ``since``."""
    if since is None:
        return None
    return (as_of - since).days


def achieved_series(aggregation, period_totals):
    """The achieved value at the end of each validated period, oldest first:
    [(period_end, achieved)] — ``achieved`` applied to the periods up to each one.
    ``period_totals``: rows of ``stored_period_totals`` (strategy/querysets.py)."""
    series, running = [], Decimal(0)
    for count, row in enumerate(period_totals, start=1):
        if row["total"] is not None:
            running += row["total"]
        value = achieved(
            aggregation,
            sum_all=running if aggregation != Aggregation.RATIO else None,
            periods=count,
            latest_total=row["total"],
            latest_numerator=row["numerator"],
            latest_denominator=row["denominator"],
        )
        if value is not None:
            series.append((row["period_end"], value))
    return series


def _reached(value, goal, direction):
    return value >= goal if direction == Direction.INCREASE else value <= goal


def progress(achieved_value, baseline, target, direction):
    """(achieved − baseline) ÷ (target − baseline) in %, not clamped; None without data or target."""
    if achieved_value is None or target is None or baseline is None:
        return None
    if target == baseline:
        return HUNDRED if _reached(achieved_value, target, direction) else Decimal(0)
    return quantize((achieved_value - baseline) * HUNDRED / (target - baseline), CENT)


def scoped_baseline(aggregation, baseline):
    """The baseline a region's or a filière's figures start from: the baseline is
    national, so a scope may use it only for a cumulative count from zero (``sum`` with a
    baseline of 0); otherwise None (no progress for the scope, not one measured from the
    wrong base). docs/figures.md, "Scopes: a region, a filière"."""
    if aggregation == Aggregation.SUM and baseline == 0:
        return baseline
    return None


def regional_progress(aggregation, baseline, direction, achieved_by_region, target_by_region):
    """``{region: progress in % or None}``: each region's achieved value against its own
    target, from the scoped baseline (``scoped_baseline``); None for a region without a
    value, a target, or a baseline it may start from."""
    start = scoped_baseline(aggregation, baseline)
    return {
        region: progress(value, start, target_by_region.get(region), direction)
        for region, value in achieved_by_region.items()
    }


def expected_value(as_of, baseline, baseline_date, prev_date, prev_value, next_date, next_value):
    """Expected value at ``as_of``: linear between the last point due on or before it
    (the last target already due, else the baseline) and the first target due after it."""
    if baseline is None or (prev_date is None and next_date is None):
        return None  # no target, or no baseline for this scope: nothing to expect
    if prev_date is not None and prev_date >= baseline_date:
        start_date, start_value = prev_date, prev_value
    else:
        start_date, start_value = baseline_date, baseline
    if next_date is None or as_of <= start_date:
        return quantize(start_value)
    span = (next_date - start_date).days
    done = (as_of - start_date).days
    return quantize(start_value + (next_value - start_value) * Decimal(done) / Decimal(span))


def next_report(frequency, latest_end, strategy_start, baseline_date):
    """The period whose report is owed next: the one following the latest validated
    period (ending ``latest_end``); without data, the first period of ``frequency`` at the
    strategy's start (the one containing the baseline date, if that is later)."""
    if latest_end is not None:
        return periods.period_containing(frequency, latest_end + timedelta(days=1))
    first_day = max(strategy_start, baseline_date) if baseline_date else strategy_start
    return periods.period_containing(frequency, first_day)


def data_late_since(as_of, frequency, delay_days, latest_end, strategy_start, baseline_date, strategy_end=None):
    """The due date of the indicator's next report (``next_report``: period end +
    ``delay_days``) when it is before ``as_of`` — the data are late since then — else
    None. A period that starts after the strategy's end is owed by nobody."""
    period = next_report(frequency, latest_end, strategy_start, baseline_date)
    if strategy_end is not None and period.start > strategy_end:
        return None
    due = period.due_date(delay_days)
    return due if due < as_of else None


def performance(achieved_value, baseline, expected, direction):
    """(achieved − baseline) ÷ (expected − baseline) as a ratio, unrounded so that the
    status bands are applied to the exact value; None without data."""
    if achieved_value is None or expected is None or baseline is None:
        return None
    if expected == baseline:
        return Decimal(1) if _reached(achieved_value, expected, direction) else Decimal(0)
    return (achieved_value - baseline) / (expected - baseline)


def trajectory_status(performance_ratio):
    """On track / at risk / off track by the bands in settings; no data stays no data."""
    if performance_ratio is None:
        return TrajectoryStatus.NO_DATA
    if performance_ratio >= settings.STATUS_ON_TRACK_MIN:
        return TrajectoryStatus.ON_TRACK
    if performance_ratio >= settings.STATUS_AT_RISK_MIN:
        return TrajectoryStatus.AT_RISK
    return TrajectoryStatus.OFF_TRACK


def forecast_date(achieved_value, latest_end, baseline, baseline_date, goal):
    """When the pace measured from the baseline to the latest validated period meets ``goal``.

    None without data or goal, and when the pace is zero or goes the wrong way."""
    if achieved_value is None or latest_end is None or goal is None or baseline is None:
        return None
    days = (latest_end - baseline_date).days
    if days <= 0:
        return None
    wanted = goal - baseline
    pace = (achieved_value - baseline) / Decimal(days)
    if pace == 0 or wanted == 0 or (pace > 0) != (wanted > 0):
        return None
    remaining = goal - achieved_value
    if (remaining > 0) != (wanted > 0) or remaining == 0:
        return latest_end  # already met
    try:
        return latest_end + timedelta(days=math.ceil(remaining / pace))
    except OverflowError:
        return None  # at this pace, not before the calendar ends: no forecast


def clamp(value, low=Decimal(0), high=HUNDRED):
    return min(max(value, low), high)


@dataclass
class RollUp:
    """Weighted mean of clamped progress over the indicators that have data."""

    progress: Decimal | None = None
    status: str = TrajectoryStatus.NO_DATA
    with_data: int = 0
    without_data: int = 0
    without_target: int = 0
    status_counts: dict = field(default_factory=dict)
    data_late: int = 0

    @property
    def total(self):
        return self.with_data + self.without_data + self.without_target

    @property
    def only_without_target(self):
        """Indicators there, none of them with a target to measure against (scoped to a
        phase: none due at its end): "no target", not "no data"."""
        return self.with_data == 0 and self.without_target > 0


def rollup(rows):
    """``rows``: iterable of (progress %, weight, performance ratio[, has data[, data
    late[, has target]]]). Each progress is clamped to 0–100 % and each performance to
    0–1 first, so an over-achiever cannot hide a laggard; rows without data, and rows
    with data but no target to measure against, are counted beside the mean, not in it;
    a row without target (``has target`` false: scoped to a phase, none due at its end)
    counts as without target whether it has data or not. ``data_late`` counts the rows
    whose next report is overdue, whatever their status."""
    result = RollUp(status_counts={s.value: 0 for s in TrajectoryStatus})
    weighted_progress = weighted_perf = total_weight = Decimal(0)
    for row in rows:
        row_progress, weight, perf = row[:3]
        has_data = row[3] if len(row) > 3 else row_progress is not None
        result.status_counts[trajectory_status(perf).value] += 1
        if len(row) > 4 and row[4]:
            result.data_late += 1
        if row_progress is None or perf is None:
            if has_data or (len(row) > 5 and not row[5]):
                result.without_target += 1
            else:
                result.without_data += 1
            continue
        result.with_data += 1
        weighted_progress += clamp(row_progress) * weight
        weighted_perf += clamp(perf, Decimal(0), Decimal(1)) * weight
        total_weight += weight
    if total_weight:
        result.progress = quantize(weighted_progress / total_weight, CENT)
        result.status = trajectory_status(weighted_perf / total_weight)
    return result


def milestone_completion(met, partially_met, counted):
    """Milestone completion in %: (met + ½ partially met) ÷ milestones not cancelled;
    None without a milestone to count. The one formula of a contract's completion
    (contracts.models.ContratProgramme.milestone_completion) and of an action's
    milestones part (``action_progress``); the counts as of a date are
    contracts.querysets.milestone_counts."""
    done = (met or 0) + Decimal(partially_met or 0) / 2
    return rate(done, counted)


@dataclass
class ActionProgress:
    """An action's progress and where it comes from (``source``: ProgressSource)."""

    value: Decimal | None
    source: str
    indicators: Decimal | None = None  # roll-up of its linked indicators
    milestones: Decimal | None = None  # completion of its linked milestones
    manual: Decimal | None = None  # the value entered by hand, when it counts

    @property
    def is_manual(self):
        return self.source == ProgressSource.MANUAL


def action_progress(indicators_part, milestones_part, manual=None):
    """An action's progress in %, from its parts (docs/figures.md, "Avancement d'une
    action"):

    - ``indicators_part``: the roll-up of its linked indicators (``rollup(...).progress``:
      weighted mean of their progress clamped to 0–100 %), None when none has data and
      a target;
    - ``milestones_part``: ``milestone_completion`` of its linked milestones, None when
      none counts;
    - both: their plain mean (results and deliverables weigh the same, whatever the
      number of rows behind each);
    - neither: ``manual``, the value entered by hand with its reason (None when none was
      entered by the date asked)."""
    if indicators_part is not None and milestones_part is not None:
        value = quantize((indicators_part + milestones_part) / 2, CENT)
        return ActionProgress(value, ProgressSource.BOTH, indicators_part, milestones_part)
    if indicators_part is not None:
        return ActionProgress(indicators_part, ProgressSource.INDICATORS, indicators_part)
    if milestones_part is not None:
        return ActionProgress(milestones_part, ProgressSource.MILESTONES, None, milestones_part)
    if manual is not None:
        return ActionProgress(quantize(manual, CENT), ProgressSource.MANUAL, manual=manual)
    return ActionProgress(None, ProgressSource.NONE)
