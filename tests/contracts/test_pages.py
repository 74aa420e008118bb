"""Contract pages: list with filters and execution, contract page (parties, money per
party and per year, milestones, amendments, indicators), history, milestones list."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from artisanat.templatetags.artisanat_format import money, pct
from contracts import services
from contracts.choices import ContractKind, MilestoneStatus, PartyRole
from contracts.models import AmendedCommitment, Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from tests.conftest import POTTERY_CONTRACT

AS_OF = dt.date(2022, 12, 31)


def count_queries(client, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.status_code
    return len(ctx)


@pytest.fixture
def contract(contract_fields, ministry, org_a, filiere, indicator):
    """The shared contract as a filière contract, with its parties, money and milestones."""
    c = ContratProgramme.objects.create(
        **{**contract_fields, **POTTERY_CONTRACT, "kind": ContractKind.FILIERE, "filiere": filiere}
    )
    c.indicators.add(indicator)
    funder = Party.objects.create(contract=c, organisation=ministry, role=PartyRole.FUNDER, signer_name="Le ministre")
    implementer = Party.objects.create(contract=c, organisation=org_a, role=PartyRole.IMPLEMENTER)
    c2021 = Commitment.objects.create(party=funder, year=2021, amount=D("1000000"))
    c2022 = Commitment.objects.create(party=funder, year=2022, amount=D("500000"))
    fca = Commitment.objects.create(party=implementer, year=2022, amount=D("500000"))
    Disbursement.objects.create(commitment=c2021, date=dt.date(2021, 10, 1), amount=D("600000"))
    Disbursement.objects.create(commitment=c2022, date=dt.date(2022, 5, 1), amount=D("150000"))
    Disbursement.objects.create(commitment=fca, date=dt.date(2022, 6, 1), amount=D("150000"))
    Milestone.objects.create(contract=c, title="Étude de marché", responsible=org_a, due_date=dt.date(2022, 3, 31))
    Milestone.objects.create(
        contract=c,
        title="Salon national",
        responsible=ministry,
        due_date=dt.date(2021, 11, 30),
        status=MilestoneStatus.MET,
        date_met=dt.date(2021, 11, 20),
    )
    Amendment.objects.create(
        contract=c,
        number=1,
        date=dt.date(2022, 2, 1),
        reason="Report du salon",
        changes_dates=True,
        summary="Échéances décalées de trois mois",
    )
    return c


def test_contract_list_shows_execution_and_filters(client, viewer, contract, phases, ministry):
    other = ContratProgramme.objects.create(
        reference="CP-2023-01",
        title="Programme d'excellence",
        kind=ContractKind.TRANSVERSAL,
        phase=phases[1],
        start_date=dt.date(2023, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    client.force_login(viewer)
    url = reverse("contracts:contract_list")
    body = client.get(url, {"as_of": AS_OF.isoformat()}).content.decode()
    row = ContratProgramme.objects.with_execution(AS_OF).get(pk=contract.pk)
    assert pct(row.execution_rate) == pct(D("45.00")) and pct(row.execution_rate) in body
    assert money(row.fig_committed) in body
    assert other.reference in body
    body = client.get(url, {"phase": phases[0].pk}).content.decode()
    assert "CP-2021-02" in body and "CP-2023-01" not in body
    body = client.get(url, {"party": ministry.pk}).content.decode()
    assert "CP-2021-02" in body and "CP-2023-01" not in body
    body = client.get(url, {"status": "draft"}).content.decode()
    assert 'data-contract="CP-2021-02"' not in body and 'data-contract="CP-2023-01"' in body
    text = client.get(url, {"phase": phases[0].pk, "format": "csv", "as_of": AS_OF.isoformat()}).content.decode(
        "utf-8-sig"
    )
    assert "CP-2021-02" in text and "CP-2023-01" not in text and "45.00" in text
    xlsx = client.get(url, {"format": "xlsx"})
    assert xlsx["Content-Disposition"] == 'attachment; filename="contrats.xlsx"'


def test_contract_page_parties_money_milestones_amendments_indicators(client, viewer, contract, ministry, org_a):
    client.force_login(viewer)
    body = client.get(
        reverse("contracts:contract_detail", args=[contract.pk]), {"as_of": AS_OF.isoformat()}
    ).content.decode()
    parties = {p.organisation.acronym: p for p in Party.objects.filter(contract=contract).with_execution(AS_OF)}
    ministry_row = body.split('data-party="MTAESS"')[1].split("</tr>")[0]
    assert (
        money(parties["MTAESS"].fig_committed) in ministry_row and pct(parties["MTAESS"].execution_rate) in ministry_row
    )
    assert "Le ministre" in ministry_row and "Bailleur" in ministry_row
    by_year = Commitment.objects.filter(party__contract=contract).execution_by_year(AS_OF)
    for row in by_year:
        html_row = body.split(f'data-year="{row["year"]}"')[1].split("</tr>")[0]
        assert (
            money(row["committed"]) in html_row and money(row["disbursed"]) in html_row and pct(row["rate"]) in html_row
        )
    assert body.count("<svg") >= 2 and 'class="bar committed"' in body
    late = body.split("Étude de marché")[0].rsplit("<li", 1)[1]
    assert 'class="late"' in late  # due 31/03/2022 and not met
    met = body.split("Salon national")[0].rsplit("<li", 1)[1]
    assert 'class="met"' in met
    assert "Avenant n° 1" in body and "Report du salon" in body and "01/02/2022" in body
    assert 'data-indicator="IND-FORM"' in body


def test_partner_only_opens_contracts_its_organisation_is_party_to(client, partner_a, partner_b, contract):
    client.force_login(partner_b)  # MDA is not a party
    assert client.get(reverse("contracts:contract_detail", args=[contract.pk])).status_code == 404
    assert client.get(reverse("contracts:contract_history", args=[contract.pk])).status_code == 404
    assert "CP-2021-02" not in client.get(reverse("contracts:contract_list")).content.decode()
    assert "Étude de marché" not in client.get(reverse("contracts:milestone_list")).content.decode()
    export = client.get(reverse("contracts:contract_list"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "CP-2021-02" not in export
    client.force_login(partner_a)  # FCA is
    assert client.get(reverse("contracts:contract_detail", args=[contract.pk])).status_code == 200


def test_contract_history_shows_who_when_what_and_why(client, viewer, editor, contract):
    contract.title = "Plan de relance poterie-céramique (révisé)"
    services.save_contract_object(contract, by=editor, reason="Avenant n° 1")
    milestone = contract.milestones.get(title="Étude de marché")
    milestone.status = MilestoneStatus.NOT_MET
    services.update_milestone(milestone, by=editor, reason="Constat au comité de suivi")
    client.force_login(viewer)
    body = client.get(reverse("contracts:contract_history", args=[contract.pk])).content.decode()
    assert "Avenant n° 1" in body and "Constat au comité de suivi" in body
    assert "<ins>Plan de relance poterie-céramique (révisé)</ins>" in body
    assert "<del>Programmé</del> → <ins>Non atteint</ins>" in body
    assert "editor" in body


def test_milestone_list_late_filter_matches_the_dashboard_link(client, viewer, contract):
    client.force_login(viewer)
    body = client.get(reverse("contracts:milestone_list"), {"late": "true", "as_of": "2022-06-30"}).content.decode()
    assert "Étude de marché" in body and "Salon national" not in body
    assert Milestone.objects.late(dt.date(2022, 6, 30)).count() == 1
    body = client.get(reverse("contracts:milestone_list"), {"late": "true", "as_of": "2022-01-01"}).content.decode()
    assert "Étude de marché" not in body  # not yet due then


@pytest.mark.parametrize("name", ["contracts:contract_list", "contracts:milestone_list"])
def test_list_pages_query_count_is_constant(client, viewer, name, phases, ministry, org_a):
    client.force_login(viewer)
    counts = []
    for n in (1, 50):
        while ContratProgramme.objects.count() < n:
            i = ContratProgramme.objects.count()
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
            Milestone.objects.create(contract=c, title=f"m{i}", responsible=org_a, due_date=dt.date(2021, 6, 1))
        counts.append(count_queries(client, reverse(name)))
    assert counts[0] == counts[1], counts


def test_contract_page_query_count_does_not_grow(client, viewer, contract, org_a):
    client.force_login(viewer)
    url = reverse("contracts:contract_detail", args=[contract.pk])
    before = count_queries(client, url)
    for i in range(20):
        Milestone.objects.create(contract=contract, title=f"m{i}", responsible=org_a, due_date=dt.date(2022, 6, 1))
    assert count_queries(client, url) == before


@pytest.mark.parametrize(
    "name",
    ["contracts:contract_list", "contracts:milestone_list", "contracts:contract_detail", "contracts:contract_history"],
)
def test_contract_pages_by_role(client, request, name, contract, django_user_model):
    url = reverse(name, args=[contract.pk]) if name.endswith(("detail", "history")) else reverse(name)
    assert client.get(url).status_code == 302
    for actor in ("viewer", "editor", "validator", "admin_user", "partner_a"):
        client.force_login(request.getfixturevalue(actor))
        assert client.get(url).status_code == 200, actor
    client.force_login(django_user_model.objects.create_user("sans_role", password="x-long-password-123"))
    assert client.get(url).status_code == 403


def test_contract_history_shows_a_partner_the_ministry_not_its_people(client, partner_a, viewer, editor, contract):
    editor.first_name, editor.last_name = "Youssef", "Éditeur"
    editor.save()
    contract.title = "Plan de relance (révisé)"
    services.save_contract_object(contract, by=editor, reason="Avenant n° 1")
    client.force_login(partner_a)  # FCA is a party: it reads the history, not who at the ministry
    body = client.get(reverse("contracts:contract_history", args=[contract.pk])).content.decode()
    assert "Avenant n° 1" in body and "MTAESS" in body
    assert "Youssef" not in body and "editor" not in body
    client.force_login(viewer)
    assert "Youssef Éditeur" in client.get(reverse("contracts:contract_history", args=[contract.pk])).content.decode()


# ── as of a date: signing, amendments, met late, time elapsed (issue 13) ─────────────


def test_contract_pages_before_the_signing_show_nothing_committed(client, viewer, contract):
    """Signed 26/07/2021: on 30/06/2019 nothing is committed, nothing paid, no rate, and
    none of the duration has elapsed."""
    client.force_login(viewer)
    body = client.get(reverse("contracts:contract_detail", args=[contract.pk]), {"as_of": "2019-06-30"}).content
    body = body.decode()
    figure = lambda name: body.split(f'data-figure="{name}"')[1].split("</dd>")[0]  # noqa: E731
    assert money(D("0")) in figure("committed") and money(D("2000000")) not in figure("committed")
    assert "—" in figure("disbursed")
    assert pct(None) in figure("execution-rate")
    assert pct(D("0.00")) in figure("time-elapsed")
    assert 'data-year="' not in body  # no year has anything committed or paid yet
    listed = client.get(reverse("contracts:contract_list"), {"as_of": "2019-06-30"}).content.decode()
    row = listed.split('data-contract="CP-2021-02"')[1].split("</tr>")[0]
    assert money(D("0")) in row and pct(None) in row
    assert pct(D("0.00")) in row.split('data-figure="time-elapsed"')[1]


def test_contract_pages_show_the_elapsed_share_beside_the_execution_rate(client, viewer, contract):
    """26/07/2021 → 31/12/2022 is 523 days; on 30/06/2022, 339 have passed: 64.82 %,
    beside 900 000 ÷ 2 000 000 = 45 % executed."""
    client.force_login(viewer)
    body = client.get(reverse("contracts:contract_detail", args=[contract.pk]), {"as_of": "2022-06-30"}).content
    body = body.decode()
    assert pct(D("64.82")) in body.split('data-figure="time-elapsed"')[1].split("</dd>")[0]
    assert pct(D("45.00")) in body.split('data-figure="execution-rate"')[1].split("</dd>")[0]
    listed = client.get(reverse("contracts:contract_list"), {"as_of": "2022-06-30"}).content.decode()
    row = listed.split('data-contract="CP-2021-02"')[1].split("</tr>")[0]
    assert pct(D("64.82")) in row.split('data-figure="time-elapsed"')[1]
    export = client.get(reverse("contracts:contract_list"), {"as_of": "2022-06-30", "format": "csv"})
    text = export.content.decode("utf-8-sig")
    assert "time_elapsed_pct" in text.splitlines()[0] and "64.82" in text


def test_contract_page_marks_later_amendments_and_counts_those_in_force(client, viewer, contract):
    """Avenant n° 2 of 15/01/2023 raises FCA's 2022 commitment from 500 000 to 600 000:
    on 31/12/2022 it is later than the date (2 000 000 committed), on 01/02/2023 in force
    (2 100 000)."""
    fca = Commitment.objects.get(party__contract=contract, party__organisation__acronym="FCA")
    second = Amendment.objects.create(
        contract=contract,
        number=2,
        date=dt.date(2023, 1, 15),
        reason="Rallonge de l'opérateur",
        changes_amounts=True,
        summary="Engagement relevé",
    )
    AmendedCommitment.objects.create(amendment=second, commitment=fca, new_amount=D("600000"))
    client.force_login(viewer)
    url = reverse("contracts:contract_detail", args=[contract.pk])
    body = client.get(url, {"as_of": AS_OF.isoformat()}).content.decode()
    first_item = body.split('data-amendment="1"')[1].split("</li>")[0]
    second_item = body.split('data-amendment="2"')[1].split("</ol>")[0]
    assert "data-later" not in first_item and "postérieur à la date choisie" not in first_item
    assert "data-later" in second_item and "postérieur à la date choisie" in second_item
    assert money(D("600000")) in second_item and money(D("500000")) in second_item
    assert money(D("2000000")) in body.split('data-figure="committed"')[1].split("</dd>")[0]
    later = client.get(url, {"as_of": "2023-02-01"}).content.decode()
    assert "postérieur à la date choisie" not in later
    assert money(D("2100000")) in later.split('data-figure="committed"')[1].split("</dd>")[0]


def test_milestone_met_ten_days_late_on_the_contract_page_and_the_list(client, viewer, contract, org_a):
    """ "Catalogue" due 30/04/2022, met 10/05/2022; "Étude de marché" due 31/03/2022, never
    met: 275 days late on 31/12/2022."""
    catalogue = Milestone.objects.create(
        contract=contract,
        title="Catalogue",
        responsible=org_a,
        due_date=dt.date(2022, 4, 30),
        status=MilestoneStatus.MET,
        date_met=dt.date(2022, 5, 10),
    )
    etude = contract.milestones.get(title="Étude de marché")
    client.force_login(viewer)
    for url in (reverse("contracts:contract_detail", args=[contract.pk]), reverse("contracts:milestone_list")):
        body = client.get(url, {"as_of": AS_OF.isoformat()}).content.decode()
        item = body.split(f'data-milestone="{catalogue.pk}"')[1].split("</li>" if "detail" in url else "</tr>")[0]
        assert 'class="flag-met-late" data-days-late="10"' in item and "atteint avec 10 jours de retard" in item
        item = body.split(f'data-milestone="{etude.pk}"')[1].split("</li>" if "detail" in url else "</tr>")[0]
        assert 'data-days-late="275"' in item and "en retard de 275 jours" in item
    detail = client.get(reverse("contracts:contract_detail", args=[contract.pk]), {"as_of": AS_OF.isoformat()})
    assert ">1</dd>" in detail.content.decode().split('data-figure="met-late"')[1].split("</dl>")[0]
    export = client.get(reverse("contracts:milestone_list"), {"as_of": AS_OF.isoformat(), "format": "csv"})
    header = export.content.decode("utf-8-sig").splitlines()[0]
    assert "met_late" in header and "days_late" in header
