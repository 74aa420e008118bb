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


# ---------------------------------------------------------------- issue 17: the contract

OPERATIONS = {"get", "post", "put", "patch", "delete"}
API_ERROR_OPTIONAL = {"current_version", "current_status", "retry_after", "max_bytes", "rule"}


def operations(schema):
    return [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in OPERATIONS
    ]


def test_metadata_servers_contact_licence_version(schema, settings):
    info = schema["info"]
    assert info["version"] == "1.1.0"
    assert schema["servers"] == [{"url": settings.API_SERVER_URL.rstrip("/") or "/"}]
    assert "/api/docs/" in info["contact"]["name"]
    # A relative contact URL is refused by openapi-generator: absolute, or none.
    assert info["contact"].get("url", "https://").startswith("https://")
    assert info["license"]["url"] == settings.OPEN_DATA_LICENSE
    changelog = (settings.BASE_DIR / "docs" / "api-changelog.md").read_text()
    assert "## 1.1.0" in changelog and "## 1.0.0" in changelog
    assert "api-changelog.md" in (settings.BASE_DIR / "docs" / "api.md").read_text()


def test_every_operation_has_a_summary_in_french_and_english_and_a_tag(schema):
    ops = operations(schema)
    assert len(ops) >= 100
    missing = [f"{m.upper()} {p}" for p, m, op in ops if " / " not in op.get("summary", "") or not op.get("tags")]
    assert missing == []
    # A summary names its operation: no two operations share one.
    summaries = [op["summary"] for _p, _m, op in ops]
    assert len(set(summaries)) == len(summaries), sorted(s for s in summaries if summaries.count(s) > 1)


def test_names_are_ascii(schema):
    components = schema["components"]
    names = [name for kind in components.values() for name in kind]
    assert [n for n in names if not n.isascii()] == []
    # A parameter's title names the inline enum a generator makes (IndicatorsListAgrÉGation).
    titled = [
        (p, par["name"])
        for p, _m, op in operations(schema)
        for par in op.get("parameters", [])
        if "title" in par["schema"]
    ]
    assert titled == []


def _enum_values(schema):
    return frozenset(v for v in schema.get("enum", []) if v not in (None, ""))


def test_a_choice_set_is_one_shared_component(schema):
    components = schema["components"]["schemas"]
    shared = {}
    for name, component in components.items():
        if "enum" in component and name not in ("NullEnum", "BlankEnum"):  # drf-spectacular's markers
            values = _enum_values(component)
            assert values not in shared, (name, shared.get(values))  # one component per choice set
            shared[values] = name
    inline = []
    for path, method, op in operations(schema):
        for parameter in op.get("parameters", []):
            target = parameter["schema"].get("items", parameter["schema"])
            if "enum" in target and _enum_values(target) in shared:
                inline.append((method, path, parameter["name"]))
    assert inline == []
    # The filters of the French models name the shared enums.
    by_name = {
        par["name"]: par for par in schema["paths"]["/api/v1/indicators/"]["get"]["parameters"] if par["in"] == "query"
    }
    assert by_name["aggregation"]["schema"] == {"$ref": "#/components/schemas/AggregationEnum"}
    by_name = {par["name"]: par for par in schema["paths"]["/api/v1/parties/"]["get"]["parameters"]}
    assert by_name["role"]["schema"] == {"$ref": "#/components/schemas/PartyRoleEnum"}
    formats = {
        par["schema"].get("$ref")
        for _p, _m, op in operations(schema)
        for par in op.get("parameters", [])
        if par["name"] == "format"
    }
    assert formats == {"#/components/schemas/ExportFormatEnum", "#/components/schemas/PublicFormatEnum"}


def test_path_ids_are_integers(schema):
    ids = [
        (path, par["schema"])
        for path, _m, op in operations(schema)
        for par in op.get("parameters", [])
        if par["in"] == "path" and par["name"] == "id"
    ]
    assert len(ids) > 50
    assert [(p, s) for p, s in ids if s != {"type": "integer"}] == []


def test_response_fields_are_required_unless_optional(schema):
    """Every field the serializers write is there in every answer: required in the
    answer's components (the request components, *Request, keep their own rules). The
    error shape's status-specific fields are the only optional ones."""
    optional = []
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request") or "properties" not in component:
            continue
        required = set(component.get("required", []))
        optional += [f"{name}.{p}" for p in component["properties"] if p not in required]
    assert sorted(optional) == sorted([*(f"ApiError.{p}" for p in API_ERROR_OPTIONAL), *MAY_BE_ABSENT])


