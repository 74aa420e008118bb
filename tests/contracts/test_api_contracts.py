"""Contracts and what hangs from them, through the API: who reads what (a partner only
its organisation's contracts), who writes what, versions, rules → 400/409."""

import datetime as dt
from csv import DictReader, Sniffer
from decimal import Decimal as D
from io import StringIO

import pytest

from contracts.models import AmendedCommitment, Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from tests.api_fixtures import last_history

V = "/api/v1/"

# resource → (fixture of A's row, fixture of B's row, model, versioned, a valid change)
RESOURCES = {
    "contracts": ("contract_a", "contract_b", ContratProgramme, True, {"title": "Nouveau titre"}),
    "parties": ("party_a", "party_b", Party, True, {"signer_name": "M. Alaoui"}),
    "commitments": ("commitment_a", "commitment_b", Commitment, True, {"note": "Révisé"}),
    "disbursements": ("disbursement_a", "disbursement_b", Disbursement, True, {"reference": "OV-42"}),
    "milestones": ("milestone_a", "milestone_b", Milestone, True, {"note": "En cours"}),
    "amendments": ("amendment_a", "amendment_b", Amendment, True, {"summary": "Dates et montants"}),
}


def headers(obj, versioned):
    return {"HTTP_IF_MATCH": f'"{obj.version}"'} if versioned else {}


@pytest.mark.parametrize("name", RESOURCES)
def test_partner_sees_only_its_organisations_contract_rows(name, request, world, as_partner_a):
    mine, theirs, model, _, _ = RESOURCES[name]
    a, b = request.getfixturevalue(mine), request.getfixturevalue(theirs)
    ids = {r["id"] for r in as_partner_a.get(f"{V}{name}/", {"page_size": 200}).json()["results"]}
    assert a.pk in ids and b.pk not in ids
    assert as_partner_a.get(f"{V}{name}/{a.pk}/").status_code == 200
    assert as_partner_a.get(f"{V}{name}/{b.pk}/").status_code == 404
    versioned = RESOURCES[name][3]
    change = RESOURCES[name][4]
    # A partner may update milestones (so an invisible one is 404); it may not write the
    # rest at all (403 whatever the row, which tells nothing about B's rows either).
    patch_code = 404 if name == "milestones" else 403
    assert as_partner_a.patch(f"{V}{name}/{b.pk}/", change, **headers(b, versioned)).status_code == patch_code
    assert as_partner_a.delete(f"{V}{name}/{b.pk}/", **headers(b, versioned)).status_code == 403
    assert model.objects.filter(pk=b.pk).exists()


@pytest.mark.parametrize(
    ("name", "client"),
    [
        (name, client)
        for name in RESOURCES
        for client in ("as_viewer", "as_partner_a")
        # A partner does update the milestones its organisation is responsible for:
        # tested on its own below.
        if not (name == "milestones" and client == "as_partner_a")
    ],
)
def test_viewer_and_partner_cannot_change_or_delete(name, client, request, world):
    mine, _, model, versioned, change = RESOURCES[name]
    a = request.getfixturevalue(mine)
    api_client = request.getfixturevalue(client)
    before = model.objects.filter(pk=a.pk).values().get()
    assert api_client.patch(f"{V}{name}/{a.pk}/", change, **headers(a, versioned)).status_code == 403
    assert api_client.delete(f"{V}{name}/{a.pk}/", **headers(a, versioned)).status_code == 403
    assert model.objects.filter(pk=a.pk).values().get() == before


@pytest.mark.parametrize("name", RESOURCES)
def test_editor_changes_with_history(name, request, world, as_editor, editor):
    mine, _, model, versioned, change = RESOURCES[name]
    a = request.getfixturevalue(mine)
    if versioned:
        assert as_editor.patch(f"{V}{name}/{a.pk}/", change).status_code == 428
        stale = {**change, "change_reason": "Avenant n° 2"}
        assert as_editor.patch(f"{V}{name}/{a.pk}/", stale, format="json", HTTP_IF_MATCH='"99"').status_code == 412
        # With the version read but without a reason: 400 naming it.
        refused = as_editor.patch(f"{V}{name}/{a.pk}/", change, format="json", **headers(a, versioned))
        assert refused.status_code == 400 and "change_reason" in refused.json()["details"]
    response = as_editor.patch(
        f"{V}{name}/{a.pk}/", {**change, "change_reason": "Avenant n° 2"}, format="json", **headers(a, versioned)
    )
    assert response.status_code == 200, response.content
    fresh = model.objects.get(pk=a.pk)
    field, value = next(iter(change.items()))
    assert getattr(fresh, field) == value
    h = last_history(fresh)
    assert (h.history_user, h.history_change_reason) == (editor, "Avenant n° 2")
    if versioned:
        assert fresh.version == a.version + 1
        assert response["ETag"] == f'"{fresh.version}"'


