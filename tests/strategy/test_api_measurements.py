"""Measurements through the API: who may create, read, change and delete what; the
workflow actions; optimistic concurrency; the figures that only validated values move."""

import datetime as dt
from decimal import Decimal as D

import pytest

from strategy.choices import MeasurementStatus as S
from strategy.models import Measurement
from tests.api_fixtures import etag, last_history

URL = "/api/v1/measurements/"


def detail(m, action=""):
    return f"{URL}{m.pk}/{action + '/' if action else ''}"


def body(indicator, **extra):
    return {"indicator": indicator.pk, "period_start": "2024-01-01", "period_end": "2024-12-31", "value": "42", **extra}


# ---------------------------------------------------------------- create


def test_partner_creates_a_draft_for_its_organisation(as_partner_a, indicator, partner_a, org_a):
    response = as_partner_a.post(URL, body(indicator, status="validated", change_reason="Relevé de janvier"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["organisation_acronym"], data["value"]) == ("draft", "FCA", "42.0000")
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(f"{URL}{data['id']}/")
    m = Measurement.objects.get(pk=data["id"])
    assert (m.status, m.organisation, m.reported_by) == (S.DRAFT, org_a, partner_a)
    h = last_history(m)
    assert (h.history_type, h.history_user, h.history_change_reason) == ("+", partner_a, "Relevé de janvier")


def test_partner_cannot_report_an_indicator_of_another_organisation(as_partner_a, indicator_b):
    response = as_partner_a.post(URL, body(indicator_b))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Measurement.objects.exists()


def test_partner_cannot_report_for_another_organisation(as_partner_a, indicator, org_b):
    response = as_partner_a.post(URL, body(indicator, organisation=org_b.pk))
    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_editor_must_name_the_organisation(as_editor, editor, indicator, org_a):
    response = as_editor.post(URL, body(indicator))
    assert response.status_code == 400
    assert "organisation" in response.json()["details"]
    response = as_editor.post(URL, body(indicator, organisation=org_a.pk))
    assert response.status_code == 201
    assert last_history(Measurement.objects.get()).history_user == editor


@pytest.mark.parametrize("client", ["as_viewer"])
def test_viewer_cannot_create(client, request, indicator, org_a):
    response = request.getfixturevalue(client).post(URL, body(indicator, organisation=org_a.pk))
    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_anonymous_cannot_create(api, indicator):
    assert api().post(URL, body(indicator)).status_code == 401


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"value": None}, "value"),
        ({"period_start": "2019-01-01"}, "period_start"),
        ({"period_end": "2023-01-01"}, "period_end"),
        ({"region": 999999}, "region"),
        ({"sex": "F"}, "sex"),
        ({"value": "1e400"}, "value"),
        ({"source": "a\x00b"}, "source"),
        ({"period_start": "2024-02-30"}, "period_start"),
    ],
)
def test_invalid_values_answer_400_with_the_field(as_partner_a, indicator, extra, field):
    response = as_partner_a.post(URL, body(indicator, **extra))
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] == "invalid" and field in data["details"], data
    assert not Measurement.objects.exists()


def test_a_second_value_for_the_same_period_is_refused_with_the_rule(as_partner_a, indicator):
    assert as_partner_a.post(URL, body(indicator)).status_code == 201
    response = as_partner_a.post(URL, body(indicator))
    assert response.status_code == 400
    assert "a déjà une valeur" in str(response.json()["details"])
    assert Measurement.objects.count() == 1


# ---------------------------------------------------------------- read


def test_partner_sees_its_own_values_and_validated_ones_only(world, as_partner_a):
    rows = as_partner_a.get(URL).json()["results"]
    seen = {(r["organisation_acronym"], r["status"]) for r in rows}
    assert seen == {("FCA", "draft"), ("FCA", "submitted"), ("MDA", "validated")}
    assert as_partner_a.get(URL, {"status": "draft", "organisation_acronym": "MDA"}).json()["results"] == []


