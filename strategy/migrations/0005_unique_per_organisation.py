"""A measurement is unique per indicator, period, breakdown AND reporting organisation:
two organisations reporting the same indicator each keep their own row for a period
(the figures add them up). Before, one organisation's row made another's entry fail
with "a value already exists", which both blocked the partner and told it that a row
it may not read exists."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("strategy", "0004_measurement_indicator_id")]

    operations = [
        migrations.RemoveConstraint(model_name="measurement", name="measurement_unique_per_breakdown"),
        migrations.AddConstraint(
            model_name="measurement",
            constraint=models.UniqueConstraint(
                models.F("indicator"),
                models.F("period_start"),
                models.F("period_end"),
                django.db.models.functions.comparison.Coalesce("region", models.Value(0)),
                django.db.models.functions.comparison.Coalesce("filiere", models.Value(0)),
                models.F("sex"),
                models.F("actor_type"),
                models.F("organisation"),
                name="measurement_unique_per_breakdown",
                violation_error_message=(
                    "Cette organisation a déjà une valeur pour cet indicateur, cette période et cette "
                    "ventilation (région, filière, sexe, type d'acteur)."
                ),
            ),
        ),
    ]
