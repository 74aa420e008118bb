"""SQLite under concurrent writers: WAL, BEGIN IMMEDIATE and a busy timeout
(config/settings.py) make writers queue instead of failing.

The test database is in memory, so this starts the real application — gunicorn with
several worker processes and threads, production settings — on a temporary FILE
database, and sends it writes from many threads at once: single measurements, bulk
files, workflow transitions (submit, validate). No answer may be a 5xx, the server's
log may not mention "database is locked", and every row must be in the file."""

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.config.test_settings import start_django
from tests.servers import GUNICORN, clean_env, free_port

PROJECT = Path(__file__).resolve().parents[2]
THREADS = 12
ROUNDS = 2
BULK_ROWS = 4

SETUP = """
import datetime as dt, json
from decimal import Decimal
from django.contrib.auth import get_user_model
from artisanat.accounts.services import issue_token
from artisanat.choices import OrganisationKind, Role
from artisanat.models import Membership, Organisation
from strategy.choices import Aggregation, Direction, Unit
from strategy.models import Axis, Indicator, Programme, Strategy

ministry = Organisation.objects.create(name="Ministère", acronym="MTAESS", kind=OrganisationKind.MINISTRY)
fca = Organisation.objects.create(name="FCA", acronym="FCA", kind=OrganisationKind.FEDERATION)
strategy = Strategy.objects.create(name="Stratégie", start_date=dt.date(2021, 1, 1), end_date=dt.date(2030, 12, 31))
axis = Axis.objects.create(strategy=strategy, number=1, title="Axe")
programme = Programme.objects.create(axis=axis, code="P1.1", title="Programme")
indicator = Indicator.objects.create(
    code="IND-FORM", name="Artisans formés", axis=axis, programme=programme, unit=Unit.COUNT,
    direction=Direction.INCREASE, aggregation=Aggregation.SUM, baseline_value=Decimal(0),
    baseline_date=dt.date(2020, 12, 31), baseline_source="test", frequency="monthly",
)
indicator.reporting_organisations.set([fca])
tokens = {}
for name, organisation, role in (("partner", fca, Role.REPORTER), ("validator", ministry, Role.VALIDATOR)):
    user = get_user_model().objects.create_user(username=name, password="un-mot-de-passe-assez-long")
    Membership.objects.create(user=user, organisation=organisation, role=role)
    tokens[name] = issue_token(user)[1]
tokens["indicator"] = indicator.pk
print("SETUP " + json.dumps(tokens))
"""


