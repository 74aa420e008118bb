"""Bulk variants (JSON, CSV, XLSX, multipart: one operation each), ``?dry_run=1``, and
the batch-validate answer checked against the schema."""

import io

import jsonschema
import pytest
import yaml
from django.core.management import call_command

from artisanat.models import IdempotencyKey
from strategy.choices import MeasurementStatus as S
from strategy.models import Measurement
from tests.strategy.test_api_bulk import XLSX, _xlsx

BASE = "/api/v1/measurements/"
GOOD_CSV = "indicator,period_start,period_end,value\nIND-FORM,2021-01-01,2021-12-31,7\n"
# Row 2: an unknown region; row 3: the same period as row 1.
BAD_CSV = GOOD_CSV + "IND-FORM,2022-01-01,2022-12-31,8,99\nIND-FORM,2021-01-01,2021-12-31,9\n"
BAD_CSV = BAD_CSV.replace("value\n", "value,region\n", 1)


def _send(client, variant, text, query=""):
    if variant == "json":
        header, *lines = [line.split(",") for line in text.strip().split("\n")]
        rows = [dict(zip(header, line, strict=False)) for line in lines]
        return client.post(f"{BASE}bulk/{query}", {"rows": rows}, format="json")
    if variant == "csv":
        return client.generic("POST", f"{BASE}bulk/csv/{query}", text.encode(), content_type="text/csv")
    table = [line.split(",") for line in text.strip().split("\n")]
    if variant == "xlsx":
        return client.generic("POST", f"{BASE}bulk/xlsx/{query}", _xlsx(table), content_type=XLSX)
    upload = io.BytesIO(text.encode())
    upload.name = "rows.csv"
    return client.post(f"{BASE}bulk/upload/{query}", {"file": upload}, format="multipart")


