from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PreferenceForm(forms.Form):
    """ "Mes notifications": what a user may choose about the emails they get."""

    language = forms.ChoiceField(label=_("Langue des courriels"), choices=settings.LANGUAGES)
    reminders_enabled = forms.BooleanField(
        label=_("Recevoir les rappels avant échéance"),
        required=False,
        help_text=_("Les rappels le jour de l'échéance et les relances en cas de retard sont toujours envoyés."),
    )
