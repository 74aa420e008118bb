"""Bulk loads (artisanat/bulk_load.py, used by ``manage.py seed_scale``): the measurement
tables' plain indexes are gone during the load and back afterwards with the very
definitions ``migrate`` made; unique and constraint indexes never leave; an error during
the load brings everything back; SQLite's load PRAGMAs are restored."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from artisanat import bulk_load
from portal.management.commands import seed_scale
from strategy.models import Measurement

pytestmark = pytest.mark.django_db

TABLES = [Measurement._meta.db_table, Measurement.history.model._meta.db_table]


def definitions():
    return {table: bulk_load.all_index_definitions(table) for table in TABLES}


def test_plain_indexes_are_found_and_unique_ones_left_alone():
    plain = dict(bulk_load.secondary_indexes(Measurement._meta.db_table))
    assert {"measurement_figures", "measurement_org_status", "measurement_status_period"} <= set(plain)
    assert "measurement_unique_per_breakdown" not in plain  # behind the UniqueConstraint: it stays
    everything = bulk_load.all_index_definitions(Measurement._meta.db_table)
    assert "measurement_unique_per_breakdown" in everything
    assert all(everything[name] == definition for name, definition in plain.items())


def test_seed_scale_drops_the_plain_indexes_during_the_load_and_restores_them_exactly(monkeypatch):
    before = definitions()
    seen = {}
    original = seed_scale.Seeder.measurements

    def spy(self, *args, **kwargs):
        seen.update({table: bulk_load.all_index_definitions(table) for table in TABLES})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(seed_scale.Seeder, "measurements", spy)
    call_command("seed_scale", measurements=1500, contracts=5, stdout=StringIO())
    # During the load: only the unique index (and the primary key's) on the measurements.
    during = seen[Measurement._meta.db_table]
    assert "measurement_unique_per_breakdown" in during
    assert not {"measurement_figures", "measurement_org_status", "measurement_indicator_region"} & set(during)
    assert len(seen[TABLES[1]]) < len(before[TABLES[1]])
    # After: every index back, with the same definition, and the rows all there.
    assert definitions() == before
    assert Measurement.objects.filter(indicator__code__startswith=seed_scale.PREFIX).count() == 1500
    assert Measurement.history.filter(history_change_reason=seed_scale.REASON).count() == 1500


def test_an_error_during_the_load_brings_the_indexes_back():
    before = definitions()
    tables = (Measurement, Measurement.history.model)
    with pytest.raises(RuntimeError, match="boom"), transaction.atomic(), bulk_load.indexes_built_after(*tables):
        assert definitions() != before
        raise RuntimeError("boom")
    assert definitions() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PRAGMAs of SQLite")
@pytest.mark.django_db(transaction=True)  # temp_store changes only outside a transaction
def test_sqlite_load_pragmas_are_restored():
    assert not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA temp_store")
        temp_store = cursor.fetchone()[0]
        with bulk_load.sqlite_load_pragmas():
            cursor.execute("PRAGMA cache_size")
            assert cursor.fetchone()[0] == -bulk_load.SQLITE_LOAD_CACHE_KIB
            cursor.execute("PRAGMA temp_store")
            assert cursor.fetchone()[0] == 2  # MEMORY
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == cache_size
        cursor.execute("PRAGMA temp_store")
        assert cursor.fetchone()[0] == temp_store
