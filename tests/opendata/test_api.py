"""The public read-only API /api/public/v1/ (opendata/api/): anonymous, GET only, what the
ministry published and nothing else, by stable codes; CSV and JSON downloads; CORS on it
alone; its own throttle; ETag / 304 and the published state."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from artisanat.dates import today
from contracts.choices import ContractStatus, MilestoneStatus, PartyRole
from contracts.models import Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy import services
from strategy.choices import MeasurementStatus
from strategy.models import Indicator, Measurement, Target

pytestmark = pytest.mark.django_db

API = "/api/public/v1"
LISTS = [
    "indicators/",
    "indicators/IND-FORM/series/",
    "indicators/IND-REG/breakdowns/",
    "axes/",
    "phases/",
    "contracts/",
    "regions/",
    "regions/07/indicators/",
]
DETAILS = ["indicators/IND-FORM/", "contracts/CP-2021-01/"]
EVERY = LISTS + DETAILS


def validated(indicator, org, by, validator, *, year, value, region=None):
    m = Measurement(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        value=D(value),
        organisation=org,
        region=region,
    )
    services.save_measurement(m, by=by, reason="Saisie (test)")
    services.submit_measurement(m, by=by)
    services.validate_measurement(m, by=validator)
    return m


@pytest.fixture
def world(make_indicator, indicator, org_a, partner_a, validator, region, other_region, contract, ministry, phases):
    """Published: IND-FORM (national, 40 in 2023) and IND-REG (by region: 5 in 07, 9 in
    03). Internal: IND-SECRET (validated figures, never marked public). A signed contract
    with its money, a milestone and internal notes; a draft contract."""
    indicator.public_from = dt.date(2025, 1, 1)
    indicator.save()
    Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("1000"))
    Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("77"), region=region)
    validated(indicator, org_a, partner_a, validator, year=2023, value="40")
    regional = make_indicator(code="IND-REG", by_region=True, reporters=[org_a], public_from=dt.date(2025, 1, 1))
    validated(regional, org_a, partner_a, validator, year=2023, value="5", region=region)
    validated(regional, org_a, partner_a, validator, year=2023, value="9", region=other_region)
    secret = make_indicator(code="IND-SECRET", name="Indicateur interne", by_region=True, reporters=[org_a])
    validated(secret, org_a, partner_a, validator, year=2023, value="123", region=region)
    contract.source = "Note interne : source confidentielle"
    contract.document_name = "contrat-signe-secret.pdf"
    contract.save()
    party = Party.objects.create(
        contract=contract, organisation=ministry, role=PartyRole.SIGNATORY, signer_name="Signataire Secret"
    )
    commitment = Commitment.objects.create(
        party=party, year=2022, amount=D("1000000.00"), note="Note engagement secrète"
    )
    Disbursement.objects.create(
        commitment=commitment, date=dt.date(2022, 3, 1), amount=D("250000.00"), note="Note paiement secrète"
    )
    Milestone.objects.create(
        contract=contract,
        title="Plateforme livrée",
        responsible=ministry,
        due_date=dt.date(2022, 6, 30),
        status=MilestoneStatus.SCHEDULED,
        note="Note jalon secrète",
    )
    ContratProgramme.objects.create(
        reference="CP-DRAFT",
        title="Projet de contrat",
        kind="transversal",
        phase=phases[0],
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2026, 12, 31),
        status=ContractStatus.DRAFT,
    )
    services.release_open_data(by=validator, reason="Première publication")
    return {"public": indicator, "regional": regional, "secret": secret}


def get(path, client=None, **extra):
    return (client or APIClient()).get(f"{API}/{path}", **extra)


def body(response):
    content = response.content if not response.streaming else b"".join(response.streaming_content)
    return content.decode("utf-8-sig")


def read_csv(response):
    return list(csv.DictReader(io.StringIO(body(response))))


# ---------------------------------------------------------------- anonymous reads


@pytest.mark.parametrize("path", EVERY)
def test_anonymous_reads_every_endpoint(world, path):
    response = get(path)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_every_list_downloads_as_csv_and_json_whole(world, path, fmt):
    response = get(f"{path}?format={fmt}&page_size=1")
    assert response.status_code == 200, response.content[:300]
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="artisanat2030-') and disposition.endswith(f'.{fmt}"')
    if fmt == "csv":
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response.content.startswith("\ufeff".encode())
        rows = read_csv(response)
    else:
        rows = json.loads(response.content)
        assert isinstance(rows, list)  # the whole table, not a page
    page = get(path).json()
    assert len(rows) == page["count"]


def test_the_indicator_list_names_everything_by_code(world):
    data = get("indicators/").json()
    assert data["count"] == 2
    form = next(i for i in data["results"] if i["code"] == "IND-FORM")
    assert "id" not in form
    assert form["axis"] == world["public"].axis.number
    assert form["programme"] == world["public"].programme.code
    assert form["achieved"] == "40.0000"
    assert form["targets"] == [{"due_date": "2030-12-31", "value": "1000.0000"}]  # national only
    assert form["public_from"] == "2025-01-01"
    assert form["release"] == {"number": 1, "date": today().isoformat()}
    assert form["status"] in {"on_track", "at_risk", "off_track", "no_data"}


def test_as_of_reads_the_published_figures_at_that_date(world):
    assert get("indicators/IND-FORM/?as_of=2022-12-31").json()["achieved"] is None
    assert get("indicators/IND-FORM/?as_of=2023-12-31").json()["achieved"] == "40.0000"
    assert get("indicators/IND-FORM/?as_of=2023-02-30").status_code == 400


def test_series_and_breakdowns(world):
    series = get("indicators/IND-FORM/series/").json()["results"]
    assert series == [
        {
            "period_start": "2023-01-01",
            "period_end": "2023-12-31",
            "value": "40.0000",
            "numerator": None,
            "denominator": None,
        }
    ]
    rows = get("indicators/IND-REG/breakdowns/").json()["results"]
    assert {(r["dimension"], r["code"], r["achieved"]) for r in rows} == {
        ("region", "03", "9.0000"),
        ("region", "07", "5.0000"),
    }


def test_region_answers_carry_only_the_published_regional_figures(world):
    regions = get("regions/").json()
    assert regions["count"] == 2 and {r["code"] for r in regions["results"]} == {"03", "07"}
    rows = get("regions/07/indicators/").json()["results"]
    assert [(r["region"], r["code"], r["achieved"]) for r in rows] == [("07", "IND-REG", "5.0000")]
    assert get("regions/99/indicators/").status_code == 404


def test_axes_and_phases_roll_up_the_published_indicators_only(world):
    axes = get("axes/").json()["results"]
    assert axes[0]["indicators"] == ["IND-FORM", "IND-REG"]
    phases = get("phases/").json()["results"]
    assert phases and all("id" not in p for p in phases)
    for phase in phases:  # the two published indicators, never the internal one
        rollup = phase["rollup"]
        assert rollup["with_data"] + rollup["without_data"] + rollup["without_target"] + phase["without_target"] == 2


# ---------------------------------------------------------------- what stays internal


def test_an_unpublished_indicator_is_nowhere(world):
    for path in LISTS:
        for fmt in ("", "?format=csv", "?format=json"):
            response = get(path + fmt)
            assert response.status_code == 200
            assert "IND-SECRET" not in body(response), (path, fmt)
            assert "123" not in body(response).replace("2023", ""), (path, fmt)
    for path in ("indicators/IND-SECRET/", "indicators/IND-SECRET/series/", "indicators/IND-SECRET/breakdowns/"):
        assert get(path).status_code == 404
        if path.endswith(("series/", "breakdowns/")):
            assert get(path + "?format=csv").status_code == 404


def test_an_indicator_before_its_publication_date_is_absent(world):
    world["public"].public_from = today() + dt.timedelta(days=1)
    world["public"].save()
    assert "IND-FORM" not in body(get("indicators/"))
    assert get("indicators/IND-FORM/").status_code == 404


def test_a_draft_contract_is_absent(world):
    assert [c["reference"] for c in get("contracts/").json()["results"]] == ["CP-2021-01"]
    assert "CP-DRAFT" not in body(get("contracts/?format=csv"))
    assert get("contracts/CP-DRAFT/").status_code == 404


CONTRACT_SECRETS = ["secrète", "confidentielle", "contrat-signe-secret", "Signataire Secret", "document", "source"]


def test_no_internal_field_in_any_contract_answer(world):
    for path in ("contracts/", "contracts/?format=csv", "contracts/?format=json", "contracts/CP-2021-01/"):
        text = body(get(path))
        for secret in CONTRACT_SECRETS:
            assert secret not in text, (path, secret)
        assert '"note"' not in text and '"id"' not in text
    contract = get("contracts/CP-2021-01/").json()
    assert contract["parties"] == [
        {
            "organisation": "MTAESS",
            "organisation_name": contract["parties"][0]["organisation_name"],
            "organisation_name_ar": contract["parties"][0]["organisation_name_ar"],
            "role": "signatory",
        }
    ]
    assert contract["committed"] == "1000000.00" and contract["disbursed"] == "250000.00"
    assert contract["execution_rate"] == "25.00"
    assert contract["milestones"] == [
        {"title": "Plateforme livrée", "title_ar": "", "due_date": "2022-06-30", "status": "scheduled"}
    ]


# ---------------------------------------------------------------- read-only, anonymous


@pytest.mark.parametrize("path", ["indicators/", "indicators/IND-FORM/", "contracts/CP-2021-01/"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_405_in_the_error_shape(world, path, method):
    response = getattr(APIClient(), method)(f"{API}/{path}", {}, format="json")
    assert response.status_code == 405
    assert set(response.json()) >= {"code", "message", "details"}


def test_a_token_or_a_session_changes_nothing(world, api, admin_user, client):
    anonymous = get("indicators/")
    with_token = get("indicators/", api(admin_user))
    client.force_login(admin_user)
    with_session = client.get(f"{API}/indicators/")
    assert anonymous.content == with_token.content == with_session.content
    assert get("indicators/IND-SECRET/", api(admin_user)).status_code == 404
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert get("indicators/", bad_token).status_code == 200


def test_unknown_parameters_and_bad_pages_are_400(world):
    response = get("indicators/?axis=1")
    assert response.status_code == 400 and "axis" in response.json()["details"]
    assert get("indicators/?page_size=0").status_code == 400
    assert get("indicators/?format=csv&page=x").status_code == 400
    assert get("indicators/?format=xml").status_code == 400
    assert get("indicators/IND-FORM/?format=csv").status_code == 400


def test_the_accept_header_never_changes_the_answer(world):
    plain = get("indicators/")
    assert get("indicators/", HTTP_ACCEPT="text/csv").content == plain.content


# ---------------------------------------------------------------- CORS


def test_cors_on_the_public_api_only(world, as_admin):
    public = get("indicators/", HTTP_ORIGIN="https://example.org")
    assert public["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in public
    assert "ETag" in public["Access-Control-Expose-Headers"]
    staff = as_admin.get("/api/v1/indicators/", HTTP_ORIGIN="https://example.org")
    assert staff.status_code == 200 and "Access-Control-Allow-Origin" not in staff


def test_a_preflight_allows_reading_only(world):
    response = APIClient().options(
        f"{API}/indicators/",
        HTTP_ORIGIN="https://example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "if-none-match" in response["Access-Control-Allow-Headers"]
    staff = APIClient().options(
        "/api/v1/indicators/", HTTP_ORIGIN="https://example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "Access-Control-Allow-Origin" not in staff


# ---------------------------------------------------------------- throttle


def test_the_public_throttle_answers_429_in_the_error_shape(world, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "public": "3/minute"}
    )
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    first = client.get(f"{API}/indicators/")
    etag = first["ETag"]
    # A 304 and a cached answer count too (opendata/api/views.py).
    codes = [
        first.status_code,
        client.get(f"{API}/indicators/", HTTP_IF_NONE_MATCH=etag).status_code,
        client.get(f"{API}/indicators/").status_code,
        client.get(f"{API}/indicators/").status_code,
    ]
    assert codes == [200, 304, 200, 429]
    refused = client.get(f"{API}/regions/")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled" and "Retry-After" in refused
    assert APIClient(REMOTE_ADDR="203.0.113.10").get(f"{API}/indicators/").status_code == 200


def test_a_stopped_counts_store_serves_the_public_but_refuses_the_staff_api(world, monkeypatch, caplog, viewer):
    """The public throttle fails open (artisanat/api/throttling.py, PublicRateThrottle);
    the staff API's throttles keep answering 503 (CountsUnavailable)."""
    from redis.exceptions import ConnectionError as RedisDown

    from artisanat.api import throttling

    class Down:
        def get(self, *args, **kwargs):
            raise RedisDown("Redis stopped")

        set = add = get

    monkeypatch.setattr(throttling.SharedCounts, "cache", Down())
    public = APIClient(REMOTE_ADDR="203.0.113.20").get(f"{API}/indicators/")
    assert public.status_code == 200 and public.json()["results"]
    assert "throttle store unavailable" in caplog.text and "served" in caplog.text
    staff_client = APIClient(REMOTE_ADDR="203.0.113.21")
    staff_client.force_authenticate(user=viewer)
    assert staff_client.get("/api/v1/indicators/").status_code == 503


