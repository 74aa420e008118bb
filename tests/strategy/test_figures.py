"""The figures of docs/figures.md, each checked against a number worked out by hand."""

import datetime as dt
from decimal import Decimal as D

import pytest

from strategy.choices import Aggregation, Direction, MeasurementStatus, Sex, TrajectoryStatus
from strategy.models import Axis, Indicator, Measurement, Phase, Programme, Target

V = MeasurementStatus.VALIDATED


def year(y):
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


def add(indicator, org, y, value=None, status=V, reason="", **dims):
    start, end = year(y) if isinstance(y, int) else y
    extra = {"status_reason": reason or ("motif" if status == MeasurementStatus.RETURNED else "")}
    if isinstance(value, tuple):
        extra.update(numerator=D(value[0]), denominator=D(value[1]))
    else:
        extra["value"] = D(value)
    return Measurement.objects.create(
        indicator=indicator, period_start=start, period_end=end, organisation=org, status=status, **extra, **dims
    )


def figures_of(indicator, as_of, **kw):
    return Indicator.objects.with_figures(as_of, **kw).get(pk=indicator.pk)


def target(indicator, due, value, **scope):
    return Target.objects.create(indicator=indicator, due_date=due, value=D(value), **scope)


class TestAchievedValue:
    def test_sum_adds_every_validated_period_total_since_the_start(self, make_indicator, org_a, region, other_region):
        ind = make_indicator(aggregation=Aggregation.SUM, by_region=True)
        add(ind, org_a, 2021, 60, region=region)
        add(ind, org_a, 2021, 40, region=other_region)  # 2021 total = 100
        add(ind, org_a, 2022, 150, region=region)
        add(ind, org_a, 2023, 200, region=region)
        # 100 + 150 + 200 = 450 (no double counting of cumulative totals)
        assert figures_of(ind, dt.date(2023, 12, 31)).achieved == D("450")
        # As of 30/06/2022 only 2021 has ended: 100.
        assert figures_of(ind, dt.date(2022, 6, 30)).achieved == D("100")

    def test_latest_is_the_total_of_the_most_recent_period(self, make_indicator, org_a, region, other_region):
        ind = make_indicator(aggregation=Aggregation.LATEST, baseline_value=D("340000"), by_region=True)
        add(ind, org_a, 2023, 200000, region=region)
        add(ind, org_a, 2023, 160000, region=other_region)
        add(ind, org_a, 2024, 395000, region=region)
        assert figures_of(ind, dt.date(2024, 12, 31)).achieved == D("395000")
        assert figures_of(ind, dt.date(2023, 12, 31)).achieved == D("360000")

    def test_average_is_the_mean_of_period_totals(self, make_indicator, org_a, region, other_region):
        ind = make_indicator(aggregation=Aggregation.AVERAGE, by_region=True)
        add(ind, org_a, 2021, 4, region=region)
        add(ind, org_a, 2021, 6, region=other_region)  # total 10
        add(ind, org_a, 2022, 20, region=region)
        add(ind, org_a, 2023, 60, region=region)
        # (10 + 20 + 60) / 3 = 30, not the mean of the four rows (22.5)
        assert figures_of(ind, dt.date(2023, 12, 31)).achieved == D("30")

    def test_ratio_divides_sums_of_the_latest_period_never_averages_percentages(
        self, make_indicator, org_a, region, other_region
    ):
        ind = make_indicator(aggregation=Aggregation.RATIO, by_region=True)
        add(ind, org_a, 2022, (50, 100), region=region)  # older period, ignored
        add(ind, org_a, 2023, (30, 100), region=region)  # 30 %
        add(ind, org_a, 2023, (10, 50), region=other_region)  # 20 %
        # (30 + 10) / (100 + 50) = 26.6667 %, not (30 % + 20 %) / 2 = 25 %
        assert figures_of(ind, dt.date(2023, 12, 31)).achieved == D("26.6667")

    def test_only_validated_rows_count(self, make_indicator, org_a):
        ind = make_indicator()
        add(ind, org_a, 2021, 100)
        add(ind, org_a, 2022, 999, status=MeasurementStatus.SUBMITTED)
        add(ind, org_a, 2023, 999, status=MeasurementStatus.DRAFT)
        add(ind, org_a, 2024, 999, status=MeasurementStatus.RETURNED)
        assert figures_of(ind, dt.date(2025, 1, 1)).achieved == D("100")

    def test_no_validated_row_is_no_data_not_zero(self, make_indicator, org_a):
        ind = make_indicator()
        target(ind, dt.date(2030, 12, 31), 1000)
        add(ind, org_a, 2021, 50, status=MeasurementStatus.SUBMITTED)
        empty = figures_of(ind, dt.date(2025, 1, 1))
        assert empty.achieved is None
        assert empty.progress is None
        assert empty.status == TrajectoryStatus.NO_DATA
        assert empty.forecast_date is None
        add(ind, org_a, 2022, 0)
        zero = figures_of(ind, dt.date(2025, 1, 1))
        assert zero.achieved == D("0")
        assert zero.progress == D("0")

    def test_region_scope_counts_only_that_region(self, make_indicator, org_a, region, other_region):
        ind = make_indicator(by_region=True)
        add(ind, org_a, 2021, 60, region=region)
        add(ind, org_a, 2021, 40, region=other_region)
        assert figures_of(ind, dt.date(2022, 1, 1), region=region).achieved == D("60")

    def test_sex_breakdown_rows_add_up(self, make_indicator, org_a):
        ind = make_indicator(by_sex=True)
        add(ind, org_a, 2021, 70, sex=Sex.FEMALE)
        add(ind, org_a, 2021, 30, sex=Sex.MALE)
        assert figures_of(ind, dt.date(2022, 1, 1)).achieved == D("100")