def test_partner_cannot_read_change_or_delete_another_organisations_draft(world, as_partner_a, draft_b):
    assert as_partner_a.get(detail(draft_b)).status_code == 404
    assert (
        as_partner_a.patch(
            detail(draft_b), {"value": "1", "change_reason": "Coquille"}, HTTP_IF_MATCH='"1"'
        ).status_code
        == 404
    )
    assert as_partner_a.delete(detail(draft_b), HTTP_IF_MATCH='"1"').status_code == 404
    assert as_partner_a.post(detail(draft_b, "submit")).status_code == 404
    draft_b.refresh_from_db()
    assert (draft_b.value, draft_b.status, draft_b.version) == (D("10"), S.DRAFT, 1)


def test_detail_carries_the_etag(as_partner_a, draft_a):
    response = as_partner_a.get(detail(draft_a))
    assert response.status_code == 200
    assert etag(response) == f'"{draft_a.version}"'


def test_ministry_sees_every_measurement(world, as_viewer):
    assert len(as_viewer.get(URL).json()["results"]) == 4


YEAR_2024 = (
    "Cet indicateur est rapporté selon une périodicité annuelle : la période doit être exactement une "
    "période de cette périodicité, par exemple du 01/01/2024 au 31/12/2024 (2024)."
)


def test_create_refuses_a_quarter_on_a_yearly_indicator(as_partner_a, indicator):
    response = as_partner_a.post(URL, body(indicator, period_start="2024-04-01", period_end="2024-06-30"))
    assert response.status_code == 400
    assert response.json()["details"] == {"period_end": [YEAR_2024]}
    assert not Measurement.objects.exists()


def test_a_quarterly_indicator_takes_a_quarter_and_refuses_a_year(as_partner_a, indicator):
    indicator.frequency = "quarterly"
    indicator.save()
    response = as_partner_a.post(URL, body(indicator))
    assert response.status_code == 400
    assert "du 01/01/2024 au 31/03/2024 (T1 2024)" in response.json()["details"]["period_end"][0]
    response = as_partner_a.post(URL, body(indicator, period_start="2024-10-01", period_end="2024-12-31"))
    assert response.status_code == 201, response.content
    assert Measurement.objects.get().period_start == dt.date(2024, 10, 1)


# ---------------------------------------------------------------- change


