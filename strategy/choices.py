from django.db import models
from django.utils.translation import gettext_lazy as _


class PhaseCode(models.TextChoices):
    RELANCE = "relance", _("Relance")
    TRANSFORMATION = "transformation", _("Transformation")
    ACCELERATION = "acceleration", _("Accélération")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Programmée")
    ONGOING = "ongoing", _("En cours")
    COMPLETED = "completed", _("Achevée")
    SUSPENDED = "suspended", _("Suspendue")
    CANCELLED = "cancelled", _("Annulée")


class Unit(models.TextChoices):
    COUNT = "count", _("nombre")
    PEOPLE = "people", _("personnes")
    ARTISANS = "artisans", _("artisans")
    MAD = "mad", _("DH")
    MDH = "mdh", _("MDH (millions de DH)")
    MMDH = "mmdh", _("MMDH (milliards de DH)")
    PERCENT = "percent", _("%")
    PLACES = "places", _("places")


#: Each unit as it is written after a number ("1 234,50 MDH"); a count has none.
UNIT_SYMBOLS = {
    Unit.COUNT: "",
    Unit.PEOPLE: _("personnes"),
    Unit.ARTISANS: _("artisans"),
    Unit.MAD: _("DH"),
    Unit.MDH: _("MDH"),
    Unit.MMDH: _("MMDH"),
    Unit.PERCENT: "%",
    Unit.PLACES: _("places"),
}


class Direction(models.TextChoices):
    INCREASE = "increase", _("à la hausse")
    DECREASE = "decrease", _("à la baisse")


class Aggregation(models.TextChoices):
    """How the periods of an indicator add up to its achieved value (docs/figures.md)."""

    SUM = "sum", _("somme des périodes (flux cumulé)")
    LATEST = "latest", _("dernière période (niveau)")
    AVERAGE = "average", _("moyenne des périodes")
    RATIO = "ratio", _("ratio des sommes (numérateur ÷ dénominateur)")


class Sex(models.TextChoices):
    FEMALE = "F", _("Femmes")
    MALE = "M", _("Hommes")


class ActorType(models.TextChoices):
    ARTISAN = "artisan", _("Artisan")
    MASTER_ARTISAN = "maitre_artisan", _("Maître artisan")
    COOPERATIVE = "cooperative", _("Coopérative")
    COMPANY = "entreprise", _("Entreprise")


class MeasurementStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Soumise")
    VALIDATED = "validated", _("Validée")
    RETURNED = "returned", _("Renvoyée")


class TrajectoryStatus(models.TextChoices):
    ON_TRACK = "on_track", _("En bonne voie")
    AT_RISK = "at_risk", _("À risque")
    OFF_TRACK = "off_track", _("En retard")
    NO_DATA = "no_data", _("Sans données")


# Legal workflow moves: (from, to). Checked in one place: strategy.services.
MEASUREMENT_TRANSITIONS = {
    "submit": ({MeasurementStatus.DRAFT, MeasurementStatus.RETURNED}, MeasurementStatus.SUBMITTED),
    "validate": ({MeasurementStatus.SUBMITTED}, MeasurementStatus.VALIDATED),
    "return": ({MeasurementStatus.SUBMITTED}, MeasurementStatus.RETURNED),
    "reopen": ({MeasurementStatus.VALIDATED}, MeasurementStatus.RETURNED),
}
EDITABLE_STATUSES = {MeasurementStatus.DRAFT, MeasurementStatus.RETURNED}
# What counts as a reported value when a page shows "the previous value" beside a row
# being typed (entry form, period spreadsheet): submitted or validated, never a draft.
REPORTED_STATUSES = (MeasurementStatus.SUBMITTED, MeasurementStatus.VALIDATED)


class Frequency(models.TextChoices):
    """How often an indicator is reported: each measurement covers exactly one period of
    it (strategy/periods.py)."""

    MONTHLY = "monthly", _("mensuelle")
    QUARTERLY = "quarterly", _("trimestrielle")
    HALF_YEARLY = "half_yearly", _("semestrielle")
    YEARLY = "yearly", _("annuelle")


# Months per period of each frequency.
FREQUENCY_MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}


class ReportState(models.TextChoices):
    """The state of an expected report as of a date (strategy/calendar.py)."""

    ON_TIME = "on_time", _("Reçu à temps")
    LATE = "late", _("Reçu en retard")
    OVERDUE = "overdue", _("Manquant (échu)")
    PENDING = "pending", _("Pas encore dû")


class ReportKind(models.TextChoices):
    """The reports that can be published (frozen): the yearly LOF performance report,
    figures as of 31 December, and the quarterly review, as of the quarter's end."""

    YEARLY = "yearly", _("Rapport annuel de performance")
    QUARTERLY = "quarterly", _("Revue trimestrielle")


class ProgressSource(models.TextChoices):
    """Where an action's progress comes from (strategy.figures.action_progress)."""

    INDICATORS = "indicators", _("indicateurs liés")
    MILESTONES = "milestones", _("jalons liés")
    BOTH = "both", _("indicateurs et jalons liés")
    MANUAL = "manual", _("saisi à la main")
    NONE = "none", _("aucune")
