"""Stored figures (PeriodTotal, kept by triggers): after any sequence of writes they equal
a fresh rebuild and the reference computation over the rows, in every scope and as of
any date."""

import datetime as dt
import random
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from artisanat.dates import today
from strategy import services, stored_figures
from strategy.choices import ActorType, Aggregation, Frequency, MeasurementStatus, Sex
from strategy.models import Indicator, Measurement, PeriodTotal, Target
from strategy.querysets import stored_breakdown, stored_breakdowns, stored_period_totals
from tests.oracle import raw_breakdown, raw_figures, raw_period_totals

S = MeasurementStatus
FIGURE_FIELDS = (
    "fig_latest_end",
    "fig_latest_start",
    "fig_sum_all",
    "fig_periods",
    "fig_latest_total",
    "fig_latest_numerator",
    "fig_latest_denominator",
    "fig_end_prev_target_date",
    "fig_end_prev_target_value",
    "fig_end_next_target_date",
    "fig_end_next_target_value",
)
# Years, and the half-years of a half-yearly indicator: each row covers exactly one
# period of its indicator's frequency (strategy/periods.py).
PERIODS = [(dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in range(2021, 2025)]
HALF_YEARS = [(dt.date(y, m, 1), dt.date(y, m + 5, 30 if m == 1 else 31)) for y in (2022, 2023) for m in (1, 7)]
PERIODS_OF = {Frequency.YEARLY: PERIODS, Frequency.HALF_YEARLY: HALF_YEARS}
AS_OF = [dt.date(2020, 12, 31), dt.date(2022, 6, 30), dt.date(2022, 12, 31), dt.date(2023, 12, 31), dt.date(2030, 1, 1)]


def stored_rows(indicators=None):
    rows = PeriodTotal.objects.order_by(
        "indicator_id", "region_key", "filiere_key", "sex_key", "actor_key", "period_end", "period_start"
    )
    if indicators is not None:
        rows = rows.filter(indicator__in=indicators)
    return [
        (
            r.indicator_id,
            r.region_key,
            r.filiere_key,
            r.sex_key,
            r.actor_key,
            r.period_start,
            r.period_end,
            r.row_count,
            r.total,
            r.value_rows,
            r.numerator,
            r.denominator,
            r.ratio_rows,
            r.cum_total,
            r.cum_value_rows,
            r.cum_periods,
        )
        for r in rows
    ]


def assert_stored_equals_raw(indicators, scopes):
    ids = [i.pk for i in indicators]
    checked = 0
    for as_of in AS_OF:
        for scope in scopes:
            stored = {i.pk: i for i in Indicator.objects.filter(pk__in=ids).with_figures(as_of, **scope)}
            raw = {i.pk: i for i in raw_figures(Indicator.objects.filter(pk__in=ids), as_of, **scope)}
            for pk in ids:
                got = tuple(getattr(stored[pk], f) for f in FIGURE_FIELDS)
                want = tuple(getattr(raw[pk], f) for f in FIGURE_FIELDS)
                assert got == want, (as_of, scope, pk)
                assert stored[pk].achieved == raw[pk].achieved
                assert (stored[pk].status, stored[pk].data_late_since) == (raw[pk].status, raw[pk].data_late_since)
                checked += 1
        for ind in indicators:
            for scope in scopes:
                rows = Measurement.objects.filter(indicator=ind, **scope)
                assert stored_period_totals(ind, as_of, **scope) == list(raw_period_totals(rows, as_of)), (as_of, scope)
            for dimension in ind.dimensions:
                want = raw_breakdown(ind, dimension, as_of)
                assert stored_breakdown(ind, dimension, as_of) == want, (as_of, dimension, ind.aggregation)
    return checked


@pytest.fixture
def world(make_indicator, org_a, region, other_region, filiere):
    from artisanat.models import Filiere

    other_filiere = Filiere.objects.create(code="bois", name="Bois")
    indicators = [
        make_indicator(aggregation=Aggregation.SUM, by_region=True, by_filiere=True),
        make_indicator(aggregation=Aggregation.LATEST, by_region=True, by_sex=True, frequency=Frequency.HALF_YEARLY),
        make_indicator(aggregation=Aggregation.RATIO, by_filiere=True),
        make_indicator(aggregation=Aggregation.AVERAGE),
        make_indicator(aggregation=Aggregation.SUM, by_actor_type=True),
    ]
    # Targets national and regional, so that the status (judged at the end of the latest
    # validated period) has a trajectory to read in those scopes.
    for ind in indicators:
        Target.objects.create(indicator=ind, due_date=dt.date(2022, 12, 31), value=D(300))
        Target.objects.create(indicator=ind, due_date=dt.date(2030, 12, 31), value=D(2000))
        Target.objects.create(indicator=ind, due_date=dt.date(2023, 12, 31), value=D(150), region=region)
    scopes = [
        {},
        {"region": region},
        {"region": other_region},
        {"filiere": filiere},
        {"filiere": other_filiere},
        {"region": region, "filiere": filiere},
        {"region": other_region, "filiere": other_filiere},
        {"sex": Sex.FEMALE},
        {"sex": Sex.MALE},
        {"region": region, "sex": Sex.FEMALE},
        {"actor_type": ActorType.ARTISAN},
        {"actor_type": ActorType.COOPERATIVE},
    ]
    return {
        "indicators": indicators,
        "regions": [region, other_region],
        "filieres": [filiere, other_filiere],
        "scopes": scopes,
        "org": org_a,
    }


def new_measurement(rng, world, indicator, status=S.DRAFT):
    start, end = rng.choice(world.get("periods_of", PERIODS_OF)[indicator.frequency])
    m = Measurement(indicator=indicator, period_start=start, period_end=end, organisation=world["org"], status=status)
    if indicator.by_region:
        m.region = rng.choice(world["regions"])
    if indicator.by_filiere:
        m.filiere = rng.choice(world["filieres"])
    if indicator.by_sex:
        m.sex = rng.choice([Sex.FEMALE, Sex.MALE])
    if indicator.by_actor_type:
        m.actor_type = rng.choice([ActorType.ARTISAN, ActorType.COOPERATIVE, ActorType.COMPANY])
    if indicator.aggregation == Aggregation.RATIO:
        m.numerator, m.denominator = D(rng.randint(0, 50)), D(rng.randint(50, 100))
    else:
        m.value = D(rng.randint(-20, 500)) / 2
    taken = Measurement.objects.filter(
        indicator=indicator,
        period_start=start,
        period_end=end,
        region=m.region,
        filiere=m.filiere,
        sex=m.sex,
        actor_type=m.actor_type,
    ).exists()
    return None if taken else m


def run_operations(rng, world, editor, validator, steps):
    done = {}
    for _ in range(steps):
        op = rng.choice(
            ["create"] * 4 + ["submit"] * 4 + ["validate"] * 3 + ["bulk", "reopen", "return", "edit", "delete"]
        )
        rows = {s: list(Measurement.objects.filter(status=s).order_by("pk")) for s in S.values}
        editable = rows[S.DRAFT] + rows[S.RETURNED]
        if op == "create":
            m = new_measurement(rng, world, rng.choice(world["indicators"]))
            if m is not None:
                services.save_measurement(m, by=editor, reason="Saisie (test)")
        elif op == "submit" and editable:
            services.submit_measurement(rng.choice(editable), by=editor)
        elif op == "validate" and rows[S.SUBMITTED]:
            services.validate_measurement(rng.choice(rows[S.SUBMITTED]), by=validator)
        elif op == "bulk" and rows[S.SUBMITTED]:
            services.validate_measurements(rows[S.SUBMITTED][:3], by=validator)
        elif op == "reopen" and rows[S.VALIDATED]:
            services.reopen_measurement(rng.choice(rows[S.VALIDATED]), by=validator, reason="À revoir")
        elif op == "return" and rows[S.SUBMITTED]:
            services.return_measurement(rng.choice(rows[S.SUBMITTED]), by=validator, reason="Source manquante")
        elif op == "edit" and editable:
            m = rng.choice(editable)
            if m.value is not None:
                m.value = D(rng.randint(0, 900)) / 4
            else:
                m.numerator = D(rng.randint(0, 40))
            fresh = new_measurement(rng, world, m.indicator)
            if fresh is not None:  # move it to another free period
                m.period_start, m.period_end = fresh.period_start, fresh.period_end
                m.region, m.filiere, m.sex, m.actor_type = fresh.region, fresh.filiere, fresh.sex, fresh.actor_type
            services.save_measurement(m, by=editor, reason="Saisie (test)")
        elif op == "delete" and editable:
            services.delete_measurement(rng.choice(editable), by=editor, reason="Saisie (test)")
        else:
            continue
        done[op] = done.get(op, 0) + 1
    return done


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_service_operations_keep_stored_figures_equal_to_a_rebuild_and_to_the_rows(
    seed, world, editor, validator
):
    rng = random.Random(seed)
    done = run_operations(rng, world, editor, validator, steps=100)
    # The sequence did exercise every path that moves a validated value.
    assert {"validate", "bulk", "reopen", "edit"} <= set(done)
    assert done["validate"] + done["bulk"] >= 5
    stored = stored_rows()
    assert stored, "validated rows must have stored totals"
    assert services.rebuild_figures() == len(stored)
    assert stored_rows() == stored
    n = len(world["indicators"])
    assert assert_stored_equals_raw(world["indicators"], world["scopes"]) == len(AS_OF) * len(world["scopes"]) * n


YEARS = [(dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in range(2021, 2026)]


@pytest.mark.parametrize("seed", [4, 6])
def test_random_operations_by_sex_and_actor_type_keep_every_scope_equal_to_the_rows(seed, world, editor, validator):
    """Whole periods only (the period rule; years 2021–2025): the sex, actor type and region × sex scopes
    stay equal to a rebuild and to the computation over the rows, breakdowns included."""
    world["periods_of"] = {**PERIODS_OF, Frequency.YEARLY: YEARS}
    rng = random.Random(seed)
    done = run_operations(rng, world, editor, validator, steps=120)
    assert done.get("validate", 0) + done.get("bulk", 0) >= 5
    stored = stored_rows()
    by_scope = {(r[3] != "", r[4] != "", r[1] != 0) for r in stored}
    assert {(True, False, False), (False, True, False), (True, False, True)} <= by_scope  # sex, actor, region × sex
    assert services.rebuild_figures() == len(stored)
    assert stored_rows() == stored
    n = len(world["indicators"])
    assert assert_stored_equals_raw(world["indicators"], world["scopes"]) == len(AS_OF) * len(world["scopes"]) * n


def test_paths_around_the_services_are_counted_too(world, validator):
    """Admin, fixtures and bulk loads write through the ORM, not the services: the
    triggers see bulk_create, QuerySet.update and delete as well."""
    rng = random.Random(7)
    ind = world["indicators"][0]
    batch = [m for m in (new_measurement(rng, world, ind, status=S.VALIDATED) for _ in range(30)) if m is not None]
    unique = {(m.period_start, m.period_end, m.region_id, m.filiere_id): m for m in batch}
    Measurement.objects.bulk_create(unique.values())
    assert assert_stored_equals_raw([ind], world["scopes"])
    first = Measurement.objects.filter(indicator=ind).order_by("pk").first()
    Measurement.objects.filter(pk=first.pk).update(value=D("12345.5"))
    Measurement.objects.filter(indicator=ind).order_by("pk")[1:2].get().delete()
    Measurement.objects.filter(pk=first.pk).update(status=S.RETURNED, status_reason="Valeur à revoir")
    assert assert_stored_equals_raw([ind], world["scopes"])
    stored = stored_rows([ind])
    services.rebuild_figures([ind.pk])
    assert stored_rows([ind]) == stored


def test_stored_totals_of_a_period_worked_by_hand(world, editor, validator):
    """Two regions in 2021, one in 2022: the national running totals add both years."""
    ind = world["indicators"][0]
    region, other = world["regions"]
    fil = world["filieres"][0]
    for period, reg, value in ((PERIODS[0], region, "60"), (PERIODS[0], other, "40"), (PERIODS[1], region, "150")):
        m = Measurement(
            indicator=ind,
            period_start=period[0],
            period_end=period[1],
            region=reg,
            filiere=fil,
            value=D(value),
            organisation=world["org"],
        )
        services.save_measurement(m, by=editor, reason="Saisie (test)")
        services.submit_measurement(m, by=editor)
        services.validate_measurement(m, by=validator)
    national = PeriodTotal.objects.filter(indicator=ind, region_key=0, filiere_key=0).order_by("period_end")
    assert [(p.row_count, p.total, p.cum_total, p.cum_periods) for p in national] == [
        (2, D("100"), D("100"), 1),
        (1, D("150"), D("250"), 2),
    ]
    assert PeriodTotal.objects.get(indicator=ind, region_key=other.pk, filiere_key=0).total == D("40")
    assert PeriodTotal.objects.filter(indicator=ind, region_key=region.pk, filiere_key=fil.pk).count() == 2
    # Reopening 2021's 40 takes it out of 2021 and of 2022's running total.
    services.reopen_measurement(
        Measurement.objects.get(indicator=ind, region=other), by=validator, reason="Chiffre à corriger"
    )
    assert [(p.total, p.cum_total, p.cum_periods) for p in national.all()] == [
        (D("60"), D("60"), 1),
        (D("150"), D("210"), 2),
    ]
    assert not PeriodTotal.objects.filter(indicator=ind, region_key=other.pk).exists()
    assert Indicator.objects.with_figures(dt.date(2023, 1, 1)).get(pk=ind.pk).achieved == D("210")


def test_drafts_and_submissions_leave_the_stored_figures_alone(world, editor):
    ind = world["indicators"][3]
    m = Measurement(
        indicator=ind,
        period_start=PERIODS[0][0],
        period_end=PERIODS[0][1],
        value=D("5"),
        organisation=world["org"],
    )
    services.save_measurement(m, by=editor, reason="Saisie (test)")
    services.submit_measurement(m, by=editor)
    assert not PeriodTotal.objects.filter(indicator=ind).exists()
    assert Indicator.objects.with_figures(dt.date(2030, 1, 1)).get(pk=ind.pk).achieved is None


def test_bulk_load_goes_around_the_triggers_and_rebuilds_once(world):
    rng = random.Random(11)
    ind = world["indicators"][0]
    with services.bulk_load_figures():
        assert stored_figures.installed_triggers(connection) == set()
        batch = [m for m in (new_measurement(rng, world, ind, status=S.VALIDATED) for _ in range(30)) if m is not None]
        Measurement.objects.bulk_create(
            {(m.period_start, m.period_end, m.region_id, m.filiere_id): m for m in batch}.values()
        )
        assert not PeriodTotal.objects.exists()
    assert stored_figures.installed_triggers(connection) == set(stored_figures.TRIGGERS)
    assert PeriodTotal.objects.filter(indicator=ind).exists()
    assert assert_stored_equals_raw([ind], world["scopes"])


def test_a_failed_bulk_load_keeps_nothing_and_the_triggers(world):
    rng = random.Random(5)
    ind = world["indicators"][3]
    with pytest.raises(RuntimeError), services.bulk_load_figures():
        m = new_measurement(rng, world, ind, status=S.VALIDATED)
        m.save()
        raise RuntimeError("load failed")
    assert not Measurement.objects.filter(indicator=ind).exists()
    assert stored_figures.installed_triggers(connection) == set(stored_figures.TRIGGERS)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan (make test-postgres runs it)")
def test_the_breakdowns_read_the_stored_totals_by_index_on_postgresql(world, validator):
    """The indicator page's breakdowns seek each region's and filière's latest total: with
    sequential scans priced out, PostgreSQL must find a plan without one on the stored
    totals (an OR of two INs had none: 0.7 s at 1 000 000 measurements, bench 2026-11-29)."""
    indicator = world["indicators"][0]  # by region and by filière
    with connection.cursor() as cursor, CaptureQueriesContext(connection) as queries:
        stored_breakdowns(indicator, ["region", "filiere"], today())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + queries.captured_queries[-1]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on strategy_periodtotal" not in plan, plan
