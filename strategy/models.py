"""The strategy and its results chain: Strategy → Phase / Axis → Programme → Action,
Indicator → Target and Measurement (the reported actuals, with their workflow)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.models import HistoricalRecords

from artisanat.documents import DocumentField
from artisanat.figures import elapsed_share
from artisanat.i18n import (
    localized,
    working_translation_constraint,
    working_translation_errors,
    working_translation_field,
)
from artisanat.models import Filiere, Organisation, Region
from strategy import figures, periods
from strategy.choices import (
    ActionStatus,
    ActorType,
    Aggregation,
    Direction,
    Frequency,
    MeasurementStatus,
    PhaseCode,
    ReportKind,
    Sex,
    Unit,
)
from strategy.querysets import (
    QUEUE_SINCE,
    ActionQuerySet,
    AxisQuerySet,
    IndicatorQuerySet,
    MeasurementQuerySet,
    PhaseQuerySet,
    ProgrammeQuerySet,
    ReadableQuerySet,
    indicator_rollup,
)

AMOUNT = {"max_digits": 18, "decimal_places": 2}
FIGURE = {"max_digits": 20, "decimal_places": 4}


class Strategy(models.Model):
    """The ten-year sector strategy; everything else hangs from it."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    name_ar = models.CharField(_("nom (arabe)"), max_length=200, blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    source = models.TextField(_("source"), blank=True)

    objects = ReadableQuerySet.as_manager()

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("stratégie")
        verbose_name_plural = _("stratégies")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="strategy_end_after_start"),
        ]

    def __str__(self):
        return localized(self)

    def clean(self):
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": _("La fin de la stratégie doit être postérieure à son début.")})
        if self.pk and self.start_date and self.end_date:
            outside = Q(due_date__lt=self.start_date) | Q(due_date__gt=self.end_date)
            rows = Q(period_start__lt=self.start_date) | Q(period_end__gt=self.end_date)
            if (
                Target.objects.filter(outside, indicator__axis__strategy=self).exists()
                or Measurement.objects.filter(rows, indicator__axis__strategy=self).exists()
            ):
                raise ValidationError(
                    {"end_date": _("Des cibles ou des mesures tomberaient hors des nouvelles dates de la stratégie.")}
                )

    def contains(self, day):
        return self.start_date <= day <= self.end_date


