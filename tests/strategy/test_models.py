"""Every rule of the strategy models, enforced twice: ``full_clean()`` refuses the bad
value with a French message on the right field, and the database refuses the same row
when ``clean()`` is bypassed (named CHECK / UNIQUE constraint or named rule trigger),
storing nothing."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from strategy.choices import ActionStatus, ActorType, Aggregation, Frequency, MeasurementStatus, PhaseCode, Sex
from strategy.models import Action, Indicator, Measurement, Phase, Strategy, Target
from tests.rules import assert_db_refuses, assert_refused, clean_errors

pytestmark = pytest.mark.django_db

D2021 = dt.date(2021, 1, 1)
D2030 = dt.date(2030, 12, 31)


# ── Strategy and phases ────────────────────────────────────────────────────────────


class TestStrategyDates:
    def test_clean_refuses_end_not_after_start(self):
        s = Strategy(name="S", start_date=dt.date(2021, 1, 1), end_date=dt.date(2021, 1, 1))
        assert_refused(s, "end_date", "postérieure")

    def test_database_refuses_end_not_after_start(self):
        assert_db_refuses(
            lambda: Strategy.objects.create(name="S", start_date=dt.date(2021, 1, 1), end_date=dt.date(2020, 1, 1)),
            "strategy_end_after_start",
        )
        assert Strategy.objects.count() == 0

    def test_database_refuses_update_moving_end_before_start(self, strategy):
        assert_db_refuses(
            lambda: Strategy.objects.filter(pk=strategy.pk).update(end_date=dt.date(2020, 1, 1)),
            "strategy_end_after_start",
        )
        strategy.refresh_from_db()
        assert strategy.end_date == D2030


class TestPhaseDates:
    def test_clean_refuses_end_not_after_start(self, strategy):
        p = Phase(
            strategy=strategy,
            code=PhaseCode.RELANCE,
            name="Relance",
            order=1,
            start_date=dt.date(2022, 6, 1),
            end_date=dt.date(2022, 1, 1),
        )
        assert_refused(p, "end_date", "postérieure")

    def test_clean_refuses_a_phase_outside_the_strategy(self, strategy):
        p = Phase(
            strategy=strategy,
            code=PhaseCode.RELANCE,
            name="Relance",
            order=1,
            start_date=dt.date(2020, 1, 1),
            end_date=dt.date(2022, 12, 31),
        )
        assert_refused(p, "end_date", "stratégie")

    def test_database_refuses_end_not_after_start(self, strategy):
        assert_db_refuses(
            lambda: Phase.objects.create(
                strategy=strategy,
                code=PhaseCode.RELANCE,
                name="Relance",
                order=1,
                start_date=dt.date(2022, 1, 1),
                end_date=dt.date(2022, 1, 1),
            ),
            "phase_end_after_start",
        )
        assert Phase.objects.count() == 0

    def test_database_refuses_update_moving_end_before_start(self, phases):
        first = phases[0]
        assert_db_refuses(
            lambda: Phase.objects.filter(pk=first.pk).update(end_date=dt.date(2020, 12, 31)), "phase_end_after_start"
        )
        first.refresh_from_db()
        assert first.end_date == dt.date(2022, 12, 31)

    def test_code_is_unique_per_strategy(self, phases):
        again = Phase(
            strategy=phases[0].strategy,
            code=PhaseCode.RELANCE,
            name="Relance bis",
            order=9,
            start_date=dt.date(2021, 1, 1),
            end_date=dt.date(2021, 6, 30),
        )
        errors = clean_errors(again)
        assert NON_FIELD_ERRORS in errors, errors
        assert "existe déjà" in " ".join(errors[NON_FIELD_ERRORS])
        assert_db_refuses(
            again.save, ("phase_code_unique_per_strategy", "strategy_phase.strategy_id, strategy_phase.code")
        )
        assert Phase.objects.count() == 3


# ── Actions ────────────────────────────────────────────────────────────────────────


@pytest.fixture
def action_fields(programme, org_a, phases):
    return {
        "programme": programme,
        "code": "A3.1.1",
        "title": "Former 1 000 artisans",
        "lead_organisation": org_a,
        "phase": phases[0],
        "start_date": dt.date(2021, 3, 1),
        "end_date": dt.date(2022, 6, 30),
        "budget": D("2500000.00"),
    }


class TestAction:
    def test_a_good_action_is_accepted(self, action_fields):
        Action(**action_fields).full_clean()
        # End on the start day is allowed: a one-day action.
        Action(**{**action_fields, "end_date": action_fields["start_date"]}).full_clean()

    def test_clean_refuses_end_before_start(self, action_fields):
        a = Action(**{**action_fields, "end_date": dt.date(2021, 2, 1)})
        assert_refused(a, "end_date", "date de fin")

    def test_database_refuses_end_before_start(self, action_fields):
        assert_db_refuses(
            lambda: Action.objects.create(**{**action_fields, "end_date": dt.date(2021, 2, 1)}),
            "action_end_after_start",
        )
        assert Action.objects.count() == 0

    def test_clean_refuses_a_negative_budget(self, action_fields):
        a = Action(**{**action_fields, "budget": D("-0.01")})
        assert_refused(a, "budget", "négatif")

    def test_a_zero_budget_is_accepted(self, action_fields):
        Action(**{**action_fields, "budget": D("0")}).full_clean()
        Action.objects.create(**{**action_fields, "budget": D("0")})

    def test_database_refuses_a_negative_budget(self, action_fields):
        assert_db_refuses(
            lambda: Action.objects.create(**{**action_fields, "budget": D("-1")}), "action_budget_not_negative"
        )
        assert Action.objects.count() == 0
        action = Action.objects.create(**action_fields)
        assert_db_refuses(
            lambda: Action.objects.filter(pk=action.pk).update(budget=D("-5")), "action_budget_not_negative"
        )
        action.refresh_from_db()
        assert action.budget == D("2500000.00")

    def test_progress_stays_between_0_and_100(self, action_fields):
        assert_refused(Action(**{**action_fields, "progress": D("100.01")}), "progress", "100")
        entered = {"progress_reason": "Comité de pilotage", "progress_date": dt.date(2024, 6, 30)}
        assert_db_refuses(
            lambda: Action.objects.create(**{**action_fields, **entered, "progress": D("101")}),
            "action_progress_0_100",
        )
        assert Action.objects.count() == 0

    def test_a_manual_progress_carries_its_reason_and_date(self, action_fields):
        assert_refused(Action(**{**action_fields, "progress": D("40")}), "progress_reason", "avancement")
        assert_refused(
            Action(**{**action_fields, "progress": D("40"), "progress_reason": "Comité de pilotage"}),
            "progress_date",
            "date",
        )
        Action(
            **{**action_fields, "progress": D("40"), "progress_reason": "Comité", "progress_date": dt.date(2024, 1, 1)}
        ).full_clean()
        assert_db_refuses(
            lambda: Action.objects.create(**{**action_fields, "progress": D("40")}), "action_manual_progress_has_reason"
        )
        assert_db_refuses(
            lambda: Action.objects.create(**{**action_fields, "progress_reason": "x", "progress": D("40")}),
            "action_manual_progress_has_reason",
        )
        assert Action.objects.count() == 0

    def test_database_refuses_an_unknown_status(self, action_fields):
        assert_refused(Action(**{**action_fields, "status": "bogus"}), "status", "valide")
        assert_db_refuses(lambda: Action.objects.create(**{**action_fields, "status": "bogus"}), "action_status_valid")
        Action.objects.create(**{**action_fields, "status": ActionStatus.ONGOING})
        assert Action.objects.count() == 1


# ── Indicators ─────────────────────────────────────────────────────────────────────


class TestIndicatorWeight:
    @pytest.mark.parametrize("weight", [D("0"), D("-1")])
    def test_clean_refuses_a_weight_not_above_zero(self, indicator, weight):
        indicator.weight = weight
        assert_refused(indicator, "weight", "strictement positif")

    @pytest.mark.parametrize("weight", [D("0"), D("-1")])
    def test_database_refuses_a_weight_not_above_zero(self, make_indicator, weight):
        assert_db_refuses(lambda: make_indicator(code="W", weight=weight), "indicator_weight_positive")
        assert not Indicator.objects.filter(code="W").exists()

    def test_database_refuses_an_update_to_zero_weight(self, indicator):
        assert_db_refuses(
            lambda: Indicator.objects.filter(pk=indicator.pk).update(weight=0), "indicator_weight_positive"
        )
        indicator.refresh_from_db()
        assert indicator.weight == D("1")

    def test_a_small_positive_weight_is_accepted(self, indicator):
        indicator.weight = D("0.01")
        indicator.full_clean()
        indicator.save()


# ── Targets ────────────────────────────────────────────────────────────────────────


class TestTargetDueInsideStrategy:
    @pytest.mark.parametrize("due", [dt.date(2020, 12, 31), dt.date(2031, 1, 1)])
    def test_clean_refuses_a_due_date_outside_the_strategy(self, indicator, due):
        t = Target(indicator=indicator, due_date=due, value=D("100"))
        assert_refused(t, "due_date", "échéance", "01/01/2021", "31/12/2030")

    @pytest.mark.parametrize("due", [D2021, D2030])
    def test_the_strategy_bounds_are_inside(self, indicator, due):
        t = Target(indicator=indicator, due_date=due, value=D("100"))
        t.full_clean()
        t.save()

    @pytest.mark.parametrize("due", [dt.date(2020, 12, 31), dt.date(2031, 1, 1)])
    def test_database_refuses_a_due_date_outside_the_strategy(self, indicator, due):
        Indicator.objects.filter(pk=indicator.pk).update(baseline_date=dt.date(2019, 12, 31))  # only one rule broken
        assert_db_refuses(
            lambda: Target.objects.create(indicator=indicator, due_date=due, value=D("100")),
            "target_due_inside_strategy",
        )
        assert Target.objects.count() == 0

    def test_database_refuses_moving_a_target_outside_the_strategy(self, indicator):
        t = Target.objects.create(indicator=indicator, due_date=dt.date(2026, 12, 31), value=D("100"))
        assert_db_refuses(
            lambda: Target.objects.filter(pk=t.pk).update(due_date=dt.date(2035, 12, 31)),
            "target_due_inside_strategy",
        )
        t.refresh_from_db()
        assert t.due_date == dt.date(2026, 12, 31)


class TestTargetUniquePerScope:
    def test_clean_refuses_a_second_national_target_for_the_same_date(self, indicator):
        Target.objects.create(indicator=indicator, due_date=dt.date(2026, 12, 31), value=D("100"))
        again = Target(indicator=indicator, due_date=dt.date(2026, 12, 31), value=D("120"))
        assert_refused(again, NON_FIELD_ERRORS, "Une cible existe déjà")

    def test_database_refuses_a_second_national_target_null_scope_collides(self, indicator):
        Target.objects.create(indicator=indicator, due_date=dt.date(2026, 12, 31), value=D("100"))
        assert_db_refuses(
            lambda: Target.objects.create(indicator=indicator, due_date=dt.date(2026, 12, 31), value=D("120")),
            "target_unique_per_scope",
        )
        assert Target.objects.count() == 1

    def test_database_refuses_a_second_target_for_the_same_region(self, indicator, region):
        Target.objects.create(indicator=indicator, due_date=dt.date(2026, 12, 31), value=D("10"), region=region)
        again = Target(indicator=indicator, due_date=dt.date(2026, 12, 31), value=D("12"), region=region)
        assert_refused(again, NON_FIELD_ERRORS, "Une cible existe déjà")
        assert_db_refuses(again.save, "target_unique_per_scope")
        assert Target.objects.count() == 1

    def test_different_scopes_for_the_same_date_are_accepted(self, indicator, region, other_region, filiere):
        due = dt.date(2026, 12, 31)
        for scope in ({}, {"region": region}, {"region": other_region}, {"filiere": filiere}):
            t = Target(indicator=indicator, due_date=due, value=D("10"), **scope)
            t.full_clean()
            t.save()
        assert Target.objects.count() == 4


# ── Measurements ───────────────────────────────────────────────────────────────────


@pytest.fixture
def measure(org_a):
    """Factory: an unsaved measurement of 2024 for ``indicator``, overridable field by field."""

    def make(indicator, **fields):
        values = {
            "indicator": indicator,
            "period_start": dt.date(2024, 1, 1),
            "period_end": dt.date(2024, 12, 31),
            "organisation": org_a,
        }
        if indicator.aggregation == Aggregation.RATIO:
            values.update(numerator=D("30"), denominator=D("120"))
        else:
            values["value"] = D("120")
        values.update(fields)
        return Measurement(**values)

    return make


def saved(measurement):
    measurement.save()
    return measurement


@pytest.fixture
def ratio_indicator(make_indicator):
    return make_indicator(code="IND-RATIO", aggregation=Aggregation.RATIO, unit="percent")


@pytest.fixture
def by_region_indicator(make_indicator):
    return make_indicator(code="IND-REG", by_region=True)


class TestMeasurementPeriod:
    def test_a_good_measurement_is_accepted(self, make_indicator, indicator, measure):
        m = measure(indicator)
        m.full_clean()
        m.save()
        # The shortest period is one month, on a monthly indicator.
        monthly = make_indicator(frequency=Frequency.MONTHLY)
        measure(monthly, period_start=dt.date(2025, 3, 1), period_end=dt.date(2025, 3, 31)).full_clean()

    def test_clean_refuses_end_before_start(self, indicator, measure):
        m = measure(indicator, period_start=dt.date(2024, 12, 31), period_end=dt.date(2024, 1, 1))
        # The order of the dates first; the period rule, on period_end too, is not added
        # to it (the same field holds one message).
        assert_refused(m, "period_end", "fin de période")

    def test_database_refuses_end_before_start(self, indicator, measure):
        m = measure(indicator, period_start=dt.date(2024, 12, 31), period_end=dt.date(2024, 1, 1))
        assert_db_refuses(m.save, "measurement_period_end_after_start")
        assert Measurement.objects.count() == 0

    @pytest.mark.parametrize(
        ("start", "end"),
        [(dt.date(2020, 1, 1), dt.date(2020, 12, 31)), (dt.date(2031, 1, 1), dt.date(2031, 12, 31))],
    )
    def test_clean_refuses_a_period_outside_the_strategy(self, indicator, measure, start, end):
        m = measure(indicator, period_start=start, period_end=end)
        assert_refused(m, "period_start", "période", "01/01/2021", "31/12/2030")

    @pytest.mark.parametrize(
        ("start", "end"),
        [(dt.date(2020, 1, 1), dt.date(2020, 12, 31)), (dt.date(2031, 1, 1), dt.date(2031, 12, 31))],
    )
    def test_database_refuses_a_period_outside_the_strategy(self, indicator, measure, start, end):
        m = measure(indicator, period_start=start, period_end=end)
        assert_db_refuses(m.save, "measurement_period_inside_strategy")
        assert Measurement.objects.count() == 0

    def test_database_refuses_moving_a_period_outside_the_strategy(self, indicator, measure):
        m = saved(measure(indicator))
        assert_db_refuses(
            lambda: Measurement.objects.filter(pk=m.pk).update(
                period_start=dt.date(2020, 1, 1), period_end=dt.date(2020, 12, 31)
            ),
            "measurement_period_inside_strategy",
        )
        m.refresh_from_db()
        assert m.period_start == dt.date(2024, 1, 1)


class TestMeasurementValueIsANumber:
    def test_value_is_stored_and_read_back_as_decimal(self, indicator, measure):
        m = saved(measure(indicator, value=D("1234.5678")))
        again = Measurement.objects.get(pk=m.pk)
        assert isinstance(again.value, D)
        assert again.value == D("1234.5678")
        tenth = saved(
            measure(indicator, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), value=D("0.1"))
        )
        assert Measurement.objects.get(pk=tenth.pk).value == D("0.1000")

    def test_a_numeric_string_is_read_as_a_decimal(self, indicator, measure):
        m = measure(indicator, value="12.5")
        m.full_clean()
        assert m.value == D("12.5")

    @pytest.mark.parametrize("text", ["douze", "12,5 artisans", "1e", "NaN", "Infinity", D("NaN")])
    def test_clean_refuses_text(self, indicator, measure, text):
        m = measure(indicator, value=text)
        errors = clean_errors(m)
        assert "value" in errors, errors

    def test_clean_refuses_an_empty_string(self, indicator, measure):
        assert_refused(measure(indicator, value=""), "value", "obligatoire")

    def test_clean_refuses_text_with_a_french_message(self, indicator, measure):
        assert_refused(measure(indicator, value="douze"), "value", "douze", "décimal")

    @pytest.mark.parametrize("text", ["douze", "NaN", D("Infinity")])
    def test_saving_text_bypassing_clean_stores_nothing(self, indicator, measure, text):
        # Django converts the value to Decimal before any SQL is sent, so the refusal
        # is a ValidationError rather than an IntegrityError; either way nothing is stored.
        m = measure(indicator, value=text)
        with pytest.raises(ValidationError), transaction.atomic():
            m.save()
        assert Measurement.objects.count() == 0


class TestMeasurementValueOrRatio:
    def test_clean_refuses_a_value_for_a_ratio_indicator(self, ratio_indicator, measure):
        m = measure(ratio_indicator, value=D("25"), numerator=None, denominator=None)
        errors = clean_errors(m)
        assert "ratio" in " ".join(errors["value"])
        assert "obligatoire" in " ".join(errors["numerator"])
        assert "obligatoire" in " ".join(errors["denominator"])

    def test_clean_refuses_a_zero_denominator_and_a_negative_numerator(self, ratio_indicator, measure):
        errors = clean_errors(measure(ratio_indicator, numerator=D("-1"), denominator=D("0")))
        assert "négatif" in " ".join(errors["numerator"])
        assert "strictement positif" in " ".join(errors["denominator"])

    def test_clean_needs_a_value_for_a_non_ratio_indicator(self, indicator, measure):
        assert_refused(measure(indicator, value=None), "value", "obligatoire")

    def test_clean_refuses_numerator_for_a_non_ratio_indicator(self, indicator, measure):
        m = measure(indicator, value=D("1"), numerator=D("1"), denominator=D("2"))
        assert_refused(m, "numerator", "ratio")

    def test_a_good_ratio_row_is_accepted(self, ratio_indicator, measure):
        m = measure(ratio_indicator, numerator=D("0"), denominator=D("120"))
        m.full_clean()
        m.save()
        assert m.amount == D("0")

    @pytest.mark.parametrize(
        "fields",
        [
            {"value": None, "numerator": None, "denominator": None},
            {"value": D("1"), "numerator": D("1"), "denominator": D("2")},
            {"value": None, "numerator": D("1"), "denominator": D("0")},
            {"value": None, "numerator": D("-1"), "denominator": D("2")},
            {"value": None, "numerator": None, "denominator": D("2")},
        ],
        ids=["nothing", "both", "zero-denominator", "negative-numerator", "no-numerator"],
    )
    def test_database_check_refuses_bad_combinations(self, ratio_indicator, indicator, measure, fields):
        target = ratio_indicator if fields["value"] is None else indicator
        assert_db_refuses(measure(target, **fields).save, "measurement_value_or_ratio")
        assert Measurement.objects.count() == 0

    def test_clean_refuses_a_ratio_row_without_denominator(self, ratio_indicator, measure):
        assert_refused(measure(ratio_indicator, denominator=None), "denominator", "obligatoire")

    def test_database_check_refuses_a_ratio_row_without_denominator(self, ratio_indicator, measure):
        assert_db_refuses(measure(ratio_indicator, denominator=None).save, "measurement_value_or_ratio")
        assert Measurement.objects.count() == 0

    def test_database_trigger_refuses_a_value_on_a_ratio_indicator(self, ratio_indicator, measure):
        m = measure(ratio_indicator, value=D("25"), numerator=None, denominator=None)
        assert_db_refuses(m.save, "measurement_value_matches_aggregation")
        assert Measurement.objects.count() == 0

    def test_database_trigger_refuses_a_ratio_on_a_sum_indicator(self, indicator, measure):
        m = measure(indicator, value=None, numerator=D("1"), denominator=D("4"))
        assert_db_refuses(m.save, "measurement_value_matches_aggregation")
        assert Measurement.objects.count() == 0

    def test_database_trigger_refuses_an_update_turning_a_ratio_row_into_a_value(self, ratio_indicator, measure):
        m = saved(measure(ratio_indicator))
        assert_db_refuses(
            lambda: Measurement.objects.filter(pk=m.pk).update(value=D("25"), numerator=None, denominator=None),
            "measurement_value_matches_aggregation",
        )
        m.refresh_from_db()
        assert (m.value, m.numerator, m.denominator) == (None, D("30"), D("120"))


class TestMeasurementDimensions:
    def test_clean_needs_the_region_of_a_by_region_indicator(self, by_region_indicator, measure):
        assert_refused(measure(by_region_indicator), "region", "ventilé par la région")

    def test_clean_refuses_a_region_on_an_indicator_not_broken_down_by_region(self, indicator, measure, region):
        assert_refused(measure(indicator, region=region), "region", "n'est pas ventilé", "région")

    @pytest.mark.parametrize(
        ("field", "value_of"),
        [("filiere", "filiere"), ("sex", Sex.FEMALE), ("actor_type", ActorType.ARTISAN)],
    )
    def test_clean_refuses_other_dimensions_the_indicator_lacks(self, indicator, measure, filiere, field, value_of):
        value = filiere if value_of == "filiere" else value_of
        assert_refused(measure(indicator, **{field: value}), field, "n'est pas ventilé")

    def test_a_row_filling_exactly_the_dimensions_is_accepted(self, make_indicator, measure, region, filiere):
        ind = make_indicator(by_region=True, by_filiere=True, by_sex=True, by_actor_type=True)
        m = measure(ind, region=region, filiere=filiere, sex=Sex.FEMALE, actor_type=ActorType.COOPERATIVE)
        m.full_clean()
        m.save()

    def test_database_refuses_a_missing_region(self, by_region_indicator, measure):
        assert_db_refuses(measure(by_region_indicator).save, "measurement_fills_indicator_dimensions")
        assert Measurement.objects.count() == 0

    def test_database_refuses_an_extra_region(self, indicator, measure, region):
        assert_db_refuses(measure(indicator, region=region).save, "measurement_fills_indicator_dimensions")
        assert Measurement.objects.count() == 0

    @pytest.mark.parametrize(
        ("flag", "field", "value"),
        [("by_sex", "sex", Sex.MALE), ("by_actor_type", "actor_type", ActorType.COMPANY)],
    )
    def test_database_refuses_missing_and_extra_text_dimensions(
        self, make_indicator, indicator, measure, flag, field, value
    ):
        broken_down = make_indicator(**{flag: True})
        assert_db_refuses(measure(broken_down).save, "measurement_fills_indicator_dimensions")
        assert_db_refuses(measure(indicator, **{field: value}).save, "measurement_fills_indicator_dimensions")
        assert Measurement.objects.count() == 0

    def test_database_refuses_an_update_clearing_the_region(self, by_region_indicator, measure, region):
        m = saved(measure(by_region_indicator, region=region))
        assert_db_refuses(
            lambda: Measurement.objects.filter(pk=m.pk).update(region=None), "measurement_fills_indicator_dimensions"
        )
        m.refresh_from_db()
        assert m.region == region


class TestMeasurementUniquePerBreakdown:
    def test_clean_refuses_a_second_row_when_region_is_null_on_both(self, indicator, measure):
        saved(measure(indicator))
        assert_refused(measure(indicator, value=D("5")), NON_FIELD_ERRORS, "a déjà une valeur")

    def test_database_refuses_a_second_row_when_region_is_null_on_both(self, indicator, measure):
        saved(measure(indicator))
        assert_db_refuses(measure(indicator, value=D("5")).save, "measurement_unique_per_breakdown")
        assert Measurement.objects.count() == 1

    def test_database_refuses_a_second_row_for_the_same_region(self, by_region_indicator, measure, region):
        saved(measure(by_region_indicator, region=region))
        again = measure(by_region_indicator, region=region, value=D("5"))
        assert_refused(again, NON_FIELD_ERRORS, "a déjà une valeur")
        assert_db_refuses(again.save, "measurement_unique_per_breakdown")
        assert Measurement.objects.count() == 1

    def test_database_refuses_an_update_onto_an_existing_row(self, by_region_indicator, measure, region, other_region):
        saved(measure(by_region_indicator, region=region))
        other = saved(measure(by_region_indicator, region=other_region))
        assert_db_refuses(
            lambda: Measurement.objects.filter(pk=other.pk).update(region=region), "measurement_unique_per_breakdown"
        )
        other.refresh_from_db()
        assert other.region == other_region

    def test_different_rows_of_one_period_are_accepted(self, make_indicator, measure, region, other_region):
        ind = make_indicator(by_region=True, by_sex=True)
        for reg in (region, other_region):
            for sex in (Sex.FEMALE, Sex.MALE):
                m = measure(ind, region=reg, sex=sex)
                m.full_clean()
                m.save()
        # Another period of the same row is a different value too.
        m = measure(
            ind, region=region, sex=Sex.FEMALE, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31)
        )
        m.full_clean()
        m.save()
        assert Measurement.objects.count() == 5


class TestMeasurementReturnedNeedsReason:
    def test_clean_refuses_returned_without_reason(self, indicator, measure):
        assert_refused(measure(indicator, status=MeasurementStatus.RETURNED), "status_reason", "motif")

    def test_database_refuses_returned_without_reason(self, indicator, measure):
        assert_db_refuses(measure(indicator, status=MeasurementStatus.RETURNED).save, "measurement_returned_has_reason")
        assert Measurement.objects.count() == 0

    def test_database_refuses_an_update_to_returned_without_reason(self, indicator, measure):
        m = saved(measure(indicator, status=MeasurementStatus.SUBMITTED))
        assert_db_refuses(
            lambda: Measurement.objects.filter(pk=m.pk).update(status=MeasurementStatus.RETURNED),
            "measurement_returned_has_reason",
        )
        m.refresh_from_db()
        assert m.status == MeasurementStatus.SUBMITTED

    def test_returned_with_a_reason_is_accepted(self, indicator, measure):
        m = measure(indicator, status=MeasurementStatus.RETURNED, status_reason="Source manquante")
        m.full_clean()
        m.save()


class TestMeasurementChoices:
    @pytest.mark.parametrize(
        ("field", "rule"),
        [
            ("status", "measurement_status_valid"),
            ("sex", "measurement_sex_valid"),
            ("actor_type", "measurement_actor_type_valid"),
        ],
    )
    def test_unknown_codes_are_refused_twice(self, make_indicator, measure, field, rule):
        ind = make_indicator(by_sex=True, by_actor_type=True)
        fields = {"sex": Sex.FEMALE, "actor_type": ActorType.ARTISAN, field: "X"}
        assert_refused(measure(ind, **fields), field, "valide")
        assert_db_refuses(measure(ind, **fields).save, rule)
        assert Measurement.objects.count() == 0


# ── The same rules when the other side of the rule changes ─────────────────────────
# A rule across tables is guarded from both sides: the money rule by
# disbursement_within_commitment and commitment_covers_disbursements, the strategy rules
# by indicator_fits_its_measurements, indicator_baseline_before_targets and
# strategy_covers_its_rows.


class TestRulesWhenTheOtherSideChanges:
    def test_breaking_down_an_indicator_that_has_national_rows_is_refused(self, indicator, measure):
        saved(measure(indicator))
        assert_db_refuses(
            lambda: Indicator.objects.filter(pk=indicator.pk).update(by_region=True),
            "indicator_fits_its_measurements",
        )

    def test_turning_an_indicator_with_values_into_a_ratio_is_refused(self, indicator, measure):
        saved(measure(indicator))
        assert_db_refuses(
            lambda: Indicator.objects.filter(pk=indicator.pk).update(aggregation=Aggregation.RATIO),
            "indicator_fits_its_measurements",
        )

    def test_shortening_the_strategy_before_a_target_is_refused(self, strategy, indicator):
        Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("100"))
        assert_db_refuses(
            lambda: Strategy.objects.filter(pk=strategy.pk).update(end_date=dt.date(2029, 12, 31)),
            "strategy_covers_its_rows",
        )


class TestOtherSideClean:
    """Indicator.clean() and Strategy.clean() state the cross-table rules with a message."""

    def test_indicator_breakdown_change_refused_while_rows_do_not_fit(self, indicator, measure):
        saved(measure(indicator))
        indicator.by_region = True
        assert_refused(indicator, "by_region", "mesures déjà saisies")

    def test_indicator_aggregation_change_refused_while_rows_carry_values(self, indicator, measure):
        saved(measure(indicator))
        indicator.aggregation = Aggregation.RATIO
        assert_refused(indicator, "aggregation", "mesures déjà saisies")

    def test_strategy_dates_cannot_leave_targets_outside(self, strategy, indicator):
        Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("100"))
        strategy.end_date = dt.date(2029, 12, 31)
        assert_refused(strategy, "end_date", "hors des nouvelles dates")

    def test_target_before_the_baseline_is_refused_twice(self, make_indicator):
        ind = make_indicator(baseline_date=dt.date(2024, 12, 31))
        assert_refused(Target(indicator=ind, due_date=dt.date(2022, 12, 31), value=D("1")), "due_date", "31/12/2024")
        assert_db_refuses(
            lambda: Target.objects.create(indicator=ind, due_date=dt.date(2022, 12, 31), value=D("1")),
            "target_due_after_baseline",
        )

    def test_moving_the_baseline_after_a_target_is_refused_by_the_database(self, indicator):
        Target.objects.create(indicator=indicator, due_date=dt.date(2022, 12, 31), value=D("1"))
        assert_db_refuses(
            lambda: Indicator.objects.filter(pk=indicator.pk).update(baseline_date=dt.date(2023, 1, 1)),
            "indicator_baseline_before_targets",
        )


def test_every_rule_trigger_is_installed_after_migrate(db):
    """SQLite drops a table's triggers when a migration rebuilds it; post_migrate puts them back."""
    from django.db import connection

    from artisanat import triggers
    from strategy.db_rules import RULES

    assert {rule.name for rule in RULES} <= triggers.installed_rules(connection)
    triggers.install_all(connection)  # idempotent
    assert {rule.name for rule in RULES} <= triggers.installed_rules(connection)


