"""``send_reminders`` run twice at the same moment sends each reminder once
(portal/reminders.py: the claim in ReminderLog).

- PostgreSQL: two threads, each with its own database connection, released together
  by a barrier, run the command on the same day; three rounds (before, due,
  escalation). Every (recipient, indicator, organisation) is in exactly one email.
- SQLite: two ``manage.py send_reminders`` processes started together on a file
  database, sending to a real SMTP server (aiosmtpd); the same count."""

import datetime as dt
import io
import subprocess
import sys
import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections

from artisanat.choices import OrganisationKind, Role
from artisanat.models import Membership, Organisation
from portal.models import ReminderLog
from tests.conftest import _user
from tests.portal.test_reminder_smtp import Inbox, parts
from tests.servers import PROJECT, clean_env, free_port

INDICATORS = 6
ORGANISATIONS = 3
REPORTERS = 2  # per organisation


def items_of(to, text):
    """(recipient, indicator code, organisation) of every report listed in a text part."""
    found, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("- "):
            acronym = lines[i + 1].split("Organisation : ")[1].split(" ")[0]
            found.append((to, line[2:].split(" · ")[0], acronym))
    return found


def once_each(found, expected):
    counts = Counter(found)
    assert {k: n for k, n in counts.items() if n > 1} == {}, "sent twice"
    assert set(counts) == expected


@pytest.fixture
def calendar(make_indicator, ministry, editor, settings):
    """6 yearly indicators × 3 organisations, 2 reporters each and a focal point each;
    the ministry's editor is its focal point. The 2021 reports are due 31/03/2022."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://portail.example.ma"
    User = get_user_model()
    organisations = [
        Organisation.objects.create(name=f"Org {i}", acronym=f"ORG{i}", kind=OrganisationKind.FEDERATION)
        for i in range(ORGANISATIONS)
    ]
    for i in range(INDICATORS):
        make_indicator(code=f"IND-{i}", reporters=organisations)
    reporters = []
    for org in organisations:
        for r in range(REPORTERS):
            reporters.append(_user(f"{org.acronym.lower()}-{r}", org, Role.REPORTER))
        focal = _user(f"{org.acronym.lower()}-pf", org, Role.REPORTER)
        Membership.objects.filter(user=focal).update(is_focal_point=True)
    Membership.objects.filter(user=editor).update(is_focal_point=True)
    for user in User.objects.all():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.ma")
    return organisations


def expected_for(day, organisations):
    User = get_user_model()
    codes = [f"IND-{i}" for i in range(INDICATORS)]
    if day < dt.date(2022, 4, 15):  # before and due: each organisation's reporters (focal points are reporters)
        people = [(m.user.email, m.organisation.acronym) for m in Membership.objects.filter(role=Role.REPORTER)]
    else:  # escalation: the organisation's focal point and the ministry's
        editor = User.objects.get(username="editor").email
        people = [(f"{o.acronym.lower()}-pf@example.ma", o.acronym) for o in organisations]
        people += [(editor, o.acronym) for o in organisations]
    return {(email, code, acronym) for email, acronym in people for code in codes}


def race(day):
    """Two ``send_reminders --as-of day`` released together; what each printed."""
    barrier = threading.Barrier(2)
    outputs, errors = [], []

    def run():
        out = io.StringIO()
        try:
            barrier.wait(timeout=30)
            call_command("send_reminders", "--as-of", day.isoformat(), stdout=out)
            outputs.append(out.getvalue())
        except Exception as exc:  # reported below: a thread must not fail silently
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return outputs


@pytest.mark.postgres_only  # about 1.5 s: not slow
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once: PostgreSQL (SQLite below)")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_each_reminder_once_on_postgresql(calendar):
    for day, kind in (
        (dt.date(2022, 3, 17), "before"),
        (dt.date(2022, 3, 31), "due"),
        (dt.date(2022, 4, 15), "escalation"),
    ):
        mail.outbox = []
        outputs = race(day)
        expected = expected_for(day, calendar)
        found = [item for m in mail.outbox for item in items_of(m.to[0], m.body)]
        once_each(found, expected)
        assert ReminderLog.objects.filter(kind=kind, status="sent").count() == len(expected)
        assert ReminderLog.objects.filter(kind=kind).count() == len(expected)
        # What the two runs say they sent adds up to every reminder, once.
        sent = [int(o.splitlines()[-1].split(" : ")[1].split(" ")[0]) for o in outputs]
        assert sum(sent) == len(expected), outputs


SETUP = (
    """
import datetime as dt
from decimal import Decimal
from django.contrib.auth import get_user_model
from artisanat.choices import OrganisationKind, Role
from artisanat.models import Membership, Organisation
from strategy.choices import Aggregation, Direction, Unit
from strategy.models import Axis, Indicator, Programme, Strategy

User = get_user_model()
strategy = Strategy.objects.create(name="Stratégie", start_date=dt.date(2021, 1, 1), end_date=dt.date(2030, 12, 31))
axis = Axis.objects.create(strategy=strategy, number=1, title="Axe")
programme = Programme.objects.create(axis=axis, code="P1.1", title="Programme")
organisations = [
    Organisation.objects.create(name=f"Org {i}", acronym=f"ORG{i}", kind=OrganisationKind.FEDERATION)
    for i in range(__ORGS__)
]
for i in range(__INDICATORS__):
    indicator = Indicator.objects.create(
        code=f"IND-{i}", name=f"Indicateur {i}", axis=axis, programme=programme, unit=Unit.COUNT,
        direction=Direction.INCREASE, aggregation=Aggregation.SUM, baseline_value=Decimal(0),
        baseline_date=dt.date(2020, 12, 31), baseline_source="test",
    )
    indicator.reporting_organisations.set(organisations)
for org in organisations:
    for r in range(__REPORTERS__):
        name = f"{org.acronym.lower()}-{r}"
        user = User.objects.create_user(username=name, email=f"{name}@example.ma", password="un-mot-de-passe-long")
        Membership.objects.create(user=user, organisation=org, role=Role.REPORTER)
print("SETUP done")
""".replace("__ORGS__", str(ORGANISATIONS))
    .replace("__INDICATORS__", str(INDICATORS))
    .replace("__REPORTERS__", str(REPORTERS))
)


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock; PostgreSQL has the test above")
def test_two_processes_at_the_same_moment_send_each_reminder_once_on_sqlite(tmp_path):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        env = clean_env(
            DATABASE_URL=f"sqlite:///{tmp_path / 'rappels.sqlite3'}",
            DJANGO_DEBUG="1",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            ARTISANAT_SITE_URL="https://portail.example.ma",
        )
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", SETUP]):
            done = subprocess.run(manage + command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-3000:]
        runs = [
            subprocess.Popen(
                manage + ["send_reminders", "--as-of", "2022-03-31"],
                cwd=PROJECT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=300) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
    finally:
        controller.stop()
    found = []
    for _sender, rcpt, raw in inbox.messages:
        _message, body = parts(raw)
        found += items_of(rcpt[0], body["text/plain"])
    expected = {
        (f"org{o}-{r}@example.ma", f"IND-{i}", f"ORG{o}")
        for o in range(ORGANISATIONS)
        for r in range(REPORTERS)
        for i in range(INDICATORS)
    }
    once_each(found, expected)
    sent = [int(out.splitlines()[-1].split(" : ")[1].split(" ")[0]) for out, _err in outputs]
    assert sum(sent) == len(expected) == 36, outputs
