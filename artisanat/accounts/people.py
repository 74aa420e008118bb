"""Managing people (issue 14, item 6; docs/people.md): invite someone by email, change
their organisation and role, reset their second factor, deactivate and reactivate them.

Who may do what is decided in ``artisanat/permissions.py`` (``can_manage_people``,
``manageable_people``, ``may_act_on``, ``may_assign``); these functions check it again,
whatever surface calls them (pages, admin, shell). Each is atomic, asks for a reason,
and leaves a security-log event (who, whom, what, why) and a history row carrying the
author and the reason: the membership's (``Membership.history``) or the account's
(``User.history``: its ``is_active``, names and email; never the password hash).

An invitation creates the account without a usable password, with its membership, and
emails a link to choose one. The link is a token in the manner of Django's password
reset (``InvitationTokenGenerator``): it expires after ``ARTISANAT_INVITATION_DAYS``
days (settings ``INVITATION_DAYS``) and stops working once the password is set (the
token hashes the stored password)."""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from artisanat import permissions
from artisanat.accounts.services import end_sessions_and_tokens
from artisanat.models import Membership
from artisanat.security_log import security_event
from artisanat.services import lock, validate
from artisanat.system_account import SYSTEM_USERNAME

#: A reason has at least this many letters or digits (not only blanks or punctuation).
REASON_MIN_CHARACTERS = 5
REASON_MAX_LENGTH = 500
HISTORY_REASON_MAX_LENGTH = 100  # simple_history's column; longer reasons are shortened


def clean_reason(reason):
    """The reason with its blanks collapsed; refused (``ValidationError`` on ``reason``)
    when it holds fewer than ``REASON_MIN_CHARACTERS`` letters or digits."""
    text = " ".join((reason or "").split())
    if len(re.findall(r"\w", text)) < REASON_MIN_CHARACTERS:
        raise ValidationError(
            {
                "reason": _("Indiquez le motif en quelques mots (au moins %(n)d lettres ou chiffres).")
                % {"n": REASON_MIN_CHARACTERS}
            }
        )
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Le motif ne doit pas dépasser %(n)d caractères.") % {"n": REASON_MAX_LENGTH}}
        )
    return text


def _history_reason(reason):
    if len(reason) > HISTORY_REASON_MAX_LENGTH:
        return reason[: HISTORY_REASON_MAX_LENGTH - 1].rstrip() + "…"
    return reason


# -- who -------------------------------------------------------------------------------


def manageable_users(viewer):
    """The accounts ``viewer`` may manage, with their membership and organisation, and
    ``has_two_factor`` (a confirmed authenticator) annotated: no query per row. The
    system account (``systeme``) is nobody's to manage."""
    condition = permissions.manageable_people(viewer)
    users = get_user_model().objects.exclude(username=SYSTEM_USERNAME)
    if condition is None:
        return users.none()
    return (
        users.filter(condition)
        .select_related("membership__organisation")
        .annotate(has_two_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
    )


def _check_may_act_on(by, account):
    if not permissions.may_act_on(by, account):
        raise PermissionDenied(_("Vous ne pouvez pas modifier ce compte."))


def _event(event, *, by, account, reason, request, **details):
    security_event(
        event,
        request=request,
        user=by,
        target=account.get_username(),
        target_id=account.pk,
        reason=reason,
        **details,
    )


def _save_account(account, *, by, reason, fields):
    account._history_user = by
    account._change_reason = _history_reason(reason)
    account.save(update_fields=fields)


# -- the invitation link -----------------------------------------------------------------


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset token under its own salt (a password-reset link is not an
    invitation, nor the reverse), valid ``INVITATION_DAYS`` days instead of
    ``PASSWORD_RESET_TIMEOUT``. It hashes the stored password, so setting the password
    spends it."""

    key_salt = "artisanat.accounts.people.InvitationTokenGenerator"

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            timestamp_b36, _hash = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token):
                break
        else:
            return False
        return self._num_seconds(self._now()) - timestamp <= settings.INVITATION_DAYS * 24 * 3600


invitation_tokens = InvitationTokenGenerator()


def invitation_url(account, request=None):
    """The absolute address of the set-password page for ``account`` (a fresh token):
    ``ARTISANAT_SITE_URL`` when set, else the address the inviter's request came to."""
    path = reverse(
        "accounts:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(account.pk)),
            "token": invitation_tokens.make_token(account),
        },
    )
    if settings.SITE_URL or request is None:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)


def send_invitation(account, *, by, request=None):
    context = {
        "account": account,
        "inviter": by,
        "url": invitation_url(account, request),
        "days": settings.INVITATION_DAYS,
        "membership": getattr(account, "membership", None),
    }
    subject = " ".join(render_to_string("accounts/email/invitation_subject.txt", context).split())
    body = render_to_string("accounts/email/invitation.txt", context)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [account.email]).send()


# -- the changes -------------------------------------------------------------------------


