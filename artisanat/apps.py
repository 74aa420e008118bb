from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _install_rule_triggers(sender, using, **kwargs):
    from django.db import connections

    from artisanat.db_rules import install_rule_triggers

    install_rule_triggers(connections[using])


class ArtisanatConfig(AppConfig):
    name = "artisanat"
    verbose_name = _("Référentiel du secteur")

    def ready(self):
        # After every migrate (and flush), once: every table exists by then.
        post_migrate.connect(_install_rule_triggers, sender=self, dispatch_uid="artisanat_rule_triggers")
