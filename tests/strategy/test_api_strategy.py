"""Strategy structure and targets through the API: read by every role with their
figures, written by editors only (through services, with history and versions)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from strategy.models import Target
from tests.api_fixtures import last_history

V = "/api/v1/"
READ_ONLY = [
    "strategies",
    "phases",
    "axes",
    "regions",
    "filieres",
    "organisations",
]


@pytest.mark.parametrize("name", READ_ONLY)
@pytest.mark.parametrize("client", ["as_admin", "as_editor", "as_viewer", "as_partner_a"])
def test_structure_is_read_only_through_the_api(name, client, request, world):
    api_client = request.getfixturevalue(client)
    first = api_client.get(f"{V}{name}/").json()["results"][0]
    assert api_client.get(f"{V}{name}/{first['id']}/").status_code == 200
    # Read-only resources (managed in Django admin): the methods do not exist. Programmes
    # and actions are written through the API (tests/strategy/test_actions.py).
    assert api_client.post(f"{V}{name}/", {}, format="json").status_code == 405
    assert api_client.patch(f"{V}{name}/{first['id']}/", {}, format="json").status_code == 405
    assert api_client.delete(f"{V}{name}/{first['id']}/").status_code == 405


def test_indicator_carries_its_figures(
    world, as_viewer, indicator, target, validator, make_measurement, org_a, partner_a
):
    make_measurement(indicator, org_a, partner_a, year=2021, value="100", status="validated", validator=validator)
    data = as_viewer.get(f"{V}indicators/{indicator.pk}/", {"as_of": "2022-12-31"}).json()
    assert data["achieved"] == "100.0000"
    assert data["target_value"] == "1000.0000"
    assert data["progress"] == "10.00"
    assert data["status"] in {"on_track", "at_risk", "off_track"}
    assert data["reporting_organisation_acronyms"] == ["FCA"]
    assert data["as_of"] == "2022-12-31"


def test_indicators_my_organisation_reports(world, as_partner_a):
    rows = as_partner_a.get(f"{V}indicators/", {"reporting_organisation_acronym": "FCA"}).json()["results"]
    assert [r["code"] for r in rows] == ["IND-FORM"]


def test_axes_programmes_and_phases_roll_up(
    world, as_viewer, indicator, target, make_measurement, org_a, partner_a, validator
):
    make_measurement(indicator, org_a, partner_a, year=2021, value="500", status="validated", validator=validator)
    axis = as_viewer.get(f"{V}axes/", {"as_of": "2030-12-31"}).json()["results"][0]
    assert axis["rollup"]["progress"] == "50.00"
    assert axis["rollup"]["with_data"] == 1
    programme = as_viewer.get(f"{V}programmes/", {"as_of": "2030-12-31"}).json()["results"][0]
    assert programme["rollup"]["progress"] == "50.00"
    phases = as_viewer.get(f"{V}phases/").json()["results"]
    assert [p["code"] for p in phases] == ["relance", "transformation", "acceleration"]
    assert phases[2]["rollup"]["progress"] == "50.00"  # the 2030 target is due at the end of Accélération


def test_dashboard(world, as_partner_a, as_viewer):
    data = as_viewer.get(f"{V}dashboard/", {"as_of": "2024-01-01"}).json()
    assert data["as_of"] == "2024-01-01"
    assert data["current_phase"] == "transformation"
    assert {c["reference"] for c in data["contracts"]} == {"CP-A", "CP-B"}
    assert data["waiting_validation"] == 1
    assert data["late_milestones"] == 2
    for axis in data["axes"]:  # the roll-up carries every count the figures define
        rollup = axis["rollup"]
        assert set(rollup) >= {"progress", "status", "with_data", "without_data", "without_target"}
    partner = as_partner_a.get(f"{V}dashboard/", {"as_of": "2024-01-01"}).json()
    assert {c["reference"] for c in partner["contracts"]} == {"CP-A"}
    assert partner["late_milestones"] == 1
    assert as_viewer.get(f"{V}dashboard/", {"as_of": "hier"}).status_code == 400


# ---------------------------------------------------------------- targets


def payload(indicator, **extra):
    return {
        "indicator": indicator.pk,
        "due_date": "2025-12-31",
        "value": "400",
        "change_reason": "Cible du contrat",
        **extra,
    }


@pytest.mark.parametrize("client", ["as_editor", "as_validator", "as_admin"])
def test_ministry_editors_write_targets(client, request, indicator):
    api_client = request.getfixturevalue(client)
    response = api_client.post(f"{V}targets/", payload(indicator, change_reason="Contrat programme"), format="json")
    assert response.status_code == 201, response.content
    target = Target.objects.get(pk=response.json()["id"])
    assert last_history(target).history_change_reason == "Contrat programme"
    response = api_client.patch(
        f"{V}targets/{target.pk}/", {"value": "450", "change_reason": "Révision"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    target.refresh_from_db()
    assert (target.value, target.version) == (D("450"), 2)
    url = f"{V}targets/{target.pk}/?change_reason=Cible%20abandonn%C3%A9e"
    assert api_client.delete(url, HTTP_IF_MATCH='"1"').status_code == 412
    assert api_client.delete(url, HTTP_IF_MATCH='"2"').status_code == 204
    assert last_history(target).history_change_reason == "Cible abandonnée"
    assert not Target.objects.filter(pk=target.pk).exists()


@pytest.mark.parametrize("client", ["as_viewer", "as_partner_a"])
def test_others_cannot_write_targets(client, request, indicator, target):
    api_client = request.getfixturevalue(client)
    assert api_client.get(f"{V}targets/{target.pk}/").status_code == 200
    assert api_client.post(f"{V}targets/", payload(indicator), format="json").status_code == 403
    assert api_client.patch(f"{V}targets/{target.pk}/", {"value": "1"}, HTTP_IF_MATCH='"1"').status_code == 403
    assert api_client.delete(f"{V}targets/{target.pk}/", HTTP_IF_MATCH='"1"').status_code == 403
    target.refresh_from_db()
    assert (target.value, target.version) == (D("1000"), 1)


def test_target_rules(as_editor, indicator, target):
    response = as_editor.post(f"{V}targets/", payload(indicator, due_date="2035-12-31"), format="json")
    assert response.status_code == 400 and "due_date" in response.json()["details"]
    response = as_editor.post(f"{V}targets/", payload(indicator, due_date="2030-12-31"), format="json")
    assert response.status_code == 400
    assert "Une cible existe déjà" in str(response.json()["details"])


def test_target_etag_and_stale_write(as_editor, target):
    response = as_editor.get(f"{V}targets/{target.pk}/")
    assert response["ETag"] == '"1"'
    as_editor.patch(f"{V}targets/{target.pk}/", {"value": "900", "change_reason": "Révision"}, HTTP_IF_MATCH='"1"')
    stale = as_editor.patch(
        f"{V}targets/{target.pk}/", {"value": "800", "change_reason": "Révision"}, HTTP_IF_MATCH='"1"'
    )
    assert stale.status_code == 412
    assert stale["ETag"] == '"2"'
    assert Target.objects.get(pk=target.pk).value == D("900")
    assert dt.date.fromisoformat(as_editor.get(f"{V}targets/{target.pk}/").json()["due_date"]) == dt.date(2030, 12, 31)