def test_editor_creates_a_contract_with_axes(as_editor, phases, axis, indicator):
    payload = {
        "reference": "CP-NEW",
        "title": "Nouveau",
        "kind": "transversal",
        "phase": phases[1].pk,
        "axes": [axis.pk],
        "indicators": [indicator.pk],
        "start_date": "2023-01-01",
        "end_date": "2025-12-31",
        "status": "draft",
        "change_reason": "Contrat signé le 12/01/2023",
    }
    response = as_editor.post(f"{V}contracts/", payload, format="json")
    assert response.status_code == 201, response.content
    contract = ContratProgramme.objects.get(reference="CP-NEW")
    assert list(contract.axes.all()) == [axis]
    assert response.json()["execution_rate"] is None


def test_contract_rules_answer_400_with_the_field(as_editor, phases, filiere):
    payload = {
        "reference": "CP-X",
        "title": "x",
        "kind": "filiere",
        "phase": phases[1].pk,
        "start_date": "2023-01-01",
        "end_date": "2022-12-31",
        "status": "draft",
        "change_reason": "Nouveau contrat",
    }
    response = as_editor.post(f"{V}contracts/", payload, format="json")
    assert response.status_code == 400
    assert {"end_date", "filiere"} <= set(response.json()["details"])
    assert not ContratProgramme.objects.filter(reference="CP-X").exists()


def test_disbursement_beyond_the_commitment_is_refused(as_editor, commitment_a, disbursement_a):
    response = as_editor.post(
        f"{V}disbursements/",
        {"commitment": commitment_a.pk, "date": "2022-06-01", "amount": "800000.00", "change_reason": "Paiement"},
        format="json",
    )
    assert response.status_code == 400
    assert "amount" in response.json()["details"]
    assert Disbursement.objects.count() == 1
    response = as_editor.post(
        f"{V}disbursements/",
        {"commitment": commitment_a.pk, "date": "2022-06-01", "amount": "100000.00", "change_reason": "Paiement"},
        format="json",
    )
    assert response.status_code == 201
    contract = as_editor.get(f"{V}contracts/{commitment_a.party.contract_id}/").json()
    assert (contract["committed"], contract["disbursed"], contract["execution_rate"]) == (
        "1000000.00",
        "350000.00",
        "35.00",
    )


def test_deleting_a_commitment_with_disbursements_is_409(as_editor, commitment_a, disbursement_a):
    response = as_editor.delete(f"{V}commitments/{commitment_a.pk}/?change_reason=Doublon", HTTP_IF_MATCH='"1"')
    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert Commitment.objects.filter(pk=commitment_a.pk).exists()


def test_editor_deletes_a_disbursement_with_if_match(as_editor, editor, disbursement_a):
    assert as_editor.delete(f"{V}disbursements/{disbursement_a.pk}/").status_code == 428
    url = f"{V}disbursements/{disbursement_a.pk}/"
    assert as_editor.delete(url, HTTP_IF_MATCH='"1"').status_code == 400  # no reason
    assert as_editor.delete(f"{url}?change_reason=Doublon", HTTP_IF_MATCH='"1"').status_code == 204
    assert not Disbursement.objects.exists()
    assert Disbursement.history.filter(id=disbursement_a.pk, history_type="-").get().history_user == editor


def test_duplicate_party_role_is_refused(as_editor, party_a):
    payload = {
        "contract": party_a.contract_id,
        "organisation": party_a.organisation_id,
        "role": party_a.role,
        "change_reason": "Nouvelle partie",
    }
    response = as_editor.post(f"{V}parties/", payload, format="json")
    assert response.status_code == 400
    assert Party.objects.filter(contract=party_a.contract).count() == 2


