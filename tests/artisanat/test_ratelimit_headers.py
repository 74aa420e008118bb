"""The throttles' quotas on every answer (issue 17, item 5): the IETF draft's
``RateLimit-Policy`` and ``RateLimit`` headers (draft-ietf-httpapi-ratelimit-headers),
``Retry-After`` and a top-level integer ``retry_after`` on a 429, on the staff API and
on the public one (where CORS exposes them)."""

import re

import pytest
from rest_framework.throttling import SimpleRateThrottle

from artisanat.api.throttling import Quota, ratelimit_headers

RATELIMIT = re.compile(r'"(?P<policy>[a-z]+)";r=(?P<r>\d+);t=(?P<t>\d+)')
PUBLIC = "/api/public/v1/regions/"


@pytest.fixture
def low_rates(monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/minute", "anon": "2/minute", "public": "2/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def _remaining(response):
    match = RATELIMIT.fullmatch(response["RateLimit"])
    assert match, response["RateLimit"]
    return match["policy"], int(match["r"]), int(match["t"])


def test_a_staff_answer_counts_down_then_429_with_retry_after(low_rates, as_partner_a):
    answers = [as_partner_a.get("/api/v1/regions/") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    for answer in answers:
        assert answer["RateLimit-Policy"] == '"user";q=3;w=60'
    assert [_remaining(a)[:2] for a in answers] == [("user", 2), ("user", 1), ("user", 0), ("user", 0)]
    assert 0 < _remaining(answers[0])[2] <= 60
    throttled = answers[-1]
    body = throttled.json()
    assert body["code"] == "throttled"
    assert isinstance(body["retry_after"], int) and 1 <= body["retry_after"] <= 60
    assert throttled["Retry-After"] == str(body["retry_after"])
    assert _remaining(throttled)[2] == body["retry_after"]


def test_errors_and_writes_carry_the_headers_too(low_rates, as_partner_a):
    response = as_partner_a.get("/api/v1/regions/", {"nope": "1"})
    assert response.status_code == 400
    assert _remaining(response)[:2] == ("user", 2)


def test_an_answer_no_throttle_counted_has_none(low_rates, api):
    response = api().get("/api/v1/regions/")
    assert response.status_code == 401  # refused before the throttles (DRF's order)
    assert "RateLimit" not in response and "RateLimit-Policy" not in response


def test_the_token_endpoint_lists_its_own_quota(api, db):
    response = api().post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")
    assert response.status_code in (400, 401)
    policies = response["RateLimit-Policy"].split(", ")
    assert '"auth";q=10;w=60' in policies


def test_the_public_api_carries_them_exposed_through_cors(low_rates, db, client):
    first = client.get(PUBLIC, HTTP_ORIGIN="https://example.org")
    assert first.status_code == 200
    assert first["RateLimit-Policy"] == '"public";q=2;w=3600'
    assert _remaining(first)[:2] == ("public", 1)
    exposed = {h.strip().lower() for h in first["Access-Control-Expose-Headers"].split(",")}
    assert {"ratelimit", "ratelimit-policy", "retry-after"} <= exposed
    client.get(PUBLIC)
    throttled = client.get(PUBLIC, HTTP_ORIGIN="https://example.org")
    assert throttled.status_code == 429
    body = throttled.json()
    assert isinstance(body["retry_after"], int) and 1 <= body["retry_after"] <= 3600
    assert throttled["Retry-After"] == str(body["retry_after"])
    assert _remaining(throttled) == ("public", 0, body["retry_after"])


def test_the_tightest_quota_is_the_one_in_ratelimit(rf):
    request = rf.get("/")
    request.artisanat_quotas = [Quota("user", 3000, 3600, 2000, 100), Quota("bulk", 120, 3600, 3, 3000)]
    assert ratelimit_headers(request) == {
        "RateLimit-Policy": '"user";q=3000;w=3600, "bulk";q=120;w=3600',
        "RateLimit": '"bulk";r=3;t=3000',
    }
    assert ratelimit_headers(rf.get("/")) == {}
