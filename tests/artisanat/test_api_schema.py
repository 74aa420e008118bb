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
            assert {"400", "401", "403"} <= set(op["responses"]), (method, path)


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
