"""Reminders and escalation by email (portal/reminders.py), against Django's test
outbox, with dates worked out by hand.

The fixture indicator ``IND-FORM`` is reported yearly by FCA (org_a) with the default
delay of 90 days: the 2021 report is due 31/12/2021 + 90 days = 31/03/2022. With the
default settings (N = 14, K = 15, catch-up 7 days):

- before: 17/03/2022 … 30/03/2022, to FCA's reporter;
- due: 31/03/2022 … 07/04/2022 (catch-up), to FCA's reporter;
- escalation: 15/04/2022 … 22/04/2022, to FCA's focal point and the ministry's."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from artisanat.choices import Role
from artisanat.models import Membership
from portal.choices import ReminderKind, ReminderStatus
from portal.models import ReminderLog, UserPreference
from portal.reminders import send_reminders
from strategy.choices import Frequency
from strategy.models import Indicator, Measurement
from tests.conftest import _user

DUE = dt.date(2022, 3, 31)
SITE = "https://portail.example.ma"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = SITE
    settings.REMINDER_DAYS_BEFORE = 14
    settings.ESCALATION_DAYS_AFTER = 15
    settings.REMINDER_CATCH_UP_DAYS = 7
    settings.DEFAULT_FROM_EMAIL = "Artisanat 2030 <rappels@example.ma>"


def with_email(user, address=None):
    get_user_model().objects.filter(pk=user.pk).update(email=address or f"{user.username}@example.ma")
    user.refresh_from_db()
    return user


@pytest.fixture
def reporter(partner_a):
    return with_email(partner_a)


@pytest.fixture
def fca_focal(org_a):
    user = with_email(_user("focal_fca", org_a, Role.REPORTER))
    Membership.objects.filter(user=user).update(is_focal_point=True)
    return user


@pytest.fixture
def ministry_focal(editor):
    Membership.objects.filter(user=editor).update(is_focal_point=True)
    return with_email(editor)


def run(day):
    return send_reminders(day)


def keys(kind=None):
    rows = ReminderLog.objects.order_by("recipient__username", "kind")
    if kind:
        rows = rows.filter(kind=kind)
    return [(r.kind, r.recipient.username, r.period_start, r.status) for r in rows]


def test_fourteen_days_before_the_due_date_the_reporter_is_reminded(indicator, reporter, fca_focal):
    assert run(dt.date(2022, 3, 16)).sent == 0  # 15 days before: too early
    assert mail.outbox == []
    outcome = run(dt.date(2022, 3, 17))
    # The reporter and the focal point (a reporter of FCA too) get it; nobody else.
    assert outcome.sent == 2 and len(mail.outbox) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["focal_fca@example.ma", "partner_a@example.ma"]
    message = next(m for m in mail.outbox if m.to == ["partner_a@example.ma"])
    assert message.from_email == "Artisanat 2030 <rappels@example.ma>"
    assert message.subject == "Artisanat 2030 — rappel : 1 rapport à remettre bientôt"
    text = message.body
    assert "IND-FORM · Artisans formés" in text
    assert "Période : 2021 · Échéance : 31/03/2022 · dans 14 jours" in text
    assert f"Saisir : {SITE}/strategie/mesures/nouvelle/?indicator={indicator.pk}" in text
    assert f"{SITE}/notifications/" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{SITE}/strategie/mesures/nouvelle/?indicator={indicator.pk}"' in html
    assert "<td>31/03/2022</td>" in html
    assert keys() == [
        (ReminderKind.BEFORE, "focal_fca", dt.date(2021, 1, 1), ReminderStatus.SENT),
        (ReminderKind.BEFORE, "partner_a", dt.date(2021, 1, 1), ReminderStatus.SENT),
    ]


def test_each_reminder_goes_out_once_however_often_the_command_runs(indicator, reporter):
    assert run(dt.date(2022, 3, 17)).sent == 1
    again = run(dt.date(2022, 3, 17))
    later = run(dt.date(2022, 3, 20))  # still in the "before" window: already sent
    assert (again.sent, again.skipped, later.sent, later.skipped) == (0, 1, 0, 1)
    assert len(mail.outbox) == 1
    assert ReminderLog.objects.count() == 1


def test_on_the_due_date_the_reporter_is_reminded_even_after_the_before_reminder(indicator, reporter):
    run(dt.date(2022, 3, 17))
    outcome = run(DUE)
    assert outcome.sent == 1 and len(mail.outbox) == 2
    message = mail.outbox[1]
    assert message.subject == "Artisanat 2030 — 1 rapport arrive à échéance"
    assert "Période : 2021 · Échéance : 31/03/2022 · dû aujourd'hui" in message.body
    assert [k[0] for k in keys()] == [ReminderKind.BEFORE, ReminderKind.DUE]


def test_a_missed_due_date_is_caught_up_for_seven_days_only(indicator, reporter):
    assert run(dt.date(2022, 4, 8)).sent == 0  # 8 days after: too late for "due"
    assert run(dt.date(2022, 4, 7)).sent == 1  # 7 days after: caught up
    assert "7 jours de retard" in mail.outbox[0].body


def test_fifteen_days_after_the_focal_points_of_the_organisation_and_the_ministry_are_told(
    indicator, reporter, fca_focal, ministry_focal, viewer
):
    with_email(viewer)  # a ministry member who is not a focal point: nothing
    assert run(dt.date(2022, 4, 14)).sent == 0  # 14 days after: out of the "due" catch-up, not yet escalated
    outcome = run(dt.date(2022, 4, 15))
    assert outcome.sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["editor@example.ma", "focal_fca@example.ma"]
    message = mail.outbox[0]
    assert message.subject == "Artisanat 2030 — relance : 1 rapport en retard"
    assert "Rapports en retard (relance)" in message.body
    assert "Organisation : FCA" in message.body
    assert "Période : 2021 · Échéance : 31/03/2022 · 15 jours de retard" in message.body
    assert keys() == [
        (ReminderKind.ESCALATION, "editor", dt.date(2021, 1, 1), ReminderStatus.SENT),
        (ReminderKind.ESCALATION, "focal_fca", dt.date(2021, 1, 1), ReminderStatus.SENT),
    ]
    assert run(dt.date(2022, 4, 22)).sent == 0  # once
    assert run(dt.date(2022, 4, 23)).sent == 0


def test_a_received_report_calls_for_no_reminder(indicator, reporter, fca_focal, ministry_focal):
    m = Measurement.objects.create(
        indicator=indicator,
        organisation=indicator.reporting_organisations.get(),
        period_start=dt.date(2021, 1, 1),
        period_end=dt.date(2021, 12, 31),
        value=D(5),
    )
    Measurement.objects.filter(pk=m.pk).update(
        status="submitted", submitted_at=timezone.make_aware(dt.datetime(2022, 3, 1, 10))
    )
    for day in (dt.date(2022, 3, 17), DUE, dt.date(2022, 4, 15)):
        assert run(day).sent == 0
    assert mail.outbox == [] and ReminderLog.objects.count() == 0


def test_the_ministrys_own_reports_go_to_its_editors(make_indicator, ministry, editor, viewer, validator):
    make_indicator(code="IND-MIN", reporters=[ministry])
    for user in (editor, viewer, validator):
        with_email(user)
    run(dt.date(2022, 3, 17))
    assert [m.to for m in mail.outbox] == [["editor@example.ma"]]


def test_the_before_reminder_can_be_switched_off_the_others_cannot(indicator, reporter):
    UserPreference.objects.create(user=reporter, language="fr", reminders_enabled=False)
    assert run(dt.date(2022, 3, 17)).sent == 0
    assert run(DUE).sent == 1
    assert [k[0] for k in keys()] == [ReminderKind.DUE]


def test_the_email_is_in_the_recipients_language(indicator, reporter):
    Indicator.objects.filter(pk=indicator.pk).update(name_ar="الحرفيون المكوَّنون")
    UserPreference.objects.create(user=reporter, language="ar")
    run(DUE)
    message = mail.outbox[0]
    assert "IND-FORM · الحرفيون المكوَّنون" in message.body
    assert "الأجل : 31/03/2022" in message.body  # "Échéance" in Arabic
    html = message.alternatives[0][0]
    assert '<html lang="ar" dir="rtl">' in html
    UserPreference.objects.filter(user=reporter).update(language="en")
    ReminderLog.objects.all().delete()
    run(DUE)
    english = mail.outbox[1]
    assert "IND-FORM · Artisans formés" in english.body  # no English name: the French one
    assert "Due date : 31/03/2022" in english.body
    assert '<html lang="en" dir="ltr">' in english.alternatives[0][0]


def test_a_quarterly_regional_report_names_its_period_and_region(make_indicator, org_b, region, reporter):
    from artisanat.models import Organisation

    chamber = Organisation.objects.create(name="Chambre", acronym="CAM", kind=org_b.kind, region=region)
    with_email(_user("chambre", chamber, Role.REPORTER))
    make_indicator(
        code="IND-Q", reporters=[chamber], frequency=Frequency.QUARTERLY, report_delay_days=30, by_region=True
    )
    # T1 2022 ends 31/03/2022, due 30/04/2022; 14 days before: 16/04/2022.
    run(dt.date(2022, 4, 16))
    message = next(m for m in mail.outbox if m.to == ["chambre@example.ma"])
    assert "Organisation : CAM · Région : Marrakech-Safi" in message.body
    assert "Période : T1 2022 · Échéance : 30/04/2022 · dans 14 jours" in message.body
    log = ReminderLog.objects.get(recipient__username="chambre")
    assert (log.region_id, log.period_start, log.period_end, log.due_date) == (
        region.pk,
        dt.date(2022, 1, 1),
        dt.date(2022, 3, 31),
        dt.date(2022, 4, 30),
    )


def test_a_failed_email_is_recorded_and_retried_by_the_next_run(indicator, reporter, settings):
    settings.EMAIL_BACKEND = "tests.portal.failing_mail.EmailBackend"
    outcome = run(DUE)
    assert (outcome.sent, outcome.failed) == (0, 1)
    log = ReminderLog.objects.get()
    assert (log.status, log.attempts, log.sent_at) == (ReminderStatus.FAILED, 1, None)
    assert log.error == "ConnectionRefusedError: [Errno 111] serveur SMTP injoignable"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outcome = run(dt.date(2022, 4, 1))  # the next day: retried
    assert (outcome.sent, outcome.failed) == (1, 0)
    log.refresh_from_db()
    assert (log.status, log.attempts, log.error) == (ReminderStatus.SENT, 2, "")
    assert log.sent_at is not None
    assert len(mail.outbox) == 1
    assert run(dt.date(2022, 4, 2)).sent == 0


def test_a_reminder_claimed_by_another_run_is_not_sent(indicator, reporter):
    ReminderLog.objects.create(
        kind=ReminderKind.DUE,
        recipient=reporter,
        indicator=indicator,
        organisation=indicator.reporting_organisations.get(),
        period_start=dt.date(2021, 1, 1),
        period_end=dt.date(2021, 12, 31),
        due_date=DUE,
    )  # claimed, still being sent by another server
    outcome = run(DUE)
    assert (outcome.sent, outcome.skipped) == (0, 1)
    assert mail.outbox == []


def test_users_without_email_or_inactive_get_nothing(indicator, partner_a, org_a):
    inactive = with_email(_user("parti", org_a, Role.REPORTER))
    get_user_model().objects.filter(pk=inactive.pk).update(is_active=False)
    assert run(DUE).sent == 0  # partner_a has no address, "parti" left
    assert mail.outbox == []


def test_the_command_prints_what_it_sent_and_dry_run_sends_nothing(indicator, reporter):
    out = io.StringIO()
    call_command("send_reminders", "--as-of", "2022-03-31", "--dry-run", stdout=out)
    assert out.getvalue().splitlines() == [
        "serait envoyé à partner_a@example.ma (fr) : 1 rappel(s)",
        "  due        IND-FORM · FCA · 2021 · échéance 31/03/2022 · 0 j de retard",
        "31/03/2022 : 1 rappel(s) à envoyer dans 1 courriel(s).",
    ]
    assert mail.outbox == [] and ReminderLog.objects.count() == 0
    out = io.StringIO()
    call_command("send_reminders", "--as-of", "2022-03-31", stdout=out)
    assert out.getvalue().splitlines() == [
        "envoyé à partner_a@example.ma (fr) : 1 rappel(s)",
        "  due        IND-FORM · FCA · 2021 · échéance 31/03/2022 · 0 j de retard",
        "31/03/2022 : 1 rappel(s) envoyé(s) dans 1 courriel(s), 0 déjà envoyé(s) ou en cours, 0 en échec.",
    ]
    assert len(mail.outbox) == 1


def test_the_command_refuses_a_bad_date_and_a_missing_site_url(settings, db):
    with pytest.raises(CommandError, match="--as-of : Date invalide"):
        call_command("send_reminders", "--as-of", "31/03/2022")
    for extreme in ("0001-01-01", "9999-12-31"):  # the review's OverflowError
        with pytest.raises(CommandError, match="--as-of : date hors des années"):
            call_command("send_reminders", "--as-of", extreme)
    settings.SITE_URL = ""
    with pytest.raises(CommandError, match="ARTISANAT_SITE_URL"):
        call_command("send_reminders", "--as-of", "2022-03-31")


def test_the_command_fails_when_an_email_failed(indicator, reporter, settings):
    settings.EMAIL_BACKEND = "tests.portal.failing_mail.EmailBackend"
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 rappel\\(s\\) en échec"):
        call_command("send_reminders", "--as-of", "2022-03-31", stdout=io.StringIO(), stderr=err)
    assert "échec de l'envoi à partner_a@example.ma : ConnectionRefusedError" in err.getvalue()
