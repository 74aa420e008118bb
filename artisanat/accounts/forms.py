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
