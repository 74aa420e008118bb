"""`make fuzz`: schemathesis over every operation of /api/schema/, signed in as each
role that writes through the API (administrator, validator, partner reporter), at
ARTISANAT_FUZZ_EXAMPLES generated examples per operation and role (100 by default),
plus, as the administrator, schemathesis' coverage cases.

Checks: schemathesis' defaults (no server error, status code and content type as
documented, response bodies and headers matching the schema, negative data rejected,
positive data accepted, …). One is configured rather than left at its default:
``positive_data_acceptance`` also accepts 400, 404, 409 and 412. A request can match the
schema and still be refused by a rule the schema cannot state (an id that must exist,
an end date after a start date, a period inside the strategy): the design answers 400
with the field and the reason there. Likewise 412: a well-formed If-Match can be stale.

The file is not named test_*.py, so `make test` does not collect it; `make fuzz` runs
it with pytest-xdist, one seeded database per worker. Examples are derandomized: a
failure found once is found again on the next run."""

import datetime as dt
import os
import zlib

import pytest
import schemathesis
from django.conf import settings as django_settings
from hypothesis import HealthCheck, settings
from schemathesis import checks as schemathesis_checks

from artisanat.accounts.services import issue_token
from config.wsgi import application

# The schema is read below, at import, outside any test's database access: the API's
# throttles count in this process's memory here, not in the shared database store
# (tests/artisanat/test_throttling.py tests that store).
django_settings.CACHES["throttle"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}

EXAMPLES = int(os.environ.get("ARTISANAT_FUZZ_EXAMPLES", "100"))

CHECKS = {
    "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409", "412", "429"]},
    # A request schemathesis calls invalid may still be refused for another reason first:
    # a stale If-Match (412) is a refusal too. (In a multipart body every value is text,
    # so "a number where a string is expected" there is not invalid at all.)
    "negative_data_rejection": {
        "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429"]
    },
}
# As the administrator: schemathesis' coverage phase too (every boundary and invalid
# value of every parameter, a few hundred deterministic cases per operation; the
# administrator may call every operation, so each case reaches its validation).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", application, config=schemathesis.Config.from_dict({"checks": CHECKS})
)
# As the validator and the partner: the same checks on the generated examples; the
# coverage cases test input validation, which does not depend on the role, and would
# double the run.
role_schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    application,
    config=schemathesis.Config.from_dict({"checks": CHECKS, "phases": {"coverage": {"enabled": False}}}),
)

# ``ignored_auth`` re-sends a successful request without credentials and with invalid
# ones. Schemathesis' own runner (the CLI) does that once per operation and run,
# remembering the operations already confirmed; its pytest integration passes no such
# memory and repeats both probes after every successful example, tripling the cost.
# Each worker keeps the runner's memory here: every operation is still probed, once.
_AUTH_ENFORCED = set()
_check_context_init = schemathesis_checks.CheckContext.__init__


def _init_with_memory(self, *args, **kwargs):
    _check_context_init(self, *args, **kwargs)
    if self.auth_enforced_operations is None:
        self.auth_enforced_operations = _AUTH_ENFORCED


schemathesis_checks.CheckContext.__init__ = _init_with_memory


def _aligned(row):
    """Half of the rows that carry two dates (chosen by a checksum, so the run stays
    derandomized): the whole year of the start's year, moved into 2021–2030. Drawn
    freely, a period is almost never exactly one period of its indicator's frequency
    (the fuzz world's indicators are yearly) and every write would stop at the period
    rule's 400; aligned, the examples also reach the success paths behind it."""
    if not isinstance(row, dict):
        return row
    start, end = row.get("period_start"), row.get("period_end")
    if not (isinstance(start, str) and isinstance(end, str)) or zlib.crc32(f"{start}|{end}".encode()) % 2:
        return row
    try:
        year = dt.date.fromisoformat(start).year
        dt.date.fromisoformat(end)
    except ValueError:
        return row  # an invalid date is the example's point: kept
    year = 2021 + year % 10
    return {**row, "period_start": f"{year}-01-01", "period_end": f"{year}-12-31"}


@schemathesis.hook
def map_body(context, body):
    """The measurements' bodies (one row, a bulk list or {"rows": [...]}), see _aligned."""
    if "/measurements/" not in getattr(context.operation, "path", ""):
        return body
    if isinstance(body, list):
        return [_aligned(row) for row in body]
    if isinstance(body, dict) and isinstance(body.get("rows"), list):
        return {**body, "rows": [_aligned(row) for row in body["rows"]]}
    return _aligned(body)


@pytest.fixture(autouse=True)
def _keep_the_test_connection(keep_test_connection):
    """Schemathesis calls the WSGI application directly (tests/conftest.py)."""


@pytest.fixture
def published(world, validator):
    """The public API (/api/public/v1/) answers with rows, not only empty lists: one
    indicator published (strategy.services.release_open_data)."""
    from strategy.services import release_open_data

    indicator = world["validated_b"].indicator
    indicator.public_from = dt.date(2021, 1, 1)
    indicator.save()
    release_open_data(by=validator, reason="Publication (fuzz)")


@pytest.fixture
def tokens(world, published, admin_user, validator, partner_a):
    return {
        name: issue_token(user)[1]
        for name, user in (("admin", admin_user), ("validator", validator), ("partner", partner_a))
    }


SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)


@schema.parametrize()
@SETTINGS
@pytest.mark.parametrize("who", ["admin"])
def test_api_fuzz(case, who, tokens, _fuzz_counter):
    _fuzz_counter["examples"] += 1
    case.call_and_validate(headers={"Authorization": f"Token {tokens[who]}"})


@role_schema.parametrize()
@SETTINGS
@pytest.mark.parametrize("who", ["validator", "partner"])
def test_api_fuzz_as_role(case, who, tokens, _fuzz_counter):
    _fuzz_counter["examples"] += 1
    case.call_and_validate(headers={"Authorization": f"Token {tokens[who]}"})
