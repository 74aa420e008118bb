"""Two clients change one measurement with the same ETag at the same time: the service
locks the row (select_for_update), so exactly one wins and the other gets 412."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from artisanat.accounts.services import issue_token
from strategy.models import Measurement

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_patches_with_one_etag_one_wins(draft_a, partner_a, editor):
    tokens = [issue_token(u)[1] for u in (partner_a, editor)]
    url = f"/api/v1/measurements/{draft_a.pk}/"
    barrier = threading.Barrier(2)
    codes = []

    def patch(token, value):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        try:
            response = client.patch(
                url, {"value": value, "change_reason": "Course"}, format="json", HTTP_IF_MATCH='"1"'
            )
            codes.append((response.status_code, value))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=patch, args=(t, v)) for t, v in zip(tokens, ("11", "22"), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(c for c, _ in codes) == [200, 412]
    winner = next(v for c, v in codes if c == 200)
    fresh = Measurement.objects.get(pk=draft_a.pk)
    assert (fresh.value, fresh.version) == (D(winner), 2)
