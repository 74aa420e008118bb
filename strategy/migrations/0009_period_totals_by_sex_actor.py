"""Stored totals by sex and by actor type (issue 13, "figures by every declared
dimension"): two scope keys on ``PeriodTotal`` ('' for "all"), in the unique index that
the "latest period on or before D" seek reads. Existing rows are the national, region
and filière scopes: they get '' / ''. The new scopes (sex, actor type, region × sex) are
filled by recomputing the table from the validated measurements, in the migration's
transaction; the triggers are then (re)installed with the new scopes."""

from django.db import migrations, models


def free_tables(apps, schema_editor):
    """SQLite rebuilds strategy_periodtotal to add the columns: the triggers that name it
    go first (artisanat/triggers.py); they are reinstalled below and by post_migrate."""
    from artisanat.triggers import free_sqlite_tables

    free_sqlite_tables(schema_editor.connection, ("strategy_periodtotal",))


def rebuild(apps, schema_editor):
    from strategy import stored_figures

    stored_figures.rebuild(connection=schema_editor.connection)
    stored_figures.install_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    """Going back: the triggers name the columns about to go (the previous code's
    post_migrate reinstalls its own)."""
    from strategy import stored_figures

    stored_figures.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("strategy", "0008_report_comments_publications")]

    operations = [
        migrations.RunPython(free_tables, migrations.RunPython.noop, elidable=False),
        migrations.RemoveConstraint(model_name="periodtotal", name="periodtotal_unique_scope_period"),
        migrations.AddField(
            model_name="periodtotal",
            name="sex_key",
            field=models.CharField(blank=True, default="", max_length=1, verbose_name="sexe (vide : tous)"),
        ),
        migrations.AddField(
            model_name="periodtotal",
            name="actor_key",
            field=models.CharField(blank=True, default="", max_length=20, verbose_name="type d'acteur (vide : tous)"),
        ),
        migrations.AddConstraint(
            model_name="periodtotal",
            constraint=models.UniqueConstraint(
                fields=("indicator", "region_key", "filiere_key", "sex_key", "actor_key", "period_end", "period_start"),
                name="periodtotal_unique_scope_period",
            ),
        ),
        migrations.RunPython(rebuild, drop_triggers, elidable=False),
    ]
