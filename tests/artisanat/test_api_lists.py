"""Every list endpoint: readable by every role, closed to anonymous and role-less users,
a constant number of queries whatever the number of rows, strict parameters (400
naming the parameter, never 500), JSON errors and CSV / XLSX exports."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal as D
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from artisanat.models import Filiere, Organisation, Region
from contracts.models import Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy.choices import MeasurementStatus
from strategy.models import Action, Axis, Indicator, Measurement, Phase, Programme, Strategy, Target
from tests.api_fixtures import monthly_periods
from tests.conftest import PASSWORD

LISTS = [
    "regions",
    "filieres",
    "organisations",
    "strategies",
    "phases",
    "axes",
    "programmes",
    "actions",
    "indicators",
    "targets",
    "measurements",
    "contracts",
    "parties",
    "commitments",
    "disbursements",
    "milestones",
    "amendments",
]


def url(name):
    return f"/api/v1/{name}/"


def grow(name, count, ctx):
    """Add ``count`` more rows to the list ``name`` (cloning the fixture row)."""
    strategy, indicator, org_a = ctx["strategy"], ctx["indicator"], ctx["org_a"]
    for n in range(count):
        if name == "regions":
            Region.objects.get_or_create(code=f"{n + 1:02d}", defaults={"name": f"R{n}"})
        elif name == "filieres":
            Filiere.objects.create(code=f"f-{n}", name=f"F{n}")
        elif name == "organisations":
            Organisation.objects.create(name=f"Org {n}", acronym=f"O{n}", kind="autre", region=ctx["region"])
        elif name == "strategies":
            Strategy.objects.create(name=f"S{n}", start_date=dt.date(2000, 1, 1), end_date=dt.date(2001, 1, 1))
        elif name == "phases":
            # Phases are scored at their end dates (one indicator query per distinct date, a handful
            # at most): the new rows share the Relance phase's end date.
            s = Strategy.objects.create(name=f"SP{n}", start_date=dt.date(2021, 1, 1), end_date=dt.date(2023, 1, 1))
            Phase.objects.create(
                strategy=s,
                code="relance",
                name="x",
                order=1,
                start_date=dt.date(2021, 1, 1),
                end_date=dt.date(2022, 12, 31),
            )
        elif name == "axes":
            axis = Axis.objects.create(strategy=strategy, number=10 + n, title=f"A{n}")
            Indicator.objects.create(
                code=f"AX-{n}",
                name="x",
                axis=axis,
                unit="count",
                aggregation="sum",
                baseline_value=0,
                baseline_date=dt.date(2020, 12, 31),
                baseline_source="t",
            )
        elif name == "programmes":
            p = Programme.objects.create(axis=ctx["axis"], code=f"P{n}", title="x")
            Indicator.objects.create(
                code=f"PR-{n}",
                name="x",
                axis=ctx["axis"],
                programme=p,
                unit="count",
                aggregation="sum",
                baseline_value=0,
                baseline_date=dt.date(2020, 12, 31),
                baseline_source="t",
            )
        elif name == "actions":
            a = ctx["action"]
            Action.objects.create(
                programme=a.programme,
                code=f"AC{n}",
                title="x",
                lead_organisation=org_a,
                phase=a.phase,
                start_date=a.start_date,
                end_date=a.end_date,
            )
        elif name == "indicators":
            i = Indicator.objects.create(
                code=f"IN-{n}",
                name="x",
                axis=ctx["axis"],
                unit="count",
                aggregation="sum",
                baseline_value=0,
                baseline_date=dt.date(2020, 12, 31),
                baseline_source="t",
            )
            i.reporting_organisations.set([org_a])
        elif name == "targets":
            Target.objects.create(indicator=indicator, due_date=dt.date(2021, 1, 1) + dt.timedelta(days=n + 1), value=1)
        elif name == "measurements":
            # One calendar month each, on a monthly indicator (the fixture's is yearly).
            monthly, _ = Indicator.objects.get_or_create(
                code="IN-MOIS",
                defaults={
                    "name": "Mensuel",
                    "axis": ctx["axis"],
                    "unit": "count",
                    "aggregation": "sum",
                    "baseline_value": 0,
                    "baseline_date": dt.date(2020, 12, 31),
                    "baseline_source": "t",
                    "frequency": "monthly",
                },
            )
            monthly.reporting_organisations.add(org_a)
            month = Measurement.objects.filter(indicator=monthly).count()
            start, end = list(monthly_periods(month + 1))[month]
            Measurement.objects.create(
                indicator=monthly,
                period_start=start,
                period_end=end,
                value=1,
                organisation=org_a,
                status=MeasurementStatus.VALIDATED,
            )
        elif name in ("contracts", "parties"):
            c = ContratProgramme.objects.create(
                reference=f"C{n}",
                title="x",
                kind="transversal",
                phase=ctx["phases"][0],
                start_date=dt.date(2021, 1, 1),
                end_date=dt.date(2022, 1, 1),
            )
            c.axes.set([ctx["axis"]])
            Party.objects.create(contract=c, organisation=org_a, role="funder")
        elif name == "commitments":
            c = ContratProgramme.objects.get(reference="CP-A")
            p = Party.objects.create(
                contract=c,
                organisation=Organisation.objects.create(name=f"C{n}", acronym=f"C{n}", kind="autre"),
                role="funder",
            )
            Commitment.objects.create(party=p, year=2022, amount=D("10"))
        elif name == "disbursements":
            Disbursement.objects.create(commitment=ctx["commitment_a"], date=dt.date(2022, 1, 1), amount=D("1"))
        elif name == "milestones":
            Milestone.objects.create(
                contract=ctx["contract_a"], title=f"M{n}", responsible=org_a, due_date=dt.date(2022, 1, 1)
            )
        elif name == "amendments":
            Amendment.objects.create(
                contract=ctx["contract_a"],
                number=10 + n,
                date=dt.date(2022, 1, 1),
                reason="r",
                changes_amounts=True,
                summary="s",
            )


@pytest.fixture
def ctx(world, strategy, indicator, org_a, region, axis, phases, action, commitment_a, contract_a):
    return locals()


@pytest.mark.parametrize("name", LISTS)
def test_list_query_count_does_not_grow_with_rows(name, ctx, admin_user, api):
    client = api(admin_user)
    client.get(url(name))  # warm up (token, content types)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url(name))
    assert first.status_code == 200, first.content
    grow(name, 50 if name != "regions" else 12, ctx)
    with CaptureQueriesContext(connection) as many:
        second = client.get(url(name), {"page_size": 200})
    assert second.status_code == 200
    assert len(second.json()["results"]) > len(first.json()["results"])
    assert len(many) == len(few), (
        [q["sql"][:90] for q in few.captured_queries],
        [q["sql"][:90] for q in many.captured_queries],
    )


@pytest.mark.parametrize("name", LISTS)
def test_every_role_reads_every_list(name, world, api, admin_user, editor, validator, viewer, partner_a):
    for user in (admin_user, editor, validator, viewer, partner_a):
        response = api(user).get(url(name))
        assert response.status_code == 200, (user, response.content)
        assert "results" in response.json()


@pytest.mark.parametrize("name", LISTS)
def test_anonymous_gets_401_and_role_less_user_403(name, db, api):
    response = api().get(url(name))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    nobody = get_user_model().objects.create_user("sans_role", password=PASSWORD)
    response = api(nobody).get(url(name))
    assert response.status_code == 403
    assert set(response.json()) >= {"code", "message", "details"}


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"ordering": "nope"}, "ordering"),
        ({"ordering": "id\x00"}, "ordering"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"q": "a\x00b"}, "q"),
        ({"search": "\x00"}, "search"),
        ({"as_of": "2024-13-45"}, "as_of"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_parameters_answer_400_naming_them(name, params, named, as_admin):
    response = as_admin.get(url(name), params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert named in body["details"]
    if named == "as_of" and name not in {
        "phases",
        "axes",
        "programmes",
        "actions",
        "indicators",
        "contracts",
        "parties",
        "milestones",
        "amendments",
    }:
        assert body["details"]["as_of"] == ["Paramètre inconnu."]  # as_of means nothing here


@pytest.mark.parametrize(
    ("name", "params", "named"),
    [
        ("measurements", {"period_end_after": "2024-02-30"}, "period_end"),
        ("measurements", {"cursor": "garbage"}, "cursor"),
        ("measurements", {"status": "nope"}, "status"),
        ("indicators", {"axis_number": "x"}, "axis_number"),
        ("targets", {"due_after": "2030-02-30"}, "due"),
        ("contracts", {"party": "1.5.5"}, "party"),
        ("regions", {"page": "x"}, "page"),
        ("regions", {"page": "-1"}, "page"),
        ("milestones", {"late": "peut-être"}, "late"),
    ],
)
def test_malformed_filter_values_answer_400(name, params, named, as_admin, world):
    response = as_admin.get(url(name), params)
    assert response.status_code == 400, response.content
    assert named in response.json()["details"]


def test_page_beyond_the_end_is_a_json_404(as_admin, world):
    response = as_admin.get(url("regions"), {"page": 99})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_api_url_is_a_json_404(as_admin):
    for path in ("/api/v1/nothing/", "/api/v2/regions/", "/api/v1/regions", "/api/v1/regions/abc/"):
        response = as_admin.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "not_found"


def test_page_size_is_capped(as_admin, world, settings):
    settings.API_MAX_PAGE_SIZE = 1
    response = as_admin.get(url("organisations"), {"page_size": 1000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert response.json()["next"]


def test_ordering_whitelisted_fields_sort(as_admin, world):
    codes = [r["code"] for r in as_admin.get(url("indicators"), {"ordering": "-code"}).json()["results"]]
    assert codes == sorted(codes, reverse=True)


def test_measurements_use_cursor_pagination(as_admin, world, ctx):
    grow("measurements", 5, ctx)
    first = as_admin.get(url("measurements"), {"page_size": 3}).json()
    assert "count" not in first and len(first["results"]) == 3
    second = as_admin.get(first["next"]).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)


def test_a_cursor_list_gives_the_cursor_alone_beside_the_links(as_admin, world, ctx):
    grow("measurements", 5, ctx)
    first = as_admin.get(url("measurements"), {"page_size": 3}).json()
    assert list(first) == ["next", "previous", "next_cursor", "previous_cursor", "results"]
    assert first["previous"] is None and first["previous_cursor"] is None
    assert parse_qs(urlsplit(first["next"]).query)["cursor"] == [first["next_cursor"]]
    by_cursor = as_admin.get(url("measurements"), {"page_size": 3, "cursor": first["next_cursor"]}).json()
    assert by_cursor == as_admin.get(first["next"]).json()
    assert by_cursor["previous_cursor"] is not None
    back = as_admin.get(url("measurements"), {"page_size": 3, "cursor": by_cursor["previous_cursor"]}).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    last = as_admin.get(url("measurements"), {"page_size": 500}).json()
    assert last["next"] is None and last["next_cursor"] is None


def test_the_pagination_schemas_require_every_key_and_give_valid_examples(as_viewer):
    schemas = as_viewer.get("/api/schema/?format=json").json()["components"]["schemas"]
    cursor = schemas["PaginatedMeasurementList"]
    assert set(cursor["required"]) == {"next", "previous", "next_cursor", "previous_cursor", "results"}
    assert all(cursor["properties"][k]["nullable"] for k in ("next", "previous", "next_cursor", "previous_cursor"))
    pages = schemas["PaginatedRegionList"]
    assert set(pages["required"]) == {"count", "next", "previous", "results"}
    for schema in (cursor, pages):
        for name in ("next", "previous"):
            example = schema["properties"][name]["example"]
            assert re.fullmatch(r"https://example\.org/api/v1/[a-z]+/\?(page=\d+|cursor=[A-Za-z0-9%]+)", example)


@pytest.mark.parametrize("name", LISTS)
def test_every_list_exports_csv_and_xlsx_with_the_same_access(name, world, as_partner_a, as_admin):
    for client in (as_admin, as_partner_a):
        json_count = len(client.get(url(name), {"page_size": 200}).json()["results"])
        response = client.get(url(name), {"format": "csv"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) - 1 == json_count
        response = client.get(url(name), {"format": "xlsx"})
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row - 1 == json_count


def test_partner_export_of_measurements_hides_other_drafts(world, as_partner_a):
    body = as_partner_a.get(url("measurements"), {"format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {(r["organisation"], r["status"]) for r in rows} == {
        ("FCA", "draft"),
        ("FCA", "submitted"),
        ("MDA", "validated"),
    }


def test_export_neutralises_formula_cells(as_admin, world):
    Filiere.objects.create(code="formule", name='=HYPERLINK("http://x")')
    body = as_admin.get(url("filieres"), {"format": "csv", "code": "formule"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body
    response = as_admin.get(url("filieres"), {"format": "xlsx", "code": "formule"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=3).value.startswith("'=")


def test_export_with_a_bad_filter_answers_json_400(as_admin, world):
    response = as_admin.get(url("measurements"), {"format": "csv", "period_end_after": "x"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_detail_of_an_unknown_id_is_404(as_admin, world):
    assert as_admin.get("/api/v1/indicators/999999/").status_code == 404
    assert as_admin.get("/api/v1/indicators/99999999999999999999999/").status_code == 404


def test_decimals_are_strings(as_admin, world):
    body = as_admin.get(url("targets")).json()["results"][0]
    assert body["value"] == "1000.0000"


def test_an_empty_ordering_is_refused_naming_the_parameter(as_admin):
    response = as_admin.get("/api/v1/actions/", {"ordering": ""})
    assert response.status_code == 400
    assert "ordering" in response.json()["details"]
