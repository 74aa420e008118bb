"""Numbers, money and dates shown the French way, whatever the interface language:
``1 234 567,50 DH``, ``45,0 %``, ``26/07/2021``."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

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


@register.filter
def money(value):
    """Amount in MAD: ``1 234 567,50 DH``; empty stays empty."""
    if value is None or value == "":
        return "—"
    return f"{group(value, 2)}{NBSP}DH"


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
def figure(value, places=2):
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
