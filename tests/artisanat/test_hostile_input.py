"""Hostile input, everywhere a client can type or send something: API bodies, query
parameters, page forms, CSV/XLSX import. NUL bytes, 10,000-character strings, numbers
beyond a field's digits, impossible dates, right-to-left and combining Unicode,
50 MB uploads (413 by ARTISANAT_REQUEST_MAX_BYTES; the evidence's types and own size
limit: tests/artisanat/test_documents.py), spreadsheet formulas.

Each case has its answer: 400 naming the field and the reason, or the value stored and
returned exactly as sent; never a 500, never a silently altered value."""

import datetime as dt
import io
import unicodedata
from decimal import Decimal as D

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from artisanat.request_limits import RequestSizeLimitMiddleware
from config.wsgi import application
from contracts.models import Amendment, Commitment, ContratProgramme, Milestone, Party
from strategy.models import Measurement, Target
from tests.api_fixtures import last_history

API = "/api/v1"
LONG = "x" * 10_000
NUL = "avant\x00après"
ARABIC = "غرفة الصناعة التقليدية لجهة مراكش-آسفي"  # right to left
COMBINING = "Fe\u0300s-Me\u0301knes e\u0301\u0301\u0301 Z\u0337\u0351a\u0336\u0301"  # decomposed accents, stacked marks
RTL_MIXED = "\u202etxet desrever\u202c و 12,5 %"  # RTL override mark inside text, kept as data
MB50 = 50 * 1024 * 1024
REASON = "Saisie (test)"  # every creation but a measurement's carries its reason


# ---------------------------------------------------------------- writable text fields


def _measurement(ctx):
    return (
        "measurements",
        ctx["as_partner_a"],
        {"indicator": ctx["indicator"].pk, "period_start": "2024-01-01", "period_end": "2024-12-31", "value": "42"},
        Measurement,
        ["source"],
    )


def _target(ctx):
    return (
        "targets",
        ctx["as_admin"],
        {"indicator": ctx["indicator"].pk, "due_date": "2027-12-31", "value": "500", "change_reason": REASON},
        Target,
        ["source"],
    )


def _contract(ctx):
    return (
        "contracts",
        ctx["as_admin"],
        {
            "reference": "CP-HOSTILE",
            "title": "Contrat",
            "kind": "transversal",
            "phase": ctx["phases"][0].pk,
            "start_date": "2021-07-26",
            "end_date": "2025-12-31",
            "signing_date": "2021-07-26",
            "status": "in_execution",
            "change_reason": REASON,
        },
        ContratProgramme,
        ["reference", "title", "title_ar", "source"],
    )


def _party(ctx):
    return (
        "parties",
        ctx["as_admin"],
        {"contract": ctx["contract_a"].pk, "organisation": ctx["org_b"].pk, "role": "funder", "change_reason": REASON},
        Party,
        ["signer_name", "signer_title"],
    )


def _commitment(ctx):
    return (
        "commitments",
        ctx["as_admin"],
        {"party": ctx["party_a"].pk, "year": 2023, "amount": "1000.00", "change_reason": REASON},
        Commitment,
        ["note"],
    )


def _milestone(ctx):
    return (
        "milestones",
        ctx["as_admin"],
        {
            "contract": ctx["contract_a"].pk,
            "title": "Jalon",
            "responsible": ctx["org_a"].pk,
            "due_date": "2024-06-30",
            "change_reason": REASON,
        },
        Milestone,
        ["title", "note"],
    )


def _amendment(ctx):
    return (
        "amendments",
        ctx["as_admin"],
        {
            "contract": ctx["contract_a"].pk,
            "number": 2,
            "date": "2024-01-15",
            "reason": "Report",
            "summary": "Dates",
            "changes_dates": True,
            "change_reason": REASON,
        },
        Amendment,
        ["reason", "summary"],
    )


RESOURCES = [_measurement, _target, _contract, _party, _commitment, _milestone, _amendment]


@pytest.fixture
def ctx(as_admin, as_partner_a, indicator, phases, contract_a, party_a, org_a, org_b, editor):
    return locals()


