from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_delete
from django.utils.translation import gettext_lazy as _


class ArtisanatConfig(AppConfig):
    name = "artisanat"
    verbose_name = _("Référentiel du secteur")

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from artisanat import data_version, triggers
        from artisanat.accounts import signals
        from artisanat.api.throttling import create_cache_table
        from artisanat.history_author import attribute_deleted_rows
        from artisanat.history_guard import HISTORY_GUARDS, fit_change_reason, register_sqlite_function
        from artisanat.sqlite_limits import use_sqlite_parameter_limit

        # The one registry of database triggers (artisanat/triggers.py): every app
        # registers its sets in ready(); one receiver installs them all after every
        # migrate (and flush), once every table exists.
        post_migrate.connect(triggers.install_after_migrate, sender=self, dispatch_uid="artisanat_triggers")
        # The database cache's table (the API throttles' shared counts without Redis),
        # created after every migrate: not a trigger set, its own receiver.
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="artisanat_cache_table")
        # History is append-only: triggers, and on SQLite the function they call,
        # registered on every connection.
        triggers.register(HISTORY_GUARDS)
        connection_created.connect(register_sqlite_function, dispatch_uid="artisanat_history_unlock")
        pre_create_historical_record.connect(fit_change_reason, dispatch_uid="artisanat_fit_change_reason")
        # Every write to the sector's data bumps the data version: the reference tables
        # here, the apps' tables registered by each app.
        triggers.register(data_version.DATA_VERSION)
        # Only ministry roles can be staff (artisanat/db_rules.py).
        from artisanat.db_rules import RULES

        triggers.register_rules(self.label, RULES)
        data_version.track(
            self.label,
            # Not read by any figure: API idempotency keys; who belongs to which
            # organisation (read per request, part of the cache key instead).
            exclude={"artisanat_idempotencykey", "artisanat_membership"},
        )
        # Rows deleted by cascade carry the deletion's author and reason (history_author.py).
        pre_delete.connect(attribute_deleted_rows, dispatch_uid="artisanat_history_author")
        # Bulk inserts in one statement on SQLite too (artisanat/sqlite_limits.py).
        connection_created.connect(use_sqlite_parameter_limit, dispatch_uid="artisanat_sqlite_parameter_limit")
        signals.connect()
