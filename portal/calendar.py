"""The reporting calendar's surfaces (page, exports, API, home and organisation cards):
the filters applied to the one definition (strategy/calendar.py), the grid
organisations × periods and the export columns. Every number here is
``calendar.rates`` over the same list of expected reports."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from artisanat.dates import today
from artisanat.exports import Column
from strategy.calendar import Rates, calendar_visible_to, rates, scoped
from strategy.choices import ReportState
from strategy.models import Indicator

# A cell holding several reports shows the worst of their states.
WORST_FIRST = (ReportState.OVERDUE, ReportState.LATE, ReportState.PENDING, ReportState.ON_TIME)
NOT_EXPECTED = "none"
NOT_EXPECTED_LABEL = _("Non attendu")


# The calendar lists the reports due between these days: any ``as_of`` may be asked
# (0001-01-01 lists nothing, 9999-12-31 the reports due by 2100, as of 9999), but the
# list never runs beyond the dates a calendar can hold nor grows without end.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def calendar_reports(user, values):
    """``(as_of, reports)``: the calendar ``user`` may read as of ``values["as_of"]``
    (today when None), narrowed by the CalendarForm's filters, with the reports of the
    periods ended but not due yet ("pending"). Three queries."""
    as_of = values.get("as_of") or today()
    until = min(max(as_of, FIRST_DAY), LAST_DAY)
    indicators = Indicator.objects.all()
    if values.get("indicator"):
        indicators = indicators.filter(pk=values["indicator"])
    reports = calendar_visible_to(
        user, as_of, indicators=indicators, organisation=values.get("organisation"), until=until, with_pending=True
    )
    return as_of, scoped(reports, region=values.get("region"), year=values.get("year"), state=values.get("state"))


@dataclass
class Summary:
    """The cards of the home and organisation pages: the rates and the overdue count."""

    rates: Rates
    overdue: int


def summary(reports):
    return Summary(rates(reports), sum(1 for r in reports if r.overdue))


@dataclass
class Cell:
    reports: list

    @property
    def state(self):
        states = {r.state for r in self.reports}
        return next((s for s in WORST_FIRST if s in states), NOT_EXPECTED)

    @property
    def label(self):
        return ReportState(self.state).label if self.state != NOT_EXPECTED else NOT_EXPECTED_LABEL

    @property
    def rates(self):
        return rates(self.reports)

    @property
    def title(self):
        """Each report of the cell, for the tooltip."""
        return "; ".join(f"{r.indicator_code} {r.period.label} : {ReportState(r.state).label}" for r in self.reports)


@dataclass
class Row:
    organisation_id: int
    organisation: str
    indicator_id: int | None
    indicator: str | None
    cells: list = field(default_factory=list)
    rates: Rates = None


@dataclass
class Grid:
    columns: list  # (key, label)
    rows: list
    column_rates: list
    overall: Rates
    by_period: bool

    @property
    def footer(self):
        """(column label, Rates) per column."""
        return [(label, r) for (_key, label), r in zip(self.columns, self.column_rates, strict=True)]


def build_grid(reports, *, by_indicator=False, by_period=False):
    """Rows: organisations (× indicators when ``by_indicator``); columns: years, or the
    periods themselves when ``by_period`` (one year shown). Rates per row, per column
    and overall, all ``calendar.rates`` of the reports they hold."""

    def column_of(r):
        return (r.period.start, r.period.end) if by_period else r.period.start.year

    labels = {}
    for r in reports:
        labels.setdefault(column_of(r), r.period.label if by_period else str(r.period.start.year))
    columns = sorted(labels)
    index = {key: n for n, key in enumerate(columns)}
    rows = {}
    for r in reports:
        key = (r.organisation_acronym, r.indicator_code) if by_indicator else (r.organisation_acronym, None)
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(
                r.organisation_id,
                r.organisation_acronym,
                r.indicator_id if by_indicator else None,
                r.indicator_code if by_indicator else None,
                [Cell([]) for _ in columns],
            )
        row.cells[index[column_of(r)]].reports.append(r)
    ordered = [rows[key] for key in sorted(rows)]
    for row in ordered:
        row.rates = rates([r for cell in row.cells for r in cell.reports])
    by_column = [[] for _ in columns]
    for r in reports:
        by_column[index[column_of(r)]].append(r)
    return Grid(
        columns=[(key, labels[key]) for key in columns],
        rows=ordered,
        column_rates=[rates(group) for group in by_column],
        overall=rates(reports),
        by_period=by_period,
    )


def export_columns(region_codes):
    """The rows of the exports: one expected report a line, with its state and days late
    (completeness = lines on_time or late ÷ lines not pending; timeliness = on_time ÷
    the same)."""
    return [
        Column("indicator", lambda r: r.indicator_code),
        Column("organisation", lambda r: r.organisation_acronym),
        Column("region", lambda r: region_codes.get(r.region_id, "")),
        Column("period", lambda r: r.period.label),
        Column("period_start", lambda r: r.period.start),
        Column("period_end", lambda r: r.period.end),
        Column("due_date", lambda r: r.due_date),
        Column("submitted_on", lambda r: r.submitted_on),
        Column("state", lambda r: str(r.state)),
        Column("days_late", lambda r: r.days_late),
        Column("as_of", lambda r: r.as_of),
    ]
