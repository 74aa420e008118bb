"""Before/after of the stored figures: query time of the figure querysets, computed over
every validated row (``tests.oracle.raw_figures``, the former ``with_figures``) and read from
the stored totals (``with_figures``), on the data of ``seed_scale``.

    DATABASE_URL=sqlite:////tmp/figures.sqlite3 DJANGO_DEBUG=1 \\
        .venv/bin/python scripts/measure_figures.py --measurements 10000 [--reuse]

It migrates the database named by DATABASE_URL (use a throw-away one), loads the
measurements with ``seed_scale`` inside ``strategy.services.bulk_load_figures()`` and
prints, for each query set, the median and p95 in ms over ``--repeat`` runs and the
number of SQL queries. Also checks that both computations give the same figures.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from strategy import services  # noqa: E402
from strategy.models import Axis, Indicator, Measurement, PeriodTotal, Phase  # noqa: E402
from strategy.querysets import IndicatorQuerySet  # noqa: E402
from tests import oracle  # noqa: E402

AS_OF = dt.date(2030, 12, 31)
FIELDS = ("fig_sum_all", "fig_periods", "fig_latest_end", "fig_latest_total", "fig_latest_numerator")


@contextmanager
def raw_figures_instead():
    """with_figures computed over the rows, as before the stored totals."""
    stored = IndicatorQuerySet.with_figures
    IndicatorQuerySet.with_figures = oracle.raw_figures
    try:
        yield
    finally:
        IndicatorQuerySet.with_figures = stored


def indicator_list():
    """The API's indicator list: 50 rows with figures."""
    rows = list(Indicator.objects.select_related("axis", "programme").with_figures(AS_OF).order_by("code")[:50])
    return [(r.pk, r.achieved, r.status) for r in rows]


def dashboard_figures():
    """The home dashboard's figure queries: axes rolled up, phases rolled up."""
    axes = list(Axis.objects.with_rollup(AS_OF).select_related("strategy"))
    phases = list(Phase.objects.with_rollup(AS_OF))
    return [a.rollup.progress for a in axes], [p.rollup.progress for p in phases]


def indicator_page_figures():
    """One indicator's figures, national and for its first region."""
    ind = Indicator.objects.filter(by_region=True, measurements__status="validated").first()
    region = ind.measurements.filter(region__isnull=False).values_list("region", flat=True).first()
    a = Indicator.objects.with_figures(AS_OF).get(pk=ind.pk)
    b = Indicator.objects.with_figures(AS_OF, region=region).get(pk=ind.pk)
    return a.achieved, b.achieved


def explain():
    """Query plans of the hot figure queries and of the measurement list by indicator and region."""
    m = Measurement.objects.filter(region__isnull=False).order_by("pk").first()
    plans = {
        "indicator list (50) with figures": Indicator.objects.with_figures(AS_OF).order_by("code")[:50],
        "stored period totals of one indicator": PeriodTotal.objects.filter(
            indicator_id=m.indicator_id, region_key=0, filiere_key=0, period_end__lte=AS_OF
        ).order_by("period_end", "period_start"),
        "measurement list, indicator + region, newest first": Measurement.objects.filter(
            indicator_id=m.indicator_id, region_id=m.region_id
        )
        .select_related("indicator", "region", "filiere", "organisation", "reported_by", "validated_by")
        .order_by("-id")[:51],
    }
    for name, queryset in plans.items():
        print(f"--- {name}")
        print(queryset.explain())


def timed(function, repeat):
    function()  # warm the caches
    times = []
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        function()
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, len(queries.captured_queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--measurements", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args()
    if not args.reuse:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        with services.bulk_load_figures():
            call_command("seed_scale", measurements=args.measurements, no_history=True)
        print(f"load: {time.perf_counter() - started:.1f} s")
    print(
        f"{connection.vendor}: {Measurement.objects.count()} measurements "
        f"({Measurement.objects.validated().count()} validated), {Indicator.objects.count()} indicators, "
        f"{PeriodTotal.objects.count()} stored period totals"
    )
    if args.explain:
        explain()
    for name, function in (
        ("indicator list (50)", indicator_list),
        ("dashboard figures", dashboard_figures),
        ("indicator page figures", indicator_page_figures),
    ):
        stored = timed(function, args.repeat)
        with raw_figures_instead():
            raw = timed(function, max(3, args.repeat // 3))
            expected = function()
        assert function() == expected, f"{name}: stored figures differ from the rows"
        print(
            f"{name:24} raw {raw[0]:9.1f} ms (p95 {raw[1]:9.1f}, {raw[2]} q) | "
            f"stored {stored[0]:7.1f} ms (p95 {stored[1]:7.1f}, {stored[2]} q) | x{raw[0] / stored[0]:.1f}"
        )


if __name__ == "__main__":
    main()