# ── Periods aligned to the indicator's frequency (issue 13) ────────────────────────


def _month_end(year, month):
    import calendar

    return dt.date(year, month, calendar.monthrange(year, month)[1])


class TestMeasurementFitsFrequency:
    """A measurement covers exactly one period of its indicator's frequency: clean()
    says so on period_end and proposes the right period; the trigger
    measurement_period_fits_frequency refuses the same row whatever writes it."""

    def test_clean_refuses_a_quarter_on_a_yearly_indicator_and_proposes_the_year(self, indicator, measure):
        m = measure(indicator, period_start=dt.date(2024, 4, 1), period_end=dt.date(2024, 6, 30))
        assert_refused(m, "period_end", "annuelle", "du 01/01/2024 au 31/12/2024", "(2024)")

    def test_database_refuses_a_quarter_on_a_yearly_indicator(self, indicator, measure):
        m = measure(indicator, period_start=dt.date(2024, 4, 1), period_end=dt.date(2024, 6, 30))
        assert_db_refuses(m.save, "measurement_period_fits_frequency")
        assert Measurement.objects.count() == 0

    def test_a_quarterly_indicator_accepts_a_quarter_and_refuses_a_year(self, make_indicator, measure):
        quarterly = make_indicator(frequency=Frequency.QUARTERLY)
        quarter = measure(quarterly, period_start=dt.date(2024, 7, 1), period_end=dt.date(2024, 9, 30))
        quarter.full_clean()
        quarter.save()
        year = measure(quarterly, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))
        assert_refused(year, "period_end", "trimestrielle", "du 01/01/2025 au 31/03/2025", "(T1 2025)")
        assert_db_refuses(year.save, "measurement_period_fits_frequency")
        assert list(Measurement.objects.values_list("period_start", "period_end")) == [
            (dt.date(2024, 7, 1), dt.date(2024, 9, 30))
        ]

    def test_database_refuses_moving_a_row_off_its_period(self, indicator, measure):
        m = saved(measure(indicator))
        assert_db_refuses(
            lambda: Measurement.objects.filter(pk=m.pk).update(period_end=dt.date(2024, 6, 30)),
            "measurement_period_fits_frequency",
        )
        m.refresh_from_db()
        assert (m.period_start, m.period_end) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))

    @pytest.mark.parametrize("frequency", Frequency.values)
    def test_the_database_agrees_with_is_period_on_every_frequency(self, make_indicator, measure, frequency):
        """Every start on the first of a month of 2024 (a leap year) or a 2nd of January,
        every end on the last day of a month of 2024, 28/02/2024 or 31/12/2025: the
        trigger refuses exactly the periods periods.is_period refuses."""
        from strategy import periods

        ind = make_indicator(frequency=frequency)
        row = saved(measure(ind, period_start=dt.date(2024, 1, 1), period_end=_month_end(2024, _months_of(frequency))))
        starts = [dt.date(2024, month, 1) for month in range(1, 13)] + [dt.date(2024, 1, 2)]
        ends = [_month_end(2024, month) for month in range(1, 13)] + [dt.date(2024, 2, 28), dt.date(2025, 12, 31)]
        verdicts, expected = {}, {}
        for start in starts:
            for end in ends:
                if end < start:
                    continue
                expected[(start, end)] = periods.is_period(frequency, start, end)
                try:
                    with transaction.atomic():
                        Measurement.objects.filter(pk=row.pk).update(period_start=start, period_end=end)
                    verdicts[(start, end)] = True
                except IntegrityError as error:
                    assert "measurement_period_fits_frequency" in str(error)
                    verdicts[(start, end)] = False
        assert verdicts == expected
        # Worked out by hand: as many accepted periods as the frequency has in 2024.
        assert sum(verdicts.values()) == {"monthly": 12, "quarterly": 4, "half_yearly": 2, "yearly": 1}[frequency]


