"""Stored figures: validated totals per indicator, period and scope (``PeriodTotal``),
kept current by database triggers on ``strategy_measurement`` in the transaction of
the write itself.

Why triggers and not the service functions alone: the services (validate, reopen, bulk
validation) do write through ``Measurement.save()``, but so do the admin, imports, the
tests' fixtures, ``bulk_create`` and ``QuerySet.update()`` — and signals skip the bulk
paths. A trigger sees every one of them, so the stored totals cannot drift from the
rows (strategy/db_rules.py follows the same principle for the cross-table rules).

Each validated row counts in up to seven scopes (``SCOPES``), keyed by (region_key,
filiere_key, sex_key, actor_key) with 0 / '' for "all": national (0, 0, '', ''), its
region (r, 0, '', ''), its filière (0, f, '', ''), both (r, f, '', ''), its sex
(0, 0, s, ''), its actor type (0, 0, '', a) and its region and sex (r, 0, s, ''). A row
counts only in the scopes whose dimensions it fills. A trigger adds a validated row to its period's totals
and to the running totals (``cum_*``) of every period of the same scope ending on or
after it, and removes an old validated row the same way; a period whose last row goes
is deleted. Cost per validated write: three statements per scope the row fills (at most
seven scopes; PostgreSQL skips the others with one IF, SQLite runs their statements,
which find nothing), each touching at most the scope's periods (about 120 for ten years
of months) — not the measurements. Measured on SQLite (CPU per validated insert, whole
write): ×1.17 for a row by region or by region and filière, ×1.35 for a row by region
and sex or by all four dimensions, against the four scopes before.

SQLite drops a table's triggers when a migration rebuilds it, so, like the rule
triggers, these are a set of the trigger registry (artisanat/triggers.py, registered in
strategy/apps.py), (re)installed after every ``migrate``.
``rebuild(indicator_ids)`` recomputes the table from the measurements in one
INSERT … SELECT per scope (used after bulk loads and by the data migration)."""

from django.db import connection as default_connection

from artisanat.triggers import TriggerSet, present_trigger_names

TABLE = "strategy_periodtotal"
MEASUREMENTS = "strategy_measurement"
VALIDATED = "validated"

#: (name, region_key, filiere_key, sex_key, actor_key, condition) with {r} standing for
#: NEW or OLD. The scopes the figures can be asked in (``scope_name``): any other
#: combination of dimensions is not stored.
SCOPES = [
    ("national", "0", "0", "''", "''", "1 = 1"),
    ("region", "{r}.region_id", "0", "''", "''", "{r}.region_id IS NOT NULL"),
    ("filiere", "0", "{r}.filiere_id", "''", "''", "{r}.filiere_id IS NOT NULL"),
    ("both", "{r}.region_id", "{r}.filiere_id", "''", "''", "{r}.region_id IS NOT NULL AND {r}.filiere_id IS NOT NULL"),
    ("sex", "0", "0", "{r}.sex", "''", "{r}.sex <> ''"),
    ("actor_type", "0", "0", "''", "{r}.actor_type", "{r}.actor_type <> ''"),
    ("region_sex", "{r}.region_id", "0", "{r}.sex", "''", "{r}.region_id IS NOT NULL AND {r}.sex <> ''"),
]

#: The dimensions of each stored scope, as ``with_figures`` is asked for them.
SCOPE_DIMENSIONS = {
    frozenset(): "national",
    frozenset({"region"}): "region",
    frozenset({"filiere"}): "filiere",
    frozenset({"region", "filiere"}): "both",
    frozenset({"sex"}): "sex",
    frozenset({"actor_type"}): "actor_type",
    frozenset({"region", "sex"}): "region_sex",
}


def scope_name(dimensions):
    """The stored scope of a set of dimensions ("region", "filiere", "sex",
    "actor_type"), or None when that combination is not stored."""
    return SCOPE_DIMENSIONS.get(frozenset(dimensions))


