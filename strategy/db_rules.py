"""The strategy's rules that span tables, which a CHECK constraint cannot express:
targets and measurements inside the strategy's dates, a measurement that fills exactly
its indicator's breakdown and aggregation, an indicator that keeps fitting the rows
already recorded. Each is installed as a database trigger (artisanat/triggers.py,
registered in strategy/apps.py); ``Model.clean()`` checks the same rule first with the
same message."""

from django.utils.translation import gettext_lazy as _

from artisanat.triggers import Rule

_BREAKDOWN_MISFIT = (
    "({i}.by_region AND {m}.region_id IS NULL) OR (NOT {i}.by_region AND {m}.region_id IS NOT NULL) "
    "OR ({i}.by_filiere AND {m}.filiere_id IS NULL) OR (NOT {i}.by_filiere AND {m}.filiere_id IS NOT NULL) "
    "OR ({i}.by_sex AND {m}.sex = '') OR (NOT {i}.by_sex AND {m}.sex <> '') "
    "OR ({i}.by_actor_type AND {m}.actor_type = '') OR (NOT {i}.by_actor_type AND {m}.actor_type <> '')"
)
_AGGREGATION_MISFIT = (
    "({i}.aggregation = 'ratio' AND {m}.value IS NOT NULL) OR ({i}.aggregation <> 'ratio' AND {m}.value IS NULL)"
)
_STRATEGY_OF_INDICATOR = (
    "strategy_indicator i JOIN strategy_axis a ON a.id = i.axis_id JOIN strategy_strategy s ON s.id = a.strategy_id"
)

RULES = [
    Rule(
        "target_due_inside_strategy",
        "strategy_target",
        f"NOT EXISTS (SELECT 1 FROM {_STRATEGY_OF_INDICATOR} WHERE i.id = NEW.indicator_id "
        "AND NEW.due_date >= s.start_date AND NEW.due_date <= s.end_date)",
        _("L'échéance de la cible doit tomber dans les dates de la stratégie."),
    ),
    Rule(
        "target_due_after_baseline",
        "strategy_target",
        "EXISTS (SELECT 1 FROM strategy_indicator i WHERE i.id = NEW.indicator_id AND NEW.due_date <= i.baseline_date)",
        _("L'échéance de la cible doit suivre la date de la valeur de référence."),
    ),
    Rule(
        "measurement_period_inside_strategy",
        "strategy_measurement",
        f"NOT EXISTS (SELECT 1 FROM {_STRATEGY_OF_INDICATOR} WHERE i.id = NEW.indicator_id "
        "AND NEW.period_start >= s.start_date AND NEW.period_end <= s.end_date)",
        _("La période doit tenir dans les dates de la stratégie."),
    ),
    Rule(
        "measurement_fills_indicator_dimensions",
        "strategy_measurement",
        "EXISTS (SELECT 1 FROM strategy_indicator i WHERE i.id = NEW.indicator_id AND ("
        + _BREAKDOWN_MISFIT.format(i="i", m="NEW")
        + "))",
        _("La mesure doit renseigner exactement les dimensions de ventilation de son indicateur."),
    ),
    Rule(
        "measurement_value_matches_aggregation",
        "strategy_measurement",
        "EXISTS (SELECT 1 FROM strategy_indicator i WHERE i.id = NEW.indicator_id AND ("
        + _AGGREGATION_MISFIT.format(i="i", m="NEW")
        + "))",
        _("Une mesure d'indicateur ratio porte un numérateur et un dénominateur ; les autres portent une valeur."),
    ),
    Rule(
        "indicator_fits_its_measurements",
        "strategy_indicator",
        "EXISTS (SELECT 1 FROM strategy_measurement m WHERE m.indicator_id = NEW.id AND ("
        + _BREAKDOWN_MISFIT.format(i="NEW", m="m")
        + " OR "
        + _AGGREGATION_MISFIT.format(i="NEW", m="m")
        + "))",
        _("Des mesures déjà saisies ne suivent pas cette ventilation ou cette agrégation : corrigez-les d'abord."),
    ),
    Rule(
        "indicator_baseline_before_targets",
        "strategy_indicator",
        "EXISTS (SELECT 1 FROM strategy_target t WHERE t.indicator_id = NEW.id AND t.due_date <= NEW.baseline_date)",
        _("La date de référence doit précéder toutes les échéances des cibles."),
    ),
    Rule(
        "strategy_covers_its_rows",
        "strategy_strategy",
        "EXISTS (SELECT 1 FROM strategy_target t JOIN strategy_indicator i ON i.id = t.indicator_id "
        "JOIN strategy_axis a ON a.id = i.axis_id WHERE a.strategy_id = NEW.id "
        "AND (t.due_date < NEW.start_date OR t.due_date > NEW.end_date)) "
        "OR EXISTS (SELECT 1 FROM strategy_measurement m JOIN strategy_indicator i ON i.id = m.indicator_id "
        "JOIN strategy_axis a ON a.id = i.axis_id WHERE a.strategy_id = NEW.id "
        "AND (m.period_start < NEW.start_date OR m.period_end > NEW.end_date))",
        _("Des cibles ou des mesures tomberaient hors des dates de la stratégie."),
    ),
]
