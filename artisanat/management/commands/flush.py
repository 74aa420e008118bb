"""``manage.py flush``, Django's own, run inside the history maintenance window: history
tables are append-only (artisanat/history_guard.py) and emptying the whole database is
an administrator's act (it is also how the test runner resets a database)."""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from artisanat.history_guard import history_maintenance


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        with history_maintenance(connection):
            return super().handle(**options)
