"""Lists and filters (issue 15, item 8): "Tous" on every empty choice, a yes / no filter
as Tous / Oui / Non, the status filter as checkboxes, the filters in force as chips each
with a link that removes it, sortable columns with ``aria-sort``, the indicators'
"Dernière donnée", the milestones' "Jours de retard" and the menu's late milestones, the
contract page's parties one line per organisation. The API reads the same FilterSets:
its answers do not change."""

import datetime as dt
import re
from decimal import Decimal as D
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from artisanat.models import Organisation
from contracts.choices import ContractKind, MilestoneStatus, PartyRole
from contracts.models import Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy.choices import Aggregation, MeasurementStatus, TrajectoryStatus
from strategy.models import Measurement

LISTS = [
    "strategy:indicator_list",
    "strategy:measurement_list",
    "contracts:contract_list",
    "contracts:milestone_list",
    "portal:organisation_list",
]


def body_of(client, url, data=None):
    response = client.get(url, data or {})
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def chips(body):
    """{key: (text, removal query as a list of pairs)} of the chips shown."""
    found = {}
    for key, text, href in re.findall(
        r'<li class="chip" data-chip="([^"]+)">(.*?)<a href="([^"]*)" data-clear', body, flags=re.S
    ):
        found.setdefault(key, []).append(
            (re.sub(r"<[^>]+>", "", unescape(text)).strip(), parse_qsl(urlsplit(unescape(href)).query))
        )
    return found


@pytest.fixture
def contracts(contract_fields, ministry, org_a, org_b, phases):
    """Three contracts: money, and milestones late by different numbers of days."""
    made = []
    for i, (committed, late_days) in enumerate([(D("300"), 10), (D("100"), 40), (D("200"), None)]):
        c = ContratProgramme.objects.create(
            **{**contract_fields, "reference": f"CP-L-{i}", "title": f"Contrat {i}", "kind": ContractKind.TRANSVERSAL}
        )
        party = Party.objects.create(contract=c, organisation=ministry, role=PartyRole.FUNDER)
        Commitment.objects.create(party=party, year=2022, amount=committed)
        if late_days is not None:
            Milestone.objects.create(
                contract=c,
                title=f"Jalon {i}",
                responsible=org_a,
                due_date=dt.date(2022, 12, 31) - dt.timedelta(days=late_days),
            )
        made.append(c)
    Milestone.objects.create(
        contract=made[2],
        title="Jalon à venir",
        responsible=org_b,
        due_date=dt.date(2023, 6, 30),
    )
    Milestone.objects.create(
        contract=made[2],
        title="Jalon atteint en retard",
        responsible=org_b,
        due_date=dt.date(2022, 6, 30),
        status=MilestoneStatus.MET,
        date_met=dt.date(2022, 7, 5),
    )
    return made


# ------------------------------------------------------------------ the filter forms


@pytest.mark.parametrize("name", LISTS)
def test_every_empty_choice_reads_tous(client, viewer, name, contracts):
    client.force_login(viewer)
    body = body_of(client, reverse(name))
    assert "---------" not in body
    assert "Inconnu" not in body
    assert '<option value="" selected>Tous</option>' in body or '<option value="">Tous</option>' in body


def test_the_organisations_active_filter_is_tous_oui_non(client, viewer, ministry, org_a):
    org_a.active = False
    org_a.save()
    client.force_login(viewer)
    url = reverse("portal:organisation_list")
    body = body_of(client, url)
    select = re.search(r'<select name="active"[^>]*>(.*?)</select>', body, flags=re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select) == [
        ("", "Tous"),
        ("true", "Oui"),
        ("false", "Non"),
    ]
    assert 'data-organisation="FCA"' in body_of(client, url, {"active": ""})
    body = body_of(client, url, {"active": "false"})
    assert 'data-organisation="FCA"' in body and f'data-organisation="{ministry.acronym}"' not in body
    assert '<option value="false" selected>Non</option>' in body
    body = body_of(client, url, {"active": "true"})
    assert 'data-organisation="FCA"' not in body and f'data-organisation="{ministry.acronym}"' in body