def test_partner_fixes_its_draft_with_if_match(as_partner_a, draft_a, partner_a):
    response = as_partner_a.patch(
        detail(draft_a), {"value": "12.5", "change_reason": "Correction"}, HTTP_IF_MATCH=f'"{draft_a.version}"'
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"{draft_a.version + 1}"'
    draft_a.refresh_from_db()
    assert (draft_a.value, draft_a.version) == (D("12.5"), 2)
    h = last_history(draft_a)
    assert (h.history_user, h.history_change_reason, h.value) == (partner_a, "Correction", D("12.5"))


def test_patch_refuses_a_period_that_is_not_one_year(as_partner_a, draft_a):
    response = as_partner_a.patch(
        detail(draft_a),
        {"period_start": "2023-07-01", "period_end": "2023-12-31", "change_reason": "Coquille"},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["period_end"]
    assert "du 01/01/2023 au 31/12/2023 (2023)" in response.json()["details"]["period_end"][0]
    draft_a.refresh_from_db()
    assert (draft_a.period_start, draft_a.period_end, draft_a.version) == (
        dt.date(2023, 1, 1),
        dt.date(2023, 12, 31),
        1,
    )


def test_change_without_if_match_is_428_and_stale_is_412(as_partner_a, draft_a):
    response = as_partner_a.patch(detail(draft_a), {"value": "1", "change_reason": "Coquille"})
    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"
    response = as_partner_a.patch(detail(draft_a), {"value": "1", "change_reason": "Coquille"}, HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    assert response.json()["current_version"] == 1
    response = as_partner_a.put(detail(draft_a), {"value": "1", "change_reason": "Coquille"}, HTTP_IF_MATCH="garbage")
    assert response.status_code == 400
    assert "If-Match" in response.json()["details"]
    draft_a.refresh_from_db()
    assert (draft_a.value, draft_a.version) == (D("10"), 1)


def test_partner_cannot_change_the_status_nor_the_organisation(as_partner_a, draft_a, org_b):
    response = as_partner_a.patch(
        detail(draft_a), {"status": "validated", "change_reason": "Coquille"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert Measurement.objects.get(pk=draft_a.pk).status == S.DRAFT
    response = as_partner_a.patch(
        detail(draft_a), {"organisation": org_b.pk, "change_reason": "Coquille"}, HTTP_IF_MATCH='"2"'
    )
    assert response.status_code == 403
    assert Measurement.objects.get(pk=draft_a.pk).organisation.acronym == "FCA"


def test_partner_cannot_change_another_organisations_validated_value(world, as_partner_a, validated_b):
    response = as_partner_a.patch(
        detail(validated_b), {"value": "1", "change_reason": "Coquille"}, HTTP_IF_MATCH=f'"{validated_b.version}"'
    )
    assert response.status_code == 403
    assert Measurement.objects.get(pk=validated_b.pk).value == D("50")


def test_a_submitted_value_is_locked_409(as_partner_a, submitted_a):
    response = as_partner_a.patch(
        detail(submitted_a), {"value": "1", "change_reason": "Coquille"}, HTTP_IF_MATCH=f'"{submitted_a.version}"'
    )
    assert response.status_code == 409
    assert response.json()["current_status"] == "submitted"


def test_viewer_cannot_change(as_viewer, draft_a):
    assert (
        as_viewer.patch(detail(draft_a), {"value": "1", "change_reason": "Coquille"}, HTTP_IF_MATCH='"1"').status_code
        == 403
    )


def test_editor_changes_a_partners_draft(as_editor, editor, draft_a):
    response = as_editor.put(
        detail(draft_a),
        {
            **body(draft_a.indicator),
            "period_start": "2023-01-01",
            "period_end": "2023-12-31",
            "organisation": draft_a.organisation_id,
            "change_reason": "Reprise du ministère",
        },
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert last_history(Measurement.objects.get(pk=draft_a.pk)).history_user == editor


# ---------------------------------------------------------------- delete


def test_partner_deletes_its_draft(as_partner_a, draft_a, partner_a):
    assert as_partner_a.delete(detail(draft_a)).status_code == 428
    assert as_partner_a.delete(detail(draft_a), HTTP_IF_MATCH='"1"').status_code == 400  # no reason
    url = f"{detail(draft_a)}?change_reason=Saisie%20en%20double"
    assert as_partner_a.delete(url, HTTP_IF_MATCH='"9"').status_code == 412
    assert as_partner_a.delete(url, HTTP_IF_MATCH='"1"').status_code == 204
    assert not Measurement.objects.filter(pk=draft_a.pk).exists()
    h = Measurement.history.filter(id=draft_a.pk).order_by("-history_id").first()
    assert (h.history_type, h.history_user, h.history_change_reason) == ("-", partner_a, "Saisie en double")


def test_submitted_values_cannot_be_deleted(as_partner_a, as_editor, submitted_a):
    for client in (as_partner_a, as_editor):
        url = f"{detail(submitted_a)}?change_reason=Doublon"
        response = client.delete(url, HTTP_IF_MATCH=f'"{submitted_a.version}"')
        assert response.status_code == 409
    assert Measurement.objects.filter(pk=submitted_a.pk).exists()


def test_viewer_cannot_delete(as_viewer, draft_a):
    assert as_viewer.delete(detail(draft_a), HTTP_IF_MATCH='"1"').status_code == 403
    assert Measurement.objects.filter(pk=draft_a.pk).exists()


# ---------------------------------------------------------------- workflow


def _set(m, status):
    Measurement.objects.filter(pk=m.pk).update(status=status, status_reason="motif")


@pytest.mark.parametrize(
    ("status", "move", "client", "after"),
    [
        (S.DRAFT, "submit", "as_partner_a", S.SUBMITTED),
        (S.RETURNED, "submit", "as_partner_a", S.SUBMITTED),
        (S.DRAFT, "submit", "as_editor", S.SUBMITTED),
        (S.SUBMITTED, "validate", "as_validator", S.VALIDATED),
        (S.SUBMITTED, "validate", "as_admin", S.VALIDATED),
        (S.SUBMITTED, "return", "as_validator", S.RETURNED),
        (S.VALIDATED, "reopen", "as_validator", S.RETURNED),
    ],
)
def test_legal_moves(draft_a, request, status, move, client, after):
    _set(draft_a, status)
    user_client = request.getfixturevalue(client)
    response = user_client.post(detail(draft_a, move), {"reason": "Motif écrit", "comment": "ok"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == after
    draft_a.refresh_from_db()
    assert draft_a.status == after
    h = last_history(draft_a)
    assert h.status == after
    assert (
        h.history_user.username
        == {"as_partner_a": "partner_a", "as_editor": "editor", "as_validator": "validator", "as_admin": "admin"}[
            client
        ]
    )
    if move in ("return", "reopen"):
        assert (draft_a.status_reason, h.history_change_reason) == ("Motif écrit", "Motif écrit")


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (S.DRAFT, "validate"),
        (S.DRAFT, "return"),
        (S.DRAFT, "reopen"),
        (S.SUBMITTED, "submit"),
        (S.SUBMITTED, "reopen"),
        (S.VALIDATED, "submit"),
        (S.VALIDATED, "validate"),
        (S.VALIDATED, "return"),
        (S.RETURNED, "validate"),
        (S.RETURNED, "return"),
        (S.RETURNED, "reopen"),
    ],
)
def test_illegal_moves_are_409_with_the_current_state(draft_a, as_validator, status, move):
    _set(draft_a, status)
    response = as_validator.post(detail(draft_a, move), {"reason": "Valeur à revoir"})
    assert response.status_code == 409
    data = response.json()
    assert (data["code"], data["current_status"]) == ("transition_not_allowed", status)
    draft_a.refresh_from_db()
    assert draft_a.status == status


@pytest.mark.parametrize("move", ["return", "reopen"])
def test_return_and_reopen_need_a_reason(draft_a, as_validator, move):
    _set(draft_a, S.SUBMITTED if move == "return" else S.VALIDATED)
    for payload in ({}, {"reason": ""}, {"reason": "   "}):
        response = as_validator.post(detail(draft_a, move), payload)
        assert response.status_code == 400
        assert "reason" in response.json()["details"]


@pytest.mark.parametrize(
    ("move", "client"),
    [
        ("validate", "as_editor"),
        ("validate", "as_partner_a"),
        ("return", "as_partner_a"),
        ("reopen", "as_editor"),
        ("submit", "as_viewer"),
    ],
)
def test_moves_forbidden_to_the_role(draft_a, request, move, client):
    _set(draft_a, {"validate": S.SUBMITTED, "return": S.SUBMITTED, "reopen": S.VALIDATED, "submit": S.DRAFT}[move])
    before = Measurement.objects.get(pk=draft_a.pk).status
    response = request.getfixturevalue(client).post(detail(draft_a, move), {"reason": "Valeur à revoir"})
    assert response.status_code == 403
    assert Measurement.objects.get(pk=draft_a.pk).status == before


def test_partner_cannot_submit_another_organisations_visible_value(world, as_partner_a, validated_b):
    assert as_partner_a.post(detail(validated_b, "submit")).status_code == 403


def test_move_with_a_stale_if_match_is_412(submitted_a, as_validator):
    response = as_validator.post(detail(submitted_a, "validate"), {}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    response = as_validator.post(detail(submitted_a, "validate"), {}, HTTP_IF_MATCH=f'"{submitted_a.version}"')
    assert response.status_code == 200


def test_only_validated_values_count_in_the_indicator(as_partner_a, as_validator, as_viewer, indicator):
    def achieved():
        return as_viewer.get(f"/api/v1/indicators/{indicator.pk}/", {"as_of": "2025-06-30"}).json()["achieved"]

    mid = as_partner_a.post(URL, body(indicator, value="120")).json()["id"]
    m = Measurement.objects.get(pk=mid)
    as_partner_a.post(detail(m, "submit"))
    assert achieved() is None
    assert as_validator.post(detail(m, "validate")).status_code == 200
    assert achieved() == "120.0000"
    assert as_validator.post(detail(m, "reopen"), {"reason": "Double compte"}).status_code == 200
    assert achieved() is None  # returned: no longer counts
    m.refresh_from_db()
    as_partner_a.patch(detail(m), {"value": "100", "change_reason": "Coquille"}, HTTP_IF_MATCH=f'"{m.version}"')
    as_partner_a.post(detail(m, "submit"))
    assert achieved() is None  # submitted: not yet
    as_validator.post(detail(m, "validate"))
    assert achieved() == "100.0000"
    listed = as_viewer.get("/api/v1/indicators/", {"code": indicator.code, "as_of": "2023-12-31"}).json()["results"][0]
    assert listed["achieved"] is None  # the 2024 value did not exist yet at the end of 2023


def test_bulk_validate_is_all_or_nothing(make_measurement, indicator, org_a, partner_a, as_validator, validator):
    a = make_measurement(indicator, org_a, partner_a, year=2021, status=S.SUBMITTED)
    b = make_measurement(indicator, org_a, partner_a, year=2022)  # still a draft
    response = as_validator.post(f"{URL}validate/", {"ids": [a.pk, b.pk]}, format="json")
    assert response.status_code == 409
    assert Measurement.objects.get(pk=a.pk).status == S.SUBMITTED
    response = as_validator.post(f"{URL}validate/", {"ids": [a.pk, 999999]}, format="json")
    assert response.status_code == 400 and "ids" in response.json()["details"]
    b.status = S.SUBMITTED
    Measurement.objects.filter(pk=b.pk).update(status=S.SUBMITTED)
    response = as_validator.post(f"{URL}validate/", {"ids": [a.pk, b.pk], "comment": "Lot de mars"}, format="json")
    assert response.status_code == 200
    assert [r["status"] for r in response.json()] == ["validated", "validated"]
    assert last_history(Measurement.objects.get(pk=a.pk)).history_change_reason == "Lot de mars"


def test_bulk_validate_is_for_validators(submitted_a, as_editor):
    response = as_editor.post(f"{URL}validate/", {"ids": [submitted_a.pk]}, format="json")
    assert response.status_code == 403


def test_returned_values_are_listed_with_their_reason(world, as_partner_a, submitted_a, as_validator):
    as_validator.post(detail(submitted_a, "return"), {"reason": "Source manquante"})
    rows = as_partner_a.get(URL, {"status": "returned"}).json()["results"]
    assert [(r["id"], r["status_reason"]) for r in rows] == [(submitted_a.pk, "Source manquante")]


def test_dates_in_the_future_filters(as_partner_a, draft_a):
    assert as_partner_a.get(URL, {"period_end_after": dt.date(2030, 1, 1).isoformat()}).json()["results"] == []


# ---------------------------------------------------------------- If-Match


@pytest.mark.parametrize("header", ['"stale-etag"', 'W/"stale"', '"7", "stale"', '""'])
def test_a_well_formed_if_match_that_matches_nothing_is_412(as_partner_a, draft_a, header):
    """RFC 9110 §13.1.1: an If-Match whose tags do not match is 412, whatever they are."""
    url = detail(draft_a)
    response = as_partner_a.patch(url, {"value": "1", "change_reason": "Coquille"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 412, response.content
    assert (response.json()["code"], response.json()["current_version"]) == ("stale_version", 1)
    assert response["ETag"] == '"1"'
    response = as_partner_a.delete(f"{url}?change_reason=Doublon", HTTP_IF_MATCH=header)
    assert response.status_code == 412
    draft_a.refresh_from_db()
    assert draft_a.version == 1


def test_an_if_match_list_naming_the_current_version_is_accepted(as_partner_a, draft_a):
    url = detail(draft_a)
    response = as_partner_a.patch(
        url, {"value": "1", "change_reason": "Coquille"}, format="json", HTTP_IF_MATCH='"stale-etag", "7", "1"'
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'


@pytest.mark.parametrize("header", ["garbage", '"1', "1", '"a"b"', '"1",,'])
def test_an_if_match_that_is_not_a_list_of_entity_tags_is_still_400(as_partner_a, draft_a, header):
    response = as_partner_a.patch(
        detail(draft_a), {"value": "1", "change_reason": "Coquille"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 400, response.content
    assert "If-Match" in response.json()["details"]


def test_an_empty_if_match_on_a_workflow_action_is_refused_not_ignored(as_validator, submitted_a):
    """If-Match is optional on the workflow actions, but a header sent empty is not the
    header left out (fuzzing found the validation accepted): 400 naming it, nothing moves."""
    response = as_validator.post(f"{URL}{submitted_a.pk}/validate/", {}, format="json", HTTP_IF_MATCH="")
    assert response.status_code == 400
    assert "If-Match" in response.json()["details"]
    submitted_a.refresh_from_db()
    assert submitted_a.status == "submitted"
