"""Sign-in security (issue 6): lock-out on the login page and the API token endpoint,
password rules, session key and lifetime, sessions and tokens ended on a password change
or deactivation, two-factor authentication (TOTP and recovery codes), and the security
log entries of each."""

import datetime as dt
import json
import logging
import re
from urllib.parse import unquote

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from artisanat.accounts import services
from artisanat.accounts.middleware import SEEN_RESOLUTION
from tests.conftest import PASSWORD, VerifiedClient, add_totp_device, totp_code

LOGIN = "/connexion/"
TOKEN = "/api/v1/auth/token/"
SETUP = "/compte/double-authentification/configurer/"
VERIFY = "/compte/double-authentification/verifier/"
CODES = "/compte/double-authentification/codes-de-secours/"
DISABLE = "/compte/double-authentification/desactiver/"
PASSWORD_CHANGE = "/compte/mot-de-passe/"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class EventList(logging.Handler):
    def __init__(self):
        super().__init__()
        self.events = []

    def emit(self, record):
        self.events.append(json.loads(record.getMessage()))

    def named(self, name):
        return [event for event in self.events if event["event"] == name]


@pytest.fixture
def security_log():
    handler = EventList()
    logger = logging.getLogger("artisanat.security")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def _low_limits(settings):
    """Three failures lock out; django-otp's delay after a wrong code (1 s, doubling) is
    off except in the test that checks it, so that a right code may follow a wrong one."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def sign_in(client, username, password=PASSWORD, address="10.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def plain_client():
    """A client without the fixtures' verified sign-in: it goes through the pages."""
    return Client()


# ---------------------------------------------------------------- lock-out


def test_login_page_locks_out_the_username_from_that_address(editor, security_log):
    client = plain_client()
    assert sign_in(client, "editor", "faux").status_code == 200
    assert sign_in(client, "editor", "faux").status_code == 200
    locked = sign_in(client, "editor", "faux")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert "Réessayez dans 15 minutes" in locked.content.decode()
    # The right password no longer helps from that address, for that account...
    again = sign_in(client, "editor", PASSWORD)
    assert again.status_code == 429
    assert signed_in_user_id(client) is None
    # ...but the same account from another address, and another account from this one, may sign in.
    assert sign_in(plain_client(), "editor", PASSWORD, address="10.0.0.2").status_code == 302
    assert [e["username"] for e in security_log.named("login_failed")][:3] == ["editor"] * 3
    assert security_log.named("lockout")[0]["client"] == "10.0.0.1"


def test_lockout_lifts_after_the_cool_off(editor):
    with time_machine.travel(NOW, tick=False) as traveller:
        client = plain_client()
        for _ in range(3):
            sign_in(client, "editor", "faux")
        assert sign_in(client, "editor", PASSWORD).status_code == 429
        traveller.shift(dt.timedelta(minutes=16))
        assert sign_in(client, "editor", PASSWORD).status_code == 302
        assert signed_in_user_id(client) == str(editor.pk)


