from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArtisanatConfig(AppConfig):
    name = "artisanat"
    verbose_name = _("Référentiel du secteur")
