"""Indicators written through the API (issue 14, item 1): editors, validators and
administrators create (POST), change (PATCH / PUT with If-Match) and delete (only while
nothing depends on it) through strategy.services; viewers and partners are refused."""

import datetime as dt
from decimal import Decimal as D

import pytest

from strategy.models import Indicator, Measurement, Target
from tests.api_fixtures import last_history

V = "/api/v1/"


def new_body(axis, programme=None, action=None, organisations=(), **changes):
    body = {
        "code": "IND-API",
        "name": "Coopératives créées",
        "definition": "Nombre de coopératives créées dans l'année.",
        "definition_ar": "عدد التعاونيات",
        "axis": axis.pk,
        "programme": programme.pk if programme else None,
        "action": action.pk if action else None,
        "unit": "count",
        "direction": "increase",
        "aggregation": "sum",
        "frequency": "yearly",
        "report_delay_days": 60,
        "baseline_value": "12",
        "baseline_date": "2020-12-31",
        "baseline_source": "ODCO",
        "weight": "2",
        "reporting_organisations": [o.pk for o in organisations],
        "by_region": True,
        "change_reason": "Nouvel indicateur du programme",
    }
    body.update(changes)
    return body


@pytest.mark.parametrize("client", ["as_editor", "as_validator", "as_admin"])
def test_staff_who_edit_the_strategy_create_an_indicator(client, request, axis, programme, action, org_a):
    api_client = request.getfixturevalue(client)
    response = api_client.post(f"{V}indicators/", new_body(axis, programme, action, [org_a]), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    indicator = Indicator.objects.get(code="IND-API")
    assert response["ETag"] == '"1"' and data["version"] == 1
    assert response["Location"].endswith(f"/api/v1/indicators/{indicator.pk}/")
    # The read representation, with its figures, and the new fields.
    assert data["definition_ar"] == "عدد التعاونيات" and data["action"] == action.pk
    assert data["reporting_organisation_acronyms"] == ["FCA"] and data["dimensions"] == ["region"]
    assert "achieved" in data and "change_reason" not in data
    assert (indicator.axis, indicator.programme, indicator.action, indicator.weight) == (axis, programme, action, D(2))
    assert list(indicator.reporting_organisations.all()) == [org_a]
    assert {row.history_change_reason for row in indicator.history.all()} == {"Nouvel indicateur du programme"}


@pytest.mark.parametrize("client", ["as_viewer", "as_partner_a"])
def test_viewers_and_partners_may_not_write_indicators(client, request, axis, indicator):
    api_client = request.getfixturevalue(client)
    assert api_client.post(f"{V}indicators/", new_body(axis), format="json").status_code == 403
    patch = api_client.patch(
        f"{V}indicators/{indicator.pk}/", {"name": "Piraté", "change_reason": "Tentative"}, HTTP_IF_MATCH='"1"'
    )
    assert patch.status_code == 403
    assert api_client.delete(f"{V}indicators/{indicator.pk}/", HTTP_IF_MATCH='"1"').status_code == 403
    indicator.refresh_from_db()
    assert indicator.name == "Artisans formés" and not Indicator.objects.filter(code="IND-API").exists()


def test_anonymous_callers_are_refused(api, axis):
    from rest_framework.test import APIClient

    assert APIClient().post(f"{V}indicators/", new_body(axis), format="json").status_code == 401


def test_the_reading_carries_version_and_etag(as_viewer, indicator):
    response = as_viewer.get(f"{V}indicators/{indicator.pk}/")
    assert response["ETag"] == '"1"' and response.json()["version"] == 1
    row = as_viewer.get(f"{V}indicators/").json()["results"][0]
    assert (row["version"], row["definition_ar"], row["action"]) == (1, "", None)


def test_a_creation_without_a_reason_or_with_a_foreign_programme_is_refused(as_editor, strategy, axis):
    response = as_editor.post(f"{V}indicators/", new_body(axis, change_reason=""), format="json")
    assert response.status_code == 400 and "change_reason" in response.json()["details"]
    other_axis = axis.__class__.objects.create(strategy=strategy, number=5, title="Autre axe")
    foreign = other_axis.programmes.create(code="P5.1", title="Ailleurs")
    response = as_editor.post(f"{V}indicators/", new_body(axis, foreign), format="json")
    assert response.status_code == 400 and "programme" in response.json()["details"]
    assert not Indicator.objects.filter(code="IND-API").exists()


def test_patch_needs_the_version_read(as_editor, as_validator, indicator, org_b):
    url = f"{V}indicators/{indicator.pk}/"
    body = {"name": "Artisans formés et certifiés", "change_reason": "Nouvel intitulé"}
    assert as_editor.patch(url, body, format="json").status_code == 428
    response = as_editor.patch(url, {**body, "reporting_organisations": [org_b.pk]}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"' and response.json()["reporting_organisation_acronyms"] == ["MDA"]
    indicator.refresh_from_db()
    assert indicator.name == "Artisans formés et certifiés" and indicator.version == 2
    assert last_history(indicator).history_change_reason == "Nouvel intitulé"
    # A copy read before that change: refused, nothing saved.
    stale = as_validator.patch(url, {"name": "Autre", "change_reason": "Mon intitulé"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    indicator.refresh_from_db()
    assert indicator.name == "Artisans formés et certifiés" and indicator.version == 2


def test_put_replaces_the_indicator(as_editor, indicator, axis, programme):
    body = new_body(axis, programme, code=indicator.code, name="Remplacé", change_reason="Fiche refaite")
    response = as_editor.put(f"{V}indicators/{indicator.pk}/", body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    indicator.refresh_from_db()
    assert (indicator.name, indicator.by_region, indicator.report_delay_days) == ("Remplacé", True, 60)


def test_a_change_the_measurements_do_not_follow_is_refused_naming_them(as_editor, indicator, org_a):
    row = Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        value=D("10"),
        organisation=org_a,
    )
    response = as_editor.patch(
        f"{V}indicators/{indicator.pk}/",
        {"by_filiere": True, "change_reason": "Ventilation par filière"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert f"n° {row.pk} (01/01/2023–31/12/2023)" in response.json()["details"]["by_filiere"][0]
    indicator.refresh_from_db()
    assert not indicator.by_filiere and indicator.version == 1


def test_delete_only_an_indicator_nothing_depends_on(as_editor, indicator, make_indicator, editor):
    Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("5"))
    refused = as_editor.delete(f"{V}indicators/{indicator.pk}/?change_reason=Doublon", HTTP_IF_MATCH='"1"')
    assert refused.status_code == 400
    assert "cibles" in refused.json()["message"] + str(refused.json().get("details", ""))
    assert Indicator.objects.filter(pk=indicator.pk).exists() and Target.objects.filter(indicator=indicator).exists()
    lonely = make_indicator(code="IND-SEUL")
    assert as_editor.delete(f"{V}indicators/{lonely.pk}/").status_code == 428
    assert as_editor.delete(f"{V}indicators/{lonely.pk}/?change_reason=Doublon", HTTP_IF_MATCH='"1"').status_code == 204
    assert not Indicator.objects.filter(pk=lonely.pk).exists()
    row = Indicator.history.filter(id=lonely.pk).order_by("-history_id").first()
    assert (row.history_type, row.history_user, row.history_change_reason) == ("-", editor, "Doublon")
