"""OpenAPI schema: valid without a single warning, every operation described in French
and English, interactive docs served offline."""

import io

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_schema_is_valid_without_warnings(schema):
    assert schema["openapi"].startswith("3.")


def test_every_operation_is_described_in_french_and_english(schema):
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 70
    missing = [
        f"{m.upper()} {p}"
        for p, m, op in operations
        if not ("FR" in op.get("description", "") and "EN" in op["description"])
    ]
    assert missing == []


def test_every_operation_documents_the_error_shape(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            # The public API (opendata/api/) needs no authentication: never 401 nor 403.
            expected = {"400", "429"} if path.startswith("/api/public/") else {"400", "401", "403"}
            assert expected <= set(op["responses"]), (method, path)


def test_versioned_writes_require_if_match(schema):
    op = schema["paths"]["/api/v1/measurements/{id}/"]["patch"]
    headers = {p["name"]: p for p in op["parameters"] if p["in"] == "header"}
    assert headers["If-Match"]["required"] is True
    assert {"412", "428"} <= set(op["responses"])


def test_schema_and_docs_are_served(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    response = client.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger-ui" in body and "drf_spectacular_sidecar" in body  # no CDN
    # No ReDoc: it cannot run under the Content-Security-Policy (tests/config/test_production.py).
    assert client.get("/api/redoc/").status_code == 404


WRITES = {"put", "patch", "delete"}


def test_every_change_and_deletion_declares_if_match_and_its_reason(schema):
    """Every PUT, PATCH and DELETE of /api/v1/ (documents included) requires If-Match
    (428 and 412 declared); every DELETE requires ?change_reason= (400 declared); every
    request body of a POST, PUT or PATCH offers change_reason, required on a POST and a
    PUT (a measurement's body: optional, for its creation, the partners' monthly routine)."""
    components = schema["components"]["schemas"]

    def body_schema(op):
        content = op.get("requestBody", {}).get("content", {})
        media = content.get("application/json") or content.get("multipart/form-data")
        ref = (media or {}).get("schema", {}).get("$ref", "")
        return components.get(ref.rsplit("/", 1)[-1])

    checked = 0
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/auth/"):
            continue
        for method, op in item.items():
            if method in WRITES:
                headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
                assert headers.get("If-Match", {}).get("required") is True, (method, path)
                assert {"400", "412", "428"} <= set(op["responses"]), (method, path)
                checked += 1
            if method == "delete":
                query = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
                assert query.get("change_reason", {}).get("required") is True, path
            if method == "post" and (path.count("/") > 4 or path.endswith("/bulk/")):
                continue  # the workflow's moves and the bulk files have their own bodies
            body = body_schema(op) if method in {"post", "put", "patch"} else None
            if body is None:
                continue
            assert "change_reason" in body["properties"], (method, path)
            required = "change_reason" in body.get("required", [])
            # A measurement's PUT shares its body with its creation, where the reason is
            # optional: the API still refuses the PUT without it (test_audit_paths walks it).
            if not path.startswith("/api/v1/measurements/") and method in {"put", "post"}:
                assert required, (method, path)
    assert checked >= 25
