"""The benchmark harness behind ``make bench``, ``make bench-quick`` and ``make bench-smoke`` (README, "Performance").

First ``collectstatic`` into a temporary STATIC_ROOT (production settings serve the
manifest's hashed files: without it every page answers 500). Then for each database
(SQLite file in a temporary folder; PostgreSQL: the throw-away server bench/bench.sh
starts, ``--postgres-url``) and each size: a fresh database, migrate, load_strategy,
seed_scale N; gunicorn with production settings (debug off, persistent connections, one
worker per core; DJANGO_SETTINGS_MODULE=bench.settings and bench.wsgi:application for the
floor views and the X-Query-Count header); then per endpoint a counting pass (status,
queries of the first request and of the steady state, bytes),
a warm-up and a wrk run (req/s at saturation, p50/p95/p99, errors); the writes with a
Python driver (one measurement per request, and a 500-row bulk submission timed while
a reader keeps reading the indicator list); the workers' peak memory (VmHWM). Writes
bench/results/latest.json and latest.md with the targets of issue 5 and the machine.

``--smoke`` (``make bench-smoke``, CI): one small size, a second per endpoint, no
warm-up, one bulk submission; judges no target, only errors — any answer outside 2xx
(wrk counts them all in this mode), socket error, or exception fails the run (exit 1).
Writes bench/results/smoke.{json,md,log} (git-ignored), never latest.*.
"""

import argparse
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
LUA = str(ROOT / "bench" / "report.lua")
MANIFEST = "staticfiles.json"  # what the production static storage reads every {% static %} from

READ_ENDPOINTS = [
    # name, path (formatted with the credentials), auth ("token" or "session"), kind
    ("floor", "/bench/floor/", None, "floor"),
    ("data_floor", "/bench/data-floor/", "session", "floor"),
    ("api_indicators", "/api/v1/indicators/", "token", "api"),
    # 20 rows a page: seed_scale gives each of its ~500 indicators about N / 500 rows, so at
    # 10 000 the busiest (indicator, region) pair holds 21 — a full page at every size; a
    # 50-row page would compare a short page at 10 000 with a full one at 1 000 000.
    (
        "api_measurements",
        "/api/v1/measurements/?indicator={indicator}&region={region}&page_size=20",
        "token",
        "api",
    ),
    ("api_contract", "/api/v1/contracts/{contract}/", "token", "api"),
    ("api_dashboard", "/api/v1/dashboard/", "token", "api"),
    # The public open-data API's indicator list (opendata/api/), anonymous, 50 rows as the
    # staff list above: as served (from the shared cache after the first answer), and
    # computed on every request (bench/urls.py: the same view with read_cache=False).
    ("api_public_indicators", "/api/public/v1/indicators/?page_size=50", None, "api"),
    ("api_public_indicators_uncached", "/bench/public-uncached/indicators/?page_size=50", None, "api"),
    ("page_home", "/", "session", "page"),
    ("page_indicator", "/strategie/indicateurs/{busy_indicator}/", "session", "page"),
    ("page_contract", "/contrats/{contract}/", "session", "page"),
    ("page_validation", "/strategie/validation/", "session", "page"),
    # The public indicator page (opendata/), anonymous: served from the shared cache after
    # its first answer (cached), and computed every time (uncached: the same view without
    # the cache in front, a bench-only URL of bench/urls.py).
    ("public_indicator_cached", "/donnees/fr/indicateurs/{public_indicator}/", None, "page"),
    ("public_indicator_uncached", "/bench/public-uncached/donnees/fr/indicateurs/{public_indicator}/", None, "page"),
]
WRITE_ENDPOINTS = ["write_measurement", "write_bulk_500"]
BULK_ROWS = 500

# Targets of issue 5, point 3.
RATIO_API_LIST = 0.6
RATIO_HOME = 0.5
# Issue 16, item 7: the public indicator page served from the shared cache.
RATIO_PUBLIC_CACHED = 0.5
# Issue 16, item 7: the public API list at least as fast as the staff API list, cached and not.
PUBLIC_API_LISTS = ("api_public_indicators", "api_public_indicators_uncached")
RATIO_PUBLIC_TO_STAFF = 1.0
MAX_QUERIES = 10
P95_GROWTH = 1.5
BULK_SECONDS = 2.0
PEAK_MB = 200


