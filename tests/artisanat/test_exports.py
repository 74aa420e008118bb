"""The CSV writer: no text becomes a formula in a spreadsheet, whichever separator it
splits lines on (``,`` or, in French, ``;``), honouring quotes or not."""

import csv
import io
import re
from decimal import Decimal as D

import pytest

from artisanat.exports import Column, neutralise_csv, write_csv

API = "/api/v1"
COLUMNS = [Column("id", lambda r: r["id"]), Column("source", lambda r: r["source"]), Column("value", lambda r: r["v"])]
HOSTILE = [
    "Registre;=1+1;fin",
    "Registre,=1+1,fin",
    'Registre;"=HYPERLINK(""http://x"")";fin',
    "Registre;+1;fin",
    "Registre;@SUM(A1);fin",
    "Registre;-2+3;fin",
    "Registre\n=1+1",
    "Registre\t=1+1",
    "=1+1",
]
FORMULA = re.compile(r'^"*([=+@\t\r]|-(?![\d.]+"*$))')


def _pieces(text, separator):
    """Every cell a reader splitting on ``separator`` (or a line break) without
    honouring quotes would see."""
    return [piece for line in text.splitlines() for piece in line.split(separator)]


def _csv(rows):
    return write_csv(rows, COLUMNS).decode("utf-8-sig")


@pytest.mark.parametrize("separator", [",", ";"])
def test_no_cell_is_a_formula_whatever_the_separator(separator):
    text = _csv([{"id": i, "source": s, "v": D("-5.25")} for i, s in enumerate(HOSTILE)])
    # A reader that honours quotes: one cell per field, every text neutralised.
    for row in csv.reader(io.StringIO(text), delimiter=separator):
        for cell in row:
            assert not FORMULA.match(cell), (separator, cell)
    # One that does not: still no piece starting a formula.
    for piece in _pieces(text, separator):
        assert not FORMULA.match(piece), (separator, piece)


def test_every_field_is_quoted_so_a_semicolon_never_splits_a_cell():
    text = _csv([{"id": 1, "source": "Registre;=1+1;fin", "v": D("12.5")}])
    assert text.splitlines() == ['"id","source","value"', '"1","Registre;\'=1+1;fin","12.5"']
    assert text.splitlines()[1].split(";") == ['"1","Registre', "'=1+1", 'fin","12.5"']


def test_the_comma_reader_gets_the_text_back_with_only_apostrophes_added():
    text = _csv([{"id": i, "source": s, "v": None} for i, s in enumerate(HOSTILE)])
    read = [row[1] for row in csv.reader(io.StringIO(text))][1:]
    assert [r.replace("'", "") for r in read] == [s.replace("'", "") for s in HOSTILE]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Montant, -5", "Montant, -5"),  # a space first: text for every spreadsheet
        ("a;b", "a;b"),
        ("a;-5", "a;'-5"),
        (D("-5"), D("-5")),  # a number stays a number
        ("-2+3", "'-2+3"),
    ],
)
def test_neutralise_csv(value, expected):
    assert neutralise_csv(value) == expected


@pytest.mark.parametrize("separator", [",", ";"])
def test_api_export_of_a_source_with_a_semicolon_formula(as_partner_a, indicator, separator):
    rows = [
        {
            "indicator": "IND-FORM",
            "period_start": "2021-01-01",
            "period_end": "2021-12-31",
            "value": "3",
            "source": "Registre;=1+1;fin",
        }
    ]
    assert as_partner_a.post(f"{API}/measurements/bulk/", rows, format="json").status_code == 201
    text = as_partner_a.get(f"{API}/measurements/", {"format": "csv"}).content.decode("utf-8-sig")
    assert '"Registre;\'=1+1;fin"' in text
    for piece in _pieces(text, separator):
        assert not FORMULA.match(piece), piece


def test_an_aware_datetime_is_exported_in_local_time_without_its_zone():
    """One rule for every export (Excel has no time zones: an aware datetime made the
    comments' XLSX a 500): the portal's local time (Africa/Casablanca), naive."""
    import datetime as dt

    from artisanat.exports import cell

    moment = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    assert cell(moment) == dt.datetime(2026, 4, 1, 0, 30)  # UTC+1 in Casablanca
    assert cell(dt.datetime(2026, 3, 31, 8, 0)) == dt.datetime(2026, 3, 31, 8, 0)  # naive: unchanged