class Phase(models.Model):
    """An execution phase (Relance, Transformation, Accélération) with its dates."""

    strategy = models.ForeignKey(Strategy, verbose_name=_("stratégie"), on_delete=models.CASCADE, related_name="phases")
    code = models.CharField(_("code"), max_length=20, choices=PhaseCode.choices)
    name = models.CharField(_("nom"), max_length=100)
    name_ar = models.CharField(_("nom (arabe)"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("ordre"))
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    source = models.TextField(_("source"), blank=True)

    objects = PhaseQuerySet.as_manager()

    class Meta:
        ordering = ["strategy", "order"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [
            models.UniqueConstraint(fields=["strategy", "code"], name="phase_code_unique_per_strategy"),
            models.UniqueConstraint(fields=["strategy", "order"], name="phase_order_unique_per_strategy"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="phase_end_after_start"),
        ]

    def __str__(self):
        return localized(self)

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            errors["end_date"] = _("La fin de la phase doit être postérieure à son début.")
        if (
            self.strategy_id
            and self.start_date
            and self.end_date
            and not (self.strategy.contains(self.start_date) and self.strategy.contains(self.end_date))
        ):
            errors["end_date"] = _("La phase doit tenir dans les dates de la stratégie.")
        if errors:
            raise ValidationError(errors)

    def elapsed_share(self, today):
        """Share of the phase's duration elapsed at ``today``, between 0 and 1: the
        definition a contract's time elapsed uses too (artisanat.figures.elapsed_share)."""
        return elapsed_share(self.start_date, self.end_date, today) / 100


class Axis(models.Model):
    """A strategic axis (axe stratégique)."""

    strategy = models.ForeignKey(Strategy, verbose_name=_("stratégie"), on_delete=models.CASCADE, related_name="axes")
    number = models.PositiveSmallIntegerField(_("numéro"))
    title = models.CharField(_("intitulé"), max_length=200)
    title_ar = models.CharField(_("intitulé (arabe)"), max_length=200, blank=True)
    arabic_is_working_translation = working_translation_field()
    description = models.TextField(_("description"), blank=True)

    objects = AxisQuerySet.as_manager()

    class Meta:
        ordering = ["strategy", "number"]
        verbose_name = _("axe stratégique")
        verbose_name_plural = _("axes stratégiques")
        constraints = [
            models.UniqueConstraint(fields=["strategy", "number"], name="axis_number_unique_per_strategy"),
            models.CheckConstraint(condition=Q(number__gte=1), name="axis_number_positive"),
            working_translation_constraint("axis_working_translation_has_text", "title_ar"),
        ]

    def __str__(self):
        return f"{self.number}. {localized(self, 'title')}"

    def clean(self):
        if errors := working_translation_errors(self, "title_ar"):
            raise ValidationError(errors)

    @property
    def rollup(self):
        """Roll-up of its indicators; needs ``.with_rollup()`` on the queryset."""
        return indicator_rollup(self.figure_indicators)


class Programme(models.Model):
    """A programme (objective) under an axis."""

    axis = models.ForeignKey(Axis, verbose_name=_("axe"), on_delete=models.CASCADE, related_name="programmes")
    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("intitulé"), max_length=200)
    title_ar = models.CharField(_("intitulé (arabe)"), max_length=200, blank=True)
    arabic_is_working_translation = working_translation_field()
    objective = models.TextField(_("objectif"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["axis__number", "code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [working_translation_constraint("programme_working_translation_has_text", "title_ar")]

    def __str__(self):
        return f"{self.code} — {localized(self, 'title')}"

    def clean(self):
        if errors := working_translation_errors(self, "title_ar"):
            raise ValidationError(errors)

    @property
    def rollup(self):
        """Roll-up of its indicators; needs ``.with_rollup()`` on the queryset."""
        return indicator_rollup(self.figure_indicators)


class Action(models.Model):
    """A measure carried out under a programme, led by one organisation."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="actions"
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("intitulé"), max_length=250)
    lead_organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation pilote"), on_delete=models.PROTECT, related_name="led_actions"
    )
    phase = models.ForeignKey(Phase, verbose_name=_("phase"), on_delete=models.PROTECT, related_name="actions")
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    budget = models.DecimalField(_("budget (DH)"), **AMOUNT, default=Decimal("0"))
    status = models.CharField(_("statut"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    progress = models.DecimalField(
        _("avancement (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    progress_reason = models.CharField(
        _("motif de l'avancement saisi"),
        max_length=300,
        blank=True,
        help_text=_("Sur quoi repose la valeur saisie à la main (rapport, comité, visite…)."),
    )
    progress_date = models.DateField(
        _("date de l'avancement saisi"),
        null=True,
        blank=True,
        help_text=_("La valeur saisie compte à partir de cette date ; vide : aucune valeur saisie."),
    )
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["programme__code", "code"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="action_end_after_start"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="action_budget_not_negative"),
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="action_progress_0_100"),
            models.CheckConstraint(condition=Q(status__in=ActionStatus.values), name="action_status_valid"),
            # A value entered by hand carries its date and its reason; without a date,
            # nothing was entered (progress 0, no reason).
            models.CheckConstraint(
                condition=Q(progress_date__isnull=True, progress=0, progress_reason="")
                | (Q(progress_date__isnull=False) & ~Q(progress_reason="")),
                name="action_manual_progress_has_reason",
                violation_error_message=_("Un avancement saisi à la main porte sa date et son motif."),
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.title}"

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("La date de fin doit être postérieure ou égale à la date de début.")
        if self.budget is not None and self.budget < 0:
            errors["budget"] = _("Le budget ne peut pas être négatif.")
        entered = self.progress_date is not None or (self.progress or 0) != 0 or bool(self.progress_reason)
        if entered and not (self.progress_reason or "").strip():
            errors["progress_reason"] = _("Indiquez sur quoi repose l'avancement saisi à la main.")
        elif entered and self.progress_date is None:
            errors["progress_date"] = _("Indiquez la date de l'avancement saisi à la main.")
        if errors:
            raise ValidationError(errors)

    @property
    def manual_progress(self):
        """The value entered by hand, when one was entered (on or before the figures'
        date when they have one), else None."""
        if self.progress_date is None:
            return None
        as_of = getattr(self, "fig_as_of", None)
        if as_of is not None and self.progress_date > as_of:
            return None
        return self.progress

    @property
    def advancement(self):
        """The action's progress and its parts (strategy.figures.action_progress): needs
        ``Action.objects.with_progress(as_of)`` (or ``with_milestone_counts`` and
        ``figure_indicators`` set by the page)."""
        if not hasattr(self, "fig_as_of") or not hasattr(self, "figure_indicators"):
            raise AttributeError("Use Action.objects.with_progress() to read an action's progress.")
        milestones = figures.milestone_completion(
            getattr(self, "fig_milestones_met", None),
            getattr(self, "fig_milestones_partial", None),
            getattr(self, "fig_milestones_counted", None),
        )
        return figures.action_progress(
            indicator_rollup(self.figure_indicators).progress, milestones, self.manual_progress
        )


class Indicator(models.Model):
    """A measured result: what is counted, how periods add up, its baseline and breakdown."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("nom"), max_length=250)
    name_ar = models.CharField(_("nom (arabe)"), max_length=250, blank=True)
    arabic_is_working_translation = working_translation_field()
    definition = models.TextField(_("définition"), blank=True)
    definition_ar = models.TextField(_("définition (arabe)"), blank=True)
    axis = models.ForeignKey(Axis, verbose_name=_("axe"), on_delete=models.PROTECT, related_name="indicators")
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="indicators",
        null=True,
        blank=True,
    )
    action = models.ForeignKey(
        "Action",
        verbose_name=_("action"),
        on_delete=models.PROTECT,
        related_name="indicators",
        null=True,
        blank=True,
        help_text=_("L'action dont cet indicateur mesure l'avancement, le cas échéant."),
    )
    unit = models.CharField(_("unité"), max_length=20, choices=Unit.choices)
    direction = models.CharField(_("sens"), max_length=10, choices=Direction.choices, default=Direction.INCREASE)
    aggregation = models.CharField(_("agrégation"), max_length=10, choices=Aggregation.choices)
    baseline_value = models.DecimalField(_("valeur de référence"), **FIGURE)
    baseline_date = models.DateField(_("date de la valeur de référence"))
    baseline_source = models.TextField(_("source de la valeur de référence"))
    weight = models.DecimalField(_("poids"), max_digits=6, decimal_places=2, default=Decimal("1"))
    reporting_organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisations rapporteuses"), related_name="reported_indicators", blank=True
    )
    by_region = models.BooleanField(_("ventilé par région"), default=False)
    by_filiere = models.BooleanField(_("ventilé par filière"), default=False)
    by_sex = models.BooleanField(_("ventilé par sexe"), default=False)
    by_actor_type = models.BooleanField(_("ventilé par type d'acteur"), default=False)
    frequency = models.CharField(
        _("périodicité"),
        max_length=12,
        choices=Frequency.choices,
        default=Frequency.YEARLY,
        help_text=_("Chaque mesure couvre exactement une période de cette périodicité."),
    )
    report_delay_days = models.PositiveSmallIntegerField(
        _("délai de rapportage (jours)"),
        default=90,
        validators=[MaxValueValidator(366)],
        help_text=_("Nombre de jours après la fin d'une période où son rapport est dû."),
    )
    public_from = models.DateField(
        _("public à partir du"),
        null=True,
        blank=True,
        help_text=_(
            "Laissez vide pour garder l'indicateur interne. Daté : il paraît sur les pages publiques "
            "à partir de ce jour, avec les valeurs validées de la dernière publication des données ouvertes."
        ),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords(m2m_fields=[reporting_organisations])

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="indicator_weight_positive"),
            models.CheckConstraint(condition=Q(aggregation__in=Aggregation.values), name="indicator_aggregation_valid"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="indicator_direction_valid"),
            models.CheckConstraint(condition=Q(unit__in=Unit.values), name="indicator_unit_valid"),
            models.CheckConstraint(condition=Q(frequency__in=Frequency.values), name="indicator_frequency_valid"),
            models.CheckConstraint(
                condition=Q(report_delay_days__gte=0, report_delay_days__lte=366),
                name="indicator_report_delay_0_366",
                violation_error_message=_("Le délai de rapportage doit être compris entre 0 et 366 jours."),
            ),
            working_translation_constraint("indicator_working_translation_has_text", "name_ar"),
        ]

    def __str__(self):
        return f"{self.code} — {localized(self)}"

    def clean(self):
        errors = working_translation_errors(self, "name_ar")
        if self.programme_id and self.axis_id and self.programme.axis_id != self.axis_id:
            errors["programme"] = _("Le programme choisi n'appartient pas à l'axe de l'indicateur.")
        if self.action_id and self.action.programme_id != self.programme_id:
            errors["action"] = _("L'action choisie n'appartient pas au programme de l'indicateur.")
        if self.weight is not None and self.weight <= 0:
            errors["weight"] = _("Le poids doit être strictement positif.")
        if self.pk:
            rows = Measurement.objects.filter(indicator=self)
            misfits = {
                "by_region": rows.filter(region__isnull=self.by_region),
                "by_filiere": rows.filter(filiere__isnull=self.by_filiere),
                "by_sex": rows.filter(sex="") if self.by_sex else rows.exclude(sex=""),
                "by_actor_type": rows.filter(actor_type="") if self.by_actor_type else rows.exclude(actor_type=""),
                "aggregation": rows.filter(value__isnull=self.aggregation != Aggregation.RATIO),
            }
            for field, misfit in misfits.items():
                named = _named_rows(
                    misfit.order_by("period_start", "pk").values_list("pk", "period_start", "period_end")[:6]
                )
                if named:
                    errors[field] = _(
                        "Des mesures déjà saisies ne suivent pas ce choix (%(rows)s) : "
                        "corrigez-les ou supprimez-les d'abord."
                    ) % {"rows": named}
            frequency_misfits = self._frequency_misfits()
            if frequency_misfits:
                errors["frequency"] = frequency_misfits
        if self.axis_id and self.baseline_date:
            strategy = self.axis.strategy
            if self.baseline_date > strategy.end_date:
                errors["baseline_date"] = _(
                    "La date de référence ne peut pas être postérieure à la fin de la stratégie."
                )
        if errors:
            raise ValidationError(errors)

    def _frequency_misfits(self):
        """When the frequency changes: the message naming the rows (first five, id and
        period) that are not exactly one period of the new one; "" otherwise. Only a
        change is checked, as the database does (strategy/db_rules.py): rows recorded
        before the rule may not fit, and must not forbid editing the indicator's name."""
        if self.frequency not in Frequency.values:
            return ""
        stored = Indicator.objects.filter(pk=self.pk).values_list("frequency", flat=True).first()
        if stored in (None, self.frequency):
            return ""
        rows = Measurement.objects.filter(indicator=self).order_by("period_start", "pk")
        misfits = [
            (pk, start, end)
            for pk, start, end in rows.values_list("pk", "period_start", "period_end")
            if not periods.is_period(self.frequency, start, end)
        ]
        if not misfits:
            return ""
        named = _named_rows(misfits)
        return ngettext(
            "%(count)d mesure déjà saisie ne couvre pas exactement une période de la périodicité %(frequency)s : "
            "%(rows)s. Corrigez sa période d'abord.",
            "%(count)d mesures déjà saisies ne couvrent pas exactement une période de la périodicité %(frequency)s : "
            "%(rows)s. Corrigez leurs périodes d'abord.",
            len(misfits),
        ) % {"count": len(misfits), "frequency": Frequency(self.frequency).label, "rows": named}

    @property
    def dimensions(self):
        """The breakdown dimensions its measurements must fill, in a fixed order."""
        return [
            name
            for name, on in (
                ("region", self.by_region),
                ("filiere", self.by_filiere),
                ("sex", self.by_sex),
                ("actor_type", self.by_actor_type),
            )
            if on
        ]

    # Figures. The raw aggregates come from IndicatorQuerySet.with_figures(); these
    # properties only apply the pure formulas of strategy.figures to them.
    def _need_figures(self):
        if not hasattr(self, "fig_as_of"):
            raise AttributeError("Use Indicator.objects.with_figures() to read figures.")

    @property
    def achieved(self):
        self._need_figures()
        return figures.achieved(
            self.aggregation,
            sum_all=self.fig_sum_all,
            periods=self.fig_periods,
            latest_total=self.fig_latest_total,
            latest_numerator=self.fig_latest_numerator,
            latest_denominator=self.fig_latest_denominator,
        )

    @property
    def has_data(self):
        return self.achieved is not None

    @property
    def latest_value(self):
        """The value of the latest validated period (its end: ``fig_latest_end``), the
        indicators list's "Dernière donnée": that period's total, or its ratio in % for a
        ratio indicator; None without data."""
        self._need_figures()
        if self.aggregation == Aggregation.RATIO:
            return figures.achieved(
                Aggregation.RATIO,
                sum_all=None,
                periods=None,
                latest_total=None,
                latest_numerator=self.fig_latest_numerator,
                latest_denominator=self.fig_latest_denominator,
            )
        return figures.achieved(
            Aggregation.LATEST,
            sum_all=None,
            periods=None,
            latest_total=self.fig_latest_total,
            latest_numerator=None,
            latest_denominator=None,
        )

    @property
    def target_value(self):
        self._need_figures()
        return self.fig_target_value

    @property
    def figure_baseline(self):
        """The baseline figures start from. The baseline is national: a region's or a
        filière's figures can use it only for a cumulative count from zero; otherwise
        progress and status are not defined for that scope (None), not made up. A scope
        by sex or actor type has no target, hence no baseline: values without progress."""
        self._need_figures()
        if getattr(self, "fig_without_targets", False):
            return None
        if not self.fig_scoped:
            return self.baseline_value
        return figures.scoped_baseline(self.aggregation, self.baseline_value)

    @property
    def without_phase_target(self):
        """Scoped to a phase (querysets.phase_scope) and without a target due at its end:
        the indicator has neither progress nor status in that phase."""
        self._need_figures()
        return getattr(self, "fig_phase_end", None) is not None and self.fig_target_value is None

    @property
    def progress(self):
        self._need_figures()
        return figures.progress(self.achieved, self.figure_baseline, self.fig_target_value, self.direction)

    @property
    def expected(self):
        self._need_figures()
        return figures.expected_value(
            self.fig_as_of,
            self.figure_baseline,
            self.baseline_date,
            self.fig_prev_target_date,
            self.fig_prev_target_value,
            self.fig_next_target_date,
            self.fig_next_target_value,
        )

    @property
    def status_expected(self):
        """The trajectory's value at the end of the latest validated period (not at
        ``as_of``): what the status compares the achieved value with — a 2024 value is
        judged against where 2024 should have been. None without data."""
        self._need_figures()
        if self.fig_latest_end is None:
            return None
        return figures.expected_value(
            self.fig_latest_end,
            self.figure_baseline,
            self.baseline_date,
            self.fig_end_prev_target_date,
            self.fig_end_prev_target_value,
            self.fig_end_next_target_date,
            self.fig_end_next_target_value,
        )

    @property
    def performance(self):
        """(achieved − baseline) ÷ (expected − baseline), the ratio behind the status,
        with the value expected at the end of the latest validated period. Scoped to a
        phase, against the same target as progress: none without a target due at its end."""
        self._need_figures()
        if self.without_phase_target:
            return None
        return figures.performance(self.achieved, self.figure_baseline, self.status_expected, self.direction)

    @property
    def status(self):
        return figures.trajectory_status(self.performance)

    @property
    def data_late_since(self):
        """The due date of the indicator's next report when it has passed as of the date
        (the data are late since then), else None (strategy.figures.data_late_since)."""
        self._need_figures()
        return figures.data_late_since(
            self.fig_as_of,
            self.frequency,
            self.report_delay_days,
            # The national latest period when the figures are scoped (querysets.with_status_figures).
            getattr(self, "fig_reported_end", self.fig_latest_end),
            self.fig_strategy_start,
            self.baseline_date,
            self.fig_strategy_end,
        )

    @property
    def data_late(self):
        return self.data_late_since is not None

    @property
    def forecast_date(self):
        self._need_figures()
        goal_value = self.fig_next_target_value if self.fig_next_target_value is not None else self.fig_target_value
        return figures.forecast_date(
            self.achieved,
            self.fig_latest_end,
            self.figure_baseline,
            self.baseline_date,
            goal_value,
        )


def _named_rows(rows, shown=5):
    """``n° 12 (01/01/2024–31/12/2024), …``: the first ``shown`` of (pk, start, end)
    measurement rows, "…" when there are more; "" when there are none."""
    rows = list(rows)
    named = ", ".join(f"n° {pk} ({start:%d/%m/%Y}–{end:%d/%m/%Y})" for pk, start, end in rows[:shown])
    return named + ", …" if len(rows) > shown else named


def _target_scope_key(region_field="region", filiere_field="filiere"):
    return (Coalesce(region_field, Value(0)), Coalesce(filiere_field, Value(0)))


class Target(models.Model):
    """A value an indicator should reach by a due date (end of a year or of a phase),
    nationally or for one region or filière."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicateur"), on_delete=models.CASCADE, related_name="targets"
    )
    due_date = models.DateField(_("échéance"))
    value = models.DecimalField(_("valeur cible"), **FIGURE)
    region = models.ForeignKey(Region, verbose_name=_("région"), on_delete=models.PROTECT, null=True, blank=True)
    filiere = models.ForeignKey(Filiere, verbose_name=_("filière"), on_delete=models.PROTECT, null=True, blank=True)
    source = models.TextField(_("source"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    history = HistoricalRecords()

    objects = ReadableQuerySet.as_manager()

    class Meta:
        ordering = ["indicator__code", "due_date"]
        verbose_name = _("cible")
        verbose_name_plural = _("cibles")
        constraints = [
            models.UniqueConstraint(
                F("indicator"),
                F("due_date"),
                *_target_scope_key(),
                name="target_unique_per_scope",
                violation_error_message=_("Une cible existe déjà pour cet indicateur, cette échéance et ce périmètre."),
            ),
        ]
        indexes = [models.Index(fields=["indicator", "due_date"], name="target_indicator_due")]

    def __str__(self):
        return f"{self.indicator.code} · {self.due_date:%d/%m/%Y} · {self.value}"

    def clean(self):
        if self.indicator_id and self.due_date:
            strategy = self.indicator.axis.strategy
            if not strategy.contains(self.due_date):
                raise ValidationError(
                    {
                        "due_date": _(
                            "L'échéance doit tomber entre le %(start)s et le %(end)s (dates de la stratégie)."
                        )
                        % {"start": f"{strategy.start_date:%d/%m/%Y}", "end": f"{strategy.end_date:%d/%m/%Y}"}
                    }
                )
            if self.due_date <= self.indicator.baseline_date:
                raise ValidationError(
                    {
                        "due_date": _("L'échéance doit suivre la date de la valeur de référence (%(date)s).")
                        % {"date": f"{self.indicator.baseline_date:%d/%m/%Y}"}
                    }
                )


class Measurement(models.Model):
    """A reported actual for one period and one row of the indicator's breakdown.

    Only validated measurements count in figures. State changes go through
    strategy.services (submit, validate, return, reopen)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicateur"), on_delete=models.PROTECT, related_name="measurements"
    )
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    value = models.DecimalField(_("valeur"), **FIGURE, null=True, blank=True)
    numerator = models.DecimalField(_("numérateur"), **FIGURE, null=True, blank=True)
    denominator = models.DecimalField(_("dénominateur"), **FIGURE, null=True, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("région"), on_delete=models.PROTECT, null=True, blank=True)
    filiere = models.ForeignKey(Filiere, verbose_name=_("filière"), on_delete=models.PROTECT, null=True, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, blank=True, default="")
    actor_type = models.CharField(_("type d'acteur"), max_length=20, choices=ActorType.choices, blank=True, default="")
    source = models.TextField(_("source"), blank=True)
    # Private: stored under a random name, read through strategy:measurement_evidence only
    # (artisanat/documents.py); evidence_name keeps the name the reporter gave it.
    evidence = DocumentField(
        _("pièce justificative"),
        upload_to="evidence",
        blank=True,
        name_field="evidence_name",
        download_view="strategy:measurement_evidence",
    )
    evidence_name = models.CharField(_("nom de la pièce justificative"), max_length=200, blank=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation rapporteuse"), on_delete=models.PROTECT, related_name="measurements"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saisie par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=MeasurementStatus.choices, default=MeasurementStatus.DRAFT
    )
    status_reason = models.TextField(_("motif du dernier changement de statut"), blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("validée par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)
    # When the row was first submitted (kept on resubmission): the reporting calendar
    # counts a report received, and on time, from it (strategy/calendar.py).
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    history = HistoricalRecords()

    objects = MeasurementQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "indicator__code", "pk"]
        verbose_name = _("mesure")
        verbose_name_plural = _("mesures")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="measurement_period_end_after_start",
                violation_error_message=_("La fin de période doit être postérieure ou égale à son début."),
            ),
            models.CheckConstraint(
                condition=(Q(value__isnull=False, numerator__isnull=True, denominator__isnull=True))
                | Q(
                    value__isnull=True,
                    numerator__isnull=False,
                    numerator__gte=0,
                    denominator__isnull=False,
                    denominator__gt=0,
                ),
                name="measurement_value_or_ratio",
                violation_error_message=_(
                    "Une mesure porte soit une valeur, soit un numérateur et un dénominateur strictement positif."
                ),
            ),
            models.CheckConstraint(condition=Q(status__in=MeasurementStatus.values), name="measurement_status_valid"),
            models.CheckConstraint(condition=Q(sex__in=["", *Sex.values]), name="measurement_sex_valid"),
            models.CheckConstraint(
                condition=Q(actor_type__in=["", *ActorType.values]), name="measurement_actor_type_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=MeasurementStatus.RETURNED) | ~Q(status_reason=""),
                name="measurement_returned_has_reason",
                violation_error_message=_("Une mesure renvoyée doit porter le motif du renvoi."),
            ),
            # One value per reporting organisation: two organisations reporting the same
            # indicator each have their own row for a period (the figures add them up),
            # and one organisation's row never blocks, nor reveals, another's.
            models.UniqueConstraint(
                F("indicator"),
                F("period_start"),
                F("period_end"),
                *_target_scope_key(),
                F("sex"),
                F("actor_type"),
                F("organisation"),
                name="measurement_unique_per_breakdown",
                violation_error_message=_(
                    "Cette organisation a déjà une valeur pour cet indicateur, cette période et cette "
                    "ventilation (région, filière, sexe, type d'acteur)."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "status", "period_end"], name="measurement_figures"),
            models.Index(fields=["organisation", "status"], name="measurement_org_status"),
            models.Index(fields=["status", "period_end"], name="measurement_status_period"),
            # The API's measurement list filtered by indicator and region, newest id first.
            models.Index(fields=["indicator", "region", "id"], name="measurement_indicator_region"),
            # One indicator's rows newest first (indicator page, API ?indicator=): without it
            # PostgreSQL walks the primary key backwards through the whole history.
            models.Index(fields=["indicator", "id"], name="measurement_indicator_id"),
            # The validation queue, oldest first (MeasurementQuerySet.queue_order): without
            # it every page sorts the whole queue.
            models.Index(F("status"), QUEUE_SINCE, F("id"), name="measurement_queue"),
        ]

    # Set by the workflow (strategy/services.py) while it sends the row back to its
    # reporter (return, reopen): a row recorded before the period rule, whose period
    # does not fit its indicator's frequency, may still go back to be corrected; every
    # other change of it is refused until its period fits (strategy/db_rules.py).
    _sending_back = False

    def __str__(self):
        return f"{self.indicator.code} · {self.period_start:%d/%m/%Y}–{self.period_end:%d/%m/%Y}"

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("La fin de période doit être postérieure ou égale à son début.")
        indicator = self.indicator if self.indicator_id else None
        if indicator is not None:
            strategy = indicator.axis.strategy
            if (
                self.period_start
                and self.period_end
                and not (strategy.contains(self.period_start) and strategy.contains(self.period_end))
            ):
                errors["period_start"] = _(
                    "La période doit tenir entre le %(start)s et le %(end)s (dates de la stratégie)."
                ) % {"start": f"{strategy.start_date:%d/%m/%Y}", "end": f"{strategy.end_date:%d/%m/%Y}"}
            elif (
                self.period_start
                and self.period_end
                and indicator.frequency in Frequency.values
                and not self._sending_back
                and "period_end" not in errors
                and not periods.is_period(indicator.frequency, self.period_start, self.period_end)
            ):
                errors["period_end"] = periods.misfit_message(indicator.frequency, self.period_start, self.period_end)
            if indicator.aggregation == Aggregation.RATIO:
                if self.value is not None:
                    errors["value"] = _("Cet indicateur est un ratio : saisissez un numérateur et un dénominateur.")
                if self.numerator is None:
                    errors["numerator"] = _("Le numérateur est obligatoire pour un ratio.")
                elif self.numerator < 0:
                    errors["numerator"] = _("Le numérateur ne peut pas être négatif.")
                if self.denominator is None:
                    errors["denominator"] = _("Le dénominateur est obligatoire pour un ratio.")
                elif self.denominator <= 0:
                    errors["denominator"] = _("Le dénominateur doit être strictement positif.")
            else:
                if self.value in (None, ""):
                    errors["value"] = _("La valeur est obligatoire.")
                if self.numerator is not None or self.denominator is not None:
                    errors["numerator"] = _("Numérateur et dénominateur ne servent qu'aux indicateurs de type ratio.")
            wanted = set(indicator.dimensions)
            for field, label in (
                ("region", _("la région")),
                ("filiere", _("la filière")),
                ("sex", _("le sexe")),
                ("actor_type", _("le type d'acteur")),
            ):
                filled = bool(getattr(self, f"{field}_id" if field in {"region", "filiere"} else field))
                if field in wanted and not filled:
                    errors[field] = _("Cet indicateur est ventilé par %(dim)s : renseignez ce champ.") % {"dim": label}
                elif field not in wanted and filled:
                    errors[field] = _("Cet indicateur n'est pas ventilé par %(dim)s : laissez ce champ vide.") % {
                        "dim": label
                    }
        if self.status == MeasurementStatus.RETURNED and not self.status_reason:
            errors["status_reason"] = _("Une mesure renvoyée doit porter le motif du renvoi.")
        if errors:
            raise ValidationError(errors)

    @property
    def amount(self):
        """The row's figure: its value, or numerator ÷ denominator as a percentage
        (``figures.measurement_amount``: the ratio as a ratio indicator computes it)."""
        return figures.measurement_amount(self.value, self.numerator, self.denominator)

    @property
    def is_ratio(self):
        """A ratio row (numerator and denominator): its figure reads as a percentage."""
        return self.value is None and self.numerator is not None

    # What a validator judges a row by: read from ``Measurement.objects.with_validation_context``.

    def _need_context(self):
        if not hasattr(self, "fig_as_of"):
            raise AttributeError("Use Measurement.objects.with_validation_context() to read this.")

    @cached_property
    def previous_amount(self):
        """The figure of the latest validated earlier period of the same series (indicator,
        organisation, breakdown row); None when there is none."""
        self._need_context()
        return figures.measurement_amount(self.fig_prev_value, self.fig_prev_numerator, self.fig_prev_denominator)

    @cached_property
    def change(self):
        """(difference, percentage) from ``previous_amount`` to ``amount``."""
        return figures.change(self.previous_amount, self.amount)

    @property
    def change_abs(self):
        return self.change[0]

    @property
    def change_pct(self):
        return self.change[1]

    @property
    def period_target(self):
        """The target due at the end of the row's period for its scope; none for a row by
        sex or actor type (targets are never set by them)."""
        self._need_context()
        if self.sex or self.actor_type:
            return None
        return self.fig_period_target

    @property
    def age_days(self):
        """Days since the row was first submitted (in the portal's time zone), counted to
        the context's date; None for a row without a submission date."""
        self._need_context()
        since = timezone.localdate(self.submitted_at) if self.submitted_at else None
        return figures.age_days(since, self.fig_as_of)


