from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategyConfig(AppConfig):
    name = "strategy"
    verbose_name = _("Stratégie")

    def ready(self):
        from artisanat import data_version, triggers
        from strategy.db_rules import PUBLICATION_FROZEN_SET, RULES
        from strategy.stored_figures import STORED_FIGURES

        # Installed after every migrate by the one trigger registry (artisanat/triggers.py).
        triggers.register_rules(self.label, RULES)
        triggers.register(STORED_FIGURES)
        triggers.register(PUBLICATION_FROZEN_SET)
        # The stored figures are written only together with the measurements that bump.
        data_version.track(self.label, exclude={"strategy_periodtotal"})
