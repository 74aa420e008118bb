"""Issue 6, item 3, second half: "permission denied" is a security event (one JSON line
on ``artisanat.security`` with the UTC time, user, organisation and client address) on
every surface, and history cannot be altered from the product — no revert, no admin for
historical models, history pages read only and scoped, and database triggers that
refuse UPDATE and DELETE on the history tables except the SET NULL of a deleted user."""

import datetime as dt
import io
import json
import logging
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from artisanat.history_guard import guarded_tables, history_maintenance, history_tables, is_historical
from contracts.models import Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy import services
from strategy.models import Indicator, Measurement, Target

V = "/api/v1/"
TRACKED = (Measurement, Target, Indicator, ContratProgramme, Party, Commitment, Disbursement, Milestone, Amendment)


@pytest.fixture
def security_lines(caplog):
    """The JSON objects written on artisanat.security (it does not propagate to the root
    logger, so caplog's handler is attached to it directly)."""
    logger = logging.getLogger("artisanat.security")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="artisanat.security")

    def lines(event="permission_denied"):
        found = []
        for record in caplog.records:
            if record.name == "artisanat.security":
                entry = json.loads(record.getMessage())
                if entry["event"] == event:
                    found.append(entry)
        return found

    yield lines
    logger.removeHandler(caplog.handler)


def assert_utc_now(value):
    assert value.endswith("Z")
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert moment.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - moment).total_seconds()) < 60


# ---------------------------------------------------------------- permission denied


def test_api_403_is_logged_with_user_organisation_client_and_path(
    security_lines, as_partner_a, partner_a, org_a, target
):
    url = f"{V}targets/{target.pk}/"
    response = as_partner_a.delete(url, HTTP_IF_MATCH=f'"{target.version}"', REMOTE_ADDR="10.20.30.40")

    assert response.status_code == 403
    assert Target.objects.filter(pk=target.pk).exists()
    [entry] = security_lines()
    assert_utc_now(entry["time"])
    assert entry["user"] == "partner_a" and entry["user_id"] == partner_a.pk
    assert entry["organisation_id"] == org_a.pk
    assert entry["client"] == "10.20.30.40"
    assert (entry["method"], entry["path"], entry["status"], entry["surface"]) == ("DELETE", url, 403, "api")


def test_api_allowed_request_logs_no_refusal(security_lines, as_editor, target):
    response = as_editor.patch(
        f"{V}targets/{target.pk}/", {"value": "900", "change_reason": "Révision"}, HTTP_IF_MATCH=f'"{target.version}"'
    )
    assert response.status_code == 200
    assert security_lines() == []


def test_api_service_refusal_403_is_logged(security_lines, as_partner_a, milestone_a, org_b):
    """A refusal decided object by object in a service (not by the view) is a 403 too."""
    response = as_partner_a.patch(
        f"{V}milestones/{milestone_a.pk}/",
        {"title": "Autre", "change_reason": "Renommé"},
        HTTP_IF_MATCH=f'"{milestone_a.version}"',
    )
    assert response.status_code == 403
    [entry] = security_lines()
    assert entry["user"] == "partner_a" and entry["path"] == f"{V}milestones/{milestone_a.pk}/"


def test_page_403_is_logged(security_lines, client, viewer, ministry):
    client.force_login(viewer)
    url = reverse("strategy:validation_queue")
    response = client.get(url, REMOTE_ADDR="192.0.2.7")

    assert response.status_code == 403
    [entry] = security_lines()
    assert_utc_now(entry["time"])
    assert (entry["user"], entry["organisation_id"], entry["client"]) == ("viewer", ministry.pk, "192.0.2.7")
    assert (entry["method"], entry["path"], entry["surface"]) == ("GET", url, "page")


def test_page_allowed_for_a_validator_logs_nothing(security_lines, client, validator):
    client.force_login(validator)
    assert client.get(reverse("strategy:validation_queue")).status_code == 200
    assert security_lines() == []


def test_admin_403_is_logged(security_lines, client, editor, ministry, draft_a):
    """A staff editor without the permission on a model is refused its admin page."""
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    url = reverse("admin:strategy_measurement_change", args=[draft_a.pk])
    response = client.get(url)

    assert response.status_code == 403
    [entry] = security_lines()
    assert (entry["user"], entry["organisation_id"], entry["path"], entry["surface"]) == (
        "editor",
        ministry.pk,
        url,
        "admin",
    )


# ---------------------------------------------------------------- history is read only


def test_revert_is_disabled_and_no_historical_model_has_an_admin():
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True
    registered = list(admin.site._registry)
    assert registered and not [m for m in registered if is_historical(m)]
    for model in TRACKED:
        assert model.history.model not in admin.site._registry


def history_form_url(obj):
    row = obj.history.order_by("history_id").first()
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_simple_history", args=[obj.pk, row.history_id])


def _tracked_rows(request):
    names = ["draft_a", "target", "indicator", "contract_a", "party_a", "commitment_a"]
    names += ["disbursement_a", "milestone_a", "amendment_a"]
    return [request.getfixturevalue(name) for name in names]


