"""Forms of the two-factor pages: a one-time code, checked against the user's devices."""

from django import forms
from django.utils.translation import gettext_lazy as _

from artisanat.accounts import services


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code de vérification"),
        max_length=32,
        help_text=_("Les 6 chiffres affichés par votre application d'authentification, ou un code de secours."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )
    error_message = _("Code incorrect ou expiré.")

    def __init__(self, *args, user, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.request, self.device = user, request, None

    def verify(self, code):
        return services.verify_code(self.user, code, request=self.request)

    def clean_code(self):
        code = self.cleaned_data["code"].strip().replace(" ", "")
        self.device = self.verify(code)
        if self.device is None:
            raise forms.ValidationError(self.error_message, code="invalid")
        return code


class SetupForm(CodeForm):
    """The first code of the new authenticator, checked against the pending device only.
    Replacing an authenticator also asks for a current code (of the app in use, or a
    recovery code): a session left open is not enough to take over the second factor."""

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = device
        self.fields["code"].help_text = _("Les 6 chiffres affichés par votre application après l'ajout du compte.")
        if services.has_two_factor(self.user):
            self.fields["current_code"] = forms.CharField(
                label=_("Code actuel"),
                max_length=32,
                help_text=_("Un code de l'application utilisée jusqu'ici, ou un code de secours."),
                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
            )

    def clean_current_code(self):
        code = self.cleaned_data["current_code"].strip().replace(" ", "")
        if services.verify_code(self.user, code, request=self.request) is None:
            raise forms.ValidationError(self.error_message, code="invalid")
        return code

    def verify(self, code):
        from artisanat.security_log import security_event

        if code.isdigit() and self.pending.verify_token(code):
            return self.pending
        security_event("otp_failed", request=self.request, user=self.user, device="totp_setup")
        return None


# -- managing people (artisanat/accounts/people.py) ---------------------------------------


class ReasonForm(forms.Form):
    """An action on someone's account: its reason, required (security log and history)."""

    reason = forms.CharField(
        label=_("Motif"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatoire : il est inscrit au journal de sécurité et à l'historique du compte."),
    )

    def clean_reason(self):
        from artisanat.accounts.people import clean_reason

        try:
            return clean_reason(self.cleaned_data["reason"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["reason"]) from error


class MembershipForm(ReasonForm):
    """Organisation, role and focal point, limited to what ``by`` may give
    (``permissions.assignable_roles``; a focal point: its own organisation, reporter)."""

    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    role = forms.ChoiceField(label=_("Rôle"))
    is_focal_point = forms.BooleanField(
        label=_("Point focal"),
        required=False,
        help_text=_("Reçoit les relances des rapports en retard de son organisation."),
    )
    field_order = ("organisation", "role", "is_focal_point", "reason")

    def __init__(self, *args, by, **kwargs):
        from artisanat import permissions
        from artisanat.models import Organisation

        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.order_by("acronym")
        if not permissions.is_administrator(by):
            organisations = organisations.filter(pk=permissions.organisation_id_of(by))
        self.fields["organisation"].queryset = organisations
        self.fields["role"].choices = [(role.value, role.label) for role in permissions.assignable_roles(by)]


class InviteForm(MembershipForm):
    email = forms.EmailField(label=_("Adresse électronique"), max_length=150)
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    field_order = ("email", "first_name", "last_name", "organisation", "role", "is_focal_point", "reason")
