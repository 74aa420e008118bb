"""The tests' oracle: the figures computed the slow, obvious way, over every validated
measurement row (they grow with the history). The product reads the stored totals
(``Indicator.objects.with_figures``, ``stored_period_totals``, ``stored_breakdowns``);
the consistency tests check the product against these, row for row. Not used by any
page or endpoint; scripts/measure_figures.py times them for the before/after figures."""

from django.db.models import CharField, Count, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Cast, Concat

from artisanat.querysets import scalar
from strategy import figures
from strategy.choices import ActorType, Aggregation, MeasurementStatus, Sex
from strategy.models import Measurement
from strategy.querysets import phase_as_of


def raw_figures(indicators, as_of, *, target_date=None, region=None, filiere=None, sex=None, actor_type=None):
    """The reference computation of ``with_figures``, over every validated row of each
    indicator (grows with the history): kept for the consistency tests and the
    before/after measurements, not used by the pages. Scoped to a phase (``target_date``,
    its end), the values are read as of the phase's end once it is over (``phase_as_of``)."""
    as_of = phase_as_of(as_of, target_date)
    rows = Measurement.objects.filter(
        indicator=OuterRef("pk"), status=MeasurementStatus.VALIDATED, period_end__lte=as_of
    )
    if region is not None:
        rows = rows.filter(region=region)
    if filiere is not None:
        rows = rows.filter(filiere=filiere)
    if sex:
        rows = rows.filter(sex=sex)
    if actor_type:
        rows = rows.filter(actor_type=actor_type)
    latest = rows.order_by("-period_end", "-period_start")
    latest_rows = rows.filter(period_end=OuterRef("fig_latest_end"), period_start=OuterRef("fig_latest_start"))
    period_key = Concat(
        Cast("period_start", CharField()), Value("/"), Cast("period_end", CharField()), output_field=CharField()
    )
    return (
        indicators.with_target_figures(as_of, target_date, region, filiere, sex=sex, actor_type=actor_type)
        .annotate(
            fig_latest_end=Subquery(latest.values("period_end")[:1]),
            fig_latest_start=Subquery(latest.values("period_start")[:1]),
            fig_sum_all=scalar(rows, Sum("value")),
            fig_periods=scalar(rows, Count(period_key, distinct=True)),
            fig_latest_total=scalar(latest_rows, Sum("value")),
            fig_latest_numerator=scalar(latest_rows, Sum("numerator")),
            fig_latest_denominator=scalar(latest_rows, Sum("denominator")),
        )
        .with_status_figures(region, filiere, sex=sex, actor_type=actor_type, target_date=target_date)
    )


def raw_period_totals(measurements, as_of):
    """Validated period totals, oldest first: [{period_start, period_end, total,
    numerator, denominator}] for rows whose period ends on or before ``as_of``."""
    return (
        measurements.validated()
        .filter(period_end__lte=as_of)
        .order_by()
        .values("period_start", "period_end")
        .annotate(total=Sum("value"), numerator=Sum("numerator"), denominator=Sum("denominator"))
        .order_by("period_end", "period_start")
    )


def raw_breakdown(indicator, dimension, as_of):
    """The indicator's achieved value per ``dimension`` ("region", "filiere", "sex" or
    "actor_type"), from validated rows as of ``as_of``, in one query. For ``latest`` and
    ``ratio`` the rows are those of the indicator's most recent validated period; for
    ``sum`` and ``average`` all periods. Returns [{key, code, name, name_ar, achieved}]
    (sex and actor type: the choice value as key and code, its label as name)."""
    choices = {"sex": Sex, "actor_type": ActorType}
    if dimension not in ("region", "filiere", *choices):
        raise ValueError(dimension)
    present = {f"{dimension}__isnull": False} if dimension not in choices else {}
    rows = Measurement.objects.validated().filter(indicator=indicator, period_end__lte=as_of, **present)
    if dimension in choices:
        rows = rows.exclude(**{dimension: ""})
    if indicator.aggregation in (Aggregation.LATEST, Aggregation.RATIO):
        latest = (
            Measurement.objects.validated()
            .filter(indicator=indicator, period_end__lte=as_of)
            .order_by("-period_end", "-period_start")
        )
        rows = rows.filter(
            period_end=Subquery(latest.values("period_end")[:1]),
            period_start=Subquery(latest.values("period_start")[:1]),
        )
    period_key = Concat(
        Cast("period_start", CharField()), Value("/"), Cast("period_end", CharField()), output_field=CharField()
    )
    names = (
        [dimension]
        if dimension in choices
        else [dimension, f"{dimension}__code", f"{dimension}__name", f"{dimension}__name_ar"]
    )
    grouped = (
        rows.order_by()
        .values(*names)
        .annotate(
            total=Sum("value"),
            numerator=Sum("numerator"),
            denominator=Sum("denominator"),
            periods=Count(period_key, distinct=True),
        )
    )
    result = [
        {
            "key": row[dimension],
            "code": row[dimension] if dimension in choices else row[f"{dimension}__code"],
            "name": str(choices[dimension](row[dimension]).label)
            if dimension in choices
            else row[f"{dimension}__name"],
            "name_ar": "" if dimension in choices else row[f"{dimension}__name_ar"],
            "achieved": figures.achieved(
                indicator.aggregation,
                sum_all=row["total"],
                periods=row["periods"],
                latest_total=row["total"],
                latest_numerator=row["numerator"],
                latest_denominator=row["denominator"],
            ),
        }
        for row in grouped
    ]
    if dimension in choices:
        return sorted(result, key=lambda r: choices[dimension].values.index(r["code"]))
    return sorted(result, key=lambda r: r["code"])
