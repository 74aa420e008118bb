"""Only ministry roles can be staff (issue 12, item 10): the admin lists every
organisation's rows, so a partner account must never enter it. The database refuses
``is_staff`` to a partner (artisanat/db_rules.py), the models and the user admin say why,
and the admin site refuses any non-ministry account whatever its flags
(artisanat/admin_site.py)."""

import html

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from artisanat import triggers
from artisanat.choices import Role
from artisanat.db_rules import RULES, STAFF_MESSAGE
from artisanat.models import Membership
from tests.artisanat.test_auth_security import _form_values

pytestmark = pytest.mark.django_db


def _drop_staff_rules():
    """As if the rules had been bypassed (the test's transaction puts them back)."""
    with connection.cursor() as cursor:
        for rule in RULES:
            if connection.vendor == "sqlite":
                for event in ("insert", "update"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {rule.name}_{event}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {rule.name} ON {rule.table}")


def test_the_rules_are_registered_and_installed():
    assert {r.name for r in RULES} <= triggers.installed_rules(connection)
    assert str(triggers.rule_messages()["staff_user_is_ministry"]) == str(STAFF_MESSAGE)


def test_the_database_refuses_staff_status_to_a_partner(partner_a):
    partner_a.is_staff = True
    with pytest.raises(IntegrityError, match="staff_user_is_ministry"), transaction.atomic():
        partner_a.save()
    with pytest.raises(IntegrityError, match="staff_user_is_ministry"), transaction.atomic():
        type(partner_a).objects.filter(pk=partner_a.pk).update(is_staff=True)


def test_a_staff_accounts_membership_keeps_a_ministry_role(editor):
    editor.is_staff = True
    editor.save()  # a ministry editor may be staff
    membership = editor.membership
    membership.role = Role.REPORTER
    with pytest.raises(ValidationError) as refused:
        membership.full_clean()
    assert refused.value.message_dict["role"] == [str(STAFF_MESSAGE)]
    with pytest.raises(IntegrityError, match="staff_membership_is_ministry"), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(role=Role.REPORTER)
    editor.is_staff = False
    editor.save()
    membership.full_clean()  # no longer staff: any role
    membership.save()


def test_the_admin_refuses_a_partner_with_staff_status_even_past_the_database(client, partner_a, draft_a, draft_b):
    _drop_staff_rules()
    type(partner_a).objects.filter(pk=partner_a.pk).update(is_staff=True)
    partner_a.user_permissions.add(*Permission.objects.filter(codename__in=["view_measurement", "change_measurement"]))
    client.force_login(partner_a)
    for url in (
        reverse("admin:index"),
        reverse("admin:strategy_measurement_changelist"),
        reverse("admin:strategy_measurement_change", args=[draft_b.pk]),
        reverse("admin:strategy_measurement_history", args=[draft_a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url
    changelist = client.get(reverse("admin:strategy_measurement_changelist"), follow=True)
    assert str(draft_b.pk) not in [str(pk) for pk in getattr(changelist.context.get("cl"), "result_list", [])]


def test_a_ministry_editor_with_staff_status_uses_the_admin(client, editor, draft_a, draft_b):
    editor.is_staff = True
    editor.save()
    editor.user_permissions.add(Permission.objects.get(codename="view_measurement"))
    client.force_login(editor)
    response = client.get(reverse("admin:strategy_measurement_changelist"))
    assert response.status_code == 200
    assert {m.pk for m in response.context["cl"].result_list} >= {draft_a.pk, draft_b.pk}
    assert client.get(reverse("admin:strategy_measurement_change", args=[draft_b.pk])).status_code == 200


def _user_form(client, user, **changes):
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = {**_form_values(client.get(url).content.decode()), "change_reason": "Mise à jour du compte", **changes}
    return url, data


def test_the_user_admin_gives_staff_status_only_with_a_ministry_role(client, admin_user, partner_a, ministry):
    client.force_login(admin_user)
    url, data = _user_form(client, partner_a, is_staff="on")
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert str(STAFF_MESSAGE) in html.unescape(refused.content.decode())
    partner_a.refresh_from_db()
    assert not partner_a.is_staff

    # The same page, the role changed to a ministry one at the same time: accepted.
    data.update({"membership-0-role": Role.EDITOR, "membership-0-organisation": str(ministry.pk)})
    accepted = client.post(url, data)
    assert accepted.status_code == 302, accepted.context and accepted.context["errors"]
    partner_a.refresh_from_db()
    assert partner_a.is_staff and partner_a.membership.role == Role.EDITOR


def test_an_existing_staff_editor_is_saved_again_from_the_user_admin(client, admin_user, editor):
    editor.is_staff = True
    editor.save()
    client.force_login(admin_user)
    url, data = _user_form(client, editor, first_name="Salma")
    assert client.post(url, data).status_code == 302
    editor.refresh_from_db()
    assert editor.is_staff and editor.first_name == "Salma"
