"""Tokens, sessions with CSRF, throttling, the error shape of database rules."""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
import time_machine
from django.db import IntegrityError
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from artisanat.api.exceptions import describe_integrity_error
from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token/"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_token_exchange_and_use(db, partner_a):
    client = APIClient()
    response = client.post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["role"], data["organisation"]) == ("reporter", "FCA")
    assert hash_token(data["token"]) == AuthToken.objects.get(user=partner_a).digest
    client.credentials(HTTP_AUTHORIZATION=f"Token {data['token']}")
    assert client.get("/api/v1/indicators/").status_code == 200
    # Form-encoded works too (curl -d): a second token, and the first one keeps working.
    again = APIClient().post(TOKEN, {"username": "partner_a", "password": PASSWORD})
    assert again.status_code == 200 and again.json()["token"] != data["token"]
    assert client.get("/api/v1/indicators/").status_code == 200


def test_tokens_are_stored_hashed_and_expire_after_the_configured_days(db, partner_a, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(days=90)}
    with time_machine.travel(NOW, tick=False) as traveller:
        response = APIClient().post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json")
        key = response.json()["token"]
        assert response.json()["expiry"] == "2026-05-31T09:00:00Z"  # 90 days on
        stored = AuthToken.objects.get(user=partner_a)
        assert stored.digest == hash_token(key) and key not in {stored.digest, stored.token_key}
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        traveller.shift(dt.timedelta(days=90) - dt.timedelta(seconds=1))
        assert client.get("/api/v1/indicators/").status_code == 200
        traveller.shift(dt.timedelta(seconds=1))
        expired = client.get("/api/v1/indicators/")
        assert expired.status_code == 401
        assert expired.json()["code"] == "authentication_failed"
        assert expired.json()["message"].startswith("Jeton expiré") and TOKEN in expired.json()["message"]
        assert not AuthToken.objects.filter(user=partner_a).exists()
        # Renewing: ask again with the password.
        renewed = APIClient().post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json").json()
        client.credentials(HTTP_AUTHORIZATION=f"Token {renewed['token']}")
        assert client.get("/api/v1/indicators/").status_code == 200


def test_the_token_lifetime_is_a_setting(db, partner_a, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(days=7)}
    with time_machine.travel(NOW, tick=False):
        response = APIClient().post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json")
        assert response.json()["expiry"] == "2026-03-09T09:00:00Z"


