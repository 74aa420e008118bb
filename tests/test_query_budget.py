"""Query budget (issue 5, item 4): every hot endpoint and page issues the same number of
queries on a small data set and on one about eight times bigger (more indicators,
measurements in every state, contracts, parties, commitments, disbursements,
milestones), and at most ``BUDGET``. A change that brings back a query per row (an
N+1) or a count over the whole history fails here. No timings: those are the bench's.

Each test measures the same request twice: once on the small data set, once after it
has grown, and compares the two counts."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from artisanat.choices import OrganisationKind
from artisanat.models import Organisation
from contracts.choices import ContractKind, ContractStatus, MilestoneStatus, PartyRole
from contracts.models import AmendedCommitment, Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy.choices import Aggregation, Frequency, MeasurementStatus
from strategy.models import Indicator, Measurement, Target
from tests.api_fixtures import monthly_periods

BUDGET = 10
STATES = [MeasurementStatus.VALIDATED, MeasurementStatus.SUBMITTED, MeasurementStatus.DRAFT]


class Scale:
    """The data set: ``grow(n)`` adds ``n`` indicators (by region, with monthly rows in
    every state for two regions), ``n`` contracts with their parties, money and
    milestones, and more rows and milestones on the measured indicator and contract."""

    def __init__(self, axis, programme, phases, regions, org_a, ministry):
        self.axis, self.programme, self.phases, self.regions = axis, programme, phases, regions
        self.org_a, self.ministry = org_a, ministry
        self.indicators, self.contracts, self.months = 0, 0, 0
        self.indicator = self._indicator()
        self.contract = self._contract()

    def _indicator(self):
        self.indicators += 1
        indicator = Indicator.objects.create(
            code=f"IND-{self.indicators:03d}",
            name=f"Indicateur {self.indicators}",
            axis=self.axis,
            programme=self.programme,
            unit="count",
            aggregation=Aggregation.SUM,
            baseline_value=D("0"),
            baseline_date=dt.date(2020, 12, 31),
            baseline_source="Test",
            by_region=True,
            frequency=Frequency.MONTHLY,
        )
        indicator.reporting_organisations.add(self.org_a)
        Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("5000"))
        self._measurements(indicator, 12)
        return indicator

    def _measurements(self, indicator, months, skip=0):
        Measurement.objects.bulk_create(
            Measurement(
                indicator=indicator,
                period_start=start,
                period_end=end,
                value=D(n % 40 + 1),
                region=region,
                organisation=self.org_a,
                status=STATES[n % len(STATES)],
            )
            for n, ((start, end), region) in enumerate(
                (month, region) for month in list(monthly_periods(skip + months))[skip:] for region in self.regions
            )
        )

    def _contract(self):
        self.contracts += 1
        contract = ContratProgramme.objects.create(
            reference=f"CP-{self.contracts:03d}",
            title=f"Contrat {self.contracts}",
            kind=ContractKind.TRANSVERSAL,
            phase=self.phases[0],
            start_date=dt.date(2021, 7, 26),
            end_date=dt.date(2025, 12, 31),
            signing_date=dt.date(2021, 7, 26),
            status=ContractStatus.IN_EXECUTION,
        )
        contract.axes.add(self.axis)
        contract.indicators.add(*Indicator.objects.all()[:3])
        Party.objects.create(contract=contract, organisation=self.ministry, role=PartyRole.SIGNATORY)
        self._grow_contract(contract, 2)
        return contract

    def _grow_contract(self, contract, n):
        for i in range(n):
            organisation = Organisation.objects.create(
                name=f"Partenaire {contract.reference}-{contract.parties.count()}-{i}",
                acronym=f"P{contract.pk}-{contract.parties.count()}-{i}",
                kind=OrganisationKind.OTHER,
            )
            party = Party.objects.create(contract=contract, organisation=organisation, role=PartyRole.IMPLEMENTER)
            for year in (2022, 2023):
                commitment = Commitment.objects.create(party=party, year=year, amount=D("1000000.00"))
                Disbursement.objects.create(commitment=commitment, date=dt.date(year, 3, 1), amount=D("2500.00"))
            Milestone.objects.create(
                contract=contract,
                title=f"Jalon {party.pk}",
                responsible=organisation,
                due_date=dt.date(2022, 6, 30),
                status=MilestoneStatus.SCHEDULED,
            )
            Milestone.objects.create(
                contract=contract,
                title=f"Jalon livré {party.pk}",
                responsible=self.org_a,
                due_date=dt.date(2023, 6, 30),
                status=MilestoneStatus.MET,
                date_met=dt.date(2023, 6, 1),
            )
        amendment = Amendment.objects.create(
            contract=contract,
            number=contract.amendments.count() + 1,
            date=dt.date(2023, 1, 15),
            reason="Report",
            changes_dates=True,
            changes_amounts=True,
            summary="Dates",
        )
        # The amendment raises the last commitment: the figures read the amount in force.
        AmendedCommitment.objects.create(amendment=amendment, commitment=commitment, new_amount=D("1200000.00"))

    def grow(self, n):
        for _ in range(n):
            self._indicator()
            self._contract()
        self._measurements(self.indicator, 12 * n, skip=12 + self.months)
        self.months += 12 * n
        self._grow_contract(self.contract, n)


@pytest.fixture(autouse=True)
def _throttle_counts_in_memory(settings):
    """The API throttles' counts (the "throttle" cache) stay out of the count: with the
    database cache they add the same few statements to every API request, whatever the
    data (tests/artisanat/test_throttling.py tests that store)."""
    settings.CACHES = {**settings.CACHES, "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def scale(axis, programme, phases, region, other_region, org_a, ministry):
    return Scale(axis, programme, phases, [region, other_region], org_a, ministry)


def _count(send):
    with CaptureQueriesContext(connection) as queries:
        response = send()
    assert response.status_code < 300, (response.status_code, response.content[:300])
    return len(queries), [q["sql"] for q in queries.captured_queries]


def assert_flat(scale, send, budget=BUDGET):
    """Same number of queries before and after the data set grows, and within budget."""
    small, small_sql = _count(send)
    scale.grow(7)
    big, big_sql = _count(send)
    assert small == big, "\n".join(["small:", *small_sql, "", "big:", *big_sql])
    assert big <= budget, "\n".join(big_sql)
    return big


def assert_flat_cached(scale, send, *, cold, warm):
    """For the figures cached per data version (artisanat/data_version.py): the first
    request after a write computes them (``cold`` queries, the same at both sizes: the
    data set grows by writes, so each measured request here is a first one); the next
    request, with no write between, reads them from the cache (``warm``, also flat)."""
    assert_flat(scale, send, budget=cold)
    big_warm, big_warm_sql = _count(send)
    assert big_warm <= warm, "\n".join(big_warm_sql)
    scale.grow(1)
    _count(send)
    again, again_sql = _count(send)
    assert again == big_warm, "\n".join(again_sql)


# ---------------------------------------------------------------- API


def test_api_indicator_list(scale, api, validator):
    client = api(validator)
    assert_flat(scale, lambda: client.get("/api/v1/indicators/?page_size=50"))


@pytest.mark.parametrize("scope", ["sex=F", "actor_type=artisan", "region", "region+sex"])
def test_api_indicator_list_scoped(scale, api, validator, region, scope):
    """A scope by sex or actor type reads other stored totals, not more of them: the same
    queries (plus one to read the region asked)."""
    client = api(validator)
    params = {"sex=F": "sex=F", "actor_type=artisan": "actor_type=artisan"}.get(scope) or (
        f"region={region.pk}" + ("&sex=F" if scope == "region+sex" else "")
    )
    count = assert_flat(scale, lambda: client.get(f"/api/v1/indicators/?page_size=50&{params}"))
    assert count == (5 if "region" in scope else 4)


def test_api_indicator_detail_with_breakdowns(scale, api, validator, filiere):
    """The detail's breakdowns by every declared dimension: one query."""
    busy = Busy(scale, filiere)
    client = api(validator)
    assert assert_flat(busy, lambda: client.get(f"/api/v1/indicators/{busy.indicator.pk}/?sex=F")) <= 5


