from django import forms
from django.utils.translation import gettext_lazy as _


class AsOfForm(forms.Form):
    """``?as_of=YYYY-MM-DD``: every figure can be asked as of a date (today by default)."""

    as_of = forms.DateField(
        label=_("Situation au"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
