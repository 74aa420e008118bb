"""Reporting frequency and delay on every indicator, and the first submission date of
every measurement (the reporting calendar, strategy/calendar.py).

Existing data: each indicator gets the longest frequency (yearly, half-yearly,
quarterly, monthly) of which every one of its measurements is exactly one period. An
indicator whose rows fit no single frequency keeps "yearly", and the rows that do not
fit are printed and left as they are (nothing is deleted): they keep counting in the
figures, and the period rule refuses any change to them until their period is corrected.
``submitted_at`` is read from each row's history (its first submitted state); a row
never submitted keeps none."""

import sys

import django.core.validators
from django.db import migrations, models

FREQUENCIES = [("yearly", 12), ("half_yearly", 6), ("quarterly", 3), ("monthly", 1)]


def _fits(months, start, end):
    import calendar

    if start.day != 1 or (start.month - 1) % months:
        return False
    last = start.month + months - 1
    return end.year == start.year and end.month == last and end.day == calendar.monthrange(end.year, last)[1]


def set_frequencies(apps, schema_editor):
    Indicator = apps.get_model("strategy", "Indicator")
    Measurement = apps.get_model("strategy", "Measurement")
    for indicator in Indicator.objects.order_by("pk"):
        rows = list(Measurement.objects.filter(indicator=indicator).values_list("pk", "period_start", "period_end"))
        chosen = next((name for name, months in FREQUENCIES if all(_fits(months, s, e) for _, s, e in rows)), None)
        if chosen is None:
            chosen = "yearly"
            misfits = [pk for pk, s, e in rows if not _fits(12, s, e)]
            sys.stdout.write(
                f"\n  {indicator.code}: no single frequency fits its rows; kept yearly. "
                f"Rows whose period is not one year, left as they are: {misfits}\n"
            )
        Indicator.objects.filter(pk=indicator.pk).update(frequency=chosen)


def set_submitted_at(apps, schema_editor):
    Measurement = apps.get_model("strategy", "Measurement")
    History = apps.get_model("strategy", "HistoricalMeasurement")
    first = {}
    for pk, date in (
        History.objects.filter(status__in=["submitted", "validated", "returned"])
        .order_by("id", "history_date")
        .values_list("id", "history_date")
    ):
        first.setdefault(pk, date)
    for pk, validated_at in Measurement.objects.exclude(status="draft").values_list("pk", "validated_at"):
        when = first.get(pk) or validated_at
        if when is not None:
            Measurement.objects.filter(pk=pk).update(submitted_at=when)


def free_tables(apps, schema_editor):
    """SQLite rebuilds the tables to add a column: the triggers that name them go first
    (artisanat/triggers.py); post_migrate reinstalls them. Backwards, on PostgreSQL too:
    the period rules (strategy/db_rules.py) read ``frequency``, which this migration
    removes, and the earlier migrations' reverse steps write measurements."""
    from artisanat.triggers import free_sqlite_tables

    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS measurement_period_fits_frequency ON strategy_measurement")
            cursor.execute("DROP TRIGGER IF EXISTS indicator_frequency_fits_its_measurements ON strategy_indicator")

    free_sqlite_tables(
        schema_editor.connection,
        (
            "strategy_measurement",
            "strategy_historicalmeasurement",
            "strategy_indicator",
            "strategy_historicalindicator",
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("artisanat", "0004_hashed_api_tokens"),
        ("strategy", "0006_private_evidence"),
    ]

    operations = [
        migrations.RunPython(free_tables, migrations.RunPython.noop, elidable=False),
        migrations.AddField(
            model_name="historicalindicator",
            name="frequency",
            field=models.CharField(
                choices=[
                    ("monthly", "mensuelle"),
                    ("quarterly", "trimestrielle"),
                    ("half_yearly", "semestrielle"),
                    ("yearly", "annuelle"),
                ],
                default="yearly",
                help_text="Chaque mesure couvre exactement une période de cette périodicité.",
                max_length=12,
                verbose_name="périodicité",
            ),
        ),
        migrations.AddField(
            model_name="historicalindicator",
            name="report_delay_days",
            field=models.PositiveSmallIntegerField(
                default=90,
                help_text="Nombre de jours après la fin d'une période où son rapport est dû.",
                validators=[django.core.validators.MaxValueValidator(366)],
                verbose_name="délai de rapportage (jours)",
            ),
        ),
        migrations.AddField(
            model_name="historicalmeasurement",
            name="submitted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="soumise le"),
        ),
        migrations.AddField(
            model_name="indicator",
            name="frequency",
            field=models.CharField(
                choices=[
                    ("monthly", "mensuelle"),
                    ("quarterly", "trimestrielle"),
                    ("half_yearly", "semestrielle"),
                    ("yearly", "annuelle"),
                ],
                default="yearly",
                help_text="Chaque mesure couvre exactement une période de cette périodicité.",
                max_length=12,
                verbose_name="périodicité",
            ),
        ),
        migrations.AddField(
            model_name="indicator",
            name="report_delay_days",
            field=models.PositiveSmallIntegerField(
                default=90,
                help_text="Nombre de jours après la fin d'une période où son rapport est dû.",
                validators=[django.core.validators.MaxValueValidator(366)],
                verbose_name="délai de rapportage (jours)",
            ),
        ),
        migrations.AddField(
            model_name="measurement",
            name="submitted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="soumise le"),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.CheckConstraint(
                condition=models.Q(("frequency__in", ["monthly", "quarterly", "half_yearly", "yearly"])),
                name="indicator_frequency_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.CheckConstraint(
                condition=models.Q(("report_delay_days__gte", 0), ("report_delay_days__lte", 366)),
                name="indicator_report_delay_0_366",
                violation_error_message="Le délai de rapportage doit être compris entre 0 et 366 jours.",
            ),
        ),
        migrations.RunPython(set_frequencies, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(set_submitted_at, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(migrations.RunPython.noop, free_tables, elidable=False),
    ]
