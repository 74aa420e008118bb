"""The one reader of numbers typed in the pages (artisanat.forms.french_decimal): the
French way, with a point, in Arabic-Indic or Eastern Arabic digits; what could be read
two ways is refused with a message, never guessed (docs/workspace.md, "Saisir un nombre")."""

from decimal import Decimal as D

import pytest
from django import forms

from artisanat.forms import FrenchDecimalField, decimal_text, french_decimal

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        # The French way: spaces (plain, no-break, narrow no-break) between thousands, a decimal comma.
        ("1 234,5", D("1234.5")),
        (f"1{NBSP}234{NBSP}567,25", D("1234567.25")),
        (f"1{NNBSP}234", D("1234")),
        ("1 234 567", D("1234567")),
        ("1 234,567", D("1234.567")),  # the spaces are the thousands: the comma is the decimal mark
        ("0,125", D("0.125")),
        (",5", D("0.5")),
        ("12,50", D("12.50")),
        # A point as decimal mark.
        ("1234.5", D("1234.5")),
        ("1 234.5", D("1234.5")),
        ("1.2345", D("1.2345")),
        ("1234,567", D("1234.567")),  # four digits before: no thousands separator there
        ("0.234", D("0.234")),
        # Thousands by points or commas, decimals by the other mark, after them.
        ("1.234,5", D("1234.5")),
        ("1,234.5", D("1234.5")),
        ("1.234.567", D("1234567")),  # only thousands repeat
        ("1.234.567,5", D("1234567.5")),
        ("1,234,567", D("1234567")),
        # Arabic-Indic and Eastern Arabic (Persian) digits, Arabic separators.
        ("١٢٣٤٫٥", D("1234.5")),
        ("۱۲۳۴٫۵", D("1234.5")),
        ("١٬٢٣٤٫٥", D("1234.5")),
        ("١ ٢٣٤,٥", D("1234.5")),
        ("١٢٣٫٤٥٦", D("123.456")),  # the Arabic decimal separator is never a thousands one
        ("٫٥", D("0.5")),
        ("١٢٣٤", D("1234")),
        # Signs, surrounding blanks and direction marks a right-to-left field slips in.
        ("-12,5", D("-12.5")),
        ("\u221212,5", D("-12.5")),
        ("- 3", D("-3")),
        ("  42 ", D("42")),
        ("\u200f١٢٣٤\u200f", D("1234")),
        (f"{NBSP}7{NBSP}", D("7")),
        # Empty is no value.
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_numbers_people_type_are_read(typed, value):
    assert french_decimal(typed) == value


@pytest.mark.parametrize(
    "typed",
    [
        "1.234",  # thousands or decimals?
        "1,234",
        "12.345",
        "999,999",
        "-1.234",
        "1.234,5,6",  # the decimal mark twice
        "1,234.5.6",
        "1 234.567,5",  # spaces, points and commas together
    ],
)
def test_ambiguous_numbers_are_refused_never_guessed(typed):
    with pytest.raises(forms.ValidationError) as refused:
        french_decimal(typed)
    assert "Valeur ambiguë" in refused.value.messages[0]
    assert typed in refused.value.messages[0]


@pytest.mark.parametrize(
    "typed",
    [
        "abc",
        "12 34",
        "1 2345",
        "12,",
        "1e5",
        "NaN",
        "Infinity",
        "-",
        "1..2",
        "1,,2",
        "12.34.5",
        "1,23,456",
        "1٫2٫3",
        "1٫2,3",
        "1 234 56",
        "$12",
        "12%",
        "+-1",
    ],
)
def test_unreadable_numbers_are_refused_with_an_example(typed):
    with pytest.raises(forms.ValidationError) as refused:
        french_decimal(typed)
    assert "Valeur illisible" in refused.value.messages[0] and "1 234,5" in refused.value.messages[0]


def test_too_many_decimals_or_digits_are_refused():
    with pytest.raises(forms.ValidationError, match="Au plus 4 chiffres après la virgule"):
        french_decimal("1,12345")
    with pytest.raises(forms.ValidationError, match="Au plus 2 chiffres après la virgule"):
        french_decimal("0,123", places=2)
    with pytest.raises(forms.ValidationError, match="Au plus 15 chiffres en tout"):
        french_decimal("1" * 16)


@pytest.mark.parametrize("value", [D("1000"), D("1234.5000"), D("0.1250"), D("-12.5"), D("0"), D("1234567.25")])
def test_a_value_shown_reads_back_to_itself(value):
    assert french_decimal(decimal_text(value)) == value


def test_the_field_is_a_text_input_with_a_decimal_keypad():
    field = FrenchDecimalField(places=4)
    assert field.clean("١٢٣٤٫٥") == D("1234.5")
    html = field.widget.render("value", field.prepare_value(D("546.0000")))
    assert 'type="text"' in html and 'inputmode="decimal"' in html and 'value="546"' in html