def test_tokens_in_the_old_plain_table_are_carried_over_hashed(db, partner_a, settings):
    """Migration 0004: a token created before the upgrade keeps working, now stored as a
    digest with an expiry, and the old table no longer holds it."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("artisanat.migrations.0004_hashed_api_tokens")
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, "2024-01-01 00:00:00", partner_a.pk])
    try:
        editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
        migration.import_legacy_tokens(apps, editor)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM authtoken_token")
            assert cursor.fetchone() == (0,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    stored = AuthToken.objects.get(user=partner_a)
    assert stored.digest == hash_token(key) and stored.expiry is not None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/indicators/").status_code == 200


def test_a_user_holds_a_bounded_number_of_tokens(db, partner_a):
    from artisanat.accounts.services import MAX_TOKENS_PER_USER, issue_token

    keys = [issue_token(partner_a)[1] for _ in range(MAX_TOKENS_PER_USER + 2)]
    assert AuthToken.objects.filter(user=partner_a).count() == MAX_TOKENS_PER_USER
    oldest, newest = APIClient(), APIClient()
    oldest.credentials(HTTP_AUTHORIZATION=f"Token {keys[0]}")
    newest.credentials(HTTP_AUTHORIZATION=f"Token {keys[-1]}")
    assert oldest.get("/api/v1/regions/").status_code == 401
    assert newest.get("/api/v1/regions/").status_code == 200


def test_wrong_password_is_401(db, partner_a):
    response = APIClient().post(TOKEN, {"username": "partner_a", "password": "faux"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert not AuthToken.objects.exists()


def test_revoked_token_stops_working(as_partner_a, partner_a):
    assert as_partner_a.delete(TOKEN).status_code == 204
    assert not AuthToken.objects.filter(user=partner_a).exists()
    assert as_partner_a.get("/api/v1/indicators/").status_code == 401


def test_inactive_users_token_stops_working_at_once(as_partner_a, partner_a):
    assert as_partner_a.get("/api/v1/indicators/").status_code == 200
    partner_a.is_active = False
    partner_a.save()
    response = as_partner_a.get("/api/v1/indicators/")
    assert response.status_code == 401
    inactive = APIClient().post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json")
    assert inactive.status_code == 401


def test_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.get("/api/v1/regions/").status_code == 401


def test_session_auth_enforces_csrf(db, partner_a, indicator):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="partner_a", password=PASSWORD)
    assert client.get("/api/v1/indicators/").status_code == 200
    payload = {"indicator": indicator.pk, "period_start": "2024-01-01", "period_end": "2024-12-31", "value": "1"}
    response = client.post("/api/v1/measurements/", payload, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    client.get("/connexion/")
    token = client.cookies["csrftoken"].value
    response = client.post("/api/v1/measurements/", payload, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


@pytest.fixture
def low_rates(monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/minute", "auth": "2/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def test_throttling_per_user_answers_429_with_retry_after(low_rates, as_partner_a, as_partner_b):
    for _ in range(3):
        assert as_partner_a.get("/api/v1/regions/").status_code == 200
    response = as_partner_a.get("/api/v1/regions/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
    assert as_partner_b.get("/api/v1/regions/").status_code == 200  # per user


def test_token_endpoint_is_throttled(low_rates, db, partner_a):
    client = APIClient()
    for _ in range(2):
        client.post(TOKEN, {"username": "partner_a", "password": "faux"}, format="json")
    assert client.post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json").status_code == 429


def test_database_rule_names_map_to_their_messages(db):
    class Cause(Exception):
        pass

    exc = IntegrityError("CHECK constraint failed: measurement_returned_has_reason")
    assert describe_integrity_error(exc) == (
        400,
        "measurement_returned_has_reason",
        "Une mesure renvoyée doit porter le motif du renvoi.",
    )
    exc = IntegrityError("disbursement_within_commitment")
    code, name, message = describe_integrity_error(exc)
    assert (code, name) == (400, "disbursement_within_commitment") and "engagé" in message
    exc = IntegrityError(
        "UNIQUE constraint failed: contracts_party.contract_id, contracts_party.organisation_id, contracts_party.role"
    )
    assert describe_integrity_error(exc)[:2] == (409, "party_unique_role_per_contract")
    exc = IntegrityError("UNIQUE constraint failed: index 'measurement_unique_per_breakdown'")
    assert describe_integrity_error(exc)[0] == 409
    assert describe_integrity_error(IntegrityError("something else")) is None


def test_trigger_rule_via_the_api_is_400_not_500(as_editor, commitment_a, monkeypatch):
    """If a rule slips past clean() (a race), the database trigger's refusal is a 400."""
    from contracts.models import Disbursement

    monkeypatch.setattr(Disbursement, "clean", lambda self: None)
    response = as_editor.post(
        "/api/v1/disbursements/",
        {"commitment": commitment_a.pk, "date": "2022-06-01", "amount": "2000000.00", "change_reason": "Paiement"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "constraint_violation"
    assert response.json()["rule"] == "disbursement_within_commitment"


@pytest.mark.parametrize("body", ["[" * 5000, '{"a":' * 5000, "[" * 40 + "]" * 40, "{", "\xff"])
def test_unreadable_json_to_the_token_endpoint_is_a_400_in_the_api_shape(db, caplog, body):
    """5 KB of "[" used to be a RecursionError: a 500 with a traceback, without signing in."""
    response = APIClient().generic(
        "POST", TOKEN, body.encode("utf-8", "surrogateescape"), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == "parse_error"
    assert error["message"] and error["details"]["body"] == [error["message"]]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def _token(username):
    response = APIClient().post(TOKEN, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()["token"]


@pytest.mark.parametrize("word", ["Bearer", "bearer", "Token"])
def test_bearer_is_accepted_beside_token(db, partner_a, word):
    """Generated clients (the schema declares an HTTP bearer scheme) send ``Bearer``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{word} {_token('partner_a')}")
    response = client.get("/api/v1/indicators/")
    assert response.status_code == 200
    assert client.get("/api/v1/auth/token/").status_code == 405  # authenticated: GET is not a method here


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Bearer", "Bearer two words", "Token", "Bearer \xe9t\xe9"],
)
def test_a_bad_bearer_or_token_header_is_refused(db, partner_a, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/indicators/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_another_authorization_scheme_is_not_a_token(db, partner_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {_token('partner_a')}")
    response = client.get("/api/v1/indicators/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_bearer_carries_the_role_viewer_refused_an_editing_endpoint(db, viewer, partner_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_token('viewer')}")
    assert client.get("/api/v1/indicators/").status_code == 200
    refused = client.post("/api/v1/measurements/bulk/", {"rows": []}, format="json")
    assert refused.status_code == 403


def test_the_schema_declares_bearer_and_a_json_token_request_open_to_all():
    """What generators read: an HTTP bearer scheme (their clients send ``Bearer``), the
    token request as JSON only under a readable name, ``security: []`` on it."""
    import io as _io

    import yaml
    from django.core.management import call_command

    out = _io.StringIO()
    call_command("spectacular", stdout=out)
    spec = yaml.safe_load(out.getvalue())
    scheme = spec["components"]["securitySchemes"]["tokenAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer") and "Token" in scheme["description"]
    create = spec["paths"]["/api/v1/auth/token/"]["post"]
    assert create["security"] == []
    assert list(create["requestBody"]["content"]) == ["application/json"]
    body = create["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/TokenCredentialsRequest"}
    answer = create["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/Token"}
    example = spec["components"]["examples"][answer["examples"]["TokenAnswer"]["$ref"].rsplit("/", 1)[1]]["value"]
    assert set(example) == set(spec["components"]["schemas"]["Token"]["properties"])
    assert spec["paths"]["/api/v1/auth/token/"]["delete"]["security"] == [{"tokenAuth": []}]
    assert not [name for name in spec["components"]["schemas"] if name.endswith("RequestRequest")]


def test_a_401_names_the_bearer_scheme(client):
    response = client.get("/api/v1/indicators/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "Bearer <jeton>" in response.json()["message"]
