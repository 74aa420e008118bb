"""No lost update under real concurrency (PostgreSQL: row locks, concurrent transactions).

Ten clients change one measurement, contract or milestone with the same ETag at the
same moment (a barrier releases them together): exactly one wins (200), the nine
others get 412, the row holds the winner's write and one history row was added. Ten
clients send bulk files at once: every row is created exactly once, and ten retries
of one request under one Idempotency-Key create it once and replay that answer.

SQLite serialises writers (tests/artisanat/test_sqlite_concurrency.py); these run in
`make test-postgres`, which CI runs."""

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from artisanat.accounts.services import issue_token
from artisanat.models import IdempotencyKey
from contracts.models import ContratProgramme, Milestone
from strategy.choices import Frequency, MeasurementStatus
from strategy.models import Indicator, Measurement

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent transactions and row locks: PostgreSQL only (make test-postgres runs them)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 10
BULK = "/api/v1/measurements/bulk/"


def race(user, request, n=THREADS):
    """Run ``request(client, i)`` in ``n`` threads released together; [(i, response)]."""
    token = issue_token(user)[1]
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait(timeout=30)
            results.append((i, request(client, i)))
        except Exception as exc:  # reported below: a thread must not fail silently
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(results) == n
    return sorted(results, key=lambda r: r[0])


def one_winner(results):
    codes = sorted(r.status_code for _, r in results)
    assert codes == [200] + [412] * (THREADS - 1), [(r.status_code, r.content[:200]) for _, r in results]
    losers = [r for _, r in results if r.status_code == 412]
    assert {r.json()["code"] for r in losers} == {"stale_version"}
    assert {r["ETag"] for r in losers} == {'"2"'}
    return next(i for i, r in results if r.status_code == 200)