TRIGGERS = [
    "periodtotal_add_insert",
    "periodtotal_add_update",
    "periodtotal_remove_update",
    "periodtotal_remove_delete",
]


def _row_terms(r):
    return {
        "v": f"COALESCE({r}.value, 0)",
        "vr": f"(CASE WHEN {r}.value IS NULL THEN 0 ELSE 1 END)",
        "n": f"COALESCE({r}.numerator, 0)",
        "d": f"COALESCE({r}.denominator, 0)",
        "nr": f"(CASE WHEN {r}.numerator IS NULL THEN 0 ELSE 1 END)",
    }


def _scope_key(r, rk, fk, sk, ak, alias=""):
    p = f"{alias}." if alias else ""
    return (
        f"{p}indicator_id = {r}.indicator_id AND {p}region_key = {rk} AND {p}filiere_key = {fk} "
        f"AND {p}sex_key = {sk} AND {p}actor_key = {ak}"
    )


def _same_period(r, alias=""):
    p = f"{alias}." if alias else ""
    return f"{p}period_start = {r}.period_start AND {p}period_end = {r}.period_end"


def _guard(guarded, cond, statements):
    """A scope's statements. ``guarded`` (PL/pgSQL): inside one ``IF`` on the scope's
    condition, so a row skips the scopes it does not fill without running their
    statements; SQLite's trigger bodies have no IF, each statement carries the
    condition in its WHERE."""
    if not guarded or cond == "1 = 1":
        return statements
    return [f"IF {cond} THEN\n    " + ";\n    ".join(statements) + ";\n  END IF"]


def _add_statements(r="NEW", guarded=False):
    """Count row ``r`` (validated) in the totals of each of its scopes."""
    t = _row_terms(r)
    statements = []
    for _name, *scope in SCOPES:
        rk, fk, sk, ak, cond = (part.format(r=r) for part in scope)
        key = _scope_key(r, rk, fk, sk, ak)
        period_row = f"SELECT 1 FROM {TABLE} p WHERE {_scope_key(r, rk, fk, sk, ak, 'p')} AND {_same_period(r, 'p')}"
        statements += _guard(
            guarded,
            cond,
            [
                # Running totals of the existing periods ending on or after this one (its own
                # period included); one more period if this period had no validated row yet.
                f"UPDATE {TABLE} SET cum_total = cum_total + {t['v']}, cum_value_rows = cum_value_rows + {t['vr']}, "
                f"cum_periods = cum_periods + (CASE WHEN EXISTS ({period_row}) THEN 0 ELSE 1 END) "
                f"WHERE {cond} AND {key} AND period_end >= {r}.period_end",
                # The period's own totals, when it exists …
                f"UPDATE {TABLE} SET row_count = row_count + 1, total = total + {t['v']}, value_rows = value_rows + {t['vr']}, "
                f"numerator = numerator + {t['n']}, denominator = denominator + {t['d']}, "
                f"ratio_rows = ratio_rows + {t['nr']} WHERE {cond} AND {key} AND {_same_period(r)}",
                # … or a new period, whose running totals add the periods ending on or before it.
                f"INSERT INTO {TABLE} (indicator_id, region_key, filiere_key, sex_key, actor_key, period_start, "
                "period_end, row_count, total, value_rows, numerator, denominator, ratio_rows, cum_total, "
                "cum_value_rows, cum_periods) "
                f"SELECT {r}.indicator_id, {rk}, {fk}, {sk}, {ak}, {r}.period_start, {r}.period_end, 1, {t['v']}, {t['vr']}, "
                f"{t['n']}, {t['d']}, {t['nr']}, s.total + {t['v']}, s.value_rows + {t['vr']}, s.periods + 1 "
                f"FROM (SELECT COALESCE(SUM(total), 0) AS total, COALESCE(SUM(value_rows), 0) AS value_rows, "
                f"COUNT(*) AS periods FROM {TABLE} WHERE {key} AND period_end <= {r}.period_end) s "
                f"WHERE {cond} AND NOT EXISTS ({period_row})",
            ],
        )
    return statements


