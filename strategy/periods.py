"""Reporting periods: a measurement covers exactly one period of its indicator's
frequency (a calendar month, quarter, half-year or year), and its report is due a fixed
number of days after the period's end. Pure functions on dates; the reporting calendar
(strategy/calendar.py) and the rules (Measurement.clean, strategy/db_rules.py) use them."""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from strategy.choices import FREQUENCY_MONTHS, Frequency


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    frequency: str

    def due_date(self, delay_days):
        """The day its report is due: ``delay_days`` after the period's end."""
        return self.end + dt.timedelta(days=delay_days)

    @property
    def label(self):
        return period_label(self.frequency, self.start)

    def following(self):
        return period_containing(self.frequency, self.end + dt.timedelta(days=1))

    def __str__(self):
        return self.label


def _months(frequency):
    try:
        return FREQUENCY_MONTHS[Frequency(frequency)]
    except ValueError:
        raise ValueError(f"unknown frequency {frequency!r}") from None


def period_containing(frequency, day):
    """The period of ``frequency`` that contains ``day``."""
    months = _months(frequency)
    first_month = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first_month, 1)
    last_month = first_month + months - 1
    end = dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return Period(start, end, str(Frequency(frequency).value))


def is_period(frequency, start, end):
    """True when [start, end] is exactly one period of ``frequency``."""
    period = period_containing(frequency, start)
    return period.start == start and period.end == end


def periods_between(frequency, first_day, last_day):
    """Every period of ``frequency`` that ends between ``first_day`` and ``last_day``
    (inclusive) and starts on or after the period containing ``first_day``."""
    periods = []
    period = period_containing(frequency, first_day)
    while period.end <= last_day:
        periods.append(period)
        period = period.following()
    return periods


def period_label(frequency, start):
    """ "2025", "S1 2025", "T3 2025", "mars 2025" (translated)."""
    frequency = Frequency(frequency)
    if frequency == Frequency.YEARLY:
        return str(start.year)
    if frequency == Frequency.HALF_YEARLY:
        return _("S%(n)s %(year)s") % {"n": 1 if start.month <= 6 else 2, "year": start.year}
    if frequency == Frequency.QUARTERLY:
        return _("T%(n)s %(year)s") % {"n": (start.month - 1) // 3 + 1, "year": start.year}
    return date_format(start, "F Y")


def misfit_message(frequency, start, end):
    """The message that refuses [start, end] for ``frequency`` and proposes the period
    of that frequency which contains its start."""
    right = period_containing(frequency, start)
    return _(
        "Cet indicateur est rapporté selon une périodicité %(frequency)s : la période doit être exactement "
        "une période de cette périodicité, par exemple du %(start)s au %(end)s (%(label)s)."
    ) % {
        "frequency": Frequency(frequency).label,
        "start": f"{right.start:%d/%m/%Y}",
        "end": f"{right.end:%d/%m/%Y}",
        "label": right.label,
    }
