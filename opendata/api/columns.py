"""The CSV columns of the public downloads (``?format=csv``), written by the portal's one
CSV writer (artisanat.exports.write_csv: UTF-8 with a byte order mark, ``,`` between
quoted fields, formula-looking text neutralised).

A CSV for machines: numbers with a decimal point and a fixed number of decimals
(``1250.0000``, never ``1 250,00``), dates ISO 8601 (``2026-12-31``), choices by their
codes (``on_track``), empty for "no data" — whatever the language of the page that links
to it. Codes, never database ids."""

from decimal import Decimal

from artisanat.exports import Column


def fixed(places):
    """A Decimal with exactly ``places`` decimals (written ``1250.0000``, never ``1.25E+3``)."""
    exponent = Decimal(1).scaleb(-places)

    def read(value):
        return None if value is None else Decimal(value).quantize(exponent)

    return read


FIGURE, PERCENT, AMOUNT = fixed(4), fixed(2), fixed(2)


def _release(attribute):
    return lambda row: (row.release or {}).get(attribute)


INDICATOR_COLUMNS = [
    Column("code", lambda i: i.code),
    Column("name", lambda i: i.name),
    Column("name_ar", lambda i: i.name_ar),
    Column("definition", lambda i: i.definition),
    Column("definition_ar", lambda i: i.definition_ar),
    Column("unit", lambda i: i.unit),
    Column("direction", lambda i: i.direction),
    Column("aggregation", lambda i: i.aggregation),
    Column("frequency", lambda i: i.frequency),
    Column("axis", lambda i: i.axis.number),
    Column("programme", lambda i: i.programme.code if i.programme_id else ""),
    Column("baseline_value", lambda i: FIGURE(i.baseline_value)),
    Column("baseline_date", lambda i: i.baseline_date),
    Column("dimensions", lambda i: "|".join(i.dimensions)),
    Column("as_of", lambda i: i.fig_as_of),
    Column("achieved", lambda i: FIGURE(i.achieved)),
    Column("target_value", lambda i: FIGURE(i.target_value)),
    Column("target_date", lambda i: i.fig_target_date),
    Column("progress", lambda i: PERCENT(i.progress)),
    Column("status", lambda i: i.status),
    Column("latest_period_end", lambda i: i.fig_latest_end),
    Column("public_from", lambda i: i.public_from),
    Column("release", _release("number")),
    Column("release_date", _release("date")),
]

REGIONAL_COLUMNS = [
    Column("region", lambda i: i.region),
    Column("code", lambda i: i.code),
    Column("name", lambda i: i.name),
    Column("name_ar", lambda i: i.name_ar),
    Column("unit", lambda i: i.unit),
    Column("direction", lambda i: i.direction),
    Column("aggregation", lambda i: i.aggregation),
    Column("as_of", lambda i: i.fig_as_of),
    Column("achieved", lambda i: FIGURE(i.achieved)),
    Column("target_value", lambda i: FIGURE(i.target_value)),
    Column("target_date", lambda i: i.fig_target_date),
    Column("progress", lambda i: PERCENT(i.progress)),
    Column("status", lambda i: i.status),
    Column("latest_period_end", lambda i: i.fig_latest_end),
]

SERIES_COLUMNS = [
    Column("period_start", lambda r: r["period_start"]),
    Column("period_end", lambda r: r["period_end"]),
    Column("value", lambda r: FIGURE(r["value"])),
    Column("numerator", lambda r: FIGURE(r["numerator"])),
    Column("denominator", lambda r: FIGURE(r["denominator"])),
]

BREAKDOWN_COLUMNS = [
    Column("dimension", lambda r: r["dimension"]),
    Column("code", lambda r: r["code"]),
    Column("name", lambda r: r["name"]),
    Column("name_ar", lambda r: r["name_ar"]),
    Column("achieved", lambda r: FIGURE(r["achieved"])),
]


def _rollup(attribute, read=None):
    def column(row):
        value = getattr(row.rollup, attribute)
        return read(value) if read else value

    return column


ROLLUP_COLUMNS = [
    Column("progress", _rollup("progress", PERCENT)),
    Column("status", _rollup("status")),
    Column("with_data", _rollup("with_data")),
    Column("without_data", _rollup("without_data")),
    Column("without_target", _rollup("without_target")),
]

AXIS_COLUMNS = [
    Column("number", lambda a: a.number),
    Column("title", lambda a: a.title),
    Column("title_ar", lambda a: a.title_ar),
    *ROLLUP_COLUMNS,
    Column("indicators", lambda a: "|".join(i.code for i in a.figure_indicators)),
]

PHASE_COLUMNS = [
    Column("code", lambda p: p.code),
    Column("name", lambda p: p.name),
    Column("name_ar", lambda p: p.name_ar),
    Column("order", lambda p: p.order),
    Column("start_date", lambda p: p.start_date),
    Column("end_date", lambda p: p.end_date),
    *ROLLUP_COLUMNS,
    Column("indicators_without_phase_target", lambda p: p.rollup_without_target),
]

REGION_COLUMNS = [
    Column("code", lambda r: r.code),
    Column("name", lambda r: r.name),
    Column("name_ar", lambda r: r.name_ar),
]

CONTRACT_COLUMNS = [
    Column("reference", lambda c: c.reference),
    Column("title", lambda c: c.title),
    Column("title_ar", lambda c: c.title_ar),
    Column("kind", lambda c: c.kind),
    Column("phase", lambda c: c.phase.code),
    Column("filiere", lambda c: c.filiere.code if c.filiere_id else ""),
    Column("signing_date", lambda c: c.signing_date),
    Column("start_date", lambda c: c.start_date),
    Column("end_date", lambda c: c.end_date),
    Column("status", lambda c: c.status),
    Column("parties", lambda c: "|".join(f"{p.organisation.acronym}:{p.role}" for p in c.public_parties)),
    Column("as_of", lambda c: c.fig_as_of),
    Column("committed", lambda c: AMOUNT(c.fig_committed)),
    Column("disbursed", lambda c: AMOUNT(c.fig_disbursed)),
    Column("execution_rate", lambda c: PERCENT(c.execution_rate)),
    Column("time_elapsed", lambda c: PERCENT(c.time_elapsed)),
    Column("milestones", lambda c: len(c.public_milestones)),
    Column("milestones_met", lambda c: sum(m.status == "met" for m in c.public_milestones)),
]