def _remove_statements(r="OLD", guarded=False):
    """Take row ``r`` (validated before the change) out of the totals of its scopes."""
    t = _row_terms(r)
    statements = []
    for _name, *scope in SCOPES:
        rk, fk, sk, ak, cond = (part.format(r=r) for part in scope)
        key = _scope_key(r, rk, fk, sk, ak)
        last = f"SELECT 1 FROM {TABLE} p WHERE {_scope_key(r, rk, fk, sk, ak, 'p')} AND {_same_period(r, 'p')} AND p.row_count = 1"
        statements += _guard(
            guarded,
            cond,
            [
                # Running totals of the periods ending on or after this one; one period fewer
                # if this was its period's last row (that period row goes, so it is skipped).
                f"UPDATE {TABLE} SET cum_total = cum_total - {t['v']}, cum_value_rows = cum_value_rows - {t['vr']}, "
                f"cum_periods = cum_periods - (CASE WHEN EXISTS ({last}) THEN 1 ELSE 0 END) "
                f"WHERE {cond} AND {key} AND period_end >= {r}.period_end "
                f"AND NOT ({_same_period(r)} AND row_count = 1)",
                f"DELETE FROM {TABLE} WHERE {cond} AND {key} AND {_same_period(r)} AND row_count = 1",
                f"UPDATE {TABLE} SET row_count = row_count - 1, total = total - {t['v']}, value_rows = value_rows - {t['vr']}, "
                f"numerator = numerator - {t['n']}, denominator = denominator - {t['d']}, "
                f"ratio_rows = ratio_rows - {t['nr']} WHERE {cond} AND {key} AND {_same_period(r)}",
            ],
        )
    return statements


def _definitions(guarded=False):
    """(trigger name, event, NEW/OLD, statements) for the four triggers."""
    return [
        ("periodtotal_add_insert", "INSERT", "NEW", _add_statements("NEW", guarded)),
        ("periodtotal_remove_update", "UPDATE", "OLD", _remove_statements("OLD", guarded)),
        ("periodtotal_add_update", "UPDATE", "NEW", _add_statements("NEW", guarded)),
        ("periodtotal_remove_delete", "DELETE", "OLD", _remove_statements("OLD", guarded)),
    ]


def _current_layout(connection):
    """The table has this code's scope keys. Migrated back before
    0009_period_totals_by_sex_actor it has not: no trigger then (they would name columns
    that are not there, and SQLite refuses any later table rebuild); the code of that
    older version installs its own."""
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, TABLE)}
    return {"sex_key", "actor_key"} <= columns


def _sqlite_sql(connection, tables):
    if not {TABLE, MEASUREMENTS} <= tables or not _current_layout(connection):
        return []
    statements = []
    for name, event, r, body in _definitions():
        statements += [
            f"DROP TRIGGER IF EXISTS {name};",
            f"CREATE TRIGGER {name} AFTER {event} ON {MEASUREMENTS} FOR EACH ROW "
            f"WHEN {r}.status = '{VALIDATED}' BEGIN " + "; ".join(body) + "; END;",
        ]
    return statements


def _postgresql_sql(connection, tables):
    if not {TABLE, MEASUREMENTS} <= tables or not _current_layout(connection):
        return []
    statements = []
    for name, event, r, body in _definitions(guarded=True):
        # One writer of an indicator's figures at a time: the running totals read the
        # periods before them, which a concurrent transaction could be changing. FOR NO
        # KEY UPDATE does not block the FOR KEY SHARE of foreign-key checks.
        lock = f"PERFORM 1 FROM strategy_indicator WHERE id = {r}.indicator_id FOR NO KEY UPDATE"
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger AS $$\nBEGIN\n  "
            + ";\n  ".join([lock, *body])
            + ";\n  RETURN NULL;\nEND; $$ LANGUAGE plpgsql;",
            f"DROP TRIGGER IF EXISTS {name} ON {MEASUREMENTS};",
            f"CREATE TRIGGER {name} AFTER {event} ON {MEASUREMENTS} FOR EACH ROW "
            f"WHEN ({r}.status = '{VALIDATED}') EXECUTE FUNCTION {name}_fn();",
        ]
    return statements