# ---------------------------------------------------------------- caching


@pytest.mark.parametrize("path", EVERY + ["indicators/?format=csv", "contracts/?format=json"])
def test_every_answer_is_public_with_an_etag_and_a_304(world, path):
    response = get(path)
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "public" in directives and "private" not in directives and "no-store" not in directives
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    assert not vary & {"cookie", "authorization", "accept-language", "accept"}
    again = get(path, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["ETag"] == response["ETag"]


def test_a_cached_download_keeps_its_file_name(world):
    first = get("indicators/?format=csv")
    second = get("indicators/?format=csv")
    assert second.content == first.content
    assert second["Content-Disposition"] == first["Content-Disposition"]


def test_a_validation_after_the_release_changes_nothing_until_the_next_release(world, org_a, partner_a, validator):
    before = get("indicators/IND-FORM/")
    validated(world["public"], org_a, partner_a, validator, year=2024, value="60")
    after = get("indicators/IND-FORM/")
    assert after.content == before.content and after["ETag"] == before["ETag"]
    assert get("indicators/IND-FORM/", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304
    services.release_open_data(by=validator, reason="Deuxième publication")
    released = get("indicators/IND-FORM/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert released.status_code == 200 and released.json()["achieved"] == "100.0000"


def test_a_withdrawn_indicator_disappears_at_once(world):
    assert "IND-FORM" in body(get("indicators/"))
    assert get("regions/07/indicators/").json()["count"] == 1
    world["public"].public_from = None
    world["public"].save()
    world["regional"].public_from = None
    world["regional"].save()
    assert "IND-FORM" not in body(get("indicators/"))
    assert "IND-FORM" not in body(get("indicators/?format=csv"))
    assert get("indicators/IND-FORM/").status_code == 404
    assert get("regions/07/indicators/").json()["count"] == 0


def test_contract_figures_are_live(world):
    before = get("contracts/CP-2021-01/")
    commitment = Commitment.objects.get()
    Disbursement.objects.create(commitment=commitment, date=dt.date(2022, 9, 1), amount=D("250000.00"))
    after = get("contracts/CP-2021-01/")
    assert after["ETag"] != before["ETag"] and after.json()["disbursed"] == "500000.00"


# ---------------------------------------------------------------- CSV for machines


def test_indicator_csv_columns_and_numbers_for_machines(world, client):
    response = client.get(f"{API}/indicators/?format=csv", HTTP_ACCEPT_LANGUAGE="fr")
    rows = read_csv(response)
    assert list(rows[0]) == [
        "code",
        "name",
        "name_ar",
        "definition",
        "definition_ar",
        "unit",
        "direction",
        "aggregation",
        "frequency",
        "axis",
        "programme",
        "baseline_value",
        "baseline_date",
        "dimensions",
        "as_of",
        "achieved",
        "target_value",
        "target_date",
        "progress",
        "status",
        "latest_period_end",
        "public_from",
        "release",
        "release_date",
    ]
    form = next(r for r in rows if r["code"] == "IND-FORM")
    assert form["achieved"] == "40.0000" and form["target_value"] == "1000.0000"
    assert form["progress"] == "4.00"  # decimal point, fixed decimals, no thousands separator
    assert form["baseline_date"] == "2020-12-31" and form["public_from"] == "2025-01-01"
    assert form["release"] == "1"
    arabic = client.get(f"{API}/indicators/?format=csv", HTTP_ACCEPT_LANGUAGE="ar")
    assert arabic.content == response.content


def test_contract_csv_for_machines(world):
    [row] = read_csv(get("contracts/?format=csv"))
    assert row["reference"] == "CP-2021-01"
    assert row["committed"] == "1000000.00" and row["disbursed"] == "250000.00"
    assert row["execution_rate"] == "25.00" and row["signing_date"] == "2021-07-26"
    assert row["parties"] == "MTAESS:signatory" and row["milestones"] == "1"


def test_breakdown_names_do_not_depend_on_the_language(world, make_indicator, org_a, partner_a, validator, client):
    by_sex = make_indicator(code="IND-SEX", by_sex=True, reporters=[org_a], public_from=dt.date(2025, 1, 1))
    m = Measurement(
        indicator=by_sex,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        value=D("3"),
        organisation=org_a,
        sex="F",
    )
    services.save_measurement(m, by=partner_a, reason="Saisie (test)")
    services.submit_measurement(m, by=partner_a)
    services.validate_measurement(m, by=validator)
    services.release_open_data(by=validator, reason="Deuxième publication")
    french = client.get(f"{API}/indicators/IND-SEX/breakdowns/", HTTP_ACCEPT_LANGUAGE="fr").json()["results"]
    arabic = client.get(f"{API}/indicators/IND-SEX/breakdowns/?page=1", HTTP_ACCEPT_LANGUAGE="ar").json()["results"]
    assert french == arabic
    women = next(r for r in french if r["code"] == "F")
    assert women["name"] == "Femmes" and women["name_ar"] and women["achieved"] == "3.0000"


def test_status_values_are_codes(world):
    rows = read_csv(get("indicators/?format=csv"))
    assert {r["status"] for r in rows} <= {"on_track", "at_risk", "off_track", "no_data"}
    assert MeasurementStatus.VALIDATED  # the figures read validated values only (the release's copy)
    assert Indicator.objects.published(today()).count() == 2


# ---------------------------------------------------------------- OpenAPI


@pytest.fixture(scope="module")
def schema():
    import yaml
    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_the_schema_documents_every_public_operation(schema):
    public = {path: item for path, item in schema["paths"].items() if path.startswith("/api/public/v1/")}
    assert set(public) == {
        "/api/public/v1/" + path.replace("IND-FORM", "{code}").replace("IND-REG", "{code}").replace("07", "{code}")
        for path in LISTS
    } | {"/api/public/v1/indicators/{code}/", "/api/public/v1/contracts/{reference}/"}
    for path, item in public.items():
        assert set(item) == {"get"}, path
        op = item["get"]
        assert op["tags"] == ["Données ouvertes"] and op["security"] == []
        assert "FR" in op["description"] and "EN" in op["description"]
        assert {"200", "304", "400", "429"} <= set(op["responses"]) and "401" not in op["responses"]
        names = {p["name"] for p in op.get("parameters", [])}
        assert "If-None-Match" in names
        if op["operationId"].endswith(("_list", "_series", "_breakdowns", "_indicators")):
            assert {"format", "page", "page_size"} <= names, path
            assert "text/csv" in op["responses"]["200"]["content"]
    assert "as_of" in {p["name"] for p in public["/api/public/v1/indicators/"]["get"]["parameters"]}


def test_options_describes_the_endpoint_in_json_whatever_the_format(world):
    response = APIClient().options(f"{API}/indicators/?format=csv")
    assert response.status_code == 200 and response.json()["name"]


def test_a_star_if_none_match_is_no_shortcut_past_a_404_or_a_400(world):
    assert get("indicators/IND-SECRET/", HTTP_IF_NONE_MATCH="*").status_code == 404
    assert get("indicators/?page_size=-1", HTTP_IF_NONE_MATCH="*").status_code == 400


def test_the_list_gives_each_indicator_as_the_detail_does(world, make_indicator, validator):
    """The list's fast path (opendata/api/fast.py) and the detail's serializer agree,
    field for field, also on an indicator with a ratio and no data."""
    make_indicator(code="IND-RATIO", aggregation="ratio", unit="percent", public_from=dt.date(2025, 1, 1))
    services.release_open_data(by=validator, reason="Deuxième publication")
    for as_of in ("", "?as_of=2023-12-31"):
        listed = get(f"indicators/{as_of}").json()["results"]
        assert len(listed) == 3
        for item in listed:
            assert get(f"indicators/{item['code']}/{as_of}").json() == item
        assert json.loads(get(f"indicators/{as_of}{'&' if as_of else '?'}format=json").content) == listed
