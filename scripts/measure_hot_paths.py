"""Measure the hot paths of issue 5 outside the test suite (timings never go in tests).

    DATABASE_URL=sqlite:////tmp/big.sqlite3 DJANGO_DEBUG=1 .venv/bin/python scripts/measure_hot_paths.py fill 1000000
    DATABASE_URL=... DJANGO_DEBUG=1 .venv/bin/python scripts/measure_hot_paths.py bulk 500 1000
    DATABASE_URL=... DJANGO_DEBUG=1 .venv/bin/python scripts/measure_hot_paths.py render 50

``fill N``   migrates, loads the strategy and the demo accounts, then adds synthetic
             validated measurements with bulk_create until the database holds N (no
             history rows: only the size of the measurement table matters here).
``bulk R…``  times a bulk submission of R rows (POST /api/v1/measurements/bulk/ with
             ?submit=1, as the partner FCA), prints seconds and queries, then deletes
             the rows it created (not their history: append-only) so that it can be repeated.
``render N`` times the API lists, the contract detail and the dashboard summary with
             the test client (median of repeated runs) and prints their query counts.
"""

import datetime as dt
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEMO_PASSWORD", "measure-hot-paths-demo")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from artisanat.models import Filiere, Organisation, Region  # noqa: E402
from strategy.choices import ActorType, Aggregation, MeasurementStatus, Sex  # noqa: E402
from strategy.models import Axis, Indicator, Measurement  # noqa: E402

BENCH_CODE = "BENCH-BULK"


def _months():
    day = dt.date(2021, 1, 1)
    while day.year <= 2030:
        following = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        yield day, following - dt.timedelta(days=1)
        day = following


def _bench_indicator():
    """A plain monthly sum reported by FCA, for the submissions (no breakdown)."""
    fca = Organisation.objects.get(acronym="FCA")
    axis = Axis.objects.order_by("number").first()
    indicator, _ = Indicator.objects.get_or_create(
        code=BENCH_CODE,
        defaults={
            "name": "Indicateur de mesure des envois groupés",
            "axis": axis,
            "unit": "count",
            "aggregation": Aggregation.SUM,
            "baseline_value": 0,
            "baseline_date": dt.date(2020, 12, 31),
            "baseline_source": "mesure",
        },
    )
    indicator.reporting_organisations.add(fca)
    return indicator


def fill(total):
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    _bench_indicator()
    have = Measurement.objects.count()
    if have >= total:
        print(f"{have} measurements already")
        return
    regions, filieres = list(Region.objects.all()), list(Filiere.objects.all())
    fca = Organisation.objects.get(acronym="FCA")
    axis = Axis.objects.order_by("number").first()
    breakdown = list(itertools.product(regions, filieres, Sex.values, ActorType.values))
    per_indicator = len(breakdown) * 120
    needed = (total - have + per_indicator - 1) // per_indicator
    indicators, first = [], Indicator.objects.filter(code__startswith="FILL-").count()
    for n in range(first, first + needed):
        code = f"FILL-{n:04d}"
        indicator, _ = Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": f"Indicateur de volume {n}",
                "axis": axis,
                "unit": "count",
                "aggregation": Aggregation.SUM,
                "baseline_value": 0,
                "baseline_date": dt.date(2020, 12, 31),
                "baseline_source": "volume",
                "by_region": True,
                "by_filiere": True,
                "by_sex": True,
                "by_actor_type": True,
            },
        )
        indicators.append(indicator)
    from strategy import services

    with services.bulk_load_figures():  # the stored figures: rebuilt once at the end
        _insert(indicators, breakdown, fca, total - have)
    print(f"filled to {Measurement.objects.count()}")


def _insert(indicators, breakdown, fca, left):
    started, batch = time.perf_counter(), []
    months = list(_months())
    for indicator in indicators:
        if left <= 0:
            break
        for (start, end), (region, filiere, sex, actor) in itertools.product(months, breakdown):
            batch.append(
                Measurement(
                    indicator=indicator,
                    period_start=start,
                    period_end=end,
                    value=len(batch) % 97 + 1,
                    region=region,
                    filiere=filiere,
                    sex=sex,
                    actor_type=actor,
                    organisation=fca,
                    status=MeasurementStatus.VALIDATED,
                )
            )
            left -= 1
            if len(batch) == 20000 or left == 0:
                Measurement.objects.bulk_create(batch)
                batch = []
            if left == 0:
                break
    print(f"inserted in {time.perf_counter() - started:.1f} s")


def _rows(n, first_year):
    day = dt.date(first_year, 1, 1)
    return [
        {
            "indicator": BENCH_CODE,
            "period_start": (day + dt.timedelta(days=i)).isoformat(),
            "period_end": (day + dt.timedelta(days=i)).isoformat(),
            "value": str(i % 50 + 1),
            "source": "mesure",
        }
        for i in range(n)
    ]


def bulk(sizes):
    from django.contrib.auth import get_user_model

    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username="partner_fca"))
    settings.API_BULK_MAX_ROWS = max(settings.API_BULK_MAX_ROWS, *sizes)
    Measurement.objects.filter(indicator__code=BENCH_CODE).delete()  # left by an interrupted run
    print(f"database: {connection.vendor}, {Measurement.objects.count()} measurements")
    for size in sizes:
        for attempt in range(3):
            data = _rows(size, 2021 + attempt)
            with CaptureQueriesContext(connection) as queries:
                started, cpu = time.perf_counter(), time.process_time()
                response = client.post("/api/v1/measurements/bulk/?submit=1", data, format="json")
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert response.status_code == 201, response.content[:500]
            ids = response.json()["ids"]
            history = Measurement.history.filter(id__in=ids)
            print(
                f"bulk {size} rows: {elapsed:.3f} s ({cpu:.3f} s CPU in this process), {len(queries)} queries, "
                f"{history.count()} history rows, status {Measurement.objects.filter(pk=ids[0]).get().status}"
            )
            Measurement.objects.filter(pk__in=ids).delete()  # history is append-only: it stays


def _timed(client, url, runs):
    client.get(url)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), len(queries), len(response.content)


def render(runs):
    from django.contrib.auth import get_user_model

    from contracts.models import ContratProgramme

    admin = get_user_model().objects.get(username="validator")
    client = APIClient()
    client.force_authenticate(admin)
    indicator = Indicator.objects.filter(code__startswith="FILL-").first() or Indicator.objects.first()
    region = Region.objects.order_by("code").first()
    contract = ContratProgramme.objects.order_by("pk").first()
    print(f"database: {connection.vendor}, {Measurement.objects.count()} measurements")
    for name, url in [
        ("indicator list", "/api/v1/indicators/?page_size=50"),
        ("measurement list", f"/api/v1/measurements/?indicator={indicator.pk}&region={region.pk}"),
        ("contract detail", f"/api/v1/contracts/{contract.pk}/"),
        ("dashboard", "/api/v1/dashboard/"),
    ]:
        median, queries, size = _timed(client, url, runs)
        print(f"{name:<18} {median * 1000:8.1f} ms median of {runs}, {queries} queries, {size} bytes")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "fill":
        fill(int(args[0]))
    elif command == "bulk":
        bulk([int(a) for a in args] or [500, 1000])
    elif command == "render":
        render(int(args[0]) if args else 50)
    else:
        raise SystemExit(__doc__)
