"""Forms of the strategy pages: measurement entry, validation and the yearly report.

The model's ``clean()`` (through ``full_clean``) gives the French errors shown beside
the fields; saving goes through strategy.services, never ``form.save()``."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from artisanat import permissions
from artisanat.models import Organisation
from strategy.models import Indicator, Measurement

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}


class MeasurementForm(forms.ModelForm):
    """A measurement for one period and one row of the indicator's breakdown.

    Indicator choices are those ``user`` may report on; a partner reports for its own
    organisation, ministry staff choose the reporting organisation. ``version`` carries
    the version read, so that a concurrent change is refused instead of overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Measurement
        fields = [
            "indicator",
            "organisation",
            "period_start",
            "period_end",
            "value",
            "numerator",
            "denominator",
            "region",
            "filiere",
            "sex",
            "actor_type",
            "source",
            "evidence",
        ]
        widgets = {
            "period_start": forms.DateInput(**DATE_WIDGET),
            "period_end": forms.DateInput(**DATE_WIDGET),
            "source": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "value": _("Pour un indicateur de type ratio, laissez vide et saisissez numérateur et dénominateur."),
            "region": _("À renseigner seulement si l'indicateur est ventilé par région."),
            "filiere": _("À renseigner seulement si l'indicateur est ventilé par filière."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["indicator"].queryset = Indicator.objects.reportable_by(user).order_by("code")
        self.fields["indicator"].label_from_instance = lambda i: f"{i.code} — {i.name}"
        for name in ("period_start", "period_end"):
            self.fields[name].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        if permissions.is_reporter(user):
            del self.fields["organisation"]
            self.instance.organisation_id = permissions.organisation_id_of(user)
        else:
            self.fields["organisation"].queryset = Organisation.objects.filter(active=True)
            if not self.instance.pk:
                self.fields["organisation"].initial = permissions.organisation_id_of(user)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class ReasonForm(forms.Form):
    """Return (or reopen) a measurement: the reason is what the reporter will read."""

    reason = forms.CharField(label=_("Motif"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class VersionForm(forms.Form):
    """Validate or submit: an optional comment and the version read."""

    comment = forms.CharField(label=_("Commentaire"), required=False, max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReportForm(forms.Form):
    """``?year=2025``: the yearly performance report, figures as of 31 December."""

    year = forms.IntegerField(label=_("Année"), min_value=2021, max_value=2030, required=False)

    def year_value(self):
        if self.is_bound and self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return min(max(timezone.localdate().year - 1, 2021), 2030)