# ------------------------------------------------------------------ pure helpers (tested)


def parse_wrk(output):
    """wrk's stdout with bench/report.lua → req/s, latencies (ms), errors, bytes."""
    for line in output.splitlines():
        line = line.strip()
        if line.startswith('{"requests"'):
            data = json.loads(line)
            break
    else:
        raise ValueError("no report line in wrk output (bench/report.lua missing?)")
    seconds = data["duration_us"] / 1e6
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    # wrk's own count ("status") is of the answers >= 400; "other", the 1xx and 3xx ones,
    # only when report.lua counts them (run_wrk's every_status).
    non_2xx = data["status"] + data.get("other", 0)
    return {
        "requests": data["requests"],
        "rps": round(data["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(data["p50"] / 1000, 2),
        "p95_ms": round(data["p95"] / 1000, 2),
        "p99_ms": round(data["p99"] / 1000, 2),
        "errors": non_2xx + socket_errors,
        "non_2xx": non_2xx,
        "socket_errors": socket_errors,
        "bytes_read": data["bytes"],
    }


def percentile(values, q):
    """The q-th percentile (nearest rank) of ``values``, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def target(name, goal, measured, holds):
    return {"name": name, "goal": goal, "measured": measured, "holds": bool(holds)}


def evaluate(runs, small, large):
    """The targets from ``runs`` ({db: {size: {"endpoints": {...}, "peak_mb": x}}})."""
    targets = []
    for db, sizes in runs.items():
        for size, run in sorted(sizes.items()):
            eps = run["endpoints"]
            floor_rps = eps.get("data_floor", {}).get("rps")
            for name, ratio in (
                ("api_indicators", RATIO_API_LIST),
                ("page_home", RATIO_HOME),
                ("public_indicator_cached", RATIO_PUBLIC_CACHED),
            ):
                rps = eps.get(name, {}).get("rps")
                value = round(rps / floor_rps, 2) if rps and floor_rps else None
                targets.append(
                    target(
                        f"{db}/{size}: {name} req/s ÷ data floor req/s",
                        f">= {ratio}",
                        value,
                        value is not None and value >= ratio,
                    )
                )
            staff_rps = eps.get("api_indicators", {}).get("rps")
            for name in PUBLIC_API_LISTS:
                rps = eps.get(name, {}).get("rps")
                value = round(rps / staff_rps, 2) if rps and staff_rps else None
                targets.append(
                    target(
                        f"{db}/{size}: {name} req/s ÷ api_indicators req/s",
                        f">= {RATIO_PUBLIC_TO_STAFF}",
                        value,
                        value is not None and value >= RATIO_PUBLIC_TO_STAFF,
                    )
                )
            errors = sum(ep.get("errors", 0) or 0 for ep in eps.values())
            targets.append(target(f"{db}/{size}: errors in the run", "== 0", errors, errors == 0))
        if small in sizes and large in sizes:
            a, b = sizes[small]["endpoints"], sizes[large]["endpoints"]
            for name in sorted(set(a) | set(b)):
                if name == "floor":
                    continue
                qa, qb = a.get(name, {}).get("queries"), b.get(name, {}).get("queries")
                if qa is not None or qb is not None:
                    targets.append(
                        target(
                            f"{db}: {name} queries at {small} / {large}",
                            f"equal and <= {MAX_QUERIES}",
                            f"{qa} / {qb}",
                            qa is not None and qa == qb and qb <= MAX_QUERIES,
                        )
                    )
                pa, pb = a.get(name, {}).get("p95_ms"), b.get(name, {}).get("p95_ms")
                if pa and pb is not None:
                    growth = round(pb / pa, 2)
                    targets.append(
                        target(
                            f"{db}: {name} p95 at {large} ÷ p95 at {small}",
                            f"<= {P95_GROWTH}",
                            growth,
                            growth <= P95_GROWTH,
                        )
                    )
            bulk = b.get("write_bulk_500", {})
            seconds = bulk.get("seconds")
            targets.append(
                target(
                    f"{db}/{large}: bulk submission of {BULK_ROWS} rows (s)",
                    f"< {BULK_SECONDS}",
                    seconds,
                    seconds is not None and seconds < BULK_SECONDS and not bulk.get("errors"),
                )
            )
            reader = bulk.get("reader", {})
            targets.append(
                target(
                    f"{db}/{large}: reads answered during the bulk submission (answered / errors)",
                    ">= 1 answered, 0 errors",
                    f"{reader.get('answered')} / {reader.get('errors')}",
                    (reader.get("answered") or 0) >= 1 and reader.get("errors") == 0,
                )
            )
            peak = sizes[large].get("peak_mb")
            targets.append(
                target(
                    f"{db}/{large}: worker peak memory (MB)",
                    f"<= {PEAK_MB}",
                    peak,
                    peak is not None and peak <= PEAK_MB,
                )
            )
    return targets


def markdown(report):
    """latest.md: the machine, the table per database × size × endpoint, the targets."""
    m = report["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Command: `{report['command']}` — {report['date']} — commit `{m['commit']}`",
        "",
        f"Machine: {m['cpu']} × {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}, "
        f"SQLite {m['sqlite']}, PostgreSQL {m['postgresql'] or 'not run'}. gunicorn: {report['settings']['workers']} "
        f"sync workers; wrk: {report['settings']['duration_s']} s, {report['settings']['connections']} connections"
        f" per endpoint.",
        "",
    ]
    if m.get("note"):
        lines += [m["note"], ""]
    lines += [
        "Queries: per request in the steady state that wrk measures (the targets use it); in brackets, "
        "the first request after the load when it differs — the home and API dashboards compute the "
        "figures they cache per data version then (artisanat/data_version.py), once per worker and write.",
        "",
    ]
    header = "| endpoint | req/s | p50 ms | p95 ms | p99 ms | errors | queries (first) | bytes |"
    for db, sizes in report["runs"].items():
        for size, run in sorted(sizes.items(), key=lambda item: int(item[0])):
            lines += [
                f"## {db}, " + f"{int(size):,} measurements".replace(",", " "),
                "",
                f"Load: {run['seed_seconds']} s (seed_scale); worker peak memory {run['peak_mb']} MB.",
                "",
                header,
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for name, ep in run["endpoints"].items():
                if name == "write_bulk_500":
                    reader = ep.get("reader", {})
                    lines.append(
                        f"| {name} | {ep.get('seconds')} s per {BULK_ROWS} rows | | | | {ep.get('errors')} | "
                        f"{ep.get('queries', '')} | {ep.get('bytes', '')} |"
                    )
                    lines.append(
                        f"| ↳ reader during the bulk | {reader.get('answered')} answered | {reader.get('p50_ms')} | "
                        f"{reader.get('p95_ms')} | {reader.get('p99_ms')} | {reader.get('errors')} | | |"
                    )
                    continue
                queries = ep.get("queries")
                if ep.get("queries_first") not in (None, queries):
                    queries = f"{queries} ({ep['queries_first']})"
                lines.append(
                    f"| {name} | {ep.get('rps')} | {ep.get('p50_ms')} | {ep.get('p95_ms')} | {ep.get('p99_ms')} | "
                    f"{ep.get('errors')} | {queries} | {ep.get('bytes')} |"
                )
            lines.append("")
    lines += ["## Targets", "", "| target | goal | measured | holds |", "|---|---|---|---|"]
    for t in report["targets"]:
        lines.append(f"| {t['name']} | {t['goal']} | {t['measured']} | {'yes' if t['holds'] else '**no**'} |")
    held = sum(t["holds"] for t in report["targets"])
    lines += ["", f"{held} of {len(report['targets'])} targets hold.", ""]
    return "\n".join(lines)


WRK_ERRORS = [("non_2xx", "answers outside 2xx"), ("socket_errors", "socket errors or timeouts")]


def smoke_failures(runs):
    """What fails ``make bench-smoke``: every error, no target. ``runs`` is
    {db: {size: run}}, a run either one_run's result or {"exception": "..."}; one line
    per failing run or endpoint, empty when the smoke passes."""
    failures = []
    expected = [name for name, *_rest in READ_ENDPOINTS] + WRITE_ENDPOINTS
    for db, sizes in runs.items():
        for size, run in sizes.items():
            where = f"{db}/{size}"
            if run.get("exception"):
                failures.append(f"{where}: {run['exception']}")
                continue
            endpoints = run.get("endpoints", {})
            failures += [f"{where} {name}: not measured" for name in expected if name not in endpoints]
            for name, ep in endpoints.items():
                problems = [
                    f"HTTP {ep[key]} on the {label} request"
                    for key, label in (("status_first", "first"), ("status", "steady-state"))
                    if key in ep and not 200 <= ep[key] < 300
                ]
                problems += [f"{ep[key]} {label} in wrk" for key, label in WRK_ERRORS if ep.get(key)]
                if ep.get("requests") == 0:
                    problems.append("no answer")
                if ep.get("errors") and not problems:
                    problems.append(f"{ep['errors']} errors")
                reader = ep.get("reader") or {}
                if reader.get("errors"):
                    problems.append(f"{reader['errors']} failed reads during the bulk submission")
                if problems:
                    detail = f" — {ep['first_error'][:200]}" if ep.get("first_error") else ""
                    failures.append(f"{where} {name}: {', '.join(problems)}{detail}")
    return failures


def smoke_markdown(report):
    """smoke.md: per database × size × endpoint the status, answers and errors; the verdict."""
    lines = [
        "# Bench smoke",
        "",
        f"Command: `{report['command']}` — {report['date']} — commit `{report['machine']['commit']}`; "
        f"{report['settings']['duration_s']} s per endpoint, {report['total_seconds']} s in all. "
        "No target judged: errors only.",
        "",
    ]
    for db, sizes in report["runs"].items():
        for size, run in sizes.items():
            lines += [f"## {db}, {size} measurements", ""]
            if run.get("exception"):
                lines += [f"Stopped: `{run['exception']}`", ""]
                continue
            lines += ["| endpoint | status | answers | errors | p95 ms |", "|---|---:|---:|---:|---:|"]
            for name, ep in run["endpoints"].items():
                if "all_seconds" in ep:  # the bulk submissions: how many, the slowest one whole
                    answers, p95 = len(ep["all_seconds"]), f"{ep.get('seconds')} s"
                else:
                    answers, p95 = ep.get("requests"), ep.get("p95_ms")
                lines.append(f"| {name} | {ep.get('status', '')} | {answers} | {ep.get('errors')} | {p95} |")
            lines.append("")
    failures = report["smoke"]["failures"]
    lines += ["## Verdict", ""]
    lines += [f"- {f}" for f in failures] if failures else ["No error: passed."]
    lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------ machine


def machine(pg_version):
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0
    with contextlib.suppress(OSError, AttributeError):
        ram = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024 / 1024
    os_name = platform.platform()
    with contextlib.suppress(OSError, AttributeError):
        os_name = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text()).group(1)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    sha = commit.stdout.strip() or "unknown"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram, 1),
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "commit": sha + ("+local changes" if dirty.stdout.strip() else ""),
        "load_average_at_start": round(os.getloadavg()[0], 1),
    }


# ------------------------------------------------------------------ processes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(database_url, port, workers, static_root):
    """The environment of every manage.py command and of gunicorn: the bench's settings
    with production values, and ``static_root`` where collectstatic puts the files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_", "GUNICORN_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_SECRET_KEY="bench-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SSL_REDIRECT="0",  # plain HTTP on the loopback
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_DB_CONN_MAX_AGE="600",  # persistent connections
        DJANGO_LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="bench.settings",  # the floor views, X-Query-Count, bench_credentials
        # The load generator is one user: the per-user limits would answer 429 after a second.
        ARTISANAT_API_THROTTLE_USER="1000000000/hour",
        ARTISANAT_API_THROTTLE_ANON="1000000000/hour",
        ARTISANAT_API_THROTTLE_BULK="1000000000/hour",
        ARTISANAT_API_THROTTLE_PUBLIC="1000000000/hour",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(workers),
        GUNICORN_MAX_REQUESTS="0",  # no recycling: the peak memory is the workers' real peak
        GUNICORN_LOG_LEVEL="WARNING",
        DEMO_PASSWORD="bench-demo-password-2030",
    )
    return env


def manage(env, *args, log):
    started = time.monotonic()
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    log.write(f"$ manage.py {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    log.flush()
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
    return result.stdout, time.monotonic() - started


def collect_static(static_root, log):
    """``manage.py collectstatic --noinput`` into ``static_root`` under the bench's
    production environment (the database is not read). Returns the number of files in
    the manifest; fails when there is none."""
    env = production_env(f"sqlite:///{Path(static_root).parent / 'collectstatic.sqlite3'}", 0, 1, static_root)
    manage(env, "collectstatic", "--noinput", log=log)
    manifest = Path(static_root) / MANIFEST
    if not manifest.is_file():
        raise RuntimeError(f"collectstatic wrote no {MANIFEST} in {static_root}")
    return len(json.loads(manifest.read_text())["paths"])


def start_gunicorn(env, port, log):
    process = subprocess.Popen(
        [GUNICORN, "--access-logfile", "-", "--error-logfile", "-", "bench.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _headers, _body = request(port, "GET", "/bench/floor/")
            if status == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped at start-up; see the log")
        time.sleep(0.3)
    stop(process)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def worker_pids(master):
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry.name))
    return pids


def peak_memory_mb(pids):
    """The largest VmHWM (peak resident set) among the workers, in MB."""
    peak = 0
    for pid in pids:
        try:
            match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        except OSError:
            continue
        if match:
            peak = max(peak, int(match.group(1)))
    return round(peak / 1024, 1)


# ------------------------------------------------------------------ HTTP


def request(port, method, path, headers=None, body=None, timeout=60):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _queries(headers):
    return int(headers["X-Query-Count"]) if "X-Query-Count" in headers else None


def auth_headers(kind, creds):
    if kind == "token":
        return {"Authorization": f"Token {creds['read_token']}"}
    if kind == "session":
        return {"Cookie": f"{creds['session_cookie']}={creds['session']}"}
    return {}


def run_wrk(port, path, headers, duration, connections, threads=2, every_status=False):
    """wrk on ``path``; ``every_status`` makes bench/report.lua count the 1xx and 3xx
    answers too (wrk itself counts only those >= 400) at the price of handing every
    answer to Lua: the smoke's setting, not the measurements'."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "-s", LUA]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    args.append(f"http://127.0.0.1:{port}{path}")
    env = {**os.environ, "BENCH_EVERY_STATUS": "1" if every_status else "0"}
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    if result.returncode:
        raise RuntimeError(f"wrk failed: {result.stderr}")
    return parse_wrk(result.stdout)


class Reader(threading.Thread):
    """Keeps reading ``path`` until stopped; records latencies and errors."""

    def __init__(self, port, path, headers):
        super().__init__(daemon=True)
        self.port, self.path, self.headers = port, path, headers
        self.latencies, self.errors, self.stopping = [], 0, threading.Event()

    def run(self):
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                status, _h, _b = request(self.port, "GET", self.path, self.headers)
            except OSError:
                status = 0
            if status == 200:
                self.latencies.append((time.perf_counter() - started) * 1000)
            else:
                self.errors += 1

    def summary(self):
        return {
            "answered": len(self.latencies),
            "errors": self.errors,
            "p50_ms": _r(percentile(self.latencies, 50)),
            "p95_ms": _r(percentile(self.latencies, 95)),
            "p99_ms": _r(percentile(self.latencies, 99)),
        }


def _r(value):
    return None if value is None else round(value, 2)


class Keys:
    """Distinct measurement keys for the writes: the bench's own monthly write indicator
    (bench_credentials), broken down by region, sex and actor type, one (month, region,
    sex, actor type) a write from December 2030 backwards: 11 520 keys, never a row
    seed_scale wrote."""

    SEXES = ["F", "M"]
    ACTORS = ["artisan", "maitre_artisan", "cooperative", "entreprise"]

    def __init__(self, creds):
        self.indicator, self.code = creds["write_indicator"], creds["write_indicator_code"]
        self.regions = creds["regions"]
        self.index, self.lock = 0, threading.Lock()

    def next(self):
        with self.lock:
            number, self.index = self.index, self.index + 1
        region = self.regions[number % len(self.regions)]
        rest = number // len(self.regions)
        sex, rest = self.SEXES[rest % 2], rest // 2
        actor, months_back = self.ACTORS[rest % 4], rest // 4
        if months_back >= 120:
            raise RuntimeError("bench: the writes used up their distinct keys")
        year, month = 2030 - months_back // 12, 12 - months_back % 12
        start = dt.date(year, month, 1)
        end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        return start, end, region, sex, actor


def write_one(port, creds, keys, key_style):
    start, end, (region_id, region_code), sex, actor = keys.next()
    if key_style == "api":
        row = {"indicator": keys.indicator, "region": region_id}
    else:
        row = {"indicator": keys.code, "region": region_code}
    row.update(
        period_start=start.isoformat(),
        period_end=end.isoformat(),
        sex=sex,
        actor_type=actor,
        value="12",
        source="banc d'essai",
    )
    return row


def run_writes(port, creds, keys, duration, connections):
    """One measurement per POST, ``connections`` threads for ``duration`` seconds."""
    headers = {"Authorization": f"Token {creds['write_token']}", "Content-Type": "application/json"}
    latencies, errors, lock, deadline = [], [0], threading.Lock(), time.monotonic() + duration
    sample = {}

    def worker():
        while time.monotonic() < deadline:
            body = json.dumps(write_one(port, creds, keys, "api"))
            started = time.perf_counter()
            try:
                status, response_headers, content = request(port, "POST", "/api/v1/measurements/", headers, body)
            except OSError:
                status, response_headers, content = 0, {}, b""
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == 201:
                    latencies.append(elapsed)
                    sample.setdefault("queries", response_headers.get("X-Query-Count"))
                    sample.setdefault("bytes", len(content))
                else:
                    errors[0] += 1
                    sample.setdefault("first_error", f"{status} {content[:300]!r}")

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": _r(percentile(latencies, 50)),
        "p95_ms": _r(percentile(latencies, 95)),
        "p99_ms": _r(percentile(latencies, 99)),
        "errors": errors[0],
        "queries": int(sample["queries"]) if sample.get("queries") else None,
        "bytes": sample.get("bytes"),
        **({"first_error": sample["first_error"]} if "first_error" in sample else {}),
    }


def run_bulk(port, creds, keys, repeats=3):
    """A 500-row bulk submission, ``repeats`` times, each timed end to end while a
    reader keeps reading the indicator list."""
    headers = {"Authorization": f"Token {creds['write_token']}", "Content-Type": "application/json"}
    timings, errors, result = [], 0, {}
    reader = Reader(port, "/api/v1/indicators/", auth_headers("token", creds))
    reader.start()
    for _ in range(repeats):
        rows = [write_one(port, creds, keys, "bulk") for _ in range(BULK_ROWS)]
        body = json.dumps({"rows": rows})
        started = time.perf_counter()
        status, response_headers, content = request(port, "POST", "/api/v1/measurements/bulk/", headers, body, 120)
        timings.append(time.perf_counter() - started)
        if status not in (200, 201):
            errors += 1
            result.setdefault("first_error", f"{status} {content[:300]!r}")
        result.setdefault("queries", int(response_headers.get("X-Query-Count", 0) or 0))
        result.setdefault("bytes", len(content))
    reader.stopping.set()
    reader.join()
    result.update(
        seconds=round(max(timings), 3),
        all_seconds=[round(t, 3) for t in timings],
        errors=errors,
        reader=reader.summary(),
    )
    return result


# ------------------------------------------------------------------ one database × size


def one_run(db, size, database_url, args, static_root, log):
    """One database × size: load, serve (the files collect_static put in ``static_root``),
    measure. ``args.smoke``: no warm-up when ``args.warmup`` is 0, no longer second wrk
    run for a slow endpoint, every status counted, one bulk submission."""
    workers = args.workers or os.cpu_count() or 1
    port = free_port()
    env = production_env(database_url, port, workers, static_root)
    print(f"[{db} {size}] migrate, load_strategy, seed_scale --measurements {size}", flush=True)
    manage(env, "migrate", "--noinput", log=log)
    manage(env, "load_strategy", log=log)
    seed_out, seed_seconds = manage(env, "seed_scale", "--measurements", str(size), log=log)
    creds_out, _s = manage(env, "bench_credentials", log=log)
    creds = json.loads(creds_out.strip().splitlines()[-1])
    print(f"[{db} {size}] seeded in {seed_seconds:.1f} s; gunicorn on port {port}, {workers} workers", flush=True)
    gunicorn = start_gunicorn(env, port, log)
    endpoints = {}
    try:
        pids = worker_pids(gunicorn.pid)
        for name, template, auth, _kind in READ_ENDPOINTS:
            path = template.format(**creds)
            headers = auth_headers(auth, creds)
            # Two counting requests: the first after the load (the figures cached per data
            # version are computed then), and, after the warm-up has reached every worker
            # (each keeps its own cache), one in the steady state that wrk measures.
            first = request(port, "GET", path, headers)
            if args.warmup:
                run_wrk(port, path, headers, args.warmup, args.connections)
            status, response_headers, body = request(port, "GET", path, headers)
            counting = {
                "path": path,
                "status_first": first[0],
                "status": status,
                "queries": _queries(response_headers),
                "queries_first": _queries(first[1]),
                "bytes": len(body),
            }
            if name == "floor":
                counting["queries"] = 0  # no middleware, no database: nothing to count
            measured = run_wrk(port, path, headers, args.duration, args.connections, every_status=args.smoke)
            if measured["requests"] < 2 * args.connections and not args.smoke:  # too slow for the run's length
                measured = run_wrk(port, path, headers, args.duration * 4, args.connections)
                measured["long_run"] = True
            if measured["requests"] == 0:
                measured["errors"] += 1  # not one answer within the run
            for answer_status, answer_body in ((first[0], first[2]), (status, body)):
                if answer_status != 200:
                    measured["errors"] += 1  # a redirect or an error page is not an answer
                    counting.setdefault("first_error", f"{answer_status} {answer_body[:300].decode(errors='replace')}")
            endpoints[name] = {**counting, **measured}
            print(
                f"[{db} {size}] {name:<18} {measured['rps']:>8} req/s  p95 {measured['p95_ms']:>8} ms  "
                f"queries {counting['queries']}  errors {measured['errors']}",
                flush=True,
            )
        keys = Keys(creds)  # shared: the bulk rows follow the single writes' keys
        endpoints["write_measurement"] = run_writes(port, creds, keys, args.duration, args.connections)
        print(f"[{db} {size}] write_measurement  {endpoints['write_measurement']}", flush=True)
        endpoints["write_bulk_500"] = run_bulk(port, creds, keys, repeats=1 if args.smoke else 3)
        print(f"[{db} {size}] write_bulk_500     {endpoints['write_bulk_500']}", flush=True)
        peak = peak_memory_mb(worker_pids(gunicorn.pid) or pids)
    finally:
        stop(gunicorn)
    return {
        "seed_seconds": round(seed_seconds, 1),
        "seed_output": seed_out.strip(),
        "peak_mb": peak,
        "endpoints": endpoints,
    }


def postgres_database(base_url, name):
    """A fresh database ``name`` on the server of ``base_url``; returns its URL."""
    parts = urlsplit(base_url)
    import psycopg2

    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port, user=parts.username or "postgres", dbname="postgres"
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return parts._replace(path=f"/{name}").geturl()


def result_files(out, smoke):
    """The files a run writes: smoke.{json,md,log} for the smoke, which must never
    replace the full bench's latest.{json,md}."""
    name = "smoke" if smoke else "latest"
    return {suffix: Path(out) / f"{name}.{suffix}" for suffix in ("json", "md", "log")}


def write_report(report, sizes, files, started, smoke=False):
    report["total_seconds"] = round(time.monotonic() - started, 1)
    if smoke:
        failures = smoke_failures(report["runs"])
        report["smoke"] = {"passed": not failures, "failures": failures}
        text = smoke_markdown(report)
    else:
        report["targets"] = evaluate(
            {db: {int(k): v for k, v in s.items()} for db, s in report["runs"].items()}, sizes[0], sizes[-1]
        )
        text = markdown(report)
    files["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    files["md"].write_text(text)


MODES = {
    # sizes, seconds of wrk per endpoint, seconds of warm-up per endpoint
    "full": ("10000,1000000", 15, 3),
    "smoke": ("2000", 1, 0),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="errors only, no target; smoke.* results; exit 1 on any")
    parser.add_argument("--sizes", help="measurement counts, small first (default 10000,1000000; smoke: 2000)")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", ""))
    parser.add_argument("--postgres-version", default=os.environ.get("PG_VERSION", ""))
    parser.add_argument("--duration", type=int, help="seconds of wrk per endpoint (default 15; smoke: 1)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per endpoint, 0 for none (default 3; smoke: 0)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: one per core)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--command", help="the command recorded in the report (default make bench / make bench-smoke)")
    args = parser.parse_args(argv)
    default_sizes, default_duration, default_warmup = MODES["smoke" if args.smoke else "full"]
    args.sizes = args.sizes or default_sizes
    args.duration = args.duration if args.duration is not None else default_duration
    args.warmup = args.warmup if args.warmup is not None else default_warmup
    args.command = args.command or ("make bench-smoke" if args.smoke else "make bench")
    if args.duration < 1:
        parser.error("--duration is at least 1 (wrk's unit is the second)")
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is missing (apt-get install wrk; bench/bench.sh does it)")
    sizes = [int(s) for s in args.sizes.split(",")]
    databases = [d for d in args.databases.split(",") if d]
    for db in databases:
        if db not in ("sqlite", "postgres"):
            sys.exit(f"bench: unknown database {db!r}")
        if db == "postgres" and not args.postgres_url:
            sys.exit("bench: --postgres-url (or BENCH_POSTGRES_URL) is needed for postgres")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = result_files(out, args.smoke)
    report = {
        "command": args.command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(args.postgres_version if "postgres" in databases else None),
        "settings": {
            "sizes": sizes,
            "databases": databases,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "workers": args.workers or os.cpu_count(),
        },
        "runs": {},
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="artisanat-bench-") as tmp, open(files["log"], "w") as log:
        # Production settings serve the hashed files of collectstatic's manifest: without
        # them every page answers 500. Once for every run, into the temporary folder.
        static_root = Path(tmp) / "static"
        print(f"bench: collectstatic: {collect_static(static_root, log)} files in the manifest", flush=True)
        for db in databases:
            report["runs"][db] = {}
            for size in sizes:
                try:
                    if db == "sqlite":
                        url = f"sqlite:///{tmp}/bench-{size}.sqlite3"
                    else:
                        url = postgres_database(args.postgres_url, f"bench_{size}")
                    report["runs"][db][str(size)] = one_run(db, size, url, args, static_root, log)
                except Exception as error:
                    if not args.smoke:
                        raise
                    # The smoke records the failure and goes on: one report, every database.
                    log.write(traceback.format_exc())
                    log.flush()
                    report["runs"][db][str(size)] = {"exception": f"{type(error).__name__}: {error}"[:2000]}
                    print(f"[{db} {size}] stopped: {type(error).__name__}: {error}", flush=True)
                # After each run: a stopped bench keeps what it measured.
                write_report(report, sizes, files, started, args.smoke)
                if db == "sqlite":
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{tmp}/bench-{size}.sqlite3{suffix}").unlink(missing_ok=True)
    write_report(report, sizes, files, started, args.smoke)
    if args.smoke:
        return smoke_summary(report, files)
    held = sum(t["holds"] for t in report["targets"])
    print(f"bench: {held}/{len(report['targets'])} targets hold; {files['md']} ({report['total_seconds']} s)")
    return 0


def smoke_summary(report, files):
    """Prints the smoke's verdict; its exit status: 0 passed, 1 any error."""
    checked = sum(len(run.get("endpoints", {})) for sizes in report["runs"].values() for run in sizes.values())
    failures = report["smoke"]["failures"]
    print(f"bench-smoke: {checked} endpoint runs over {', '.join(report['runs'])}, {report['total_seconds']} s")
    if failures:
        for failure in failures:
            print(f"  FAIL {failure}")
        print(f"bench-smoke: FAILED, {len(failures)} error(s); {files['md']}, {files['log']}")
        return 1
    print(f"bench-smoke: passed, no error; {files['md']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