@transaction.atomic
def invite_user(*, email, first_name, last_name, organisation, role, by, reason, is_focal_point=False, request=None):
    """Create the account (its username is the email, no usable password yet) and its
    membership, and email the set-password link. Refused (``PermissionDenied``) beyond
    what ``by`` may give; an email already in use is a ``ValidationError`` on ``email``."""
    reason = clean_reason(reason)
    if not permissions.can_manage_people(by) or not permissions.may_assign(
        by, organisation_id=organisation.pk, role=role, is_focal_point=is_focal_point
    ):
        raise PermissionDenied(_("Vous ne pouvez pas inviter une personne avec cette organisation et ce rôle."))
    email = get_user_model().objects.normalize_email((email or "").strip()).lower()
    users = get_user_model().objects
    if users.filter(username__iexact=email).exists() or users.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("Un compte existe déjà avec cette adresse.")})
    account = get_user_model()(username=email, email=email, first_name=first_name.strip(), last_name=last_name.strip())
    account.set_unusable_password()
    validate(account)
    account._history_user = by
    account._change_reason = _history_reason(reason)
    account.save()
    membership = Membership(user=account, organisation=organisation, role=role, is_focal_point=is_focal_point)
    validate(membership)
    membership._history_user = by
    membership._change_reason = _history_reason(reason)
    membership.save()
    _event(
        "person_invited",
        by=by,
        account=account,
        reason=reason,
        request=request,
        organisation=organisation.pk,
        role=str(role),
        focal_point=bool(is_focal_point),
    )
    send_invitation(account, by=by, request=request)
    return account


@transaction.atomic
def resend_invitation(account, *, by, reason, request=None):
    """A new link for someone who has not set a password yet (the old one still works
    until it expires)."""
    reason = clean_reason(reason)
    _check_may_act_on(by, account)
    if account.has_usable_password() or not account.is_active:
        raise ValidationError(_("Cette personne a déjà choisi son mot de passe, ou son compte est désactivé."))
    _event("invitation_resent", by=by, account=account, reason=reason, request=request)
    send_invitation(account, by=by, request=request)


@transaction.atomic
def accept_invitation(account, *, password, request=None):
    """The invited person chose a password (the link's token is spent with it)."""
    account.set_password(password)
    account._history_user = account
    account._change_reason = _history_reason(_("Mot de passe choisi depuis l'invitation"))
    account.save()
    security_event("invitation_accepted", request=request, user=account)
    return account


@transaction.atomic
def change_membership(account, *, organisation, role, is_focal_point, by, reason, request=None):
    """Set the organisation, role and focal-point flag of ``account`` (its membership is
    created if it had none). The API tokens end with a role change (accounts/signals.py)."""
    reason = clean_reason(reason)
    _check_may_act_on(by, account)
    membership = Membership.objects.filter(user=account).first()
    if membership is not None:
        membership = lock(Membership, membership.pk, related=("organisation",))
    if not permissions.may_assign(by, organisation_id=organisation.pk, role=role, is_focal_point=is_focal_point):
        raise PermissionDenied(_("Vous ne pouvez pas donner cette organisation ou ce rôle."))
    before = (
        {"organisation": membership.organisation_id, "role": membership.role, "focal_point": membership.is_focal_point}
        if membership
        else None
    )
    after = {"organisation": organisation.pk, "role": str(role), "focal_point": bool(is_focal_point)}
    if before == after:
        raise ValidationError(_("Rien n'a changé : l'organisation, le rôle et le point focal sont déjà ceux-ci."))
    if membership is None:
        membership = Membership(user=account)
    membership.organisation, membership.role, membership.is_focal_point = organisation, role, bool(is_focal_point)
    membership.user = account
    validate(membership)
    membership._history_user = by
    membership._change_reason = _history_reason(reason)
    membership.save()
    _event("membership_changed", by=by, account=account, reason=reason, request=request, before=before, after=after)
    return membership


@transaction.atomic
def reset_two_factor(account, *, by, reason, request=None):
    """Remove every authenticator and recovery code of ``account`` and end their sessions
    and API tokens: at the next sign-in they set two factors up again if their role
    requires it (administrators, validators), or may. The account's history gets a row
    with the author and the reason (nothing of the account itself changes)."""
    reason = clean_reason(reason)
    _check_may_act_on(by, account)
    totp, _kinds = TOTPDevice.objects.filter(user=account).delete()
    static, _kinds = StaticDevice.objects.filter(user=account).delete()  # with their codes
    get_user_model().history.bulk_history_create(
        [account], update=True, default_user=by, default_change_reason=_history_reason(reason)
    )
    _event("two_factor_reset", by=by, account=account, reason=reason, request=request, rows_deleted=totp + static)
    end_sessions_and_tokens(account, reason="two_factor_reset", request=request)


@transaction.atomic
def deactivate_user(account, *, by, reason, request=None):
    """The account can no longer sign in; its sessions and API tokens end (the account
    signals, accounts/signals.py, on any deactivation). Nobody deactivates themselves."""
    reason = clean_reason(reason)
    _check_may_act_on(by, account)
    account = lock(get_user_model(), account.pk, related=("membership",))
    if not account.is_active:
        raise ValidationError(_("Ce compte est déjà désactivé."))
    account.is_active = False
    _save_account(account, by=by, reason=reason, fields=["is_active"])
    _event("user_deactivated", by=by, account=account, reason=reason, request=request)
    return account


@transaction.atomic
def reactivate_user(account, *, by, reason, request=None):
    reason = clean_reason(reason)
    _check_may_act_on(by, account)
    account = lock(get_user_model(), account.pk, related=("membership",))
    if account.is_active:
        raise ValidationError(_("Ce compte est déjà actif."))
    account.is_active = True
    _save_account(account, by=by, reason=reason, fields=["is_active"])
    _event("user_reactivated", by=by, account=account, reason=reason, request=request)
    return account
