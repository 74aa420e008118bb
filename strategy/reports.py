"""The performance report (the yearly LOF report, and the quarterly review) as data: one
builder that the page, its CSV / XLSX exports, the PDF and the frozen publications all
read, so the report has one definition.

``build_report(spec, user)`` returns the report's sections (programme → indicators)
with, for each indicator, exactly what the page renders: code, names, unit, the value
achieved as of the report's date, the targets of the report's year and the next three,
the status, progress and forecast (``Indicator.objects.with_figures``, the figures'
one definition: a change of how a status is judged flows into the report) and the
comment written for the year. ``freeze`` turns it into JSON (decimals as strings,
dates as ISO text), ``thaw`` back into Python values, ``compare`` sets a published
report beside the same report today, cell by cell."""

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Min, Q
from django.utils.translation import gettext as _

from artisanat.exports import Column
from strategy.choices import ReportKind, Unit
from strategy.models import Indicator, IndicatorComment, Programme, Strategy, Target

#: How many years of targets a report shows: its year and the next three (LOF).
TARGET_YEARS = 4
#: Row fields holding a Decimal (JSON: a string, exact), a date (ISO text).
DECIMAL_FIELDS = ("achieved", "progress")
DATE_FIELDS = ("forecast_date", "data_late_since")
#: The cells ``compare`` sets side by side, those the publication's page shows (targets
#: are compared year by year).
COMPARED_FIELDS = ("achieved", "status", "progress", "comment")


@dataclass(frozen=True)
class ReportSpec:
    """Which report: ``kind`` (ReportKind), ``year``, and ``quarter`` (1–4) for a
    quarterly review. The figures are those as of the period's last day."""

    kind: str
    year: int
    quarter: int | None = None

    @property
    def as_of(self):
        if self.kind == ReportKind.QUARTERLY:
            month = self.quarter * 3
            return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])
        return dt.date(self.year, 12, 31)

    @property
    def years(self):
        return [self.year + n for n in range(TARGET_YEARS)]

    @property
    def title(self):
        if self.kind == ReportKind.QUARTERLY:
            return _("Revue trimestrielle T%(q)s %(y)s") % {"q": self.quarter, "y": self.year}
        return _("Rapport de performance %(y)s") % {"y": self.year}

    @property
    def query(self):
        """The report page's query string parameters for this report."""
        if self.kind == ReportKind.QUARTERLY:
            return {"quarter": f"{self.year}-Q{self.quarter}"}
        return {"year": self.year}

    @property
    def export_name(self):
        if self.kind == ReportKind.QUARTERLY:
            return f"revue-{self.year}-T{self.quarter}"
        return f"rapport-{self.year}"


def strategy_years():
    """(first, last) year of the strategies (one query); the report's years must fall
    inside. Without any strategy: the sector strategy's 2021–2030."""
    bounds = Strategy.objects.aggregate(first=Min("start_date"), last=Max("end_date"))
    if bounds["first"] is None:
        return 2021, 2030
    return bounds["first"].year, bounds["last"].year


def _row(indicator, targets, comment):
    return {
        "indicator_id": indicator.pk,
        "code": indicator.code,
        "name": indicator.name,
        "name_ar": indicator.name_ar,
        "unit": indicator.unit,
        "achieved": indicator.achieved,
        "targets": targets,
        "status": str(indicator.status),
        # "Data late since" (the next report overdue as of the report's date): the
        # Indicator property of the status definition (issue 13, i13-status), frozen with
        # the status; None where the model has no such figure.
        "data_late_since": getattr(indicator, "data_late_since", None),
        "progress": indicator.progress,
        "forecast_date": indicator.forecast_date,
        "comment": comment["text"] if comment else "",
        "comment_ar": comment["text_ar"] if comment else "",
        "comment_id": comment["pk"] if comment else None,
    }