class TestProgress:
    def test_increasing_indicator_measures_from_the_baseline(self, make_indicator, org_a):
        # Exports: baseline 596 MDH, target 1 000 MDH; 798 achieved → 202 / 404 = 50 %.
        ind = make_indicator(aggregation=Aggregation.LATEST, baseline_value=D("596"))
        target(ind, dt.date(2030, 12, 31), 1000)
        add(ind, org_a, 2023, 798)
        assert figures_of(ind, dt.date(2024, 1, 1)).progress == D("50.00")

    def test_decreasing_indicator_uses_the_same_formula(self, make_indicator, org_a):
        # Baseline 20, target 10 (lower is better); 15 achieved → (15−20)/(10−20) = 50 %.
        ind = make_indicator(aggregation=Aggregation.LATEST, direction=Direction.DECREASE, baseline_value=D("20"))
        target(ind, dt.date(2030, 12, 31), 10)
        add(ind, org_a, 2023, 15)
        assert figures_of(ind, dt.date(2024, 1, 1)).progress == D("50.00")

    def test_going_backwards_gives_negative_progress_not_clamped(self, make_indicator, org_a):
        # (22 − 20) / (10 − 20) = −20 %
        ind = make_indicator(aggregation=Aggregation.LATEST, direction=Direction.DECREASE, baseline_value=D("20"))
        target(ind, dt.date(2030, 12, 31), 10)
        add(ind, org_a, 2023, 22)
        assert figures_of(ind, dt.date(2024, 1, 1)).progress == D("-20.00")

    @pytest.mark.parametrize(
        ("direction", "achieved", "expected"),
        [
            (Direction.INCREASE, 100, D("100")),
            (Direction.INCREASE, 99, D("0")),
            (Direction.INCREASE, 101, D("100")),
            (Direction.DECREASE, 99, D("100")),
            (Direction.DECREASE, 101, D("0")),
        ],
    )
    def test_target_equal_to_baseline_does_not_divide_by_zero(
        self, make_indicator, org_a, direction, achieved, expected
    ):
        ind = make_indicator(aggregation=Aggregation.LATEST, direction=direction, baseline_value=D("100"))
        target(ind, dt.date(2030, 12, 31), 100)
        add(ind, org_a, 2023, achieved)
        assert figures_of(ind, dt.date(2024, 1, 1)).progress == expected

    def test_progress_is_toward_the_last_target_unless_one_is_named(self, make_indicator, org_a):
        ind = make_indicator()
        target(ind, dt.date(2022, 12, 31), 200)
        target(ind, dt.date(2030, 12, 31), 1000)
        add(ind, org_a, 2021, 100)
        assert figures_of(ind, dt.date(2022, 1, 1)).progress == D("10.00")  # 100 / 1000
        assert figures_of(ind, dt.date(2022, 1, 1), target_date=dt.date(2022, 12, 31)).progress == D("50.00")

    def test_returned_value_does_not_count_until_validated_again(self, make_indicator, org_a):
        ind = make_indicator()
        target(ind, dt.date(2030, 12, 31), 1000)
        m = add(ind, org_a, 2021, 500, status=MeasurementStatus.RETURNED)
        assert figures_of(ind, dt.date(2022, 1, 1)).progress is None
        Measurement.objects.filter(pk=m.pk).update(status=V, status_reason="")
        assert figures_of(ind, dt.date(2022, 1, 1)).progress == D("50.00")


