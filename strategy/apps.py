from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _install_figure_triggers(sender, using, **kwargs):
    from django.db import connections

    from strategy.stored_figures import install_triggers

    install_triggers(connections[using])


class StrategyConfig(AppConfig):
    name = "strategy"
    verbose_name = _("Stratégie")

    def ready(self):
        # After every migrate (and flush): SQLite drops a table's triggers when it rebuilds it.
        post_migrate.connect(_install_figure_triggers, sender=self, dispatch_uid="strategy_figure_triggers")
