"""Export columns of the strategy's lists. The measurement columns are also the columns
a partner's bulk submission uses (CSV or XLSX), so an export can be edited and sent back."""

from artisanat.exports import Column


def _code(attr):
    def get(row):
        related = getattr(row, attr)
        return related.code if related is not None else ""

    return get


MEASUREMENT_COLUMNS = [
    Column("id", lambda m: m.pk),
    Column("indicator", lambda m: m.indicator.code),
    Column("period_start", lambda m: m.period_start),
    Column("period_end", lambda m: m.period_end),
    Column("value", lambda m: m.value),
    Column("numerator", lambda m: m.numerator),
    Column("denominator", lambda m: m.denominator),
    Column("region", _code("region")),
    Column("filiere", _code("filiere")),
    Column("sex", lambda m: m.sex),
    Column("actor_type", lambda m: m.actor_type),
    Column("source", lambda m: m.source),
    Column("organisation", lambda m: m.organisation.acronym),
    Column("status", lambda m: m.status),
    Column("status_reason", lambda m: m.status_reason),
    Column("version", lambda m: m.version),
]
MEASUREMENT_RELATED = ("indicator", "region", "filiere", "organisation")

# Columns a bulk submission reads (the rest of the export is ignored on the way in).
MEASUREMENT_IMPORT_COLUMNS = [
    "indicator",
    "period_start",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "region",
    "filiere",
    "sex",
    "actor_type",
    "source",
]

# Indicator list: the figures of Indicator.objects.with_figures() as of the page's date.
INDICATOR_COLUMNS = [
    Column("code", lambda i: i.code),
    Column("name", lambda i: i.name),
    Column("axis", lambda i: i.axis.number),
    Column("programme", _code("programme")),
    Column("unit", lambda i: i.unit),
    Column("direction", lambda i: i.direction),
    Column("aggregation", lambda i: i.aggregation),
    Column("frequency", lambda i: i.frequency),
    Column("report_delay_days", lambda i: i.report_delay_days),
    Column("baseline_value", lambda i: i.baseline_value),
    Column("baseline_date", lambda i: i.baseline_date),
    Column("as_of", lambda i: i.fig_as_of),
    Column("achieved", lambda i: i.achieved),
    Column("target_date", lambda i: i.fig_target_date),
    Column("target_value", lambda i: i.target_value),
    Column("progress_pct", lambda i: i.progress),
    Column("expected", lambda i: i.expected),
    Column("status_expected", lambda i: i.status_expected),
    Column("status", lambda i: i.status),
    Column("data_late_since", lambda i: i.data_late_since),
    Column("forecast_date", lambda i: i.forecast_date),
]
INDICATOR_RELATED = ("axis", "programme")


# Columns of the other strategy lists (API ``?format=csv|xlsx`` and the staff pages).
def _rollup(attr):
    return lambda row: getattr(row.rollup, attr)


STRATEGY_COLUMNS = [
    Column("id", lambda s: s.pk),
    Column("name", lambda s: s.name),
    Column("start_date", lambda s: s.start_date),
    Column("end_date", lambda s: s.end_date),
]
# The roll-up's columns, shared by phases, axes and programmes (strategy.figures.RollUp).
ROLLUP_COLUMNS = [
    Column("progress", _rollup("progress")),
    Column("status", _rollup("status")),
    Column("with_data", _rollup("with_data")),
    Column("without_data", _rollup("without_data")),
    Column("without_target", _rollup("without_target")),
    Column("data_late", _rollup("data_late")),
]
PHASE_COLUMNS = [
    Column("id", lambda p: p.pk),
    Column("code", lambda p: p.code),
    Column("name", lambda p: p.name),
    Column("order", lambda p: p.order),
    Column("start_date", lambda p: p.start_date),
    Column("end_date", lambda p: p.end_date),
    *ROLLUP_COLUMNS,
]
AXIS_COLUMNS = [
    Column("id", lambda a: a.pk),
    Column("number", lambda a: a.number),
    Column("title", lambda a: a.title),
    *ROLLUP_COLUMNS,
]
PROGRAMME_COLUMNS = [
    Column("id", lambda p: p.pk),
    Column("axis", lambda p: p.axis.number),
    Column("code", lambda p: p.code),
    Column("title", lambda p: p.title),
    *ROLLUP_COLUMNS,
]
ACTION_COLUMNS = [
    Column("id", lambda a: a.pk),
    Column("code", lambda a: a.code),
    Column("title", lambda a: a.title),
    Column("programme", lambda a: a.programme.code),
    Column("phase", lambda a: a.phase.code),
    Column("lead_organisation", lambda a: a.lead_organisation.acronym),
    Column("start_date", lambda a: a.start_date),
    Column("end_date", lambda a: a.end_date),
    Column("budget", lambda a: a.budget),
    Column("status", lambda a: a.status),
    # Computed (strategy.figures.action_progress: needs Action.objects.with_progress).
    Column("progress", lambda a: a.advancement.value),
    Column("progress_source", lambda a: a.advancement.source),
    Column("manual_progress", lambda a: a.progress if a.progress_date else None),
    Column("progress_reason", lambda a: a.progress_reason),
    Column("progress_date", lambda a: a.progress_date),
]
TARGET_COLUMNS = [
    Column("id", lambda t: t.pk),
    Column("indicator", lambda t: t.indicator.code),
    Column("due_date", lambda t: t.due_date),
    Column("value", lambda t: t.value),
    Column("region", _code("region")),
    Column("filiere", _code("filiere")),
    Column("source", lambda t: t.source),
    Column("version", lambda t: t.version),
]

# The report's written comments (API ``/api/v1/indicator-comments/?format=csv|xlsx``).
INDICATOR_COMMENT_COLUMNS = [
    Column("id", lambda c: c.pk),
    Column("indicator", lambda c: c.indicator.code),
    Column("year", lambda c: c.year),
    Column("text", lambda c: c.text),
    Column("text_ar", lambda c: c.text_ar),
    Column("version", lambda c: c.version),
    Column("updated_at", lambda c: c.updated_at),
]
