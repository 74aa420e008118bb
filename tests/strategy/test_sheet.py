"""A whole period in one spreadsheet, from the pages (strategy/sheet.py): download what an
organisation owes, upload it filled through the bulk API's all-or-nothing path."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from artisanat.models import Region
from strategy.choices import MeasurementStatus
from strategy.models import Measurement

URL = "/strategie/mesures/tableur/"
PERIOD = "yearly:2024-01-01"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def by_region_and_sex(make_indicator, org_a, region, other_region):
    """Reported by FCA each year, broken down by region and sex: 2 × 2 rows a year."""
    return make_indicator(
        code="IND-RS", name="Artisans formés par région", by_region=True, by_sex=True, reporters=[org_a]
    )


@pytest.fixture
def b_indicator(make_indicator, org_b):
    return make_indicator(code="IND-MDA", name="Indicateur de la MDA", reporters=[org_b])


def download(client, query=f"?period={PERIOD}&format=xlsx"):
    response = client.get(URL + query)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    return book.active


def rows_of(ws):
    values = list(ws.iter_rows(values_only=True))
    return values[0], [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def upload(client, ws, **extra):
    out = io.BytesIO()
    ws.parent.save(out)
    data = {"file": SimpleUploadedFile("periode.xlsx", out.getvalue(), content_type=XLSX), **extra}
    return client.post(f"{URL}?period={PERIOD}", data)


def fill(ws, values):
    """Write ``values`` (sheet row → text or number) in the « Valeur » column."""
    header = [c.value for c in ws[1]]
    column = header.index("Valeur") + 1
    for row, value in values.items():
        ws.cell(row=row, column=column).value = value


def test_partner_downloads_its_rows_with_keys_unit_and_previous_value(
    client, partner_a, by_region_and_sex, b_indicator, region, org_a
):
    Measurement.objects.create(
        indicator=by_region_and_sex,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        value=Decimal("12"),
        region=region,
        sex="F",
        organisation=org_a,
        status=MeasurementStatus.SUBMITTED,
    )
    # A draft of the previous period is not a reported value: not shown (M stays empty).
    Measurement.objects.create(
        indicator=by_region_and_sex,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        value=Decimal("99"),
        region=region,
        sex="M",
        organisation=org_a,
    )
    client.force_login(partner_a)
    header, rows = rows_of(download(client))
    assert header[:3] == ("Indicateur (code)", "Indicateur", "Unité")
    assert "Valeur précédente (2023)" in header
    assert len(rows) == 4  # 2 regions × 2 sexes
    assert {r["Indicateur (code)"] for r in rows} == {"IND-RS"}  # never MDA's indicator
    assert {r["Organisation (sigle)"] for r in rows} == {"FCA"}
    assert {(r["Région (code)"], r["Sexe (code)"]) for r in rows} == {
        ("07", "F"),
        ("07", "M"),
        ("03", "F"),
        ("03", "M"),
    }
    assert {r["Région"] for r in rows} == {"Marrakech-Safi", "Fès-Meknès"}
    assert all(r["Valeur"] is None for r in rows)
    previous = {(r["Région (code)"], r["Sexe (code)"]): r["Valeur précédente (2023)"] for r in rows}
    assert previous[("07", "F")] == 12 and previous[("07", "M")] is None
    assert rows[0]["Début de période"] == dt.datetime(2024, 1, 1)


def test_the_sheet_locks_its_keys(client, partner_a, by_region_and_sex):
    client.force_login(partner_a)
    ws = download(client)
    header = [c.value for c in ws[1]]
    assert ws.protection.sheet
    assert ws.cell(row=2, column=header.index("Valeur") + 1).protection.locked is False
    assert ws.cell(row=2, column=header.index("Indicateur (code)") + 1).protection.locked is True


def test_a_partner_never_gets_another_organisations_rows(client, partner_b, by_region_and_sex, b_indicator, org_a):
    client.force_login(partner_b)
    _header, rows = rows_of(download(client, f"?organisation={org_a.pk}&period={PERIOD}&format=xlsx"))
    assert {(r["Indicateur (code)"], r["Organisation (sigle)"]) for r in rows} == {("IND-MDA", "MDA")}


def test_upload_with_one_bad_row_stores_nothing_then_all_once_fixed(client, partner_a, by_region_and_sex):
    client.force_login(partner_a)
    ws = download(client)
    fill(ws, {2: "1 234,5", 3: 7, 4: "sept", 5: 9})
    response = upload(client, ws)
    assert response.status_code == 200
    assert Measurement.objects.count() == 0
    refused = response.context["result"].refused
    assert [r.number for r in refused] == [4]
    assert refused[0].typed == {"value": "sept"}
    assert refused[0].keys["indicator"] == "IND-RS"
    assert "illisible" in refused[0].reasons[0][1]
    assert 'data-sheet-row="4"' in response.content.decode()

    fill(ws, {4: "8"})
    response = upload(client, ws)
    assert response.status_code == 302
    stored = Measurement.objects.filter(indicator=by_region_and_sex)
    assert sorted(stored.values_list("value", flat=True)) == [Decimal(7), Decimal(8), Decimal(9), Decimal("1234.5")]
    assert {m.status for m in stored} == {"draft"}
    # The same history as the bulk API's, with the page's reason.
    first = stored.order_by("pk").first()
    entries = list(first.history.all())
    assert [(h.history_type, h.history_user_id, h.history_change_reason) for h in entries] == [
        ("+", partner_a.pk, "Envoi groupé (tableur)")
    ]
    # Recorded rows leave the sheet; sending the same file again is refused, not doubled.
    assert upload(client, ws).status_code == 200
    assert stored.count() == 4
    assert rows_of(download(client))[1] == []


def test_an_ambiguous_number_is_refused_never_guessed(client, partner_a, by_region_and_sex):
    client.force_login(partner_a)
    ws = download(client)
    fill(ws, {2: "1.234"})
    response = upload(client, ws)
    assert response.status_code == 200
    assert Measurement.objects.count() == 0
    assert "ambiguë" in response.context["result"].refused[0].reasons[0][1]


def test_submit_and_blank_rows(client, partner_a, by_region_and_sex):
    client.force_login(partner_a)
    ws = download(client)
    fill(ws, {2: 3})
    response = upload(client, ws, submit="on")
    assert response.status_code == 302
    assert list(Measurement.objects.values_list("status", flat=True)) == ["submitted"]
    page = client.get(response["Location"])
    assert "1 mesure créée et soumise à validation." in page.content.decode()
    assert "3 lignes sans valeur" in page.content.decode()


def test_partner_cannot_upload_rows_for_another_organisations_indicator(
    client, partner_a, by_region_and_sex, b_indicator, org_b
):
    client.force_login(partner_a)
    ws = download(client)
    header = [c.value for c in ws[1]]
    ws.protection.sheet = False
    fill(ws, {2: 5, 3: 6})
    ws.cell(row=3, column=header.index("Indicateur (code)") + 1).value = "IND-MDA"
    ws.cell(row=2, column=header.index("Organisation (sigle)") + 1).value = "MDA"
    response = upload(client, ws)
    assert response.status_code == 200
    assert Measurement.objects.count() == 0
    reasons = {r.number: " ".join(m for _l, m in r.reasons) for r in response.context["result"].refused}
    assert "votre organisation" in reasons[2]
    assert "Indicateur inconnu" in reasons[3] or "ne rapporte pas" in reasons[3]


def test_an_upload_that_is_not_an_xlsx_is_refused_by_its_content(client, partner_a, by_region_and_sex):
    client.force_login(partner_a)
    fake = SimpleUploadedFile("periode.xlsx", b"<html><script>alert(1)</script></html>", content_type=XLSX)
    response = client.post(URL, {"file": fake})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert Measurement.objects.count() == 0


def test_an_upload_beyond_the_size_limit_is_refused_before_reading(client, partner_a, by_region_and_sex, settings):
    settings.API_BULK_MAX_BYTES = 1024
    client.force_login(partner_a)
    big = SimpleUploadedFile("periode.xlsx", b"PK\x03\x04" + b"0" * 2048, content_type=XLSX)
    response = client.post(URL, {"file": big})
    assert response.status_code == 200
    assert "volumineux" in str(response.context["form"].errors["file"])


def test_staff_fill_the_ministrys_own_indicators(client, editor, make_indicator, ministry):
    make_indicator(code="IND-MIN", name="Indicateur du ministère", reporters=[ministry])
    client.force_login(editor)
    ws = download(client)
    _header, rows = rows_of(ws)
    assert [(r["Indicateur (code)"], r["Organisation (sigle)"]) for r in rows] == [("IND-MIN", "MTAESS")]
    fill(ws, {2: 11})
    assert upload(client, ws).status_code == 302
    m = Measurement.objects.get()
    assert (m.organisation_id, m.value, m.reported_by_id) == (ministry.pk, Decimal(11), editor.pk)


def test_staff_may_choose_the_organisation(client, validator, by_region_and_sex, org_a):
    client.force_login(validator)
    _header, rows = rows_of(download(client, f"?organisation={org_a.pk}&period={PERIOD}&format=xlsx"))
    assert len(rows) == 4 and {r["Organisation (sigle)"] for r in rows} == {"FCA"}


def test_the_sheet_is_in_the_users_language(client, partner_a, by_region_and_sex):
    client.force_login(partner_a)
    client.cookies["django_language"] = "ar"
    response = client.get(f"{URL}?period={PERIOD}&format=xlsx", HTTP_ACCEPT_LANGUAGE="ar")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws.sheet_view.rightToLeft
    names = {row[8] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert "مراكش-آسفي" in names


def test_page_lists_periods_and_indicators(client, partner_a, by_region_and_sex):
    client.force_login(partner_a)
    response = client.get(f"{URL}?period={PERIOD}")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="yearly:2024-01-01" selected' in page
    assert "IND-RS" in page
    assert client.get(f"{URL}?period=hier").status_code == 400


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewer_refused(client, viewer, by_region_and_sex, method):
    client.force_login(viewer)
    assert getattr(client, method)(URL).status_code == 403


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_goes_to_login(client, method):
    response = getattr(client, method)(URL)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


def _count(client, query):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL + query).status_code == 200
    return len(queries)


def test_download_query_budget_does_not_grow_with_rows(client, partner_a, by_region_and_sex, filiere):
    client.force_login(partner_a)
    query = f"?period={PERIOD}&format=xlsx"
    small = _count(client, query)
    for code in ("01", "02", "04", "05", "06", "08", "09", "10"):
        Region.objects.create(code=code, name=f"Région {code}")
    by_region_and_sex.by_filiere = True
    by_region_and_sex.save()
    assert len(rows_of(download(client))[1]) == 10 * 2  # one filière × 10 regions × 2 sexes
    big = _count(client, query)
    assert small == big <= 12
    assert _count(client, f"?period={PERIOD}") <= 14


def test_rows_keep_their_sheet_number_across_an_empty_row(client, partner_a, by_region_and_sex):
    client.force_login(partner_a)
    ws = download(client)
    header = [c.value for c in ws[1]]
    ws.protection.sheet = False
    for column in range(1, len(header) + 1):
        ws.cell(row=3, column=column).value = None  # a row emptied in the middle
    fill(ws, {2: 1, 4: "abc", 5: 2})
    response = upload(client, ws)
    assert [r.number for r in response.context["result"].refused] == [4]
    assert Measurement.objects.count() == 0


def test_a_sheet_beyond_the_bulk_limit_says_so(client, partner_a, by_region_and_sex, settings):
    settings.API_BULK_MAX_ROWS = 3
    client.force_login(partner_a)
    assert "data-sheet-too-many" in client.get(f"{URL}?period={PERIOD}").content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "?organisation=²",
        "?organisation=99999999999999999999",
        "?period=yearly:2024-02-30",
        "?period=weekly:2024-01-01",
        "?period=yearly:2024-03-01",  # not the start of a period
    ],
)
def test_unreadable_parameters_are_a_400_never_a_500(client, validator, by_region_and_sex, query):
    client.force_login(validator)
    assert client.get(URL + query).status_code == 400


def test_an_unknown_organisation_is_a_404(client, validator):
    client.force_login(validator)
    assert client.get(f"{URL}?organisation=999999").status_code == 404


@pytest.mark.parametrize(
    "period",
    [
        "yearly:0001-01-01",  # no period before it: once a 500 (OverflowError)
        "quarterly:0001-01-01",
        "monthly:0001-01-01",
        "yearly:1900-01-01",  # well formed, never owed
        "yearly:3000-01-01",
        "quarterly:2024-01-01",  # a quarter of yearly indicators
    ],
)
@pytest.mark.parametrize("xlsx", ["", "&format=xlsx"])
def test_only_a_period_the_page_offers_is_accepted(client, partner_a, by_region_and_sex, period, xlsx):
    client.force_login(partner_a)
    response = client.get(f"{URL}?period={period}{xlsx}")
    assert response.status_code == 400
    assert "Période inconnue" in response.content.decode()


def test_a_row_twice_is_refused_naming_the_first_by_its_sheet_row(client, partner_a, by_region_and_sex):
    client.force_login(partner_a)
    ws = download(client)
    ws.protection.sheet = False
    for column in range(1, ws.max_column + 1):
        ws.cell(row=3, column=column).value = ws.cell(row=2, column=column).value
    fill(ws, {2: 1, 3: 2})
    response = upload(client, ws)
    assert response.status_code == 200
    assert Measurement.objects.count() == 0
    refused = response.context["result"].refused
    assert [r.number for r in refused] == [3]
    assert "Ligne en double avec la ligne 2 " in refused[0].reasons[0][1]


@pytest.mark.parametrize("second", ["Valeur", "value"])
def test_a_column_twice_is_refused_naming_it(client, partner_a, by_region_and_sex, second):
    client.force_login(partner_a)
    ws = download(client)
    ws.protection.sheet = False
    extra = ws.max_column + 1
    ws.cell(row=1, column=extra).value = second
    fill(ws, {2: 1, 3: 2})
    ws.cell(row=2, column=extra).value = 5
    response = upload(client, ws)
    assert response.status_code == 200
    assert Measurement.objects.count() == 0
    errors = " ".join(response.context["form"].errors["file"])
    assert "Colonne en double" in errors and f"« {second} »" in errors and "« Valeur »" in errors
