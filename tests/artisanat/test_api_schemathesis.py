"""Schemathesis over every operation of /api/schema/, as an administrator and as a
partner, with schemathesis' default checks (no 5xx, status codes, content types,
bodies and headers as documented, negative data rejected, …) and a bounded number of
examples per operation, so that the whole run stays within a few minutes.

One check is configured rather than left at its default: ``positive_data_acceptance``
also accepts 400. A request can match the schema and still be refused by a rule the
schema cannot state (an id that must exist, an end date after a start date, a period
inside the strategy): the design answers 400 with the field and the reason there.
Likewise 412: a well-formed If-Match can still be stale."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from artisanat.wsgi import application
from tests.api_fixtures import *  # noqa: F403

config = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409", "412", "429"]}
        }
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=config)

EXAMPLES = 8


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Schemathesis calls the WSGI application directly: at the end of each request
    Django would close the database connection that holds the test's transaction (on
    PostgreSQL; SQLite's in-memory test database ignores it). Django's own test client
    does the same as this fixture."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(world, admin_user, partner_a):
    return {
        name: Token.objects.get_or_create(user=user)[0].key
        for name, user in (("admin", admin_user), ("partner", partner_a))
    }


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)
@pytest.mark.parametrize("who", ["admin", "partner"])
def test_api_conforms_to_its_schema(case, who, tokens):
    case.call_and_validate(headers={"Authorization": f"Token {tokens[who]}"})
