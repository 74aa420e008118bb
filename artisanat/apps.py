from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_delete
from django.utils.translation import gettext_lazy as _


def _install_rule_triggers(sender, using, **kwargs):
    from django.db import connections

    from artisanat.db_rules import install_rule_triggers

    install_rule_triggers(connections[using])


def _install_history_guards(sender, using, **kwargs):
    from django.db import connections

    from artisanat.history_guard import install_history_guards

    install_history_guards(connections[using])


def _install_data_version_triggers(sender, using, **kwargs):
    from django.db import connections

    from artisanat.data_version import install_triggers

    install_triggers(connections[using])


class ArtisanatConfig(AppConfig):
    name = "artisanat"
    verbose_name = _("Référentiel du secteur")

    def ready(self):
        # After every migrate (and flush), once: every table exists by then.
        post_migrate.connect(_install_rule_triggers, sender=self, dispatch_uid="artisanat_rule_triggers")
        # History is append-only (artisanat/history_guard.py): triggers, and on SQLite the
        # function they call, registered on every connection.
        from django.db.backends.signals import connection_created
        from simple_history.signals import pre_create_historical_record

        from artisanat.history_guard import fit_change_reason, register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="artisanat_history_unlock")
        pre_create_historical_record.connect(fit_change_reason, dispatch_uid="artisanat_fit_change_reason")
        # Rows deleted by cascade carry the deletion's author and reason (history_author.py).
        from artisanat.history_author import attribute_deleted_rows

        pre_delete.connect(attribute_deleted_rows, dispatch_uid="artisanat_history_author")
        # Bulk inserts in one statement on SQLite too (artisanat/sqlite_limits.py).
        from artisanat.sqlite_limits import use_sqlite_parameter_limit

        connection_created.connect(use_sqlite_parameter_limit, dispatch_uid="artisanat_sqlite_parameter_limit")
        post_migrate.connect(_install_history_guards, sender=self, dispatch_uid="artisanat_history_guards")
        # Every write to the sector's data bumps the data version (artisanat/data_version.py).
        post_migrate.connect(
            _install_data_version_triggers, sender=self, dispatch_uid="artisanat_data_version_triggers"
        )
        from artisanat.accounts import signals

        signals.connect()