VARIANTS = ["json", "csv", "xlsx", "upload"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_creates_the_rows(as_partner_a, indicator, variant):
    response = _send(as_partner_a, variant, GOOD_CSV)
    assert response.status_code == 201, response.content
    assert response.json() == {
        "created": 1,
        "status": "draft",
        "ids": [Measurement.objects.get().pk],
        "dry_run": False,
    }


@pytest.mark.parametrize("variant", VARIANTS)
def test_dry_run_answers_as_the_real_run_and_stores_nothing(as_partner_a, indicator, variant):
    dry = _send(as_partner_a, variant, BAD_CSV, "?dry_run=1")
    real = _send(as_partner_a, variant, BAD_CSV)
    assert dry.status_code == real.status_code == 400
    assert dry.json() == real.json() and dry.json()["code"] == "invalid_rows"
    assert {e["row"] for e in dry.json()["details"]["rows"]} == {2, 3}
    ok = _send(as_partner_a, variant, GOOD_CSV, "?dry_run=1&submit=1")
    assert ok.status_code == 201
    assert ok.json() == {"created": 1, "status": "submitted", "ids": [], "dry_run": True}
    assert not Measurement.objects.exists()
    real = _send(as_partner_a, variant, GOOD_CSV, "?submit=1")
    assert real.status_code == 201 and real.json()["dry_run"] is False
    assert list(Measurement.objects.values_list("status", flat=True)) == [S.SUBMITTED]


def test_dry_run_keeps_no_idempotency_record(as_partner_a, indicator):
    headers = {"HTTP_IDEMPOTENCY_KEY": "lot-mars"}
    csv = GOOD_CSV.encode()
    dry = as_partner_a.generic("POST", f"{BASE}bulk/csv/?dry_run=1", csv, content_type="text/csv", **headers)
    assert dry.status_code == 201 and "Idempotent-Replayed" not in dry.headers
    assert not IdempotencyKey.objects.exists()
    real = as_partner_a.generic("POST", f"{BASE}bulk/csv/", csv, content_type="text/csv", **headers)
    assert real.json()["created"] == 1 and real.json()["dry_run"] is False
    replay = as_partner_a.generic("POST", f"{BASE}bulk/csv/", csv, content_type="text/csv", **headers)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == real.json()
    assert Measurement.objects.count() == 1


@pytest.mark.parametrize("query", ["?dry_run=", "?dry_run=1&dry_run=0", "?submit=1&submit=0", "?dry_run=peut-etre"])
def test_an_empty_or_repeated_flag_is_refused_never_read_as_false(as_partner_a, indicator, query):
    # A script's unset variable (?dry_run=) must not turn a dry run into a real one.
    response = _send(as_partner_a, "json", GOOD_CSV, query)
    assert response.status_code == 400, response.content
    name = query[1:].split("=")[0]
    assert list(response.json()["details"]) == [name]
    assert not Measurement.objects.exists()


def test_a_dry_run_with_a_used_key_answers_as_the_real_run_would(as_partner_a, indicator):
    """Same key, same rows: the replay; same key, other rows: 422; a malformed key: 400.
    And the dry run claims nothing."""
    csv = GOOD_CSV.encode()
    headers = {"HTTP_IDEMPOTENCY_KEY": "lot-avril"}
    real = as_partner_a.generic("POST", f"{BASE}bulk/csv/", csv, content_type="text/csv", **headers)
    assert real.status_code == 201
    dry = as_partner_a.generic("POST", f"{BASE}bulk/csv/?dry_run=1", csv, content_type="text/csv", **headers)
    assert dry.status_code == 201 and dry.headers["Idempotent-Replayed"] == "true"
    assert dry.json() == real.json()
    other = GOOD_CSV.replace(",7", ",8").encode()
    dry = as_partner_a.generic("POST", f"{BASE}bulk/csv/?dry_run=1", other, content_type="text/csv", **headers)
    real_other = as_partner_a.generic("POST", f"{BASE}bulk/csv/", other, content_type="text/csv", **headers)
    assert dry.status_code == real_other.status_code == 422
    bad_key = {"HTTP_IDEMPOTENCY_KEY": "x" * 300}
    dry = as_partner_a.generic("POST", f"{BASE}bulk/csv/?dry_run=1", other, content_type="text/csv", **bad_key)
    assert dry.status_code == 400 and list(dry.json()["details"]) == ["Idempotency-Key"]
    assert Measurement.objects.count() == 1 and IdempotencyKey.objects.count() == 1


def test_a_repeated_column_is_refused_by_name(as_partner_a, indicator):
    text = "indicator,indicator,period_start,period_end,value\nIND-FORM,NOPE,2021-01-01,2021-12-31,7\n"
    response = _send(as_partner_a, "csv", text)
    assert response.status_code == 400
    assert response.json()["details"]["file"] == ["Colonne en double : « indicator ». Gardez-en une seule."]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("variant", ["csv", "xlsx"])
def test_a_file_variant_takes_an_octet_stream_body_as_its_format(as_partner_a, indicator, variant):
    """What generated clients send; the content is still checked as a CSV or an XLSX."""
    table = [line.split(",") for line in GOOD_CSV.strip().split("\n")]
    body = GOOD_CSV.encode() if variant == "csv" else _xlsx(table)
    url = f"{BASE}bulk/{variant}/"
    response = as_partner_a.generic("POST", url, body, content_type="application/octet-stream")
    assert response.status_code == 201, response.content
    other = _xlsx(table) if variant == "csv" else GOOD_CSV.encode()  # the other format: refused by content
    refused = as_partner_a.generic("POST", url, other, content_type="application/octet-stream")
    assert refused.status_code == 400 and "file" in refused.json()["details"]
    assert Measurement.objects.count() == 1


def test_a_variant_takes_only_its_content_type(as_partner_a, indicator):
    refused = as_partner_a.post(f"{BASE}bulk/csv/", {"rows": []}, format="json")
    assert refused.status_code == 415
    damaged = as_partner_a.generic("POST", f"{BASE}bulk/xlsx/", b"not a zip", content_type=XLSX)
    assert damaged.status_code == 400 and "file" in damaged.json()["details"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_viewer_cannot_use_any_variant_nor_dry_run(as_viewer, indicator, variant):
    assert _send(as_viewer, variant, GOOD_CSV, "?dry_run=1").status_code == 403


def _json_schema(node):
    """OpenAPI 3.0 to JSON Schema: ``nullable`` as a null alternative."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def test_batch_validate_answers_what_its_schema_says(make_measurement, indicator, org_a, partner_a, as_validator):
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    spec = yaml.safe_load(out.getvalue())
    operation = spec["paths"]["/api/v1/measurements/validate/"]["post"]
    assert [p for p in operation.get("parameters", []) if p["in"] == "query"] == []
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    a = make_measurement(indicator, org_a, partner_a, year=2021, status=S.SUBMITTED)
    b = make_measurement(indicator, org_a, partner_a, year=2022, status=S.SUBMITTED)
    response = as_validator.post(f"{BASE}validate/", {"ids": [a.pk, b.pk]}, format="json")
    assert response.status_code == 200
    root = {**_json_schema(schema), "components": _json_schema(spec["components"])}
    jsonschema.validate(response.json(), root)
    assert schema["type"] == "array" and len(response.json()) == 2


def test_each_bulk_operation_declares_one_typed_content_type():
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    spec = yaml.safe_load(out.getvalue())
    declared = {
        path: list(spec["paths"][f"{BASE}bulk/{path}"]["post"]["requestBody"]["content"])
        for path in ("", "csv/", "xlsx/", "upload/")
    }
    # A raw file body as application/octet-stream: what both generators keep as a file
    # (openapi-python-client drops text/csv and the XLSX type with a warning).
    octet = ["application/octet-stream"]
    assert declared == {"": ["application/json"], "csv/": octet, "xlsx/": octet, "upload/": ["multipart/form-data"]}
    schemas = spec["components"]["schemas"]
    assert schemas["BulkSubmissionRequest"]["properties"]["rows"]["items"] == {
        "$ref": "#/components/schemas/BulkRowRequest"
    }
    row = schemas["BulkRowRequest"]["properties"]
    assert row["sex"]["oneOf"][0] == {"$ref": "#/components/schemas/SexEnum"}
    assert row["actor_type"]["oneOf"][0] == {"$ref": "#/components/schemas/ActorTypeEnum"}
    assert (row["period_start"]["format"], row["value"]["format"]) == ("date", "decimal")
    assert row["region"]["nullable"] and row["region"]["pattern"].startswith("^(01|02")
    errors = schemas["BulkError"]["properties"]["details"]["properties"]["rows"]["items"]["oneOf"]
    assert errors[0] == {"$ref": "#/components/schemas/BulkRowError"}
    bulk = spec["paths"][f"{BASE}bulk/"]["post"]
    assert {p["name"] for p in bulk["parameters"]} == {"submit", "dry_run", "Idempotency-Key"}
    assert set(bulk["responses"]["400"]["content"]["application/json"]["examples"]) == {"BulkInvalidRows"}


def test_the_invalid_rows_answer_matches_its_schema(as_partner_a, indicator):
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    spec = yaml.safe_load(out.getvalue())
    answer = _send(as_partner_a, "csv", BAD_CSV)
    assert answer.status_code == 400
    schema = spec["paths"][f"{BASE}bulk/csv/"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    jsonschema.validate(answer.json(), {**_json_schema(schema), "components": _json_schema(spec["components"])})
    ok = _send(as_partner_a, "csv", GOOD_CSV, "?dry_run=1")
    schema = spec["paths"][f"{BASE}bulk/csv/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    jsonschema.validate(ok.json(), {**_json_schema(schema), "components": _json_schema(spec["components"])})