def _months_of(frequency):
    from strategy.choices import FREQUENCY_MONTHS

    return FREQUENCY_MONTHS[Frequency(frequency)]


class TestIndicatorFrequencyChange:
    def test_clean_names_the_rows_that_do_not_fit_the_new_frequency(self, indicator, measure):
        rows = [
            saved(measure(indicator, period_start=dt.date(year, 1, 1), period_end=dt.date(year, 12, 31)))
            for year in range(2021, 2027)
        ]
        indicator.frequency = Frequency.QUARTERLY
        text = assert_refused(indicator, "frequency", "6 mesures", "trimestrielle", "…")
        named = [f"n° {m.pk} ({m.period_start:%d/%m/%Y}–{m.period_end:%d/%m/%Y})" for m in rows]
        for name in named[:5]:  # the first five, oldest first
            assert name in text
        assert named[5] not in text

    def test_clean_names_a_single_row_in_the_singular(self, indicator, measure):
        m = saved(measure(indicator))
        indicator.frequency = Frequency.HALF_YEARLY
        assert_refused(indicator, "frequency", "1 mesure déjà saisie", f"n° {m.pk} (01/01/2024–31/12/2024)")

    def test_database_refuses_changing_the_frequency_under_rows_that_do_not_fit(self, indicator, measure):
        saved(measure(indicator))
        assert_db_refuses(
            lambda: Indicator.objects.filter(pk=indicator.pk).update(frequency=Frequency.MONTHLY),
            "indicator_frequency_fits_its_measurements",
        )
        indicator.refresh_from_db()
        assert indicator.frequency == Frequency.YEARLY

    def test_an_indicator_without_rows_changes_its_frequency(self, indicator):
        indicator.frequency = Frequency.QUARTERLY
        indicator.full_clean()
        indicator.save()
        indicator.refresh_from_db()
        assert indicator.frequency == Frequency.QUARTERLY