class TotalColumns(models.Model):
    """The columns of a stored total (``PeriodTotal``) and of its published copy
    (``PublishedTotal``): the figures' querysets read either with the same code."""

    indicator = models.ForeignKey(Indicator, verbose_name=_("indicateur"), on_delete=models.CASCADE, related_name="+")
    region_key = models.IntegerField(_("région (0 : toutes)"), default=0)
    filiere_key = models.IntegerField(_("filière (0 : toutes)"), default=0)
    sex_key = models.CharField(_("sexe (vide : tous)"), max_length=1, blank=True, default="")
    actor_key = models.CharField(_("type d'acteur (vide : tous)"), max_length=20, blank=True, default="")
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    row_count = models.PositiveIntegerField(_("mesures validées"))
    total = models.DecimalField(_("total"), max_digits=24, decimal_places=4, default=Decimal(0))
    value_rows = models.PositiveIntegerField(_("mesures avec une valeur"), default=0)
    numerator = models.DecimalField(_("numérateur"), max_digits=24, decimal_places=4, default=Decimal(0))
    denominator = models.DecimalField(_("dénominateur"), max_digits=24, decimal_places=4, default=Decimal(0))
    ratio_rows = models.PositiveIntegerField(_("mesures avec un ratio"), default=0)
    cum_total = models.DecimalField(_("total cumulé"), max_digits=24, decimal_places=4, default=Decimal(0))
    cum_value_rows = models.PositiveIntegerField(_("mesures avec une valeur, cumulées"), default=0)
    cum_periods = models.PositiveIntegerField(_("périodes cumulées"))

    class Meta:
        abstract = True