def test_api_measurement_list_by_indicator_and_region(scale, api, validator, region):
    client = api(validator)
    url = f"/api/v1/measurements/?indicator={scale.indicator.pk}&region={region.pk}"
    assert_flat(scale, lambda: client.get(url))


def test_api_contract_detail(scale, api, validator):
    client = api(validator)
    assert_flat(scale, lambda: client.get(f"/api/v1/contracts/{scale.contract.pk}/"))


def test_api_amendment_list(scale, api, validator):
    """The amendments with their changed commitments (one prefetch)."""
    client = api(validator)
    assert_flat(scale, lambda: client.get("/api/v1/amendments/?page_size=50"))


def test_api_dashboard(scale, api, validator):
    client = api(validator)
    # Cold 12 (was 13, then 8, then 9): the token with user and membership, the data version,
    # axes, phases, the indicators' figures at today and at every phase's date (one union),
    # targets, the execution by year, the contracts (with their late milestones), the
    # validation count, the reporting calendar's three (indicators, reporting organisations,
    # first submissions). Warm 2: the token with user and membership, the data version.
    assert_flat_cached(scale, lambda: client.get("/api/v1/dashboard/"), cold=12, warm=2)


def test_api_dashboard_scoped(scale, api, validator, region):
    client = api(validator)
    # test_api_dashboard's, plus the region read to check it, plus one: in a scope the axes'
    # indicators are read apart from the phases' (national) union, as ?region= always was;
    # plus the reporting calendar's three (as test_api_dashboard).
    url = f"/api/v1/dashboard/?region={region.pk}&sex=F"
    assert_flat_cached(scale, lambda: client.get(url), cold=14, warm=3)


def test_api_partner_reads_stay_flat(scale, api, partner_a):
    """A partner's lists carry its visibility filters: same budget."""
    client = api(partner_a)
    assert_flat(scale, lambda: client.get("/api/v1/indicators/?page_size=50"))


# ---------------------------------------------------------------- pages


def test_home_page(scale, client, validator):
    client.force_login(validator)
    # Warm 5: the session, the user with its membership and organisation, the two-factor
    # device, the data version, and the scope form's phase, region and filière choices (a
    # union). Cold 15, over the 10 once per data change and worker: those 5 and the
    # dashboard's 10 (see test_api_dashboard; was 20 before the stored figures, 12 before
    # the reporting calendar's card; 9 before the home listed the oldest late milestones,
    # the validator's queue age comes with its count).
    assert_flat_cached(scale, lambda: client.get("/"), cold=15, warm=5)


def test_home_page_of_an_editor(scale, client, editor):
    client.force_login(editor)
    # test_home_page's (an editor has no two-factor device: one less), plus its rows to
    # act on counted by state (one query, "what waits for my action"): cold 15, warm 4.
    assert_flat_cached(scale, lambda: client.get("/"), cold=15, warm=4)


def test_home_page_of_a_partner(scale, client, partner_a):
    client.force_login(partner_a)
    # No two-factor device (warm 4); a partner's reports due come from the reporting
    # calendar's card: no query of their own (cold 14).
    assert_flat_cached(scale, lambda: client.get("/"), cold=14, warm=4)


def test_home_page_scoped_by_sex(scale, client, validator):
    client.force_login(validator)
    # test_home_page's: the sex is a choice, read without a query; cold one more, the axes'
    # indicators read apart from the phases' national union (as with ?region=); plus the
    # reporting calendar's three (as test_home_page).
    assert_flat_cached(scale, lambda: client.get("/?sex=F"), cold=16, warm=5)


def test_home_page_scoped_to_a_phase(scale, client, validator):
    client.force_login(validator)
    # test_home_page's and the phase asked (the scope form checks it: warm 6); cold one
    # more again, the axes' indicators scoped to the phase read apart from the phases'
    # union (as with ?region=).
    assert_flat_cached(scale, lambda: client.get(f"/?phase={scale.phases[0].pk}"), cold=17, warm=6)