@pytest.fixture
def legacy_misfit(indicator, measure, partner_a):
    """A half-year row on a yearly indicator, as data recorded before the period rule
    (the 0007 migration keeps such rows): written with the rule's triggers removed."""
    row = measure(indicator, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 6, 30), reported_by=partner_a)
    rules_off(row.save)
    return row


class TestLegacyMisfitRows:
    """Rows recorded before the rule: kept, never moved forward while they do not fit,
    always sendable back to their reporter to be corrected."""

    def test_submitting_or_validating_it_is_refused_with_the_right_period(self, legacy_misfit, partner_a, validator):
        from strategy import services

        with pytest.raises(ValidationError) as refused:
            services.submit_measurement(legacy_misfit, by=partner_a)
        assert "du 01/01/2024 au 31/12/2024" in " ".join(refused.value.message_dict["period_end"])
        # The database agrees, whatever writes it:
        assert_db_refuses(
            lambda: Measurement.objects.filter(pk=legacy_misfit.pk).update(status=MeasurementStatus.SUBMITTED),
            "measurement_period_fits_frequency",
        )
        assert_db_refuses(
            lambda: Measurement.objects.filter(pk=legacy_misfit.pk).update(status=MeasurementStatus.VALIDATED),
            "measurement_period_fits_frequency",
        )
        legacy_misfit.refresh_from_db()
        assert legacy_misfit.status == MeasurementStatus.DRAFT

    def test_a_submitted_one_cannot_be_validated_but_goes_back_to_be_corrected(
        self, legacy_misfit, partner_a, validator
    ):
        from strategy import services

        # Submitted before the rule existed.
        rules_off(lambda: Measurement.objects.filter(pk=legacy_misfit.pk).update(status=MeasurementStatus.SUBMITTED))
        legacy_misfit.refresh_from_db()
        with pytest.raises(ValidationError) as refused:
            services.validate_measurement(legacy_misfit, by=validator)
        assert "du 01/01/2024 au 31/12/2024" in " ".join(refused.value.message_dict["period_end"])
        legacy_misfit.refresh_from_db()
        assert legacy_misfit.status == MeasurementStatus.SUBMITTED

        services.return_measurement(legacy_misfit, by=validator, reason="Période d'un semestre : déclarer l'année.")
        legacy_misfit.refresh_from_db()
        assert legacy_misfit.status == MeasurementStatus.RETURNED
        # Changing its value only is still refused: the period must be corrected first.
        legacy_misfit.value = D("130")
        with pytest.raises(ValidationError):
            services.save_measurement(legacy_misfit, by=partner_a, reason="Saisie (test)")
        legacy_misfit.refresh_from_db()
        legacy_misfit.period_end = dt.date(2024, 12, 31)
        services.save_measurement(legacy_misfit, by=partner_a, reason="Saisie (test)")
        services.submit_measurement(legacy_misfit, by=partner_a)
        services.validate_measurement(legacy_misfit, by=validator)
        legacy_misfit.refresh_from_db()
        assert (legacy_misfit.status, legacy_misfit.period_end) == (MeasurementStatus.VALIDATED, dt.date(2024, 12, 31))

    def test_a_validated_one_can_be_reopened(self, legacy_misfit, validator):
        from strategy import services

        rules_off(lambda: Measurement.objects.filter(pk=legacy_misfit.pk).update(status=MeasurementStatus.VALIDATED))
        legacy_misfit.refresh_from_db()
        services.reopen_measurement(legacy_misfit, by=validator, reason="Période à corriger.")
        legacy_misfit.refresh_from_db()
        assert legacy_misfit.status == MeasurementStatus.RETURNED

    def test_its_indicator_can_still_be_edited_but_not_change_frequency(self, legacy_misfit, indicator):
        indicator.name = "Artisans formés (renommé)"
        indicator.full_clean()
        indicator.save()
        indicator.frequency = Frequency.HALF_YEARLY  # the misfit fits, the 2024 year would not…
        indicator.full_clean()  # …but it is the only row: it fits a half-year
        indicator.frequency = Frequency.QUARTERLY
        assert_refused(indicator, "frequency", "1 mesure", f"n° {legacy_misfit.pk} (01/01/2024–30/06/2024)")


def rules_off(write):
    """Run ``write`` as data written before the rules existed (their triggers removed)."""
    from artisanat import triggers

    rules = next(s for s in triggers.registered() if s.name == "strategy_rules")
    rules.drop()
    try:
        write()
    finally:
        rules.install()
