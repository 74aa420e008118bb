"""Sign-in events to the security log, and sessions and tokens ended when a user's
password changes or the user is deactivated, wherever it happens (pages, admin, shell);
API tokens revoked when a user's role or superuser status changes (a token obtained
without a second factor must not outlive a promotion to a role that requires one)."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save, pre_save

from artisanat.models import Membership
from artisanat.security_log import security_event


def _django_request(request):
    return getattr(request, "_request", request)  # DRF's Request wraps Django's


def on_logged_in(sender, request, user, **kwargs):
    from artisanat.accounts.middleware import ENROLLED, start_session_clock
    from artisanat.accounts.services import has_two_factor

    session = getattr(request, "session", None)
    if session is not None:
        start_session_clock(session)
        session[ENROLLED] = has_two_factor(user)
    security_event("login_succeeded", request=request, user=user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username") if credentials else None
    security_event("login_failed", request=_django_request(request), user=None, username=username)


def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    security_event("lockout", request=_django_request(request), user=None, username=username)


def remember_previous_credentials(sender, instance, update_fields=None, **kwargs):
    """Before a user is saved, note the stored password and active flag (one query,
    skipped for saves that touch neither, such as last_login at each sign-in)."""
    instance._previous_credentials = None
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active", "is_superuser"} & set(update_fields):
        return
    instance._previous_credentials = (
        type(instance).objects.filter(pk=instance.pk).values_list("password", "is_active", "is_superuser").first()
    )


def end_sessions_on_credentials_change(sender, instance, created, **kwargs):
    from artisanat.accounts.services import end_sessions_and_tokens

    previous = getattr(instance, "_previous_credentials", None)
    instance._previous_credentials = None
    if created or previous is None:
        return
    password, was_active, was_superuser = previous
    if was_active and not instance.is_active:
        end_sessions_and_tokens(instance, reason="deactivated")
    elif password != instance.password:
        end_sessions_and_tokens(instance, reason="password_changed")
    elif was_superuser != instance.is_superuser:
        revoke_tokens(instance, reason="role_changed")


def remember_previous_role(sender, instance, **kwargs):
    instance._previous_role = (
        None if instance.pk is None else type(instance).objects.filter(pk=instance.pk).values_list("role").first()
    )


def revoke_tokens_on_role_change(sender, instance, created, **kwargs):
    previous = getattr(instance, "_previous_role", None)
    instance._previous_role = None
    if not created and previous is not None and previous[0] != instance.role:
        revoke_tokens(instance.user, reason="role_changed")


def revoke_tokens(user, *, reason):
    from artisanat.accounts.services import revoke_all_tokens

    revoke_all_tokens(user, reason=reason)


def connect():
    user_model = get_user_model()
    user_logged_in.connect(on_logged_in, dispatch_uid="artisanat_login_succeeded")
    user_login_failed.connect(on_login_failed, dispatch_uid="artisanat_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="artisanat_lockout")
    pre_save.connect(remember_previous_credentials, sender=user_model, dispatch_uid="artisanat_previous_credentials")
    post_save.connect(end_sessions_on_credentials_change, sender=user_model, dispatch_uid="artisanat_end_sessions")
    pre_save.connect(remember_previous_role, sender=Membership, dispatch_uid="artisanat_previous_role")
    post_save.connect(revoke_tokens_on_role_change, sender=Membership, dispatch_uid="artisanat_role_tokens")