class TestTrajectory:
    """Baseline 0 on 31/12/2020 and a target of 730 on 31/12/2022: one unit a day expected."""

    @pytest.fixture
    def ind(self, make_indicator):
        ind = make_indicator()
        target(ind, dt.date(2022, 12, 31), 730)
        return ind

    def test_expected_value_is_linear_from_the_baseline_to_the_next_target(self, ind):
        assert figures_of(ind, dt.date(2021, 12, 31)).expected == D("365")

    def test_expected_value_between_two_targets_starts_from_the_last_target_due(self, ind):
        # 1 096 days from 31/12/2022 to 31/12/2025; on 01/01/2024 (366 days in):
        # 730 + (1 826 − 730) × 366 / 1 096 = 1 096.
        target(ind, dt.date(2025, 12, 31), 1826)
        assert figures_of(ind, dt.date(2024, 1, 1)).expected == D("1096")

    def test_a_past_due_target_compares_with_the_target_itself(self, ind):
        assert figures_of(ind, dt.date(2023, 6, 30)).expected == D("730")

    @pytest.mark.parametrize(
        ("value", "status"),
        [
            (350, TrajectoryStatus.ON_TRACK),  # 350 / 365 = 95.9 %
            (300, TrajectoryStatus.AT_RISK),  # 82.2 %
            (200, TrajectoryStatus.OFF_TRACK),  # 54.8 %
        ],
    )
    def test_status_bands(self, ind, org_a, value, status):
        add(ind, org_a, 2021, value)
        assert figures_of(ind, dt.date(2021, 12, 31)).status == status

    def test_bands_come_from_settings(self, ind, org_a, settings):
        settings.STATUS_ON_TRACK_MIN = D("0.97")
        add(ind, org_a, 2021, 350)
        assert figures_of(ind, dt.date(2021, 12, 31)).status == TrajectoryStatus.AT_RISK

    def test_decreasing_indicator_status(self, make_indicator, org_a):
        # Baseline 100 → target 30 on 31/12/2022; expected on 31/12/2021 = 100 − 70 × 365/730 = 65.
        ind = make_indicator(aggregation=Aggregation.LATEST, direction=Direction.DECREASE, baseline_value=D("100"))
        target(ind, dt.date(2022, 12, 31), 30)
        add(ind, org_a, 2021, 70)  # (70 − 100) / (65 − 100) = 85.7 % → at risk
        row = figures_of(ind, dt.date(2021, 12, 31))
        assert row.expected == D("65")
        assert row.status == TrajectoryStatus.AT_RISK

    def test_forecast_extends_the_pace_to_the_next_target(self, ind, org_a):
        # 365 in the 365 days of 2021: one a day; 365 more days to reach 730 → 31/12/2022.
        add(ind, org_a, 2021, 365)
        assert figures_of(ind, dt.date(2022, 1, 15)).forecast_date == dt.date(2022, 12, 31)

    def test_forecast_at_half_pace_takes_twice_as_long(self, ind, org_a):
        # 182.5 a year → 0.5 a day; 547.5 left → 1 095 days after 31/12/2021 = 30/12/2024.
        add(ind, org_a, 2021, D("182.5"))
        assert figures_of(ind, dt.date(2022, 1, 15)).forecast_date == dt.date(2024, 12, 30)

    def test_no_forecast_when_the_pace_goes_the_wrong_way_or_is_zero(self, make_indicator, org_a):
        ind = make_indicator(aggregation=Aggregation.LATEST, baseline_value=D("100"))
        target(ind, dt.date(2030, 12, 31), 200)
        add(ind, org_a, 2021, 90)
        assert figures_of(ind, dt.date(2022, 1, 1)).forecast_date is None
        Measurement.objects.update(value=D("100"))
        assert figures_of(ind, dt.date(2022, 1, 1)).forecast_date is None


