"""The reminders through a real SMTP server: aiosmtpd listening on a free port of the
loopback, Django's SMTP backend configured as in production (EMAIL_HOST, EMAIL_PORT).
The message that arrives has a plain-text and an HTML part, in the recipient's
language; a server that refuses the message leaves the reminder failed, to be retried."""

import datetime as dt
import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model

from artisanat.choices import Role
from portal.choices import ReminderStatus
from portal.models import ReminderLog, UserPreference
from portal.reminders import send_reminders
from strategy.models import Indicator
from tests.conftest import _user
from tests.servers import free_port

DUE = dt.date(2022, 3, 31)  # the fixture indicator's 2021 report (tests/portal/test_reminders.py)


class Inbox:
    """aiosmtpd handler keeping every message it accepts (or refusing them all)."""

    def __init__(self, refuse=False):
        self.messages = []
        self.refuse = refuse

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 5.7.1 Message refusé"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    def start(refuse=False):
        inbox = Inbox(refuse)
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 10
        return inbox

    started = []
    settings.SITE_URL = "https://portail.example.ma"
    settings.DEFAULT_FROM_EMAIL = "rappels@example.ma"
    yield start
    for controller in started:
        controller.stop()


def reporter_in(org, username, language):
    user = _user(username, org, Role.REPORTER)
    get_user_model().objects.filter(pk=user.pk).update(email=f"{username}@example.ma")
    UserPreference.objects.create(user=user, language=language)
    return user


def parts(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    return message, {p.get_content_type(): p.get_content() for p in message.iter_parts()}


def test_the_reminder_arrives_at_a_real_smtp_server_with_both_parts_in_each_language(smtp_server, indicator, org_a):
    Indicator.objects.filter(pk=indicator.pk).update(name_ar="الحرفيون المكوَّنون")
    reporter_in(org_a, "amina", "ar")
    reporter_in(org_a, "john", "en")
    reporter_in(org_a, "karim", "fr")
    inbox = smtp_server()
    outcome = send_reminders(DUE)
    assert outcome.sent == 3 and len(inbox.messages) == 3
    by_recipient = {rcpt[0]: (sender, content) for sender, rcpt, content in inbox.messages}
    assert set(by_recipient) == {"amina@example.ma", "john@example.ma", "karim@example.ma"}

    sender, raw = by_recipient["amina@example.ma"]
    assert sender == "rappels@example.ma"
    message, body = parts(raw)
    assert set(body) == {"text/plain", "text/html"}
    assert message["To"] == "amina@example.ma"
    assert "IND-FORM · الحرفيون المكوَّنون" in body["text/plain"]
    assert "الأجل : 31/03/2022" in body["text/plain"]
    assert '<html lang="ar" dir="rtl">' in body["text/html"]
    assert f"https://portail.example.ma/strategie/mesures/nouvelle/?indicator={indicator.pk}" in body["text/html"]

    _, body = parts(by_recipient["john@example.ma"][1])
    assert "Due date : 31/03/2022" in body["text/plain"]
    assert '<html lang="en" dir="ltr">' in body["text/html"]

    message, body = parts(by_recipient["karim@example.ma"][1])
    # Python folds a long encoded subject after "Subject:"; the fold reads as a space.
    assert message["Subject"].strip() == "Artisanat 2030 — 1 rapport arrive à échéance"
    assert "Échéance : 31/03/2022 · dû aujourd'hui" in body["text/plain"]
    assert '<html lang="fr" dir="ltr">' in body["text/html"]
    assert set(ReminderLog.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}


def test_a_message_the_server_refuses_is_failed_then_retried(smtp_server, indicator, org_a):
    reporter_in(org_a, "karim", "fr")
    smtp_server(refuse=True)
    outcome = send_reminders(DUE)
    assert (outcome.sent, outcome.failed) == (0, 1)
    log = ReminderLog.objects.get()
    assert log.status == ReminderStatus.FAILED
    assert "554" in log.error and "SMTPDataError" in log.error
    inbox = smtp_server()  # a server that accepts, the next day
    outcome = send_reminders(DUE + dt.timedelta(days=1))
    assert (outcome.sent, outcome.failed) == (1, 0)
    assert [rcpt for _, rcpt, _ in inbox.messages] == [["karim@example.ma"]]
    log.refresh_from_db()
    assert (log.status, log.attempts) == (ReminderStatus.SENT, 2)