def test_the_measurement_status_filter_is_checkboxes(client, viewer, indicator, org_a):
    for status, year in ((MeasurementStatus.DRAFT, 2021), (MeasurementStatus.SUBMITTED, 2022)):
        Measurement.objects.create(
            indicator=indicator,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            value=D("5"),
            organisation=org_a,
            status=status,
        )
    Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        value=D("5"),
        organisation=org_a,
        status=MeasurementStatus.VALIDATED,
    )
    client.force_login(viewer)
    url = reverse("strategy:measurement_list")
    body = body_of(client, url)
    assert '<select name="status"' not in body and "multiple" not in body
    assert re.search(r"<fieldset[^>]*>\s*<legend>Statut</legend>", body)
    boxes = re.findall(r'<input type="checkbox" name="status" value="([^"]+)"', body)
    assert set(boxes) == set(MeasurementStatus.values)
    body = body_of(client, url + "?status=draft&status=submitted")
    assert len(re.findall(r"<tr data-measurement=", body)) == 2
    assert re.search(r'<input type="checkbox" name="status" value="draft"[^>]*checked', body)
    shown = chips(body)["status"]
    assert [text for text, _ in shown] == ["Statut : Brouillon", "Statut : Soumise"]
    # Removing one status keeps the other.
    assert shown[0][1] == [("status", "submitted")]


# ------------------------------------------------------------------ chips


def test_filters_in_force_are_chips_each_removing_itself(client, viewer, contracts):
    client.force_login(viewer)
    url = reverse("contracts:milestone_list")
    contract = contracts[0]
    body = body_of(
        client, url, {"late": "true", "contract": contract.pk, "as_of": "2022-12-31", "ordering": "due", "page": "1"}
    )
    shown = chips(body)
    assert set(shown) == {"late", "contract", "as_of"}
    assert shown["late"][0][0] == "En retard : Oui"
    assert shown["contract"][0][0] == f"Contrat : {contract}"
    assert shown["as_of"][0][0].endswith("31/12/2022")
    # Each chip's link drops its own parameter (and the page number), keeps the rest and the sort.
    assert dict(shown["late"][0][1]) == {"contract": str(contract.pk), "as_of": "2022-12-31", "ordering": "due"}
    assert dict(shown["contract"][0][1]) == {"late": "true", "as_of": "2022-12-31", "ordering": "due"}
    assert '<a class="chips-clear" href="?ordering=due" data-clear-all>Tout effacer</a>' in body
    # Following a chip's link removes that filter.
    removed = body_of(client, url, dict(shown["contract"][0][1]))
    assert "contract" not in chips(removed) and "late" in chips(removed)


def test_no_chip_without_a_filter(client, viewer, contracts):
    client.force_login(viewer)
    assert "data-active-filters" not in body_of(client, reverse("contracts:contract_list"))


def test_the_indicator_lists_own_filters_are_chips(client, viewer, indicator):
    client.force_login(viewer)
    body = body_of(client, reverse("strategy:indicator_list"), {"data_late": "1", "status": "no_data"})
    shown = chips(body)
    assert shown["data_late"][0][0] == "Données : En retard"
    assert shown["status"][0][0] == f"Statut : {TrajectoryStatus.NO_DATA.label}"
    assert shown["status"][0][1] == [("data_late", "1")]


# ------------------------------------------------------------------ sorting


def references(body):
    return re.findall(r'<tr data-contract="([^"]+)"', body)


def test_column_headers_sort_and_say_so(client, viewer, contracts):
    client.force_login(viewer)
    url = reverse("contracts:contract_list")
    body = body_of(client, url, {"as_of": "2022-12-31"})
    assert "aria-sort" not in body
    assert re.search(
        r'<th scope="col" class="num" data-sort="committed"><a class="sort" href="\?as_of=2022-12-31&amp;ordering=committed"',
        body,
    )
    body = body_of(client, url, {"as_of": "2022-12-31", "ordering": "committed"})
    assert references(body) == ["CP-L-1", "CP-L-2", "CP-L-0"]
    assert re.search(r'<th scope="col" class="num" aria-sort="ascending" data-sort="committed">', body)
    assert 'href="?as_of=2022-12-31&amp;ordering=-committed"' in body  # the next click reverses it
    body = body_of(client, url, {"as_of": "2022-12-31", "ordering": "-committed"})
    assert references(body) == ["CP-L-0", "CP-L-2", "CP-L-1"]
    assert 'aria-sort="descending" data-sort="committed"' in body
    assert body.count("aria-sort=") == 1
    # The filter form keeps the sort when it is sent again.
    assert '<input type="hidden" name="ordering" value="-committed">' in body


def test_an_unknown_sort_is_refused_naming_it(client, viewer, contracts):
    client.force_login(viewer)
    response = client.get(reverse("contracts:contract_list"), {"ordering": "-nope"})
    assert response.status_code == 400
    assert "ordering" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("strategy:indicator_list", ["code", "name", "axis", "unit", "latest"]),
        ("strategy:measurement_list", ["period"]),
        ("contracts:contract_list", ["reference", "title", "phase", "status", "committed", "disbursed", "late"]),
        ("contracts:milestone_list", ["contract", "title", "responsible", "due", "met", "days_late"]),
        ("portal:organisation_list", ["acronym", "name", "kind", "region", "contracts", "indicators"]),
    ],
)
def test_every_sortable_column_sorts(client, viewer, contracts, indicator, name, keys):
    client.force_login(viewer)
    body = body_of(client, reverse(name))
    assert re.findall(r'data-sort="([^"]+)"', body) == keys
    for key in keys:
        for ordering in (key, f"-{key}"):
            assert f'data-sort="{key}"' in body_of(client, reverse(name), {"ordering": ordering})