class TestRollUp:
    def test_axis_progress_is_the_weighted_mean_of_clamped_progress(self, make_indicator, org_a, axis):
        half = make_indicator()  # 50 %
        over = make_indicator()  # 150 % → counts as 100 %
        make_indicator()  # no data: left out of the mean, counted beside it
        for ind, value in ((half, 50), (over, 150)):
            target(ind, dt.date(2030, 12, 31), 100)
            add(ind, org_a, 2021, value)
        rollup = Axis.objects.with_rollup(dt.date(2022, 1, 1)).get(pk=axis.pk).rollup
        assert rollup.progress == D("75.00")
        assert (rollup.with_data, rollup.without_data) == (2, 1)
        assert rollup.status_counts[TrajectoryStatus.NO_DATA] == 1

    def test_weights_and_negative_progress_clamped_to_zero(self, make_indicator, org_a, programme):
        heavy = make_indicator(weight=D("3"))  # 20 % × 3
        light = make_indicator(weight=D("1"))  # 100 % × 1
        backwards = make_indicator(aggregation=Aggregation.LATEST, baseline_value=D("50"), weight=D("1"))  # −20 % → 0
        for ind, value in ((heavy, 20), (light, 100)):
            target(ind, dt.date(2030, 12, 31), 100)
            add(ind, org_a, 2021, value)
        target(backwards, dt.date(2030, 12, 31), 100)
        add(backwards, org_a, 2021, 40)
        rollup = Programme.objects.with_rollup(dt.date(2022, 1, 1)).get(pk=programme.pk).rollup
        # (20 × 3 + 100 × 1 + 0 × 1) / 5 = 32 %
        assert rollup.progress == D("32.00")

    def test_phase_measures_against_the_target_due_at_its_end(self, make_indicator, org_a, phases):
        ind = make_indicator()
        target(ind, dt.date(2022, 12, 31), 200)  # Relance ends 31/12/2022
        target(ind, dt.date(2030, 12, 31), 1000)  # Accélération ends 31/12/2030
        make_indicator()  # no target at any phase end: left out
        add(ind, org_a, 2021, 100)
        by_code = {p.code: p for p in Phase.objects.with_rollup(dt.date(2022, 1, 1))}
        assert by_code["relance"].rollup.progress == D("50.00")
        assert by_code["acceleration"].rollup.progress == D("10.00")
        assert by_code["transformation"].rollup.progress is None
        assert by_code["relance"].rollup_without_target == 1

    def test_rollup_query_count_does_not_grow_with_indicators(
        self, make_indicator, org_a, axis, django_assert_max_num_queries
    ):
        for _ in range(12):
            ind = make_indicator()
            target(ind, dt.date(2030, 12, 31), 100)
            add(ind, org_a, 2021, 10)
        with django_assert_max_num_queries(2):
            axes = list(Axis.objects.with_rollup(dt.date(2022, 1, 1)))
            assert axes[0].rollup.with_data == 12
        with django_assert_max_num_queries(3):
            phases = list(Phase.objects.with_rollup(dt.date(2022, 1, 1)))
            assert [p.rollup for p in phases] == [p.rollup for p in phases]