def test_no_nullable_without_type_and_no_unused_component(schema):
    def walk(node, found):
        if isinstance(node, dict):
            if node.get("nullable") and "type" not in node:
                found.append(node)
            for value in node.values():
                walk(value, found)
        elif isinstance(node, list):
            for value in node:
                walk(value, found)
        return found

    assert walk(schema, []) == []
    text = str(schema["paths"]) + str(schema["components"]["schemas"])
    unused = [n for n in schema["components"]["schemas"] if f"#/components/schemas/{n}'" not in text]
    assert unused == []


def _header_names(response):
    return set(response.get("headers", {}))


def test_response_headers_are_declared(schema):
    headers = schema["components"]["headers"]
    assert {"ETag", "Location", "Idempotent-Replayed", "Retry-After", "RateLimit-Policy", "RateLimit"} <= set(headers)
    idempotent = 0
    for path, method, op in operations(schema):
        for code, response in op["responses"].items():
            names = _header_names(response)
            if code in ("429", "503"):
                assert "Retry-After" in names, (method, path, code)
            if code != "503":
                assert {"RateLimit-Policy", "RateLimit"} <= names, (method, path, code)
            if code == "412":
                assert "ETag" in names, (method, path)
        takes_key = any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in op.get("parameters", []))
        for code, response in op["responses"].items():
            if code.startswith("2") and takes_key:
                assert "Idempotent-Replayed" in _header_names(response), (method, path)
                idempotent += 1
        # A collection's create (POST /api/v1/<resource>/) says where the new row is.
        if method == "post" and "201" in op["responses"] and path.count("/") == 4:
            assert "Location" in _header_names(op["responses"]["201"]), path
    assert idempotent >= 1
    detail = schema["paths"]["/api/v1/measurements/{id}/"]
    for method, code in (("get", "200"), ("patch", "200"), ("put", "200")):
        assert "ETag" in _header_names(detail[method]["responses"][code]), method
    submit = schema["paths"]["/api/v1/measurements/{id}/submit/"]["post"]
    assert "ETag" in _header_names(submit["responses"]["200"])
    # A list carries no ETag (VersionedMixin.finalize_response).
    assert "ETag" not in _header_names(schema["paths"]["/api/v1/measurements/"]["get"]["responses"]["200"])


