"""Written comments of the yearly report (one per indicator and year, with history) and
published reports (frozen figures, the PDF in the private storage and its SHA-256).
New tables only: nothing to move, no table rebuilt. The triggers that refuse to change
or delete a publication (strategy/db_rules.py) are installed after migrate like every
trigger set."""

import django.db.models.deletion
import django.db.models.functions.comparison
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import artisanat.documents


class Migration(migrations.Migration):
    dependencies = [
        ("strategy", "0007_reporting_frequency"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalIndicatorComment",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(verbose_name="année")),
                ("text", models.TextField(max_length=4000, verbose_name="commentaire")),
                ("text_ar", models.TextField(blank=True, max_length=4000, verbose_name="commentaire (arabe)")),
                ("version", models.PositiveIntegerField(default=1, editable=False, verbose_name="version")),
                ("updated_at", models.DateTimeField(blank=True, editable=False, verbose_name="modifié le")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "indicator",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="strategy.indicator",
                        verbose_name="indicateur",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="rédigé par",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical commentaire d'indicateur",
                "verbose_name_plural": "historical commentaires d'indicateurs",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="IndicatorComment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(verbose_name="année")),
                ("text", models.TextField(max_length=4000, verbose_name="commentaire")),
                ("text_ar", models.TextField(blank=True, max_length=4000, verbose_name="commentaire (arabe)")),
                ("version", models.PositiveIntegerField(default=1, editable=False, verbose_name="version")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="modifié le")),
                (
                    "indicator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="comments",
                        to="strategy.indicator",
                        verbose_name="indicateur",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="rédigé par",
                    ),
                ),
            ],
            options={
                "verbose_name": "commentaire d'indicateur",
                "verbose_name_plural": "commentaires d'indicateurs",
                "ordering": ["indicator__code", "-year"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("indicator", "year"),
                        name="indicatorcomment_unique_per_year",
                        violation_error_message="Un commentaire existe déjà pour cet indicateur et cette année.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("text", ""), _negated=True),
                        name="indicatorcomment_text_not_empty",
                        violation_error_message="Le commentaire ne peut pas être vide.",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ReportPublication",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("yearly", "Rapport annuel de performance"), ("quarterly", "Revue trimestrielle")],
                        max_length=10,
                        verbose_name="rapport",
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="année")),
                ("quarter", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="trimestre")),
                ("edition", models.PositiveIntegerField(default=1, verbose_name="édition")),
                ("as_of", models.DateField(verbose_name="valeurs au")),
                ("published_at", models.DateTimeField(verbose_name="publié le")),
                ("reason", models.TextField(max_length=2000, verbose_name="motif de la publication")),
                ("figures", models.JSONField(verbose_name="chiffres publiés")),
                (
                    "pdf",
                    artisanat.documents.DocumentField(
                        download_view="strategy:publication_pdf", upload_to="reports", verbose_name="PDF publié"
                    ),
                ),
                ("sha256", models.CharField(max_length=64, verbose_name="empreinte SHA-256 du PDF")),
                (
                    "published_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="publié par",
                    ),
                ),
            ],
            options={
                "verbose_name": "rapport publié",
                "verbose_name_plural": "rapports publiés",
                "ordering": ["-published_at", "-pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("kind__in", ["yearly", "quarterly"])), name="reportpublication_kind_valid"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "yearly"), ("quarter__isnull", True)),
                            models.Q(("kind", "quarterly"), ("quarter__gte", 1), ("quarter__lte", 4)),
                            _connector="OR",
                        ),
                        name="reportpublication_quarter_fits_kind",
                        violation_error_message="Une revue trimestrielle porte un trimestre (1 à 4) ; un rapport annuel n'en porte pas.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("edition__gte", 1)), name="reportpublication_edition_positive"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("reason", ""), _negated=True), name="reportpublication_reason_not_empty"
                    ),
                    models.UniqueConstraint(
                        models.F("kind"),
                        models.F("year"),
                        django.db.models.functions.comparison.Coalesce("quarter", models.Value(0)),
                        models.F("edition"),
                        name="reportpublication_unique_edition",
                        violation_error_message="Cette édition de ce rapport existe déjà.",
                    ),
                ],
            },
        ),
    ]
