"""The strategy's rules that span tables, which a CHECK constraint cannot express:
targets and measurements inside the strategy's dates, a measurement that fills exactly
its indicator's breakdown and aggregation, an indicator that keeps fitting the rows
already recorded. Each is installed as a database trigger (artisanat/triggers.py,
registered in strategy/apps.py); ``Model.clean()`` checks the same rule first with the
same message."""

from django.utils.translation import gettext_lazy as _

from artisanat.history_guard import PG_SETTING, SQLITE_UNLOCK_FUNCTION
from artisanat.triggers import Rule, TriggerSet

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


# ---------------------------------------------------------------- published reports are frozen

# A published report (strategy.ReportPublication) is never changed nor deleted: its
# figures, PDF and fingerprint are what the minister received. The admin and the
# services never try; these triggers refuse it whatever path writes (shell, raw SQL).
# An administrator's maintenance (the project's ``flush``) unlocks its connection the
# way it unlocks the history (artisanat.history_guard.history_maintenance).
PUBLICATION_TABLE = "strategy_reportpublication"
PUBLICATION_FROZEN = "report_publication_frozen"
PUBLICATION_FROZEN_MESSAGE = _(
    "Un rapport publié ne se modifie pas et ne se supprime pas : publiez une nouvelle édition."
)


def _publication_sqlite(connection, tables):
    if PUBLICATION_TABLE not in tables:
        return []
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{PUBLICATION_FROZEN}'); END;"
    statements = []
    for event in ("update", "delete"):
        trigger = f"{PUBLICATION_FROZEN}_{event}"
        statements += [
            f"DROP TRIGGER IF EXISTS {trigger};",
            f"CREATE TRIGGER {trigger} BEFORE {event.upper()} ON {PUBLICATION_TABLE} FOR EACH ROW "
            f"WHEN NOT {SQLITE_UNLOCK_FUNCTION}() {raise_}",
        ]
    return statements


def _publication_postgresql(connection, tables):
    if PUBLICATION_TABLE not in tables:
        return []
    return [
        f"""CREATE OR REPLACE FUNCTION {PUBLICATION_FROZEN}() RETURNS trigger AS $$
BEGIN
  IF current_setting('{PG_SETTING}', true) = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = '{PUBLICATION_FROZEN}',
    CONSTRAINT = '{PUBLICATION_FROZEN}';
END; $$ LANGUAGE plpgsql;""",
        f"DROP TRIGGER IF EXISTS {PUBLICATION_FROZEN} ON {PUBLICATION_TABLE};",
        f"CREATE TRIGGER {PUBLICATION_FROZEN} BEFORE UPDATE OR DELETE ON {PUBLICATION_TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {PUBLICATION_FROZEN}();",
    ]


PUBLICATION_FROZEN_SET = TriggerSet(PUBLICATION_FROZEN, sqlite=_publication_sqlite, postgresql=_publication_postgresql)