def test_lockout_page_is_translated(editor):
    client = plain_client()
    for _ in range(3):
        response = sign_in(client, "editor", "faux", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert 'id="lockout"' in response.content.decode()


def test_token_endpoint_locks_out_with_the_api_error_shape(partner_a, security_log):
    client = APIClient(REMOTE_ADDR="10.0.0.9")
    for _ in range(2):
        response = client.post(TOKEN, {"username": "partner_a", "password": "faux"}, format="json")
        assert response.status_code == 401
    response = client.post(TOKEN, {"username": "partner_a", "password": "faux"}, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out"
    assert "15 minutes" in body["message"]
    assert response["Retry-After"] == "900"
    assert body["retry_after"] == 900
    right = client.post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json")
    assert right.status_code == 429
    assert not AuthToken.objects.filter(user=partner_a).exists()
    assert security_log.named("lockout")


def test_a_success_resets_the_failure_count(partner_a):
    client = APIClient(REMOTE_ADDR="10.0.0.9")
    for _ in range(2):
        client.post(TOKEN, {"username": "partner_a", "password": "faux"}, format="json")
    assert client.post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json").status_code == 200
    for _ in range(2):
        assert client.post(TOKEN, {"username": "partner_a", "password": "faux"}, format="json").status_code == 401


# ---------------------------------------------------------------- passwords


def test_passwords_need_12_characters_and_may_be_very_long(editor):
    with pytest.raises(ValidationError, match="12"):
        validate_password("Kx9!mQ2#vL4", user=editor)  # 11 characters
    validate_password("Kx9!mQ2#vL4@", user=editor)
    long_password = "les tapis de Tazenakht et les zelliges de Fès " * 3
    long_password = (long_password + "x" * 100)[:100]
    validate_password(long_password, user=editor)
    client = VerifiedClient()
    client.force_login(editor)
    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password1": long_password, "new_password2": long_password},
    )
    assert response.status_code == 302
    editor.refresh_from_db()
    assert editor.check_password(long_password)
    short = client.post(
        PASSWORD_CHANGE, {"old_password": long_password, "new_password1": "court-1", "new_password2": "court-1"}
    )
    assert short.status_code == 200
    editor.refresh_from_db()
    assert editor.check_password(long_password)


# ---------------------------------------------------------------- sessions


def test_the_session_key_changes_at_sign_in(editor):
    client = plain_client()
    session = client.session
    session["before"] = "anonymous"
    session.save()
    anonymous_key = client.cookies["sessionid"].value
    assert sign_in(client, "editor").status_code == 302
    signed_in_key = client.cookies["sessionid"].value
    assert signed_in_key != anonymous_key
    assert not Session.objects.filter(session_key=anonymous_key).exists()
    assert signed_in_user_id(client) == str(editor.pk)


def test_an_idle_session_ends(editor, settings, security_log):
    settings.SESSION_IDLE_TIMEOUT = 600
    with time_machine.travel(NOW, tick=False) as traveller:
        client = VerifiedClient()
        client.force_login(editor)
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(seconds=590))
        assert client.get("/").status_code == 200  # activity keeps it alive
        traveller.shift(dt.timedelta(seconds=590))
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(seconds=601))
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        assert signed_in_user_id(client) is None
    assert security_log.named("session_expired")[0]["reason"] == "idle"


def test_a_session_ends_after_its_absolute_lifetime_even_when_active(editor, settings, security_log):
    settings.SESSION_IDLE_TIMEOUT = 1800
    settings.SESSION_COOKIE_AGE = 3600
    with time_machine.travel(NOW, tick=False) as traveller:
        client = VerifiedClient()
        client.force_login(editor)
        for _ in range(3):  # 3 × 20 minutes of activity
            traveller.shift(dt.timedelta(minutes=20))
            assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(seconds=SEEN_RESOLUTION))
        response = client.get("/")
        assert response.status_code == 302
        assert signed_in_user_id(client) is None
    assert security_log.named("session_expired")[0]["reason"] == "lifetime"


def _two_sessions_and_a_token(user):
    first, second = VerifiedClient(), VerifiedClient()
    first.force_login(user)
    second.force_login(user)
    services.issue_token(user)
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200
    return first, second


