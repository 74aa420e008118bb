"""Database triggers for rules that span tables, which a CHECK constraint cannot express.

Each rule has a name (like a constraint), a table, a *violation* condition in SQL that
SQLite and PostgreSQL both understand, written against the changed row as ``NEW``, and
the message a person reads. After an insert or update that makes the condition true,
the database aborts the statement with an integrity error naming the rule.
``Model.clean()`` checks the same rule first with a message; the trigger is the
guarantee behind it, whatever path writes (admin, bulk insert, raw SQL).

The triggers are (re)installed after every ``migrate`` (post_migrate, see apps.py):
SQLite rebuilds a table to alter it and drops its triggers on the way, so a trigger
created once by a migration would silently vanish at the next schema change.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Rule:
    name: str
    table: str
    violation: str
    message: str


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
    # ROUND(…, 2) on both sides: SQLite keeps decimals as binary floats, and a sum like
    # 0.1 + 0.2 must still equal a commitment of 0.3.
    Rule(
        "disbursement_within_commitment",
        "contracts_disbursement",
        "(SELECT ROUND(SUM(d.amount), 2) FROM contracts_disbursement d WHERE d.commitment_id = NEW.commitment_id)"
        " > (SELECT ROUND(c.amount, 2) FROM contracts_commitment c WHERE c.id = NEW.commitment_id)",
        _("Le total décaissé ne peut pas dépasser le montant engagé."),
    ),
    Rule(
        "commitment_covers_disbursements",
        "contracts_commitment",
        "ROUND(NEW.amount, 2) < (SELECT ROUND(COALESCE(SUM(d.amount), 0), 2) FROM contracts_disbursement d "
        "WHERE d.commitment_id = NEW.id)",
        _("Le montant engagé ne peut pas descendre sous ce qui a déjà été décaissé."),
    ),
]

#: name → French message, for the surfaces that turn an IntegrityError into a 400/409.
TRIGGER_RULES = {rule.name: rule.message for rule in RULES}


def _sqlite_sql(rule):
    statements = []
    for event in ("insert", "update"):
        trigger = f"{rule.name}_{event}"
        statements += [
            f"DROP TRIGGER IF EXISTS {trigger};",
            f"CREATE TRIGGER {trigger} AFTER {event.upper()} ON {rule.table} FOR EACH ROW "
            f"WHEN ({rule.violation}) BEGIN SELECT RAISE(ABORT, '{rule.name}'); END;",
        ]
    return statements


def _postgresql_sql(rule):
    return [
        f"""CREATE OR REPLACE FUNCTION {rule.name}_check() RETURNS trigger AS $$
BEGIN
  IF ({rule.violation}) THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = '{rule.name}', CONSTRAINT = '{rule.name}';
  END IF;
  RETURN NULL;
END; $$ LANGUAGE plpgsql;""",
        f"DROP TRIGGER IF EXISTS {rule.name} ON {rule.table};",
        f"CREATE TRIGGER {rule.name} AFTER INSERT OR UPDATE ON {rule.table} "
        f"FOR EACH ROW EXECUTE FUNCTION {rule.name}_check();",
    ]


def install_rule_triggers(connection):
    """Create (or re-create) every rule's trigger whose table exists. Idempotent."""
    builders = {"sqlite": _sqlite_sql, "postgresql": _postgresql_sql}
    if connection.vendor not in builders:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(connection.vendor)
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for rule in RULES:
            if rule.table in tables:
                for statement in builders[connection.vendor](rule):
                    cursor.execute(statement)


def installed_rule_triggers(connection):
    """Names of the rules whose trigger is present in the database (for tests and checks)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = {row[0].rsplit("_", 1)[0] for row in cursor.fetchall()}
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            names = {row[0] for row in cursor.fetchall()}
    return {rule.name for rule in RULES} & names