def build_report(spec, user):
    """The report ``spec`` as ``user`` may read it (``visible_to``): a dict with the
    report's ``kind``, ``year``, ``quarter``, ``as_of``, ``years`` and ``sections``
    (each programme with its roll-up progress and rows, then the indicators attached to
    an axis directly). A fixed number of queries whatever the number of indicators."""
    as_of, years = spec.as_of, spec.years
    programmes = list(
        Programme.objects.visible_to(user).with_rollup(as_of).select_related("axis").order_by("axis__number", "code")
    )
    loose = list(
        Indicator.objects.visible_to(user)
        .filter(programme__isnull=True)
        .select_related("axis")
        .with_figures(as_of)
        .order_by("axis__number", "code")
    )
    indicator_ids = [i.pk for p in programmes for i in p.figure_indicators] + [i.pk for i in loose]
    targets = {}
    for t in (
        Target.objects.filter(
            Q(indicator__in=indicator_ids), region__isnull=True, filiere__isnull=True, due_date__year__in=years
        )
        .order_by("due_date")
        .values("indicator_id", "due_date", "value")
    ):
        targets[(t["indicator_id"], t["due_date"].year)] = t["value"]  # the last one due in the year
    comments = {
        c["indicator_id"]: c
        for c in IndicatorComment.objects.visible_to(user)
        .filter(indicator__in=indicator_ids, year=spec.year)
        .values("pk", "indicator_id", "text", "text_ar")
    }

    def rows(indicators):
        return [_row(i, [targets.get((i.pk, y)) for y in years], comments.get(i.pk)) for i in indicators]

    sections = [
        {
            "programme": p.code,
            "title": p.title,
            "title_ar": p.title_ar,
            "objective": p.objective,
            "axis": p.axis.number,
            "axis_title": p.axis.title,
            "axis_title_ar": p.axis.title_ar,
            "progress": p.rollup.progress,
            "rows": rows(p.figure_indicators),
        }
        for p in programmes
    ]
    if loose:
        sections.append(
            {
                "programme": None,
                "title": "",
                "title_ar": "",
                "objective": "",
                "axis": None,
                "axis_title": "",
                "axis_title_ar": "",
                "progress": None,
                "rows": rows(loose),
            }
        )
    return {
        "kind": str(spec.kind),
        "year": spec.year,
        "quarter": spec.quarter,
        "as_of": as_of,
        "years": years,
        "sections": sections,
    }


# ---------------------------------------------------------------- frozen form (JSON)


