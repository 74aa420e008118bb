"""The portal's forms: the reporting calendar's filters (one form for the page and the
API, portal/calendar.py reads its values) and "Mes notifications"."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from artisanat import permissions
from artisanat.api.filters import INTEGER
from artisanat.forms import AsOfForm
from artisanat.models import Organisation, Region
from artisanat.templatetags.portal import local
from strategy.choices import ReportState
from strategy.models import Indicator

MAX_ID = 2**63 - 1
YEARS = (2000, 2100)


class StrictIntegerField(forms.IntegerField):
    """An integer written as one (``12``, not ``12.0`` nor `` 12``): the API's schema
    says integer, and the page's selects send nothing else."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not INTEGER.fullmatch(str(value)):
            raise ValidationError(_("Format invalide : attendu un nombre entier."), code="invalid")
        return int(value)


def _id_field(label):
    return StrictIntegerField(
        label=label, required=False, min_value=1, max_value=MAX_ID, widget=forms.Select(choices=[("", _("Tous"))])
    )


class CalendarForm(AsOfForm):
    """``?as_of=&organisation=&indicator=&region=&year=&state=&detail=``. An id that does not
    exist (or that the reader may not see) gives an empty calendar, not an error; a
    malformed value is refused naming it (400 on the page and the API)."""

    organisation = _id_field(_("Organisation"))
    indicator = _id_field(_("Indicateur"))
    region = _id_field(_("Région"))
    year = StrictIntegerField(label=_("Année"), required=False, min_value=YEARS[0], max_value=YEARS[1])
    state = forms.ChoiceField(label=_("État"), required=False, choices=[("", _("Tous")), *ReportState.choices])
    detail = forms.BooleanField(label=_("Détail par indicateur"), required=False)

    FILTERS = ("organisation", "indicator", "region", "year", "state")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget.choices = [("", _("Toutes"))]
        if user is not None:  # the page's selects (the API reads ids)
            self.fill_choices(user)

    def fill_choices(self, user):
        """The page's lists, one query each: the organisations whose calendar ``user``
        may read, the indicators, the regions."""
        organisations = Organisation.objects.visible_to(user).filter(active=True)
        if not permissions.is_ministry(user):
            organisations = organisations.filter(pk=permissions.organisation_id_of(user))
        self.fields["organisation"].widget.choices = [
            ("", _("Toutes")),
            *organisations.order_by("acronym").values_list("pk", "acronym"),
        ]
        self.fields["indicator"].widget.choices = [
            ("", _("Tous")),
            *(
                (pk, f"{code} — {local({'name': name, 'name_ar': name_ar})}")
                for pk, code, name, name_ar in Indicator.objects.visible_to(user)
                .order_by("code")
                .values_list("pk", "code", "name", "name_ar")
            ),
        ]
        self.fields["region"].widget.choices = [
            ("", _("Toutes")),
            *(
                (pk, local({"name": name, "name_ar": name_ar}))
                for pk, name, name_ar in Region.objects.order_by("code").values_list("pk", "name", "name_ar")
            ),
        ]

    @property
    def values(self):
        """The cleaned filters (``as_of`` None means today). Read after the form was
        checked: an invalid form is refused, never read as no filter."""
        names = ("as_of", *self.FILTERS, "detail")
        if not self.is_bound or not self.is_valid():
            return dict.fromkeys(names)
        return {name: self.cleaned_data.get(name) or None for name in names}


class PreferenceForm(forms.Form):
    """ "Mes notifications": what a user may choose about the emails they get."""

    language = forms.ChoiceField(label=_("Langue des courriels"), choices=settings.LANGUAGES)
    reminders_enabled = forms.BooleanField(
        label=_("Recevoir les rappels avant échéance"),
        required=False,
        help_text=_("Les rappels le jour de l'échéance et les relances en cas de retard sont toujours envoyés."),
    )
