"""strategy/0007 on a database at 0006: each indicator gets the longest frequency its rows
all fit, an indicator whose rows fit none stays yearly with its rows untouched (and
printed), and ``submitted_at`` comes from each row's history (its first submitted
state), else its validation date."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from artisanat import triggers
from strategy.models import Indicator, Measurement

BEFORE = [("strategy", "0006_private_evidence")]
pytestmark = pytest.mark.django_db(transaction=True)


def _latest():
    executor = MigrationExecutor(connection)
    return executor, executor.loader.graph.leaf_nodes()


@pytest.fixture
def at_0006():
    """The database migrated back to strategy 0006 (no frequency, no submitted_at, and
    none of the rule triggers that read them), brought back to the latest state and its
    triggers after the test whatever happens."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    # A database at 0006 never had the period rules; PostgreSQL keeps triggers across
    # the schema change (SQLite lost them in the table rebuild): remove them.
    next(s for s in triggers.registered() if s.name == "strategy_rules").drop(connection)
    yield executor.loader.project_state(BEFORE).apps
    executor, leaves = _latest()
    executor.migrate(leaves)
    triggers.install_all(connection)


def _world(apps):
    Strategy = apps.get_model("strategy", "Strategy")
    Axis = apps.get_model("strategy", "Axis")
    Indicator = apps.get_model("strategy", "Indicator")
    Organisation = apps.get_model("artisanat", "Organisation")
    strategy = Strategy.objects.create(name="S", start_date=dt.date(2021, 1, 1), end_date=dt.date(2030, 12, 31))
    axis = Axis.objects.create(strategy=strategy, number=1, title="Axe")
    organisation = Organisation.objects.create(name="Fédération", acronym="FCA", kind="federation")

    def indicator(code):
        return Indicator.objects.create(
            code=code,
            name=code,
            axis=axis,
            unit="count",
            direction="increase",
            aggregation="sum",
            baseline_value=D("0"),
            baseline_date=dt.date(2020, 12, 31),
            baseline_source="test",
        )

    return indicator, organisation


def test_frequencies_chosen_misfits_kept_and_printed_submitted_at_from_history(at_0006, capsys):
    apps = at_0006
    Measurement0006 = apps.get_model("strategy", "Measurement")
    History0006 = apps.get_model("strategy", "HistoricalMeasurement")
    indicator, organisation = _world(apps)

    def row(ind, start, end, status="draft", **extra):
        return Measurement0006.objects.create(
            indicator=ind,
            period_start=start,
            period_end=end,
            value=D("10"),
            organisation=organisation,
            status=status,
            **extra,
        )

    # (a) every row a quarter → quarterly.
    quarters = indicator("IND-TRI")
    q1 = row(quarters, dt.date(2024, 1, 1), dt.date(2024, 3, 31), status="validated")
    row(quarters, dt.date(2024, 4, 1), dt.date(2024, 6, 30), status="submitted")
    # (b) a year and a half-year → no single frequency: stays yearly, rows untouched.
    mixed = indicator("IND-MIX")
    year = row(mixed, dt.date(2024, 1, 1), dt.date(2024, 12, 31), status="validated")
    half = row(mixed, dt.date(2025, 1, 1), dt.date(2025, 6, 30), status="submitted")
    # Months, and no rows at all.
    months = indicator("IND-MOIS")
    row(months, dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    empty = indicator("IND-VIDE")

    # History: q1 first submitted on 10/04/2024, returned, resubmitted later, validated.
    validated_at = dt.datetime(2024, 6, 1, 9, tzinfo=dt.UTC)
    Measurement0006.objects.filter(pk=q1.pk).update(validated_at=validated_at)
    Measurement0006.objects.filter(pk=year.pk).update(validated_at=dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC))
    copied = [f.attname for f in Measurement0006._meta.concrete_fields]
    for status, when in (
        ("draft", dt.datetime(2024, 4, 2, 8, tzinfo=dt.UTC)),
        ("submitted", dt.datetime(2024, 4, 10, 8, tzinfo=dt.UTC)),
        ("returned", dt.datetime(2024, 4, 20, 8, tzinfo=dt.UTC)),
        ("submitted", dt.datetime(2024, 5, 2, 8, tzinfo=dt.UTC)),
        ("validated", validated_at),
    ):
        values = {name: getattr(q1, name) for name in copied}
        values.update(status=status, history_date=when, history_type="~", history_change_reason="")
        History0006.objects.create(**values)
    before = {m["id"]: m for m in Measurement0006.objects.values("id", "period_start", "period_end", "status", "value")}
    capsys.readouterr()

    executor, leaves = _latest()
    executor.migrate(leaves)
    triggers.install_all(connection)
    printed = capsys.readouterr().out

    assert dict(Indicator.objects.values_list("code", "frequency")) == {
        "IND-TRI": "quarterly",
        "IND-MIX": "yearly",
        "IND-MOIS": "monthly",
        "IND-VIDE": "yearly",
    }
    assert set(Indicator.objects.values_list("report_delay_days", flat=True)) == {90}
    # Nothing deleted or changed in the rows.
    after = {m["id"]: m for m in Measurement.objects.values("id", "period_start", "period_end", "status", "value")}
    assert after == before
    assert "IND-MIX: no single frequency fits its rows; kept yearly" in printed
    assert f"left as they are: [{half.pk}]" in printed
    assert "IND-TRI" not in printed and empty.code not in printed and "IND-MOIS" not in printed
    # First submission: from the history (the first submitted state, not the later
    # one); without history, the validation date; never for a row not sent.
    submitted = dict(Measurement.objects.values_list("pk", "submitted_at"))
    assert submitted[q1.pk] == dt.datetime(2024, 4, 10, 8, tzinfo=dt.UTC)
    assert submitted[year.pk] == dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)
    # Sent but neither history nor validation says when (q2, the half-year), or never
    # sent (the draft month): none.
    assert {pk for pk, when in submitted.items() if when is None} == set(submitted) - {q1.pk, year.pk}