def test_sqlite_settings_wal_immediate_and_busy_timeout_from_the_environment(tmp_path):
    database = tmp_path / "réglages.sqlite3"
    probe = (
        "import django; django.setup(); from django.db import connection; "
        "o = connection.settings_dict['OPTIONS']; c = connection.cursor(); "
        "print(o['timeout'], o['transaction_mode'], c.execute('PRAGMA journal_mode').fetchone()[0], "
        "c.execute('PRAGMA synchronous').fetchone()[0])"
    )
    for extra, timeout in (({}, "20"), ({"ARTISANAT_SQLITE_BUSY_TIMEOUT": "45"}, "45")):
        env = clean_env(DATABASE_URL=f"sqlite:///{database}", DJANGO_DEBUG="1", **extra)
        done = subprocess.run(
            [sys.executable, "-c", probe], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        # synchronous=NORMAL is 1.
        assert done.stdout.split() == [timeout, "IMMEDIATE", "wal", "1"]


@pytest.mark.parametrize("value", ["0", "vingt"])
def test_a_bad_busy_timeout_stops_start_up_naming_the_variable(value):
    done = start_django(DJANGO_DEBUG="1", ARTISANAT_SQLITE_BUSY_TIMEOUT=value)
    assert done.returncode != 0
    assert "ARTISANAT_SQLITE_BUSY_TIMEOUT" in done.stderr.strip().splitlines()[-1]


def _month(n):
    """The ``n``-th month from January 2021 (the indicator is monthly: a row covers
    exactly one month), as ISO start and end dates."""
    start = dt.date(2021 + n // 12, n % 12 + 1, 1)
    end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1) - dt.timedelta(days=1)
    return start.isoformat(), end.isoformat()


def _call(base, token, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Token {token}")
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:500]


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock; PostgreSQL has test_concurrency.py")
@pytest.mark.skipif(not GUNICORN.exists(), reason=f"gunicorn is not installed beside {sys.executable}")
def test_concurrent_writers_on_a_file_database_never_fail(tmp_path):
    database = tmp_path / "concurrence.sqlite3"
    port = free_port()
    env = clean_env(
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-and-random-secret-for-the-concurrency-test-0123456789",
        DJANGO_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_LOG_LEVEL="WARNING",
        ARTISANAT_API_THROTTLE_USER="100000/hour",
        ARTISANAT_API_THROTTLE_BULK="100000/hour",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="4",
        GUNICORN_LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", SETUP]):
        done = subprocess.run(
            manage + command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
    setup = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("SETUP "))[6:])

    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            [str(GUNICORN), "--threads", "4", "--access-logfile", "-"],
            cwd=PROJECT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                if _call(base, setup["partner"], "GET", "/measurements/?page_size=1")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.3)

        barrier = threading.Barrier(THREADS)
        answers, errors = [], []

        def writer(i):
            try:
                barrier.wait(timeout=60)
                for r in range(ROUNDS):
                    first = (i * ROUNDS + r) * (BULK_ROWS + 1)  # a month each, 120 in all
                    start, end = _month(first)
                    one = {"indicator": setup["indicator"], "period_start": start, "period_end": end, "value": "1"}
                    code, created = _call(base, setup["partner"], "POST", "/measurements/", one)
                    answers.append(("create", code))
                    rows = [
                        dict(
                            zip(("period_start", "period_end"), _month(first + d), strict=True),
                            indicator="IND-FORM",
                            value="2",
                        )
                        for d in range(1, BULK_ROWS + 1)
                    ]
                    code, _ = _call(
                        base,
                        setup["partner"],
                        "POST",
                        "/measurements/bulk/?submit=1",
                        rows,
                        {"Idempotency-Key": f"envoi-{i}-{r}"},
                    )
                    answers.append(("bulk", code))
                    if isinstance(created, dict) and "id" in created:
                        pk = created["id"]
                        code, _ = _call(base, setup["partner"], "POST", f"/measurements/{pk}/submit/", {})
                        answers.append(("submit", code))
                        code, _ = _call(base, setup["validator"], "POST", f"/measurements/{pk}/validate/", {})
                        answers.append(("validate", code))
            except Exception as exc:  # reported below
                errors.append(repr(exc))

        started = time.monotonic()
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    server_log = log.read_text(errors="replace")
    assert not errors, errors
    expected = {"create": 201, "bulk": 201, "submit": 200, "validate": 200}
    wrong = [(kind, code) for kind, code in answers if code != expected[kind]]
    assert not wrong, (wrong[:10], server_log[-3000:])
    assert len(answers) == THREADS * ROUNDS * 4
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log
    print(f"{len(answers)} writes from {THREADS} threads in {elapsed:.1f} s")

    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        counts = dict(db.execute("SELECT status, COUNT(*) FROM strategy_measurement GROUP BY status").fetchall())
        distinct = db.execute("SELECT COUNT(DISTINCT period_start) FROM strategy_measurement").fetchone()[0]
        keys = db.execute("SELECT COUNT(*) FROM artisanat_idempotencykey").fetchone()[0]
    singles, bulk = THREADS * ROUNDS, THREADS * ROUNDS * BULK_ROWS
    assert counts == {"validated": singles, "submitted": bulk}
    assert distinct == singles + bulk
    assert keys == THREADS * ROUNDS