class PeriodTotal(TotalColumns):
    """Validated totals of one indicator for one period and one scope, kept by database
    triggers on every write of a measurement (strategy.stored_figures), whatever path
    writes: services, admin, imports, bulk inserts, raw SQL. ``region_key`` /
    ``filiere_key`` are 0 for "all", ``sex_key`` / ``actor_key`` '' for "all": (0, 0, '',
    '') is the national scope, (r, 0, '', '') one region, (0, f, '', '') one filière,
    (r, f, '', '') both, (0, 0, s, '') one sex, (0, 0, '', a) one actor type and
    (r, 0, s, '') one sex in one region (stored_figures.SCOPES). The ``cum_*`` columns add up every period of the
    same scope that ends on or before this one, so figures "as of D" are one index seek
    (the latest period ending on or before D) whatever the length of the history.
    Rebuilt from the measurements by ``strategy.services.rebuild_figures``."""

    class Meta:
        verbose_name = _("total de période validé")
        verbose_name_plural = _("totaux de période validés")
        constraints = [
            # Also the index of the "latest period on or before D" seek.
            models.UniqueConstraint(
                fields=["indicator", "region_key", "filiere_key", "sex_key", "actor_key", "period_end", "period_start"],
                name="periodtotal_unique_scope_period",
            ),
            models.CheckConstraint(condition=Q(row_count__gt=0), name="periodtotal_has_rows"),
            models.CheckConstraint(
                condition=Q(value_rows__lte=F("row_count"), ratio_rows__lte=F("row_count")),
                name="periodtotal_row_counts",
            ),
            models.CheckConstraint(condition=Q(cum_periods__gt=0), name="periodtotal_cum_periods_positive"),
            models.CheckConstraint(condition=Q(region_key__gte=0, filiere_key__gte=0), name="periodtotal_scope_keys"),
        ]

    def __str__(self):
        scope = f"{self.region_key}/{self.filiere_key}/{self.sex_key or '-'}/{self.actor_key or '-'}"
        return f"{self.indicator_id} · {scope} · {self.period_start}–{self.period_end}"