def test_ten_patches_of_one_measurement_with_one_etag(draft_a, partner_a):
    before = draft_a.history.count()
    results = race(
        partner_a,
        lambda c, i: c.patch(
            f"/api/v1/measurements/{draft_a.pk}/",
            {"value": str(100 + i), "change_reason": "Course"},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
    )
    winner = one_winner(results)
    fresh = Measurement.objects.get(pk=draft_a.pk)
    assert (fresh.value, fresh.version) == (D(100 + winner), 2)
    assert fresh.history.count() == before + 1
    assert fresh.history.order_by("-history_id").first().value == D(100 + winner)


def test_ten_patches_of_one_contract_with_one_etag(contract_a, editor):
    before = contract_a.history.count()
    results = race(
        editor,
        lambda c, i: c.patch(
            f"/api/v1/contracts/{contract_a.pk}/",
            {"title": f"Titre {i}", "change_reason": "Course"},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
    )
    winner = one_winner(results)
    fresh = ContratProgramme.objects.get(pk=contract_a.pk)
    assert (fresh.title, fresh.version) == (f"Titre {winner}", 2)
    assert fresh.history.count() == before + 1
    assert fresh.history.order_by("-history_id").first().title == f"Titre {winner}"


def test_ten_patches_of_one_milestone_with_one_etag(milestone_a, partner_a):
    before = milestone_a.history.count()
    results = race(
        partner_a,
        lambda c, i: c.patch(
            f"/api/v1/milestones/{milestone_a.pk}/",
            {"note": f"Note {i}", "change_reason": "Course"},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
    )
    winner = one_winner(results)
    fresh = Milestone.objects.get(pk=milestone_a.pk)
    assert (fresh.note, fresh.version) == (f"Note {winner}", 2)
    assert fresh.history.count() == before + 1
    assert fresh.history.order_by("-history_id").first().note == f"Note {winner}"


def _month(n):
    start = dt.date(2021 + n // 12, n % 12 + 1, 1)
    return start, dt.date(start.year + start.month // 12, start.month % 12 + 1, 1) - dt.timedelta(days=1)


def day_rows(first_month, n):
    """``n`` rows of distinct months from the ``first_month``-th month of 2021 on (the
    ``monthly`` fixture makes IND-FORM monthly: a row covers exactly one month)."""
    return [
        {
            "indicator": "IND-FORM",
            "period_start": _month(first_month + d)[0].isoformat(),
            "period_end": _month(first_month + d)[1].isoformat(),
            "value": str(first_month + d + 1),
            "source": "Registre",
        }
        for d in range(n)
    ]


@pytest.fixture
def monthly(indicator):
    Indicator.objects.filter(pk=indicator.pk).update(frequency=Frequency.MONTHLY)
    indicator.refresh_from_db()
    return indicator


def as_csv(rows):
    lines = ["indicator,period_start,period_end,value,source"]
    lines += [f"{r['indicator']},{r['period_start']},{r['period_end']},{r['value']},{r['source']}" for r in rows]
    return ("\n".join(lines) + "\n").encode()


def test_ten_bulk_files_with_distinct_keys_create_every_row_once(indicator, monthly, partner_a):
    per_file = 5

    def send(client, i):
        rows = day_rows(i * 10, per_file)
        if i % 2:  # half the clients send CSV, half JSON
            return client.post(BULK, as_csv(rows), content_type="text/csv", HTTP_IDEMPOTENCY_KEY=f"fichier-{i}")
        return client.post(BULK, rows, format="json", HTTP_IDEMPOTENCY_KEY=f"fichier-{i}")

    results = race(partner_a, send)
    assert [r.status_code for _, r in results] == [201] * THREADS, [r.content[:300] for _, r in results]
    ids = [pk for _, r in results for pk in r.json()["ids"]]
    assert len(ids) == len(set(ids)) == THREADS * per_file
    stored = Measurement.objects.filter(indicator=indicator)
    assert sorted(stored.values_list("pk", flat=True)) == sorted(ids)
    expected = sorted(
        dt.date.fromisoformat(r["period_start"]) for i in range(THREADS) for r in day_rows(i * 10, per_file)
    )
    assert sorted(stored.values_list("period_start", flat=True)) == expected
    assert IdempotencyKey.objects.filter(user=partner_a).count() == THREADS
    assert set(IdempotencyKey.objects.values_list("status_code", flat=True)) == {201}


def test_ten_retries_under_one_key_create_once_and_replay(indicator, monthly, partner_a):
    rows = day_rows(0, 4)
    results = race(partner_a, lambda c, i: c.post(BULK, rows, format="json", HTTP_IDEMPOTENCY_KEY="mars-2025"))
    assert [r.status_code for _, r in results] == [201] * THREADS, [r.content[:300] for _, r in results]
    fresh = [r for _, r in results if r.get("Idempotent-Replayed") != "true"]
    assert len(fresh) == 1
    assert {tuple(r.json()["ids"]) for _, r in results} == {tuple(fresh[0].json()["ids"])}
    assert Measurement.objects.filter(indicator=indicator).count() == 4
    assert sorted(Measurement.objects.values_list("pk", flat=True)) == sorted(fresh[0].json()["ids"])
    key = IdempotencyKey.objects.get(user=partner_a, key="mars-2025")
    assert (key.status_code, key.response["ids"]) == (201, fresh[0].json()["ids"])


def test_one_key_reused_for_other_rows_by_ten_clients_creates_only_the_winners(indicator, monthly, partner_a):
    results = race(
        partner_a, lambda c, i: c.post(BULK, day_rows(i * 10, 3), format="json", HTTP_IDEMPOTENCY_KEY="avril-2025")
    )
    codes = sorted(r.status_code for _, r in results)
    assert codes == [201] + [422] * (THREADS - 1), [r.content[:300] for _, r in results]
    winner = next(i for i, r in results if r.status_code == 201)
    stored = sorted(Measurement.objects.filter(indicator=indicator).values_list("period_start", flat=True))
    assert stored == [dt.date.fromisoformat(r["period_start"]) for r in day_rows(winner * 10, 3)]


def test_bulk_validations_in_opposite_orders_never_deadlock(
    make_measurement, make_indicator, indicator, org_a, partner_a, validator
):
    """Ten validators each validate one row of two indicators, half of them listing the
    rows in the opposite order. Validation updates the stored figures, which locks the
    indicator: without one lock order (strategy/services.py ``_lock_figures``) two such
    requests wait for each other and PostgreSQL aborts one ("deadlock detected", a 503) —
    the soak test met exactly that."""
    other = make_indicator(code="IND-AUTRE", name="Autre indicateur", reporters=[org_a])
    pairs = [
        [
            make_measurement(ind, org_a, partner_a, year=2021 + i, status=MeasurementStatus.SUBMITTED).pk
            for ind in (indicator, other)
        ]
        for i in range(THREADS)
    ]
    results = race(
        validator,
        lambda c, i: c.post(
            "/api/v1/measurements/validate/",
            {"ids": pairs[i] if i % 2 == 0 else pairs[i][::-1]},
            format="json",
        ),
    )
    assert [r.status_code for _, r in results] == [200] * THREADS, [r.content[:200] for _, r in results]
    ids = [pk for pair in pairs for pk in pair]
    assert Measurement.objects.filter(pk__in=ids, status=MeasurementStatus.VALIDATED).count() == 2 * THREADS
