"""A membership may be its organisation's focal point: the reminders' escalation
(portal/reminders.py) goes to the late organisation's focal points and the ministry's."""

from django.db import migrations, models


def free_tables(apps, schema_editor):
    """SQLite rebuilds the table to add a column: the triggers that name it go first
    (artisanat/triggers.py); post_migrate reinstalls them."""
    from artisanat.triggers import free_sqlite_tables

    free_sqlite_tables(schema_editor.connection, ("artisanat_membership",))


class Migration(migrations.Migration):
    dependencies = [
        ("artisanat", "0004_hashed_api_tokens"),
    ]

    operations = [
        migrations.RunPython(free_tables, migrations.RunPython.noop, elidable=False),
        migrations.AddField(
            model_name="membership",
            name="is_focal_point",
            field=models.BooleanField(
                default=False,
                help_text="Reçoit les relances des rapports en retard de son organisation (et, au ministère, de toutes).",
                verbose_name="point focal",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, free_tables, elidable=False),
    ]
