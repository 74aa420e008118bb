from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contrats programmes")

    def ready(self):
        from artisanat import data_version, triggers
        from contracts.db_rules import RULES
        from contracts.querysets import action_milestone_counts
        from strategy.querysets import register_milestone_counts

        # Installed after every migrate by the one trigger registry (artisanat/triggers.py).
        triggers.register_rules(self.label, RULES)
        data_version.track(self.label)
        # An action's progress counts its milestones (strategy.figures.action_progress).
        register_milestone_counts(action_milestone_counts)
