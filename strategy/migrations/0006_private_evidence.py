"""Evidence leaves MEDIA_ROOT (served under /media/ by its original name) for the private
storage (artisanat/documents.py): random names, a folder no URL serves, the original name
kept in ``evidence_name`` for display and download. Existing files move (see
``documents.move_to_private``: refused or missing ones are listed and taken off their row)."""

import sys

from django.db import migrations, models

import artisanat.documents


def to_private(apps, schema_editor):
    from artisanat import documents

    documents.move_to_private(apps.get_model("strategy", "Measurement"), "evidence", out=sys.stdout)


def to_media(apps, schema_editor):
    from artisanat import documents

    documents.move_to_media(apps.get_model("strategy", "Measurement"), "evidence", out=sys.stdout)


def free_tables(apps, schema_editor):
    """SQLite rebuilds both tables to add a NOT NULL column, and drops a column backwards:
    the triggers that name them go first (artisanat/triggers.py); post_migrate reinstalls them."""
    from artisanat.triggers import free_sqlite_tables

    free_sqlite_tables(schema_editor.connection, ("strategy_measurement", "strategy_historicalmeasurement"))


class Migration(migrations.Migration):
    dependencies = [("strategy", "0005_unique_per_organisation")]

    operations = [
        migrations.RunPython(free_tables, migrations.RunPython.noop, elidable=False),
        migrations.AddField(
            model_name="measurement",
            name="evidence_name",
            field=models.CharField(
                blank=True, editable=False, max_length=200, verbose_name="nom de la pièce justificative"
            ),
        ),
        migrations.AddField(
            model_name="historicalmeasurement",
            name="evidence_name",
            field=models.CharField(
                blank=True, editable=False, max_length=200, verbose_name="nom de la pièce justificative"
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, free_tables, elidable=False),
        # The column stays what it was (a file name, 100 characters): only the model changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="measurement",
                    name="evidence",
                    field=artisanat.documents.DocumentField(
                        blank=True,
                        download_view="strategy:measurement_evidence",
                        name_field="evidence_name",
                        upload_to="evidence",
                        verbose_name="pièce justificative",
                    ),
                ),
            ]
        ),
        migrations.RunPython(to_private, to_media, elidable=False),
    ]