def _phase_actions(scale, n):
    from strategy.models import Action

    phase = scale.phases[0]
    start = Action.objects.count()
    Action.objects.bulk_create(
        Action(
            programme=scale.programme,
            code=f"ACT-{start + i:03d}",
            title=f"Action {start + i}",
            lead_organisation=scale.org_a,
            phase=phase,
            start_date=phase.start_date,
            end_date=phase.end_date,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("as_of", ["2022-06-30", "2025-06-30"])
def test_phase_page(scale, client, validator, as_of):
    client.force_login(validator)
    _phase_actions(scale, 1)
    url = f"/phases/{scale.phases[0].pk}/?as_of={as_of}"
    small, small_sql = _count(lambda: client.get(url))
    scale.grow(7)
    _phase_actions(scale, 6)
    # Session, user (with membership), two-factor device, the phase (with its
    # strategy), its strategy's phases, the indicators scoped to it (one query), the axes,
    # the contracts with their execution, the actions (with their milestone counts) and
    # their linked indicators' figures (one prefetch): 10.
    big, big_sql = _count(lambda: client.get(url))
    assert small == big, "\n".join(["small:", *small_sql, "", "big:", *big_sql])
    assert big <= 10, "\n".join(big_sql)


def test_indicator_list_page_scoped(scale, client, validator, region):
    client.force_login(validator)
    assert_flat(scale, lambda: client.get(f"/strategie/indicateurs/?region={region.pk}&sex=F"))


class Busy:
    """The bench's page_indicator reads an indicator broken down by region and filière
    (both breakdowns shown): one such indicator, with monthly rows in every state for
    two regions × one filière, that grows with the data set."""

    def __init__(self, scale, filiere):
        self.scale, self.filiere, self.months = scale, filiere, 0
        self.indicator = Indicator.objects.create(
            code="IND-BUSY",
            name="Indicateur ventilé",
            axis=scale.axis,
            programme=scale.programme,
            unit="count",
            aggregation=Aggregation.SUM,
            baseline_value=D("0"),
            baseline_date=dt.date(2020, 12, 31),
            baseline_source="Test",
            by_region=True,
            by_filiere=True,
            frequency=Frequency.MONTHLY,
        )
        self.indicator.reporting_organisations.add(scale.org_a)
        Target.objects.create(indicator=self.indicator, due_date=dt.date(2030, 12, 31), value=D("5000"))
        self._measurements(12)

    def _measurements(self, months):
        Measurement.objects.bulk_create(
            Measurement(
                indicator=self.indicator,
                period_start=start,
                period_end=end,
                value=D(n % 40 + 1),
                region=region,
                filiere=self.filiere,
                organisation=self.scale.org_a,
                status=STATES[n % len(STATES)],
            )
            for n, ((start, end), region) in enumerate(
                (month, region)
                for month in list(monthly_periods(self.months + months))[self.months :]
                for region in self.scale.regions
            )
        )
        self.months += months

    def grow(self, n):
        self.scale.grow(n)
        self._measurements(12 * n)


def test_indicator_page(scale, client, validator, filiere):
    busy = Busy(scale, filiere)
    client.force_login(validator)  # with the second factor, as the bench's session
    # 10 (2026-11-29; was 11 on the bench's indicator): the session, the user with its
    # membership, the two-factor device, the indicator with its figures, its targets,
    # its period totals, its reporters, both breakdowns (one query), the latest
    # measurements (one keyset page), the scope form's choices (one union).
    assert_flat(busy, lambda: client.get(f"/strategie/indicateurs/{busy.indicator.pk}/"), budget=10)


@pytest.mark.parametrize(("kind", "budget"), [("progress", 10), ("completeness", 13)])
def test_indicator_page_region_maps(scale, client, validator, filiere, kind, budget):
    """The region map (issue 16 item 3): the value map is in test_indicator_page's 10; the
    progress map reads nothing more (its targets are read already); the completeness map
    adds the reporting calendar's three queries."""
    busy = Busy(scale, filiere)
    client.force_login(validator)
    url = f"/strategie/indicateurs/{busy.indicator.pk}/?map={kind}"
    body = client.get(url).content.decode()
    assert body.count("data-region=") == 12
    assert_flat(busy, lambda: client.get(url), budget=budget)


def test_indicator_page_scoped_by_actor_type(scale, client, validator, filiere):
    busy = Busy(scale, filiere)
    client.force_login(validator)
    url = f"/strategie/indicateurs/{busy.indicator.pk}/?actor_type=artisan"
    assert_flat(busy, lambda: client.get(url), budget=10)


def test_indicator_page_older_measurements(scale, client, validator, filiere):
    """The "plus anciennes" page (a keyset page): the same queries at both sizes."""
    busy = Busy(scale, filiere)
    client.force_login(validator)
    url = f"/strategie/indicateurs/{busy.indicator.pk}/"

    def older():
        body = client.get(url).content.decode()
        link = re.search(r'<a href="([^"#]+)#mesures" rel="next" data-page="older">', body)
        assert link, "no link to older measurements"
        return link.group(1).replace("&amp;", "&")

    older_link = older()
    small, small_sql = _count(lambda: client.get(older_link))
    busy.grow(7)
    older_link = older()
    big, big_sql = _count(lambda: client.get(older_link))
    assert small == big, "\n".join(["small:", *small_sql, "", "big:", *big_sql])
    assert big <= BUDGET, "\n".join(big_sql)


def test_contract_page(scale, client, validator):
    client.force_login(validator)
    # 14 (issue 14 item 4; was 10, H8 2026-11-29; was 16): session, user (with membership),
    # two-factor device, the contract, parties, execution by year, milestones, amendments,
    # their changed commitments and other changes, the commitments with their amounts in
    # force, the timeline's disbursements, axes, indicators.
    assert_flat(scale, lambda: client.get(f"/contrats/{scale.contract.pk}/"), budget=14)


def test_validation_queue_page(scale, client, validator):
    client.force_login(validator)
    # 9 (issue 15 item 3; H8, 2026-11-29; was 11): session, user with its membership,
    # two-factor device, the count, the rows with their context (previous value, target:
    # subqueries of the same query), the four-eyes authors of the page's rows (history),
    # organisations, regions, filières of the filters (no indicator select any more).
    assert_flat(scale, lambda: client.get("/strategie/validation/"), budget=9)


def test_measurement_page_of_a_submitted_row_for_a_validator(scale, client, validator):
    """The validator's context on the measurement page (issue 15 item 3): the row with its
    previous value and target (one query), the four-eyes authors, the next row of the
    queue — flat whatever the history and the queue's length."""
    measurement = (
        Measurement.objects.filter(indicator=scale.indicator, status=MeasurementStatus.SUBMITTED).order_by("pk").last()
    )
    client.force_login(validator)
    url = f"/strategie/mesures/{measurement.pk}/"
    assert "data-validation-context" in client.get(url).content.decode()
    # 11: session, user with its membership, two-factor device, the measurement, the
    # indicator the entry form is guided by, its editability, its history, the regions
    # (the entry form's select), and the context (3): the row with its previous value and
    # target, the four-eyes authors, the next row of the queue. The previous rows the
    # entry form's script reads are not fetched for a row the reader cannot change.
    assert_flat(scale, lambda: client.get(url), budget=11)


def test_measurement_list_page(scale, client, validator):
    client.force_login(validator)
    # 9 (H8, 2026-11-29; was 11): the membership is read with the user.
    assert_flat(scale, lambda: client.get("/strategie/mesures/"), budget=9)


@pytest.mark.parametrize("who", ["partner_a", "editor"])
def test_measurement_entry_page(scale, client, request, who):
    """The guided entry form (?indicator=): the indicator, its periods, the organisations
    (staff), the regions, the previous value of the series and the earlier rows the
    page's script looks it up in, whatever the history's length."""
    request.getfixturevalue("editor")
    client.force_login(request.getfixturevalue(who))
    url = f"/strategie/mesures/nouvelle/?indicator={scale.indicator.pk}"
    # 5 for a partner (measured 2026-12-03): the session, the user with its membership,
    # the indicator with its strategy, the regions, the earlier rows; staff add the organisations.
    budget = 5 if who == "partner_a" else 6
    assert_flat(scale, lambda: client.get(url), budget=budget)


def _with_evidence(scale):
    from tests.documents import PDF, upload

    measurement = Measurement.objects.filter(indicator=scale.indicator).order_by("pk").first()
    measurement.evidence = upload("releve.pdf", PDF)
    measurement.save()
    return measurement


def test_evidence_download_page(scale, client, validator):
    """The download view reads the measurement through visible_to, nothing else."""
    measurement = _with_evidence(scale)
    client.force_login(validator)
    # 4: the session, the user with its membership, the two-factor device, the measurement.
    assert_flat(scale, lambda: client.get(f"/strategie/mesures/{measurement.pk}/piece/"), budget=4)


def test_api_evidence_download(scale, api, partner_a):
    measurement = _with_evidence(scale)
    client = api(partner_a)
    # 2: the token with its user and membership, the measurement (a partner: its own).
    assert_flat(scale, lambda: client.get(f"/api/v1/measurements/{measurement.pk}/evidence/"), budget=2)


def _signed(scale):
    from tests.documents import PDF, upload

    scale.contract.document = upload("contrat.pdf", PDF)
    scale.contract.save()
    return scale.contract


def test_contract_document_download_page(scale, client, validator):
    contract = _signed(scale)
    client.force_login(validator)
    # 4: the session, the user with its membership, the two-factor device, the contract.
    assert_flat(scale, lambda: client.get(f"/contrats/{contract.pk}/document/"), budget=4)


def test_api_contract_document_download(scale, api, validator):
    contract = _signed(scale)
    client = api(validator)
    # 2: the token with its user and membership, the contract (no figures to read a file).
    assert_flat(scale, lambda: client.get(f"/api/v1/contracts/{contract.pk}/document/"), budget=2)


def test_measurement_list_page_never_counts_the_history(scale, client, validator):
    """Pages of measurements read one row more than the page instead of counting them all."""
    client.force_login(validator)
    scale.grow(1)
    total = Measurement.objects.count()
    assert total > 50
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/strategie/mesures/")
    assert first.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert first.content.count(b"data-measurement=") == 50
    assert b'rel="next"' in first.content
    second = client.get("/strategie/mesures/?page=2")
    assert second.content.count(b"data-measurement=") == total - 50
    assert b'rel="next"' not in second.content and b'rel="prev"' in second.content
    assert client.get("/strategie/mesures/?page=9").status_code == 404
    assert client.get("/strategie/mesures/?page=x").status_code == 404


# ---------------------------------------------------------------- writes


def test_one_measurement_submitted(scale, api, partner_a):
    client = api(partner_a)
    drafts = iter(
        Measurement.objects.filter(indicator=scale.indicator, status=MeasurementStatus.DRAFT).order_by("pk")[:2]
    )

    def submit():
        submitted.append(next(drafts))
        return client.post(f"/api/v1/measurements/{submitted[-1].pk}/submit/", {}, format="json")

    submitted = []
    assert_flat(scale, submit)
    assert {m.status for m in Measurement.objects.filter(pk__in=[m.pk for m in submitted])} == {
        MeasurementStatus.SUBMITTED
    }


def test_one_measurement_created(scale, api, partner_a, region):
    client = api(partner_a)
    years = iter([2029, 2030])

    def create():
        year = next(years)
        body = {
            "indicator": scale.indicator.pk,
            "period_start": f"{year}-12-01",
            "period_end": f"{year}-12-31",
            "value": "12",
            "region": region.pk,
        }
        return client.post("/api/v1/measurements/", body, format="json")

    assert_flat(scale, create)
    assert Measurement.objects.filter(indicator=scale.indicator, period_start__year__in=[2029, 2030]).count() == 2


def test_bulk_submission_of_500_rows(scale, api, partner_a):
    # Ten monthly indicators: each send is a hundred months on five of them.
    bulk_indicators = []
    for n in range(10):
        bulk_indicators.append(
            Indicator.objects.create(
                code=f"BULK-{n}",
                name=f"Envois groupés {n}",
                axis=scale.axis,
                unit="count",
                aggregation=Aggregation.SUM,
                baseline_value=D("0"),
                baseline_date=dt.date(2020, 12, 31),
                baseline_source="Test",
                frequency=Frequency.MONTHLY,
            )
        )
        bulk_indicators[-1].reporting_organisations.add(scale.org_a)
    client = api(partner_a)
    months = list(monthly_periods(100))
    sends = iter([0, 5])

    def send():
        first = next(sends)
        rows = [
            {
                "indicator": f"BULK-{first + i // 100}",
                "period_start": months[i % 100][0].isoformat(),
                "period_end": months[i % 100][1].isoformat(),
                "value": str(i + 1),
            }
            for i in range(500)
        ]
        return client.post("/api/v1/measurements/bulk/?submit=1", rows, format="json")

    assert_flat(scale, send)
    created = Measurement.objects.filter(indicator__in=bulk_indicators)
    assert created.count() == 1000
    assert set(created.values_list("status", flat=True)) == {MeasurementStatus.SUBMITTED}
    assert Measurement.history.filter(indicator_id__in=[i.pk for i in bulk_indicators]).count() == 2000


# ---------------------------------------------------------------- reminders (portal/reminders.py)


def _reminders_for(scale, *users):
    """A reminder of every kind to each of ``users`` for every indicator without one yet:
    the history grows with the indicators."""
    from portal.choices import ReminderKind
    from portal.models import ReminderLog

    ReminderLog.objects.bulk_create(
        ReminderLog(
            kind=kind,
            recipient=user,
            indicator=indicator,
            organisation=scale.org_a,
            period_start=dt.date(2021, 1, 1),
            period_end=dt.date(2021, 12, 31),
            region=scale.regions[0],
            due_date=dt.date(2022, 3, 31),
            status="sent",
            sent_at=dt.datetime(2022, 3, 31, 8, tzinfo=dt.UTC),
        )
        for indicator in Indicator.objects.filter(reminders__isnull=True)
        for user in users
        for kind in ReminderKind.values
    )


def _flat_with_reminders(scale, send, users, budget):
    _reminders_for(scale, *users)
    small, small_sql = _count(send)
    scale.grow(7)
    _reminders_for(scale, *users)
    big, big_sql = _count(send)
    assert small == big, "\n".join(["small:", *small_sql, "", "big:", *big_sql])
    assert big <= budget, "\n".join(big_sql)
    return big


# ---------------------------------------------------------------- reporting calendar


class Calendar:
    """The reporting calendar's data: ``grow(indicators)`` adds yearly indicators reported
    by two organisations, each with a first submission for every year 2021–2030 (one on
    time, one late, a draft), so that the calendar is as long as the dates asked allow."""

    def __init__(self, make_indicator, organisations):
        self.make_indicator, self.organisations = make_indicator, organisations

    def grow(self, indicators):
        from django.utils import timezone

        for _ in range(indicators):
            indicator = self.make_indicator(reporters=self.organisations)
            for year in range(2021, 2031):
                for n, organisation in enumerate(self.organisations):
                    m = Measurement.objects.create(
                        indicator=indicator,
                        organisation=organisation,
                        period_start=dt.date(year, 1, 1),
                        period_end=dt.date(year, 12, 31),
                        value=D(year),
                    )
                    submitted = dt.datetime(year + 1, 3, 1) if n == 0 else dt.datetime(year + 1, 5, 1)
                    Measurement.objects.filter(pk=m.pk).update(
                        status=MeasurementStatus.SUBMITTED, submitted_at=timezone.make_aware(submitted)
                    )


@pytest.fixture
def calendar_data(make_indicator, org_a, ministry):
    return Calendar(make_indicator, [org_a, ministry])


# 1 indicator × 1 year due (2021, due 31/03/2022) against 5 indicators × 10 years.
SMALL_AS_OF, BIG_AS_OF = "2022-06-30", "2031-06-30"


def assert_calendar_flat(calendar_data, send, budget):
    calendar_data.grow(1)
    small, small_sql = _count(lambda: send(SMALL_AS_OF))
    calendar_data.grow(4)
    big, big_sql = _count(lambda: send(BIG_AS_OF))
    assert small == big, "\n".join(["small:", *small_sql, "", "big:", *big_sql])
    assert big <= budget, "\n".join(big_sql)
    return big


def test_reminder_history_page(scale, client, validator, partner_a):
    client.force_login(validator)
    # 7 (2026-12-02): session, user (with membership), two-factor device, the count, the
    # filters' organisation and indicator choices, the page of rows (recipient,
    # indicator, organisation, region joined).
    assert _flat_with_reminders(scale, lambda: client.get("/rappels/"), [validator, partner_a], budget=7) == 7


def test_reminder_history_export(scale, client, validator, partner_a):
    client.force_login(validator)
    # 4 (2026-12-02): session, user, two-factor device, the rows (joined).
    send = lambda: client.get("/rappels/?format=csv")  # noqa: E731
    assert _flat_with_reminders(scale, send, [validator, partner_a], budget=4) == 4


def test_notifications_page(scale, client, partner_a, validator):
    client.force_login(partner_a)
    # 4 (2026-12-02): session, user (with membership), the preference, the last 20
    # reminders (joined).
    assert _flat_with_reminders(scale, lambda: client.get("/notifications/"), [partner_a, validator], budget=4) == 4


def test_calendar_page(calendar_data, client, validator):
    client.force_login(validator)
    # 9: the session, the user with its membership, the two-factor device; the calendar's
    # three (its indicators, their reporting organisations, the first submissions); the
    # organisations, indicators and regions of the filters.
    assert_calendar_flat(calendar_data, lambda as_of: client.get(f"/calendrier/?as_of={as_of}"), budget=9)


def test_calendar_page_export(calendar_data, client, validator):
    client.force_login(validator)
    send = lambda as_of: client.get(f"/calendrier/?as_of={as_of}&format=xlsx")  # noqa: E731
    # 7: the session's three, the calendar's three, the regions' codes.
    assert_calendar_flat(calendar_data, send, budget=7)


def test_api_reporting_calendar(calendar_data, api, validator):
    client = api(validator)
    send = lambda as_of: client.get(f"/api/v1/reporting-calendar/?as_of={as_of}")  # noqa: E731
    # 4: the token with user and membership, the calendar's three.
    assert_calendar_flat(calendar_data, send, budget=4)


def test_api_reporting_calendar_export(calendar_data, api, partner_a):
    client = api(partner_a)
    send = lambda as_of: client.get(f"/api/v1/reporting-calendar/?as_of={as_of}&format=csv")  # noqa: E731
    # 5: the token, the calendar's three, the regions' codes.
    assert_calendar_flat(calendar_data, send, budget=5)


@pytest.mark.parametrize("by", ["organisation", "indicator", "region", "period"])
def test_api_reporting_calendar_rates(calendar_data, api, validator, by):
    client = api(validator)
    send = lambda as_of: client.get(f"/api/v1/reporting-calendar/rates/?as_of={as_of}&by={by}")  # noqa: E731
    # 4: the token, the calendar's three; by region 5: and the regions' names.
    assert_calendar_flat(calendar_data, send, budget=5 if by == "region" else 4)


# ---------------------------------------------------------------- the report and its publications


class Reporting:
    """The scale data set with what the report reads besides the figures: a written
    comment on each new indicator, and a publication of the 2022 report at each growth
    (the list and the publication page must not grow with either)."""

    def __init__(self, scale, validator, editor):
        self.scale, self.validator, self.editor = scale, validator, editor
        self.indicator = scale.indicator
        self._comment(scale.indicator)
        self.publication = self._publish()

    def _comment(self, indicator):
        from strategy.models import IndicatorComment
        from strategy.services import save_indicator_comment

        save_indicator_comment(
            IndicatorComment(indicator=indicator, year=2022, text="Écart expliqué"),
            by=self.editor,
            reason="Saisie (test)",
        )

    def _publish(self):
        from strategy.choices import ReportKind
        from strategy.reports import ReportSpec
        from strategy.services import publish_report

        return publish_report(ReportSpec(ReportKind.YEARLY, 2022), by=self.validator, reason="Envoi")

    def grow(self, n):
        from strategy.models import Indicator

        known = set(Indicator.objects.values_list("pk", flat=True))
        self.scale.grow(n)
        for indicator in Indicator.objects.exclude(pk__in=known):
            self._comment(indicator)
        for _ in range(n):
            self._publish()


@pytest.fixture
def reporting(scale, validator, editor):
    return Reporting(scale, validator, editor)


def test_report_page(reporting, client, validator):
    client.force_login(validator)
    # 10: the session, the user, the two-factor device, the strategy's years, the
    # programmes, their indicators with figures, the loose indicators, the targets of the
    # four years, the written comments, the editions already published of this report.
    assert_flat(reporting, lambda: client.get("/strategie/rapport/?year=2022"), budget=10)


def test_report_export(reporting, client, validator):
    client.force_login(validator)
    # 9: the page's 10 without the editions.
    assert_flat(reporting, lambda: client.get("/strategie/rapport/?year=2022&format=csv"), budget=9)


def test_publication_list_page(reporting, client, validator):
    client.force_login(validator)
    # 4: the session, the user, the two-factor device, one page of publications with their
    # publishers (no COUNT: the open-ended paginator; the frozen figures are not read).
    assert_flat(reporting, lambda: client.get("/strategie/rapport/publications/"), budget=4)


def test_publication_page(reporting, client, validator):
    client.force_login(validator)
    url = f"/strategie/rapport/publications/{reporting.publication.pk}/"
    # 9: the session, the user, the two-factor device, the publication with its
    # publisher, and the same report today (programmes, indicators, loose indicators,
    # targets, comments).
    assert_flat(reporting, lambda: client.get(url), budget=9)


def test_publication_pdf_download(reporting, client, partner_a):
    client.force_login(partner_a)
    url = f"/strategie/rapport/publications/{reporting.publication.pk}/pdf/"
    # 4: the session, the user with its membership, the role, the publication's file.
    assert_flat(reporting, lambda: client.get(url), budget=4)


def test_api_indicator_comments(reporting, api, partner_a):
    client = api(partner_a)
    # 3: the token with its user, the membership, one page of comments with their authors.
    assert_flat(reporting, lambda: client.get("/api/v1/indicator-comments/?year=2022&page_size=50"), budget=3)


# ---------------------------------------------------------------- people (issue 14, item 6)


class People:
    """``grow(n)``: ``n`` more people in the ministry and in organisation A, half of them
    with an authenticator, every other one a focal point."""

    def __init__(self, ministry, org_a):
        self.organisations, self.count = (ministry, org_a), 0

    def grow(self, n):
        from django.contrib.auth import get_user_model

        from artisanat.models import Membership
        from tests.conftest import add_totp_device

        for _ in range(n):
            for organisation in self.organisations:
                self.count += 1
                user = get_user_model().objects.create_user(
                    username=f"personne{self.count}", email=f"p{self.count}@example.ma", password="x" * 12
                )
                Membership.objects.create(
                    user=user,
                    organisation=organisation,
                    role="reporter" if organisation.kind != OrganisationKind.MINISTRY else "viewer",
                    is_focal_point=self.count % 2 == 0,
                )
                if self.count % 2:
                    add_totp_device(user)


def _people_flat(send, people, budget):
    people.grow(2)
    small, small_sql = _count(send)
    people.grow(20)
    big, big_sql = _count(send)
    assert small == big, "\n".join(["small:", *small_sql, "", "big:", *big_sql])
    assert big <= budget, "\n".join(big_sql)
    return big


def test_people_list_page(client, admin_user, ministry, org_a):
    client.force_login(admin_user)
    # 6 (2026-12-02): session, user (with membership), two-factor device, the count, the
    # page of people (membership, organisation and two-factor joined), the organisation
    # filter's choices.
    assert _people_flat(lambda: client.get("/compte/personnes/"), People(ministry, org_a), budget=6) == 6


def test_people_list_export(client, admin_user, ministry, org_a):
    client.force_login(admin_user)
    # 4: session, user, two-factor device, the rows (joined).
    assert _people_flat(lambda: client.get("/compte/personnes/?format=xlsx"), People(ministry, org_a), budget=4) == 4


def test_people_list_of_a_focal_point(client, ministry, org_a):
    from django.contrib.auth import get_user_model

    from artisanat.models import Membership

    focal = get_user_model().objects.create_user(username="focal", password="x" * 12)
    Membership.objects.create(user=focal, organisation=org_a, role="reporter", is_focal_point=True)
    client.force_login(focal)
    # 5: the administrator's six but the two-factor device (a reporter without one).
    assert _people_flat(lambda: client.get("/compte/personnes/"), People(ministry, org_a), budget=5) == 5


def test_person_page(client, admin_user, org_a, partner_a):
    from artisanat.accounts import people as people_services

    client.force_login(admin_user)
    url = f"/compte/personnes/{partner_a.pk}/"

    def longer_history(n):
        for _ in range(n):
            role = "viewer" if partner_a.membership.role == "reporter" else "reporter"
            people_services.change_membership(
                partner_a, organisation=org_a, role=role, is_focal_point=False, by=admin_user, reason="Essai de charge"
            )
            partner_a.refresh_from_db()

    longer_history(1)
    small, small_sql = _count(lambda: client.get(url))
    longer_history(12)
    big, big_sql = _count(lambda: client.get(url))
    assert small == big, "\n".join(["small:", *small_sql, "", "big:", *big_sql])
    # 7 (2026-12-02): session, user, two-factor device; the person (membership,
    # organisation, two-factor joined); the account's and the membership's history
    # (authors joined); the membership form's organisations.
    assert big == 7, "\n".join(big_sql)


# ---------------------------------------------------------------- editing indicators and their targets (issue 14)


class Targeted:
    """The measured indicator of Busy (by region and filière, monthly rows) with targets
    that grow too: each growth adds a year's targets, national, per region and per
    filière, so that the target grid's cells grow with the data set."""

    def __init__(self, scale, filiere):
        self.busy, self.filiere = Busy(scale, filiere), filiere
        self.scale, self.indicator = scale, self.busy.indicator
        self.years = iter(range(2021, 2030))
        self._targets(1)

    def _targets(self, n):
        for _ in range(n):
            due = dt.date(next(self.years), 12, 31)
            scopes = [(None, None), *((r, None) for r in self.scale.regions), (None, self.filiere)]
            Target.objects.bulk_create(
                Target(indicator=self.indicator, due_date=due, value=D(due.year), region=r, filiere=f)
                for r, f in scopes
            )

    def grow(self, n):
        self.busy.grow(n)
        self._targets(n)


def test_indicator_create_page(scale, client, validator):
    client.force_login(validator)
    # 7: the session, the user with its membership, the two-factor device, then the
    # choices of the form: axes, programmes (with their axis), actions, organisations.
    assert_flat(scale, lambda: client.get("/strategie/indicateurs/nouveau/"), budget=7)


def test_indicator_edit_page(scale, client, validator, filiere):
    targeted = Targeted(scale, filiere)
    client.force_login(validator)
    # 9: the create page's 7, the indicator (with its axis, strategy, programme and
    # action) and the organisations it has (the field's initial value).
    url = f"/strategie/indicateurs/{targeted.indicator.pk}/modifier/"
    assert_flat(targeted, lambda: client.get(url), budget=9)


def test_target_grid_page(scale, client, validator, filiere):
    targeted = Targeted(scale, filiere)
    client.force_login(validator)
    # 8: the session, the user with its membership, the two-factor device, the indicator
    # (with its strategy), its targets, the phases, the regions, the filières.
    assert_flat(targeted, lambda: client.get(f"/strategie/indicateurs/{targeted.indicator.pk}/cibles/"), budget=8)


def test_target_grid_saved(scale, client, validator, filiere):
    """Sending the grid reads as much whatever its size; the writes are per changed cell
    (here one change and one creation each time)."""
    targeted = Targeted(scale, filiere)
    client.force_login(validator)
    url = f"/strategie/indicateurs/{targeted.indicator.pk}/cibles/"
    national = Target.objects.get(
        indicator=targeted.indicator, due_date=dt.date(2021, 12, 31), region=None, filiere=None
    )
    sent = {"version": national.version, "value": national.value, "new": iter([2029, 2030])}

    def send():
        value = sent["value"] + 1
        data = {
            "change_reason": "Révision des cibles",
            "cell-0-0-20211231": str(value),
            "version-0-0-20211231": sent["version"],
            "was-0-0-20211231": str(sent["value"]),
            f"cell-0-{filiere.pk}-{next(sent['new'])}1231": "7",
        }
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        sent.update(version=sent["version"] + 1, value=value)
        return len(queries), [q["sql"] for q in queries.captured_queries]

    small, small_sql = send()
    targeted.grow(7)
    big, big_sql = send()
    assert small == big, "\n".join(["small:", *small_sql, "", "big:", *big_sql])
    # 19: the page's 8 reads (the grid is rebuilt to read the cells), the indicator and
    # its targets locked, the filière named; then 3 statements per changed or created
    # cell (the uniqueness check, the write, its history row), 2 per deleted one; and
    # the savepoint around it (the test's transaction).
    assert big <= 19, "\n".join(big_sql)


# ---------------------------------------------------------------- programmes and actions


class WithActions:
    """The data set with actions: each ``grow(n)`` also adds ``n`` actions of the
    programme, each measured by one of the new indicators and by the new milestones of
    the growing contract, and a manual progress on one in two."""

    def __init__(self, scale):
        self.scale, self.actions = scale, 0
        self._actions(1)

    def _actions(self, n):
        from strategy.models import Action

        free_indicators = list(Indicator.objects.filter(action__isnull=True).order_by("-pk")[:n])
        free_milestones = list(Milestone.objects.filter(action__isnull=True).order_by("-pk")[: 2 * n])
        for i in range(n):
            self.actions += 1
            manual = self.actions % 2 == 0
            action = Action.objects.create(
                programme=self.scale.programme,
                code=f"A-{self.actions:03d}",
                title=f"Action {self.actions}",
                lead_organisation=self.scale.org_a,
                phase=self.scale.phases[0],
                start_date=dt.date(2021, 1, 1),
                end_date=dt.date(2026, 12, 31),
                **(
                    {"progress": D("30"), "progress_reason": "Comité", "progress_date": dt.date(2022, 1, 1)}
                    if manual
                    else {}
                ),
            )
            Indicator.objects.filter(pk__in=[x.pk for x in free_indicators[i : i + 1]]).update(action=action)
            Milestone.objects.filter(pk__in=[m.pk for m in free_milestones[2 * i : 2 * i + 2]]).update(action=action)
        self.last = action

    def grow(self, n):
        self.scale.grow(n)
        self._actions(n)


@pytest.fixture
def with_actions(scale):
    return WithActions(scale)


def test_action_list_page(with_actions, client, validator):
    client.force_login(validator)
    # 9: session, user (with membership), two-factor device, the count, the page of
    # actions (with their milestone counts), their indicators with figures, and the
    # filter form's programme, phase and organisation choices (3).
    assert assert_flat(with_actions, lambda: client.get("/strategie/actions/")) == 9


def test_action_list_export(with_actions, client, validator):
    client.force_login(validator)
    # 5: session, user, device, the actions (with their milestone counts), their indicators.
    assert assert_flat(with_actions, lambda: client.get("/strategie/actions/?format=csv")) == 5


def test_action_page(with_actions, client, validator):
    client.force_login(validator)
    first = with_actions.last
    # 7: session, user, device, the action (with its milestone counts), its indicators
    # with figures, its visible milestones, its history.
    assert assert_flat(with_actions, lambda: client.get(f"/strategie/actions/{first.pk}/")) == 7


def test_strategy_tree_page(with_actions, client, validator):
    client.force_login(validator)
    # 9: session, user, device, the scope form's choices, axes, their indicators with
    # figures, programmes, theirs, their actions (with milestone counts): the actions'
    # indicators are taken from their programme's, read once.
    assert assert_flat(with_actions, lambda: client.get("/strategie/")) == 9


def test_api_action_list(with_actions, api, validator):
    assert_flat(with_actions, lambda: api(validator).get("/api/v1/actions/"))


# ---------------------------------------------------------------- contract editing pages (issue 14, item 4)


def _amended_everywhere(scale):
    """The measured contract also has an amendment that moved a milestone, its end date
    and a target, so the pages read AmendmentChange rows too."""
    from contracts import services
    from contracts.choices import ChangeKind
    from contracts.services import ChangeRequest

    contract, user = scale.contract, scale.editor
    milestone = contract.milestones.order_by("pk").first()
    target = Target.objects.filter(indicator__contracts=contract).order_by("pk").first()
    number = contract.amendments.count() + 1
    services.save_amendment(
        Amendment(contract=contract, number=number, date=dt.date(2024, 1, 1), reason="Report", summary="Report"),
        by=user,
        reason="Avenant de report",
        changes=[
            ChangeRequest(ChangeKind.MILESTONE_DUE, milestone.pk, dt.date(2024, 6, 30)),
            ChangeRequest(ChangeKind.CONTRACT_END, contract.pk, dt.date(2026, 6, 30)),
            ChangeRequest(ChangeKind.TARGET_VALUE, target.pk, D("6000")),
        ],
    )


@pytest.fixture
def edited(scale, editor):
    scale.editor = editor
    _amended_everywhere(scale)
    return scale


def test_contract_page_with_its_timeline(edited, client, validator):
    client.force_login(validator)
    # 14: test_contract_page's 10, plus the amendments' changed commitments and other
    # changes (two prefetches), the commitments with their amounts in force, the
    # disbursements of the timeline.
    assert_flat(edited, lambda: client.get(f"/contrats/{edited.contract.pk}/"), budget=14)


def test_contract_edit_page(edited, client, editor):
    client.force_login(editor)
    # session, user, the contract, the choices (filières, phases, axes, indicators) and the
    # contract's axes and indicators selected.
    assert_flat(edited, lambda: client.get(f"/contrats/{edited.contract.pk}/modifier/"), budget=10)


def test_commitment_grid_page(edited, client, editor):
    client.force_login(editor)
    # session, user, the contract, its parties, its commitments, the paid ones.
    assert_flat(edited, lambda: client.get(f"/contrats/{edited.contract.pk}/engagements/"), budget=7)


def test_amendment_form_page(edited, client, editor):
    client.force_login(editor)
    # session, user, the contract, the next number, commitments (amount in force),
    # milestones, targets of the linked indicators.
    assert_flat(edited, lambda: client.get(f"/contrats/{edited.contract.pk}/avenants/nouveau/"), budget=8)


@pytest.mark.parametrize(
    "url",
    [
        "/strategie/indicateurs/?ordering=-latest&axis_number=1",
        "/contrats/?ordering=-committed&status=in_execution",
        "/contrats/jalons/?late=true&ordering=-days_late",
        "/organisations/?ordering=-contracts&active=true",
        "/strategie/mesures/?status=validated&status=submitted&ordering=period",
    ],
)
def test_list_pages_sorted_with_filter_chips(scale, client, validator, url):
    """Issue 15, item 8: the sortable columns, the "Dernière donnée" and "Jours de retard"
    columns and the chips of the filters in force cost no query per row."""
    client.force_login(validator)
    assert_flat(scale, lambda: client.get(url))


# ---------------------------------------------------------------- the public API (opendata/api/)


class Published:
    """``Scale`` with every indicator public and released after each growth: each
    measured request is a new published state, so the public cache never answers it."""

    def __init__(self, scale, validator):
        self.scale, self.validator = scale, validator
        self.release()

    def release(self):
        from strategy.services import release_open_data

        Indicator.objects.update(public_from=dt.date(2021, 1, 1))
        release_open_data(by=self.validator, reason="Publication (test)")

    def grow(self, n):
        self.scale.grow(n)
        self.release()

    @property
    def indicator(self):
        return self.scale.indicator


@pytest.mark.parametrize(
    "path",
    [
        "indicators/",
        "indicators/?format=csv",
        "indicators/?format=json",
        "indicators/{code}/",
        "indicators/{code}/series/",
        "indicators/{code}/breakdowns/",
        "axes/",
        "phases/",
        "contracts/",
        "contracts/?format=csv",
        "contracts/{contract}/",
        "regions/",
        "regions/{region}/indicators/",
        "regions/{region}/indicators/?format=csv",
    ],
)
def test_public_api(scale, validator, region, path):
    """Anonymous: the published state (two queries), then the rows; a page of a list and
    its whole-table download alike."""
    from rest_framework.test import APIClient

    published = Published(scale, validator)
    url = "/api/public/v1/" + path.format(
        code=scale.indicator.code, contract=scale.contract.reference, region=region.code
    )
    client = APIClient()
    assert assert_flat(published, lambda: client.get(url)) <= 8