def test_amendment_must_change_something(as_editor, contract_a):
    payload = {
        "contract": contract_a.pk,
        "number": 5,
        "date": "2023-03-01",
        "reason": "r",
        "summary": "s",
        "change_reason": "Avenant n° 5",
    }
    response = as_editor.post(f"{V}amendments/", payload, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["details"]


# ---------------------------------------------------------------- milestones and partners


def test_partner_updates_the_milestones_it_is_responsible_for(as_partner_a, partner_a, milestone_a):
    response = as_partner_a.patch(
        f"{V}milestones/{milestone_a.pk}/",
        {"status": "met", "date_met": "2023-06-15", "change_reason": "Plateforme livrée"},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["late"] is False
    milestone_a.refresh_from_db()
    assert (milestone_a.status, milestone_a.date_met, milestone_a.version) == ("met", dt.date(2023, 6, 15), 2)
    assert last_history(milestone_a).history_user == partner_a


def test_partner_cannot_change_a_milestones_title_or_responsible(as_partner_a, milestone_a, org_b):
    for change in ({"title": "Autre"}, {"responsible": org_b.pk}, {"due_date": "2030-01-01"}):
        change["change_reason"] = "Mise à jour"
        assert as_partner_a.patch(f"{V}milestones/{milestone_a.pk}/", change, HTTP_IF_MATCH='"1"').status_code == 403
    milestone_a.refresh_from_db()
    assert (milestone_a.title, milestone_a.version) == ("Plateforme de formation", 1)


def test_partner_cannot_update_a_visible_milestone_of_another_organisation(as_partner_a, contract_a, org_b):
    other = Milestone.objects.create(
        contract=contract_a, title="Étude", responsible=org_b, due_date=dt.date(2024, 1, 1)
    )
    assert as_partner_a.get(f"{V}milestones/{other.pk}/").status_code == 200
    change = {"note": "x", "change_reason": "Mise à jour"}
    assert as_partner_a.patch(f"{V}milestones/{other.pk}/", change, HTTP_IF_MATCH='"1"').status_code == 403


def test_partner_cannot_create_or_delete_milestones(as_partner_a, contract_a, org_a, milestone_a):
    payload = {"contract": contract_a.pk, "title": "x", "responsible": org_a.pk, "due_date": "2024-01-01"}
    assert as_partner_a.post(f"{V}milestones/", payload).status_code == 403
    assert as_partner_a.delete(f"{V}milestones/{milestone_a.pk}/", HTTP_IF_MATCH='"1"').status_code == 403
    assert Milestone.objects.count() == 1


def test_milestone_late_flag_follows_as_of(as_viewer, milestone_a):
    assert as_viewer.get(f"{V}milestones/{milestone_a.pk}/", {"as_of": "2023-01-01"}).json()["late"] is False
    assert as_viewer.get(f"{V}milestones/{milestone_a.pk}/", {"as_of": "2023-07-01"}).json()["late"] is True
    assert [m["id"] for m in as_viewer.get(f"{V}milestones/", {"late": "true"}).json()["results"]] == [milestone_a.pk]


@pytest.mark.parametrize("name", ["contracts", "parties", "commitments", "disbursements", "milestones", "amendments"])
def test_viewer_and_partner_cannot_create(name, world, as_viewer, as_partner_a, contract_a):
    for client in (as_viewer, as_partner_a):
        assert client.post(f"{V}{name}/", {"contract": contract_a.pk}, format="json").status_code == 403


def test_contract_figures_as_of(as_viewer, contract_a, disbursement_a):
    early = as_viewer.get(f"{V}contracts/{contract_a.pk}/", {"as_of": "2022-01-01"}).json()
    late = as_viewer.get(f"{V}contracts/{contract_a.pk}/", {"as_of": "2022-12-31"}).json()
    assert (early["disbursed"], late["disbursed"], late["execution_rate"]) == (None, "250000.00", "25.00")
    party = as_viewer.get(f"{V}parties/", {"contract": contract_a.pk, "role": "implementer"}).json()["results"][0]
    assert party["execution_rate"] == "25.00"


def test_commitment_amount_is_a_decimal_string(as_viewer, commitment_a):
    assert as_viewer.get(f"{V}commitments/{commitment_a.pk}/").json()["amount"] == "1000000.00"
    assert D(as_viewer.get(f"{V}commitments/{commitment_a.pk}/").json()["amount"]) == commitment_a.amount


# ── as of a date: signing, amendments, met late, time elapsed (issue 13) ─────────────


def test_contract_figures_before_the_signing_and_the_elapsed_share(as_viewer, contract_a, disbursement_a):
    """CP-A runs 26/07/2021 → 31/12/2025 (1 619 days), signed 26/07/2021, 1 000 000
    committed for 2022, 250 000 paid on 01/03/2022."""
    before = as_viewer.get(f"{V}contracts/{contract_a.pk}/", {"as_of": "2019-06-30"}).json()
    assert (before["committed"], before["disbursed"], before["execution_rate"], before["time_elapsed"]) == (
        "0.00",
        None,
        None,
        "0.00",
    )
    # 31/12/2022: 523 of 1 619 days = 32.30 %, beside 250 000 ÷ 1 000 000 = 25.00 %.
    after = as_viewer.get(f"{V}contracts/{contract_a.pk}/", {"as_of": "2022-12-31"}).json()
    assert (after["committed"], after["execution_rate"], after["time_elapsed"]) == ("1000000.00", "25.00", "32.30")
    listed = as_viewer.get(f"{V}contracts/", {"as_of": "2022-12-31", "reference": "CP-A"}).json()["results"]
    assert [(c["execution_rate"], c["time_elapsed"]) for c in listed] == [("25.00", "32.30")]
    csv = as_viewer.get(f"{V}contracts/", {"as_of": "2022-12-31", "reference": "CP-A", "format": "csv"})
    text = csv.content.decode("utf-8-sig")
    [columns] = list(DictReader(StringIO(text), dialect=Sniffer().sniff(text.splitlines()[0], delimiters=",;")))
    assert (columns["execution_rate_pct"], columns["time_elapsed_pct"]) == ("25.00", "32.30")


@pytest.fixture
def amended_a(contract_a, commitment_a):
    """Avenant n° 1 of 01/02/2023 raises FCA's 2022 commitment from 1 000 000 to 1 200 000."""
    amendment = Amendment.objects.create(
        contract=contract_a, number=1, date=dt.date(2023, 2, 1), reason="Extension", changes_amounts=True, summary="+"
    )
    AmendedCommitment.objects.create(amendment=amendment, commitment=commitment_a, new_amount=D("1200000"))
    return amendment


def test_amendment_lists_its_changed_commitments_read_only(as_viewer, as_editor, amended_a, commitment_a, contract_a):
    day_before = as_viewer.get(f"{V}amendments/{amended_a.pk}/", {"as_of": "2023-01-31"}).json()
    assert day_before["in_force"] is False
    assert day_before["amended_commitments"] == [
        {
            "id": amended_a.amended_commitments.get().pk,
            "commitment": commitment_a.pk,
            "organisation_acronym": "FCA",
            "year": 2022,
            "amount": "1000000.00",
            "old_amount": None,  # recorded before the old amounts were kept
            "new_amount": "1200000.00",
        }
    ]
    assert as_viewer.get(f"{V}amendments/{amended_a.pk}/", {"as_of": "2023-02-01"}).json()["in_force"] is True
    committed = [
        as_viewer.get(f"{V}contracts/{contract_a.pk}/", {"as_of": day}).json()["committed"]
        for day in ("2023-01-31", "2023-02-01")
    ]
    assert committed == ["1000000.00", "1200000.00"]
    # Read-only here (an applied amendment keeps its changes): a PATCH leaves them.
    response = as_editor.patch(
        f"{V}amendments/{amended_a.pk}/",
        {
            "summary": "Montants",
            "amended_commitments": [{"commitment": commitment_a.pk, "new_amount": "5"}],
            "change_reason": "Résumé corrigé",
        },
        format="json",
        HTTP_IF_MATCH=f'"{amended_a.version}"',
    )
    assert response.status_code == 200, response.json()
    assert list(AmendedCommitment.objects.values_list("new_amount", flat=True)) == [D("1200000")]


def test_partner_b_does_not_see_a_amendments(as_partner_a, amended_a, org_b, phases, ministry):
    # B's contract and amendment: A's partner lists only A's.
    other = Amendment.objects.create(
        contract=ContratProgramme.objects.create(
            reference="CP-B2",
            title="B",
            kind="transversal",
            phase=phases[0],
            start_date=dt.date(2021, 1, 1),
            end_date=dt.date(2022, 12, 31),
        ),
        number=1,
        date=dt.date(2022, 1, 1),
        reason="Valeur à revoir",
        changes_dates=True,
        summary="x",
    )
    ids = [a["id"] for a in as_partner_a.get(f"{V}amendments/").json()["results"]]
    assert ids == [amended_a.pk] and other.pk not in ids


def test_milestone_met_late_and_days_late(as_viewer, milestone_a):
    """Due 30/06/2023, met 10/07/2023: 5 days late on 05/07/2023, met 10 days late after."""
    Milestone.objects.filter(pk=milestone_a.pk).update(status="met", date_met=dt.date(2023, 7, 10))
    url = f"{V}milestones/{milestone_a.pk}/"
    during = as_viewer.get(url, {"as_of": "2023-07-05"}).json()
    assert (during["late"], during["met_late"], during["days_late"]) == (True, False, 5)
    after = as_viewer.get(url, {"as_of": "2023-12-31"}).json()
    assert (after["late"], after["met_late"], after["days_late"]) == (False, True, 10)
    on_time = as_viewer.get(url, {"as_of": "2023-06-30"}).json()
    assert (on_time["late"], on_time["met_late"], on_time["days_late"]) == (False, False, None)
