"""The reporting calendar: which reports are owed, received, on time or late, as of a
date. One definition (docs/figures.md, "Reporting calendar"); the calendar page, the
home and organisation pages, the API, the exports and the reminders all read it.

- An indicator is reported by its reporting organisations (active ones), one report
  per period of its frequency (strategy/periods.py), from the strategy's start; a
  period's report is **due** ``report_delay_days`` after the period's end.
- An indicator broken down by region, reported by an organisation that has a region
  (a regional chamber), is owed for that region: the report is its rows of that
  region. Any other organisation owes one report per period, whatever rows it holds.
- A report is **received** as of D when one of its rows was first submitted on or
  before D (``Measurement.submitted_at``, kept on resubmission: a returned row stays
  received); **on time** when that first submission was on or before the due date.
- **Expected** as of D: the reports due before D (on its due date a report is still
  pending). **Completeness** = received ÷
  expected, **timeliness** = on time ÷ expected, per organisation, indicator, region
  or period.

Three queries whatever the length of the calendar: the indicators, their reporting
organisations, and the first submission of every (indicator, organisation, period,
region) — the calendar itself is built in memory from them."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Min
from django.utils import timezone

from artisanat import permissions
from artisanat.figures import rate
from strategy import periods
from strategy.choices import ReportState


@dataclass(frozen=True)
class ExpectedReport:
    """One report owed by an organisation for an indicator, a period (and a region)."""

    indicator_id: int
    indicator_code: str
    organisation_id: int
    organisation_acronym: str
    region_id: int | None
    period: periods.Period
    due_date: dt.date
    submitted_on: dt.date | None  # first submission, in the portal's time zone
    as_of: dt.date

    @property
    def due(self):
        """Owed as of ``as_of``: its due date has passed (on the due date itself the
        organisation still has the day; "data late" in strategy.figures draws the same
        line)."""
        return self.due_date < self.as_of

    @property
    def received(self):
        return self.submitted_on is not None

    @property
    def on_time(self):
        return self.received and self.submitted_on <= self.due_date

    @property
    def overdue(self):
        """Due and still not received."""
        return self.due and not self.received

    @property
    def days_late(self):
        """Days past the due date: until the submission, or until ``as_of`` while it
        is missing; 0 when on time or not due yet."""
        end = self.submitted_on if self.received else self.as_of
        return max(0, (end - self.due_date).days)

    @property
    def state(self):
        """ "on_time", "late" (received after its due date), "overdue" (missing past
        its due date) or "pending" (not due yet)."""
        if self.on_time:
            return ReportState.ON_TIME
        if self.received:
            return ReportState.LATE
        return ReportState.OVERDUE if self.due else ReportState.PENDING


@dataclass(frozen=True)
class Rates:
    expected: int = 0
    received: int = 0
    on_time: int = 0

    @property
    def completeness(self):
        """received ÷ expected in %, None when nothing is expected."""
        return rate(self.received, self.expected)

    @property
    def timeliness(self):
        """on time ÷ expected in %, None when nothing is expected."""
        return rate(self.on_time, self.expected)

    @property
    def late(self):
        return self.expected - self.on_time


def rates(reports):
    """Completeness and timeliness of ``reports``: only those due count."""
    due = [r for r in reports if r.due]
    return Rates(len(due), sum(r.received for r in due), sum(r.on_time for r in due))


def rates_by(reports, key):
    """``{key(report): Rates}`` over the due reports, e.g. ``key=lambda r: r.organisation_id``."""
    groups = defaultdict(list)
    for report in reports:
        if report.due:
            groups[key(report)].append(report)
    return {k: rates(v) for k, v in groups.items()}


def expected_reports(indicators, as_of, *, until=None, organisation=None, with_pending=False):
    """Every report owed by ``indicators`` (a queryset) whose due date is on or before
    ``until`` (default ``as_of``), with its state as of ``as_of``; sorted by due date,
    indicator code, organisation. ``organisation``: only that organisation's reports.
    ``until`` later than ``as_of`` adds the reports coming due (the reminders);
    ``with_pending`` adds those of every period ended by ``as_of`` (and ``until``) whose
    due date has not come (the calendar's "pending" cells). Neither changes what counts: only the
    due reports enter ``rates``."""
    until = until or as_of
    Measurement = apps.get_model("strategy", "Measurement")
    rows = list(
        indicators.order_by("code").values(
            "pk", "code", "frequency", "report_delay_days", "by_region", "axis__strategy__start_date"
        )
    )
    if not rows:
        return []
    Through = apps.get_model("strategy", "Indicator").reporting_organisations.through
    owners = Through.objects.filter(indicator_id__in=[r["pk"] for r in rows], organisation__active=True)
    if organisation is not None:
        owners = owners.filter(organisation=organisation)
    by_indicator = defaultdict(list)
    for indicator_id, org_id, acronym, region_id in owners.order_by("organisation__acronym").values_list(
        "indicator_id", "organisation_id", "organisation__acronym", "organisation__region_id"
    ):
        by_indicator[indicator_id].append((org_id, acronym, region_id))
    # The first submission of each (indicator, organisation, period, region), submitted
    # by the end of ``as_of`` in the portal's time zone.
    # (On 31/12/9999, the last day a date holds, to its start: no day follows it.)
    next_day = as_of + dt.timedelta(days=1) if as_of < dt.date.max else as_of
    end_of_day = timezone.make_aware(dt.datetime.combine(next_day, dt.time()))
    firsts = (
        Measurement.objects.filter(
            indicator_id__in=list(by_indicator), submitted_at__isnull=False, submitted_at__lt=end_of_day
        )
        .values("indicator_id", "organisation_id", "period_start", "period_end", "region_id")
        .annotate(first=Min("submitted_at"))
        .order_by()
    )
    if organisation is not None:
        firsts = firsts.filter(organisation=organisation)
    submitted = {}
    for row in firsts:
        first = timezone.localtime(row["first"]).date()
        for region_key in (row["region_id"], "any"):
            key = (row["indicator_id"], row["organisation_id"], row["period_start"], row["period_end"], region_key)
            if key not in submitted or first < submitted[key]:
                submitted[key] = first
    reports = []
    for row in rows:
        delay = row["report_delay_days"]
        last_end = until - dt.timedelta(days=delay)
        if with_pending:
            last_end = max(last_end, min(as_of, until))
        for period in periods.periods_between(row["frequency"], row["axis__strategy__start_date"], last_end):
            for org_id, acronym, org_region in by_indicator.get(row["pk"], ()):
                region_id = org_region if row["by_region"] and org_region else None
                region_key = region_id if region_id is not None else "any"
                reports.append(
                    ExpectedReport(
                        indicator_id=row["pk"],
                        indicator_code=row["code"],
                        organisation_id=org_id,
                        organisation_acronym=acronym,
                        region_id=region_id,
                        period=period,
                        due_date=period.due_date(delay),
                        submitted_on=submitted.get((row["pk"], org_id, period.start, period.end, region_key)),
                        as_of=as_of,
                    )
                )
    reports.sort(key=lambda r: (r.due_date, r.indicator_code, r.organisation_acronym, r.region_id or 0))
    return reports


def calendar_visible_to(user, as_of, *, indicators=None, organisation=None, **options):
    """The reporting calendar ``user`` may read (artisanat/permissions.py): ministry
    roles every organisation's, a partner reporter only its own (another organisation
    asked for gives nothing), anybody else nothing. ``indicators``: a queryset of
    indicators to narrow to (default all); ``organisation`` (an Organisation or its id):
    only that organisation's reports. Same three queries as ``expected_reports`` (none
    when nothing may be read)."""
    if permissions.is_reporter(user):
        own = permissions.organisation_id_of(user)
        if organisation is not None and getattr(organisation, "pk", organisation) != own:
            return []
        organisation = own
    elif not permissions.is_ministry(user):
        return []
    if indicators is None:
        indicators = apps.get_model("strategy", "Indicator").objects.all()
    return expected_reports(indicators.visible_to(user), as_of, organisation=organisation, **options)


def scoped(reports, *, region=None, year=None, state=None):
    """``reports`` narrowed in memory (no query): owed for ``region`` (an id; only the
    reports of a regional organisation for a regional indicator have one), for a period
    of ``year``, in ``state``."""
    if region is not None:
        reports = [r for r in reports if r.region_id == region]
    if year is not None:
        reports = [r for r in reports if r.period.start.year == year]
    if state is not None:
        reports = [r for r in reports if r.state == state]
    return list(reports)


def overdue(reports):
    """The reports due and not received, the longest overdue first."""
    return sorted(
        (r for r in reports if r.overdue),
        key=lambda r: (-r.days_late, r.indicator_code, r.organisation_acronym, r.period.start),
    )