def _writable_text_fields(model, body_fields):
    """The model's text columns that the resource's body carries (checked against the
    list each resource declares, so a new text field cannot be forgotten here)."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField)) and not f.choices and f.name in body_fields
    ]


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.__name__.strip("_"))
def test_valid_body_is_accepted(ctx, resource):
    """The bodies the hostile cases start from are themselves valid."""
    name, client, body, model, _ = resource(ctx)
    response = client.post(f"{API}/{name}/", body, format="json")
    assert response.status_code == 201, response.content
    assert model.objects.filter(pk=response.json()["id"]).exists()


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.__name__.strip("_"))
def test_ten_thousand_characters_in_every_text_field(ctx, resource):
    name, client, body, model, fields = resource(ctx)
    serializer_fields = set(client.options(f"{API}/{name}/").json().get("actions", {}).get("POST", {})) or set(fields)
    assert set(fields) <= set(_writable_text_fields(model, serializer_fields | set(fields)))
    for field in fields:
        before = model.objects.count()
        response = client.post(f"{API}/{name}/", {**body, field: LONG}, format="json")
        max_length = model._meta.get_field(field).max_length
        if max_length is not None and max_length < len(LONG):
            assert response.status_code == 400, (field, response.content)
            reason = response.json()["details"][field][0]
            assert str(max_length) in reason, reason
            assert model.objects.count() == before
        else:
            assert response.status_code == 201, (field, response.content)
            stored = model.objects.get(pk=response.json()["id"])
            assert getattr(stored, field) == LONG
            assert response.json()[field] == LONG
            stored.delete()


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.__name__.strip("_"))
def test_nul_byte_in_every_text_field_is_refused(ctx, resource):
    name, client, body, model, fields = resource(ctx)
    before = model.objects.count()
    for field in fields:
        response = client.post(f"{API}/{name}/", {**body, field: NUL}, format="json")
        assert response.status_code == 400, (field, response.content)
        assert response.json()["code"] == "invalid"
        assert response.json()["details"][field], response.content
    assert model.objects.count() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.__name__.strip("_"))
@pytest.mark.parametrize("text", [ARABIC, COMBINING, RTL_MIXED], ids=["arabic", "combining", "rtl-override"])
def test_right_to_left_and_combining_unicode_stored_and_returned_intact(ctx, resource, text):
    name, client, body, model, fields = resource(ctx)
    field = fields[-1]
    max_length = model._meta.get_field(field).max_length or 10_000
    response = client.post(f"{API}/{name}/", {**body, field: text[:max_length]}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    stored = getattr(model.objects.get(pk=pk), field)
    assert stored == text[:max_length]
    # Not normalised: decomposed accents stay decomposed.
    assert unicodedata.is_normalized("NFD", stored) == unicodedata.is_normalized("NFD", text[:max_length])
    assert client.get(f"{API}/{name}/{pk}/").json()[field] == text[:max_length]


def test_change_reason_longer_than_the_history_column_is_a_400_not_a_database_error(as_partner_a, indicator):
    """The history keeps the reason in a 100-character column: the API says so instead
    of letting PostgreSQL refuse the insert (a 500)."""
    body = {"indicator": indicator.pk, "period_start": "2024-01-01", "period_end": "2024-12-31", "value": "1"}
    response = as_partner_a.post(f"{API}/measurements/", {**body, "change_reason": "r" * 101}, format="json")
    assert response.status_code == 400, response.content
    assert "100" in response.json()["details"]["change_reason"][0]
    assert not Measurement.objects.exists()
    response = as_partner_a.post(f"{API}/measurements/", {**body, "change_reason": "r" * 100}, format="json")
    assert response.status_code == 201
    assert last_history(Measurement.objects.get()).history_change_reason == "r" * 100


def test_long_return_reason_is_kept_whole_on_the_measurement(as_validator, submitted_a):
    """A return reason up to 2,000 characters: the measurement keeps it whole, the
    history row's reason column keeps what it holds (100 characters, ending with "…"),
    no database error on PostgreSQL; beyond 2,000 a 400 naming ``reason``."""
    reason = ("motif " * 300).strip()
    url = f"{API}/measurements/{submitted_a.pk}/return/"
    response = as_validator.post(
        url, {"reason": "Valeur à revoir" * 2001}, format="json", HTTP_IF_MATCH=f'"{submitted_a.version}"'
    )
    assert response.status_code == 400, response.content
    assert "2000" in response.json()["details"]["reason"][0].replace("\u202f", "").replace(" ", "")
    response = as_validator.post(url, {"reason": reason}, format="json", HTTP_IF_MATCH=f'"{submitted_a.version}"')
    assert response.status_code == 200, response.content
    submitted_a.refresh_from_db()
    assert submitted_a.status_reason == reason
    assert response.json()["status_reason"] == reason
    history = last_history(submitted_a)
    assert history.status_reason == reason
    assert len(history.history_change_reason) <= 100 and history.history_change_reason.endswith("…")


# ---------------------------------------------------------------- numbers and dates


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1" * 16, "15"),  # at most 15 significant digits (artisanat.api.serializers.PORTABLE_DIGITS)
        ("1.12345", "4"),  # five decimals
        ("1" * 12, "11"),  # 15 digits, 4 after the point: 11 before
        ("1e400", None),
        ("NaN", None),
        ("Infinity", None),
        ("-0.00001", None),
    ],
)
def test_numbers_beyond_the_fields_digits_are_a_400_naming_the_field(as_partner_a, indicator, value, reason):
    body = {"indicator": indicator.pk, "period_start": "2024-01-01", "period_end": "2024-12-31", "value": value}
    response = as_partner_a.post(f"{API}/measurements/", body, format="json")
    assert response.status_code == 400, response.content
    message = response.json()["details"]["value"][0]
    if reason:
        assert reason in message, message
    assert not Measurement.objects.exists()


def test_amount_beyond_its_digits_is_a_400(as_admin, party_a):
    for amount in ("1" * 17, "9" * 16 + ".99", "1.001", "9" * 40):
        response = as_admin.post(f"{API}/commitments/", {"party": party_a.pk, "year": 2023, "amount": amount})
        assert response.status_code == 400, response.content
        assert response.json()["details"]["amount"]
    # The largest amount the API takes comes back exactly, figures of its contract included.
    response = as_admin.post(
        f"{API}/commitments/", {"party": party_a.pk, "year": 2023, "amount": "9" * 13 + ".99", "change_reason": REASON}
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "9" * 13 + ".99"
    assert Commitment.objects.get(pk=response.json()["id"]).amount == D("9" * 13 + ".99")
    contract = as_admin.get(f"{API}/contracts/{party_a.contract_id}/").json()
    assert D(contract["committed"]) == D("9" * 13 + ".99")


@pytest.mark.parametrize("date", ["0000-00-00", "2021-02-30", "2021-13-01", "99999-01-01", "2021-1-1x", "\x00"])
def test_impossible_dates_are_a_400_naming_the_field(as_partner_a, indicator, date):
    body = {"indicator": indicator.pk, "period_start": date, "period_end": "2024-12-31", "value": "1"}
    response = as_partner_a.post(f"{API}/measurements/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["details"]["period_start"]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"as_of": "0000-00-00"},
        {"as_of": "2021-02-30"},
        {"as_of": "9" * 10_000},
        {"as_of": "2021-01-01\x00"},
        {"axis": "1" * 40},
        {"axis": "-1"},
        {"axis_number": "\x00"},
        {"page": "0"},
        {"page": "9" * 400},
        {"ordering": "\x00"},
        {"ordering": "x" * 10_000},
    ],
    ids=lambda q: f"{next(iter(q))}={next(iter(q.values()))[:12]!r}",
)
def test_hostile_query_parameters_on_the_indicator_list_are_a_400_naming_the_parameter(as_admin, world, query):
    response = as_admin.get(f"{API}/indicators/", query)
    assert response.status_code in (400, 404), response.content  # 404: a page beyond the last
    body = response.json()
    assert body["code"] in ("invalid", "not_found")
    if response.status_code == 400:
        assert set(body["details"]) & set(query), body


@pytest.mark.parametrize(
    "text",
    [ARABIC, COMBINING, LONG, NUL, "' OR 1=1 --", "%", "_", "\\"],
    ids=["ar", "comb", "long", "nul", "sql", "%", "_", "bs"],
)
def test_hostile_search_text_is_answered_not_crashed(as_admin, world, text):
    response = as_admin.get(f"{API}/indicators/", {"q": text})
    if "\x00" in text:
        assert response.status_code == 400
        assert "q" in response.json()["details"]
    else:
        assert response.status_code == 200, response.content
        assert response.json()["results"] == [] or text in ("%", "_")


# ---------------------------------------------------------------- pages


def test_measurement_form_refuses_nul_long_and_impossible_values_with_the_field(client, partner_a, indicator):
    client.force_login(partner_a)
    url = reverse("strategy:measurement_create")
    base = {"indicator": indicator.pk, "period": "2024-01-01/2024-12-31", "value": "3"}
    for field, value in [
        ("source", NUL),
        ("value", "1" * 17),
        ("value", "1.12345"),
        ("period", "0000-00-00/2024-12-31"),
        ("period", "2021-02-30/2021-12-31"),
    ]:
        response = client.post(url, {**base, field: value})
        assert response.status_code == 200, (field, value, response.status_code)  # the form again, with errors
        assert field in response.context["form"].errors, (field, value)
    assert not Measurement.objects.exists()
    response = client.post(url, {**base, "source": LONG + ARABIC + COMBINING})
    assert response.status_code == 302
    assert Measurement.objects.get().source == LONG + ARABIC + COMBINING


def test_measurement_list_page_with_hostile_query_is_not_a_500(client, viewer, world):
    client.force_login(viewer)
    for query in ({"as_of": "0000-00-00"}, {"q": NUL}, {"q": LONG}, {"page": "9" * 400}, {"indicator": "\x00"}):
        response = client.get(reverse("strategy:measurement_list"), query)
        assert response.status_code in (200, 400, 404), (query, response.status_code)


# ---------------------------------------------------------------- 50 MB


class Zeros(io.RawIOBase):
    """A request body of ``size`` bytes that is produced as it is read (no 50 MB in
    memory) and remembers how much was read."""

    def __init__(self, size, byte=b"0"):
        self.left = size
        self.byte = byte
        self.read_bytes = 0

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= n
        self.read_bytes += n
        return self.byte * n

    def readline(self, limit=-1):
        return self.read(limit if limit and limit > 0 else 1024)


def _wsgi(path, *, body, content_type, length=None, chunked=False, headers=None, method="POST"):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "CONTENT_TYPE": content_type,
        "wsgi.input": body,
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ.update(headers or {})
    status = {}

    def start_response(line, response_headers, exc_info=None):
        status["code"] = int(line.split()[0])
        status["headers"] = dict(response_headers)

    content = b"".join(application(environ, start_response))
    return status["code"], status["headers"], content


@pytest.fixture
def token(partner_a):
    from artisanat.accounts.services import issue_token

    return issue_token(partner_a)[1]


@pytest.mark.usefixtures("keep_test_connection")
@pytest.mark.parametrize(
    ("content_type", "path"),
    [
        ("text/csv", "/api/v1/measurements/bulk/"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "/api/v1/measurements/bulk/"),
        ("application/json", "/api/v1/measurements/bulk/"),
        ("multipart/form-data; boundary=xyz", "/api/v1/measurements/bulk/"),
        ("application/json", "/api/v1/measurements/"),
    ],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_fifty_megabytes_to_the_api_is_a_413_with_the_error_shape(
    settings, indicator, token, content_type, path, chunked
):
    body = Zeros(MB50)
    code, headers, content = _wsgi(
        path,
        body=body,
        content_type=content_type,
        length=None if chunked else MB50,
        chunked=chunked,
        headers={"HTTP_AUTHORIZATION": f"Token {token}"},
    )
    assert code == 413, content[:300]
    import json

    error = json.loads(content)
    limit = settings.REQUEST_MAX_BYTES
    assert error["code"] == "too_large"
    assert error["max_bytes"] == limit
    assert str(limit) in error["message"] and error["details"]["body"]
    # Refused before reading: nothing with a Content-Length, at most the limit when chunked.
    assert body.read_bytes == (0 if not chunked else limit + 1)
    assert not Measurement.objects.exists()


@pytest.mark.usefixtures("keep_test_connection")
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_fifty_megabytes_to_the_measurement_form_is_a_413_page(settings, indicator, chunked):
    body = Zeros(MB50)
    code, headers, content = _wsgi(
        reverse("strategy:measurement_create"),
        body=body,
        content_type="multipart/form-data; boundary=xyz",
        length=None if chunked else MB50,
        chunked=chunked,
    )
    assert code == 413
    assert headers["Content-Type"].startswith("text/html")
    assert str(settings.REQUEST_MAX_BYTES).encode() in content or b"octets" in content
    assert body.read_bytes <= settings.REQUEST_MAX_BYTES + 1


def test_a_real_fifty_megabyte_file_through_the_test_client_is_a_413(client, partner_a, indicator):
    """The same with a real multipart body (a 50 MB evidence file on the page)."""
    client.force_login(partner_a)
    upload = io.BytesIO(b"%PDF-1.4\n" + b"0" * MB50)
    upload.name = "preuve.pdf"
    response = client.post(
        reverse("strategy:measurement_create"),
        {
            "indicator": indicator.pk,
            "period": "2024-01-01/2024-12-31",
            "value": "3",
            "evidence": upload,
        },
    )
    assert response.status_code == 413
    assert not Measurement.objects.exists()


@pytest.mark.usefixtures("keep_test_connection")
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_fifty_megabytes_of_evidence_to_the_api_is_a_413(settings, draft_a, token, chunked):
    body = Zeros(MB50)
    code, headers, content = _wsgi(
        f"/api/v1/measurements/{draft_a.pk}/evidence/",
        method="PUT",
        body=body,
        content_type="multipart/form-data; boundary=xyz",
        length=None if chunked else MB50,
        chunked=chunked,
        headers={"HTTP_AUTHORIZATION": f"Token {token}", "HTTP_IF_MATCH": f'"{draft_a.version}"'},
    )
    assert code == 413, content[:300]
    assert b'"too_large"' in content
    assert body.read_bytes == (0 if not chunked else settings.REQUEST_MAX_BYTES + 1)
    draft_a.refresh_from_db()
    assert not draft_a.evidence


def test_small_chunked_body_reaches_the_view_whole(keep_test_connection, indicator, token):
    """Below the limit, a chunked body (no Content-Length) is read and handed on: the
    bulk CSV is imported, not seen as empty."""
    text = b"indicator,period_start,period_end,value,source\nIND-FORM,2021-01-01,2021-12-31,7,Registre\n"
    code, _, content = _wsgi(
        "/api/v1/measurements/bulk/",
        body=io.BytesIO(text),
        content_type="text/csv",
        chunked=True,
        headers={"HTTP_AUTHORIZATION": f"Token {token}"},
    )
    assert code == 201, content
    assert Measurement.objects.get().source == "Registre"


def test_under_the_request_limit_the_bulk_file_limit_still_applies(as_partner_a, indicator, settings):
    settings.API_BULK_MAX_BYTES = 2048
    text = "indicator,period_start,period_end,value\n" + "IND-FORM,2021-01-01,2021-12-31,1\n" * 100
    response = as_partner_a.generic("POST", f"{API}/measurements/bulk/", text.encode(), content_type="text/csv")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_the_limit_is_read_from_the_environment_and_must_hold_the_bulk_limit(monkeypatch):
    import importlib

    import config.settings as settings_module

    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.setenv("ARTISANAT_REQUEST_MAX_BYTES", "20000000")
    assert importlib.reload(settings_module).REQUEST_MAX_BYTES == 20_000_000
    monkeypatch.setenv("ARTISANAT_REQUEST_MAX_BYTES", "1000000")
    monkeypatch.setenv("ARTISANAT_API_BULK_MAX_BYTES", "2000000")
    with pytest.raises(ImproperlyConfigured, match="ARTISANAT_REQUEST_MAX_BYTES"):
        importlib.reload(settings_module)
    monkeypatch.setenv("ARTISANAT_REQUEST_MAX_BYTES", "lots")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        importlib.reload(settings_module)
    monkeypatch.delenv("ARTISANAT_REQUEST_MAX_BYTES")
    monkeypatch.delenv("ARTISANAT_API_BULK_MAX_BYTES")
    importlib.reload(settings_module)


@override_settings(REQUEST_MAX_BYTES=1000)
def test_middleware_lets_a_body_at_the_limit_through_and_refuses_one_byte_more(rf):
    seen = []

    def view(request):
        seen.append(request.body)
        from django.http import HttpResponse

        return HttpResponse("ok")

    middleware = RequestSizeLimitMiddleware(view)
    assert middleware(rf.post("/api/v1/x/", b"a" * 1000, content_type="text/plain")).status_code == 200
    assert seen == [b"a" * 1000]
    assert middleware(rf.post("/api/v1/x/", b"a" * 1001, content_type="text/plain")).status_code == 413
    assert len(seen) == 1


# ---------------------------------------------------------------- spreadsheets


FORMULAS = ['=HYPERLINK("http://x","clic")', "+1+2", "-2+3", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"]


def test_csv_import_stores_formulas_inert_and_the_export_neutralises_them(as_partner_a, indicator):
    lines = ["indicator,period_start,period_end,value,source"]
    for month, formula in enumerate(FORMULAS, start=1):
        quoted = '"' + formula.replace('"', '""') + '"'
        lines.append(f"IND-FORM,{2020 + month}-01-01,{2020 + month}-12-31,{month},{quoted}")
    response = as_partner_a.generic(
        "POST", f"{API}/measurements/bulk/", ("\n".join(lines) + "\n").encode(), content_type="text/csv"
    )
    assert response.status_code == 201, response.content
    # Stored as text, exactly as sent: the data is not rewritten...
    assert sorted(Measurement.objects.values_list("source", flat=True)) == sorted(FORMULAS)
    # ...and no export hands it to a spreadsheet as a formula.
    csv_text = as_partner_a.get(f"{API}/measurements/", {"format": "csv"}).content.decode("utf-8-sig")
    for formula in FORMULAS:
        assert "'" + formula.replace('"', '""') in csv_text, formula
        for line in csv_text.splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(("=", "+", "@")) or cell.strip('"').startswith("'")
    xlsx = as_partner_a.get(f"{API}/measurements/", {"format": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    for formula in FORMULAS:
        assert "'" + formula in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_formula_in_a_numeric_or_date_cell_is_a_row_error(as_partner_a, indicator):
    text = (
        "indicator,period_start,period_end,value\n"
        "IND-FORM,2021-01-01,2021-12-31,=1+1\n"
        "IND-FORM,=TODAY(),2022-12-31,3\n"
        "=IND-FORM,2023-01-01,2023-12-31,3\n"
    )
    response = as_partner_a.generic("POST", f"{API}/measurements/bulk/", text.encode(), content_type="text/csv")
    assert response.status_code == 400, response.content
    rows = response.json()["details"]["rows"]
    assert {(r["row"], r["field"]) for r in rows} >= {(1, "value"), (2, "period_start"), (3, "indicator")}
    assert not Measurement.objects.exists()


def test_xlsx_import_with_formula_cells_is_refused_or_inert(as_partner_a, indicator):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["indicator", "period_start", "period_end", "value", "source"])
    sheet.append(["IND-FORM", dt.date(2021, 1, 1), dt.date(2021, 12, 31), "=2*3", "ok"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "formules.xlsx"
    response = as_partner_a.post(f"{API}/measurements/bulk/", {"file": upload}, format="multipart")
    # A formula is never evaluated into a value: the row is refused on its value.
    assert response.status_code == 400, response.content
    assert response.json()["details"]["rows"][0]["field"] == "value"
    assert not Measurement.objects.exists()

    sheet.append(["IND-FORM", dt.date(2022, 1, 1), dt.date(2022, 12, 31), 4, '=HYPERLINK("http://x")'])
    sheet.delete_rows(2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "formules.xlsx"
    response = as_partner_a.post(f"{API}/measurements/bulk/", {"file": upload}, format="multipart")
    # A formula where text is expected is kept as its text, inert (exports neutralise it).
    assert response.status_code == 201, response.content
    assert Measurement.objects.get().source == '=HYPERLINK("http://x")'
    csv_text = as_partner_a.get(f"{API}/measurements/", {"format": "csv"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        ("\x00", "value"),
        ("1" * 17, "value"),
        ("0000-00-00", "period_start"),
        ("2021-02-30", "period_start"),
    ],
)
def test_csv_rows_with_hostile_cells_are_row_errors(as_partner_a, indicator, cell, field):
    row = {"indicator": "IND-FORM", "period_start": "2021-01-01", "period_end": "2021-12-31", "value": "1"}
    row[field] = cell
    text = "indicator,period_start,period_end,value\n" + ",".join(row.values()) + "\n"
    response = as_partner_a.generic("POST", f"{API}/measurements/bulk/", text.encode(), content_type="text/csv")
    assert response.status_code == 400, response.content
    details = response.json()["details"]
    if "\x00" in cell:  # the whole file is refused, with the reason
        assert details["file"] == ["Caractère NUL interdit."]
    else:
        assert details["rows"][0]["field"] == field
    assert not Measurement.objects.exists()


def test_page_size_beyond_the_maximum_is_capped(as_admin, world, settings):
    response = as_admin.get(f"{API}/indicators/", {"page_size": "9" * 400})
    assert response.status_code == 200
    assert len(response.json()["results"]) <= settings.API_MAX_PAGE_SIZE


def test_csv_source_with_nul_long_arabic_and_combining_text(as_partner_a, indicator):
    text = (
        "indicator,period_start,period_end,value,source\n"
        f"IND-FORM,2021-01-01,2021-12-31,1,{ARABIC}\n"
        f"IND-FORM,2022-01-01,2022-12-31,1,{COMBINING}\n"
        f"IND-FORM,2023-01-01,2023-12-31,1,{LONG[:2000]}\n"
    )
    response = as_partner_a.generic("POST", f"{API}/measurements/bulk/", text.encode(), content_type="text/csv")
    assert response.status_code == 201, response.content
    assert sorted(Measurement.objects.values_list("source", flat=True)) == sorted([ARABIC, COMBINING, LONG[:2000]])
    # The bulk source column holds 2,000 characters: beyond, a row error with the reason.
    response = as_partner_a.generic(
        "POST",
        f"{API}/measurements/bulk/",
        f"indicator,period_start,period_end,value,source\nIND-FORM,2025-01-01,2025-12-31,1,{LONG}\n".encode(),
        content_type="text/csv",
    )
    assert response.status_code == 400, response.content
    assert response.json()["details"]["rows"][0]["field"] == "source"
    assert "2000" in response.json()["details"]["rows"][0]["reason"]
    response = as_partner_a.generic(
        "POST",
        f"{API}/measurements/bulk/",
        b"indicator,period_start,period_end,value,source\nIND-FORM,2024-01-01,2024-12-31,1,a\x00b\n",
        content_type="text/csv",
    )
    assert response.status_code == 400, response.content
    assert response.json()["details"] == {"file": ["Caractère NUL interdit."]}
    assert Measurement.objects.count() == 3


@pytest.mark.parametrize(
    ("path", "param", "good"),
    [
        ("organisations", "kind", "federation"),
        ("contracts", "status", "in_execution"),
        ("milestones", "status", "scheduled"),
        ("parties", "role", "implementer"),
    ],
)
def test_empty_choice_filter_is_a_400_naming_it(as_admin, world, path, param, good):
    """Found by `make fuzz`: ?kind= (empty, outside the schema's enum) listed everything."""
    response = as_admin.get(f"{API}/{path}/", {param: ""})
    assert response.status_code == 400, response.content
    assert param in response.json()["details"]
    assert as_admin.get(f"{API}/{path}/", {param: good}).status_code == 200


# ---------------------------------------------------------------- JSON bodies


DEEP = ["[" * 5000, '{"rows":' * 5000, '{"a": ' * 3000 + "1" + "}" * 3000, "[" * 33 + "]" * 33]


@pytest.mark.parametrize("body", DEEP, ids=["brackets", "objects", "closed-objects", "33-levels"])
@pytest.mark.parametrize(
    ("who", "path"),
    [("as_partner_a", "/measurements/bulk/"), ("as_partner_a", "/measurements/"), ("as_admin", "/targets/")],
)
def test_deeply_nested_json_is_a_400_in_the_api_shape(request, indicator, caplog, who, path, body):
    client = request.getfixturevalue(who)
    response = client.generic("POST", f"{API}{path}", body.encode(), content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    error = response.json()
    assert (error["code"], error["details"]["body"]) == ("parse_error", [error["message"]])
    assert "32" in error["message"]  # names the limit
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not Measurement.objects.exists()


def test_json_nesting_an_endpoint_reads_is_accepted(as_partner_a, indicator):
    rows = [{"indicator": "IND-FORM", "period_start": "2021-01-01", "period_end": "2021-12-31", "value": "1"}]
    rows[0]["note"] = [[[[["ignored"]]]]]
    response = as_partner_a.post(f"{API}/measurements/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 201, response.content


def test_a_json_bulk_of_three_megabytes_is_accepted(as_partner_a, make_indicator, org_a, settings):
    """The documented limit (ARTISANAT_API_BULK_MAX_BYTES, 5 MB) holds for JSON too, not
    Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE (an HTML 400 before)."""
    import json

    from strategy.periods import periods_between

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= settings.API_BULK_MAX_BYTES == 5 * 1024 * 1024
    # 500 rows: one hundred months on each of five monthly indicators.
    for n in range(5):
        make_indicator(code=f"IND-MOIS-{n}", frequency="monthly", reporters=[org_a])
    months = periods_between("monthly", dt.date(2021, 1, 1), dt.date(2029, 4, 30))
    assert len(months) == 100
    rows = [
        {
            "indicator": f"IND-MOIS-{i // 100}",
            "period_start": months[i % 100].start.isoformat(),
            "period_end": months[i % 100].end.isoformat(),
            "value": "1",
            "source": "s" * 2000,
            "note": "n" * 4200,  # not a column: ignored
        }
        for i in range(500)
    ]
    body = json.dumps(rows)
    assert 3_100_000 < len(body) < settings.API_BULK_MAX_BYTES
    response = as_partner_a.generic("POST", f"{API}/measurements/bulk/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    assert Measurement.objects.count() == 500


def test_a_json_bulk_beyond_the_bulk_limit_is_a_413_naming_it(as_partner_a, indicator, settings):
    settings.API_BULK_MAX_BYTES = 4096
    body = '{"rows": [' + ",".join(['{"indicator": "IND-FORM"}'] * 300) + "]}"
    response = as_partner_a.generic("POST", f"{API}/measurements/bulk/", body, content_type="application/json")
    assert response.status_code == 413, response.content[:300]
    error = response.json()
    assert (error["code"], error["max_bytes"]) == ("too_large", 4096)
    assert "4096" in error["message"] and error["details"]["body"]


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_beyond_django_memory_limit_is_a_413_in_the_api_shape(as_partner_a, indicator, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"source": "' + "x" * 20_000 + '"}' if content_type == "application/json" else "source=" + "x" * 20_000
    for path in ("/measurements/", "/auth/token/") if content_type == "application/json" else ("/auth/token/",):
        response = as_partner_a.generic("POST", f"{API}{path}", body, content_type=content_type)
        assert response.status_code == 413, (path, response.content[:300])
        assert response["Content-Type"] == "application/json"
        error = response.json()
        assert (error["code"], error["max_bytes"]) == ("too_large", 10_000)
        assert "10000" in error["message"]


def test_every_api_operation_reads_json_with_the_guarded_parser():
    """No view or action falls back to DRF's own JSONParser (a RecursionError there is a
    500): the review found the document actions doing so."""
    from django.urls import get_resolver
    from rest_framework import parsers

    from artisanat.api.parsers import JSONParser

    seen = []

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns)
                continue
            view = getattr(pattern.callback, "cls", None)
            if view is None:
                continue
            actions = getattr(pattern.callback, "actions", None) or {}
            for handler in {*actions.values(), "dispatch"}:
                method = getattr(view, handler, None)
                classes = list((getattr(method, "kwargs", None) or {}).get("parser_classes") or view.parser_classes)
                seen.append(view.__name__)
                assert parsers.JSONParser not in classes or JSONParser in classes, (view.__name__, handler, classes)
                assert not any(c is parsers.JSONParser for c in classes), (view.__name__, handler, classes)

    walk(get_resolver().url_patterns)
    assert {"MeasurementViewSet", "ContractViewSet", "TokenView"} <= set(seen)


def test_deeply_nested_json_to_a_document_action_is_a_400(as_partner_a, draft_a):
    response = as_partner_a.generic(
        "DELETE",
        f"{API}/measurements/{draft_a.pk}/evidence/",
        ("[" * 5000 + "]" * 5000).encode(),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{draft_a.version}"',
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "parse_error"
