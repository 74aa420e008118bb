"""Codes accepted wherever ids are (issue 17, item 5): a relation to an indicator, an
organisation, a region or a filière is written by its id or by its code (one of the
two; both must agree; an unknown code is a 400 naming the field), and a blank breakdown
is answered null, never "" (null and "" both read as blank)."""

import datetime as dt

import pytest

from contracts.models import Milestone, Party
from strategy.models import IndicatorComment, Measurement, Target

M = "/api/v1/measurements/"


def etag(row):
    return f'"{row.version}"'


def body(**extra):
    return {"period_start": "2024-01-01", "period_end": "2024-12-31", "value": "42", **extra}


@pytest.fixture
def by_region(make_indicator, org_a):
    return make_indicator(code="IND-REG", by_region=True, reporters=[org_a])


def test_a_partner_reports_by_codes_alone(as_partner_a, by_region, region, org_a):
    response = as_partner_a.post(
        M, body(indicator_code="IND-REG", region_code=region.code, organisation_acronym="FCA", sex=None)
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["indicator"], data["indicator_code"], data["region"], data["region_code"]) == (
        by_region.pk,
        "IND-REG",
        region.pk,
        "07",
    )
    assert (data["organisation"], data["filiere"], data["filiere_code"], data["actor_type"]) == (
        org_a.pk,
        None,
        None,
        None,
    )
    m = Measurement.objects.get()
    assert (m.indicator, m.region, m.organisation, m.sex, m.actor_type) == (by_region, region, org_a, "", "")


def test_id_and_code_given_must_agree(as_partner_a, by_region, indicator, region):
    agreeing = as_partner_a.post(M, body(indicator=by_region.pk, indicator_code="IND-REG", region_code="07"))
    assert agreeing.status_code == 201, agreeing.content
    response = as_partner_a.post(M, body(indicator=by_region.pk, indicator_code=indicator.code, region_code="07"))
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["indicator_code"]
    assert "indicator" in response.json()["details"]["indicator_code"][0]
    assert Measurement.objects.count() == 1


def test_an_unknown_code_is_a_400_naming_the_field(as_partner_a, by_region):
    response = as_partner_a.post(M, body(indicator_code="IND-REG", region_code="99", organisation_acronym="NOPE"))
    assert response.status_code == 400
    details = response.json()["details"]
    assert details == {"region_code": ["Code inconnu : 99."], "organisation_acronym": ["Code inconnu : NOPE."]}
    assert not Measurement.objects.exists()


def test_neither_id_nor_code_is_a_400_naming_both(as_partner_a, indicator):
    response = as_partner_a.post(M, body())
    assert response.status_code == 400
    assert "indicator_code" in response.json()["details"]["indicator"][0]


def test_a_partner_is_refused_another_organisations_code_as_its_id(as_partner_a, indicator, indicator_b, org_b):
    assert as_partner_a.post(M, body(indicator=indicator.pk, organisation=org_b.pk)).status_code == 403
    assert as_partner_a.post(M, body(indicator_code=indicator.code, organisation_acronym="MDA")).status_code == 403
    assert as_partner_a.post(M, body(indicator=indicator_b.pk)).status_code == 403
    assert as_partner_a.post(M, body(indicator_code=indicator_b.code)).status_code == 403
    assert not Measurement.objects.exists()


def test_patch_by_code_and_blank_by_null_or_empty(as_partner_a, by_region, region, other_region, org_a, partner_a):
    created = as_partner_a.post(M, body(indicator_code="IND-REG", region_code="07", sex="")).json()
    url = f"{M}{created['id']}/"
    m = Measurement.objects.get()
    response = as_partner_a.patch(
        url, {"region_code": "03", "change_reason": "Correction"}, format="json", HTTP_IF_MATCH=etag(m)
    )
    assert response.status_code == 200, response.content
    assert (response.json()["region"], response.json()["region_code"]) == (other_region.pk, "03")
    for blank in (None, ""):
        m.refresh_from_db()
        response = as_partner_a.patch(
            url, {"sex": blank, "change_reason": "Correction"}, format="json", HTTP_IF_MATCH=etag(m)
        )
        assert response.status_code == 200, response.content
        assert response.json()["sex"] is None
        m.refresh_from_db()
        assert m.sex == ""


def test_a_blank_breakdown_is_null_in_the_list_and_detail(as_partner_a, indicator):
    created = as_partner_a.post(M, body(indicator=indicator.pk)).json()
    for row in (created, as_partner_a.get(f"{M}{created['id']}/").json(), as_partner_a.get(M).json()["results"][0]):
        assert (row["region_code"], row["filiere_code"], row["sex"], row["actor_type"]) == (None, None, None, None)


