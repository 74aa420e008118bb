"""Soak through the load balancer of `make cluster` while parts of it are killed (issue
16, item 6). scripts/soak_cluster.sh starts the cluster (scripts/cluster.sh) and calls
this with its state (DATABASE_URL, REDIS_URL… in the environment):

    .venv/bin/python scripts/soak_cluster.py --base http://127.0.0.1:PORT --duration 300

1. setup, as scripts/soak.py does (tokens, sessions, the two synthetic indicators, the
   baseline), through the ORM on the primary;
2. load: staff and partners through the API (scripts/soak.py's clients: single
   submissions, bulk submissions with an Idempotency-Key, validations, exports), one
   signed-in page reader (a session cookie), and anonymous public readers — several times
   as many — on ``--public-urls`` (the pages every visitor may read);
3. meanwhile, one after the other: ``kill -9`` of one gunicorn (master and workers) and
   its restart, the replica stopped then started, Redis restarted (empty);
4. every write is retried as a client would: a bulk with the same Idempotency-Key until
   it is acknowledged; a single submission with the same content (the unique natural key
   refuses a second copy, so a refusal after an unanswered attempt means the first one was
   stored: "in doubt, stored"); a workflow action's outcome after an unanswered attempt is
   either state;
5. reconciliation (scripts/soak.py's, plus the writes in doubt): every acknowledged
   measurement stored exactly once with what was sent, no natural key twice, no row that
   nobody sent; the 5xx and transport errors of each phase with their times.

Exit status 1 on any acknowledged write lost, any duplicate, any 5xx or transport error
outside the windows of the kills (from the kill to ``--grace`` seconds after the part is
back), any unexpected answer (a signed-in reader sent to the sign-in page: a lost
session), or a public read that failed outside those windows.
"""

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "scripts"))

import soak  # noqa: E402  (scripts/soak.py: setup, clients, reconciliation)

DEFAULT_PUBLIC_URLS = (
    "/donnees/fr/,/donnees/ar/indicateurs/,/donnees/fr/indicateurs/FORM-ARTISANS/,/donnees/en/regions/07/,"
    "/donnees/fr/contrats/,/sitemap.xml,/api/public/v1/indicators/,/api/public/v1/regions/,"
    "/api/public/v1/indicators/FORM-ARTISANS/series/,/healthz,/connexion/"
)
UNCERTAIN = (None, 500, 502, 503, 504)
CLUSTER = str(PROJECT / "scripts" / "cluster.sh")


