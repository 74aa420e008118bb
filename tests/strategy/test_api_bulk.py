"""Bulk submission: JSON, CSV and XLSX; all or nothing with every bad row listed;
idempotent retries; bounded lookups."""

import datetime as dt
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from artisanat.models import IdempotencyKey
from strategy.choices import Frequency
from strategy.choices import MeasurementStatus as S
from strategy.models import Measurement
from tests.api_fixtures import last_history

URL = "/api/v1/measurements/bulk/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


MONTHS_PER_INDICATOR = 120  # 2021–2030


def rows(n, code="IND-MOIS", first=0):
    """``n`` good rows, one calendar month each from January 2021 (``first`` months
    later), on the monthly indicators of ``monthly``: 120 months on ``code``, the next
    120 on ``code``-2, and so on (a thousand rows need nine indicators)."""
    made = []
    for i in range(first, first + n):
        number, month = divmod(i, MONTHS_PER_INDICATOR)
        start = dt.date(2021 + month // 12, month % 12 + 1, 1)
        end = (start + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
        made.append(
            {
                "indicator": code if number == 0 else f"{code}-{number + 1}",
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "value": str(i - first + 1),
                "source": "Registre",
            }
        )
    return made


@pytest.fixture
def monthly(make_indicator, org_a):
    """Nine monthly indicators reported by FCA (organisation A): IND-MOIS, IND-MOIS-2…9."""
    return [
        make_indicator(code="IND-MOIS" if n == 1 else f"IND-MOIS-{n}", frequency=Frequency.MONTHLY, reporters=[org_a])
        for n in range(1, 10)
    ]


def test_json_rows_create_drafts(as_partner_a, indicator, partner_a, monthly):
    response = as_partner_a.post(URL, rows(3), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["created"], data["status"]) == (3, "draft")
    created = Measurement.objects.filter(pk__in=data["ids"])
    assert {(m.status, m.organisation.acronym, m.reported_by_id) for m in created} == {(S.DRAFT, "FCA", partner_a.pk)}
    h = last_history(created[0])
    assert (h.history_user, h.history_change_reason) == (partner_a, "Envoi groupé (API)")


def test_rows_wrapper_and_submit_flag(as_partner_a, indicator, monthly):
    response = as_partner_a.post(f"{URL}?submit=1", {"rows": rows(2)}, format="json")
    assert response.status_code == 201
    assert set(Measurement.objects.values_list("status", flat=True)) == {S.SUBMITTED}
    assert as_partner_a.post(f"{URL}?submit=maybe", {"rows": rows(1)}, format="json").status_code == 400


@pytest.mark.parametrize("bad_row", [999, 1000])
def test_one_bad_row_among_a_thousand_saves_nothing(as_partner_a, indicator, bad_row, monthly):
    data = rows(1000)
    data[bad_row - 1]["value"] = "beaucoup"
    response = as_partner_a.post(URL, data, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows"
    assert body["details"]["rows"] == [{"row": bad_row, "field": "value", "reason": "Un nombre valide est requis."}]
    assert not Measurement.objects.exists()


def test_every_bad_row_is_listed(as_partner_a, indicator, indicator_b, monthly):
    data = rows(6)
    data[0]["indicator"] = "NOPE"
    data[1]["period_start"] = "2021-13-01"
    data[2]["indicator"] = indicator_b.code  # reported by MDA, not FCA
    data[3]["region"] = "07"  # the indicator is not broken down by region (and 07 does not exist here)
    data[4] = dict(data[5])  # duplicate of row 6
    response = as_partner_a.post(URL, data, format="json")
    assert response.status_code == 400
    listed = [(e["row"], e["field"]) for e in response.json()["details"]["rows"]]
    assert listed == [(1, "indicator"), (2, "period_start"), (3, "indicator"), (4, "region"), (6, "non_field_errors")]
    assert all(e["reason"] for e in response.json()["details"]["rows"])
    assert not Measurement.objects.exists()


def test_rule_errors_name_the_field(as_partner_a, indicator, region, monthly):
    data = rows(2)
    data[0]["region"] = region.code  # not broken down by region
    data[1]["period_end"] = "2020-12-31"  # before the start, and outside the strategy
    response = as_partner_a.post(URL, data, format="json")
    assert response.status_code == 400
    fields = {(e["row"], e["field"]) for e in response.json()["details"]["rows"]}
    assert (1, "region") in fields and (2, "period_end") in fields


def test_existing_value_for_the_same_period_is_a_row_error(as_partner_a, draft_a):
    data = [{"indicator": "IND-FORM", "period_start": "2023-01-01", "period_end": "2023-12-31", "value": "5"}]
    response = as_partner_a.post(URL, data, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["rows"][0]["row"] == 1


def test_more_than_the_limit_is_refused_with_a_clear_message(as_partner_a, indicator, settings, monthly):
    response = as_partner_a.post(URL, rows(1001), format="json")
    assert response.status_code == 400
    assert "1000 au plus" in response.json()["details"]["rows"][0]
    settings.API_BULK_MAX_BYTES = 2048
    text = "indicator,period_start,period_end,value\n" + "IND-FORM,2021-01-01,2021-12-31,1\n" * 100
    response = as_partner_a.generic("POST", URL, text.encode(), content_type="text/csv")
    assert response.status_code == 413
    assert not Measurement.objects.exists()


def test_csv_body_and_csv_file(as_partner_a, indicator):
    text = "indicator;period_start;period_end;value;source\nIND-FORM;2021-01-01;2021-12-31;12,5;Registre\n"
    response = as_partner_a.generic("POST", URL, text.encode("utf-8"), content_type="text/csv")
    assert response.status_code == 201, response.content
    assert str(Measurement.objects.get().value) == "12.5000"
    csv_file = io.BytesIO(b"\xef\xbb\xbfindicator,period_start,period_end,value\nIND-FORM,2022-01-01,2022-12-31,7\n\n")
    csv_file.name = "fevrier.csv"
    response = as_partner_a.post(URL, {"file": csv_file}, format="multipart")
    assert response.status_code == 201, response.content
    assert Measurement.objects.count() == 2


def test_csv_accepts_french_number_formatting(as_partner_a, indicator):
    text = "indicator;period_start;period_end;value\nIND-FORM;2021-01-01;2021-12-31;1\u00a0234\u00a0567,50\n"
    response = as_partner_a.generic("POST", URL, text.encode("utf-8"), content_type="text/csv")
    assert response.status_code == 201, response.content
    assert str(Measurement.objects.get().value) == "1234567.5000"


def test_csv_errors_are_numbered_by_data_row(as_partner_a, indicator):
    text = (
        "indicator,period_start,period_end,value\nIND-FORM,2021-01-01,2021-12-31,1\nIND-FORM,2022-01-01,2022-12-31,\n"
    )
    response = as_partner_a.generic("POST", URL, text.encode(), content_type="text/csv")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["details"]["rows"]] == [(2, "value")]


# A yearly indicator (IND-FORM) with a quarterly row: refused on every format, naming
# the row and proposing the year; nothing of the file is saved (all or nothing).
QUARTER_ON_A_YEARLY = {
    "row": 2,
    "field": "period_end",
    "reason": (
        "Cet indicateur est rapporté selon une périodicité annuelle : la période doit être exactement une "
        "période de cette périodicité, par exemple du 01/01/2022 au 31/12/2022 (2022)."
    ),
}


def test_json_refuses_a_quarter_on_a_yearly_indicator(as_partner_a, indicator):
    data = [
        {"indicator": "IND-FORM", "period_start": "2021-01-01", "period_end": "2021-12-31", "value": "4"},
        {"indicator": "IND-FORM", "period_start": "2022-04-01", "period_end": "2022-06-30", "value": "1"},
    ]
    response = as_partner_a.post(URL, data, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["rows"] == [QUARTER_ON_A_YEARLY]
    assert not Measurement.objects.exists()


def test_csv_refuses_a_quarter_on_a_yearly_indicator(as_partner_a, indicator):
    text = (
        "indicator;period_start;period_end;value\nIND-FORM;2021-01-01;2021-12-31;4\nIND-FORM;2022-04-01;2022-06-30;1\n"
    )
    response = as_partner_a.generic("POST", URL, text.encode(), content_type="text/csv")
    assert response.status_code == 400
    assert response.json()["details"]["rows"] == [QUARTER_ON_A_YEARLY]
    assert not Measurement.objects.exists()


def test_xlsx_refuses_a_quarter_on_a_yearly_indicator(as_partner_a, indicator):
    content = _xlsx(
        [
            ["indicator", "period_start", "period_end", "value"],
            ["IND-FORM", dt.date(2021, 1, 1), dt.date(2021, 12, 31), 4],
            ["IND-FORM", dt.date(2022, 4, 1), dt.date(2022, 6, 30), 1],
        ]
    )
    response = as_partner_a.generic("POST", URL, content, content_type=XLSX)
    assert response.status_code == 400
    assert response.json()["details"]["rows"] == [QUARTER_ON_A_YEARLY]
    assert not Measurement.objects.exists()


def test_a_quarterly_indicator_takes_quarters_and_refuses_a_year_in_bulk(as_partner_a, indicator):
    indicator.frequency = Frequency.QUARTERLY
    indicator.save()
    quarters = [
        {"indicator": "IND-FORM", "period_start": start, "period_end": end, "value": "1"}
        for start, end in (("2024-01-01", "2024-03-31"), ("2024-04-01", "2024-06-30"))
    ]
    year = {"indicator": "IND-FORM", "period_start": "2025-01-01", "period_end": "2025-12-31", "value": "1"}
    refused = as_partner_a.post(URL, [*quarters, year], format="json")
    assert refused.status_code == 400
    assert [(e["row"], e["field"]) for e in refused.json()["details"]["rows"]] == [(3, "period_end")]
    assert "du 01/01/2025 au 31/03/2025 (T1 2025)" in refused.json()["details"]["rows"][0]["reason"]
    assert not Measurement.objects.exists()
    assert as_partner_a.post(URL, quarters, format="json").status_code == 201
    assert Measurement.objects.count() == 2


def test_csv_without_required_columns_is_400(as_partner_a, indicator):
    response = as_partner_a.generic("POST", URL, b"foo,bar\n1,2\n", content_type="text/csv")
    assert response.status_code == 400
    assert "file" in response.json()["details"]


def _xlsx(lines):
    workbook = Workbook()
    sheet = workbook.active
    for line in lines:
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_body_and_file(as_partner_a, indicator):
    content = _xlsx(
        [
            ["indicator", "period_start", "period_end", "value", "source"],
            ["IND-FORM", dt.datetime(2021, 1, 1), dt.date(2021, 12, 31), 12.5, "Registre"],
            ["IND-FORM", "2022-01-01", "2022-12-31", 3, None],
        ]
    )
    response = as_partner_a.generic("POST", URL, content, content_type=XLSX)
    assert response.status_code == 201, response.content
    assert sorted(str(v) for v in Measurement.objects.values_list("value", flat=True)) == ["12.5000", "3.0000"]
    upload = io.BytesIO(
        _xlsx([["indicator", "period_start", "period_end", "value"], ["IND-FORM", "2023-01-01", "2023-12-31", 1]])
    )
    upload.name = "mars.xlsx"
    response = as_partner_a.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert Measurement.objects.count() == 3


def test_damaged_xlsx_is_400(as_partner_a, indicator):
    response = as_partner_a.generic("POST", URL, b"PK\x03\x04 not really a zip", content_type=XLSX)
    assert response.status_code == 400
    assert "file" in response.json()["details"]


def test_idempotent_retry_replays_the_first_answer(as_partner_a, indicator, partner_a, monthly):
    first = as_partner_a.post(URL, rows(3), format="json", HTTP_IDEMPOTENCY_KEY="fca-2021-01")
    assert first.status_code == 201
    again = as_partner_a.post(URL, rows(3), format="json", HTTP_IDEMPOTENCY_KEY="fca-2021-01")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Measurement.objects.count() == 3
    other = as_partner_a.post(URL, rows(4), format="json", HTTP_IDEMPOTENCY_KEY="fca-2021-01")
    assert other.status_code == 422
    assert Measurement.objects.count() == 3
    assert IdempotencyKey.objects.get().user == partner_a


def test_idempotency_key_after_a_400_can_be_reused_with_fixed_rows(as_partner_a, indicator, monthly):
    bad = rows(2)
    bad[1]["value"] = "x"
    assert as_partner_a.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 400
    assert as_partner_a.post(URL, rows(2), format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    assert Measurement.objects.count() == 2


def test_idempotency_keys_are_per_user(api, indicator, partner_a, editor, org_a, monthly):
    assert api(partner_a).post(URL, rows(1), format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    data = [dict(rows(1, first=12)[0], organisation="FCA")]
    assert api(editor).post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert Measurement.objects.count() == 2


def test_invalid_idempotency_key_is_400(as_partner_a, indicator, monthly):
    response = as_partner_a.post(URL, rows(1), format="json", HTTP_IDEMPOTENCY_KEY="a b")
    assert response.status_code == 400


def test_ministry_rows_name_the_organisation(as_editor, indicator, monthly):
    response = as_editor.post(URL, rows(1), format="json")
    assert response.status_code == 400
    assert response.json()["details"]["rows"][0]["field"] == "organisation"
    data = [dict(rows(1)[0], organisation="FCA")]
    assert as_editor.post(URL, data, format="json").status_code == 201


def test_viewer_cannot_bulk(as_viewer, indicator, monthly):
    assert as_viewer.post(URL, rows(1), format="json").status_code == 403


def test_lookups_do_not_grow_with_rows(as_partner_a, indicator, monthly):
    """Validation of rows that fail early (unknown codes) costs the same few queries for 10 or 500 rows."""

    def count(n):
        data = rows(n, code="UNKNOWN")
        with CaptureQueriesContext(connection) as queries:
            assert as_partner_a.post(URL, data, format="json").status_code == 400
        return len(queries)

    assert count(10) == count(500)


# ---------------------------------------------------------------- XLSX bombs

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["indicator", "period_start", "period_end", "value"]
MB = 1024 * 1024


def _rebuild(replace):
    """A real workbook (header and one row, shared strings) with parts replaced:
    ``replace`` maps a part's name to an iterable of byte chunks, streamed into the
    zip so that a bomb of 100 MB never sits whole in the test's memory."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx([HEADER, ["IND-FORM", "2021-01-01", "2021-12-31", 1]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in [*source.namelist(), *(n for n in replace if n not in source.namelist())]:
            if name in replace:
                with target.open(name, "w", force_zip64=True) as part:
                    for chunk in replace[name]:
                        part.write(chunk)
            elif name == "[Content_Types].xml" and "xl/sharedStrings.xml" in replace:  # openpyxl writes none
                target.writestr(name, source.read(name).replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>"))
            else:
                target.writestr(name, source.read(name))
    return buffer.getvalue()


SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def _sheet(dimension, cells_in_header=0, row_number=2):
    yield f'<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/><sheetData><row r="1">'.encode()
    yield b"".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>'.encode() for name in HEADER)
    chunk = b'<c t="n"><v>1</v></c>' * 10_000
    for _ in range(cells_in_header // 10_000):
        yield chunk
    yield f'</row><row r="{row_number}"><c t="inlineStr"><is><t>IND-FORM</t></is></c>'.encode()
    yield b'<c t="inlineStr"><is><t>2021-01-01</t></is></c><c t="inlineStr"><is><t>2021-12-31</t></is></c>'
    yield b'<c t="n"><v>1</v></c></row></sheetData></worksheet>'


def _shared_strings(megabytes):
    yield f'<sst xmlns="{MAIN}"><si><t>'.encode()
    chunk = b"a" * MB
    for _ in range(megabytes):
        yield chunk
    yield b"</t></si></sst>"


SHEET = "xl/worksheets/sheet1.xml"
BOMBS = {
    # As reported: 5 million cells in the header (about 100 MB of XML in 250 KB).
    "five-million-cell-header": lambda: _rebuild({SHEET: _sheet("A1:ZZZ5000000", 5_000_000)}),
    # Under the unpacked-size limit, still far more columns than a file may have.
    "wide-header": lambda: _rebuild({SHEET: _sheet("A1:D2", 400_000)}),
    # As reported: shared strings that unpack to 100 MB.
    "shared-strings-100-mb": lambda: _rebuild({"xl/sharedStrings.xml": _shared_strings(100)}),
    # The same wide header and shared strings in parts whose names do not end in .xml:
    # openpyxl finds a sheet through the workbook's relationships, not by its name.
    "wide-header-named-bin": lambda: _rebuild({SHEET: _sheet("A1:D2", 400_000)}).replace(b"sheet1.xml", b"sheet1.bin"),
    # (10 MB: under the unpacked total, over the shared strings' own limit.)
    "shared-strings-named-bin": lambda: _rebuild({"xl/sharedStrings.xml": _shared_strings(10)}).replace(
        b"sharedStrings.xml", b"sharedStrings.bin"
    ),
}
LIMITS = {
    "five-million-cell-header": "octets au plus",
    "wide-header": "colonnes",
    "shared-strings-100-mb": "Textes partagés",
    "wide-header-named-bin": "colonnes",
    "shared-strings-named-bin": "Textes partagés",
}

CHILD = """
import json, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024,) * 2)  # a runaway parse fails, not the machine
import django
django.setup()
from rest_framework.exceptions import ValidationError
from strategy.api.bulk import rows_from_xlsx
content = sys.stdin.buffer.read()
try:
    rows_from_xlsx(content)
    outcome = None
except ValidationError as exc:
    outcome = exc.detail["file"][0]
except MemoryError:
    outcome = "MemoryError"
# This interpreter's own peak (VmHWM: ru_maxrss also counts the parent's memory at fork).
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024
print(json.dumps({"outcome": outcome and str(outcome), "peak_mb": peak}))
"""


def _parse_in_a_child(content):
    """rows_from_xlsx(content) in a fresh interpreter: its answer and its peak memory (MB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="1")
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=content,
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_xlsx_bomb_is_a_400_naming_the_limit_and_the_worker_stays_small(bomb):
    content = BOMBS[bomb]()
    assert len(content) < 600 * 1024  # small files...
    result = _parse_in_a_child(content)
    assert result["outcome"] and LIMITS[bomb] in result["outcome"], result
    assert any(ch.isdigit() for ch in result["outcome"])  # ...refused with the number
    assert result["peak_mb"] < 200, result


def test_xlsx_bomb_through_the_api_is_a_400_on_file(as_partner_a, indicator, settings):
    response = as_partner_a.generic("POST", URL, BOMBS["wide-header"](), content_type=XLSX)
    assert response.status_code == 400, response.content
    message = response.json()["details"]["file"][0]
    assert str(settings.API_BULK_MAX_COLUMNS) in message
    assert not Measurement.objects.exists()


def test_xlsx_declaring_a_huge_dimension_is_read_as_it_is(as_partner_a, indicator):
    """openpyxl pads rows up to the <dimension> a file declares: the rows are read as
    they are instead, so a wrong dimension neither blows up nor refuses a good file."""
    content = _rebuild({SHEET: _sheet("A1:ZZZ5000000")})
    response = as_partner_a.generic("POST", URL, content, content_type=XLSX)
    assert response.status_code == 201, response.content
    assert Measurement.objects.count() == 1


@pytest.mark.parametrize(
    ("sheet", "reason"),
    [
        (lambda: _sheet("A1:D2", row_number=1002), "lignes"),  # a row number beyond the limit
        (lambda: _sheet("A1:D2", cells_in_header=100_000), "colonnes"),
    ],
)
def test_xlsx_rows_and_columns_beyond_the_limits_are_400(as_partner_a, indicator, sheet, reason):
    response = as_partner_a.generic("POST", URL, _rebuild({SHEET: sheet()}), content_type=XLSX)
    assert response.status_code == 400, response.content
    assert reason in response.json()["details"]["file"][0]


def test_xlsx_with_a_bloated_part_is_refused_whatever_its_name(as_partner_a, indicator):
    """openpyxl builds a whole tree of the styles (and of every part but the sheets and
    the shared strings): 60,000 elements there are refused before it does."""
    styles = [f'<styleSheet xmlns="{MAIN}">'.encode(), b"<x/>" * 60_000, b"</styleSheet>"]
    response = as_partner_a.generic("POST", URL, _rebuild({"xl/styles.xml": styles}), content_type=XLSX)
    assert response.status_code == 400, response.content
    assert "50000" in response.json()["details"]["file"][0]
    # A sheet is known by its root element, not by its part's name.
    content = _rebuild({SHEET: _sheet("A1:D2", cells_in_header=100_000)}).replace(b"sheet1.xml", b"feuil1.xml")
    response = as_partner_a.generic("POST", URL, content, content_type=XLSX)
    assert response.status_code == 400, response.content
    assert "colonnes" in response.json()["details"]["file"][0]


def test_xlsx_with_a_dtd_is_refused(as_partner_a, indicator):
    entity = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
    content = _rebuild({SHEET: [entity, *_sheet("A1:D2")]})
    response = as_partner_a.generic("POST", URL, content, content_type=XLSX)
    assert response.status_code == 400
    assert "file" in response.json()["details"]
    assert not Measurement.objects.exists()


def test_csv_with_too_many_columns_is_400(as_partner_a, indicator, settings):
    header = ",".join(HEADER + [f"x{i}" for i in range(settings.API_BULK_MAX_COLUMNS)])
    response = as_partner_a.generic("POST", URL, (header + "\n").encode(), content_type="text/csv")
    assert response.status_code == 400
    assert str(settings.API_BULK_MAX_COLUMNS) in response.json()["details"]["file"][0]
