"""``manage.py seed_scale``: the benchmark's synthetic data set, at a small N — every rule
holds (clean() on a sample, the database's constraints and triggers on every row), the
counts, every workflow state, every breakdown value, the stored figures equal to the
computation over the rows, and the same data twice for the same N."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from artisanat.dates import today
from artisanat.models import Filiere, Region
from contracts.models import Commitment, ContratProgramme, Disbursement, Milestone, Party
from portal.management.commands import seed_scale
from strategy import periods
from strategy.choices import ActorType, MeasurementStatus, Sex
from strategy.models import Indicator, Measurement
from tests.oracle import raw_figures

N = 3000
pytestmark = pytest.mark.django_db


def run(**options):
    out = StringIO()
    call_command("seed_scale", stdout=out, **options)
    return out.getvalue()


def snapshot():
    """The synthetic rows by natural key and values (ids and timestamps left out)."""
    measurements = sorted(
        Measurement.objects.filter(indicator__code__startswith=seed_scale.PREFIX).values_list(
            "indicator__code",
            "period_start",
            "period_end",
            "region__code",
            "filiere__code",
            "sex",
            "actor_type",
            "value",
            "numerator",
            "denominator",
            "status",
            "status_reason",
            "organisation__acronym",
        )
    )
    milestones = sorted(
        Milestone.objects.filter(contract__reference__startswith=seed_scale.PREFIX).values_list(
            "contract__reference", "title", "due_date", "status", "date_met"
        )
    )
    money = sorted(
        Disbursement.objects.filter(commitment__party__contract__reference__startswith=seed_scale.PREFIX).values_list(
            "reference", "date", "amount"
        )
    )
    return measurements, milestones, money


@pytest.fixture
def seeded(db):
    run(measurements=N, contracts=30)


def test_counts_states_breakdowns_and_markers(seeded):
    synthetic = Measurement.objects.filter(indicator__code__startswith=seed_scale.PREFIX)
    assert synthetic.count() == N
    assert Indicator.objects.filter(code__startswith=seed_scale.PREFIX).count() == 489
    # Every workflow state, each returned row with its reason, each validated one with who and when.
    assert set(synthetic.values_list("status", flat=True)) == set(MeasurementStatus.values)
    assert not synthetic.filter(status=MeasurementStatus.RETURNED, status_reason="").exists()
    validated = synthetic.filter(status=MeasurementStatus.VALIDATED)
    assert not validated.filter(validated_by__isnull=True).exists()
    assert not validated.filter(validated_at__isnull=True).exists()
    assert not synthetic.exclude(status=MeasurementStatus.VALIDATED).filter(validated_by__isnull=False).exists()
    # Every region, filière, sex and actor type; the ten years of the strategy.
    assert set(synthetic.exclude(region=None).values_list("region", flat=True)) == set(
        Region.objects.values_list("pk", flat=True)
    )
    assert set(synthetic.exclude(filiere=None).values_list("filiere", flat=True)) == set(
        Filiere.objects.values_list("pk", flat=True)
    )
    assert set(synthetic.exclude(sex="").values_list("sex", flat=True)) == set(Sex.values)
    assert set(synthetic.exclude(actor_type="").values_list("actor_type", flat=True)) == set(ActorType.values)
    years = {d.year for d in synthetic.values_list("period_start", flat=True)}
    assert years == set(range(2021, 2031))
    # Monthly indicators, every row one calendar month (the database refused any other);
    # sent after the month's end and before its validation, drafts never sent.
    assert set(
        Indicator.objects.filter(code__startswith=seed_scale.PREFIX).values_list("frequency", "report_delay_days")
    ) == {("monthly", 30)}
    for start, end in synthetic.values_list("period_start", "period_end").distinct():
        assert periods.is_period("monthly", start, end), (start, end)
    assert not synthetic.filter(status=MeasurementStatus.DRAFT, submitted_at__isnull=False).exists()
    assert not synthetic.exclude(status=MeasurementStatus.DRAFT).filter(submitted_at__isnull=True).exists()
    for end, submitted, validated_at in validated.values_list("period_end", "submitted_at", "validated_at")[:200]:
        assert end < submitted.date() <= end + dt.timedelta(days=18) and submitted < validated_at
    # Marked as synthetic wherever a source is shown; one creation history row each.
    assert set(synthetic.values_list("source", flat=True)) == {seed_scale.SYNTHETIC}
    assert (
        Measurement.history.filter(
            indicator__code__startswith=seed_scale.PREFIX, history_type="+", history_change_reason="seed_scale"
        ).count()
        == N
    )
    # Contracts: parties, commitments, disbursements within each commitment, ten milestones each.
    contracts = ContratProgramme.objects.filter(reference__startswith=seed_scale.PREFIX)
    assert contracts.count() == 30
    assert Party.objects.filter(contract__in=contracts).count() == 150
    assert Milestone.objects.filter(contract__in=contracts).count() == 300
    assert Disbursement.objects.filter(commitment__party__contract__in=contracts).exists()
    for commitment in Commitment.objects.filter(party__contract__in=contracts).annotate(
        paid=Sum("disbursements__amount")
    ):
        assert (commitment.paid or 0) <= commitment.amount
    assert ContratProgramme.history.filter(reference__startswith=seed_scale.PREFIX).count() == 30


def test_every_row_passes_the_model_rules(seeded):
    """clean() on a spread of rows of every kind (the database checked all of them)."""
    rows = Measurement.objects.filter(indicator__code__startswith=seed_scale.PREFIX).select_related(
        "indicator__axis__strategy"
    )
    for measurement in rows.order_by("pk")[:: N // 60]:
        measurement.full_clean()
    for indicator in Indicator.objects.filter(code__startswith=seed_scale.PREFIX).order_by("pk")[::25]:
        indicator.full_clean()
    contracts = ContratProgramme.objects.filter(reference__startswith=seed_scale.PREFIX)
    for rows in (
        contracts,
        Party.objects.filter(contract__in=contracts),
        Milestone.objects.filter(contract__in=contracts),
    ):
        for row in rows.order_by("pk")[::7]:
            row.full_clean()
    for disbursement in Disbursement.objects.filter(commitment__party__contract__in=contracts)[::9]:
        disbursement.full_clean()


def test_stored_figures_equal_the_computation_over_the_rows(seeded):
    indicators = Indicator.objects.filter(code__startswith=seed_scale.PREFIX).order_by("code")[:60]
    stored = {
        i.code: (i.achieved, i.progress, i.status)
        for i in Indicator.objects.filter(pk__in=indicators).with_figures(today())
    }
    raw = {
        i.code: (i.achieved, i.progress, i.status)
        for i in raw_figures(Indicator.objects.filter(pk__in=indicators), today())
    }
    assert stored == raw
    assert any(achieved is not None for achieved, _p, _s in stored.values())


def test_same_n_gives_the_same_data_and_a_second_run_needs_replace(seeded):
    first = snapshot()
    with pytest.raises(CommandError, match="--replace"):
        run(measurements=N, contracts=30)
    run(measurements=N, contracts=30, replace=True)
    assert snapshot() == first
    assert Measurement.objects.filter(indicator__code__startswith=seed_scale.PREFIX).count() == N


def test_allocation_spreads_evenly_within_capacities():
    assert seed_scale.allocate(10, [1, 100, 100]) == [1, 4, 5]
    quotas = seed_scale.allocate(1000, [120, 1440, 126720])
    assert sum(quotas) == 1000 and quotas[0] <= 120
    assert quotas == [120, 440, 440]  # the small one full, the rest shared evenly
    with pytest.raises(CommandError):
        seed_scale.allocate(500, [120, 120])
    assert seed_scale.spread(4) == [0, 39, 79, 119]
    assert seed_scale.spread(1) == [0]
    assert seed_scale.spread(120) == list(range(120))
