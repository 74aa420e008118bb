from django import forms
from django.utils.translation import gettext_lazy as _

from artisanat.dates import AsOfField


class AsOfForm(forms.Form):
    """``?as_of=YYYY-MM-DD``: every figure can be asked as of a date (today by default).
    A malformed date is an error of the form, never a silent fall back to today."""

    as_of = AsOfField(
        label=_("Situation au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
