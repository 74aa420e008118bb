from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from artisanat.dates import AsOfField
from artisanat.services import MIN_REASON_LENGTH, reason_message, require_reason


class AsOfForm(forms.Form):
    """``?as_of=YYYY-MM-DD``: every figure can be asked as of a date (today by default).
    A malformed date is an error of the form, never a silent fall back to today."""

    as_of = AsOfField(
        label=_("Situation au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ReasonMixin:
    """The reason a page's change is kept with in the history (required, at least
    ``MIN_REASON_LENGTH`` characters: artisanat.services.require_reason) and the version
    read, so that a change made meanwhile by someone else is refused, not overwritten."""

    def clean_change_reason(self):
        try:
            return require_reason(self.cleaned_data.get("change_reason"))
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["change_reason"]) from None


def reason_field(label=None):
    return forms.CharField(
        label=label or _("Motif du changement"),
        max_length=100,
        help_text=ngettext_lazy(
            "Pourquoi ce changement ? Le motif est gardé dans l'historique (au moins %(n)d caractère).",
            "Pourquoi ce changement ? Le motif est gardé dans l'historique (au moins %(n)d caractères).",
            "n",
        )
        % {"n": MIN_REASON_LENGTH},
        # Empty or too short, the same sentence (artisanat.services.require_reason).
        error_messages={"required": lazy(reason_message, str)()},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ReasonedModelForm(ReasonMixin, forms.ModelForm):
    """A page form that creates or changes one tracked row (saved by the view through
    the row's service, never by ``form.save()``)."""

    change_reason = reason_field()
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "version" in {f.name for f in self.instance._meta.fields}:
            self.fields["expected_version"].initial = self.instance.version
        # The reason and the version come last, whatever the subclass's Meta.fields say.
        for name in ("change_reason", "expected_version"):
            self.fields[name] = self.fields.pop(name)


class DeleteForm(ReasonMixin, forms.Form):
    """Delete one tracked row: the reason and the version read."""

    change_reason = reason_field(_("Motif de la suppression"))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
