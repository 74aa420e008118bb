"""Managing people (issue 14, item 6): invitations by email with an expiring
set-password link, organisation and role changes, two-factor reset, deactivation and
reactivation; who may do each (administrators everyone, a partner focal point its own
organisation's reporters, nobody above their own rights, nobody on themselves); and the
security-log event and history row (author and reason) each change leaves."""

import datetime as dt
import json
import logging
import re

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from artisanat import permissions
from artisanat.accounts import people, services
from artisanat.choices import Role
from artisanat.models import Membership
from tests.conftest import PASSWORD, VerifiedClient, add_totp_device

User = get_user_model()
PEOPLE = "/compte/personnes/"
INVITE = "/compte/personnes/inviter/"
NEW_PASSWORD = "une-phrase-de-passe-toute-neuve"
REASON = "Arrivée au service statistique"


def person_url(user, action=""):
    return f"{PEOPLE}{user.pk}/{action}"


class EventList(logging.Handler):
    def __init__(self):
        super().__init__()
        self.events = []

    def emit(self, record):
        self.events.append(json.loads(record.getMessage()))

    def named(self, name):
        return [event for event in self.events if event["event"] == name]


@pytest.fixture
def security_log():
    handler = EventList()
    logger = logging.getLogger("artisanat.security")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _member(username, organisation, role, *, focal_point=False):
    user = User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.ma")
    Membership.objects.create(user=user, organisation=organisation, role=role, is_focal_point=focal_point)
    return user


@pytest.fixture
def focal_a(org_a):
    """Organisation A's focal point (a reporter flagged focal point)."""
    return _member("focal_a", org_a, Role.REPORTER, focal_point=True)


@pytest.fixture
def reporter_a(org_a):
    """Another reporter of organisation A: someone its focal point manages."""
    return _member("reporter_a", org_a, Role.REPORTER)


@pytest.fixture
def signed_in():
    def make(user):
        client = VerifiedClient()
        client.force_login(user)
        return client

    return make


def invite_data(organisation, **extra):
    return {
        "email": "Nadia.Alami@Example.MA",
        "first_name": "Nadia",
        "last_name": "Alami",
        "organisation": organisation.pk,
        "role": Role.REPORTER,
        "reason": REASON,
        **extra,
    }