class TestEdgeCases:
    def test_a_forecast_beyond_the_calendar_is_no_forecast_not_a_crash(self, make_indicator, org_a):
        ind = make_indicator()
        target(ind, dt.date(2030, 12, 31), 100000000)
        add(ind, org_a, 2021, D("0.001"))
        assert figures_of(ind, dt.date(2022, 1, 1)).forecast_date is None

    def test_status_bands_apply_to_the_exact_ratio_not_a_rounded_one(self, make_indicator, org_a):
        # expected 100 000 on 31/12/2021 (target 200 000 on 31/12/2022, baseline 0 on 31/12/2020);
        # 94 996 achieved → 0.94996: below the 0.95 band, at risk (rounded it would be 0.9500).
        ind = make_indicator(aggregation=Aggregation.LATEST)
        target(ind, dt.date(2022, 12, 31), 200000)
        add(ind, org_a, 2021, 94996)
        row = figures_of(ind, dt.date(2021, 12, 31))
        assert row.expected == D("100000")
        assert row.status == TrajectoryStatus.AT_RISK

    def test_without_any_target_there_is_no_expected_value_and_no_status(self, make_indicator, org_a, axis):
        ind = make_indicator()
        add(ind, org_a, 2021, 10)
        row = figures_of(ind, dt.date(2022, 1, 1))
        assert (row.achieved, row.expected, row.progress) == (D("10"), None, None)
        assert row.status == TrajectoryStatus.NO_DATA
        rollup = Axis.objects.with_rollup(dt.date(2022, 1, 1)).get(pk=axis.pk).rollup
        assert (rollup.with_data, rollup.without_data, rollup.without_target) == (0, 0, 1)

    def test_a_scoped_level_has_no_progress_against_the_national_baseline(self, make_indicator, org_a, region):
        # Baseline 300 000 is national: a region's 35 000 cannot be measured from it.
        ind = make_indicator(aggregation=Aggregation.LATEST, baseline_value=D("300000"), by_region=True)
        target(ind, dt.date(2030, 12, 31), 40000, region=region)
        add(ind, org_a, 2023, 35000, region=region)
        row = figures_of(ind, dt.date(2024, 1, 1), region=region)
        assert row.achieved == D("35000")
        assert row.progress is None

    def test_a_scoped_cumulative_count_from_zero_has_progress(self, make_indicator, org_a, region):
        ind = make_indicator(by_region=True)
        target(ind, dt.date(2030, 12, 31), 400, region=region)
        add(ind, org_a, 2023, 100, region=region)
        assert figures_of(ind, dt.date(2024, 1, 1), region=region).progress == D("25.00")

    def test_a_closed_phase_keeps_the_score_it_ended_with(self, make_indicator, org_a, phases):
        # Relance target 100 at 31/12/2022: 30 + 30 validated during the phase, 60 more in 2023.
        ind = make_indicator()
        target(ind, dt.date(2022, 12, 31), 100)
        add(ind, org_a, 2021, 30)
        add(ind, org_a, 2022, 30)
        add(ind, org_a, 2023, 60)
        relance = next(p for p in Phase.objects.with_rollup(dt.date(2024, 6, 30)) if p.code == "relance")
        assert relance.rollup.progress == D("60.00")