def test_changing_the_password_ends_the_other_sessions_and_the_tokens(editor, security_log):
    first, second = _two_sessions_and_a_token(editor)
    new = "une-nouvelle-phrase-de-passe-solide"
    response = first.post(PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert first.get("/").status_code == 200  # this session continues, under a new key
    assert second.get("/").status_code == 302  # the other one is over
    assert not AuthToken.objects.filter(user=editor).exists()
    assert [e["reason"] for e in security_log.named("sessions_ended")] == ["password_changed"]
    assert security_log.named("token_revoked")[0]["user"] == "editor"


def test_a_password_set_anywhere_ends_every_session(editor):
    first, second = _two_sessions_and_a_token(editor)
    editor.set_password("encore-une-autre-phrase-de-passe")
    editor.save()
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    assert not Session.objects.filter(session_key=first.cookies["sessionid"].value).exists()
    assert not AuthToken.objects.filter(user=editor).exists()


def test_deactivating_a_user_ends_their_sessions_and_tokens(editor, viewer, security_log):
    first, second = _two_sessions_and_a_token(editor)
    others = VerifiedClient()
    others.force_login(viewer)
    editor.is_active = False
    editor.save()
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    assert not AuthToken.objects.filter(user=editor).exists()
    assert others.get("/").status_code == 200  # other users are untouched
    assert security_log.named("sessions_ended")[0]["sessions"] == 2


def _form_values(html):
    """What a browser would post: inputs (checked boxes only), selected options, text areas."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'\sname="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        if ('type="checkbox"' in tag or 'type="radio"' in tag) and "checked" not in tag:
            continue
        value = re.search(r'\svalue="([^"]*)"', tag)
        data.setdefault(name.group(1), []).append(value.group(1) if value else ("on" if "checkbox" in tag else ""))
    for name, body in re.findall(r'<select[^>]*\sname="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        data[name] = re.findall(r'<option value="([^"]*)"[^>]*selected', body)
    for name, body in re.findall(r'<textarea[^>]*\sname="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = [body.strip()]
    return {key: values if len(values) != 1 else values[0] for key, values in data.items()}


def test_deactivating_from_the_admin_ends_the_sessions(admin_user, editor):
    first, _second = _two_sessions_and_a_token(editor)
    admin = VerifiedClient()
    admin.force_login(admin_user)
    url = f"/admin/auth/user/{editor.pk}/change/"
    data = _form_values(admin.get(url).content.decode())
    data.pop("is_active")
    data["change_reason"] = "Départ de l'agent"
    response = admin.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    editor.refresh_from_db()
    assert not editor.is_active
    assert first.get("/").status_code == 302
    assert not AuthToken.objects.filter(user=editor).exists()


def test_saving_a_user_without_changing_credentials_keeps_the_sessions(editor):
    first, second = _two_sessions_and_a_token(editor)
    editor.first_name = "Salma"
    editor.save()
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200
    assert AuthToken.objects.filter(user=editor).exists()


# ---------------------------------------------------------------- two-factor authentication


def test_a_privileged_user_without_a_device_must_set_one_up(validator, security_log):
    TOTPDevice.objects.filter(user=validator).delete()
    client = plain_client()
    assert sign_in(client, "validator").status_code == 302
    for path in ("/", "/strategie/validation/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(SETUP), path
    api = client.get("/api/v1/indicators/")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"

    page = client.get(SETUP)
    device = TOTPDevice.objects.get(user=validator, confirmed=False)
    secret = re.search(r'id="otp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    assert "otpauth://totp/Artisanat%202030%3Avalidator?secret=" + secret in page.content.decode()
    qr = re.search(r'<img class="otp-qr" src="data:image/svg\+xml;charset=utf-8,([^"]+)"', page.content.decode())
    svg = unquote(qr.group(1))
    assert svg.startswith("<svg") and "<path" in svg and "style" not in svg and "script" not in svg
    wrong = client.post(SETUP, {"code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    device.refresh_from_db()
    assert not device.confirmed

    done = client.post(SETUP, {"code": totp_code(device=device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/indicators/").status_code == 200
    names = [e["event"] for e in security_log.events]
    assert "otp_device_added" in names and "recovery_codes_generated" in names


def test_a_privileged_user_with_a_device_types_a_code_at_sign_in(validator, security_log):
    client = plain_client()
    assert sign_in(client, "validator").status_code == 302
    response = client.get("/strategie/validation/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY) and "next=%2Fstrategie%2Fvalidation%2F" in response["Location"]
    # Someone holding only the password cannot put their own authenticator in.
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    wrong = client.post(VERIFY, {"code": "123456", "next": "/strategie/validation/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert security_log.named("otp_failed")
    right = client.post(VERIFY, {"code": totp_code(validator), "next": "/strategie/validation/"})
    assert right.status_code == 302 and right["Location"] == "/strategie/validation/"
    assert client.get("/strategie/validation/").status_code == 200
    assert security_log.named("otp_verified")[0]["device"] == "totp"


def test_wrong_codes_slow_the_next_attempts_down(validator, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    with time_machine.travel(NOW, tick=False) as traveller:
        client = plain_client()
        sign_in(client, "validator")
        client.post(VERIFY, {"code": "000000"})
        client.post(VERIFY, {"code": "000000"})  # second failure: 2 s before the next try
        assert client.post(VERIFY, {"code": totp_code(validator)}).status_code == 200
        traveller.shift(dt.timedelta(seconds=3))
        assert client.post(VERIFY, {"code": totp_code(validator)}).status_code == 302


def test_verification_refuses_a_next_address_elsewhere(validator):
    client = plain_client()
    sign_in(client, "validator")
    response = client.post(VERIFY, {"code": totp_code(validator), "next": "https://ailleurs.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_recovery_code_works_once_and_regenerating_replaces_them(validator):
    client = VerifiedClient()
    client.force_login(validator)
    codes = re.findall(
        r"<li><code>([a-z2-7]+)</code></li>", client.post(CODES, {"code": totp_code(validator)}).content.decode()
    )
    assert len(codes) == 10
    first = plain_client()
    sign_in(first, "validator")
    assert first.post(VERIFY, {"code": codes[0]}).status_code == 302
    assert first.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=validator).count() == 9
    second = plain_client()
    sign_in(second, "validator")
    assert second.post(VERIFY, {"code": codes[0]}).status_code == 200  # used already
    new_codes = re.findall(
        r"<li><code>([a-z2-7]+)</code></li>", client.post(CODES, {"code": codes[5]}).content.decode()
    )
    assert second.post(VERIFY, {"code": codes[1]}).status_code == 200  # replaced
    assert second.post(VERIFY, {"code": new_codes[0]}).status_code == 302


def test_two_factor_is_optional_for_other_roles(editor, security_log):
    client = plain_client()
    sign_in(client, "editor")
    assert client.get("/").status_code == 200  # not asked
    device = add_totp_device(editor)
    device.confirmed = False
    device.save()
    assert client.post(SETUP, {"code": totp_code(device=device)}).status_code == 200
    # Enrolled: the next sign-in asks for a code.
    later = plain_client()
    sign_in(later, "editor")
    assert later.get("/")["Location"].startswith(VERIFY)
    assert later.post(VERIFY, {"code": totp_code(editor)}).status_code == 302
    # And they may switch it off again.
    assert later.post(DISABLE, {"code": totp_code(editor)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert not StaticToken.objects.filter(device__user=editor).exists()
    assert security_log.named("otp_device_removed")
    third = plain_client()
    sign_in(third, "editor")
    assert third.get("/").status_code == 200


def test_enabling_two_factor_ends_the_users_other_sessions_and_tokens(editor, security_log):
    """A session opened with the password alone before two-factor was enabled must not go
    on unverified: it could regenerate the recovery codes or switch two-factor off."""
    before, enabling = plain_client(), plain_client()
    sign_in(before, "editor")
    sign_in(enabling, "editor", address="10.0.0.2")
    services.issue_token(editor)
    assert before.get("/").status_code == 200
    device = services.pending_totp_device(editor)
    assert enabling.post(SETUP, {"code": totp_code(device=device)}).status_code == 200

    assert before.get("/").status_code == 302  # signed out
    assert before.post(DISABLE, {"code": ""})["Location"].startswith(LOGIN)
    assert before.post(CODES)["Location"].startswith(LOGIN)
    assert TOTPDevice.objects.filter(user=editor, confirmed=True).exists()
    assert not AuthToken.objects.filter(user=editor).exists()
    assert enabling.get("/").status_code == 200  # the session that enabled it goes on
    assert security_log.named("sessions_ended")[0]["reason"] == "two_factor_enabled"


def test_regenerating_codes_and_switching_two_factor_off_ask_for_a_current_code(editor, security_log):
    add_totp_device(editor)
    client = VerifiedClient()
    client.force_login(editor)
    codes = services.generate_recovery_codes(editor, request=None)

    for url in (CODES, DISABLE):
        for data in ({}, {"code": "000000"}):
            refused = client.post(url, data)
            assert refused.status_code == 200 and refused.context["form"].errors["code"]
    assert sorted(StaticToken.objects.filter(device__user=editor).values_list("token", flat=True)) == sorted(codes)
    assert TOTPDevice.objects.filter(user=editor, confirmed=True).exists()
    assert security_log.named("otp_failed")

    fresh = client.post(CODES, {"code": codes[0]})
    assert fresh.status_code == 200 and fresh.context["fresh"]
    assert not StaticToken.objects.filter(device__user=editor, token__in=codes).exists()
    assert client.post(DISABLE, {"code": totp_code(editor)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=editor).exists()


def test_privileged_users_cannot_switch_two_factor_off(admin_user, client):
    client.force_login(admin_user)
    assert client.get(DISABLE).status_code == 403
    assert client.post(DISABLE).status_code == 403
    assert TOTPDevice.objects.filter(user=admin_user, confirmed=True).exists()


def test_superusers_are_asked_in_the_admin_too(admin_user):
    client = plain_client()
    client.post("/admin/login/", {"username": "admin", "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR="10.1.1.1")
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


def test_the_shared_client_signs_privileged_actors_in_verified(admin_user, validator, client):
    client.force_login(validator)
    assert client.get("/strategie/validation/").status_code == 200


# ---------------------------------------------------------------- API token and two factors


def test_token_needs_an_otp_code_for_privileged_users(validator, security_log):
    client = APIClient()
    missing = client.post(TOKEN, {"username": "validator", "password": PASSWORD}, format="json")
    assert missing.status_code == 400
    assert missing.json()["details"]["otp"]
    wrong = client.post(TOKEN, {"username": "validator", "password": PASSWORD, "otp": "000000"}, format="json")
    assert wrong.status_code == 401 and wrong.json()["details"]["otp"]
    assert not AuthToken.objects.filter(user=validator).exists()
    right = client.post(
        TOKEN, {"username": "validator", "password": PASSWORD, "otp": totp_code(validator)}, format="json"
    )
    assert right.status_code == 200
    assert hash_token(right.json()["token"]) == AuthToken.objects.get(user=validator).digest
    assert security_log.named("token_created")[0]["user"] == "validator"


def test_token_wrong_otp_codes_count_towards_the_lockout(validator):
    client = APIClient(REMOTE_ADDR="10.0.0.7")
    for _ in range(2):
        response = client.post(TOKEN, {"username": "validator", "password": PASSWORD, "otp": "000000"}, format="json")
        assert response.status_code == 401
    response = client.post(TOKEN, {"username": "validator", "password": PASSWORD, "otp": "000000"}, format="json")
    assert response.status_code == 429


def test_token_refused_to_a_privileged_user_without_two_factor(validator):
    TOTPDevice.objects.filter(user=validator).delete()
    response = APIClient().post(TOKEN, {"username": "validator", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "otp_setup_required"


def test_token_without_otp_for_other_users_and_revocation_is_logged(partner_a, security_log):
    client = APIClient()
    response = client.post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.delete(TOKEN).status_code == 204
    assert security_log.named("token_revoked")[0]["reason"] == "api"
    assert security_log.named("login_failed") == []


def test_sign_in_is_logged(editor, security_log):
    sign_in(plain_client(), "editor")
    event = security_log.named("login_succeeded")[0]
    assert (event["user"], event["client"]) == ("editor", "10.0.0.1")
    assert get_user_model().objects.get(username="editor").last_login is not None


def test_replacing_the_authenticator_asks_for_a_current_code(editor, security_log):
    """A verified session left open is not enough to enrol another authenticator (which
    replaces the old one and hands out new recovery codes): it takes a current code."""
    old = add_totp_device(editor)
    client = VerifiedClient()
    client.force_login(editor)
    assert client.get(SETUP).status_code == 200
    pending = services.pending_totp_device(editor)
    for data in ({"code": totp_code(device=pending)}, {"code": totp_code(device=pending), "current_code": "000000"}):
        refused = client.post(SETUP, data)
        assert refused.status_code == 200 and refused.context["form"].errors["current_code"]
    assert list(TOTPDevice.objects.filter(user=editor, confirmed=True)) == [old]
    old.refresh_from_db()
    old.throttle_reset()  # django-otp slows the next try down after the wrong code
    pending.refresh_from_db()  # its code was used above: the next one
    done = client.post(SETUP, {"code": totp_code(device=pending), "current_code": totp_code(device=old)})
    assert done.status_code == 200 and "fresh" in done.context, done.context["form"].errors
    assert list(TOTPDevice.objects.filter(user=editor, confirmed=True).values_list("pk", flat=True)) == [pending.pk]


@pytest.mark.parametrize("promote", ["role", "superuser"])
def test_a_promotion_revokes_the_tokens_obtained_without_a_second_factor(editor, promote, security_log):
    """An editor's token (no second factor needed) must not validate once the editor
    becomes a validator or a superuser: the review validated a row that way."""
    from artisanat.accounts.services import issue_token
    from artisanat.choices import Role

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(editor)[1]}")
    assert api.get("/api/v1/regions/").status_code == 200
    if promote == "role":
        membership = editor.membership
        membership.role = Role.VALIDATOR
        membership.save()
    else:
        editor.is_superuser = True
        editor.save()
    assert api.get("/api/v1/regions/").status_code == 401
    assert not AuthToken.objects.filter(user=editor).exists()
    assert security_log.named("token_revoked")[0]["reason"] == "role_changed"


def test_other_saves_keep_the_tokens(editor):
    from artisanat.accounts.services import issue_token

    issue_token(editor)
    editor.membership.save()
    editor.first_name = "Nadia"
    editor.save()
    assert AuthToken.objects.filter(user=editor).exists()