def emailed_link():
    assert len(mail.outbox) == 1
    match = re.search(r"https?://\S+/compte/invitation/\S+/", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(0)


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def set_password(client, link, password=NEW_PASSWORD):
    response = client.get(path_of(link))
    assert response.status_code == 302  # the token moves to the session, out of the address
    form_url = response["Location"]
    assert client.get(form_url).status_code == 200
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def history(model, **lookup):
    return list(model.history.filter(**lookup).order_by("history_id"))


# ---------------------------------------------------------------- invitation


def test_invitation_email_link_sets_the_password_and_the_person_signs_in(
    signed_in, admin_user, org_a, security_log, settings
):
    settings.SITE_URL = "https://portail.example.ma"
    response = signed_in(admin_user).post(INVITE, invite_data(org_a))
    assert response.status_code == 302
    account = User.objects.get(email="nadia.alami@example.ma")
    assert response["Location"] == person_url(account)
    assert account.username == "nadia.alami@example.ma"
    assert not account.has_usable_password()
    assert (account.membership.organisation, account.membership.role) == (org_a, Role.REPORTER)

    message = mail.outbox[0]
    assert message.to == ["nadia.alami@example.ma"]
    assert "7 jours" in message.body
    link = emailed_link()
    assert link.startswith("https://portail.example.ma/compte/invitation/")

    anonymous = Client()
    response = set_password(anonymous, link)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert Client().login(username="nadia.alami@example.ma", password=NEW_PASSWORD)

    # Security log: who invited whom, with what, and why; then the acceptance.
    [event] = security_log.named("person_invited")
    assert (event["user"], event["target"], event["target_id"]) == ("admin", account.username, account.pk)
    assert (event["organisation"], event["role"], event["reason"]) == (org_a.pk, "reporter", REASON)
    assert security_log.named("invitation_accepted")[0]["user"] == account.username
    # History: the account and its membership created by the administrator, with the reason.
    created = history(User, id=account.pk)
    assert [(r.history_type, r.history_user, r.history_change_reason) for r in created[:1]] == [
        ("+", admin_user, REASON)
    ]
    assert created[-1].history_user == account  # the password chosen, by the person
    [membership_row] = history(Membership, user_id=account.pk)
    assert (membership_row.history_type, membership_row.history_user, membership_row.history_change_reason) == (
        "+",
        admin_user,
        REASON,
    )


def test_a_used_invitation_link_is_refused_with_a_clear_page(signed_in, admin_user, org_a, security_log):
    signed_in(admin_user).post(INVITE, invite_data(org_a))
    link = emailed_link()
    set_password(Client(), link)
    response = Client().get(path_of(link), follow=True)
    assert response.status_code == 200
    assert "n'est plus valable" in response.content.decode()
    assert security_log.named("invitation_link_refused")


def test_an_expired_invitation_link_is_refused(signed_in, admin_user, org_a, settings, monkeypatch):
    settings.INVITATION_DAYS = 7
    signed_in(admin_user).post(INVITE, invite_data(org_a))
    link = emailed_link()
    made = dt.datetime.now()

    def later(delta):  # the token generator's clock (naive local time, as Django's)
        monkeypatch.setattr(people.InvitationTokenGenerator, "_now", lambda self: made + delta)

    later(dt.timedelta(days=6, hours=23))
    assert Client().get(path_of(link)).status_code == 302  # still valid
    later(dt.timedelta(days=7, hours=1))
    response = Client().get(path_of(link))
    assert response.status_code == 200
    assert "n'est plus valable" in response.content.decode()
    assert "new_password1" not in response.content.decode()
    # A link opened in time, its form posted too late, is refused as well.
    later(dt.timedelta(days=6, hours=23))
    client = Client()
    form_url = client.get(path_of(link))["Location"]
    later(dt.timedelta(days=7, hours=1))
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 200 and "n'est plus valable" in response.content.decode()
    assert not User.objects.get(email="nadia.alami@example.ma").has_usable_password()


def test_an_altered_link_or_a_deactivated_account_gets_the_page_not_an_error(signed_in, admin_user, org_a):
    signed_in(admin_user).post(INVITE, invite_data(org_a))
    link = path_of(emailed_link())
    for bad in (link[:-3] + "zz/", "/compte/invitation/!!/abc-def/", "/compte/invitation/MTIzNDU2/1-2/"):
        response = Client().get(bad)
        assert response.status_code == 200 and "n'est plus valable" in response.content.decode(), bad
    User.objects.filter(email="nadia.alami@example.ma").update(is_active=False)
    assert "n'est plus valable" in Client().get(link).content.decode()


def test_a_password_reset_token_is_not_an_invitation(signed_in, admin_user, org_a):
    from django.contrib.auth.tokens import default_token_generator

    signed_in(admin_user).post(INVITE, invite_data(org_a))
    account = User.objects.get(email="nadia.alami@example.ma")
    assert not people.invitation_tokens.check_token(account, default_token_generator.make_token(account))


def test_an_email_already_in_use_is_refused_on_its_field(signed_in, admin_user, org_a, partner_a):
    partner_a.email = "nadia.alami@example.ma"
    partner_a.save()
    response = signed_in(admin_user).post(INVITE, invite_data(org_a))
    assert response.status_code == 200
    assert "existe déjà" in str(response.context["form"].errors["email"])
    assert not mail.outbox


def test_the_mail_server_failing_creates_nothing(signed_in, admin_user, org_a, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    response = signed_in(admin_user).post(INVITE, invite_data(org_a))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not User.objects.filter(email="nadia.alami@example.ma").exists()


def test_an_administrator_invites_an_administrator_who_must_set_up_two_factor(signed_in, admin_user, ministry):
    signed_in(admin_user).post(INVITE, invite_data(ministry, role=Role.ADMINISTRATOR, email="chef@example.ma"))
    client = Client()
    set_password(client, emailed_link())
    assert client.login(username="chef@example.ma", password=NEW_PASSWORD)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_setup"))


def test_the_focal_point_invites_a_reporter_of_its_own_organisation(signed_in, focal_a, org_a):
    client = signed_in(focal_a)
    form = client.get(INVITE).context["form"]
    assert list(form.fields["organisation"].queryset) == [org_a]
    assert [value for value, _label in form.fields["role"].choices] == [Role.REPORTER]
    assert client.post(INVITE, invite_data(org_a, is_focal_point="on")).status_code == 302
    membership = User.objects.get(email="nadia.alami@example.ma").membership
    assert (membership.organisation, membership.role, membership.is_focal_point) == (org_a, Role.REPORTER, True)


@pytest.mark.parametrize(
    "changes",
    [{"role": Role.ADMINISTRATOR}, {"role": Role.EDITOR}, {"role": Role.VIEWER}, {"organisation": "org_b"}],
    ids=["administrator", "editor", "viewer", "other-organisation"],
)
def test_the_focal_point_cannot_invite_beyond_its_rights(signed_in, focal_a, org_a, request, changes):
    data = {
        **invite_data(org_a),
        **{k: (request.getfixturevalue(v).pk if v == "org_b" else v) for k, v in changes.items()},
    }
    response = signed_in(focal_a).post(INVITE, data)
    assert response.status_code == 200 and response.context["form"].errors
    assert not User.objects.filter(email="nadia.alami@example.ma").exists()


def test_the_services_refuse_what_the_forms_do_not_offer(focal_a, org_a, org_b, ministry):
    """Whatever the surface, the service checks the rights again."""
    for organisation, role, focal in ((org_a, Role.ADMINISTRATOR, False), (org_b, Role.REPORTER, True)):
        with pytest.raises(PermissionDenied):
            people.invite_user(
                email="x@example.ma",
                first_name="X",
                last_name="Y",
                organisation=organisation,
                role=role,
                is_focal_point=focal,
                by=focal_a,
                reason=REASON,
            )
    assert not User.objects.filter(email="x@example.ma").exists()


# ---------------------------------------------------------------- who may do what


@pytest.mark.parametrize("actor", ["editor", "validator", "viewer", "partner_a"])
def test_other_roles_are_refused_every_people_page(signed_in, request, actor, partner_b, org_a):
    client = signed_in(request.getfixturevalue(actor))
    for url in (PEOPLE, f"{PEOPLE}?format=csv", INVITE, person_url(partner_b)):
        assert client.get(url).status_code == 403, url
    assert client.post(INVITE, invite_data(org_a)).status_code == 403
    for action in ("appartenance/", "double-authentification/", "desactiver/", "reactiver/", "invitation/"):
        assert client.post(person_url(partner_b, action), {"reason": REASON}).status_code == 403, action
    assert partner_b.is_active and not mail.outbox


def test_anonymous_visitors_go_to_the_login_page(client, partner_b):
    for url in (PEOPLE, INVITE, person_url(partner_b)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/connexion/"), url
    response = client.post(person_url(partner_b, "desactiver/"), {"reason": REASON})
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


def test_the_administrator_lists_everyone_the_focal_point_its_reporters(
    signed_in, admin_user, focal_a, reporter_a, partner_a, partner_b, editor
):
    everyone = {u.pk for u in signed_in(admin_user).get(PEOPLE).context["object_list"]}
    assert {admin_user.pk, focal_a.pk, reporter_a.pk, partner_a.pk, partner_b.pk, editor.pk} <= everyone
    own = {u.pk for u in signed_in(focal_a).get(PEOPLE).context["object_list"]}
    assert own == {focal_a.pk, reporter_a.pk, partner_a.pk}


def test_the_list_filters_and_exports(signed_in, admin_user, focal_a, reporter_a, partner_b, org_a):
    client = signed_in(admin_user)
    rows = client.get(PEOPLE, {"organisation": org_a.pk, "is_focal_point": "true"}).context["object_list"]
    assert [u.pk for u in rows] == [focal_a.pk]
    response = client.get(PEOPLE, {"q": "reporter_a"})
    assert [u.pk for u in response.context["object_list"]] == [reporter_a.pk]
    assert "1 ligne" in response.content.decode()
    csv = client.get(PEOPLE, {"format": "csv", "organisation": org_a.pk}).content.decode()
    assert "focal_a" in csv and "partner_b" not in csv


def test_the_focal_point_never_sees_another_organisation_s_people(signed_in, focal_a, partner_b, editor, admin_user):
    client = signed_in(focal_a)
    for other in (partner_b, editor, admin_user):
        assert client.get(person_url(other)).status_code == 404
        for action in ("appartenance/", "double-authentification/", "desactiver/", "reactiver/", "invitation/"):
            assert client.post(person_url(other, action), {"reason": REASON}).status_code == 404, action
    assert User.objects.filter(pk__in=[partner_b.pk, editor.pk], is_active=True).count() == 2


def test_the_menu_link_is_shown_to_those_who_manage_people(signed_in, admin_user, focal_a, partner_a, editor):
    for user, shown in ((admin_user, True), (focal_a, True), (partner_a, False), (editor, False)):
        assert (PEOPLE in signed_in(user).get("/").content.decode()) is shown, user


def test_predicates_follow_the_rules(admin_user, focal_a, reporter_a, partner_a, partner_b, editor, org_a, org_b):
    assert permissions.can_manage_people(admin_user) and permissions.can_manage_people(focal_a)
    assert not any(permissions.can_manage_people(u) for u in (partner_a, editor))
    assert permissions.may_act_on(focal_a, reporter_a)
    assert not permissions.may_act_on(focal_a, focal_a)  # not on oneself
    assert not permissions.may_act_on(focal_a, partner_b) and not permissions.may_act_on(focal_a, editor)
    assert permissions.assignable_roles(focal_a) == [Role.REPORTER]
    assert not permissions.may_assign(focal_a, organisation_id=org_b.pk, role=Role.REPORTER, is_focal_point=False)
    assert not permissions.may_assign(focal_a, organisation_id=org_a.pk, role=Role.VIEWER, is_focal_point=False)
    assert permissions.may_assign(focal_a, organisation_id=org_a.pk, role=Role.REPORTER, is_focal_point=True)
    assert permissions.may_assign(admin_user, organisation_id=org_b.pk, role=Role.ADMINISTRATOR, is_focal_point=True)
    # The querysets say the same.
    assert set(Membership.objects.manageable_by(focal_a).values_list("user_id", flat=True)) == {
        focal_a.pk,
        reporter_a.pk,
        partner_a.pk,
    }
    assert not Membership.objects.manageable_by(editor).exists()
    # A deactivated focal point manages nobody.
    focal_a.is_active = False
    assert not permissions.can_manage_people(focal_a)


# ---------------------------------------------------------------- change of membership


def test_the_administrator_changes_the_organisation_and_role(signed_in, admin_user, partner_a, ministry, security_log):
    response = signed_in(admin_user).post(
        person_url(partner_a, "appartenance/"),
        {"organisation": ministry.pk, "role": Role.EDITOR, "is_focal_point": "on", "reason": "Mutation au ministère"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=partner_a)
    assert (membership.organisation, membership.role, membership.is_focal_point) == (ministry, Role.EDITOR, True)
    last = history(Membership, id=membership.pk)[-1]
    assert (last.history_type, last.history_user, last.history_change_reason) == (
        "~",
        admin_user,
        "Mutation au ministère",
    )
    [event] = security_log.named("membership_changed")
    assert event["target"] == "partner_a" and event["reason"] == "Mutation au ministère"
    assert event["after"] == {"organisation": ministry.pk, "role": "editor", "focal_point": True}
    # The person's page shows it in its history.
    assert "Mutation au ministère" in signed_in(admin_user).get(person_url(partner_a)).content.decode()


def test_a_role_change_ends_the_person_s_api_tokens(signed_in, admin_user, partner_a, org_a):
    services.issue_token(partner_a)
    signed_in(admin_user).post(
        person_url(partner_a, "appartenance/"), {"organisation": org_a.pk, "role": Role.VIEWER, "reason": REASON}
    )
    assert not AuthToken.objects.filter(user=partner_a).exists()


def test_the_focal_point_changes_its_reporter_but_never_raises_it(signed_in, focal_a, reporter_a, org_a, org_b):
    client = signed_in(focal_a)
    url = person_url(reporter_a, "appartenance/")
    for data in (
        {"organisation": org_a.pk, "role": Role.ADMINISTRATOR, "reason": REASON},
        {"organisation": org_a.pk, "role": Role.VALIDATOR, "reason": REASON},
        {"organisation": org_b.pk, "role": Role.REPORTER, "reason": REASON},
    ):
        assert client.post(url, data).status_code == 400, data
    assert Membership.objects.filter(user=reporter_a, organisation=org_a, role=Role.REPORTER).exists()
    with pytest.raises(PermissionDenied):
        people.change_membership(
            reporter_a, organisation=org_a, role=Role.EDITOR, is_focal_point=False, by=focal_a, reason=REASON
        )
    # It may make its reporter a focal point like itself (no more than its own rights).
    assert client.post(url, {"organisation": org_a.pk, "role": Role.REPORTER, "is_focal_point": "on", "reason": REASON})
    assert Membership.objects.get(user=reporter_a).is_focal_point
    client.post(url, {"organisation": org_a.pk, "role": Role.REPORTER, "reason": REASON})
    assert not Membership.objects.get(user=reporter_a).is_focal_point
    # Nothing changed is said so, and writes nothing.
    response = client.post(url, {"organisation": org_a.pk, "role": Role.REPORTER, "reason": REASON})
    assert response.status_code == 400
    assert "Rien n'a changé" in " ".join(response.context["membership_form"].non_field_errors())


def test_nobody_but_an_administrator_makes_an_administrator(editor, partner_a, ministry):
    with pytest.raises(PermissionDenied):
        people.change_membership(
            partner_a, organisation=ministry, role=Role.ADMINISTRATOR, is_focal_point=False, by=editor, reason=REASON
        )


def test_a_staff_account_keeps_a_ministry_role(signed_in, admin_user, editor, org_a):
    editor.is_staff = True
    editor.save()
    response = signed_in(admin_user).post(
        person_url(editor, "appartenance/"), {"organisation": org_a.pk, "role": Role.REPORTER, "reason": REASON}
    )
    assert response.status_code == 400
    assert Membership.objects.get(user=editor).role == Role.EDITOR


# ---------------------------------------------------------------- two-factor reset


def test_reset_two_factor_removes_devices_and_codes(signed_in, admin_user, validator, security_log):
    services.generate_recovery_codes(validator, request=None)
    services.issue_token(validator)
    assert StaticToken.objects.filter(device__user=validator).exists()
    response = signed_in(admin_user).post(
        person_url(validator, "double-authentification/"), {"reset-reason": "Téléphone perdu"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=validator).exists()
    assert not StaticDevice.objects.filter(user=validator).exists()
    assert not StaticToken.objects.filter(device__user=validator).exists()
    assert not AuthToken.objects.filter(user=validator).exists()
    last = history(User, id=validator.pk)[-1]
    assert (last.history_type, last.history_user, last.history_change_reason) == ("~", admin_user, "Téléphone perdu")
    [event] = security_log.named("two_factor_reset")
    assert (event["user"], event["target"], event["reason"]) == ("admin", "validator", "Téléphone perdu")
    # At the next sign-in, a validator must set two factors up again.
    client = Client()
    assert client.login(username="validator", password=PASSWORD)
    assert client.get("/")["Location"].startswith(reverse("accounts:otp_setup"))


def test_the_focal_point_resets_its_reporter_s_two_factor(signed_in, focal_a, reporter_a):
    add_totp_device(reporter_a)
    assert signed_in(focal_a).post(person_url(reporter_a, "double-authentification/"), {"reset-reason": REASON})
    assert not TOTPDevice.objects.filter(user=reporter_a).exists()


# ---------------------------------------------------------------- deactivation


def test_deactivation_revokes_tokens_and_sessions_and_is_in_the_history(signed_in, admin_user, partner_a, security_log):
    services.issue_token(partner_a)
    session_client = Client()
    session_client.force_login(partner_a)
    response = signed_in(admin_user).post(
        person_url(partner_a, "desactiver/"), {"active-reason": "Départ à la retraite"}
    )
    assert response.status_code == 302
    partner_a.refresh_from_db()
    assert not partner_a.is_active
    assert not AuthToken.objects.filter(user=partner_a).exists()
    assert not any(s.get_decoded().get(SESSION_KEY) == str(partner_a.pk) for s in Session.objects.all())
    assert session_client.get("/").status_code == 302  # signed out
    rows = history(User, id=partner_a.pk)
    last = rows[-1]
    assert (last.history_type, last.history_user, last.history_change_reason) == (
        "~",
        admin_user,
        "Départ à la retraite",
    )
    assert last.diff_against(rows[-2]).changed_fields == ["is_active"]
    [event] = security_log.named("user_deactivated")
    assert (event["target"], event["reason"]) == ("partner_a", "Départ à la retraite")
    assert security_log.named("token_revoked") and security_log.named("sessions_ended")

    response = signed_in(admin_user).post(person_url(partner_a, "reactiver/"), {"active-reason": "Retour de congé"})
    assert response.status_code == 302
    partner_a.refresh_from_db()
    assert partner_a.is_active
    last = history(User, id=partner_a.pk)[-1]
    assert (last.history_user, last.history_change_reason, last.is_active) == (admin_user, "Retour de congé", True)
    assert security_log.named("user_reactivated")[0]["reason"] == "Retour de congé"


def test_nobody_deactivates_themselves(signed_in, admin_user, focal_a):
    for user in (admin_user, focal_a):
        client = signed_in(user)
        page = client.get(person_url(user))
        assert page.status_code == 200 and "desactiver" not in page.content.decode()
        assert client.post(person_url(user, "desactiver/"), {"active-reason": REASON}).status_code == 403
        user.refresh_from_db()
        assert user.is_active
    with pytest.raises(PermissionDenied):
        people.deactivate_user(admin_user, by=admin_user, reason=REASON)


def test_the_focal_point_deactivates_its_reporter(signed_in, focal_a, reporter_a):
    assert signed_in(focal_a).post(person_url(reporter_a, "desactiver/"), {"active-reason": REASON}).status_code == 302
    reporter_a.refresh_from_db()
    assert not reporter_a.is_active
    # Still its reporter: it can reactivate them.
    assert signed_in(focal_a).post(person_url(reporter_a, "reactiver/"), {"active-reason": REASON}).status_code == 302


@pytest.mark.parametrize("reason", ["", "    ", "...", "ok", "a b c"])
def test_a_reason_with_real_words_is_required(signed_in, admin_user, partner_a, reason):
    client = signed_in(admin_user)
    response = client.post(person_url(partner_a, "desactiver/"), {"active-reason": reason})
    assert response.status_code == 400
    assert response.context["active_form"].errors["reason"]
    partner_a.refresh_from_db()
    assert partner_a.is_active
    with pytest.raises(ValidationError):
        people.deactivate_user(partner_a, by=admin_user, reason=reason)


def test_resending_an_invitation(signed_in, admin_user, org_a, security_log):
    client = signed_in(admin_user)
    client.post(INVITE, invite_data(org_a))
    account = User.objects.get(email="nadia.alami@example.ma")
    mail.outbox.clear()
    assert client.post(person_url(account, "invitation/"), {"resend-reason": "Courriel égaré"}).status_code == 302
    set_password(Client(), emailed_link())
    assert security_log.named("invitation_resent")[0]["reason"] == "Courriel égaré"
    # Once the password is chosen, there is nothing to resend.
    response = client.post(person_url(account, "invitation/"), {"resend-reason": "Courriel égaré"})
    assert response.status_code == 400


# ---------------------------------------------------------------- the audit trail of each action


def test_every_action_leaves_a_history_row_with_author_and_reason(admin_user, partner_a, ministry, org_a):
    """The services, whatever surface calls them: each change is in a history row naming
    its author and its reason (the account's or the membership's)."""
    account = people.invite_user(
        email="new@example.ma",
        first_name="N",
        last_name="W",
        organisation=org_a,
        role=Role.REPORTER,
        by=admin_user,
        reason="Invitation motivée",
    )
    steps = [
        (lambda: None, User, account.pk, "+", "Invitation motivée"),
        (
            lambda: people.change_membership(
                partner_a,
                organisation=ministry,
                role=Role.VIEWER,
                is_focal_point=False,
                by=admin_user,
                reason="Rôle changé pour lecture",
            ),
            Membership,
            partner_a.membership.pk,
            "~",
            "Rôle changé pour lecture",
        ),
        (
            lambda: people.reset_two_factor(partner_a, by=admin_user, reason="Deuxième facteur perdu"),
            User,
            partner_a.pk,
            "~",
            "Deuxième facteur perdu",
        ),
        (
            lambda: people.deactivate_user(partner_a, by=admin_user, reason="Fin de mission"),
            User,
            partner_a.pk,
            "~",
            "Fin de mission",
        ),
        (
            lambda: people.reactivate_user(partner_a, by=admin_user, reason="Nouvelle mission"),
            User,
            partner_a.pk,
            "~",
            "Nouvelle mission",
        ),
    ]
    for act, model, pk, kind, reason in steps:
        act()
        last = model.history.filter(id=pk).order_by("-history_id").first()
        assert (last.history_type, last.history_user, last.history_change_reason) == (kind, admin_user, reason)


def test_a_long_reason_is_whole_in_the_log_and_shortened_in_the_history(admin_user, partner_a, security_log):
    reason = "Motif détaillé " * 20
    people.deactivate_user(partner_a, by=admin_user, reason=reason)
    assert security_log.named("user_deactivated")[0]["reason"] == reason.strip()
    kept = User.history.filter(id=partner_a.pk).order_by("-history_id").first().history_change_reason
    assert len(kept) == 100 and kept.endswith("…")


def test_a_sign_in_writes_no_account_history_and_the_password_is_never_in_it(partner_a):
    before = User.history.filter(id=partner_a.pk).count()
    assert Client().login(username="partner_a", password=PASSWORD)
    assert User.history.filter(id=partner_a.pk).count() == before
    assert "password" not in {f.name for f in User.history.model._meta.fields}


def test_an_account_without_membership_gets_one_from_its_page(signed_in, admin_user, org_a):
    loose = User.objects.create_user(username="sans_role", password=PASSWORD)
    client = signed_in(admin_user)
    assert client.get(person_url(loose)).status_code == 200
    response = client.post(
        person_url(loose, "appartenance/"), {"organisation": org_a.pk, "role": Role.REPORTER, "reason": REASON}
    )
    assert response.status_code == 302
    [row] = history(Membership, user_id=loose.pk)
    assert (row.history_type, row.history_user, row.history_change_reason) == ("+", admin_user, REASON)


def test_the_system_account_is_nobody_s_to_manage(signed_in, admin_user):
    from artisanat.system_account import system_account

    account = system_account()
    assert signed_in(admin_user).get(person_url(account)).status_code == 404
