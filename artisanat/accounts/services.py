"""State changes of sign-in security, each atomic and recorded in the security log."""

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from artisanat.choices import Role
from artisanat.permissions import role_of
from artisanat.security_log import security_event

TOTP_NAME = "default"
RECOVERY_NAME = "recovery"


def two_factor_required(user):
    """Administrators (superusers included) and validators must use two factors."""
    return role_of(user) in {Role.ADMINISTRATOR, Role.VALIDATOR}


def has_two_factor(user):
    """The user has a confirmed TOTP device (recovery codes alone do not count)."""
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_verify(user):
    """A second factor is asked of this user at sign-in: privileged, or enrolled."""
    return two_factor_required(user) or user_has_device(user)


@transaction.atomic
def end_sessions_and_tokens(user, *, reason, request=None, keep_session_key=None):
    """End every session of ``user`` (but ``keep_session_key``) and delete their API
    tokens. Sessions are found by decoding the unexpired ones: rare (password change,
    deactivation) and bounded by the number of signed-in users."""
    ended = 0
    sessions = Session.objects.filter(expire_date__gt=timezone.now())
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    for session in sessions.iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    tokens, _ = AuthToken.objects.filter(user=user).delete()
    security_event("sessions_ended", request=request, user=user, reason=reason, sessions=ended)
    if tokens:
        security_event("token_revoked", request=request, user=user, reason=reason)
    return ended, tokens


def revoke_all_tokens(user, *, reason, request=None):
    """Delete every API token of ``user`` (a role change: the next token is asked for
    with the second factor the new role may require)."""
    tokens, _ = AuthToken.objects.filter(user=user).delete()
    if tokens:
        security_event("token_revoked", request=request, user=user, reason=reason)
    return tokens


#: Live API tokens a user may hold at once; issuing one more deletes the oldest.
MAX_TOKENS_PER_USER = 10


@transaction.atomic
def issue_token(user):
    """A new API token for ``user``: ``(AuthToken, key)``. The key is handed out once;
    only its digest (django-rest-knox, SHA-512) is stored. It expires after
    ``ARTISANAT_API_TOKEN_TTL_DAYS`` days (settings.REST_KNOX["TOKEN_TTL"]): to renew,
    ask for a new one. Expired tokens are deleted, and the oldest beyond
    ``MAX_TOKENS_PER_USER`` live ones."""
    tokens = AuthToken.objects.filter(user=user)
    tokens.filter(expiry__lte=timezone.now()).delete()
    surplus = list(tokens.order_by("-created").values_list("digest", flat=True)[MAX_TOKENS_PER_USER - 1 :])
    if surplus:
        AuthToken.objects.filter(digest__in=surplus).delete()
    return AuthToken.objects.create(user=user)


def revoke_tokens(user):
    """Every API token of ``user`` stops working at once; the number deleted."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def pending_totp_device(user):
    """The unconfirmed TOTP device being set up (created on first call)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_totp_device(device, *, request):
    """The user typed a valid code from the new device: it replaces any older one, and
    every other session and API token of the user ends. A session opened before (with
    the password only) would otherwise go on unverified, free to regenerate the recovery
    codes or remove the device; a token obtained without a code would go on too."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    security_event("otp_device_added", request=request, user=device.user, device="totp")
    session = getattr(request, "session", None)
    end_sessions_and_tokens(
        device.user,
        reason="two_factor_enabled",
        request=request,
        keep_session_key=getattr(session, "session_key", None),
    )
    return device


@transaction.atomic
def generate_recovery_codes(user, *, request):
    """New single-use recovery codes; the previous ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.OTP_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    security_event("recovery_codes_generated", request=request, user=user, count=len(codes))
    return codes


@transaction.atomic
def remove_two_factor(user, *, request):
    """Remove every device of an optional user (a privileged user cannot)."""
    if two_factor_required(user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    security_event("otp_device_removed", request=request, user=user, devices=removed)
    return removed


def verify_code(user, code, *, request):
    """The device (TOTP or recovery code) that accepts ``code``, or None; logged either way.
    django-otp's TOTP throttling slows guessing down (delays double after each failure)."""
    from django_otp import match_token

    code = (code or "").strip().replace(" ", "")
    device = match_token(user, code) if code else None
    if device is None:
        security_event("otp_failed", request=request, user=user)
    else:
        kind = "recovery_code" if isinstance(device, StaticDevice) else "totp"
        security_event("otp_verified", request=request, user=user, device=kind)
    return device
