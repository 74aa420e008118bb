"""The strategy's rules that span tables, which a CHECK constraint cannot express:
targets and measurements inside the strategy's dates, a measurement that fills exactly
its indicator's breakdown, aggregation and reporting frequency, an indicator that keeps
fitting the rows already recorded. Each is installed as a database trigger (artisanat/triggers.py,
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


def _part(column, start, length):
    """Year (1, 4), month (6, 2) or day (9, 2) of a date column, as an integer: a date
    reads as 'YYYY-MM-DD' once cast to text on SQLite (where it is that text) and on
    PostgreSQL (ISO output, the DateStyle Django's connections use)."""
    return f"CAST(substr(CAST({column} AS TEXT), {start}, {length}) AS INTEGER)"


def _period_misfit(i, m):
    """True when [m.period_start, m.period_end] is not exactly one period of i.frequency
    (strategy/periods.py is_period): the start is the first day of a month aligned to
    the frequency (January, April, July, October for quarters…), the end is the last
    day of the period's last month in the same year (leap years included)."""
    months = f"(CASE {i}.frequency WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3 WHEN 'half_yearly' THEN 6 ELSE 12 END)"
    start_year, start_month, start_day = (_part(f"{m}.period_start", *p) for p in ((1, 4), (6, 2), (9, 2)))
    end_year, end_month, end_day = (_part(f"{m}.period_end", *p) for p in ((1, 4), (6, 2), (9, 2)))
    leap = f"(({end_year} % 4 = 0 AND {end_year} % 100 <> 0) OR {end_year} % 400 = 0)"
    last_day = (
        f"(CASE {end_month} WHEN 2 THEN (CASE WHEN {leap} THEN 29 ELSE 28 END) "
        "WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END)"
    )
    return (
        f"({start_day} <> 1 OR ({start_month} - 1) % {months} <> 0 OR {end_year} <> {start_year} "
        f"OR {end_month} <> {start_month} + {months} - 1 OR {end_day} <> {last_day})"
    )


_PERIOD_MISFIT_MESSAGE = _(
    "La période doit être exactement une période de la périodicité de l'indicateur : un mois, un trimestre, "
    "un semestre ou une année civile entière (par exemple du 01/01/2025 au 31/12/2025 pour un indicateur annuel)."
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
    # Rows recorded before the rule existed may not fit (the 0007 migration leaves them
    # and prints them): an update keeps refusing to leave one misfit, except the move
    # that sends it back to its reporter to be corrected (return, reopen).
    Rule(
        "measurement_period_fits_frequency",
        "strategy_measurement",
        "EXISTS (SELECT 1 FROM strategy_indicator i WHERE i.id = NEW.indicator_id AND "
        + _period_misfit("i", "NEW")
        + ")",
        _PERIOD_MISFIT_MESSAGE,
        update_violation="EXISTS (SELECT 1 FROM strategy_indicator i WHERE i.id = NEW.indicator_id AND "
        + _period_misfit("i", "NEW")
        + ") AND NOT (NEW.status = 'returned' AND OLD.status <> 'returned' AND NEW.indicator_id = OLD.indicator_id "
        "AND NEW.period_start = OLD.period_start AND NEW.period_end = OLD.period_end)",
        needs=(("strategy_indicator", "frequency"),),
    ),
    # The other way round: changing an indicator's frequency under rows that do not fit
    # the new one. Only a change of frequency is checked, so an indicator that still has
    # rows recorded before the rule can be edited otherwise.
    Rule(
        "indicator_frequency_fits_its_measurements",
        "strategy_indicator",
        "EXISTS (SELECT 1 FROM strategy_measurement m WHERE m.indicator_id = NEW.id AND "
        + _period_misfit("NEW", "m")
        + ")",
        _(
            "Des mesures déjà saisies ne couvrent pas exactement une période de cette périodicité : "
            "corrigez leurs périodes d'abord."
        ),
        update_violation="NEW.frequency <> OLD.frequency AND EXISTS (SELECT 1 FROM strategy_measurement m "
        "WHERE m.indicator_id = NEW.id AND " + _period_misfit("NEW", "m") + ")",
        needs=(("strategy_indicator", "frequency"),),
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
