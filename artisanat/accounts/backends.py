"""The lock-out backend and the lock-out answer (django-axes).

Failures are counted per (username, client address) pair; after
``AXES_FAILURE_LIMIT`` failures the pair is refused for ``AXES_COOLOFF_TIME``, on the
login page (the page again, with a message, status 429), in the admin and on the API
token endpoint (the API's error shape, status 429 with ``Retry-After``)."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check before the password backend. Without a request (a management command,
    a shell) there is no client to lock out: the check is skipped instead of failing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class MembershipBackend(ModelBackend):
    """Django's password backend whose ``get_user`` (every signed-in request) reads the
    user's membership and organisation in the same query: the role checks and the
    layout's header then read them without queries of their own."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("membership__organisation")
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


def cooloff_seconds():
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message():
    minutes = max(1, round(cooloff_seconds() / 60))
    return _(
        "Trop de tentatives de connexion échouées pour ce compte depuis cette adresse. "
        "Réessayez dans %(minutes)d minutes."
    ) % {"minutes": minutes}


def lockout_body():
    from artisanat.api.exceptions import error_body

    return error_body("locked_out", lockout_message(), retry_after=cooloff_seconds())


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: JSON under /api/, the login page elsewhere; always 429."""
    if request.path.startswith("/api/"):
        response = JsonResponse(lockout_body(), status=429)
    else:
        from django.contrib.auth.forms import AuthenticationForm

        username = (credentials or {}).get("username") or request.POST.get("username", "")
        form = AuthenticationForm(request, initial={"username": username})
        context = {"form": form, "lockout_message": lockout_message(), "next": request.POST.get("next", "")}
        response = render(request, "artisanat/login.html", context, status=429)
    response["Retry-After"] = str(cooloff_seconds())
    return response
