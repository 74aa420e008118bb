"""The benchmark harness's own logic (bench/run.py: wrk's report, the targets, the
Markdown) and the bench-only views of bench/views.py: absent from the served application
(config/), present under the bench's own WSGI application and settings, and the data
floor answering the same JSON as the API's list."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.test import APIClient

from bench import run
from bench import views as bench
from strategy.models import Indicator

ROOT = Path(__file__).resolve().parents[2]

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/api/v1/indicators/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.00ms   10.00ms 120.00ms   70.00%
  1000 requests in 5.00s, 9.54MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    200.00
Transfer/sec:      1.91MB
{"requests":1000,"duration_us":5000000,"bytes":10000000,"connect":0,"read":1,"write":0,"status":3,"timeout":2,"p50":38000,"p95":61500,"p99":98000,"max":120000,"mean":40000.0}
"""


def test_parse_wrk_reads_the_report_line():
    result = run.parse_wrk(WRK_OUTPUT)
    assert result["rps"] == 200.0
    assert (result["p50_ms"], result["p95_ms"], result["p99_ms"]) == (38.0, 61.5, 98.0)
    assert result["non_2xx"] == 3 and result["socket_errors"] == 3 and result["errors"] == 6
    with pytest.raises(ValueError):
        run.parse_wrk("Requests/sec: 12\n")  # without bench/report.lua: no p95, refused


def test_percentile_nearest_rank():
    assert run.percentile([], 95) is None
    assert run.percentile([5], 95) == 5
    values = list(range(1, 101))
    assert run.percentile(values, 50) == 50 and run.percentile(values, 95) == 95 and run.percentile(values, 99) == 99


def _endpoint(rps, p95, queries, errors=0):
    return {"rps": rps, "p95_ms": p95, "queries": queries, "errors": errors}


def _runs(large_p95=12.0, large_queries=5, api_rps=70, bulk=1.2, peak=150, reader_errors=0, errors=0):
    small = {
        "peak_mb": 90,
        "endpoints": {
            "floor": _endpoint(2000, 2, 0),
            "data_floor": _endpoint(100, 10, 4),
            "api_indicators": _endpoint(80, 10.0, 5),
            "page_home": _endpoint(60, 20.0, 8),
        },
    }
    large = {
        "peak_mb": peak,
        "endpoints": {
            "floor": _endpoint(2000, 2, 0),
            "data_floor": _endpoint(100, 11, 4),
            "api_indicators": _endpoint(api_rps, large_p95, large_queries, errors),
            "page_home": _endpoint(55, 22.0, 8),
            "write_bulk_500": {
                "seconds": bulk,
                "errors": 0,
                "reader": {"answered": 12, "errors": reader_errors},
            },
        },
    }
    return {"sqlite": {10000: small, 1000000: large}}


def _by_name(targets):
    return {t["name"]: t for t in targets}


def test_targets_hold_when_every_figure_is_within_its_goal():
    targets = run.evaluate(_runs(), 10000, 1000000)
    assert targets and all(t["holds"] for t in targets), [t for t in targets if not t["holds"]]
    names = _by_name(targets)
    assert names["sqlite/1000000: api_indicators req/s ÷ data floor req/s"]["measured"] == 0.7
    assert names["sqlite: api_indicators queries at 10000 / 1000000"]["measured"] == "5 / 5"
    assert names["sqlite: api_indicators p95 at 1000000 ÷ p95 at 10000"]["measured"] == 1.2
    for target in targets:
        assert set(target) == {"name", "goal", "measured", "holds"}


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"api_rps": 50}, "sqlite/1000000: api_indicators req/s ÷ data floor req/s"),
        ({"large_queries": 6}, "sqlite: api_indicators queries at 10000 / 1000000"),
        ({"large_p95": 16.0}, "sqlite: api_indicators p95 at 1000000 ÷ p95 at 10000"),
        ({"bulk": 2.5}, "sqlite/1000000: bulk submission of 500 rows (s)"),
        ({"reader_errors": 1}, "sqlite/1000000: reads answered during the bulk submission (answered / errors)"),
        ({"peak": 250}, "sqlite/1000000: worker peak memory (MB)"),
        ({"errors": 2}, "sqlite/1000000: errors in the run"),
    ],
)
def test_each_target_fails_alone_when_its_figure_misses(change, failing):
    targets = _by_name(run.evaluate(_runs(**change), 10000, 1000000))
    assert not targets[failing]["holds"]
    assert [name for name, t in targets.items() if not t["holds"]] == [failing]


