"""Home dashboard and organisation pages: figures checked against the querysets, every
number linked to its list, access by role, and constant query counts."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from artisanat.templatetags.artisanat_format import money, pct
from contracts.choices import ContractKind, MilestoneStatus, PartyRole
from contracts.models import Commitment, ContratProgramme, Disbursement, Milestone, Party
from portal.dashboard import build_dashboard
from strategy.choices import MeasurementStatus as S
from strategy.choices import TrajectoryStatus
from strategy.models import Axis, Indicator, Measurement, Target
from tests.conftest import POTTERY_CONTRACT

AS_OF = dt.date(2022, 6, 30)


def count_queries(client, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.status_code
    return len(ctx)


@pytest.fixture
def contract(contract_fields, ministry, org_b):
    c = ContratProgramme.objects.create(**{**contract_fields, **POTTERY_CONTRACT})
    funder = Party.objects.create(contract=c, organisation=ministry, role=PartyRole.FUNDER)
    Party.objects.create(contract=c, organisation=org_b, role=PartyRole.IMPLEMENTER)
    commitment = Commitment.objects.create(party=funder, year=2021, amount=D("1000000"))
    Disbursement.objects.create(commitment=commitment, date=dt.date(2021, 9, 1), amount=D("400000"))
    Milestone.objects.create(contract=c, title="Étude de filière", responsible=org_b, due_date=dt.date(2022, 3, 31))
    Milestone.objects.create(
        contract=c,
        title="Lancement",
        responsible=org_b,
        due_date=dt.date(2021, 12, 31),
        status=MilestoneStatus.MET,
        date_met=dt.date(2021, 12, 1),
    )
    return c


@pytest.fixture
def figures_data(indicator, make_indicator, org_a, org_b, region, phases):
    """Indicator A: 250 of 1 000 validated (2021); indicator B: no data; a submitted
    value of org A and a draft of org B."""
    Target.objects.create(indicator=indicator, due_date=dt.date(2022, 12, 31), value=D("500"))
    Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("1000"))
    Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(2021, 1, 1),
        period_end=dt.date(2021, 12, 31),
        value=D("250"),
        organisation=org_a,
        status=S.VALIDATED,
    )
    Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(2022, 1, 1),
        period_end=dt.date(2022, 12, 31),
        value=D("60"),
        organisation=org_a,
        status=S.SUBMITTED,
    )
    other = make_indicator(code="IND-NODATA", name="Sans données", reporters=[org_b])
    Target.objects.create(indicator=other, due_date=dt.date(2030, 12, 31), value=D("10"))
    Measurement.objects.create(
        indicator=other,
        period_start=dt.date(2022, 1, 1),
        period_end=dt.date(2022, 12, 31),
        value=D("3"),
        organisation=org_b,
        status=S.SUBMITTED,
    )
    return indicator, other


def test_dashboard_figures_match_the_querysets(client, viewer, figures_data, contract):
    client.force_login(viewer)
    body = client.get(reverse("home"), {"as_of": AS_OF.isoformat()}).content.decode()
    axis = Axis.objects.with_rollup(AS_OF).get()
    assert pct(axis.rollup.progress) in body  # 250 / 1000 = 25,0 %
    assert axis.rollup.progress == D("25.00")
    statuses = [i.status for i in Indicator.objects.with_figures(AS_OF)]
    for status in TrajectoryStatus:
        link = f'data-status="{status.value}"><a href="{reverse("strategy:indicator_list")}?as_of=2022-06-30&amp;status={status.value}"><span class="big">{statuses.count(status)}</span>'
        assert link in body
    # Execution: 400 000 of 1 000 000 disbursed.
    assert money(D("1000000")) in body and money(D("400000")) in body
    assert 'data-figure="execution-rate">40,0\u00a0%' in body
    # One late milestone (due 31/03/2022, not met) linked to the late-milestones list.
    late_url = reverse("contracts:milestone_list") + "?as_of=2022-06-30&amp;late=true"
    assert f'<a href="{late_url}"><span class="big">1</span>' in body
    # Two submitted measurements wait for validation (ministry sees both).
    assert '<span class="big">2</span> mesures en attente de validation' in body
    # The current phase and the time elapsed in it: Relance, 2021-01-01 → 2022-12-31.
    relance = [p for p in build_dashboard(viewer, AS_OF).phases if p.code == "relance"][0]
    assert pct(relance.elapsed_share(AS_OF) * 100) in body


def test_dashboard_tree_list_and_api_count_indicators_with_late_data(client, viewer, figures_data):
    """As of 30/06/2022: IND-FORM's 2021 (250) is judged at 31/12/2021, where 250 of the
    500 due 31/12/2022 were expected (500 × 365 ÷ 730): on track, and its 2022 report is
    not due before 31/03/2023. IND-NODATA has no validated value: its first report (2021)
    was due 31/03/2022 → late since then. One late indicator, beside the statuses."""
    client.force_login(viewer)
    body = client.get(reverse("home"), {"as_of": AS_OF.isoformat()}).content.decode()
    list_url = reverse("strategy:indicator_list") + "?as_of=2022-06-30&amp;data_late=1"
    assert f'data-figure="data-late"><a href="{list_url}"><span class="big">1</span>' in body
    assert (
        f'data-status="on_track"><a href="{reverse("strategy:indicator_list")}?as_of=2022-06-30&amp;status=on_track"><span class="big">1</span>'
        in body
    )
    assert 'data-late-count="1"' in body  # the axis's row
    listed = client.get(reverse("strategy:indicator_list"), {"as_of": "2022-06-30", "data_late": "1"}).content.decode()
    assert 'data-indicator="IND-NODATA"' in listed and 'data-indicator="IND-FORM"' not in listed
    assert "données en retard depuis le 31/03/2022" in listed
    up_to_date = client.get(reverse("strategy:indicator_list"), {"as_of": "2022-06-30", "data_late": "0"})
    assert 'data-indicator="IND-FORM"' in up_to_date.content.decode()
    assert 'data-indicator="IND-NODATA"' not in up_to_date.content.decode()
    refused = client.get(reverse("strategy:indicator_list"), {"data_late": "peut-être"})
    assert refused.status_code == 400 and "data_late" in refused.content.decode()
    tree = client.get(reverse("strategy:strategy_tree"), {"as_of": "2022-06-30"}).content.decode()
    assert "1 indicateur en retard de données" in tree
    dashboard = client.get("/api/v1/dashboard/", {"as_of": "2022-06-30"}).json()
    assert dashboard["data_late"] == 1
    assert [a["rollup"]["data_late"] for a in dashboard["axes"]] == [1]
    assert dashboard["axes"][0]["rollup"]["status_counts"]["on_track"] == 1
    exported = client.get(reverse("strategy:indicator_list"), {"as_of": "2022-06-30", "format": "csv"})
    text = b"".join(exported.streaming_content if exported.streaming else [exported.content]).decode("utf-8-sig")
    header, *rows = text.splitlines()
    assert "data_late_since" in header
    assert any(row.startswith('"IND-NODATA"') and "2022-03-31" in row for row in rows)


def test_dashboard_phase_filter_measures_against_the_phase_end_targets(client, viewer, figures_data, phases):
    client.force_login(viewer)
    relance = phases[0]
    body = client.get(reverse("home"), {"as_of": AS_OF.isoformat(), "phase": relance.pk}).content.decode()
    axis = Axis.objects.with_rollup(AS_OF, target_date=relance.end_date).get()
    assert axis.rollup.progress == D("50.00")  # 250 of the 500 due at the end of Relance
    assert pct(axis.rollup.progress) in body


def test_dashboard_region_filter(client, viewer, make_indicator, org_a, region, other_region):
    ind = make_indicator(code="IND-REG", by_region=True, reporters=[org_a])
    Target.objects.create(indicator=ind, due_date=dt.date(2030, 12, 31), value=D("100"), region=region)
    for r, value in ((region, "40"), (other_region, "90")):
        Measurement.objects.create(
            indicator=ind,
            period_start=dt.date(2021, 1, 1),
            period_end=dt.date(2021, 12, 31),
            value=D(value),
            region=r,
            organisation=org_a,
            status=S.VALIDATED,
        )
    client.force_login(viewer)
    body = client.get(reverse("home"), {"as_of": AS_OF.isoformat(), "region": region.pk}).content.decode()
    axis = Axis.objects.with_rollup(AS_OF, region=region).get()
    assert axis.rollup.progress == D("40.00")
    assert pct(axis.rollup.progress) in body


def test_partner_counts_exclude_other_organisations_submissions(client, partner_a, partner_b, figures_data):
    client.force_login(partner_a)
    body = client.get(reverse("home"), {"as_of": AS_OF.isoformat()}).content.decode()
    assert '<span class="big">1</span> mesure en attente de validation' in body
    assert build_dashboard(partner_a, AS_OF).waiting_validation == 1


@pytest.mark.parametrize(
    ("actor", "expected"),
    [("anonymous", 302), ("viewer", 200), ("editor", 200), ("validator", 200), ("admin_user", 200), ("partner_a", 200)],
)
def test_dashboard_access(client, request, actor, expected, phases):
    if actor != "anonymous":
        client.force_login(request.getfixturevalue(actor))
    assert client.get(reverse("home")).status_code == expected


def test_dashboard_query_count_is_the_same_for_1_and_50_rows(client, viewer, make_indicator, phases, org_a, ministry):
    client.force_login(viewer)
    counts = []
    for n in (1, 50):
        while Indicator.objects.count() < n:
            i = Indicator.objects.count()
            ind = make_indicator(reporters=[org_a])
            Target.objects.create(indicator=ind, due_date=dt.date(2030, 12, 31), value=D("100"))
            Measurement.objects.create(
                indicator=ind,
                period_start=dt.date(2021, 1, 1),
                period_end=dt.date(2021, 12, 31),
                value=D("10"),
                organisation=org_a,
                status=S.SUBMITTED,
            )
            c = ContratProgramme.objects.create(
                reference=f"CP-{i}",
                title="x",
                kind=ContractKind.TRANSVERSAL,
                phase=phases[0],
                start_date=dt.date(2021, 1, 1),
                end_date=dt.date(2022, 1, 1),
            )
            party = Party.objects.create(contract=c, organisation=ministry, role=PartyRole.FUNDER)
            Commitment.objects.create(party=party, year=2021, amount=D("100"))
            Milestone.objects.create(contract=c, title="m", responsible=org_a, due_date=dt.date(2021, 6, 1))
        counts.append(count_queries(client, reverse("home"), {"as_of": "2022-01-01"}))
    assert counts[0] == counts[1], counts


# Organisations ------------------------------------------------------------------------


def test_organisation_list_and_page(client, viewer, org_a, org_b, contract, figures_data):
    client.force_login(viewer)
    body = client.get(reverse("portal:organisation_list")).content.decode()
    assert 'data-organisation="FCA"' in body and 'data-organisation="MDA"' in body
    page = client.get(reverse("portal:organisation_detail", args=[org_b.pk]), {"as_of": "2022-06-30"})
    body = page.content.decode()
    assert 'data-contract="CP-2021-02"' in body  # MDA is a party
    assert "Étude de filière" in body  # its overdue milestone
    assert "IND-NODATA" in body  # the indicator it reports on
    assert (
        f'<a href="{reverse("strategy:measurement_list")}?organisation={org_b.pk}&amp;status=submitted"><span class="big">1</span>'
        in body
    )


def test_partner_sees_no_other_organisation_drafts_on_organisation_page(client, partner_a, org_b, figures_data):
    client.force_login(partner_a)
    body = client.get(reverse("portal:organisation_detail", args=[org_b.pk])).content.decode()
    assert 'status=submitted"><span class="big">0</span>' in body


def test_partner_does_not_see_contracts_of_others_on_organisation_page(client, partner_a, org_b, contract):
    client.force_login(partner_a)
    body = client.get(reverse("portal:organisation_detail", args=[org_b.pk])).content.decode()
    assert "CP-2021-02" not in body
    body = client.get(reverse("portal:organisation_list")).content.decode()
    assert f'?party={org_b.pk}">0</a>' in body  # MDA's contract is not counted for FCA's partner


def test_organisation_export_keeps_filters(client, viewer, org_a, org_b):
    client.force_login(viewer)
    response = client.get(reverse("portal:organisation_list"), {"acronym": "FCA", "format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "FCA" in text and "MDA" not in text
    response = client.get(reverse("portal:organisation_list"), {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_organisation_pages_query_count(client, viewer, ministry):
    from artisanat.models import Organisation

    client.force_login(viewer)
    counts = []
    for n in (1, 50):
        while Organisation.objects.count() < n:
            i = Organisation.objects.count()
            Organisation.objects.create(name=f"Org {i}", acronym=f"O{i}", kind="autre")
        counts.append(count_queries(client, reverse("portal:organisation_list")))
    assert counts[0] == counts[1], counts
    detail = [count_queries(client, reverse("portal:organisation_detail", args=[ministry.pk]))]
    assert detail[0] <= 12


def test_every_list_says_how_many_rows_it_holds(client, viewer, org_a, org_b, make_indicator, settings):
    """Issue 14, item 8: the count line said "0 lignes" whatever the list held (the
    template applied ``length`` to a number). It gives the total over every page."""
    from artisanat.models import Organisation

    client.force_login(viewer)
    total = Organisation.objects.count()
    body = client.get(reverse("portal:organisation_list")).content.decode()
    assert f"{total} lignes" in body and "0 lignes" not in body
    for n in range(3):
        make_indicator(code=f"IND-COMPTE-{n}")
    body = client.get(reverse("strategy:indicator_list"), {"page_size": 2}).content.decode()
    from strategy.models import Indicator

    assert f"{Indicator.objects.count()} lignes" in body