class OpenDataRelease(models.Model):
    """A publication of the open data: the moment the ministry made the validated figures
    of its public indicators (``Indicator.public_from``) the public's. The public pages
    and API read the figures as they stood then (``PublishedTotal``, copied from the
    stored totals by strategy.services.release_open_data), not every validation as it
    happens: a published figure changes only when the ministry publishes again. Never
    edited; each release gets the next ``number`` (the public ETags carry it)."""

    number = models.PositiveIntegerField(_("numéro"), unique=True)
    released_at = models.DateTimeField(_("publiée le"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("publiée par"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("motif de la publication"), max_length=2000)
    indicators = models.ManyToManyField(
        Indicator, verbose_name=_("indicateurs publiés"), related_name="open_data_releases", blank=True
    )
    total_rows = models.PositiveIntegerField(_("totaux publiés"), default=0)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("publication des données ouvertes")
        verbose_name_plural = _("publications des données ouvertes")
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=1), name="opendatarelease_number_positive"),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="opendatarelease_reason_not_empty",
                violation_error_message=_("Indiquez le motif de la publication."),
            ),
        ]

    def __str__(self):
        return _("Publication n° %(n)s du %(d)s") % {
            "n": self.number,
            "d": timezone.localtime(self.released_at).strftime("%d/%m/%Y %H:%M"),
        }

    def clean(self):
        if self.reason is not None and not self.reason.strip():
            raise ValidationError({"reason": _("Indiquez le motif de la publication.")})


