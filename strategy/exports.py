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