def test_organisations_sort_by_name_descending(client, viewer, ministry, org_a, org_b):
    client.force_login(viewer)
    body = body_of(client, reverse("portal:organisation_list"), {"ordering": "-name"})
    names = sorted(Organisation.objects.values_list("name", "acronym"), reverse=True)
    assert re.findall(r'<tr data-organisation="([^"]+)"', body) == [acronym for _name, acronym in names]


# ------------------------------------------------------------------ new columns


def test_the_indicators_latest_data_column(client, viewer, make_indicator, org_a):
    counted = make_indicator(code="IND-SUM", reporters=[org_a])
    ratio = make_indicator(code="IND-RATIO", aggregation=Aggregation.RATIO, unit="percent", reporters=[org_a])
    make_indicator(code="IND-EMPTY", reporters=[org_a])
    for year, value in ((2021, "100"), (2022, "40")):
        Measurement.objects.create(
            indicator=counted,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            value=D(value),
            organisation=org_a,
            status=MeasurementStatus.VALIDATED,
        )
    Measurement.objects.create(  # not validated: not the latest data
        indicator=counted,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        value=D("7"),
        organisation=org_a,
        status=MeasurementStatus.SUBMITTED,
    )
    Measurement.objects.create(
        indicator=ratio,
        period_start=dt.date(2022, 1, 1),
        period_end=dt.date(2022, 12, 31),
        numerator=D("1"),
        denominator=D("4"),
        organisation=org_a,
        status=MeasurementStatus.VALIDATED,
    )
    client.force_login(viewer)
    url = reverse("strategy:indicator_list")
    body = body_of(client, url, {"as_of": "2024-06-30"})

    def latest(code):
        row = re.search(rf'<tr data-indicator="{code}">(.*?)</tr>', body, flags=re.S).group(1)
        cell = re.search(r'data-figure="latest">(.*?)</td>', row, flags=re.S).group(1)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", unescape(cell))).strip()

    assert latest("IND-SUM") == "40,00 (31/12/2022)"  # the latest period's value, not the sum (140)
    assert latest("IND-RATIO") == "25,00 (31/12/2022)"
    assert latest("IND-EMPTY") == "—"
    body = body_of(client, url, {"as_of": "2024-06-30", "ordering": "-latest"})
    codes = re.findall(r'<tr data-indicator="([^"]+)"', body)
    assert codes.index("IND-EMPTY") == len(codes) - 1  # no data last, whichever the direction
    body = body_of(client, url, {"as_of": "2022-06-30"})
    assert latest("IND-SUM") == "100,00 (31/12/2021)"


def test_the_milestones_days_late_column_and_sort(client, viewer, contracts):
    client.force_login(viewer)
    url = reverse("contracts:milestone_list")
    body = body_of(client, url, {"as_of": "2022-12-31", "ordering": "-days_late"})
    rows = re.findall(r'<tr data-milestone="\d+"[^>]*>.*?<td class="num" data-days-late>([^<]*)</td>', body, flags=re.S)
    titles = re.findall(r"<td>(?:<bdi[^>]*>)?(Jalon[^<]*)(?:</bdi>)?</td>", body)
    assert list(zip(titles, rows, strict=True)) == [
        ("Jalon 1", "40"),
        ("Jalon 0", "10"),
        ("Jalon atteint en retard", "5"),
        ("Jalon à venir", "—"),
    ]
    body = body_of(client, url, {"as_of": "2022-12-31", "late": "true", "ordering": "-days_late"})
    assert re.findall(r"<td>(?:<bdi[^>]*>)?(Jalon[^<]*)(?:</bdi>)?</td>", body) == ["Jalon 1", "Jalon 0"]


def test_the_menu_links_to_the_late_milestones(client, viewer, contracts):
    client.force_login(viewer)
    body = body_of(client, reverse("strategy:indicator_list"))
    link = re.search(r'<a href="([^"]+)"\s*data-nav="late-milestones">Jalons en retard</a>', body)
    assert link and unescape(link.group(1)) == "/contrats/jalons/?late=true&ordering=-days_late"
    body = body_of(client, unescape(link.group(1)))
    assert 'aria-current="page" data-nav="late-milestones"' in body
    # Late today: all three past their due dates, the latest one last.
    assert re.findall(r"<td>(?:<bdi[^>]*>)?(Jalon[^<]*)(?:</bdi>)?</td>", body) == [
        "Jalon 1",
        "Jalon 0",
        "Jalon à venir",
    ]