class Timeline:
    """Every answer with its time (seconds since the start), and the chaos events."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.answers = []  # (t, kind, operation, status or None)
        self.events = []  # {"name", "start", "back", "end"}
        self.in_doubt_keys = set()
        self.in_doubt_status = defaultdict(set)  # pk → the states it may be in
        self.retries = Counter()

    def now(self):
        return time.monotonic() - self.t0

    def add(self, kind, operation, status):
        with self.lock:
            self.answers.append((self.now(), kind, operation, status))


class StaffClient(soak.Client):
    """scripts/soak.py's client, its writes retried until answered (module docstring)."""

    def __init__(self, *args, timeline, retry_until, **kwargs):
        super().__init__(*args, **kwargs)
        self.timeline, self.retry_until = timeline, retry_until

    def request(self, operation, method, path, expected, body=None, headers=None, page=False):
        expected = set(expected) | {500, 502, 503, 504}  # judged by time below, not here
        status, response, data = super().request(operation, method, path, expected, body, headers, page)
        self.timeline.add("session" if page else "api", operation, status)
        if status in UNCERTAIN:
            time.sleep(0.2)  # a client backs off a little before its next request
        return status, response, data

    def _retry(self, operation, method, path, done, body=None, headers=None):
        """The same request again until it is answered (not 5xx, not a transport error)."""
        while True:
            status, response, data = self.request(operation, method, path, done, body, headers)
            if status not in UNCERTAIN or time.monotonic() > self.retry_until:
                return status, response, data
            self.timeline.retries[operation] += 1
            time.sleep(0.5)

    def single_submission(self):
        indicator = self.random.choice(self.indicators)
        row = self.make_row(indicator)
        organisation_id, organisation = None, self.organisation
        if self.role not in soak.REPORTERS:
            index = self.random.randrange(len(indicator["organisation_ids"]))
            organisation_id = indicator["organisation_ids"][index]
            organisation = indicator["reporters"][index]
        body = self.api_row(row, organisation_id)
        uncertain = False
        while True:
            status, _r, data = self.request("single_create", "POST", "/api/v1/measurements/", {201, 400, 409}, body)
            if status == 201:
                break
            if status in UNCERTAIN and time.monotonic() < self.retry_until:
                uncertain = True
                self.timeline.retries["single_create"] += 1
                time.sleep(0.5)
                continue
            if uncertain or status in UNCERTAIN:  # stored by an unanswered attempt, or unknown
                with self.timeline.lock:
                    self.timeline.in_doubt_keys.add(_key(row))
            return
        pk = json.loads(data)["id"]
        self.ledger.ack(pk, self.expected_of(row, organisation), "draft", single=True)
        if self.random.random() < 0.7:
            self._workflow(pk, "single_submit", f"/api/v1/measurements/{pk}/submit/", {}, "draft", "submitted")

    def _workflow(self, pk, operation, path, body, before, after, ids=None):
        ids = ids or [pk]
        status, _r, _d = self.request(operation, "POST", path, {200, 400, 409}, body)
        if status == 200:
            with self.ledger.lock:
                for i in ids:
                    self.ledger.status[i] = after
            if after == "submitted":
                self.ledger.queue_for_validation(ids)
        elif status in UNCERTAIN:
            with self.timeline.lock:
                for i in ids:
                    self.timeline.in_doubt_status[i] |= {before, after}

    def bulk_submission(self):
        rows = [self.make_row(self.random.choice(self.indicators)) for _ in range(self.random.randint(2, 25))]
        submit = self.random.random() < 0.8
        key = f"soak-cluster-{uuid.uuid4()}"
        path = "/api/v1/measurements/bulk/" + ("?submit=1" if submit else "")
        body = {"rows": [self.bulk_row(r) for r in rows]}
        status, response, data = self._retry("bulk_create", "POST", path, {201}, body, {"Idempotency-Key": key})
        if status != 201:
            if status in UNCERTAIN:
                with self.timeline.lock:
                    self.timeline.in_doubt_keys.update(_key(r) for r in rows)
            return
        ids = json.loads(data)["ids"]
        state = "submitted" if submit else "draft"
        for pk, row in zip(ids, rows, strict=True):
            self.ledger.ack(pk, self.expected_of(row, self.organisation), state, single=False)
        if submit:
            self.ledger.queue_for_validation(ids)
        if self.random.random() < 0.15:  # a replay on purpose: the same ids, nothing created
            status, response, data = self._retry("bulk_replay", "POST", path, {201}, body, {"Idempotency-Key": key})
            if status == 201 and json.loads(data)["ids"] != ids:
                with self.ledger.lock:
                    self.ledger.unexpected[("bulk_replay_other_ids", 201)] += 1

    def validation(self):
        ids = self.ledger.take_for_validation(self.random.choice([1, 1, 5, 20]))
        if not ids:
            self.read()
            return
        if len(ids) == 1:
            self._workflow(ids[0], "validate", f"/api/v1/measurements/{ids[0]}/validate/", {}, "submitted", "validated")
        else:
            self._workflow(
                None, "validate_many", "/api/v1/measurements/validate/", {"ids": ids, "comment": "soak"},
                "submitted", "validated", ids=ids,
            )  # fmt: skip

    def run(self):
        if self.role == "session":
            while time.monotonic() < self.deadline:
                self.request("session_page", "GET", self.random.choice(["/", "/strategie/", "/contrats/"]), {200},
                             page=True)  # fmt: skip
                time.sleep(0.2)
            return
        super().run()


def _key(row):
    return (row["indicator"], row["period_start"], row["period_end"], row["region"], row["filiere"], row["sex"],
            row["actor_type"])  # fmt: skip