def test_markdown_has_the_machine_the_table_and_the_targets():
    runs = _runs()
    report = {
        "command": "make bench",
        "date": "2026-11-29 05:00 UTC",
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "ram_gb": 24.0,
            "os": "Debian",
            "python": "3.11",
            "sqlite": "3.40",
            "postgresql": "15.18",
            "commit": "abc1234",
        },
        "settings": {"workers": 2, "duration_s": 15, "connections": 8},
        "runs": {"sqlite": {str(k): {"seed_seconds": 1.0, **v} for k, v in runs["sqlite"].items()}},
        "targets": run.evaluate(runs, 10000, 1000000),
    }
    text = run.markdown(report)
    assert "Test CPU × 2 cores" in text and "PostgreSQL 15.18" in text and "`abc1234`" in text
    assert "## sqlite, 1 000 000 measurements" in text
    assert "| api_indicators | 70 |" in text
    assert f"{len(report['targets'])} of {len(report['targets'])} targets hold." in text


# ------------------------------------------------------------------ the bench-only views


@pytest.mark.django_db
def test_floor_and_data_floor_are_absent_from_the_served_application(client, settings):
    assert not hasattr(settings, "ARTISANAT_BENCH")
    assert "bench" not in settings.INSTALLED_APPS
    assert client.get("/bench/floor/").status_code == 404
    assert client.get("/bench/data-floor/").status_code == 404
    assert "X-Query-Count" not in client.get("/connexion/")


def test_the_served_application_imports_no_bench_code():
    """config/wsgi.py (gunicorn's application) loaded in a fresh interpreter: no module
    of the bench package is imported."""
    code = "import sys, config.wsgi; print(sorted(m for m in sys.modules if m == 'bench' or m.startswith('bench.')))"
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.django_db
@pytest.mark.urls("bench.urls")
def test_the_bench_settings_mount_the_data_floor_and_count_queries(client, viewer, settings):
    settings.MIDDLEWARE = ["bench.views.QueryCountMiddleware", *settings.MIDDLEWARE]
    client.force_login(viewer)
    response = client.get("/bench/data-floor/")
    assert response.status_code == 200 and int(response["X-Query-Count"]) > 0


def test_bench_settings_extend_the_production_settings():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.ROOT_URLCONF, s.MIDDLEWARE[0], 'bench' in s.INSTALLED_APPS, s.DEBUG)"
    )
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["bench.urls", "bench.views.QueryCountMiddleware", "True", "False"]


def test_floor_dispatcher_answers_the_floor_and_passes_the_rest():
    seen = []

    def django_app(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("404 Not Found", [])
        return [b""]

    application = bench.FloorDispatcher(django_app)
    answers = []
    environ = {
        "PATH_INFO": "/bench/floor/",
        "REQUEST_METHOD": "GET",
        "wsgi.input": io.BytesIO(b""),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
    }
    body = application(environ, lambda status, headers: answers.append((status, dict(headers))))
    assert answers[0][0] == "200 OK" and answers[0][1]["Content-Type"] == "application/json"
    assert json.loads(b"".join(body)) == bench.FLOOR_BODY
    assert seen == []
    application({**environ, "PATH_INFO": "/api/v1/indicators/"}, lambda status, headers: None)
    assert seen == ["/api/v1/indicators/"]


@pytest.mark.django_db
def test_query_count_middleware_counts_the_queries_of_the_request():
    def view(request):
        User.objects.count()
        User.objects.exists()
        return HttpResponse("ok")

    response = bench.QueryCountMiddleware(view)(RequestFactory().get("/"))
    assert response["X-Query-Count"] == "2"
    assert connection.execute_wrappers == []


@pytest.mark.django_db
def test_data_floor_answers_the_api_list_first_page(viewer, indicator, indicator_b, target, validated_b):
    """The same rows, fields and figures as GET /api/v1/indicators/ (no DRF on the way)."""
    api = APIClient()
    api.force_authenticate(viewer)
    expected = api.get("/api/v1/indicators/").json()
    request = RequestFactory().get("/bench/data-floor/")
    request.user = viewer
    floor = json.loads(bench.data_floor(request).content)
    assert floor["count"] == expected["count"] == Indicator.objects.count()
    assert floor["results"] == expected["results"]
    assert any(row["achieved"] is not None for row in floor["results"])
