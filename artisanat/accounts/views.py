"""Pages of sign-in security: the account's security page, two-factor set-up,
verification at sign-in, recovery codes, removal (optional users) and password change;
and the people pages (``/compte/personnes/``): the list of the people the user may
manage, a person's page with its actions, the invitation form, and the set-password
page the invitation's link opens."""

from base64 import b32encode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from artisanat import permissions
from artisanat.accounts import people, services
from artisanat.accounts.forms import CodeForm, InviteForm, MembershipForm, ReasonForm, SetupForm
from artisanat.accounts.middleware import ENROLLED
from artisanat.exports import PEOPLE_COLUMNS
from artisanat.filtersets import PeopleFilterSet
from artisanat.history import AUTHOR_RELATED, history_entries
from artisanat.models import Membership
from artisanat.security_log import security_event
from artisanat.views import FilteredListView, RoleRequiredMixin


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


# -- managing people (artisanat/accounts/people.py, docs/people.md) ----------------------


class PeopleListView(FilteredListView):
    """The people ``user`` may manage (``people.manageable_users``): everyone for an
    administrator, its own organisation's reporters for a partner focal point."""

    required = "can_manage_people"
    template_name = "accounts/people_list.html"
    filterset_class = PeopleFilterSet
    filter_fields = ("q", "organisation", "role", "is_focal_point", "is_active")
    export_columns = PEOPLE_COLUMNS
    export_name = "personnes"

    def get_base_queryset(self):
        return people.manageable_users(self.request.user).order_by("last_name", "first_name", "username")


class InviteView(RoleRequiredMixin, FormView):
    required = "can_manage_people"
    template_name = "accounts/people_invite.html"
    form_class = InviteForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "by": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(invitation_days=settings.INVITATION_DAYS, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            account = people.invite_user(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                organisation=data["organisation"],
                role=data["role"],
                is_focal_point=data["is_focal_point"],
                by=self.request.user,
                reason=data["reason"],
                request=self.request,
            )
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        except OSError:  # the mail server refused or did not answer: nothing was created
            form.add_error(None, _("L'invitation n'a pas pu être envoyée par courriel ; réessayez plus tard."))
            return self.form_invalid(form)
        messages.success(self.request, _("Invitation envoyée à %(email)s.") % {"email": account.email})
        return redirect("accounts:person", pk=account.pk)


def _add_errors(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _account_history(account, viewer):
    """The account's and its membership's history rows, newest first."""
    User = get_user_model()
    records = [
        *User.history.filter(id=account.pk).select_related(AUTHOR_RELATED),
        *Membership.history.filter(user_id=account.pk).select_related(AUTHOR_RELATED),
    ]
    return history_entries(
        records,
        {User: lambda r: r.username, Membership: lambda r: str(_("appartenance"))},
        viewer=viewer,
    )


class PersonMixin(RoleRequiredMixin):
    """The person of the URL among those the user may manage (anyone else: 404)."""

    required = "can_manage_people"

    @cached_property
    def account(self):
        return get_object_or_404(people.manageable_users(self.request.user), pk=self.kwargs["pk"])

    def page(self, status=200, **bound):
        request, account = self.request, self.account
        membership = getattr(account, "membership", None)
        initial = (
            {
                "organisation": membership.organisation_id,
                "role": membership.role,
                "is_focal_point": membership.is_focal_point,
            }
            if membership
            else {}
        )
        context = {
            "account": account,
            "membership": membership,
            "may_act": permissions.may_act_on(request.user, account),
            "pending": not account.has_usable_password(),
            "membership_form": bound.get("membership") or MembershipForm(by=request.user, initial=initial),
            "reset_form": bound.get("reset") or ReasonForm(prefix="reset"),
            "active_form": bound.get("active") or ReasonForm(prefix="active"),
            "resend_form": bound.get("resend") or ReasonForm(prefix="resend"),
            "entries": _account_history(account, request.user),
        }
        return render(request, "accounts/person_detail.html", context, status=status)


class PersonView(PersonMixin, View):
    def get(self, request, *args, **kwargs):
        return self.page()


class PersonActionView(PersonMixin, View):
    """One action of the person's page: POST only, a reason, then the service. An invalid
    form or a refusal by the service comes back on the page (400); a change beyond the
    user's rights is a 403."""

    form_key = "reset"
    done = ""
    service = None  # people.<action>(account, *, by, reason, request)

    def make_form(self, data):
        return ReasonForm(data, prefix=self.form_key)

    def act(self, form):
        type(self).service(self.account, by=self.request.user, reason=form.cleaned_data["reason"], request=self.request)

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                self.act(form)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, self.done)
                return redirect("accounts:person", pk=self.account.pk)
        return self.page(status=400, **{self.form_key: form})


class PersonMembershipView(PersonActionView):
    form_key = "membership"

    def make_form(self, data):
        return MembershipForm(data, by=self.request.user)

    def act(self, form):
        data = form.cleaned_data
        people.change_membership(
            self.account,
            organisation=data["organisation"],
            role=data["role"],
            is_focal_point=data["is_focal_point"],
            by=self.request.user,
            reason=data["reason"],
            request=self.request,
        )
        self.done = _("Organisation et rôle enregistrés.")


class PersonResetTwoFactorView(PersonActionView):
    form_key = "reset"
    service = staticmethod(people.reset_two_factor)
    done = gettext_lazy("Double authentification réinitialisée : la personne la configurera à sa prochaine connexion.")


class PersonDeactivateView(PersonActionView):
    form_key = "active"
    service = staticmethod(people.deactivate_user)
    done = gettext_lazy("Compte désactivé ; ses sessions et ses jetons d'API sont fermés.")


class PersonReactivateView(PersonActionView):
    form_key = "active"
    service = staticmethod(people.reactivate_user)
    done = gettext_lazy("Compte réactivé.")


class PersonResendInvitationView(PersonActionView):
    form_key = "resend"
    service = staticmethod(people.resend_invitation)
    done = gettext_lazy("Invitation renvoyée.")


class InvitationView(auth_views.PasswordResetConfirmView):
    """The emailed link: choose a first password. An expired, spent or altered link,
    or a deactivated account, gets the page saying so (never an error)."""

    template_name = "accounts/invitation.html"
    token_generator = people.invitation_tokens
    reset_url_token = "definir"  # noqa: S105 — the token's stand-in in the URL, not a secret
    success_url = reverse_lazy("login")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def dispatch(self, *args, **kwargs):
        response = super().dispatch(*args, **kwargs)
        if not self.validlink and response.status_code == 200:
            security_event("invitation_link_refused", request=self.request, user=None)
        return response

    def form_valid(self, form):
        people.accept_invitation(self.user, password=form.cleaned_data["new_password1"], request=self.request)
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, _("Mot de passe enregistré. Vous pouvez vous connecter."))
        return HttpResponseRedirect(self.get_success_url())
