"""Geometry of the server-rendered SVG charts (no JavaScript).

These functions only place figures already computed by the querysets on a drawing:
they turn dates and Decimals into x / y coordinates and tick labels. Colours live in
the stylesheet (CSS classes), never in style attributes. Every chart is printed beside
a table of the same numbers, so it is readable without the picture.

Text stays readable at every width: the stylesheet sizes the charts' text by the width the
figure is drawn at (container queries in portal.css, "Charts"), so that once the drawing is
scaled down to a phone its labels still measure 12 CSS px or more; the margins below leave
room for that largest size, and labels marked ``minor`` (every other year) are hidden when
the figure is narrow.

Time runs by the date: a value for the period ending 31/12/N sits on the gridline of the
year N (year ticks stand at each year's end), never on N+1's."""

import datetime as dt
import math
from decimal import Decimal

from django.utils.translation import gettext as _

from artisanat.templatetags.artisanat_format import group


def _f(value):
    return float(value) if value is not None else None


def _nice_step(span, ticks=5):
    """A round step (1, 2, 2.5, 5 × 10^n) giving about ``ticks`` intervals over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _y_scale(values, top, bottom):
    """Scale from value to y (SVG y grows downwards); the range always includes 0."""
    low = min([0.0, *values])
    high = max([0.0, *values])
    if high == low:
        high = low + 1
    step = _nice_step(high - low)
    low = step * (low // step)
    high = step * -(-high // step)

    def y(v):
        return round(bottom - (v - low) * (bottom - top) / (high - low), 1)

    ticks = []
    v = low
    while v <= high + step / 1000:
        places = 0 if float(step).is_integer() else 1
        ticks.append({"y": y(v), "label": group(Decimal(str(round(v, 6))), places)})
        v += step
    return y, ticks


def value_label(value):
    """A figure as printed on a chart: no decimals when it is whole, else two."""
    if value is None:
        return "—"
    value = Decimal(value)
    return group(value, 0 if value == value.to_integral_value() else 2)


def _points(pairs):
    return " ".join(f"{x},{y}" for x, y in pairs)


def year_ends(dates):
    """The first and last year-ends (31/12) around ``dates``: a date on 31/12/N starts or
    ends the range at N, any other date of the year N at N-1 (start) or N (end)."""
    first, last = min(dates), max(dates)
    start = dt.date(first.year if (first.month, first.day) == (12, 31) else first.year - 1, 12, 31)
    return start, dt.date(last.year, 12, 31)


def line_chart(*, baseline, targets, achieved, forecast=None, as_of=None, unit="", width=720, height=320):
    """Baseline, targets, achieved values and the expected trajectory of an indicator.

    ``baseline``: (date, value); ``targets`` and ``achieved``: lists of (date, value);
    ``forecast``: ((date, value), (date, value)) or None; ``unit``: the y-axis's unit, as
    read. Each point sits at its date; the year ticks stand at the years' ends (31/12/N,
    labelled N), so a yearly value (period ending 31/12/N) sits on N. Returns what the
    template draws."""
    left, right, top, bottom = 130, width - 24, 64, height - 52
    dated = [baseline, *targets, *achieved, *(forecast or [])]
    dates = [d for d, _v in dated if d is not None]
    if as_of is not None:
        dates.append(as_of)
    start, end = year_ends(dates)
    span = (end - start).days or 1

    def x(day):
        return round(left + (day - start).days * (right - left) / span, 1)

    y, y_ticks = _y_scale([_f(v) for _d, v in dated if v is not None], top, bottom)
    x_ticks = []
    step = 1 if end.year - start.year <= 12 else 2
    for n, year in enumerate(range(start.year, end.year + 1, step)):
        x_ticks.append({"x": x(dt.date(year, 12, 31)), "label": str(year), "minor": n % 2 == 1})

    def dots(pairs, kind):
        return [
            {"x": x(d), "y": y(_f(v)), "date": d, "value": v, "label": value_label(v), "kind": kind}
            for d, v in pairs
            if d is not None and v is not None
        ]

    trajectory = [baseline, *sorted(targets)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": right,
        "top": top,
        "bottom": bottom,
        "unit": unit,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "trajectory": _points((x(d), y(_f(v))) for d, v in trajectory),
        "achieved": _points((x(d), y(_f(v))) for d, v in achieved),
        "forecast": _points((x(d), y(_f(v))) for d, v in forecast) if forecast else "",
        "baseline_dot": dots([baseline], "baseline"),
        "target_dots": dots(targets, "target"),
        "achieved_dots": dots(achieved, "achieved"),
        "as_of_x": x(as_of) if as_of is not None and start <= as_of <= end else None,
    }


def grouped_bars(groups, *, series, unit="", divisor=1, planned=(), planned_name="", width=720, height=300):
    """Vertical bars, one group per label (a year, a party) and one bar per series.

    ``groups``: [(label, [value per series])]; ``series``: [(css class, name)]; ``unit``:
    the y-axis's unit (the values are divided by ``divisor`` first: 10**6 for amounts in
    M DH); ``planned``: the labels of the groups still to come (years after the page's
    date), drawn as outlines ("prévu", ``planned_name`` in the legend) rather than
    filled ("réalisé")."""
    left, right, top, bottom = 120, width - 10, 64, height - 44
    divisor = float(divisor)
    values = [(_f(v) or 0.0) / divisor for _label, row in groups for v in row]
    y, y_ticks = _y_scale(values or [0.0], top, bottom)
    slot = (right - left) / max(len(groups), 1)
    bar = min(40.0, slot * 0.8 / max(len(series), 1))
    zero = y(0.0)
    planned = set(planned)
    # Beyond six groups (years), every other label is "minor": hidden on a narrow figure,
    # where the enlarged labels would overlap. Six or fewer (parties) all stay.
    many = len(groups) > 6
    bars, labels = [], []
    for i, (label, row) in enumerate(groups):
        group_left = left + i * slot + (slot - bar * len(series)) / 2
        labels.append({"x": round(left + i * slot + slot / 2, 1), "label": label, "minor": many and i % 2 == 1})
        for j, value in enumerate(row):
            top_y = y((_f(value) or 0.0) / divisor)
            state = _("prévu") if label in planned else _("réalisé")
            bars.append(
                {
                    "x": round(group_left + j * bar, 1),
                    "y": min(top_y, zero),
                    "width": round(bar - 2, 1),
                    "height": round(abs(zero - top_y), 1),
                    "css": series[j][0] + (" planned" if label in planned else ""),
                    "title": f"{label} · {series[j][1]} ({state}) : {group(value or 0, 2)}",
                }
            )
    legend = [{"css": css, "name": name} for css, name in series]
    if planned and any(label in planned for label, _row in groups):
        legend.append({"css": "planned", "name": planned_name or _("prévu")})
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": right,
        "top": top,
        "bottom": bottom,
        "zero": zero,
        "unit": unit,
        "y_ticks": y_ticks,
        "bars": bars,
        "labels": labels,
        "label_y": bottom + 10,
        "legend": legend,
    }


def horizontal_bars(rows, *, width=720, row_height=72):
    """One horizontal bar per row (a region, a filière): ``rows`` = [(label, value)]. Each
    row's name and value stand on a line of their own above its bar, the whole width
    long, so that they stay readable when the text is enlarged on a phone."""
    left, right, top = 0, width - 4, 6
    height = top + row_height * max(len(rows), 1) + 6
    values = [_f(v) or 0.0 for _label, v in rows]
    high = max([0.0, *values]) or 1.0
    low = min([0.0, *values])
    span = high - low or 1.0

    def x(v):
        return round(left + (v - low) * (right - left) / span, 1)

    zero = x(0.0)
    bars = []
    for i, (label, value) in enumerate(rows):
        v = _f(value) or 0.0
        end = x(v)
        bars.append(
            {
                "x": min(zero, end),
                "y": top + i * row_height + row_height - 26,
                "width": max(round(abs(end - zero), 1), 1),
                "height": 18,
                "label": label,
                "label_x": left,
                "value_x": right,
                "text_y": top + i * row_height + row_height - 34,
                "value": value,
                "value_label": value_label(value),
            }
        )
    return {"width": width, "height": height, "bars": bars}
