"""Numbers, money and dates shown the French way, whatever the interface language:
``1 234 567,50 DH``, ``45,0 %``, ``26/07/2021``. Only the currency's word follows the
language ("درهم" in Arabic: the msgids "DH" and "M DH" in the context "currency")."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()

NBSP = "\u00a0"


def group(value, places):
    """``1234567.5`` → ``1 234 567,50`` (non-breaking spaces, decimal comma)."""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    quantum = Decimal(1).scaleb(-places)
    number = number.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = NBSP.join(groups) or "0"
    return f"{sign}{text},{fraction}" if places else f"{sign}{text}"


def currency():
    """The dirham's abbreviation in the interface language: "DH", "درهم" in Arabic."""
    return pgettext("currency", "DH")


@register.filter
def money(value):
    """Amount in MAD: ``1 234 567,50 DH``; empty stays empty."""
    if value is None or value == "":
        return "—"
    return f"{group(value, 2)}{NBSP}{currency()}"


@register.filter
def money_millions(value, places=1):
    """Amount in MAD shown in millions, for summaries: ``1 234,5 M DH`` ("مليون درهم" in
    Arabic); empty stays empty."""
    if value is None or value == "":
        return "—"
    try:
        millions = Decimal(value) / Decimal(1_000_000)
    except (InvalidOperation, TypeError, ValueError):
        return "—"
    label = pgettext("currency", "M DH").replace(" ", NBSP)
    return f"{group(millions, int(places))}{NBSP}{label}"


@register.filter
def number(value, places=0):
    if value is None or value == "":
        return "—"
    return group(value, int(places))


@register.filter
def pct(value, places=1):
    """Percentage: ``45,0 %``; None is "no data", shown as a dash, never as 0."""
    if value is None or value == "":
        return _("sans données")
    return f"{group(value, int(places))}{NBSP}%"


@register.filter
def dmy(value):
    """Date as dd/mm/yyyy."""
    if not value:
        return "—"
    return value.strftime("%d/%m/%Y")


@register.filter
def bar_width(value):
    """Progress clamped to 0–100 for a bar's width (the number beside it stays exact)."""
    if value is None:
        return 0
    return max(0, min(100, int(Decimal(value))))


@register.filter
def french_int(value):
    """A count, whole: ``7886`` or ``Decimal("7886.00")`` → ``7 886`` (rounded half-up)."""
    if value is None or value == "":
        return "—"
    return group(value, 0)


# Units whose values are counts (strategy.choices.Unit): shown whole.
COUNT_UNITS = {"count", "people", "artisans", "places"}


@register.filter
def figure(value, unit=""):
    """An indicator's value in its unit's precision: counts whole (``7 886``), anything
    else with two decimals (``1 234,50``)."""
    if value is None or value == "":
        return "—"
    return group(value, 0 if unit in COUNT_UNITS else 2)


@register.filter
def measured(value, places=2):
    """A measured figure: rounded to ``places`` decimals, without trailing zeros —
    ``2194.0000`` → ``2 194``, ``38.8733`` → ``38,87``; None is a dash."""
    if value is None or value == "":
        return "—"
    try:
        rounded = Decimal(value).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    shown = max(0, -rounded.normalize().as_tuple().exponent) if rounded else 0
    return group(rounded, min(shown, int(places)))
