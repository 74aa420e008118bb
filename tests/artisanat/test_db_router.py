"""The read replica (issue 16, item 5, artisanat/db_router.py): anonymous GET / HEAD
read the replica, everything signed in, every write and every request of a client who
just wrote read the primary, and a replica that does not answer sends the reads back to
the primary. Django's primary/replica test set-up: the "replica" alias is a TEST MIRROR
of "default" (config/settings.py), and the tests that read through it are transactional
so that the mirror's own connection sees the rows."""

import pytest
from django.db import connections
from django.test import Client, RequestFactory

from artisanat import db_router
from artisanat.db_router import PRIMARY_COOKIE, ReplicaRouter, may_read_replica
from artisanat.models import Organisation

BOTH = pytest.mark.django_db(databases=["default", "replica"], transaction=True)
URL = "/ou/"


@pytest.fixture
def replica_on(settings):
    settings.READ_REPLICA = True
    settings.ROOT_URLCONF = "tests.artisanat.replica_urls"
    settings.DEBUG = True  # queries_log counts each alias's queries
    db_router.health.down_until = 0.0
    yield settings
    db_router.health.down_until = 0.0


# ---------------------------------------------------------------- the router


def test_reads_go_to_the_replica_only_inside_a_request_that_may(settings):
    router = ReplicaRouter()
    settings.READ_REPLICA = True
    assert router.db_for_read(Organisation) == "default"
    token = db_router._reading_replica.set(True)
    try:
        assert router.db_for_read(Organisation) == "replica"
        settings.READ_REPLICA = False  # no DATABASE_REPLICA_URL: never
        assert router.db_for_read(Organisation) == "default"
    finally:
        db_router._reading_replica.reset(token)


def test_writes_and_migrations_only_on_the_primary(settings):
    router = ReplicaRouter()
    settings.READ_REPLICA = True
    token = db_router._reading_replica.set(True)
    try:
        assert router.db_for_write(Organisation) == "default"
    finally:
        db_router._reading_replica.reset(token)
    assert router.allow_migrate("default", "artisanat") is True
    assert router.allow_migrate("replica", "artisanat") is False
    assert router.allow_relation(Organisation(), Organisation()) is True


@pytest.mark.parametrize(
    ("method", "extra", "expected"),
    [
        ("get", {}, True),
        ("head", {}, True),
        ("post", {}, False),
        ("put", {}, False),
        ("delete", {}, False),
        ("get", {"HTTP_COOKIE": "sessionid=abc"}, False),
        ("get", {"HTTP_AUTHORIZATION": "Token abc"}, False),
        ("get", {"HTTP_COOKIE": f"{PRIMARY_COOKIE}=1"}, False),
        ("get", {"HTTP_COOKIE": "csrftoken=abc"}, True),
    ],
)
def test_who_may_read_the_replica(method, extra, expected):
    request = getattr(RequestFactory(), method)("/", **extra)
    assert may_read_replica(request) is expected


# ---------------------------------------------------------------- through a request


@BOTH
def test_an_anonymous_get_reads_the_replica(replica_on):
    Organisation.objects.create(name="Fédération", acronym="FCA", kind="federation")
    answer = Client().get(URL).json()
    assert answer == {"alias": "replica", "count": 1, "executed": {"default": 0, "replica": 1}}


@BOTH
def test_a_signed_in_get_reads_the_primary(replica_on, viewer):
    client = Client()
    client.force_login(viewer)
    answer = client.get(URL).json()
    assert answer["alias"] == "default"
    assert answer["executed"]["replica"] == 0


@BOTH
def test_an_api_client_reads_the_primary(replica_on):
    answer = Client().get(URL, HTTP_AUTHORIZATION="Token abc").json()
    assert answer["alias"] == "default"


@BOTH
def test_a_client_who_just_wrote_reads_the_primary(replica_on):
    client = Client()
    response = client.post(URL)
    assert response.json()["alias"] == "default"
    cookie = response.cookies[PRIMARY_COOKIE]
    assert cookie["max-age"] == replica_on.READ_PRIMARY_AFTER_WRITE
    assert cookie["httponly"]
    assert client.get(URL).json()["alias"] == "default"
    # Once the cookie has expired the same client reads the replica again.
    client.cookies.pop(PRIMARY_COOKIE)
    assert client.get(URL).json()["alias"] == "replica"


@BOTH
def test_a_stopped_replica_sends_the_reads_to_the_primary(replica_on, caplog, monkeypatch):
    Organisation.objects.create(name="Fédération", acronym="FCA", kind="federation")
    replica = connections["replica"]
    # The replica's server stops: its open connection is gone and no new one opens (an
    # in-memory SQLite connection never closes by itself: put it aside, as a server would).
    kept, replica.connection = replica.connection, None

    def refused(conn_params):  # the driver's own error, as a refused connection raises it
        raise replica.Database.OperationalError("connection refused (the replica is stopped)")

    monkeypatch.setattr(replica, "get_new_connection", refused)
    try:
        client = Client()
        first = client.get(URL)
        assert first.status_code == 200  # not the 503 the replica's error gave
        assert first.json() == {"alias": "default", "count": 1, "executed": {"default": 1, "replica": 0}}
        assert client.get(URL).json()["alias"] == "default"  # no new attempt for a while
        warnings = [r.getMessage() for r in caplog.records if "read replica unavailable" in r.getMessage()]
        assert len(warnings) == 1
        # Back: after READ_REPLICA_RETRY_SECONDS the replica is read again.
        monkeypatch.undo()
        replica.connection = kept
        db_router.health.down_until = 1.0  # long past
        assert client.get(URL).json()["alias"] == "replica"
        assert db_router.health.down_until == 0.0
    finally:
        if replica.connection is None:
            replica.connection = kept


@BOTH
def test_without_a_replica_nothing_changes(settings):
    settings.READ_REPLICA = False
    settings.ROOT_URLCONF = "tests.artisanat.replica_urls"
    response = Client().post(URL)
    assert PRIMARY_COOKIE not in response.cookies
    assert Client().get(URL).json()["alias"] == "default"