def test_posting_to_the_history_revert_page_is_refused_even_to_an_administrator(
    request, client, admin_user, security_lines
):
    client.force_login(admin_user)
    rows = _tracked_rows(request)
    assert {type(r) for r in rows} == set(TRACKED)
    for obj in rows:
        url = history_form_url(obj)
        before = obj.history.count()
        page = client.get(url)
        assert page.status_code == 200, obj  # the old version, to read
        assert b'name="_save"' not in page.content and b"Revert" not in page.content
        response = client.post(url, {"_save": "1"})
        assert response.status_code == 403, obj
        assert obj.history.count() == before
    assert len(security_lines()) == len(rows)


def test_a_partner_never_reads_history_in_the_admin(client, partner_a, draft_a, draft_b):
    """A partner cannot be staff (the database refuses it, tests/artisanat/test_admin_staff.py);
    and were the flag set anyway, the admin site lets no partner in, history included."""
    from tests.artisanat.test_admin_staff import _drop_staff_rules

    _drop_staff_rules()
    type(partner_a).objects.filter(pk=partner_a.pk).update(is_staff=True)
    partner_a.user_permissions.add(Permission.objects.get(codename="view_measurement"))
    client.force_login(partner_a)

    for url in (
        reverse("admin:strategy_measurement_history", args=[draft_a.pk]),
        reverse("admin:strategy_measurement_history", args=[draft_b.pk]),
        history_form_url(draft_a),
        history_form_url(draft_b),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url


def test_ministry_staff_reads_every_history(client, viewer, draft_b):
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_measurement"))
    client.force_login(viewer)
    assert client.get(reverse("admin:strategy_measurement_history", args=[draft_b.pk])).status_code == 200


# ---------------------------------------------------------------- database triggers


def test_every_history_table_is_guarded(db):
    tables = set(history_tables())
    assert {m.history.model._meta.db_table for m in TRACKED} <= tables
    assert guarded_tables(connection) == tables


def _refused(action):
    with pytest.raises(IntegrityError, match="history_append_only"), transaction.atomic():
        action()


def test_history_rows_cannot_be_updated_or_deleted(target, editor, viewer):
    history = Target.history.filter(id=target.pk)
    row = history.get()
    _refused(lambda: history.update(history_change_reason="réécrit"))
    _refused(lambda: history.update(value=D("1")))
    _refused(lambda: history.update(history_user=viewer))  # reattributed to someone else
    _refused(lambda: history.delete())
    _refused(lambda: Target.history.all().delete())
    assert history.get().history_change_reason == row.history_change_reason
    assert history.get().history_user == editor


def test_many_to_many_snapshots_cannot_be_changed_either(indicator):
    [snapshots] = [
        m for m in apps.get_models() if is_historical(m) and m._meta.model_name.endswith("_reporting_organisations")
    ]
    assert snapshots._meta.db_table in history_tables()
    rows = snapshots.objects.all()
    assert rows.exists()
    _refused(lambda: rows.delete())
    _refused(lambda: rows.update(organisation=None))


def test_deleting_a_user_only_blanks_their_name_on_the_history(target, editor):
    services.save_target(target, by=editor, reason="Révision")
    rows = list(Target.history.filter(id=target.pk).order_by("history_id").values())
    assert {r["history_user_id"] for r in rows} == {editor.pk}

    editor.delete()

    after = list(Target.history.filter(id=target.pk).order_by("history_id").values())
    assert [r["history_user_id"] for r in after] == [None, None]
    assert [{k: v for k, v in r.items() if k != "history_user_id"} for r in after] == [
        {k: v for k, v in r.items() if k != "history_user_id"} for r in rows
    ]


def test_the_maintenance_window_lets_an_administrator_purge(target, editor):
    with history_maintenance(connection):
        Target.history.filter(id=target.pk).delete()
    assert not Target.history.filter(id=target.pk).exists()
    # and the guard is back at once
    services.save_target(target, by=editor, reason="Révision")
    _refused(lambda: Target.history.filter(id=target.pk).delete())


@pytest.mark.django_db(transaction=True)
def test_flush_empties_history_and_reinstalls_the_guards(make_indicator, org_a, editor):
    indicator = make_indicator(code="IND-FLUSH", name="x", reporters=[org_a])
    services.save_target(
        Target(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("10")),
        by=editor,
        reason="Saisie (test)",
    )
    assert Target.history.exists()

    call_command("flush", interactive=False, stdout=io.StringIO())

    assert not Target.history.exists() and not Indicator.history.exists()
    assert guarded_tables(connection) == set(history_tables())


def test_csrf_refusal_is_logged_and_changes_nothing(security_lines, editor, target):
    """A form posted without its CSRF token (a forged cross-site request) is a 403 and a
    permission_denied event marked csrf, like any other refusal."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    response = browser.post("/admin/strategy/target/add/", {"value": "1"}, REMOTE_ADDR="10.9.8.7")

    assert response.status_code == 403
    [entry] = security_lines()
    assert entry["csrf"] is True and entry["surface"] == "admin" and entry["user"] == "editor"
    assert entry["client"] == "10.9.8.7" and entry["method"] == "POST"
    assert Target.objects.count() == 1
