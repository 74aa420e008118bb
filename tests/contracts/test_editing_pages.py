"""Contract editing pages (issue 14, item 4): the contract, its parties, the commitments
grid, disbursements, milestones and amendments. Editors, validators and administrators
edit; viewers and partners are refused (403), anonymous visitors sent to sign in. Every
change carries a reason and the version read; a stale one answers 409."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from contracts.models import Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from tests.documents import PDF, upload

REASON = {"change_reason": "Saisie du contrat signé"}


def _pages(ctx):
    """(name, url) of every editing page, from the fixtures."""
    c, p, d, m, a = ctx["contract_a"], ctx["party_a"], ctx["disbursement_a"], ctx["milestone_a"], ctx["amendment_a"]
    return {
        "contract_create": reverse("contracts:contract_create"),
        "contract_update": reverse("contracts:contract_update", args=[c.pk]),
        "party_create": reverse("contracts:party_create", args=[c.pk]),
        "party_update": reverse("contracts:party_update", args=[p.pk]),
        "party_delete": reverse("contracts:party_delete", args=[p.pk]),
        "commitment_grid": reverse("contracts:commitment_grid", args=[c.pk]),
        "disbursement_create": reverse("contracts:disbursement_create", args=[c.pk]),
        "disbursement_update": reverse("contracts:disbursement_update", args=[d.pk]),
        "disbursement_delete": reverse("contracts:disbursement_delete", args=[d.pk]),
        "milestone_create": reverse("contracts:milestone_create", args=[c.pk]),
        "milestone_update": reverse("contracts:milestone_update", args=[m.pk]),
        "milestone_delete": reverse("contracts:milestone_delete", args=[m.pk]),
        "amendment_create": reverse("contracts:amendment_create", args=[c.pk]),
        "amendment_update": reverse("contracts:amendment_update", args=[a.pk]),
        "amendment_delete": reverse("contracts:amendment_delete", args=[a.pk]),
    }


PAGES = [
    "contract_create",
    "contract_update",
    "party_create",
    "party_update",
    "party_delete",
    "commitment_grid",
    "disbursement_create",
    "disbursement_update",
    "disbursement_delete",
    "milestone_create",
    "milestone_update",
    "milestone_delete",
    "amendment_create",
    "amendment_update",
    "amendment_delete",
]


@pytest.fixture
def rows(contract_a, party_a, disbursement_a, milestone_a, amendment_a):
    return {
        "contract_a": contract_a,
        "party_a": party_a,
        "disbursement_a": disbursement_a,
        "milestone_a": milestone_a,
        "amendment_a": amendment_a,
    }


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("actor", ["editor", "validator", "admin_user"])
def test_editors_open_every_editing_page(client, request, rows, page, actor):
    client.force_login(request.getfixturevalue(actor))
    response = client.get(_pages(rows)[page])
    assert response.status_code == 200, page
    assert b'name="change_reason"' in response.content


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("actor", ["viewer", "partner_a"])
def test_viewers_and_partners_are_refused_every_editing_page(client, request, rows, page, actor):
    client.force_login(request.getfixturevalue(actor))
    url = _pages(rows)[page]
    assert client.get(url).status_code == 403
    assert client.post(url, {"change_reason": "Tentative de saisie"}).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, rows, page):
    response = client.get(_pages(rows)[page])
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_contract_page_offers_edit_links_to_editors_only(client, editor, viewer, contract_a, amendment_a):
    url = reverse("contracts:contract_detail", args=[contract_a.pk])
    client.force_login(editor)
    body = client.get(url).content.decode()
    for name in ("contract_update", "commitment_grid", "amendment_create", "party_create", "milestone_create"):
        assert reverse(f"contracts:{name}", args=[contract_a.pk]) in body, name
    client.force_login(viewer)
    body = client.get(url).content.decode()
    assert reverse("contracts:contract_update", args=[contract_a.pk]) not in body
    assert "data-edit" not in body


# ---------------------------------------------------------------- the contract


def contract_data(phases, **extra):
    return {
        "reference": "CP-2024-07",
        "title": "Contrat de la filière tapis",
        "title_ar": "عقد برنامج الزرابي",
        "kind": "transversal",
        "phase": phases[1].pk,
        "start_date": "2024-01-01",
        "end_date": "2026-12-31",
        "status": "draft",
        **REASON,
        **extra,
    }


def test_editor_creates_a_contract_with_its_signed_document(client, editor, phases, indicator, axis):
    client.force_login(editor)
    data = contract_data(
        phases, indicators=[indicator.pk], axes=[axis.pk], document=upload("contrat.pdf", PDF), source="BO n° 7"
    )
    response = client.post(reverse("contracts:contract_create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    contract = ContratProgramme.objects.get(reference="CP-2024-07")
    assert response["Location"] == reverse("contracts:contract_detail", args=[contract.pk])
    assert contract.title_ar == "عقد برنامج الزرابي" and list(contract.indicators.all()) == [indicator]
    assert contract.document and contract.document_name == "contrat.pdf"
    row = contract.history.latest("history_id")
    assert row.history_user == editor and row.history_change_reason == "Saisie du contrat signé"


def test_a_contract_refuses_a_document_that_is_not_one(client, editor, phases):
    client.force_login(editor)
    data = contract_data(phases, document=upload("contrat.pdf", b"<html><script>alert(1)</script></html>"))
    response = client.post(reverse("contracts:contract_create"), data)
    assert response.status_code == 400
    assert not ContratProgramme.objects.filter(reference="CP-2024-07").exists()


def test_a_contract_without_a_reason_is_refused(client, editor, phases):
    client.force_login(editor)
    response = client.post(reverse("contracts:contract_create"), contract_data(phases, change_reason="ok"))
    assert response.status_code == 400
    assert "change_reason" in response.context["form"].errors


def test_a_stale_contract_edit_is_refused_side_by_side(client, editor, contract_a, phases):
    client.force_login(editor)
    url = reverse("contracts:contract_update", args=[contract_a.pk])
    data = {
        **contract_data(phases, reference="CP-A", status="in_execution", signing_date="2021-07-26"),
        "phase": contract_a.phase_id,
        "start_date": "2021-07-26",
        "end_date": "2025-12-31",
        "title": "Titre saisi",
        "expected_version": contract_a.version,
    }
    ContratProgramme.objects.filter(pk=contract_a.pk).update(version=contract_a.version + 1, title="Titre d'un autre")
    response = client.post(url, data)
    assert response.status_code == 409
    row = next(r for r in response.context["conflict"] if r["name"] == "title")
    assert (row["stored"], row["typed"], row["differs"]) == ("Titre d'un autre", "Titre saisi", True)
    contract_a.refresh_from_db()
    assert contract_a.title == "Titre d'un autre"
    # Sending it again (now with the current version) is a deliberate overwrite.
    data["expected_version"] = response.context["form"]["expected_version"].value()
    assert client.post(url, data).status_code == 302
    contract_a.refresh_from_db()
    assert contract_a.title == "Titre saisi"


# ---------------------------------------------------------------- parties, disbursements, milestones


def test_editor_adds_changes_and_deletes_a_party(client, editor, contract_a, org_b):
    client.force_login(editor)
    data = {"organisation": org_b.pk, "role": "funder", "signer_name": "M. Alaoui", "signer_title": "Directeur"}
    assert client.post(reverse("contracts:party_create", args=[contract_a.pk]), {**data, **REASON}).status_code == 302
    party = Party.objects.get(contract=contract_a, organisation=org_b)
    url = reverse("contracts:party_update", args=[party.pk])
    response = client.post(url, {**data, "signer_name": "Mme Bennani", "expected_version": 1, **REASON})
    assert response.status_code == 302
    party.refresh_from_db()
    assert (party.signer_name, party.version) == ("Mme Bennani", 2)
    assert client.post(url, {**data, "expected_version": 1, **REASON}).status_code == 409
    delete = reverse("contracts:party_delete", args=[party.pk])
    assert client.post(delete, {"expected_version": 2, "change_reason": "Partie retirée"}).status_code == 302
    assert not Party.objects.filter(pk=party.pk).exists()


def test_editor_records_changes_and_deletes_a_disbursement(client, editor, contract_a, commitment_a):
    client.force_login(editor)
    url = reverse("contracts:disbursement_create", args=[contract_a.pk])
    data = {"commitment": commitment_a.pk, "date": "2022-05-01", "amount": "250 000,50", "reference": "OV-1"}
    assert client.post(url, {**data, **REASON}).status_code == 302
    row = Disbursement.objects.get(reference="OV-1")
    assert row.amount == D("250000.50")
    update = reverse("contracts:disbursement_update", args=[row.pk])
    response = client.post(update, {**data, "amount": "deux cents", "expected_version": 1, **REASON})
    assert response.status_code == 400 and "amount" in response.context["form"].errors
    # Beyond the commitment: refused with the ceiling's message.
    response = client.post(update, {**data, "amount": "1 000 000,01", "expected_version": 1, **REASON})
    assert response.status_code == 400 and "engagés" in str(response.context["form"].errors["amount"])
    delete = reverse("contracts:disbursement_delete", args=[row.pk])
    assert client.post(delete, {"expected_version": 1, "change_reason": "Doublon"}).status_code == 302
    assert not Disbursement.objects.filter(pk=row.pk).exists()


def test_the_disbursement_form_offers_only_the_contracts_commitments(client, editor, contract_a, commitment_b):
    client.force_login(editor)
    url = reverse("contracts:disbursement_create", args=[contract_a.pk])
    data = {"commitment": commitment_b.pk, "date": "2022-05-01", "amount": "10", **REASON}
    response = client.post(url, data)
    assert response.status_code == 400 and "commitment" in response.context["form"].errors


def test_editor_adds_and_changes_a_milestone_with_its_arabic_title_and_action(
    client, editor, contract_a, org_a, action
):
    client.force_login(editor)
    data = {
        "title": "Salon régional",
        "title_ar": "المعرض الجهوي",
        "responsible": org_a.pk,
        "due_date": "30/06/2024",
        "status": "scheduled",
        "action": action.pk,
    }
    assert (
        client.post(reverse("contracts:milestone_create", args=[contract_a.pk]), {**data, **REASON}).status_code == 302
    )
    milestone = Milestone.objects.get(title="Salon régional")
    assert (milestone.title_ar, milestone.action, milestone.due_date) == ("المعرض الجهوي", action, dt.date(2024, 6, 30))
    url = reverse("contracts:milestone_update", args=[milestone.pk])
    response = client.post(url, {**data, "status": "met", "expected_version": 1, **REASON})
    assert response.status_code == 400  # met without its date
    response = client.post(url, {**data, "status": "met", "date_met": "2024-06-20", "expected_version": 1, **REASON})
    assert response.status_code == 302
    delete = reverse("contracts:milestone_delete", args=[milestone.pk])
    assert client.post(delete, {"expected_version": 2, "change_reason": "Jalon abandonné"}).status_code == 302


# ---------------------------------------------------------------- the commitments grid


def grid(contract, party_versions):
    return reverse("contracts:commitment_grid", args=[contract.pk])


def test_the_grid_shows_parties_by_years_with_versions(client, editor, contract_a, party_a, commitment_a):
    client.force_login(editor)
    response = client.get(grid(contract_a, None))
    rows = response.context["rows"]
    assert [c["year"] for c in rows[0]["cells"]] == [2021, 2022, 2023, 2024, 2025]
    assert len(rows) == contract_a.parties.count()
    cell = next(c for r in rows if r["party"] == party_a for c in r["cells"] if c["year"] == 2022)
    assert cell["value"] == "1 000 000,00" and cell["version"] == 1


def test_the_grid_saves_every_cell_at_once(client, editor, contract_a, party_a, ministry, commitment_a, lonely):
    client.force_login(editor)
    signatory = contract_a.parties.get(organisation=ministry)
    data = {
        f"c-{party_a.pk}-2022": "1 200 000,50",  # changed
        f"v-{party_a.pk}-2022": "1",
        f"c-{party_a.pk}-2023": "300000",  # created
        f"v-{party_a.pk}-2023": "",
        f"c-{party_a.pk}-2025": "",  # deleted (nothing depends on it)
        f"v-{party_a.pk}-2025": str(lonely.version),
        f"c-{signatory.pk}-2024": "\u202f75\u00a0000",
        f"v-{signatory.pk}-2024": "",
        "change_reason": "Convention de financement",
    }
    response = client.post(grid(contract_a, None), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    amounts = dict(
        Commitment.objects.filter(party__contract=contract_a)
        .values_list("party_id", "year")
        .annotate()
        .values_list("year", "amount")
    )
    assert amounts == {2022: D("1200000.50"), 2023: D("300000"), 2024: D("75000")}
    commitment_a.refresh_from_db()
    assert commitment_a.version == 2
    assert commitment_a.history.latest("history_id").history_change_reason == "Convention de financement"


def plain(text):
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture
def lonely(party_a):
    return Commitment.objects.create(party=party_a, year=2025, amount=D("1000"))


def test_a_stale_cell_refuses_the_whole_grid(client, editor, contract_a, party_a, commitment_a):
    client.force_login(editor)
    Commitment.objects.filter(pk=commitment_a.pk).update(amount=D("900000"), version=2)
    data = {
        f"c-{party_a.pk}-2022": "1 100 000",
        f"v-{party_a.pk}-2022": "1",
        f"c-{party_a.pk}-2023": "5000",
        f"v-{party_a.pk}-2023": "",
        "change_reason": "Convention de financement",
    }
    response = client.post(grid(contract_a, None), data)
    assert response.status_code == 409
    [row] = response.context["conflict"]
    assert (plain(row["stored"]), plain(row["typed"]), row["differs"]) == ("900 000", "1 100 000", True)
    assert Commitment.objects.filter(party__contract=contract_a).count() == 1  # nothing saved
    cell = next(c for r in response.context["rows"] if r["party"] == party_a for c in r["cells"] if c["year"] == 2022)
    assert (cell["value"], cell["version"]) == ("1 100 000", 2)  # typed kept, version current
    data[f"v-{party_a.pk}-2022"] = "2"
    assert client.post(grid(contract_a, None), data).status_code == 302


def test_the_grid_refuses_unreadable_amounts_with_a_message(client, editor, contract_a, party_a, commitment_a):
    client.force_login(editor)
    data = {f"c-{party_a.pk}-2023": "12,34,5", f"v-{party_a.pk}-2023": "", "change_reason": "Saisie des montants"}
    response = client.post(grid(contract_a, None), data)
    assert response.status_code == 400
    cell = next(c for r in response.context["rows"] if r["party"] == party_a for c in r["cells"] if c["year"] == 2023)
    assert "illisible" in cell["error"] and cell["value"] == "12,34,5"
    assert not Commitment.objects.filter(year=2023).exists()


def test_emptying_a_cell_with_disbursements_is_refused(client, editor, contract_a, party_a, disbursement_a):
    client.force_login(editor)
    data = {f"c-{party_a.pk}-2022": "", f"v-{party_a.pk}-2022": "1", "change_reason": "Engagement retiré"}
    response = client.post(grid(contract_a, None), data)
    assert response.status_code == 400
    assert "décaissements" in " ".join(response.context["form"].non_field_errors())
    assert Commitment.objects.filter(party=party_a, year=2022).exists()


def test_lowering_a_cell_below_what_was_paid_is_refused_and_nothing_saved(
    client, editor, contract_a, party_a, disbursement_a
):
    client.force_login(editor)
    data = {
        f"c-{party_a.pk}-2022": "100 000",
        f"v-{party_a.pk}-2022": "1",
        f"c-{party_a.pk}-2023": "5000",
        f"v-{party_a.pk}-2023": "",
        "change_reason": "Engagement réduit",
    }
    assert client.post(grid(contract_a, None), data).status_code == 400
    assert not Commitment.objects.filter(year=2023).exists()


# ---------------------------------------------------------------- amendments: summary, deletion


def test_an_amendment_that_changed_nothing_is_corrected_and_deleted_with_a_reason(client, editor, amendment_a):
    client.force_login(editor)
    url = reverse("contracts:amendment_update", args=[amendment_a.pk])
    data = {
        "number": 1,
        "date": "2023-01-15",
        "reason": "Report",
        "summary": "Dates corrigées",
        "changes_dates": "on",
        "expected_version": 1,
        "change_reason": "Coquille",
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 409  # the version read is now stale
    delete = reverse("contracts:amendment_delete", args=[amendment_a.pk])
    assert client.post(delete, {"expected_version": 2, "change_reason": "x"}).status_code == 400  # reason too short
    assert client.post(delete, {"expected_version": 2, "change_reason": "Saisi par erreur"}).status_code == 302
    assert not Amendment.objects.filter(pk=amendment_a.pk).exists()


@pytest.mark.parametrize("version", ["²", "9" * 5000, "-1", "1.0"])
def test_a_forged_cell_version_is_no_server_error(client, editor, contract_a, party_a, commitment_a, version):
    client.force_login(editor)
    data = {
        f"c-{party_a.pk}-2022": "1 100 000",
        f"v-{party_a.pk}-2022": version,
        "change_reason": "Convention de financement",
    }
    response = client.post(grid(contract_a, None), data)
    assert response.status_code == 409  # read as "no commitment seen": stale, nothing saved
    assert Commitment.objects.get(pk=commitment_a.pk).amount == D("1000000")
