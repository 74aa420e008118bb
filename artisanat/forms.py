from django import forms
from django.utils.translation import gettext_lazy as _

from artisanat.models import Filiere, Region


class AsOfForm(forms.Form):
    """``?as_of=YYYY-MM-DD``: every figure can be asked as of a date (today by default)."""

    as_of = forms.DateField(
        label=_("Situation au"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ScopeForm(AsOfForm):
    """The scope of the figures on a page: a date, and optionally a phase (progress is then
    measured against the targets due at the phase's end), a region and a filière."""

    phase = forms.ModelChoiceField(label=_("Phase"), required=False, queryset=None, empty_label=_("Toutes"))
    region = forms.ModelChoiceField(
        label=_("Région"), required=False, queryset=Region.objects.all(), empty_label=_("Toutes")
    )
    filiere = forms.ModelChoiceField(
        label=_("Filière"), required=False, queryset=Filiere.objects.all(), empty_label=_("Toutes")
    )

    def __init__(self, *args, **kwargs):
        from artisanat.templatetags.portal import local
        from strategy.models import Phase  # artisanat is the project package; apps hang below it

        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = Phase.objects.all()
        for name in ("phase", "region", "filiere"):
            self.fields[name].label_from_instance = local

    @property
    def values(self):
        """The cleaned scope (``as_of`` None means today); an invalid form counts as no scope."""
        if not self.is_bound or not self.is_valid():
            return {"as_of": None, "phase": None, "region": None, "filiere": None}
        return {name: self.cleaned_data.get(name) for name in ("as_of", "phase", "region", "filiere")}

    def figure_kwargs(self):
        """Keyword arguments for ``Indicator.objects.with_figures`` / ``with_rollup``."""
        values = self.values
        kwargs = {}
        if values["phase"] is not None:
            kwargs["target_date"] = values["phase"].end_date
        if values["region"] is not None:
            kwargs["region"] = values["region"]
        if values["filiere"] is not None:
            kwargs["filiere"] = values["filiere"]
        return kwargs