class PublicReader(threading.Thread):
    """An anonymous visitor: no cookie kept, no token; GETs the public URLs."""

    def __init__(self, index, base, urls, timeline, deadline, timeout):
        super().__init__(name=f"public-{index}", daemon=True)
        import http.client
        import urllib.parse

        self.http = http.client
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.urls, self.timeline, self.deadline, self.timeout = urls, timeline, deadline, timeout
        self.random = random.Random(f"public-{index}")
        self.samples = []

    def run(self):
        connection = None
        while time.monotonic() < self.deadline:
            path = self.random.choice(self.urls)
            started = time.monotonic()
            try:
                if connection is None:
                    connection = self.http.HTTPConnection(self.host, self.port, timeout=self.timeout)
                connection.request("GET", path, headers={"Accept": "text/html,application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, self.http.HTTPException):
                if connection is not None:
                    connection.close()
                connection, status = None, None
            self.samples.append(time.monotonic() - started)
            self.timeline.add("public", path, status)
            time.sleep(0.25 if status is None or status >= 500 else 0.05)
        if connection is not None:
            connection.close()


def cluster(*args):
    subprocess.run([CLUSTER, *args], check=True, cwd=PROJECT, stdout=subprocess.DEVNULL)


def redis_keys(pattern):
    import redis

    return len(redis.Redis.from_url(os.environ["REDIS_URL"]).keys(pattern))


def chaos(timeline, duration, stop, report):
    """The three events, at 15 %, 40 % and 65 % of the load."""

    def at(fraction):
        while timeline.now() < duration * fraction and not stop.is_set():
            time.sleep(0.1)

    def event(name, *steps):
        record = {"name": name, "start": round(timeline.now(), 2)}
        for step in steps:
            if isinstance(step, (int, float)):
                time.sleep(step)
            else:
                cluster(*step)
        record["back"] = round(timeline.now(), 2)
        timeline.events.append(record)

    at(0.15)
    event("kill -9 gunicorn A, restart", ("kill-app", "1"), 3, ("start-app", "1"))
    at(0.40)
    event("stop the replica, start it", ("stop-replica",), 8, ("start-replica",))
    at(0.65)
    report["throttle_keys_before_redis_restart"] = redis_keys("artisanat:*throttle*")
    report["cache_keys_before_redis_restart"] = redis_keys("artisanat-cache:*")
    event("restart Redis (empty)", ("restart-redis",))
    report["throttle_keys_after_redis_restart"] = redis_keys("artisanat:*throttle*")
    time.sleep(min(10, duration * 0.1))
    report["cache_keys_10s_after_redis_restart"] = redis_keys("artisanat-cache:*")


def judge(timeline, grace, public_expected):
    """Each answer in a phase: the window of an event (start → back + grace) or steady."""
    windows = [(e["name"], e["start"], e["back"] + grace) for e in timeline.events]
    phases = {name: Counter() for name, _s, _e in windows}
    phases["steady"] = Counter()
    bad = defaultdict(list)  # phase → (t, kind, operation, status) of each 5xx / transport error
    public = Counter()
    for t, kind, operation, status in timeline.answers:
        phase = next((name for name, s, e in windows if s <= t <= e), "steady")
        phases[phase]["requests"] += 1
        failed = status is None or status >= 500
        if kind == "public":
            expected = public_expected.get(operation, {200})
            public["requests"] += 1
            if status in expected:
                public["answered"] += 1
            elif not failed:
                public["unexpected"] += 1
                bad[phase].append((round(t, 2), kind, operation, status))
        if failed:
            phases[phase]["5xx" if status else "transport"] += 1
            bad[phase].append((round(t, 2), kind, operation, status))
        if kind == "session" and status in (301, 302, 401, 403):
            phases[phase]["session_lost"] += 1
            bad[phase].append((round(t, 2), kind, operation, status))
    return windows, phases, bad, public


def reconcile(state, ledger, timeline):
    """scripts/soak.py's reconciliation with the writes in doubt accounted for."""
    from strategy.models import Measurement

    acked = set(ledger.acked)
    # A workflow action whose answer was lost: whichever state the row is in, if allowed.
    found_status = dict(Measurement.objects.filter(pk__in=list(timeline.in_doubt_status)).values_list("pk", "status"))
    for pk, allowed in timeline.in_doubt_status.items():
        if pk in acked and found_status.get(pk) in allowed | {ledger.status.get(pk, ledger.acked[pk]["status"])}:
            ledger.status[pk] = found_status[pk]
    result = soak.reconcile(state, ledger)
    baseline = set(state["baseline"]["ids"])
    extra = Measurement.objects.exclude(pk__in=baseline | acked).select_related("indicator", "region", "filiere")
    explained = [m.pk for m in extra if _key_of_row(m) in timeline.in_doubt_keys]
    result["in_doubt_stored"] = len(explained)
    result["unexplained_extra_count"] = result["unacknowledged_extra_count"] - len(explained)
    result["in_doubt_keys"] = len(timeline.in_doubt_keys)
    result["ok"] = (
        result["lost_count"] == 0
        and result["unexplained_extra_count"] == 0
        and result["field_or_status_mismatch_count"] == 0
        and result["duplicated_natural_keys"] == 0
        and result["creation_history_not_exactly_once_count"] == 0
        and result["refused_rows_found_stored"] == 0
        and result["preexisting_rows_removed"] == 0
    )
    return result


def _key_of_row(m):
    return (m.indicator.code, m.period_start.isoformat(), m.period_end.isoformat(),
            m.region.code if m.region_id else "", m.filiere.code if m.filiere_id else "", m.sex, m.actor_type)  # fmt: skip


STAFF_ROLES = ["partner_fca", "partner_mda", "editor", "validator", "partner_fca", "partner_mda", "viewer"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--duration", type=int, default=300)
    parser.add_argument("--staff", type=int, default=6, help="API clients (staff and partners)")
    parser.add_argument("--public-factor", type=int, default=3, help="public readers per staff client")
    parser.add_argument(
        "--public-urls",
        default=os.environ.get("SOAK_PUBLIC_URLS", DEFAULT_PUBLIC_URLS),
        help="comma-separated paths, each optionally =STATUS (default 200); env SOAK_PUBLIC_URLS",
    )
    parser.add_argument("--grace", type=float, default=5, help="seconds after a part is back still in its window")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--results", default=str(PROJECT / "soak" / "results"))
    parser.add_argument("--label", default="")
    args = parser.parse_args()

    public_urls, public_expected = [], {}
    for item in filter(None, (u.strip() for u in args.public_urls.split(","))):
        path, _, code = item.partition("=")
        public_urls.append(path)
        public_expected[path] = {int(c) for c in code.split("|")} if code else {200}

    soak.django_setup()
    state = soak.setup_state()
    from django.db import connection

    connection.close()
    ledger = soak.Ledger()
    timeline = Timeline()
    started_at = dt.datetime.now(dt.UTC)
    deadline = time.monotonic() + args.duration
    retry_until = deadline + 60
    state["sessions"]["session"] = state["sessions"]["viewer"]
    state["tokens"]["session"] = state["tokens"]["viewer"]
    clients = [
        StaffClient(i, STAFF_ROLES[i % len(STAFF_ROLES)], args.base, state, ledger, deadline, args.timeout,
                    timeline=timeline, retry_until=retry_until)
        for i in range(args.staff)
    ]  # fmt: skip
    clients.append(
        StaffClient(99, "session", args.base, state, ledger, deadline, args.timeout, timeline=timeline,
                    retry_until=retry_until)
    )  # fmt: skip
    readers = [
        PublicReader(i, args.base, public_urls, timeline, deadline, args.timeout)
        for i in range(args.staff * args.public_factor)
    ]
    report = {}
    stop = threading.Event()
    chaos_thread = threading.Thread(target=chaos, args=(timeline, args.duration, stop, report), daemon=True)
    for thread in [*clients, *readers, chaos_thread]:
        thread.start()
    chaos_error = None
    for thread in [*clients, *readers]:
        thread.join()
    stop.set()
    chaos_thread.join(timeout=120)
    if len(timeline.events) < 3:
        chaos_error = f"only {len(timeline.events)} of the 3 events ran (duration too short?)"
    elapsed = timeline.now()

    reconciliation = reconcile(state, ledger, timeline)
    windows, phases, bad, public = judge(timeline, args.grace, public_expected)
    outside = bad.get("steady", [])
    non_5xx_unexpected = {f"{o} {s}": n for (o, s), n in ledger.unexpected.items() if s not in UNCERTAIN}
    by_kind = Counter(kind for _t, kind, _o, _s in timeline.answers)
    report.update(
        {
            "started_at": started_at.isoformat(timespec="seconds"),
            "base": args.base,
            "duration_s": args.duration,
            "elapsed_s": round(elapsed, 1),
            "cpu_count": os.cpu_count(),
            "clients": {"staff_api": args.staff, "signed_in_pages": 1, "public_readers": len(readers)},
            "public_urls": public_urls,
            "requests": len(timeline.answers),
            "requests_by_kind": dict(by_kind),
            "requests_per_s": round(len(timeline.answers) / elapsed, 1),
            "events": [
                {
                    **e,
                    "window_end": round(e["back"] + args.grace, 2),
                    **phases[e["name"]],
                    "failures": bad.get(e["name"], [])[:30],
                }
                for e in timeline.events
            ],  # fmt: skip
            "steady": dict(phases["steady"]),
            "failures_outside_windows": outside[:50],
            "public_reads": dict(public),
            "retries": dict(timeline.retries),
            "unexpected_statuses": non_5xx_unexpected,
            "unexpected_examples": [e for e in ledger.unexpected_examples if e["status"] not in UNCERTAIN][:10],
            "operations": {
                op: {
                    "requests": len(s),
                    "p50_ms": round(soak.percentile(s, 0.5) * 1000, 1),
                    "p95_ms": round(soak.percentile(s, 0.95) * 1000, 1),
                }
                for op, s in sorted(ledger.samples.items())
            },  # fmt: skip
            "reconciliation": reconciliation,
            "chaos_error": chaos_error,
        }
    )
    report["passed"] = (
        reconciliation["ok"]
        and not outside
        and not non_5xx_unexpected
        and public.get("requests", 0) > 0
        and chaos_error is None
    )
    text = render(report)
    print(text)
    folder = Path(args.results)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"cluster-{started_at.strftime('%Y%m%d-%H%M%S')}-{args.duration}s{('-' + args.label) if args.label else ''}"
    (folder / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    (folder / f"{name}.md").write_text(text + "\n")
    print(f"soak-cluster: report written to {folder / name}.md and .json")
    return 0 if report["passed"] else 1


def render(report):
    r = report["reconciliation"]
    p = report["public_reads"]
    lines = [
        f"# Cluster soak {report['started_at']}",
        "",
        f"{report['duration_s']} s of load through {report['base']} ({report['elapsed_s']} s elapsed, "
        f"{report['cpu_count']} cores): {report['clients']['staff_api']} staff/partner API clients, "
        f"1 signed-in page reader, {report['clients']['public_readers']} anonymous public readers "
        f"on {', '.join(report['public_urls'])}.",
        f"Requests: {report['requests']} ({report['requests_per_s']}/s): {report['requests_by_kind']}; "
        f"retries of unanswered writes: {report['retries'] or 0}.",
        "",
        "| phase | from s | back s | window to s | requests | 5xx | transport errors | sessions lost |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in report["events"]:
        lines.append(
            f"| {e['name']} | {e['start']} | {e['back']} | {e['window_end']} | {e.get('requests', 0)} | "
            f"{e.get('5xx', 0)} | {e.get('transport', 0)} | {e.get('session_lost', 0)} |"
        )
    s = report["steady"]
    lines.append(
        f"| outside the windows | | | | {s.get('requests', 0)} | {s.get('5xx', 0)} | {s.get('transport', 0)} | "
        f"{s.get('session_lost', 0)} |"
    )
    for e in report["events"]:
        if e["failures"]:
            lines.append(f"- {e['name']}: " + ", ".join(f"{t} s {k} {o} {st}" for t, k, o, st in e["failures"][:10]))
    lines += [
        "",
        f"Public reads: {p.get('answered', 0)} answered of {p.get('requests', 0)} "
        f"({100 * p.get('answered', 0) / max(p.get('requests', 1), 1):.2f} %), unexpected {p.get('unexpected', 0)}.",
        f"Redis restart: throttle keys {report.get('throttle_keys_before_redis_restart')} before, "
        f"{report.get('throttle_keys_after_redis_restart')} right after (counts start again); figures/session "
        f"cache keys {report.get('cache_keys_before_redis_restart')} before, "
        f"{report.get('cache_keys_10s_after_redis_restart')} ten seconds after.",
        "",
        "Reconciliation:",
        f"- acknowledged: {r['acknowledged']} ({r['acknowledged_single']} single, {r['acknowledged_bulk_rows']} in bulk); "
        f"new rows: {r['new_rows_in_database']}",
        f"- lost: {r['lost_count']}; duplicated natural keys: {r['duplicated_natural_keys']}; "
        f"creation history not exactly once: {r['creation_history_not_exactly_once_count']}",
        f"- stored differently / wrong state: {r['field_or_status_mismatch_count']}; "
        f"writes in doubt (never answered): {r['in_doubt_keys']} keys, of which stored: {r['in_doubt_stored']}; "
        f"rows nobody sent: {r['unexplained_extra_count']}",
        f"- final states: {r['expected_status_counts']}",
        "",
        f"Unexpected non-5xx answers: {report['unexpected_statuses'] or 0}",
        f"5xx / transport errors outside the windows: {len(report['failures_outside_windows'])} "
        f"{report['failures_outside_windows'][:10] or ''}",
    ]
    if report["chaos_error"]:
        lines.append(f"Chaos: {report['chaos_error']}")
    lines += ["", f"RESULT: {'PASS' if report['passed'] else 'FAIL'}"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
