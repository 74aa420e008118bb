"""Pages of sign-in security: the account's security page, two-factor set-up,
verification at sign-in, recovery codes, removal (optional users) and password change."""

from base64 import b32encode

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from artisanat.accounts import services
from artisanat.accounts.forms import CodeForm, SetupForm
from artisanat.accounts.middleware import ENROLLED


def _next_url(request, default="home"):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


def _recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__name=services.RECOVERY_NAME).count()


def _show_codes(request, codes):
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "fresh": True})


class SecurityView(LoginRequiredMixin, TemplateView):
    """The account's sign-in security: two-factor state, recovery codes, password."""

    template_name = "accounts/security.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            has_two_factor=services.has_two_factor(user),
            required=services.two_factor_required(user),
            codes_left=_recovery_codes_left(user),
            **kwargs,
        )


class OtpVerifyView(LoginRequiredMixin, FormView):
    """Second step of the sign-in: a code from the app or a recovery code."""

    template_name = "accounts/otp_verify.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated:
            if user.is_verified():
                return HttpResponseRedirect(_next_url(request))
            if not services.has_two_factor(user):
                if services.two_factor_required(user):
                    return redirect(f"{reverse('accounts:otp_setup')}?{request.GET.urlencode()}")
                return HttpResponseRedirect(_next_url(request))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "request": self.request}

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=_next_url(self.request), **kwargs)

    def form_valid(self, form):
        django_otp.login(self.request, form.device)
        if isinstance(form.device, StaticDevice):
            messages.warning(
                self.request,
                _(
                    "Code de secours utilisé : il vous en reste %(n)d. Générez-en de nouveaux depuis « Sécurité du compte »."
                )
                % {"n": _recovery_codes_left(self.request.user)},
            )
        return HttpResponseRedirect(_next_url(self.request))


class OtpSetupView(LoginRequiredMixin, FormView):
    """Add an authenticator app: the secret and its otpauth:// address, then a first code.
    A user who already has one must be verified before replacing it."""

    template_name = "accounts/otp_setup.html"
    form_class = SetupForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and services.has_two_factor(user) and not user.is_verified():
            return redirect(f"{reverse('accounts:otp_verify')}?{request.GET.urlencode()}")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def device(self):
        return services.pending_totp_device(self.request.user)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "request": self.request,
            "device": self.device,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            secret=b32encode(self.device.bin_key).decode(),
            otpauth_url=self.device.config_url,
            # An <img> of an SVG data: URI (img-src allows data:): no inline style or script.
            qr_code=segno.make(self.device.config_url, error="m").svg_data_uri(scale=5, border=2),
            required=services.two_factor_required(self.request.user),
            next=_next_url(self.request),
            **kwargs,
        )

    def form_valid(self, form):
        request = self.request
        device = services.confirm_totp_device(form.device, request=request)
        django_otp.login(request, device)
        request.session[ENROLLED] = True
        codes = services.generate_recovery_codes(request.user, request=request)
        messages.success(request, _("Double authentification activée."))
        return _show_codes(request, codes)


class CurrentCodeMixin:
    """The change is confirmed by a current code (the app's, or a recovery code): a
    session left open on a shared computer is not enough to weaken the second factor."""

    form_class = CodeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "request": self.request}


class RecoveryCodesView(LoginRequiredMixin, CurrentCodeMixin, FormView):
    """How many recovery codes are left; POST with a current code: a new set (shown once)."""

    template_name = "accounts/recovery_codes.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.has_two_factor(request.user):
            return redirect("accounts:otp_setup")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(codes_left=_recovery_codes_left(self.request.user), **kwargs)

    def form_valid(self, form):
        request = self.request
        return _show_codes(request, services.generate_recovery_codes(request.user, request=request))


class OtpDisableView(LoginRequiredMixin, CurrentCodeMixin, FormView):
    """Remove two-factor authentication, with a current code; refused to administrators
    and validators."""

    template_name = "accounts/otp_disable.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if services.two_factor_required(request.user):
                raise PermissionDenied
            if not services.has_two_factor(request.user):
                return redirect("accounts:security")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        request = self.request
        services.remove_two_factor(request.user, request=request)
        request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
        request.session[ENROLLED] = False
        messages.success(request, _("Double authentification désactivée."))
        return redirect("accounts:security")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; every other session and every API token of the user
    ends (artisanat.accounts.signals), this one continues under a new key."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Mot de passe modifié. Vos autres sessions et vos jetons d'API sont fermés."))
        return response
