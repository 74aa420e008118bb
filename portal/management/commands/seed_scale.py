"""``manage.py seed_scale --measurements N``: a large synthetic data set for the benchmark.

On top of ``load_strategy`` (the real strategy) and ``seed_demo`` (its accounts and demo
figures), it adds — every row marked "donnée synthétique (banc d'essai)" and every code
prefixed ``SYN-`` so that no page can pass them off as real figures:

- synthetic monthly indicators (``--indicators``, default 489: about 500 with the real ones) spread
  over the five axes and their programmes, with every combination of breakdown (region,
  filière, sex, actor type) and aggregation, three targets each (end of each phase);
- N monthly measurements over 2021–2030, spread evenly over the months of each breakdown
  cell, in every workflow state (validated, submitted, returned with its reason, draft);
- ``--contracts`` contracts (default 300) with parties, yearly commitments, disbursements
  within each commitment and ten milestones each, in every status.

Deterministic: everything is drawn from ``random.Random(--seed)`` in a fixed order, so the
same N on the same reference data gives the same rows. It writes with ``bulk_create`` in
batches (no per-row service call: a million ``save()`` would take an hour), which is why
it checks the rules itself before writing — the same ones ``clean()`` checks — and the
database's constraints and triggers still check every row. History: one creation row per
object (bulk, "seed_scale" as the reason, the demo user who would have entered it), as
the project's policy wants a history row for every row; ``--no-history`` skips them for
measurements (half the time on a million rows). Derived figures the project stores (``PeriodTotal``) are
rebuilt once at the end of the load (``strategy.services.bulk_load_figures``, which
calls the same rebuild as ``rebuild_figures()``). The measurement tables' plain indexes
are built once after the rows are in, and SQLite gets a larger page cache for the load
(``artisanat/bulk_load.py``): a million rows in about two minutes of CPU on SQLite.

A second run with synthetic rows already there stops, unless ``--replace`` (deletes the
synthetic rows first)."""

import datetime as dt
import random
import time
from bisect import bisect_right
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from artisanat import bulk_load
from artisanat.models import Filiere, Organisation, Region
from contracts.choices import ContractKind, ContractStatus, MilestoneStatus, PartyRole
from contracts.models import Commitment, ContratProgramme, Disbursement, Milestone, Party
from portal import reference_data as ref
from strategy import services as strategy_services
from strategy.choices import ActorType, Aggregation, Direction, Frequency, MeasurementStatus, Sex, Unit
from strategy.models import Axis, Indicator, Measurement, PeriodTotal, Phase, Programme, Strategy, Target

SYNTHETIC = "donnée synthétique (banc d'essai)"
PREFIX = "SYN-"
REASON = "seed_scale"
SEED = 2030
BATCH = 5000
D = dt.date

MONTHS = [(y, m) for y in range(2021, 2031) for m in range(1, 13)]  # 120 months of the strategy
# Breakdown flags (region, filière, sex, actor type), cycled over the synthetic indicators.
BREAKDOWNS = [
    (False, False, False, False),
    (True, False, False, False),
    (False, True, False, False),
    (True, False, True, False),
    (False, False, False, True),
    (True, True, False, False),
    (False, True, True, False),
    (True, False, False, True),
    (False, False, True, False),
    (True, True, True, True),
]
AGGREGATIONS = [Aggregation.SUM, Aggregation.LATEST, Aggregation.AVERAGE, Aggregation.SUM, Aggregation.RATIO]
UNITS = {
    Aggregation.SUM: [Unit.PEOPLE, Unit.ARTISANS, Unit.COUNT, Unit.MDH],
    Aggregation.LATEST: [Unit.COUNT, Unit.PLACES, Unit.MMDH],
    Aggregation.AVERAGE: [Unit.COUNT, Unit.MAD],
    Aggregation.RATIO: [Unit.PERCENT],
}
REPORTERS = [ref.FCA, ref.MDA]


