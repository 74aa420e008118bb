""" "Mes notifications" (every user with a role: their preferences and their own
reminders) and "Historique des rappels" (ministry roles only: every reminder, filtered,
paginated, exported)."""

import csv
import datetime as dt
import io
import re

import pytest

from portal.choices import ReminderKind, ReminderStatus
from portal.models import ReminderLog, UserPreference

NOTIFICATIONS = "/notifications/"
HISTORY = "/rappels/"


def log(user, indicator, organisation, *, kind=ReminderKind.DUE, status=ReminderStatus.SENT, year=2021, **extra):
    from django.utils import timezone

    return ReminderLog.objects.create(
        kind=kind,
        recipient=user,
        indicator=indicator,
        organisation=organisation,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        due_date=dt.date(year + 1, 3, 31),
        status=status,
        sent_at=timezone.now() if status == ReminderStatus.SENT else None,
        **extra,
    )


@pytest.fixture
def logs(indicator, org_a, org_b, partner_a, partner_b, editor):
    return {
        "a": log(partner_a, indicator, org_a),
        "a_before": log(partner_a, indicator, org_a, kind=ReminderKind.BEFORE),
        "b": log(partner_b, indicator, org_b, year=2022),
        "editor": log(
            editor,
            indicator,
            org_a,
            kind=ReminderKind.ESCALATION,
            status=ReminderStatus.FAILED,
            error="SMTPDataError: 554",
        ),
    }


def rows(response):
    return response.content.decode().count("data-reminder=")


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("path", [NOTIFICATIONS, HISTORY])
def test_anonymous_visitors_go_to_the_login_page(client, path, db):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


@pytest.mark.parametrize("path", [NOTIFICATIONS, HISTORY])
def test_a_user_without_a_role_is_refused(client, django_user_model, path):
    client.force_login(django_user_model.objects.create_user("sans_role", password="x-long-password-123"))
    assert client.get(path).status_code == 403
    assert client.post(NOTIFICATIONS, {"language": "ar"}).status_code == 403
    assert UserPreference.objects.count() == 0


def test_a_partner_is_refused_the_history(client, partner_a, logs):
    client.force_login(partner_a)
    assert client.get(HISTORY).status_code == 403
    assert client.get(HISTORY + "?format=csv").status_code == 403


@pytest.mark.parametrize("actor", ["viewer", "editor", "validator", "admin_user"])
def test_every_ministry_role_reads_the_history(client, request, actor, logs):
    client.force_login(request.getfixturevalue(actor))
    response = client.get(HISTORY)
    assert response.status_code == 200 and rows(response) == 4


# ---------------------------------------------------------------- Mes notifications


def test_a_partner_sees_only_its_own_reminders(client, partner_a, logs):
    client.force_login(partner_a)
    response = client.get(NOTIFICATIONS)
    assert response.status_code == 200
    shown = {r.pk for r in response.context["reminders"]}
    assert shown == {logs["a"].pk, logs["a_before"].pk}
    assert rows(response) == 2
    body = response.content.decode()
    assert "Toujours envoyés : Échéance du jour, Relance (retard)." in body
    assert response.context["form"].initial == {"language": "fr", "reminders_enabled": True}  # the defaults
    assert re.search(r'<input type="checkbox" name="reminders_enabled"[^>]* checked>', body)


def test_a_ministry_user_sees_only_their_own_reminders_there_too(client, editor, logs):
    client.force_login(editor)
    assert [r.pk for r in client.get(NOTIFICATIONS).context["reminders"]] == [logs["editor"].pk]


def test_switching_off_the_optional_reminders_and_choosing_the_language(client, partner_a):
    client.force_login(partner_a)
    response = client.post(NOTIFICATIONS, {"language": "ar"})  # the box unticked
    assert response.status_code == 302 and response["Location"] == NOTIFICATIONS
    preference = UserPreference.objects.get(user=partner_a)
    assert (preference.language, preference.reminders_enabled) == ("ar", False)
    page = client.get(NOTIFICATIONS).content.decode()
    assert '<option value="ar" selected>' in page
    client.post(NOTIFICATIONS, {"language": "en", "reminders_enabled": "on"})
    preference.refresh_from_db()
    assert (preference.language, preference.reminders_enabled) == ("en", True)
    assert UserPreference.objects.count() == 1


def test_an_unknown_language_is_refused_beside_its_field(client, partner_a):
    client.force_login(partner_a)
    response = client.post(NOTIFICATIONS, {"language": "de", "reminders_enabled": "on"})
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    assert UserPreference.objects.count() == 0


# ---------------------------------------------------------------- Historique des rappels


def test_the_history_filters_by_kind_status_and_organisation(client, validator, logs, org_b):
    client.force_login(validator)
    assert rows(client.get(HISTORY + "?kind=escalation")) == 1
    assert rows(client.get(HISTORY + "?status=failed")) == 1
    assert rows(client.get(HISTORY + f"?organisation={org_b.pk}")) == 1
    assert rows(client.get(HISTORY + "?due_after=2023-01-01")) == 1  # partner_b's 2022 report, due 31/03/2023
    assert rows(client.get(HISTORY + "?q=partner_a")) == 2
    assert rows(client.get(HISTORY + "?kind=nope")) == 0  # an invalid filter: an empty list
    page = client.get(HISTORY + "?status=failed").content.decode()
    assert "SMTPDataError: 554" in page


def test_the_history_is_paginated_by_fifty(client, validator, indicator, org_a, partner_a):
    client.force_login(validator)
    for year in range(2001, 2071):
        log(partner_a, indicator, org_a, year=year)
    assert ReminderLog.objects.count() == 70
    first = client.get(HISTORY)
    assert rows(first) == 50 and first.context["page_obj"].has_next()
    assert rows(client.get(HISTORY + "?page=2")) == 20


def test_the_history_exports_as_csv_with_the_filters(client, validator, logs):
    client.force_login(validator)
    response = client.get(HISTORY + "?format=csv&status=sent")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="rappels.csv"'
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(table) == 3
    by_recipient = {(r["recipient"], r["kind"]): r for r in table}
    row = by_recipient[("partner_b", "due")]
    assert (row["indicator"], row["organisation"], row["period_start"], row["due_date"], row["status"]) == (
        "IND-FORM",
        "MDA",
        "2022-01-01",
        "2023-03-31",
        "sent",
    )
    xlsx = client.get(HISTORY + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_the_admin_shows_reminders_and_preferences_read_only(client, admin_user, logs, partner_a):
    from django.urls import reverse

    preference = UserPreference.objects.create(user=partner_a, language="en")
    client.force_login(admin_user)
    for model, obj in (("reminderlog", logs["a"]), ("userpreference", preference)):
        assert client.get(reverse(f"admin:portal_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:portal_{model}_change", args=[obj.pk])).status_code == 200
        assert client.get(reverse(f"admin:portal_{model}_add")).status_code == 403
