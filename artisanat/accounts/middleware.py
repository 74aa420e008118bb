"""Session lifetime and the two-factor gate.

``SessionLifetimeMiddleware`` signs out a session idle for more than
``SESSION_IDLE_TIMEOUT`` seconds or older than ``SESSION_COOKIE_AGE`` seconds since
sign-in, whatever the activity. ``TwoFactorMiddleware`` sends a signed-in user who must
give a second factor and has not yet to set-up or verification, on every page and the
admin; under /api/ a session of such a user is answered 403 ``otp_required``."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from artisanat.accounts.services import two_factor_required
from artisanat.security_log import security_event

STARTED = "_auth_started"
SEEN = "_auth_seen"
ENROLLED = "_otp_enrolled"  # set at sign-in and by the set-up / removal pages
SEEN_RESOLUTION = 60  # seconds: the last-seen time is written at most once a minute


def start_session_clock(session):
    session[STARTED] = session[SEEN] = int(time.time())


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session:
            now = int(time.time())
            started, seen = session.get(STARTED), session.get(SEEN)
            if started is None or seen is None:
                start_session_clock(session)
            elif now - seen > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_COOKIE_AGE:
                reason = "idle" if now - seen > settings.SESSION_IDLE_TIMEOUT else "lifetime"
                security_event("session_expired", request=request, reason=reason)
                logout(request)
                messages.info(request, _("Votre session a expiré. Reconnectez-vous."))
            elif now - seen >= SEEN_RESOLUTION:
                session[SEEN] = now
        return self.get_response(request)


def _exempt_paths():
    return (
        reverse("accounts:otp_setup"),
        reverse("accounts:otp_verify"),
        reverse("logout"),
        reverse("login"),
        reverse("api:token"),
        "/i18n/",
        "/" + settings.STATIC_URL.lstrip("/"),
        # The public open-data pages, the same for everyone (opendata/): a signed-in user
        # who has not given the second factor reads them as anybody does.
        "/donnees/",
        "/api/public/",
        "/sitemap.xml",
        "/robots.txt",
    )


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and (request.session.get(ENROLLED) or two_factor_required(user))
            and not request.path.startswith(_exempt_paths())
        ):
            if request.path.startswith("/api/"):
                from artisanat.api.exceptions import error_body

                message = _("Double authentification requise : validez votre code dans le portail.")
                return JsonResponse(error_body("otp_required", message), status=403)
            has_device = request.session.get(ENROLLED)
            target = reverse("accounts:otp_verify" if has_device else "accounts:otp_setup")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