def reporter_of(n):
    """The reporting organisation of the n-th synthetic indicator: both for every breakdown."""
    return REPORTERS[(n // len(BREAKDOWNS)) % len(REPORTERS)]


# Workflow state of a measurement: (cumulative probability, state).
STATES = [
    (0.90, MeasurementStatus.VALIDATED),
    (0.95, MeasurementStatus.SUBMITTED),
    (0.97, MeasurementStatus.RETURNED),
    (1.00, MeasurementStatus.DRAFT),
]
RETURN_REASON = "Écart avec la période précédente : confirmer la valeur (" + SYNTHETIC + ")."
CONTRACT_STATUSES = [
    ContractStatus.IN_EXECUTION,
    ContractStatus.IN_EXECUTION,
    ContractStatus.SIGNED,
    ContractStatus.COMPLETED,
    ContractStatus.SUSPENDED,
    ContractStatus.TERMINATED,
    ContractStatus.DRAFT,
]
MILESTONES_PER_CONTRACT = 10
MILESTONE_STATES = [
    MilestoneStatus.MET,
    MilestoneStatus.MET,
    MilestoneStatus.PARTIALLY_MET,
    MilestoneStatus.NOT_MET,
    MilestoneStatus.SCHEDULED,
    MilestoneStatus.SCHEDULED,
    MilestoneStatus.CANCELLED,
]


def month_period(index):
    year, month = MONTHS[index]
    following = D(year + 1, 1, 1) if month == 12 else D(year, month + 1, 1)
    return D(year, month, 1), following - dt.timedelta(days=1)


def spread(count, size=120):
    """``count`` month indices spread evenly over ``size`` months, first and last
    included (count <= size)."""
    if count <= 1:
        return [0] * count
    return [t * (size - 1) // (count - 1) for t in range(count)]


def allocate(total, capacities):
    """Share ``total`` between indicators as evenly as their capacities allow (water-filling)."""
    quotas = [0] * len(capacities)
    left, order = total, sorted(range(len(capacities)), key=lambda i: (capacities[i], i))
    for rank, i in enumerate(order):
        share = min(capacities[i], left // (len(order) - rank))
        quotas[i] = share
        left -= share
    # What integer division left over goes one by one to those with room, in order.
    for i in order:
        if left == 0:
            break
        room = capacities[i] - quotas[i]
        extra = min(room, left)
        quotas[i] += extra
        left -= extra
    if left:
        raise CommandError(f"Capacité insuffisante : {left} mesures ne trouvent pas de place.")
    return quotas


def cells_of(indicator, regions, filieres):
    """Every breakdown cell (region id, filière id, sex, actor type) the indicator asks for."""
    cells = [(None, None, "", "")]
    for on, values, slot in (
        (indicator.by_region, regions, 0),
        (indicator.by_filiere, filieres, 1),
        (indicator.by_sex, Sex.values, 2),
        (indicator.by_actor_type, ActorType.values, 3),
    ):
        if on:
            cells = [cell[:slot] + (value,) + cell[slot + 1 :] for cell in cells for value in values]
    return cells


# The measurement columns seed_scale fills, in the order of its row tuples: first those
# that change from row to row (period, state, value), then those fixed for a breakdown
# cell, so that a row is three ready tuples put end to end; every other column (version,
# timestamps, evidence…) takes its model default.
MEASUREMENT_PERIOD_STATE = [
    "period_start",
    "period_end",
    "status",
    "status_reason",
    "validated_by_id",
    "validated_at",
    "submitted_at",
]
MEASUREMENT_VALUE = ["value", "numerator", "denominator"]
MEASUREMENT_CELL = [
    "indicator_id",
    "region_id",
    "filiere_id",
    "sex",
    "actor_type",
    "source",
    "organisation_id",
    "reported_by_id",
]
MEASUREMENT_COLUMNS = MEASUREMENT_PERIOD_STATE + MEASUREMENT_VALUE + MEASUREMENT_CELL


class RawInsert:
    """Multi-row INSERT of ready tuples into ``model``'s table: the given columns, then
    every other concrete column at its default (auto_now fields: now), prepared once."""

    def __init__(self, model, given):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(given) - set(fields)
        if unknown:
            raise CommandError(f"Colonnes inconnues pour {model.__name__} : {sorted(unknown)}")
        now = timezone.now()
        rest = [f for f in fields.values() if f.attname not in given and not f.primary_key]
        self.constants = tuple(
            f.get_db_prep_save(
                now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default(),
                connection,
            )
            for f in rest
        )
        columns = [fields[name].column for name in given] + [f.column for f in rest]
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.columns = ", ".join(quote(c) for c in columns)
        self.width = len(columns)

    def write(self, rows, *, complete=False):
        """Insert ``rows``: tuples of the given columns, to which the defaults are added —
        unless ``complete`` (the rows already end with ``self.constants``)."""
        if not rows:
            return 0
        if not complete:
            rows = [row + self.constants for row in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                from psycopg2.extras import execute_values

                sql = f"INSERT INTO {self.table} ({self.columns}) VALUES %s"
                execute_values(cursor.cursor, sql, rows, page_size=1000)
            else:
                placeholders = ", ".join(["%s"] * self.width)
                cursor.executemany(f"INSERT INTO {self.table} ({self.columns}) VALUES ({placeholders})", rows)
        return len(rows)


def copy_to_history(model, queryset, user_column):
    """One creation history row per row of ``queryset``, in one INSERT … SELECT: the
    row's values, now, "+", ``user_column`` as the history user, "seed_scale" as the reason."""
    history = model.history.model
    quote = connection.ops.quote_name
    source = {f.attname: f.column for f in model._meta.concrete_fields}
    targets, selects, params = [], [], []
    for field in history._meta.concrete_fields:
        if field.primary_key:
            continue
        targets.append(quote(field.column))
        if field.attname == "history_date":
            selects.append("%s")
            params.append(field.get_db_prep_save(timezone.now(), connection))
        elif field.attname == "history_change_reason":
            selects.append("%s")
            params.append(REASON)
        elif field.attname == "history_type":
            selects.append("%s")
            params.append("+")
        elif field.attname == "history_user_id":
            selects.append(quote(source[user_column]))
        elif field.attname in source:
            selects.append(quote(source[field.attname]))
        else:
            selects.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    ids_sql, ids_params = queryset.values("pk").query.sql_with_params()
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(targets)}) "
        f"SELECT {', '.join(selects)} FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN ({ids_sql})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids_params])
        return cursor.rowcount


class Seeder:
    def __init__(self, out, *, seed, history):
        self.out = out
        self.rng = random.Random(seed)
        self.history = history
        self.timings = {}
        self.counts = {}
        self.cpu = time.process_time()

    def step(self, label, started, count):
        """One line of the timing table: wall time since ``started``, and this process's
        CPU time since the previous line (SQLite works in the process: on a busy machine
        the CPU time says what the wall time cannot)."""
        self.timings[label] = time.monotonic() - started
        self.counts[label] = count
        cpu, self.cpu = time.process_time() - self.cpu, time.process_time()
        self.out.write(f"  {label:<14}{count:>10}  {self.timings[label]:6.1f} s  (CPU {cpu:6.1f} s)")
        self.out.flush()

    # Indicators and targets ---------------------------------------------------------
    def indicators(self, count, strategy, orgs, editor):
        started = time.monotonic()
        axes = list(Axis.objects.filter(strategy=strategy).order_by("number"))
        programmes = {}
        for programme in Programme.objects.filter(axis__in=axes).order_by("code"):
            programmes.setdefault(programme.axis_id, []).append(programme)
        rows = []
        for n in range(count):
            axis = axes[n % len(axes)]
            choices = programmes.get(axis.pk, [])
            slot = (n // len(axes)) % (len(choices) + 1)  # now and then no programme, as the model allows
            programme = choices[slot] if slot < len(choices) else None
            by_region, by_filiere, by_sex, by_actor = BREAKDOWNS[n % len(BREAKDOWNS)]
            aggregation = AGGREGATIONS[(n // len(BREAKDOWNS)) % len(AGGREGATIONS)]
            units = UNITS[aggregation]
            baseline = Decimal(self.rng.randrange(0, 50)) if aggregation == Aggregation.RATIO else None
            if baseline is None:
                baseline = Decimal(0) if aggregation == Aggregation.SUM else Decimal(self.rng.randrange(100, 100000))
            rows.append(
                Indicator(
                    code=f"{PREFIX}{n + 1:04d}",
                    name=f"Indicateur synthétique n° {n + 1} — axe {axis.number}",
                    definition=f"Indicateur de charge pour le banc d'essai ({SYNTHETIC}).",
                    axis=axis,
                    programme=programme,
                    unit=units[n % len(units)],
                    direction=Direction.DECREASE if n % 17 == 5 else Direction.INCREASE,
                    aggregation=aggregation,
                    baseline_value=baseline,
                    baseline_date=D(2020, 12, 31),
                    baseline_source=SYNTHETIC,
                    weight=Decimal(1 + n % 3),
                    by_region=by_region,
                    by_filiere=by_filiere,
                    by_sex=by_sex,
                    by_actor_type=by_actor,
                    # Monthly: each row is one calendar month (month_period).
                    frequency=Frequency.MONTHLY,
                    report_delay_days=30,
                )
            )
        for indicator in rows[:50]:  # the same rules as clean(), on a sample (all share one shape)
            indicator.full_clean(exclude=["reporting_organisations"], validate_unique=False)
        created = self.bulk(Indicator, rows, editor)
        through = Indicator.reporting_organisations.through
        through.objects.bulk_create(
            [
                through(indicator_id=indicator.pk, organisation_id=orgs[reporter_of(n)].pk)
                for n, indicator in enumerate(created)
            ],
            batch_size=BATCH,
        )
        targets = []
        for indicator in created:
            step = Decimal(self.rng.randrange(5, 40))
            for k, due in enumerate((D(2022, 12, 31), D(2025, 12, 31), D(2030, 12, 31)), start=1):
                if indicator.aggregation == Aggregation.RATIO:
                    value = min(Decimal(100), indicator.baseline_value + step * k / 2)
                elif indicator.direction == Direction.DECREASE:
                    value = max(Decimal(0), indicator.baseline_value - indicator.baseline_value * k / 10)
                elif indicator.aggregation == Aggregation.SUM:
                    value = step * 1000 * k
                else:
                    value = indicator.baseline_value + indicator.baseline_value * k / 10
                targets.append(Target(indicator=indicator, due_date=due, value=value, source=SYNTHETIC))
        for target in targets[:30]:
            target.full_clean(validate_constraints=False)
        self.bulk(Target, targets, editor)
        self.step("indicateurs", started, len(created))
        self.counts["cibles"] = len(targets)
        return created

    # Measurements -----------------------------------------------------------------
    def measurements(self, total, indicators, orgs, users):
        """N rows in raw multi-row inserts: building a million model instances and
        letting the ORM prepare twenty values each would take minutes of Python alone."""
        started = time.monotonic()
        regions = list(Region.objects.order_by("code").values_list("pk", flat=True))
        filieres = list(Filiere.objects.order_by("code").values_list("pk", flat=True))
        cells = [cells_of(i, regions, filieres) for i in indicators]
        quotas = allocate(total, [len(c) * len(MONTHS) for c in cells])
        ops = connection.ops
        reporters = {ref.FCA: users["partner_fca"].pk, ref.MDA: users["partner_mda"].pk}
        validator = users["validator"].pk
        insert = RawInsert(Measurement, MEASUREMENT_COLUMNS)
        # Every (month, state) pair's period and state columns, ready: the loop only picks.
        bounds = [bound for bound, _state in STATES]
        period_states = []
        for month in range(len(MONTHS)):
            period_start, period_end = month_period(month)
            validated_at = dt.datetime.combine(period_end + dt.timedelta(days=20), dt.time(12), dt.UTC)
            # First sent 5 to 18 days after the month's end (before its validation, within
            # the 30 days a synthetic indicator allows); a draft was never sent.
            submitted_at = ops.adapt_datetimefield_value(
                dt.datetime.combine(period_end + dt.timedelta(days=5 + month % 14), dt.time(9), dt.UTC)
            )
            dates = (ops.adapt_datefield_value(period_start), ops.adapt_datefield_value(period_end))
            period_states.append(
                [
                    dates
                    + (
                        state.value,
                        RETURN_REASON if state == MeasurementStatus.RETURNED else "",
                        validator if state == MeasurementStatus.VALIDATED else None,
                        ops.adapt_datetimefield_value(validated_at) if state == MeasurementStatus.VALIDATED else None,
                        None if state == MeasurementStatus.DRAFT else submitted_at,
                    )
                    for _bound, state in STATES
                ]
            )
        rng = self.rng
        draw, below = rng.random, rng.randrange
        batch, written = [], 0
        for n, (indicator, indicator_cells, quota) in enumerate(zip(indicators, cells, quotas, strict=True)):
            if not quota:
                continue
            acronym = reporter_of(n)
            organisation, reporter = orgs[acronym].pk, reporters[acronym]
            ratio = indicator.aggregation == Aggregation.RATIO
            width = -(-quota // len(MONTHS))  # cells used: ceil(quota / 120)
            start = (n * 7) % len(indicator_cells)
            base = 50 + (n % 90) * 10
            for j in range(width):
                region, filiere, sex, actor_type = indicator_cells[(start + j) % len(indicator_cells)]
                cell = (indicator.pk, region, filiere, sex, actor_type, SYNTHETIC, organisation, reporter)
                cell += insert.constants
                months = min(len(MONTHS), quota - j * len(MONTHS))
                shift = 0 if months == len(MONTHS) else (n * 11 + j) % len(MONTHS)  # not all on the same months
                # Two draws per row, in this order: the state, then the amount (base + [0, base)).
                for month in spread(months):
                    head = period_states[(month + shift) % len(MONTHS)][bisect_right(bounds, draw())]
                    amount = base + below(base)
                    value = (None, amount // 3, amount) if ratio else (amount, None, None)
                    batch.append(head + value + cell)
                if len(batch) >= BATCH:
                    written += insert.write(batch, complete=True)
                    batch = []
        written += insert.write(batch, complete=True)
        self.step("mesures", started, written)
        if self.history:
            started = time.monotonic()
            rows = Measurement.objects.filter(indicator__code__startswith=PREFIX)
            self.step("historique", started, copy_to_history(Measurement, rows, "reported_by_id"))

    def check_sample(self, size=40):
        """clean() on a sample of the written rows: the same rules the services apply."""
        rows = Measurement.objects.filter(indicator__code__startswith=PREFIX)
        bounds = rows.aggregate(low=Min("pk"), high=Max("pk"))
        if bounds["low"] is None:
            return
        for _ in range(size):
            pick = self.rng.randint(bounds["low"], bounds["high"])
            row = rows.filter(pk__gte=pick).order_by("pk").select_related("indicator__axis__strategy").first()
            row.full_clean(validate_unique=False, validate_constraints=False)

    # Contracts --------------------------------------------------------------------
    def contracts(self, count, strategy, indicators, orgs, editor):
        started = time.monotonic()
        rng = self.rng
        phases = list(Phase.objects.filter(strategy=strategy).order_by("order"))
        axes = list(Axis.objects.filter(strategy=strategy).order_by("number"))
        filieres = list(Filiere.objects.order_by("code"))
        chambers = [orgs[a] for a in sorted(ref.CHAMBER_ACRONYMS.values()) if a in orgs]
        contracts = []
        for n in range(count):
            start = D(2021 + n % 9, 1 + n % 12, 1)
            end = D(min(start.year + 2 + n % 4, 2030), 12, 31)
            phase = next((p for p in phases if p.start_date <= start <= p.end_date), phases[-1])
            status = CONTRACT_STATUSES[n % len(CONTRACT_STATUSES)]
            filiere = filieres[n % len(filieres)] if n % 3 == 0 else None
            contracts.append(
                ContratProgramme(
                    reference=f"{PREFIX}CP-{n + 1:04d}",
                    title=f"Contrat synthétique n° {n + 1}",
                    kind=ContractKind.FILIERE if filiere else ContractKind.TRANSVERSAL,
                    filiere=filiere,
                    phase=phase,
                    signing_date=None if status == ContractStatus.DRAFT else start - dt.timedelta(days=15),
                    start_date=start,
                    end_date=end,
                    status=status,
                    source=SYNTHETIC,
                )
            )
        for contract in contracts[:20]:
            contract.full_clean()
        contracts = self.bulk(ContratProgramme, contracts, editor)
        axes_through = ContratProgramme.axes.through
        indicators_through = ContratProgramme.indicators.through
        axes_through.objects.bulk_create(
            [axes_through(contratprogramme_id=c.pk, axis_id=axes[n % len(axes)].pk) for n, c in enumerate(contracts)]
        )
        indicators_through.objects.bulk_create(
            [
                indicators_through(contratprogramme_id=c.pk, indicator_id=indicators[(n * 3 + k) % len(indicators)].pk)
                for n, c in enumerate(contracts)
                for k in range(3)
            ]
        )
        parties = []
        for n, contract in enumerate(contracts):
            implementer = chambers[n % len(chambers)] if chambers else orgs[ref.FCA]
            second = orgs[[ref.MDA, ref.MEF, ref.FEA][n % 3]]
            for organisation, role in (
                (orgs[ref.MINISTRY], PartyRole.SIGNATORY),
                (orgs[ref.MINISTRY], PartyRole.FUNDER),
                (implementer, PartyRole.SIGNATORY),
                (implementer, PartyRole.IMPLEMENTER),
                (second, PartyRole.FUNDER),
            ):
                parties.append(Party(contract=contract, organisation=organisation, role=role))
        parties = self.bulk(Party, parties, editor)
        commitments = []
        for party in parties:
            if party.role != PartyRole.FUNDER:
                continue
            contract = party.contract
            for year in range(contract.start_date.year, contract.end_date.year + 1):
                amount = Decimal(rng.randrange(1_000, 30_000)) * 1000
                commitments.append(Commitment(party=party, year=year, amount=amount, note=SYNTHETIC))
        for commitment in commitments[:20]:
            commitment.full_clean(validate_constraints=False)
        commitments = self.bulk(Commitment, commitments, editor)
        disbursements = []
        for commitment in commitments:
            if commitment.year > 2026 or commitment.party.contract.status == ContractStatus.DRAFT:
                continue
            paid = Decimal(0)
            for k in range(rng.randrange(0, 4)):
                amount = (commitment.amount * Decimal(rng.randrange(5, 30)) / 100).quantize(Decimal("0.01"))
                if paid + amount > commitment.amount:
                    break
                paid += amount
                disbursements.append(
                    Disbursement(
                        commitment=commitment,
                        date=D(commitment.year, 3 + 3 * k, 15),
                        amount=amount,
                        reference=f"{PREFIX}{commitment.party.contract.reference[4:]}/{commitment.year}/{k + 1}",
                        note=SYNTHETIC,
                    )
                )
        self.bulk(Disbursement, disbursements, editor)
        milestones = []
        for n, contract in enumerate(contracts):
            span = (contract.end_date - contract.start_date).days
            for k in range(MILESTONES_PER_CONTRACT):
                due = contract.start_date + dt.timedelta(days=span * (k + 1) // (MILESTONES_PER_CONTRACT + 1))
                status = MILESTONE_STATES[(n + k) % len(MILESTONE_STATES)]
                milestones.append(
                    Milestone(
                        contract=contract,
                        title=f"Jalon synthétique {k + 1} du contrat {n + 1}",
                        responsible=orgs[ref.MINISTRY] if k % 2 else orgs[ref.FCA],
                        due_date=due,
                        date_met=due + dt.timedelta(days=rng.randrange(-20, 40))
                        if status == MilestoneStatus.MET
                        else None,
                        status=status,
                        note=SYNTHETIC,
                    )
                )
        for milestone in milestones[:20]:
            milestone.full_clean()
        self.bulk(Milestone, milestones, editor)
        self.step("contrats", started, len(contracts))
        self.counts.update(
            parties=len(parties),
            engagements=len(commitments),
            décaissements=len(disbursements),
            jalons=len(milestones),
        )

    def bulk(self, model, rows, user):
        """bulk_create, then one creation history row each (who and why)."""
        created = model.objects.bulk_create(rows, batch_size=BATCH)
        if hasattr(model, "history"):
            history = model.history.model
            now = timezone.now()
            history.objects.bulk_create(
                [
                    history(
                        **{f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields},
                        history_date=now,
                        history_type="+",
                        history_user_id=user.pk,
                        history_change_reason=REASON,
                    )
                    for row in created
                ],
                batch_size=BATCH,
            )
        return created


def synthetic_present():
    return Indicator.objects.filter(code__startswith=PREFIX).exists() or (
        ContratProgramme.objects.filter(reference__startswith=PREFIX).exists()
    )


def purge():
    """Delete every synthetic row, children first, with fast raw deletes. Their history
    rows stay: the history is append-only (artisanat/history_guard.py)."""
    indicators = Indicator.objects.filter(code__startswith=PREFIX).values("pk")
    contracts = ContratProgramme.objects.filter(reference__startswith=PREFIX).values("pk")
    commitments = Commitment.objects.filter(party__contract__in=contracts).values("pk")
    plan = [
        (Measurement, {"indicator__in": indicators}),
        (Target, {"indicator__in": indicators}),
        (Disbursement, {"commitment__in": commitments}),
        (Commitment, {"party__contract__in": contracts}),
        (Milestone, {"contract__in": contracts}),
        (Party, {"contract__in": contracts}),
    ]
    for model, lookup in plan:
        rows = model.objects.filter(**lookup)
        model.objects.filter(pk__in=rows.values("pk"))._raw_delete(connection.alias)
    for model, field in ((ContratProgramme, "reference"), (Indicator, "code")):
        rows = model.objects.filter(**{f"{field}__startswith": PREFIX})
        for m2m in model._meta.many_to_many:
            through = m2m.remote_field.through
            through.objects.filter(**{f"{model._meta.model_name}_id__in": rows.values("pk")}).delete()
        model.objects.filter(pk__in=rows.values("pk"))._raw_delete(connection.alias)


class Command(BaseCommand):
    help = "Ajoute un grand jeu de données synthétiques (banc d'essai), déterministe, en insertions groupées."

    def add_arguments(self, parser):
        parser.add_argument("--measurements", type=int, default=1_000_000, help="nombre de mesures (défaut 1 000 000)")
        parser.add_argument("--indicators", type=int, default=489, help="indicateurs synthétiques (défaut 489)")
        parser.add_argument("--contracts", type=int, default=300, help="contrats synthétiques (défaut 300)")
        parser.add_argument("--seed", type=int, default=SEED, help="graine du tirage (défaut 2030)")
        parser.add_argument("--no-history", action="store_true", help="pas de ligne d'historique pour les mesures")
        parser.add_argument("--replace", action="store_true", help="supprime d'abord les données synthétiques")

    def handle(self, *args, **options):
        for name in ("measurements", "indicators", "contracts"):
            if options[name] < (1 if name == "indicators" else 0):
                raise CommandError(f"--{name} : nombre trop petit ({options[name]}).")
        if not Strategy.objects.filter(name=ref.STRATEGY["name"]).exists():
            call_command("load_strategy", stdout=self.stdout)
        users = {u.username: u for u in get_user_model().objects.filter(username__in=["editor", "validator"])}
        if len(users) < 2:
            call_command("seed_demo", stdout=self.stdout)
        names = ["editor", "validator", "partner_fca", "partner_mda"]
        users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
        if set(users) != set(names):
            raise CommandError("Comptes de démonstration manquants : lancez « manage.py seed_demo ».")
        if synthetic_present():
            if not options["replace"]:
                raise CommandError("Des données synthétiques existent déjà : --replace pour les remplacer.")
            with transaction.atomic():
                purge()
        strategy = Strategy.objects.get(name=ref.STRATEGY["name"])
        orgs = {o.acronym: o for o in Organisation.objects.all()}
        seeder = Seeder(self.stdout, seed=options["seed"], history=not options["no_history"])
        started, cpu = time.monotonic(), time.process_time()
        self.stdout.write(f"seed_scale : {options['measurements']} mesures, graine {options['seed']}")
        with bulk_load.sqlite_load_pragmas(), transaction.atomic():
            indicators = seeder.indicators(options["indicators"], strategy, orgs, users["editor"])
            # The stored figures' triggers are off during the load and the figures rebuilt
            # once at the end (strategy.services.rebuild_figures), as the services keep them.
            with strategy_services.bulk_load_figures():
                # The measurement tables' plain indexes are built once after the rows are
                # in (artisanat/bulk_load.py); the unique one checks every row as it goes.
                with bulk_load.indexes_built_after(Measurement, Measurement.history.model) as dropped:
                    seeder.measurements(options["measurements"], indicators, orgs, users)
                    indexed = time.monotonic()
                seeder.step("index", indexed, len(dropped))
                figures_started = time.monotonic()
            seeder.step("chiffres", figures_started, PeriodTotal.objects.count())
            checked = time.monotonic()
            seeder.check_sample()
            seeder.step("contrôle", checked, 40)
            seeder.contracts(options["contracts"], strategy, indicators, orgs, users["editor"])
        analysed = time.monotonic()
        with connection.cursor() as cursor:  # fresh statistics for the planner (SQLite and PostgreSQL)
            cursor.execute("ANALYZE")
        seeder.step("ANALYZE", analysed, 0)
        extra = ", ".join(f"{n} {label}" for label, n in seeder.counts.items() if label not in seeder.timings)
        self.stdout.write(
            f"seed_scale : terminé en {time.monotonic() - started:.1f} s, CPU {time.process_time() - cpu:.1f} s ({extra})."
        )