def _text(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _decimal(value):
    return None if value is None else Decimal(value)


def _date(value):
    return None if value is None else dt.date.fromisoformat(value)


def freeze(report):
    """The report as JSON values, exactly: decimals as their string (no float rounding),
    dates as ISO text."""

    def row(r):
        frozen = {key: _text(value) for key, value in r.items() if key != "targets"}
        frozen["targets"] = [_text(t) for t in r["targets"]]
        return frozen

    return {
        **{key: _text(report[key]) for key in ("kind", "year", "quarter", "as_of")},
        "years": list(report["years"]),
        "sections": [
            {**{k: _text(v) for k, v in s.items() if k != "rows"}, "rows": [row(r) for r in s["rows"]]}
            for s in report["sections"]
        ],
    }


def thaw(figures):
    """``freeze``'s inverse: the values the templates and exports read."""

    def row(r):
        thawed = dict(r)
        for key in DECIMAL_FIELDS:
            thawed[key] = _decimal(r.get(key))
        for key in DATE_FIELDS:
            thawed[key] = _date(r.get(key))
        thawed["targets"] = [_decimal(t) for t in r["targets"]]
        return thawed

    return {
        **figures,
        "as_of": _date(figures["as_of"]),
        "sections": [
            {**s, "progress": _decimal(s.get("progress")), "rows": [row(r) for r in s["rows"]]}
            for s in figures["sections"]
        ],
    }


# ---------------------------------------------------------------- published vs today


def _cell(published, today):
    return {"published": published, "today": today, "changed": published != today}


def compare(published, today):
    """The published report beside the same report today: its sections and rows in the
    published order, each compared cell (achieved, each target, status, progress,
    comment) as ``{"published", "today", "changed"}``; a row gone today has
    ``today_missing``; rows only today follow in ``added``. ``changes`` counts the
    changed cells (a missing or added row counts one)."""
    today_rows = {r["code"]: r for s in today["sections"] for r in s["rows"]}
    published_codes = set()
    sections, changes = [], 0
    for section in published["sections"]:
        rows = []
        for r in section["rows"]:
            published_codes.add(r["code"])
            now = today_rows.get(r["code"])
            cells = {field: _cell(r.get(field), now.get(field) if now else None) for field in COMPARED_FIELDS}
            targets = [
                _cell(value, now["targets"][n] if now and n < len(now["targets"]) else None)
                for n, value in enumerate(r["targets"])
            ]
            changed = 1 if now is None else sum(c["changed"] for c in [*cells.values(), *targets])
            changes += changed
            rows.append(
                {**r, "cells": cells, "target_cells": targets, "today_missing": now is None, "changed": changed}
            )
        sections.append({**section, "rows": rows})
    added = [r for s in today["sections"] for r in s["rows"] if r["code"] not in published_codes]
    return {"sections": sections, "added": added, "changes": changes + len(added)}


# ---------------------------------------------------------------- exports


def export_rows(report):
    """One row per indicator, with its programme: what the CSV / XLSX exports write."""
    return [{**r, "programme": s["programme"] or ""} for s in report["sections"] for r in s["rows"]]


def export_columns(report):
    """The exports' columns: the page's, targets named by their year."""
    years = report["years"]
    return [
        Column("programme", lambda r: r["programme"]),
        Column("indicator", lambda r: r["code"]),
        Column("name", lambda r: r["name"]),
        Column("unit", lambda r: r["unit"]),
        Column("as_of", lambda r, d=report["as_of"]: d),
        Column("achieved", lambda r: r["achieved"]),
        *[Column(f"target_{y}", lambda r, n=n: r["targets"][n]) for n, y in enumerate(years)],
        Column("status", lambda r: r["status"]),
        Column("progress_pct", lambda r: r["progress"]),
        Column("forecast_date", lambda r: r["forecast_date"]),
        Column("comment", lambda r: r["comment"]),
        Column("comment_ar", lambda r: r["comment_ar"]),
    ]


def unit_label(code):
    try:
        return Unit(code).label
    except ValueError:
        return code


def labelled(report):
    """The report with what only a reader's language decides (the unit's label) added to
    each row, for the templates; the frozen figures keep the unit's code."""
    for section in report["sections"]:
        for row in section["rows"]:
            row["unit_label"] = unit_label(row["unit"])
    return report


# ---------------------------------------------------------------- the PDF


def render_pdf(report, *, title, published_at=None, published_by="", edition=None, language="fr"):
    """The report as a PDF, by WeasyPrint from the print template
    (templates/strategy/report_print.html) and its stylesheet
    (static/css/report-print.css, read from the file): no browser process in the served
    application, and the same bytes for the same report (no clock, no random name).
    ``language``: the document's language (the publisher's)."""
    import weasyprint
    from django.contrib.staticfiles import finders
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(language):
        html = render_to_string(
            "strategy/report_print.html",
            {
                "report": labelled(report),
                "title": title,
                "published_at": published_at,
                "published_by": published_by,
                "edition": edition,
                "rtl": translation.get_language_bidi(),
                "language": translation.get_language(),
            },
        )
    # No base URL: nothing is fetched; the stylesheet is read from the project's file.
    stylesheet = weasyprint.CSS(filename=finders.find("css/report-print.css"))
    return weasyprint.HTML(string=html).write_pdf(stylesheets=[stylesheet])
