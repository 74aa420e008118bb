"""Unknown query parameters (issue 17, item 5): every staff API operation answers 400
naming a parameter it does not declare in the OpenAPI schema, and accepts every one it
declares (the check reads the schema: artisanat/api/filters.py,
``declared_query_parameters``)."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

UNKNOWN = "Paramètre inconnu."


SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def _operations():
    paths = SCHEMA["paths"]
    return [
        (method.upper(), path, [p for p in operation.get("parameters", ()) if p.get("in") == "query"])
        for path, operations in sorted(paths.items())
        if path.startswith("/api/v1/")
        for method, operation in sorted(operations.items())
    ]


OPERATIONS = _operations()


def _value(schema):
    """A value of the declared type (what a script, or schemathesis, would send)."""
    if "$ref" in schema:  # a shared enum (ExportFormatEnum…)
        return _value(SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    if "enum" in schema:
        return str(schema["enum"][0])
    kind = schema.get("type")
    if kind == "array":
        return _value(schema.get("items", {}))
    if kind in ("integer", "number"):
        return str(max(1, schema.get("minimum", 1)))
    if kind == "boolean":
        return "true"
    return {"date": "2024-01-31", "date-time": "2024-01-31T00:00:00Z"}.get(schema.get("format"), "abc")


def _call(client, method, path, query):
    url = re.sub(r"\{[^}]+\}", "999999", path)  # a missing row: nothing is written
    return client.generic(method, url, QUERY_STRING="&".join(f"{k}={v}" for k, v in query.items()))


def _unknown_named(response):
    details = response.json().get("details", {}) if response.status_code == 400 else {}
    return sorted(name for name, messages in details.items() if UNKNOWN in messages)


def test_the_operations_are_all_there():
    assert len(OPERATIONS) > 80
    assert ("GET", "/api/v1/measurements/") in {(m, p) for m, p, _ in OPERATIONS}


@pytest.mark.parametrize(("method", "path", "parameters"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_declared_parameter_is_accepted_and_a_misspelt_one_refused(method, path, parameters, as_admin):
    declared = {p["name"]: _value(p.get("schema", {})) for p in parameters}
    if "change_reason" in declared:
        declared["change_reason"] = "Contrôle des paramètres"
    response = _call(as_admin, method, path, {**declared, "reporting_organisation_acronyms": "FCA"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["details"]["reporting_organisation_acronyms"] == [UNKNOWN]

    response = _call(as_admin, method, path, declared)
    assert _unknown_named(response) == [], response.content


def test_a_misspelt_filter_no_longer_lists_everything(as_viewer):
    response = as_viewer.get("/api/v1/indicators/", {"reporting_organisation_acronyms": "FCA"})
    assert response.status_code == 400
    assert response.json()["details"] == {"reporting_organisation_acronyms": [UNKNOWN]}
    assert as_viewer.get("/api/v1/indicators/", {"reporting_organisation_acronym": "FCA"}).status_code == 200


def test_each_unknown_parameter_is_named(as_viewer):
    response = as_viewer.get("/api/v1/regions/", {"colour": "blue", "code": "RSK", "sise": "2"})
    assert response.status_code == 400
    assert response.json()["details"] == {"colour": [UNKNOWN], "sise": [UNKNOWN]}


def test_page_on_the_cursor_list_is_refused_cursor_on_a_page_list_too(as_viewer):
    response = as_viewer.get("/api/v1/measurements/", {"page": "2"})
    assert response.status_code == 400
    assert response.json()["details"] == {"page": [UNKNOWN]}
    assert as_viewer.get("/api/v1/measurements/", {"page_size": "2"}).status_code == 200
    response = as_viewer.get("/api/v1/indicators/", {"cursor": "cD0x"})
    assert response.json()["details"] == {"cursor": [UNKNOWN]}
    assert as_viewer.get("/api/v1/indicators/", {"page": "1"}).status_code == 200


def test_head_reads_the_get_declaration_and_the_check_comes_after_authentication(api, as_viewer):
    assert as_viewer.head("/api/v1/regions/", {"ordering": "code"}).status_code == 200
    assert as_viewer.head("/api/v1/regions/", {"nope": "1"}).status_code == 400
    assert api().get("/api/v1/regions/", {"nope": "1"}).status_code == 401


def test_a_write_with_an_unknown_parameter_writes_nothing(as_admin, indicator):
    from strategy.models import Indicator

    before = Indicator.objects.get(pk=indicator.pk).version
    response = as_admin.patch(
        f"/api/v1/indicators/{indicator.pk}/?dry_runn=1",
        {"name": "Autre", "change_reason": "Essai"},
        format="json",
        HTTP_IF_MATCH=f'"{before}"',
    )
    assert response.status_code == 400
    assert response.json()["details"] == {"dry_runn": [UNKNOWN]}
    assert Indicator.objects.get(pk=indicator.pk).version == before


def test_a_single_valued_parameter_sent_twice_is_refused(as_admin):
    """The last value would win silently (``?page_size=1&page_size=500``); a parameter
    declared as a list (``status``) may repeat."""
    response = as_admin.get("/api/v1/measurements/?page_size=1&page_size=500")
    assert response.status_code == 400
    assert response.json()["details"] == {"page_size": ["Paramètre répété : envoyez-le une seule fois."]}
    response = as_admin.get("/api/v1/measurements/?status=draft&status=submitted")
    assert response.status_code == 200
