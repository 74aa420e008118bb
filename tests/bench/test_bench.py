"""The benchmark harness's own logic (bench/run.py: wrk's report, the targets, the
Markdown) and the bench-only views of bench/views.py: absent from the served application
(config/), present under the bench's own WSGI application and settings, and the data
floor answering the same JSON as the API's list."""

import fnmatch
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


def _runs(
    large_p95=12.0,
    large_queries=5,
    api_rps=70,
    bulk=1.2,
    peak=150,
    reader_errors=0,
    errors=0,
    public_rps=90,
    public_page_rps=60,
):
    small = {
        "peak_mb": 90,
        "endpoints": {
            "floor": _endpoint(2000, 2, 0),
            "data_floor": _endpoint(100, 10, 4),
            "api_indicators": _endpoint(80, 10.0, 5),
            "api_public_indicators": _endpoint(900, 2.0, 2),
            "api_public_indicators_uncached": _endpoint(90, 10.0, 5),
            "page_home": _endpoint(60, 20.0, 8),
            "public_indicator_cached": _endpoint(60, 5.0, 2),
        },
    }
    large = {
        "peak_mb": peak,
        "endpoints": {
            "floor": _endpoint(2000, 2, 0),
            "data_floor": _endpoint(100, 11, 4),
            "api_indicators": _endpoint(api_rps, large_p95, large_queries, errors),
            "api_public_indicators": _endpoint(900, 2.0, 2),
            "api_public_indicators_uncached": _endpoint(public_rps, 11.0, 5),
            "page_home": _endpoint(55, 22.0, 8),
            "public_indicator_cached": _endpoint(public_page_rps, 5.0, 2),
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
        ({"public_page_rps": 40}, "sqlite/1000000: public_indicator_cached req/s ÷ data floor req/s"),
        ({"public_rps": 60}, "sqlite/1000000: api_public_indicators_uncached req/s ÷ api_indicators req/s"),
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


# ------------------------------------------------------------------ static files and the smoke (make bench-smoke)


def test_parse_wrk_adds_the_answers_outside_2xx_that_report_lua_counts():
    """wrk counts the answers >= 400 ("status"); in the smoke, report.lua counts the 1xx
    and 3xx ones ("other"): both are non-2xx answers and errors."""
    line = WRK_OUTPUT.splitlines()[-1].replace('"timeout":2,', '"timeout":2,"other":4,')
    result = run.parse_wrk(WRK_OUTPUT.replace(WRK_OUTPUT.splitlines()[-1], line))
    assert result["non_2xx"] == 7 and result["socket_errors"] == 3 and result["errors"] == 10


def test_report_lua_counts_the_other_statuses_only_when_asked():
    text = (ROOT / "bench" / "report.lua").read_text()
    assert 'os.getenv("BENCH_EVERY_STATUS") == "1"' in text and '"other":%d' in text


def test_production_env_serves_the_collected_files_under_the_bench_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTISANAT_BENCH", "1")  # the old flag: never passed on
    monkeypatch.setenv("DJANGO_STATIC_ROOT", "/elsewhere")
    env = run.production_env("sqlite:///bench.sqlite3", 8123, 2, tmp_path / "static")
    assert env["DJANGO_SETTINGS_MODULE"] == "bench.settings" and env["DJANGO_DEBUG"] == "0"
    assert env["DJANGO_STATIC_ROOT"] == str(tmp_path / "static")
    assert "ARTISANAT_BENCH" not in env
    assert env["GUNICORN_BIND"] == "127.0.0.1:8123" and env["GUNICORN_WORKERS"] == "2"


def test_collect_static_lets_the_bench_application_serve_its_pages(tmp_path):
    """The fresh-clone failure: production settings without collectstatic answer 500 on
    every page (no manifest entry for css/portal.css). collect_static fills the
    temporary STATIC_ROOT; the bench's WSGI application, loaded as gunicorn loads it,
    then serves a page and the hashed stylesheet."""
    with open(tmp_path / "bench.log", "w") as log:
        assert run.collect_static(tmp_path / "static", log) > 100
    manifest = json.loads((tmp_path / "static" / run.MANIFEST).read_text())
    stylesheet = manifest["paths"]["css/portal.css"]
    code = (
        "import io, sys\n"
        "from bench.wsgi import application\n"
        "def get(path):\n"
        "    answers = []\n"
        "    environ = {'PATH_INFO': path, 'REQUEST_METHOD': 'GET', 'wsgi.input': io.BytesIO(b''),\n"
        "               'wsgi.url_scheme': 'http', 'SERVER_NAME': '127.0.0.1', 'SERVER_PORT': '80'}\n"
        "    b''.join(application(environ, lambda status, headers, exc_info=None: answers.append(status)))\n"
        "    return answers[0].split()[0]\n"
        "print(*[get(path) for path in sys.argv[1:]])\n"
    )

    def statuses(static_root, *paths):
        env = run.production_env(f"sqlite:///{tmp_path / 'unused.sqlite3'}", 0, 1, static_root)
        result = subprocess.run(
            [sys.executable, "-c", code, *paths], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert statuses(tmp_path / "static", "/bench/floor/", "/connexion/", f"/static/{stylesheet}") == ["200"] * 3
    (tmp_path / "empty").mkdir()
    assert statuses(tmp_path / "empty", "/connexion/") == ["500"]  # what the bench measured before


def _clean_run():
    endpoints = {
        name: {"status_first": 200, "status": 200, "requests": 40, "errors": 0, "non_2xx": 0, "socket_errors": 0}
        for name, *_rest in run.READ_ENDPOINTS
    }
    endpoints["write_measurement"] = {"requests": 12, "errors": 0}
    endpoints["write_bulk_500"] = {
        "seconds": 0.4,
        "all_seconds": [0.4],
        "errors": 0,
        "reader": {"answered": 3, "errors": 0},
    }
    return {"seed_seconds": 5.0, "peak_mb": 100.0, "endpoints": endpoints}


def test_smoke_passes_a_clean_run_whatever_its_speed():
    clean = _clean_run()
    clean["endpoints"]["page_validation"].update(rps=0.5, p95_ms=9000.0, queries=40)  # slow, no error
    assert run.smoke_failures({"sqlite": {"2000": clean}, "postgres": {"2000": _clean_run()}}) == []


@pytest.mark.parametrize(
    ("endpoint", "change", "reason"),
    [
        ("page_home", {"status": 500, "errors": 1, "first_error": "500 <title>Erreur"}, "HTTP 500 on the steady-state"),
        ("page_home", {"status_first": 302, "errors": 1}, "HTTP 302 on the first request"),
        ("api_indicators", {"non_2xx": 3, "errors": 3}, "3 answers outside 2xx in wrk"),
        ("api_contract", {"socket_errors": 2, "errors": 2}, "2 socket errors or timeouts in wrk"),
        ("floor", {"requests": 0, "errors": 1}, "no answer"),
        ("write_measurement", {"errors": 1, "first_error": "400 b'{}'"}, "1 errors"),
        ("write_bulk_500", {"errors": 1}, "1 errors"),
        ("write_bulk_500", {"reader": {"answered": 2, "errors": 1}}, "1 failed reads during the bulk"),
    ],
)
def test_smoke_fails_on_any_error_of_any_endpoint(endpoint, change, reason):
    failing = _clean_run()
    failing["endpoints"][endpoint].update(change)
    failures = run.smoke_failures({"sqlite": {"2000": _clean_run()}, "postgres": {"2000": failing}})
    assert len(failures) == 1 and failures[0].startswith(f"postgres/2000 {endpoint}: ") and reason in failures[0]


def test_smoke_fails_on_an_exception_and_on_an_endpoint_not_measured():
    partial = _clean_run()
    del partial["endpoints"]["write_bulk_500"]
    failures = run.smoke_failures(
        {"sqlite": {"2000": {"exception": "RuntimeError: gunicorn stopped at start-up"}}, "postgres": {"2000": partial}}
    )
    assert failures == [
        "sqlite/2000: RuntimeError: gunicorn stopped at start-up",
        "postgres/2000 write_bulk_500: not measured",
    ]


def test_the_smoke_never_writes_the_full_bench_results(tmp_path):
    assert {p.name for p in run.result_files(tmp_path, smoke=True).values()} == {"smoke.json", "smoke.md", "smoke.log"}
    assert {p.name for p in run.result_files(tmp_path, smoke=False).values()} == {
        "latest.json",
        "latest.md",
        "latest.log",
    }
    patterns = [line for line in (ROOT / "bench/results/.gitignore").read_text().splitlines() if line[:1] not in "#"]
    for name in ("smoke.json", "smoke.md", "smoke.log"):
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name  # not committed
    assert not any(fnmatch.fnmatch("latest.json", pattern) for pattern in patterns)


@pytest.fixture
def fake_bench(monkeypatch):
    """main() without gunicorn, wrk or a database: manage.py and one_run recorded, in order."""
    calls = []

    def manage(env, *args, log):
        calls.append(("manage", args, env["DJANGO_STATIC_ROOT"], env["DJANGO_SETTINGS_MODULE"], env["DJANGO_DEBUG"]))
        if args[0] == "collectstatic":
            root = Path(env["DJANGO_STATIC_ROOT"])
            root.mkdir(parents=True)
            (root / run.MANIFEST).write_text(json.dumps({"paths": {"css/portal.css": "css/portal.1.css"}}))
        return "", 0.1

    outcome = {"run": _clean_run}

    def one_run(db, size, database_url, args, static_root, log):
        calls.append(("one_run", db, size, str(static_root), (static_root / run.MANIFEST).is_file()))
        return outcome["run"]()

    monkeypatch.setattr(run, "manage", manage)
    monkeypatch.setattr(run, "one_run", one_run)
    monkeypatch.setattr(run, "machine", lambda pg_version: {"commit": "abc1234"})
    monkeypatch.setattr(run.shutil, "which", lambda name: f"/usr/bin/{name}")
    return calls, outcome


def test_main_collects_the_static_files_before_any_run(fake_bench, tmp_path, capsys):
    calls, _outcome = fake_bench
    assert run.main(["--smoke", "--databases", "sqlite", "--sizes", "2000,3000", "--out", str(tmp_path)]) == 0
    collect, first, second = calls
    assert collect[0:2] == ("manage", ("collectstatic", "--noinput"))
    assert collect[3:] == ("bench.settings", "0")
    assert first == ("one_run", "sqlite", 2000, collect[2], True)  # the same temporary STATIC_ROOT, filled
    assert second[:3] == ("one_run", "sqlite", 3000)
    assert not Path(collect[2]).exists()  # temporary: nothing left behind
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert report["smoke"] == {"passed": True, "failures": []} and "targets" not in report
    assert report["settings"]["duration_s"] == 1 and report["settings"]["warmup_s"] == 0
    text = (tmp_path / "smoke.md").read_text()
    assert "| page_home | 200 | 40 | 0 |" in text and "| write_bulk_500 |  | 1 | 0 | 0.4 s |" in text
    assert "No error: passed." in text
    assert not (tmp_path / "latest.json").exists() and not (tmp_path / "latest.md").exists()
    assert "bench-smoke: passed" in capsys.readouterr().out


def test_main_smoke_exits_1_on_an_error_answer(fake_bench, tmp_path, capsys):
    _calls, outcome = fake_bench

    def failing():
        result = _clean_run()
        result["endpoints"]["page_home"].update(status=500, errors=1)
        return result

    outcome["run"] = failing
    assert run.main(["--smoke", "--databases", "sqlite", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL sqlite/2000 page_home: HTTP 500" in out and "bench-smoke: FAILED, 1 error(s)" in out
    assert json.loads((tmp_path / "smoke.json").read_text())["smoke"]["passed"] is False


def test_main_smoke_records_an_exception_goes_on_and_exits_1(fake_bench, tmp_path, capsys):
    calls, outcome = fake_bench

    def broken():
        raise RuntimeError("gunicorn stopped at start-up; see the log")

    outcome["run"] = broken
    assert run.main(["--smoke", "--databases", "sqlite", "--sizes", "2000,3000", "--out", str(tmp_path)]) == 1
    assert [c[2] for c in calls if c[0] == "one_run"] == [2000, 3000]  # the second run still ran
    failures = json.loads((tmp_path / "smoke.json").read_text())["smoke"]["failures"]
    assert failures == [
        f"sqlite/{size}: RuntimeError: gunicorn stopped at start-up; see the log" for size in (2000, 3000)
    ]
    assert "Traceback" in (tmp_path / "smoke.log").read_text()


def test_main_full_bench_still_stops_on_an_exception(fake_bench, tmp_path):
    _calls, outcome = fake_bench

    def broken():
        raise RuntimeError("seed_scale failed")

    outcome["run"] = broken
    with pytest.raises(RuntimeError, match="seed_scale failed"):
        run.main(["--databases", "sqlite", "--sizes", "10,20", "--out", str(tmp_path)])