STORED_FIGURES = TriggerSet(
    "stored_figures",
    sqlite=_sqlite_sql,
    postgresql=_postgresql_sql,
    drop_sqlite=lambda connection, tables: [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS],
    drop_postgresql=lambda connection, tables: [
        f"DROP TRIGGER IF EXISTS {name} ON {MEASUREMENTS}" for name in TRIGGERS
    ],
)


def install_triggers(connection=default_connection):
    """Create (or re-create) the four triggers if both tables exist. Idempotent."""
    STORED_FIGURES.install(connection)


def drop_triggers(connection=default_connection):
    """Remove the triggers (a bulk load that calls ``rebuild`` afterwards, in the same
    transaction, then ``install_triggers``)."""
    STORED_FIGURES.drop(connection)


def installed_triggers(connection=default_connection):
    return set(TRIGGERS) & present_trigger_names(connection)


def rebuild(indicator_ids=None, connection=default_connection):
    """Recompute the stored totals of ``indicator_ids`` (None: every indicator) from
    the validated measurements: delete, then one INSERT … SELECT per scope, the running
    totals by a window function (SQLite ≥ 3.25 and PostgreSQL). Call inside a transaction."""
    where, params = "", []
    if indicator_ids is not None:
        ids = sorted({int(i) for i in indicator_ids})
        if not ids:
            return
        marks = ", ".join(["%s"] * len(ids))
        where, params = f" AND m.indicator_id IN ({marks})", ids
    with connection.cursor() as cursor:
        if indicator_ids is None:
            cursor.execute(f"DELETE FROM {TABLE}")
        else:
            cursor.execute(f"DELETE FROM {TABLE} WHERE indicator_id IN ({marks})", params)
        for _name, *scope in SCOPES:
            rk, fk, sk, ak, cond = (part.format(r="m") for part in scope)
            # A constant in GROUP BY would be read as a column number: group by the real keys.
            keys = [k for k in (rk, fk, sk, ak) if k not in ("0", "''")]
            group = ", ".join(["m.indicator_id", *keys, "m.period_start", "m.period_end"])
            cursor.execute(
                f"""INSERT INTO {TABLE} (indicator_id, region_key, filiere_key, sex_key, actor_key, period_start,
                    period_end, row_count, total, value_rows, numerator, denominator, ratio_rows, cum_total,
                    cum_value_rows, cum_periods)
                SELECT g.indicator_id, g.rk, g.fk, g.sk, g.ak, g.period_start, g.period_end, g.row_count, g.total,
                    g.value_rows, g.numerator, g.denominator, g.ratio_rows,
                    SUM(g.total) OVER w, SUM(g.value_rows) OVER w, COUNT(*) OVER w
                FROM (
                    SELECT m.indicator_id, {rk} AS rk, {fk} AS fk, {sk} AS sk, {ak} AS ak, m.period_start,
                        m.period_end, COUNT(*) AS row_count,
                        COALESCE(SUM(m.value), 0) AS total, COUNT(m.value) AS value_rows,
                        COALESCE(SUM(m.numerator), 0) AS numerator, COALESCE(SUM(m.denominator), 0) AS denominator,
                        COUNT(m.numerator) AS ratio_rows
                    FROM {MEASUREMENTS} m
                    WHERE m.status = %s AND {cond}{where}
                    GROUP BY {group}
                ) g
                WINDOW w AS (PARTITION BY g.indicator_id, g.rk, g.fk, g.sk, g.ak ORDER BY g.period_end
                             RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)""",
                [VALIDATED, *params],
            )