def test_api_error_component(schema):
    components = schema["components"]["schemas"]
    assert "Error" not in components
    error = components["ApiError"]
    properties = error["properties"]
    assert set(error["required"]) == {"code", "message", "details"}
    assert {name: properties[name]["type"] for name in API_ERROR_OPTIONAL} == {
        "current_version": "integer",
        "current_status": "string",
        "retry_after": "integer",
        "max_bytes": "integer",
        "rule": "string",
    }
    details = properties["details"]
    assert details["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    rows = details["properties"]["rows"]["items"]["anyOf"]
    assert rows == [{"$ref": "#/components/schemas/BulkRowError"}, {"type": "string"}]
    assert set(components["BulkRowError"]["required"]) == {"row", "field", "reason"}
    for path, method, op in operations(schema):
        for code, response in op["responses"].items():
            if code >= "400":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                # The bulk operations' 400 is the same shape, its details.rows typed.
                bulk = path.startswith("/api/v1/measurements/bulk/") and code == "400"
                expected = "#/components/schemas/BulkError" if bulk else "#/components/schemas/ApiError"
                assert ref == expected, (method, path, code)


def test_every_status_the_server_answers_is_listed(schema):
    for path, method, op in operations(schema):
        codes = set(op["responses"])
        assert {"400", "404", "406", "429", "503"} <= codes, (method, path)
        if method in {"post", "put", "patch"}:
            assert {"413", "415"} <= codes, (method, path)
    patch = schema["paths"]["/api/v1/measurements/{id}/"]["patch"]["responses"]
    example = patch["412"]["content"]["application/json"]["example"]
    assert example["code"] == "stale_version" and example["current_version"] == 4
    submit = schema["paths"]["/api/v1/measurements/{id}/submit/"]["post"]["responses"]
    example = submit["409"]["content"]["application/json"]["example"]
    assert example["code"] == "transition_not_allowed" and example["current_status"] == "validated"


def test_an_unacceptable_accept_is_a_406_in_the_error_shape(as_admin):
    response = as_admin.get("/api/v1/indicators/", HTTP_ACCEPT="image/png")
    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"


# ---------------------------------------------------------------- the contract, observed


def _component(schema, node):
    """(the node with its $ref resolved, the component's name or None)."""
    name = None
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    if "allOf" in node and len(node["allOf"]) == 1:
        inner, inner_name = _component(schema, node["allOf"][0])
        return {**inner, "nullable": node.get("nullable") or inner.get("nullable")}, inner_name
    return node, name


def _allows_null(schema, node):
    node, _name = _component(schema, node)
    if node.get("nullable") or None in node.get("enum", []):
        return True
    return any(_allows_null(schema, branch) for branch in node.get("oneOf", []) + node.get("anyOf", []))


# An indicator's breakdowns hold a key for each of its dimensions only.
MAY_BE_ABSENT = {f"Breakdowns.{key}" for key in ("region", "filiere", "sex", "actor_type")}


def contract_gaps(schema, node, value, where, gaps):
    """Walk one observed JSON value against its schema: a key present but not required
    ("not required"), a required key absent ("missing"), a null the schema does not
    allow ("null")."""
    node, name = _component(schema, node)
    where = name or where
    if value is None:
        if not _allows_null(schema, node):
            gaps.add(("null", where))
        return gaps
    branches = node.get("oneOf", []) + node.get("anyOf", [])
    if branches:
        kind = "object" if isinstance(value, dict) else "array" if isinstance(value, list) else None
        for branch in branches:
            resolved, _n = _component(schema, branch)
            if kind and resolved.get("type", "object" if "properties" in resolved else None) == kind:
                return contract_gaps(schema, branch, value, where, gaps)
        return gaps
    if isinstance(value, dict):
        properties, required = node.get("properties", {}), set(node.get("required", []))
        extra = node.get("additionalProperties")
        for key in sorted(required - set(value)):
            gaps.add(("missing", f"{where}.{key}"))
        for key, sub in value.items():
            if key in properties:
                if key not in required and f"{where}.{key}" not in MAY_BE_ABSENT:
                    gaps.add(("not required", f"{where}.{key}"))
                contract_gaps(schema, properties[key], sub, f"{where}.{key}", gaps)
            elif isinstance(extra, dict):
                contract_gaps(schema, extra, sub, f"{where}.*", gaps)
    elif isinstance(value, list) and "items" in node:
        for item in value:
            contract_gaps(schema, node["items"], item, f"{where}[]", gaps)
    return gaps


def walk_staff_api(schema, client):
    """GET every list and detail operation of /api/v1/ (details: the first rows of the
    list) and compare each JSON answer with the schema. → (gaps, number of answers)."""
    gaps, answers = set(), 0
    paths = schema["paths"]
    ids = {}
    for path in sorted(paths):
        if not path.startswith("/api/v1/") or "{" in path or "get" not in paths[path]:
            continue
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        body = response.json()
        node = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        contract_gaps(schema, node, body, path, gaps)
        answers += 1
        rows = body.get("results", []) if isinstance(body, dict) else []
        ids[path] = [row["id"] for row in rows if isinstance(row, dict) and "id" in row][:5]
    for path in sorted(paths):
        collection = path.removesuffix("{id}/")
        if path == collection or "get" not in paths[path]:
            continue
        node = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        for pk in ids.get(collection, []):
            response = client.get(f"{collection}{pk}/")
            assert response.status_code == 200, (path, pk)
            contract_gaps(schema, node, response.json(), path, gaps)
            answers += 1
    return gaps, answers


@pytest.fixture
def demo(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests-1")
    call_command("seed_demo", stdout=io.StringIO())


def test_every_observed_field_is_required_and_every_observed_null_allowed(schema, demo, api):
    """As the administrator over the demo data: every property present in an answer of
    the staff API's lists and details is required in its component, every required one
    is present, every null seen is allowed there."""
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    gaps, answers = walk_staff_api(schema, api(admin))
    assert answers >= 40
    assert sorted(gaps) == []


def test_an_indicator_without_dimensions_answers_empty_breakdowns(schema, indicator, as_admin):
    """Found by make fuzz: ``breakdowns`` is ``{}`` for an indicator without
    dimensions, so its keys may be absent."""
    response = as_admin.get(f"/api/v1/indicators/{indicator.pk}/")
    assert response.status_code == 200 and response.json()["breakdowns"] == {}
    node = schema["paths"]["/api/v1/indicators/{id}/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert contract_gaps(schema, node["schema"], response.json(), "IndicatorDetail", set()) == set()