class TestStatusAtTheLatestPeriodEnd:
    """The status compares the achieved value with the trajectory at the end of the latest
    validated period, not at ``as_of``; whether the next report is overdue is a separate
    flag (data late, since its due date). docs/figures.md, "Status" and "Data late"."""

    @pytest.fixture
    def exports(self, make_indicator):
        # EXP-FILIERE of the demo: a level (latest), 489 on 31/12/2020; targets 700 on
        # 31/12/2022, 900 on 31/12/2025, 1 300 on 31/12/2030; reported yearly, 90 days' delay.
        ind = make_indicator(aggregation=Aggregation.LATEST, baseline_value=D("489"))
        target(ind, dt.date(2022, 12, 31), 700)
        target(ind, dt.date(2025, 12, 31), 900)
        target(ind, dt.date(2030, 12, 31), 1300)
        return ind

    def test_a_value_above_its_years_trajectory_is_on_track_and_the_missing_year_is_late(self, exports, org_a):
        add(exports, org_a, 2023, 800)
        add(exports, org_a, 2024, D("912.90"))
        add(exports, org_a, 2025, 950, status=MeasurementStatus.SUBMITTED)  # not validated: does not count
        row = figures_of(exports, dt.date(2026, 9, 30))
        assert row.achieved == D("912.9")
        assert row.fig_latest_end == dt.date(2024, 12, 31)
        # At the end of 2024: 700 + (900 − 700) × 731 ÷ 1 096 days = 833.3942.
        assert row.status_expected == D("833.3942")
        # (912.90 − 489) ÷ (833.3942 − 489) = 423.90 ÷ 344.3942 = 1.2309 → on track.
        assert round(row.performance, 4) == D("1.2309")
        assert row.status == TrajectoryStatus.ON_TRACK
        # Where the trajectory is on 30/09/2026 (shown, not judged): 900 + 400 × 273 ÷ 1 826
        # = 959.8028; against it 423.90 ÷ 470.8028 = 0.90 would have read "at risk".
        assert row.expected == D("959.8028")
        # 2025's report was due 31/12/2025 + 90 days = 31/03/2026: late since then.
        assert row.data_late is True
        assert row.data_late_since == dt.date(2026, 3, 31)
        # On the due date itself it is not late yet; the day after, it is.
        assert figures_of(exports, dt.date(2026, 3, 31)).data_late_since is None
        assert figures_of(exports, dt.date(2026, 4, 1)).data_late_since == dt.date(2026, 3, 31)
        # Once 2025 is validated, 2026's report is the next one, due 31/03/2027.
        Measurement.objects.filter(indicator=exports, period_end=dt.date(2025, 12, 31)).update(status=V)
        # (950 − 489) ÷ (900 − 489) = 1.1217: still on track, judged against 2025's target.
        later = figures_of(exports, dt.date(2026, 9, 30))
        assert later.status_expected == D("900")
        assert (later.status, later.data_late) == (TrajectoryStatus.ON_TRACK, False)

    @pytest.mark.parametrize(
        ("value", "status"),
        [
            (800, TrajectoryStatus.AT_RISK),  # (800 − 489) ÷ 344.3942 = 0.9030
            (700, TrajectoryStatus.OFF_TRACK),  # (700 − 489) ÷ 344.3942 = 0.6127
        ],
    )
    def test_a_value_below_its_years_trajectory(self, exports, org_a, value, status):
        add(exports, org_a, 2024, value)
        row = figures_of(exports, dt.date(2026, 9, 30))
        assert row.status_expected == D("833.3942")
        assert row.status == status
        assert row.data_late_since == dt.date(2026, 3, 31)

    def test_a_past_due_target_compares_with_the_target_itself(self, make_indicator, org_a):
        # A count from 0 with one target, 730 due 31/12/2022; 400 + 250 + 60 validated.
        ind = make_indicator()
        target(ind, dt.date(2022, 12, 31), 730)
        add(ind, org_a, 2021, 400)
        add(ind, org_a, 2022, 250)
        # As of 31/12/2022: 650 ÷ 730 = 0.8904 → at risk.
        assert figures_of(ind, dt.date(2022, 12, 31)).status == TrajectoryStatus.AT_RISK
        add(ind, org_a, 2023, 60)
        # As of 30/06/2024 the latest period (2023) ends after the only target: the value
        # expected then is the target itself, 730; 710 ÷ 730 = 0.9726 → on track.
        row = figures_of(ind, dt.date(2024, 6, 30))
        assert row.status_expected == D("730")
        assert row.status == TrajectoryStatus.ON_TRACK
        # 2024's report is due 31/03/2025: not late on 30/06/2024.
        assert row.data_late is False

    def test_without_data_no_status_and_late_since_the_first_due_date(self, make_indicator, org_a):
        ind = make_indicator()  # baseline 31/12/2020, the strategy starts 01/01/2021
        target(ind, dt.date(2022, 12, 31), 730)
        add(ind, org_a, 2021, 300, status=MeasurementStatus.SUBMITTED)
        # The first report owed is 2021's, due 31/12/2021 + 90 days = 31/03/2022.
        on_due_day = figures_of(ind, dt.date(2022, 3, 31))
        assert (on_due_day.status, on_due_day.status_expected, on_due_day.data_late) == (
            TrajectoryStatus.NO_DATA,
            None,
            False,
        )
        after = figures_of(ind, dt.date(2022, 4, 1))
        assert after.status == TrajectoryStatus.NO_DATA
        assert after.data_late_since == dt.date(2022, 3, 31)
        # A baseline dated later than the start: the first period owed is the one that
        # contains it (2022), due 31/03/2023.
        Indicator.objects.filter(pk=ind.pk).update(baseline_date=dt.date(2022, 6, 30))
        assert figures_of(ind, dt.date(2022, 4, 1)).data_late is False
        assert figures_of(ind, dt.date(2023, 4, 1)).data_late_since == dt.date(2023, 3, 31)

    def test_a_quarterly_indicator(self, make_indicator, org_a):
        # Counted from 0 on 31/12/2023, 366 due 31/12/2024 (2024 has 366 days: one a day);
        # reported quarterly, 30 days after each quarter.
        ind = make_indicator(baseline_date=dt.date(2023, 12, 31), frequency="quarterly", report_delay_days=30)
        target(ind, dt.date(2024, 12, 31), 366)
        add(ind, org_a, (dt.date(2024, 1, 1), dt.date(2024, 3, 31)), 90)  # Q1
        row = figures_of(ind, dt.date(2024, 8, 15))
        # Judged at the end of Q1 (91 days): 90 ÷ 91 = 0.989 → on track (against the 228
        # expected on 15/08 it would read 0.39, off track).
        assert (row.status_expected, row.expected) == (D("91"), D("228"))
        assert row.status == TrajectoryStatus.ON_TRACK
        # Q2 (01/04–30/06) was due 30/06 + 30 days = 30/07/2024.
        assert row.data_late_since == dt.date(2024, 7, 30)
        assert figures_of(ind, dt.date(2024, 7, 30)).data_late is False

    def test_rollups_count_late_indicators_beside_the_statuses(self, make_indicator, org_a, axis, phases):
        late = make_indicator()  # 2021 only: 2022's report due 31/03/2023 is late on 01/06/2023
        current = make_indicator()  # 2021 and 2022: 2023's report not due yet
        empty = make_indicator()  # nothing: 2021's report late since 31/03/2022
        for ind in (late, current, empty):
            target(ind, dt.date(2022, 12, 31), 100)
        add(late, org_a, 2021, 50)
        add(current, org_a, 2021, 50)
        add(current, org_a, 2022, 50)
        rollup = Axis.objects.with_rollup(dt.date(2023, 6, 1)).get(pk=axis.pk).rollup
        assert rollup.data_late == 2
        assert sum(rollup.status_counts.values()) == 3
        # Relance (ends 31/12/2022) is read as of its end: only the empty one was late then.
        relance = next(p for p in Phase.objects.with_rollup(dt.date(2023, 6, 1)) if p.code == "relance")
        assert relance.rollup.data_late == 1
