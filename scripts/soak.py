"""Soak test (issue 6, item 6): N concurrent clients against a running server for a
while, then a reconciliation against its database.

    DATABASE_URL=postgres://... DJANGO_DEBUG=0 DJANGO_SECRET_KEY=... \\
        .venv/bin/python scripts/soak.py --base http://127.0.0.1:8123 --clients 32 --duration 300

`make soak` / `make soak-quick` (scripts/soak.sh) start a throw-away PostgreSQL and
gunicorn and call this. The script runs in its own process, beside gunicorn:

1. setup (through the ORM, same DATABASE_URL as the server): API tokens for the demo
   accounts (created directly, so the soak does not depend on the sign-in and
   two-factor flow), sessions for the page readers, the baseline (measurement ids,
   history rows);
2. load: stdlib threads and http.client, each client playing one demo role and mixing
   reads (API and pages), single submissions, bulk submissions (with Idempotency-Key,
   some replayed on purpose), validations and returns, exports, and a few requests that
   must be refused (a duplicate natural key, a bulk with one bad row);
3. reconciliation: every measurement acknowledged with 201 is in the database exactly
   once with what was sent and the state the workflow left it in, each has exactly one
   creation history row, and no other measurement was added (or removed);
4. report: requests, by status, by operation with p50/p95 latency, the reconciliation;
   printed and written to soak/results/. Exit status 1 on any 5xx, transport error,
   unexpected status or reconciliation mismatch.

Natural keys never collide unless on purpose: the rows go to two synthetic monthly
indicators the setup creates (``SOAK-…``, broken down by region, filière, sex and actor
type, marked as synthetic in their names and sources), and each submitted row takes the
next number of a shared counter, turned into a month and a breakdown combination,
unique across the whole run (a measurement covers exactly one period of its indicator's
frequency, so the period alone can no longer make a key unique).
"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

REPORTERS = ["partner_fca", "partner_mda"]
# 32 clients: the role of client i is ROLES[i % len(ROLES)].
ROLES = [
    "partner_fca",
    "partner_mda",
    "partner_fca",
    "partner_mda",
    "editor",
    "validator",
    "viewer",
    "partner_fca",
    "partner_mda",
    "validator",
    "admin",
    "editor",
    "viewer",
    "partner_fca",
    "partner_mda",
    "validator",
]
PAGE_ROLES = ["viewer", "editor", "partner_fca", "partner_mda"]  # no two-factor step for these
PERIOD_ORIGIN = dt.date(2021, 1, 1)
STRATEGY_END = dt.date(2030, 12, 31)
SEX = ["F", "M"]
ACTOR_TYPES = ["artisan", "maitre_artisan", "cooperative", "entreprise"]


SOAK_PREFIX = "SOAK-"
SOAK_NOTE = "Indicateur synthétique du test d'endurance (scripts/soak.py) : aucune donnée réelle."


def create_soak_indicators(users):
    """The two monthly indicators the soak writes to (one value, one ratio), every
    dimension, reported by the partners' organisations and the ministry; idempotent."""
    from strategy.choices import Aggregation, Frequency, Unit
    from strategy.models import Axis, Indicator

    axis = Axis.objects.order_by("strategy__start_date", "number").first()
    orgs = {users[name].membership.organisation for name in ("partner_fca", "partner_mda", "editor")}
    for code, aggregation, unit in (
        ("SOAK-VALEUR", Aggregation.SUM, Unit.COUNT),
        ("SOAK-RATIO", Aggregation.RATIO, Unit.PERCENT),
    ):
        indicator, _ = Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": SOAK_NOTE, "axis": axis, "unit": unit, "aggregation": aggregation,
                "baseline_value": Decimal(0), "baseline_date": dt.date(2020, 12, 31), "baseline_source": SOAK_NOTE,
                "frequency": Frequency.MONTHLY, "by_region": True, "by_filiere": True, "by_sex": True,
                "by_actor_type": True,
            },
        )  # fmt: skip
        indicator.reporting_organisations.set(orgs)


# ── setup and reconciliation: the ORM ──────────────────────────────────────────────


def django_setup():
    import django

    django.setup()


