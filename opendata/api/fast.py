"""The public indicator list's JSON from ``values()`` rows: the same objects as
``PublicIndicatorSerializer`` (tests/opendata/test_api.py compares them), built without
a model instance per row nor a DRF field per value — the staff list's way
(strategy.api.serializers.IndicatorListSerializer), so that the public list computed
afresh costs no more than the staff one (bench/run.py)."""

from decimal import Decimal

from strategy.api.serializers import IndicatorListSerializer, IndicatorRow
from strategy.models import Target

FIELDS = [
    *IndicatorListSerializer.ROW_FIELDS,
    "public_from",
]
FOUR, TWO = Decimal("0.0001"), Decimal("0.01")


def indicator_rows(queryset):
    """The ``values()`` rows of published indicators ``with_figures``, by code."""
    figure_names = [name for name in queryset.query.annotations if name.startswith("fig_")]
    return queryset.order_by("code").values(*dict.fromkeys(FIELDS), *figure_names)


def _decimal(value, exponent):
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return f"{value.quantize(exponent):f}"


def _date(value):
    return None if value is None else value.isoformat()


def indicator_items(rows, release):
    """The JSON objects of ``rows`` (indicator_rows), with their national targets (one
    query) and the ``release`` ({number, date} or None)."""
    targets = {}
    if rows:
        for indicator_id, due_date, value in (
            Target.objects.filter(indicator_id__in=[r["id"] for r in rows], region__isnull=True, filiere__isnull=True)
            .order_by("due_date", "pk")
            .values_list("indicator_id", "due_date", "value")
        ):
            targets.setdefault(indicator_id, []).append({"due_date": _date(due_date), "value": _decimal(value, FOUR)})
    release = None if release is None else {"number": release["number"], "date": _date(release["date"])}
    items = []
    for row in rows:
        figures = IndicatorRow(row)
        items.append(
            {
                "code": row["code"],
                "name": row["name"],
                "name_ar": row["name_ar"],
                "definition": row["definition"],
                "definition_ar": row["definition_ar"],
                "unit": row["unit"],
                "direction": row["direction"],
                "aggregation": row["aggregation"],
                "frequency": row["frequency"],
                "axis": row["axis__number"],
                "programme": row["programme__code"],
                "baseline_value": _decimal(row["baseline_value"], FOUR),
                "baseline_date": _date(row["baseline_date"]),
                "targets": targets.get(row["id"], []),
                "dimensions": figures.dimensions,
                "as_of": _date(row["fig_as_of"]),
                "achieved": _decimal(figures.achieved, FOUR),
                "target_value": _decimal(figures.target_value, FOUR),
                "target_date": _date(row["fig_target_date"]),
                "progress": _decimal(figures.progress, TWO),
                "status": str(figures.status),
                "latest_period_end": _date(row["fig_latest_end"]),
                "public_from": _date(row["public_from"]),
                "release": release,
            }
        )
    return items
