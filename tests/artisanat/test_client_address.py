"""The client's address (issue 12, item 4): one reading of it, by the security log, the
lock-out and the API throttles (artisanat/security_log.py ``client_address``).
``X-Forwarded-For`` is ignored unless the peer is one of ``ARTISANAT_TRUSTED_PROXIES``;
behind trusted proxies the right-most address that is not a trusted proxy is the
client, and what the client wrote further left is never read."""

import datetime as dt
import json
import logging

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from artisanat.security_log import client_address, security_event
from tests.config.test_settings import start_django
from tests.conftest import PASSWORD

LOGIN = "/connexion/"
TOKEN = "/api/v1/auth/token/"
PROXY = "127.0.0.1"


def address(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "10.8.0.0/16"]


class Events(logging.Handler):
    def __init__(self):
        super().__init__()
        self.events = []

    def emit(self, record):
        self.events.append(json.loads(record.getMessage()))


@pytest.fixture
def security_log():
    handler = Events()
    logger = logging.getLogger("artisanat.security")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


# ---------------------------------------------------------------- the reading


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert address("198.51.100.7") == "198.51.100.7"
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"
    assert address(PROXY, "203.0.113.1") == PROXY
    assert client_address(None) is None


def test_behind_trusted_proxies_the_rightmost_untrusted_address_is_the_client(behind_proxy):
    assert address(PROXY, "203.0.113.1") == "203.0.113.1"
    # What the client wrote itself sits to the left of what its proxy added.
    assert address(PROXY, "1.2.3.4, 203.0.113.1") == "203.0.113.1"
    assert address(PROXY, "1.2.3.4,203.0.113.1") == "203.0.113.1"
    # Two trusted proxies in a row (a load balancer in 10.8/16, then the local nginx).
    assert address(PROXY, "1.2.3.4, 203.0.113.1, 10.8.1.2") == "203.0.113.1"
    # Ports, IPv6, and an IPv4 written as IPv6.
    assert address(PROXY, "203.0.113.1:5050") == "203.0.113.1"
    assert address(PROXY, "[2001:db8::1]:5050") == "2001:db8::1"
    assert address(PROXY, "2001:db8::1") == "2001:db8::1"
    assert address("::ffff:127.0.0.1", "203.0.113.1") == "203.0.113.1"
    # No header: the proxy itself (a health check); every hop trusted: the left-most.
    assert address(PROXY) == PROXY
    assert address(PROXY, "10.8.1.2") == "10.8.1.2"


def test_behind_trusted_proxies_the_header_is_ignored_from_anyone_else(behind_proxy):
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_an_unreadable_entry_stops_at_the_last_trusted_hop(behind_proxy):
    assert address(PROXY, "203.0.113.1, pas-une-adresse") == PROXY
    assert address(PROXY, "203.0.113.1, pas-une-adresse, 10.8.1.2") == "10.8.1.2"
    assert address(PROXY, "") == PROXY


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", []), ("127.0.0.1", ["127.0.0.1/32"]), ("10.8.0.0/16, ::1", ["10.8.0.0/16", "::1/128"])],
)
def test_the_setting_reads_addresses_and_networks(monkeypatch, value, expected):
    from artisanat.env import env_networks

    monkeypatch.setenv("ARTISANAT_TRUSTED_PROXIES", value)
    assert env_networks("ARTISANAT_TRUSTED_PROXIES") == expected


@pytest.mark.parametrize("value", ["proxy.local", "10.0.0.0/33", "10.0.0.1,,10.0.0.2"])
def test_a_bad_trusted_proxy_stops_start_up_naming_the_variable(value):
    done = start_django(DJANGO_DEBUG="1", ARTISANAT_TRUSTED_PROXIES=value)
    assert done.returncode != 0
    assert "ARTISANAT_TRUSTED_PROXIES" in done.stderr.strip().splitlines()[-1]


def test_gunicorn_believes_x_forwarded_proto_from_the_same_proxies(monkeypatch):
    import runpy

    from tests.config.test_production import PROJECT

    monkeypatch.delenv("GUNICORN_FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.delenv("ARTISANAT_TRUSTED_PROXIES", raising=False)
    assert runpy.run_path(str(PROJECT / "gunicorn.conf.py"))["forwarded_allow_ips"] == "127.0.0.1,::1"
    monkeypatch.setenv("ARTISANAT_TRUSTED_PROXIES", "10.8.0.0/16")
    assert runpy.run_path(str(PROJECT / "gunicorn.conf.py"))["forwarded_allow_ips"] == "10.8.0.0/16"
    monkeypatch.setenv("GUNICORN_FORWARDED_ALLOW_IPS", "10.9.0.1")
    assert runpy.run_path(str(PROJECT / "gunicorn.conf.py"))["forwarded_allow_ips"] == "10.9.0.1"


# ---------------------------------------------------------------- the security log


def test_the_security_log_reads_the_same_address(settings, security_log):
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert security_event("probe", request)["client"] == PROXY
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    assert security_event("probe", request)["client"] == "203.0.113.1"


# ---------------------------------------------------------------- the lock-out


@pytest.fixture
def three_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def sign_in(username, password, forwarded, remote=PROXY):
    return Client().post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_lockout(
    settings, three_failures, editor, security_log
):
    settings.TRUSTED_PROXIES = []
    for i in range(3):
        sign_in("editor", "faux", f"203.0.113.{i}", remote="198.51.100.7")
    assert sign_in("editor", PASSWORD, "203.0.113.99", remote="198.51.100.7").status_code == 429
    assert {e["client"] for e in security_log.events} == {"198.51.100.7"}


def test_behind_a_trusted_proxy_the_lockout_keys_on_the_real_client(behind_proxy, three_failures, editor, security_log):
    for _ in range(3):
        assert sign_in("editor", "faux", "203.0.113.1").status_code in (200, 429)
    assert sign_in("editor", PASSWORD, "203.0.113.1").status_code == 429
    # The same account from another client behind the same proxy is not locked out...
    assert sign_in("editor", PASSWORD, "203.0.113.2").status_code == 302
    # ...and client A cannot get out by writing another address in front of its own.
    assert sign_in("editor", PASSWORD, "203.0.113.2, 203.0.113.1").status_code == 429
    lockouts = [e for e in security_log.events if e["event"] == "lockout"]
    assert lockouts and {e["client"] for e in lockouts} == {"203.0.113.1"}


def test_behind_a_trusted_proxy_the_token_lockout_keys_on_the_real_client(behind_proxy, three_failures, partner_a):
    a = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1")
    for _ in range(3):
        a.post(TOKEN, {"username": "partner_a", "password": "faux"}, format="json")
    assert a.post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json").status_code == 429
    b = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert b.post(TOKEN, {"username": "partner_a", "password": PASSWORD}, format="json").status_code == 200