def setup_state():
    """Tokens, sessions, reference data and the baseline, read before the load."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from artisanat.accounts.services import issue_token
    from artisanat.models import Filiere, Region
    from strategy.models import Indicator, Measurement

    users = {u.username: u for u in get_user_model().objects.filter(username__in=set(ROLES))}
    missing = sorted(set(ROLES) - set(users))
    if missing:
        raise SystemExit(f"soak: demo accounts missing ({', '.join(missing)}): run manage.py seed_demo first.")
    tokens = {name: issue_token(user)[1] for name, user in users.items()}
    sessions = {}
    for name in PAGE_ROLES:
        user = users[name]
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        # The backend that checks passwords (the last one): a session naming a backend
        # that is not configured is signed out at its first request.
        session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[-1]
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        sessions[name] = session.session_key

    create_soak_indicators(users)
    indicators = []
    for indicator in Indicator.objects.filter(code__startswith=SOAK_PREFIX).prefetch_related("reporting_organisations"):
        indicators.append(
            {
                "id": indicator.pk,
                "code": indicator.code,
                "ratio": indicator.aggregation == "ratio",
                "dimensions": list(indicator.dimensions),
                # In the same order: a ministry client picks one index in both.
                "reporters": [o.acronym for o in sorted(indicator.reporting_organisations.all(), key=lambda o: o.pk)],
                "organisation_ids": sorted(o.pk for o in indicator.reporting_organisations.all()),
            }
        )
    organisations = {}
    for name in REPORTERS:
        organisations[name] = users[name].membership.organisation.acronym
    return {
        "tokens": tokens,
        "sessions": sessions,
        "indicators": indicators,
        "organisations": organisations,
        "regions": [{"id": r.pk, "code": r.code} for r in Region.objects.order_by("code")],
        "filieres": [{"id": f.pk, "code": f.code} for f in Filiere.objects.order_by("code")],
        "baseline": {
            "ids": sorted(Measurement.objects.values_list("pk", flat=True)),
            "history": Measurement.history.count(),
        },
    }


def reconcile(state, ledger):
    """Compare what the server acknowledged with what its database holds."""
    from django.db.models import Count

    from strategy.models import Measurement

    baseline = set(state["baseline"]["ids"])
    rows = {
        m.pk: m
        for m in Measurement.objects.select_related("indicator", "region", "filiere", "organisation").exclude(
            pk__in=baseline
        )
    }
    still_there = set(Measurement.objects.filter(pk__in=baseline).values_list("pk", flat=True))
    acked = ledger.acked  # id → expected row
    lost = sorted(set(acked) - set(rows))
    extra = sorted(set(rows) - set(acked))
    mismatched = []
    for pk, expected in acked.items():
        row = rows.get(pk)
        if row is None:
            continue
        got = {
            "indicator": row.indicator.code,
            "period_start": row.period_start.isoformat(),
            "period_end": row.period_end.isoformat(),
            "region": row.region.code if row.region_id else "",
            "filiere": row.filiere.code if row.filiere_id else "",
            "sex": row.sex,
            "actor_type": row.actor_type,
            "value": _dec(row.value),
            "numerator": _dec(row.numerator),
            "denominator": _dec(row.denominator),
            "organisation": row.organisation.acronym,
            "status": row.status,
        }
        want = {k: expected[k] for k in got}
        want["status"] = ledger.status.get(pk, expected["status"])
        if got != want:
            mismatched.append({"id": pk, "expected": want, "found": got})
    # The natural key of every new row exactly once (the unique constraint says so; check).
    keys = Counter(
        (r.indicator_id, r.period_start, r.period_end, r.region_id, r.filiere_id, r.sex, r.actor_type)
        for r in rows.values()
    )
    duplicated_keys = sum(1 for n in keys.values() if n > 1)
    # One creation history row per new measurement, no more, no less.
    created_history = dict(
        Measurement.history.filter(id__in=list(rows), history_type="+")
        .values_list("id")
        .annotate(n=Count("history_id"))
        .values_list("id", "n")
    )
    history_not_once = sorted(pk for pk in rows if created_history.get(pk, 0) != 1)
    refused_stored = sorted(k for k in ledger.refused_keys if k in _natural_keys(rows.values()))
    return {
        "acknowledged": len(acked),
        "acknowledged_single": ledger.acked_single,
        "acknowledged_bulk_rows": ledger.acked_bulk_rows,
        "new_rows_in_database": len(rows),
        "lost": lost[:50],
        "lost_count": len(lost),
        "unacknowledged_extra": extra[:50],
        "unacknowledged_extra_count": len(extra),
        "field_or_status_mismatches": mismatched[:20],
        "field_or_status_mismatch_count": len(mismatched),
        "duplicated_natural_keys": duplicated_keys,
        "creation_history_not_exactly_once": history_not_once[:50],
        "creation_history_not_exactly_once_count": len(history_not_once),
        "refused_rows_found_stored": len(refused_stored),
        "preexisting_rows_removed": len(baseline - still_there),
        "expected_status_counts": dict(Counter(ledger.status.get(pk, e["status"]) for pk, e in acked.items())),
        "ok": not (lost or extra or mismatched or duplicated_keys or history_not_once or refused_stored)
        and still_there == baseline
        and len(rows) == len(acked),
    }


def _dec(value):
    return None if value is None else format(Decimal(value).normalize(), "f")


def _natural_keys(rows):
    return {
        (
            r.indicator.code,
            r.period_start.isoformat(),
            r.period_end.isoformat(),
            r.region.code if r.region_id else "",
            r.filiere.code if r.filiere_id else "",
            r.sex,
            r.actor_type,
        )
        for r in rows
    }


# ── load: stdlib threads and http.client ───────────────────────────────────────────


class Ledger:
    """What the server acknowledged, shared by the clients (one lock)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counter = 0
        self.acked = {}  # id → expected row (with the status it was acknowledged in)
        self.status = {}  # id → status after a later acknowledged workflow action
        self.acked_single = 0
        self.acked_bulk_rows = 0
        self.to_validate = []  # submitted ids, each handed to one validator only
        self.refused_keys = set()  # natural keys sent in requests that must be refused
        self.samples = defaultdict(list)  # operation → latencies (s)
        self.statuses = Counter()  # (operation, status)
        self.unexpected = Counter()  # (operation, status)
        self.unexpected_examples = []
        self.transport_errors = Counter()

    def next_number(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def record(self, operation, status, seconds, expected, body=b""):
        with self.lock:
            self.samples[operation].append(seconds)
            self.statuses[(operation, status)] += 1
            if status not in expected:
                self.unexpected[(operation, status)] += 1
                if len(self.unexpected_examples) < 20:
                    self.unexpected_examples.append(
                        {"operation": operation, "status": status, "body": body[:400].decode("utf-8", "replace")}
                    )

    def ack(self, pk, row, status, single):
        with self.lock:
            if pk in self.acked:
                raise AssertionError(f"id {pk} acknowledged twice for two different submissions")
            self.acked[pk] = {**row, "status": status}
            if single:
                self.acked_single += 1
            else:
                self.acked_bulk_rows += 1

    def queue_for_validation(self, ids):
        with self.lock:
            self.to_validate.extend(ids)

    def take_for_validation(self, n):
        with self.lock:
            taken, self.to_validate = self.to_validate[:n], self.to_validate[n:]
            return taken


MONTHS = (STRATEGY_END.year - PERIOD_ORIGIN.year + 1) * 12


def key_of(number, regions, filieres):
    """The ``number``-th distinct (month, region, filière, sex, actor type) of the run."""
    month, rest = number % MONTHS, number // MONTHS
    region, rest = regions[rest % len(regions)], rest // len(regions)
    sex, rest = SEX[rest % len(SEX)], rest // len(SEX)
    actor, rest = ACTOR_TYPES[rest % len(ACTOR_TYPES)], rest // len(ACTOR_TYPES)
    filiere, rest = filieres[rest % len(filieres)], rest // len(filieres)
    if rest:
        raise RuntimeError("soak: the run used up its distinct keys")
    year, month = PERIOD_ORIGIN.year + month // 12, month % 12 + 1
    start = dt.date(year, month, 1)
    end = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
    return start.isoformat(), end.isoformat(), region, filiere, sex, actor


class Client(threading.Thread):
    def __init__(self, index, role, base, state, ledger, deadline, timeout):
        super().__init__(name=f"client-{index}-{role}", daemon=True)
        self.role, self.state, self.ledger, self.deadline, self.timeout = role, state, ledger, deadline, timeout
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.random = random.Random(f"soak-{index}")
        self.connection = None
        self.token = state["tokens"][role]
        self.session = state["sessions"].get(role)
        self.organisation = state["organisations"].get(role)
        mine = [i for i in state["indicators"] if self.organisation in i["reporters"]]
        self.indicators = mine if role in REPORTERS else [i for i in state["indicators"] if i["reporters"]]

    # HTTP ------------------------------------------------------------------------
    def request(self, operation, method, path, expected, body=None, headers=None, page=False):
        headers = dict(headers or {})
        if page:
            headers["Cookie"] = f"sessionid={self.session}"
        else:
            headers["Authorization"] = f"Token {self.token}"
            headers.setdefault("Accept", "application/json")
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
        except (OSError, http.client.HTTPException) as error:
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            with self.ledger.lock:
                self.ledger.transport_errors[f"{operation}: {type(error).__name__}"] += 1
            return None, None, b""
        self.ledger.record(operation, response.status, time.monotonic() - started, expected, data)
        return response.status, response, data

    # rows ------------------------------------------------------------------------
    def make_row(self, indicator):
        start, end, region, filiere, sex, actor = key_of(
            self.ledger.next_number(), self.state["regions"], self.state["filieres"]
        )
        row = {
            "indicator": indicator["code"],
            "period_start": start,
            "period_end": end,
            "region": region["code"],
            "filiere": filiere["code"],
            "sex": sex,
            "actor_type": actor,
            "value": None,
            "numerator": None,
            "denominator": None,
        }
        if indicator["ratio"]:
            row["numerator"] = str(self.random.randint(0, 900))
            row["denominator"] = str(self.random.randint(900, 1000))
        else:
            row["value"] = f"{self.random.randint(1, 99999)}.{self.random.randint(0, 99):02d}"
        return row

    def expected_of(self, row, organisation):
        return {**{k: (_dec(v) if k in ("value", "numerator", "denominator") and v else v) for k, v in row.items()},
                "organisation": organisation}  # fmt: skip

    def api_row(self, row, organisation_id=None):
        """The single-create body: ids for foreign keys."""
        by_code = {"region": self.state["regions"], "filiere": self.state["filieres"]}
        indicator = next(i for i in self.state["indicators"] if i["code"] == row["indicator"])
        body = {"indicator": indicator["id"], "period_start": row["period_start"], "period_end": row["period_end"]}
        for field in ("value", "numerator", "denominator", "sex", "actor_type"):
            if row[field]:
                body[field] = row[field]
        for field, table in by_code.items():
            if row[field]:
                body[field] = next(r["id"] for r in table if r["code"] == row[field])
        body["source"] = "soak test"
        if organisation_id is not None:
            body["organisation"] = organisation_id
        return body

    def bulk_row(self, row):
        out = {k: v for k, v in row.items() if v}
        out["source"] = "soak test (bulk)"
        return out

    # operations ------------------------------------------------------------------
    def single_submission(self):
        indicator = self.random.choice(self.indicators)
        row = self.make_row(indicator)
        organisation_id = None
        organisation = self.organisation
        if self.role not in REPORTERS:  # the ministry says for whom
            index = self.random.randrange(len(indicator["organisation_ids"]))
            organisation_id = indicator["organisation_ids"][index]
            organisation = indicator["reporters"][index]
        status, _response, data = self.request(
            "single_create", "POST", "/api/v1/measurements/", {201}, self.api_row(row, organisation_id)
        )
        if status != 201:
            return
        pk = json.loads(data)["id"]
        self.ledger.ack(pk, self.expected_of(row, organisation), "draft", single=True)
        if self.random.random() < 0.7:
            status, _response, _data = self.request(
                "single_submit", "POST", f"/api/v1/measurements/{pk}/submit/", {200}, {}
            )
            if status == 200:
                with self.ledger.lock:
                    self.ledger.status[pk] = "submitted"
                self.ledger.queue_for_validation([pk])
        if self.random.random() < 0.05:  # the same natural key again: refused, nothing stored
            self.request(
                "duplicate_refused", "POST", "/api/v1/measurements/", {400, 409}, self.api_row(row, organisation_id)
            )

    def bulk_submission(self):
        rows = [self.make_row(self.random.choice(self.indicators)) for _ in range(self.random.randint(2, 25))]
        submit = self.random.random() < 0.8
        key = f"soak-{uuid.uuid4()}"
        path = "/api/v1/measurements/bulk/" + ("?submit=1" if submit else "")
        body = {"rows": [self.bulk_row(r) for r in rows]}
        status, _response, data = self.request("bulk_create", "POST", path, {201}, body, {"Idempotency-Key": key})
        if status != 201:
            return
        ids = json.loads(data)["ids"]
        if len(ids) != len(rows):
            with self.ledger.lock:
                self.ledger.unexpected[("bulk_create_count", len(ids))] += 1
            return
        state = "submitted" if submit else "draft"
        for pk, row in zip(ids, rows, strict=True):
            self.ledger.ack(pk, self.expected_of(row, self.organisation), state, single=False)
        if submit:
            self.ledger.queue_for_validation(ids)
        if self.random.random() < 0.15:  # a retry after a "lost" answer: replayed, nothing created
            status, response, data = self.request("bulk_replay", "POST", path, {201}, body, {"Idempotency-Key": key})
            if status == 201 and (
                json.loads(data)["ids"] != ids or response.getheader("Idempotent-Replayed") != "true"
            ):
                with self.ledger.lock:
                    self.ledger.unexpected[("bulk_replay_not_replayed", 201)] += 1

    def bad_bulk(self):
        """One bad row among good ones: 400, nothing stored."""
        rows = [self.make_row(self.random.choice(self.indicators)) for _ in range(self.random.randint(2, 10))]
        body = {"rows": [self.bulk_row(r) for r in rows]}
        body["rows"][-1]["period_end"] = "2019-12-31"  # before its start and the strategy
        with self.ledger.lock:
            for r in rows:
                self.ledger.refused_keys.add(
                    (r["indicator"], r["period_start"], r["period_end"], r["region"], r["filiere"], r["sex"],
                     r["actor_type"])
                )  # fmt: skip
        self.request("bulk_refused", "POST", "/api/v1/measurements/bulk/", {400}, body)

    def validation(self):
        ids = self.ledger.take_for_validation(self.random.choice([1, 1, 5, 20]))
        if not ids:
            self.read()
            return
        if len(ids) == 1 and self.random.random() < 0.2:
            pk = ids[0]
            status, _r, _d = self.request(
                "return", "POST", f"/api/v1/measurements/{pk}/return/", {200}, {"reason": "Soak : à vérifier."}
            )
            if status == 200:
                with self.ledger.lock:
                    self.ledger.status[pk] = "returned"
            return
        if len(ids) == 1:
            status, _r, _d = self.request("validate", "POST", f"/api/v1/measurements/{ids[0]}/validate/", {200}, {})
        else:
            status, _r, _d = self.request(
                "validate_many", "POST", "/api/v1/measurements/validate/", {200}, {"ids": ids, "comment": "soak"}
            )
        if status == 200:
            with self.ledger.lock:
                for pk in ids:
                    self.ledger.status[pk] = "validated"

    def read(self):
        indicator = self.random.choice(self.state["indicators"])
        choice = self.random.random()
        if choice < 0.25:
            self.request("api_indicators", "GET", "/api/v1/indicators/?page_size=20", {200})
        elif choice < 0.45:
            self.request("api_indicator", "GET", f"/api/v1/indicators/{indicator['id']}/", {200})
        elif choice < 0.7:
            self.request(
                "api_measurements",
                "GET",
                f"/api/v1/measurements/?indicator_code={indicator['code']}&page_size=50",
                {200},
            )
        elif choice < 0.85:
            self.request("api_dashboard", "GET", "/api/v1/dashboard/", {200})
        else:
            self.request("api_contracts", "GET", "/api/v1/contracts/", {200})

    def page(self):
        indicator = self.random.choice(self.state["indicators"])
        path = self.random.choice(
            ["/", "/strategie/", "/strategie/indicateurs/", f"/strategie/indicateurs/{indicator['id']}/",
             "/strategie/mesures/", "/contrats/"]
        )  # fmt: skip
        self.request("page", "GET", path, {200}, page=True)

    def export(self):
        indicator = self.random.choice(self.state["indicators"])
        choice = self.random.random()
        if choice < 0.5:
            self.request(
                "export_csv", "GET", f"/api/v1/measurements/?format=csv&indicator_code={indicator['code']}", {200},
                headers={"Accept": "text/csv"},
            )  # fmt: skip
        elif choice < 0.8:
            self.request("export_xlsx", "GET", "/api/v1/indicators/?format=xlsx", {200}, headers={"Accept": "*/*"})
        elif self.session:
            self.request("page_export", "GET", "/strategie/indicateurs/?format=csv", {200}, page=True)
        else:
            self.request("export_csv", "GET", "/api/v1/contracts/?format=csv", {200}, headers={"Accept": "text/csv"})

    def run(self):
        if self.role in REPORTERS:
            mix = [(0.30, self.read), (0.10, self.page), (0.28, self.single_submission), (0.20, self.bulk_submission),
                   (0.07, self.export), (0.05, self.bad_bulk)]  # fmt: skip
        elif self.role == "editor":
            mix = [(0.40, self.read), (0.20, self.page), (0.30, self.single_submission), (0.10, self.export)]
        elif self.role == "validator":
            mix = [(0.80, self.validation), (0.20, self.read)]
        elif self.role == "viewer":
            mix = [(0.50, self.read), (0.35, self.page), (0.15, self.export)]
        else:  # admin
            mix = [(0.60, self.read), (0.40, self.export)]
        weights = [w for w, _ in mix]
        actions = [a for _, a in mix]
        while time.monotonic() < self.deadline:
            self.random.choices(actions, weights)[0]()
        if self.connection is not None:
            self.connection.close()


def process_tree_cpu(pid):
    """CPU seconds of a server process and its children (live ones, and the ones it has
    reaped: gunicorn's recycled workers, PostgreSQL's per-connection backends); None
    when /proc cannot say."""
    if not pid:
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def fields(stat_path):
        text = Path(stat_path).read_text()
        return text[text.rindex(")") + 2 :].split()  # after "pid (comm) "

    try:
        own = fields(f"/proc/{pid}/stat")
    except OSError:
        return None
    total = sum(int(own[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = fields(entry / "stat")
        except OSError:
            continue
        if child[1] == str(pid):  # ppid
            total += int(child[11]) + int(child[12])
    return total / tick


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="server address, e.g. http://127.0.0.1:8123")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--timeout", type=float, default=60, help="seconds a client waits for an answer")
    parser.add_argument("--results", default=str(PROJECT / "soak" / "results"), help="folder for the report")
    parser.add_argument("--label", default="", help="added to the report's file name")
    parser.add_argument("--server-pid", type=int, help="gunicorn's master: CPU per request in the report")
    parser.add_argument("--db-pid", type=int, help="the PostgreSQL postmaster: CPU per request in the report")
    args = parser.parse_args()

    django_setup()
    state = setup_state()
    ledger = Ledger()
    # The server must answer before the clock starts.
    started_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    cpu_before = {"gunicorn": process_tree_cpu(args.server_pid), "postgresql": process_tree_cpu(args.db_pid)}
    started = time.monotonic()
    deadline = started + args.duration
    clients = [
        Client(i, ROLES[i % len(ROLES)], args.base, state, ledger, deadline, args.timeout) for i in range(args.clients)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.monotonic() - started
    cpu_used = {}
    for name, pid in (("gunicorn", args.server_pid), ("postgresql", args.db_pid)):
        after = process_tree_cpu(pid)
        if after is not None and cpu_before[name] is not None:
            cpu_used[name] = round(after - cpu_before[name], 1)
    from django.db import connection

    connection.close()
    reconciliation = reconcile(state, ledger)

    all_latencies = [s for samples in ledger.samples.values() for s in samples]
    by_status = Counter()
    for (_operation, status), n in ledger.statuses.items():
        by_status[status] += n
    server_errors = sum(n for status, n in by_status.items() if status >= 500)
    operations = {
        op: {
            "requests": len(samples),
            "p50_ms": round(percentile(samples, 0.50) * 1000, 1),
            "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
            "max_ms": round(max(samples) * 1000, 1),
            "statuses": {str(s): n for (o, s), n in sorted(ledger.statuses.items()) if o == op},
        }
        for op, samples in sorted(ledger.samples.items())
    }
    report = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "base": args.base,
        "clients": args.clients,
        "duration_s": args.duration,
        "elapsed_s": round(elapsed, 1),
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "requests": len(all_latencies),
        "requests_per_s": round(len(all_latencies) / elapsed, 1),
        "server_cpu_s": cpu_used,
        "server_cpu_ms_per_request": {
            name: round(seconds * 1000 / len(all_latencies), 1) for name, seconds in cpu_used.items() if all_latencies
        },
        "by_status": {str(s): n for s, n in sorted(by_status.items())},
        "server_errors_5xx": server_errors,
        "transport_errors": dict(ledger.transport_errors),
        "unexpected_statuses": {f"{o} {s}": n for (o, s), n in sorted(ledger.unexpected.items(), key=str)},
        "unexpected_examples": ledger.unexpected_examples,
        "latency_ms": {
            "p50": round(percentile(all_latencies, 0.50) * 1000, 1) if all_latencies else None,
            "p95": round(percentile(all_latencies, 0.95) * 1000, 1) if all_latencies else None,
            "p99": round(percentile(all_latencies, 0.99) * 1000, 1) if all_latencies else None,
            "max": round(max(all_latencies) * 1000, 1) if all_latencies else None,
        },
        "operations": operations,
        "reconciliation": reconciliation,
    }
    passed = (
        server_errors == 0
        and not ledger.transport_errors
        and not ledger.unexpected
        and reconciliation["ok"]
        and len(all_latencies) > 0
    )
    report["passed"] = passed
    text = render(report)
    print(text)
    folder = Path(args.results)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = started_at.strftime("%Y%m%d-%H%M%S")
    name = f"soak-{stamp}-{args.clients}c-{args.duration}s{('-' + args.label) if args.label else ''}"
    (folder / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (folder / f"{name}.txt").write_text(text + "\n")
    print(f"soak: report written to {folder / name}.txt and .json")
    return 0 if passed else 1


def render(report):
    r = report["reconciliation"]
    lines = [
        f"Soak test {report['started_at']} — {report['clients']} clients, {report['duration_s']} s "
        f"against {report['base']} ({report['elapsed_s']} s elapsed)",
        f"machine: {report['cpu_count']} cores, load average (1/5/15 min) before "
        f"{report['load_average_before']}, after {report['load_average_after']} (shared with other work)",
        f"requests: {report['requests']} ({report['requests_per_s']}/s)   "
        f"latency p50 {report['latency_ms']['p50']} ms, p95 {report['latency_ms']['p95']} ms, "
        f"p99 {report['latency_ms']['p99']} ms, max {report['latency_ms']['max']} ms",
        f"server CPU during the load: {report['server_cpu_s'] or 'n/a'} s, "
        f"per request {report['server_cpu_ms_per_request'] or 'n/a'} ms (independent of the machine's load)",
        "by status: " + ", ".join(f"{s}: {n}" for s, n in report["by_status"].items()),
        f"5xx: {report['server_errors_5xx']}   transport errors: {sum(report['transport_errors'].values())} "
        f"{report['transport_errors'] or ''}   unexpected statuses: {report['unexpected_statuses'] or 0}",
        "",
        f"{'operation':<20}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  statuses",
    ]
    for op, o in report["operations"].items():
        statuses = ", ".join(f"{s}: {n}" for s, n in o["statuses"].items())
        lines.append(f"{op:<20}{o['requests']:>9}{o['p50_ms']:>9}{o['p95_ms']:>9}{o['max_ms']:>9}  {statuses}")
    lines += [
        "",
        "reconciliation:",
        f"  acknowledged with 201: {r['acknowledged']} measurements "
        f"({r['acknowledged_single']} single, {r['acknowledged_bulk_rows']} in bulk)",
        f"  new rows in the database: {r['new_rows_in_database']}",
        f"  lost (acknowledged, not stored): {r['lost_count']}   "
        f"extra (stored, never acknowledged): {r['unacknowledged_extra_count']}",
        f"  stored differently from what was sent / workflow state: {r['field_or_status_mismatch_count']}",
        f"  duplicated natural keys: {r['duplicated_natural_keys']}   "
        f"creation history not exactly once: {r['creation_history_not_exactly_once_count']}",
        f"  rows of refused requests found stored: {r['refused_rows_found_stored']}   "
        f"pre-existing rows removed: {r['preexisting_rows_removed']}",
        f"  final states expected and found: {r['expected_status_counts']}",
        f"  reconciliation: {'OK' if r['ok'] else 'MISMATCH'}",
        "",
        f"RESULT: {'PASS' if report['passed'] else 'FAIL'} "
        "(target: zero 5xx, zero transport errors or unexpected statuses, zero lost or duplicated rows)",
    ]
    if report["unexpected_examples"]:
        lines.append("unexpected answers (first ones):")
        lines += [f"  {e['operation']} {e['status']}: {e['body']}" for e in report["unexpected_examples"][:5]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
