from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    """The public open-data portal: anonymous pages (``/donnees/<lang>/…``), their CSV
    and JSON downloads, the public read-only API (``/api/public/v1/``), the sitemap. It
    reads only what the ministry published (``Indicator.objects.published``, the figures
    with ``published=True``: strategy.services.release_open_data). No models of its own."""

    name = "opendata"
    verbose_name = _("Données ouvertes")
