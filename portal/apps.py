from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """What spans the apps: the home dashboard (page and API), the organisation pages,
    and the commands that load the strategy and the demo data. No models of its own."""

    name = "portal"
    verbose_name = _("Portail")