def test_targets_by_codes(as_editor, by_region, region, filiere):
    response = as_editor.post(
        "/api/v1/targets/",
        {
            "indicator_code": "IND-REG",
            "region_code": "07",
            "due_date": "2030-12-31",
            "value": "10",
            "change_reason": "Cible régionale",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    target = Target.objects.get()
    assert (target.indicator, target.region, target.filiere) == (by_region, region, None)
    assert response.json()["filiere_code"] is None
    response = as_editor.post(
        "/api/v1/targets/",
        {"indicator_code": "NOPE", "due_date": "2030-12-31", "value": "1", "change_reason": "Cible régionale"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["details"] == {"indicator_code": ["Code inconnu : NOPE."]}


def test_comments_by_indicator_code(as_editor, indicator):
    response = as_editor.post(
        "/api/v1/indicator-comments/",
        {"indicator_code": indicator.code, "year": 2024, "text": "Bonne année.", "change_reason": "Rapport annuel"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert IndicatorComment.objects.get().indicator == indicator


def test_actions_by_lead_organisation_acronym(as_editor, action, org_b):
    response = as_editor.patch(
        f"/api/v1/actions/{action.pk}/",
        {"lead_organisation_acronym": "MDA", "change_reason": "Changement de pilote"},
        format="json",
        HTTP_IF_MATCH=etag(action),
    )
    assert response.status_code == 200, response.content
    assert response.json()["lead_organisation"] == org_b.pk
    action.refresh_from_db()
    assert action.lead_organisation == org_b


def test_contract_parties_and_milestones_by_acronym(as_editor, contract_a, org_b):
    response = as_editor.post(
        "/api/v1/parties/",
        {"contract": contract_a.pk, "organisation_acronym": "MDA", "role": Party._meta.get_field("role").choices[0][0]}
        | {"change_reason": "Nouvelle partie"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Party.objects.get(pk=response.json()["id"]).organisation == org_b
    response = as_editor.post(
        "/api/v1/milestones/",
        {
            "contract": contract_a.pk,
            "title": "Livrable",
            "responsible_acronym": "MDA",
            "due_date": dt.date(2025, 6, 30).isoformat(),
            "change_reason": "Nouveau jalon",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Milestone.objects.get(pk=response.json()["id"]).responsible == org_b


@pytest.mark.parametrize(
    ("path", "by_id", "by_code"),
    [
        ("actions", "lead_organisation", "lead_organisation_acronym"),
        ("parties", "organisation", "organisation_acronym"),
        ("commitments", "organisation", "organisation_acronym"),
        ("disbursements", "organisation", "organisation_acronym"),
        ("milestones", "responsible", "responsible_acronym"),
        ("targets", "region", "region_code"),
        ("targets", "filiere", "filiere_code"),
        ("milestones", "filiere", "filiere_code"),
        ("measurements", "organisation", "organisation_acronym"),
        ("indicator-comments", "indicator", "indicator_code"),
    ],
)
def test_each_id_filter_has_its_code_filter_beside(
    path, by_id, by_code, as_admin, org_a, region, filiere, action, party_a, draft_a
):
    ref = {"organisation": org_a, "lead_organisation": org_a, "responsible": org_a, "region": region}
    ref |= {"filiere": filiere}
    row = ref.get(by_id)
    code = getattr(row, "acronym", None) or getattr(row, "code", None) if row is not None else "IND-X"
    pk = row.pk if row is not None else 1
    by_pk = as_admin.get(f"/api/v1/{path}/", {by_id: pk})
    by_cd = as_admin.get(f"/api/v1/{path}/", {by_code: code})
    assert by_pk.status_code == by_cd.status_code == 200, by_cd.content
    assert by_pk.json()["results"] == by_cd.json()["results"]
    if path in ("actions", "parties", "measurements"):
        assert by_cd.json()["results"], "the fixtures have rows of org_a here"
    assert as_admin.get(f"/api/v1/{path}/", {by_code: "NOPE"}).json()["results"] == []


@pytest.mark.parametrize("path", ["/api/v1/indicators/", "/api/v1/axes/", "/api/v1/programmes/", "/api/v1/dashboard/"])
def test_the_figures_scope_takes_region_and_filiere_codes(path, as_admin, by_region, region, other_region, filiere):
    by_id = as_admin.get(path, {"region": region.pk})
    by_code = as_admin.get(path, {"region_code": "07"})
    assert by_id.status_code == by_code.status_code == 200, by_code.content
    assert by_id.json() == by_code.json()
    assert as_admin.get(path, {"region": region.pk, "region_code": "07"}).json() == by_id.json()
    mismatch = as_admin.get(path, {"region": other_region.pk, "region_code": "07"})
    assert mismatch.status_code == 400
    assert list(mismatch.json()["details"]) == ["region_code"]
    unknown = as_admin.get(path, {"filiere_code": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["details"] == {"filiere_code": ["Code inconnu : nope."]}
    assert as_admin.get(path, {"filiere_code": filiere.code}).status_code == 200
