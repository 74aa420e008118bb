"""``as_of``, the date every figure is computed at: parsed once, at the edge (pages,
API, exports, admin, commands), refused the same way everywhere, today when not given.

One format, the one the API documents and the browser's date field sends: ``YYYY-MM-DD``.
"Not given" is an absent parameter; on a page it is also the empty field that an HTML
form always sends (``?as_of=``), which the API, whose clients leave parameters out,
refuses as the malformed date it is.

Below the edge nothing parses or defaults: querysets and figure functions take the date
as a required argument, so a figure can never be computed at "today" by accident while
the page says another date."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
INVALID_DATE = _("Date invalide : attendu AAAA-MM-JJ (par exemple 2025-12-31).")


def today():
    """Today in the portal's time zone (Africa/Casablanca): the default ``as_of``."""
    return timezone.localdate()


def parse_date(raw):
    """``YYYY-MM-DD`` → the date; anything else → ValidationError with one message,
    whatever the surface."""
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    text = str(raw)
    if ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ValidationError(INVALID_DATE, code="invalid")


def as_of_from(raw):
    """The ``as_of`` of an API request or a command: ``raw`` parsed, today when absent."""
    if raw is None:
        return today()
    return parse_date(raw)


class AsOfField(forms.DateField):
    """A form (and django-filter) field that reads a date with :func:`parse_date`:
    the pages refuse a bad ``as_of`` with the API's words. An empty field is None
    (today)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_date(value)