def test_the_menu_toggle_is_there_for_signed_in_people_only(client, viewer):
    assert "data-menu-toggle" not in client.get(reverse("login")).content.decode()
    client.force_login(viewer)
    body = body_of(client, reverse("strategy:indicator_list"))
    assert re.search(
        r'<button type="button" class="menu-toggle" aria-expanded="false" aria-controls="site-who site-nav" hidden',
        body,
    )
    assert 'id="site-nav"' in body and 'id="site-who"' in body
    assert "js/menu.js" in body


def test_the_indicator_page_puts_the_figures_before_the_definition(client, viewer, indicator):
    indicator.definition = "Une longue définition. " * 40
    indicator.save()
    client.force_login(viewer)
    body = body_of(client, reverse("strategy:indicator_detail", args=[indicator.pk]))
    assert body.index('data-figure="achieved"') < body.index("Une longue définition.")


# ------------------------------------------------------------------ the contract page


@pytest.fixture
def two_role_contract(contract_fields, ministry, org_a):
    """The demo's case: an organisation both signatory (no money) and funder."""
    c = ContratProgramme.objects.create(**contract_fields)
    Party.objects.create(contract=c, organisation=ministry, role=PartyRole.SIGNATORY, signer_name="Le ministre")
    funder = Party.objects.create(contract=c, organisation=ministry, role=PartyRole.FUNDER)
    Party.objects.create(contract=c, organisation=org_a, role=PartyRole.SIGNATORY, signer_name="Le président")
    fca = Party.objects.create(contract=c, organisation=org_a, role=PartyRole.IMPLEMENTER)
    Commitment.objects.create(party=funder, year=2022, amount=D("1000"))
    paid = Commitment.objects.create(party=fca, year=2022, amount=D("500"))
    Disbursement.objects.create(commitment=paid, date=dt.date(2022, 6, 1), amount=D("250"))
    return c


def test_the_contract_page_lists_each_party_once(client, viewer, editor, two_role_contract, ministry, org_a):
    client.force_login(viewer)
    url = reverse("contracts:contract_detail", args=[two_role_contract.pk])
    body = body_of(client, url, {"as_of": "2022-12-31"})
    table = re.search(r'<table data-table="parties">(.*?)</table>', body, flags=re.S).group(1)
    rows = re.findall(r'<tr data-party="([^"]+)">(.*?)</tr>', table, flags=re.S)
    assert [acronym for acronym, _ in rows] == sorted([ministry.acronym, org_a.acronym])
    cells = dict(rows)
    assert "Signataire, Bailleur" in cells[ministry.acronym] and "Le ministre" in cells[ministry.acronym]
    assert "Signataire, Opérateur" in cells[org_a.acronym] and "Le président" in cells[org_a.acronym]
    assert "—" not in cells[org_a.acronym].split("Le président")[1].split("</td>")[0]
    assert "500,00" in cells[org_a.acronym] and "250,00" in cells[org_a.acronym] and "50,0" in cells[org_a.acronym]
    # An editor still reaches each role's edit and delete pages.
    client.force_login(editor)
    body = body_of(client, url)
    for party in Party.objects.filter(contract=two_role_contract):
        assert reverse("contracts:party_update", args=[party.pk]) in body
        assert reverse("contracts:party_delete", args=[party.pk]) in body


def test_the_organisation_page_shows_execution_beside_time_elapsed(client, viewer, two_role_contract, ministry):
    client.force_login(viewer)
    body = body_of(client, reverse("portal:organisation_detail", args=[ministry.pk]), {"as_of": "2022-12-31"})
    row = re.search(r'<tr data-contract="CP-2021-01">(.*?)</tr>', body, flags=re.S).group(1)
    assert row.index('data-figure="execution-rate"') < row.index('data-figure="time-elapsed"')
    assert "Durée écoulée" in body


# ------------------------------------------------------------------ the API is unchanged


def test_the_api_filters_read_as_before(api, viewer, ministry, org_a):
    """The page's widgets are the page's: the API still takes ``active=true|false`` and
    several ``status=`` and sorts by its own ``ordering`` fields."""
    org_a.active = False
    org_a.save()
    client = api(viewer)
    acronyms = [o["acronym"] for o in client.get("/api/v1/organisations/", {"active": "false"}).json()["results"]]
    assert acronyms == [org_a.acronym]
    response = client.get("/api/v1/measurements/", {"status": ["draft", "submitted"]})
    assert response.status_code == 200
    response = client.get("/api/v1/organisations/", {"ordering": "-acronym"})
    assert response.status_code == 200