class PublishedTotal(TotalColumns):
    """The stored totals (``PeriodTotal``) of the public indicators as the last open-data
    release copied them: what the public pages and API read (``published=True`` on the
    figures' querysets). Replaced as a whole by each release."""

    class Meta:
        verbose_name = _("total publié")
        verbose_name_plural = _("totaux publiés")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region_key", "filiere_key", "sex_key", "actor_key", "period_end", "period_start"],
                name="publishedtotal_unique_scope_period",
            ),
            models.CheckConstraint(condition=Q(row_count__gt=0), name="publishedtotal_has_rows"),
            models.CheckConstraint(condition=Q(cum_periods__gt=0), name="publishedtotal_cum_periods_positive"),
        ]

    def __str__(self):
        scope = f"{self.region_key}/{self.filiere_key}/{self.sex_key or '-'}/{self.actor_key or '-'}"
        return f"{self.indicator_id} · {scope} · {self.period_start}–{self.period_end}"


class IndicatorComment(models.Model):
    """What an editor writes about an indicator for one reporting year (what explains
    the gap, what is being done): shown in the yearly report beside the figures, with
    its history. Written through strategy.services.save_indicator_comment only."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicateur"), on_delete=models.CASCADE, related_name="comments"
    )
    year = models.PositiveSmallIntegerField(_("année"))
    text = models.TextField(_("commentaire"), max_length=4000)
    text_ar = models.TextField(_("commentaire (arabe)"), max_length=4000, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rédigé par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    history = HistoricalRecords()

    objects = ReadableQuerySet.as_manager()

    class Meta:
        ordering = ["indicator__code", "-year"]
        verbose_name = _("commentaire d'indicateur")
        verbose_name_plural = _("commentaires d'indicateurs")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year"],
                name="indicatorcomment_unique_per_year",
                violation_error_message=_("Un commentaire existe déjà pour cet indicateur et cette année."),
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="indicatorcomment_text_not_empty",
                violation_error_message=_("Le commentaire ne peut pas être vide."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} · {self.year}"

    def clean(self):
        errors = {}
        if self.text is not None and not self.text.strip():
            errors["text"] = _("Le commentaire ne peut pas être vide.")
        if self.indicator_id and self.year is not None:
            strategy = self.indicator.axis.strategy
            if not strategy.start_date.year <= self.year <= strategy.end_date.year:
                errors["year"] = _(
                    "L'année doit être comprise entre %(start)s et %(end)s (années de la stratégie)."
                ) % {
                    "start": strategy.start_date.year,
                    "end": strategy.end_date.year,
                }
        if errors:
            raise ValidationError(errors)


class ReportPublication(models.Model):
    """A published report, frozen: the figures exactly as the report rendered them when
    it was published (``figures``, strategy/reports.py), and the PDF sent (private
    storage, read through strategy:publication_pdf; ``sha256`` of its bytes). Never
    edited, never deleted: the admin refuses it, and the database too (the triggers
    of strategy/db_rules.py ``PUBLICATION_FROZEN``). Publishing the same report again
    makes a new ``edition``; both are kept. Written by strategy.services.publish_report."""

    kind = models.CharField(_("rapport"), max_length=10, choices=ReportKind.choices)
    year = models.PositiveSmallIntegerField(_("année"))
    quarter = models.PositiveSmallIntegerField(_("trimestre"), null=True, blank=True)
    edition = models.PositiveIntegerField(_("édition"), default=1)
    as_of = models.DateField(_("valeurs au"))
    published_at = models.DateTimeField(_("publié le"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("publié par"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("motif de la publication"), max_length=2000)
    figures = models.JSONField(_("chiffres publiés"))
    pdf = DocumentField(_("PDF publié"), upload_to="reports", download_view="strategy:publication_pdf")
    sha256 = models.CharField(_("empreinte SHA-256 du PDF"), max_length=64)

    objects = ReadableQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("rapport publié")
        verbose_name_plural = _("rapports publiés")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReportKind.values), name="reportpublication_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind=ReportKind.YEARLY) & Q(quarter__isnull=True))
                | (Q(kind=ReportKind.QUARTERLY) & Q(quarter__gte=1, quarter__lte=4)),
                name="reportpublication_quarter_fits_kind",
                violation_error_message=_(
                    "Une revue trimestrielle porte un trimestre (1 à 4) ; un rapport annuel n'en porte pas."
                ),
            ),
            models.CheckConstraint(condition=Q(edition__gte=1), name="reportpublication_edition_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="reportpublication_reason_not_empty"),
            models.UniqueConstraint(
                F("kind"),
                F("year"),
                Coalesce("quarter", Value(0)),
                F("edition"),
                name="reportpublication_unique_edition",
                violation_error_message=_("Cette édition de ce rapport existe déjà."),
            ),
        ]

    def __str__(self):
        return f"{self.title} · {_('édition')} {self.edition}"

    @property
    def title(self):
        if self.kind == ReportKind.QUARTERLY:
            return _("Revue trimestrielle T%(q)s %(y)s") % {"q": self.quarter, "y": self.year}
        return _("Rapport de performance %(y)s") % {"y": self.year}

    def clean(self):
        errors = {}
        if self.kind == ReportKind.QUARTERLY and self.quarter not in (1, 2, 3, 4):
            errors["quarter"] = _(
                "Une revue trimestrielle porte un trimestre (1 à 4) ; un rapport annuel n'en porte pas."
            )
        if self.kind == ReportKind.YEARLY and self.quarter is not None:
            errors["quarter"] = _(
                "Une revue trimestrielle porte un trimestre (1 à 4) ; un rapport annuel n'en porte pas."
            )
        if self.reason is not None and not self.reason.strip():
            errors["reason"] = _("Indiquez le motif de la publication.")
        if errors:
            raise ValidationError(errors)
