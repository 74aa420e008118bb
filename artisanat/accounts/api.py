"""The API token endpoint's checks (``POST /api/v1/auth/token/``, docs/api.md): the
lock-out, the password, and the second factor (field ``otp``) for the users who must
give one. A wrong ``otp`` counts as a failed sign-in for the lock-out."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status

from artisanat.accounts import services
from artisanat.accounts.backends import cooloff_seconds, lockout_message
from artisanat.security_log import security_event


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = gettext_lazy("Trop de tentatives de connexion échouées.")

    def __init__(self):
        super().__init__(lockout_message())
        self.wait = cooloff_seconds()


class OtpSetupRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "otp_setup_required"
    default_detail = gettext_lazy(
        "Votre rôle exige la double authentification : activez-la d'abord dans le portail (Sécurité du compte)."
    )


def obtain_token(request, *, username, password, otp=""):
    """``(user, token, key)``: a new token (hashed, expiring: services.issue_token) or an
    API error; every outcome is logged."""
    django_request = getattr(request, "_request", request)
    user = authenticate(django_request, username=username, password=password)
    if getattr(django_request, "axes_locked_out", False):
        raise LockedOut()
    if user is None or not user.is_active:
        raise exceptions.AuthenticationFailed(_("Identifiant ou mot de passe incorrect."))
    if services.two_factor_required(user) or services.has_two_factor(user):
        if not services.has_two_factor(user):
            raise OtpSetupRequired()
        if not otp:
            raise exceptions.ValidationError({"otp": [_("Code de double authentification requis pour ce compte.")]})
        if services.verify_code(user, otp, request=django_request) is None:
            user_login_failed.send(sender=__name__, credentials={"username": username}, request=django_request)
            if getattr(django_request, "axes_locked_out", False):
                raise LockedOut()
            error = exceptions.AuthenticationFailed(_("Code de double authentification incorrect ou expiré."))
            error.extra_details = {"otp": [str(error.detail)]}
            raise error
    # A token is a sign-in without a session: tell axes, which clears the failure count.
    AxesProxyHandler.user_logged_in(sender=__name__, request=django_request, user=user)
    token, key = services.issue_token(user)
    security_event("token_created", request=django_request, user=user, expiry=token.expiry.isoformat())
    return user, token, key


def revoke_token(request):
    """Every token of the caller stops working (not only the one this request carries)."""
    deleted = services.revoke_tokens(request.user)
    if deleted:
        security_event("token_revoked", request=getattr(request, "_request", request), user=request.user, reason="api")
    return deleted
