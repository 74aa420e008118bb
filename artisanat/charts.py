"""Geometry of the server-rendered SVG charts (no JavaScript).

These functions only place figures already computed by the querysets on a drawing:
they turn dates and Decimals into x / y coordinates and tick labels. Colours live in
the stylesheet (CSS classes), never in style attributes. Every chart is printed beside
a table of the same numbers, so it is readable without the picture."""

import datetime as dt
import math
from decimal import Decimal

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


def line_chart(*, baseline, targets, achieved, forecast=None, as_of=None, width=720, height=300):
    """Baseline, targets, achieved values and the expected trajectory of an indicator.

    ``baseline``: (date, value); ``targets`` and ``achieved``: lists of (date, value);
    ``forecast``: ((date, value), (date, value)) or None. Returns what the template draws."""
    left, right, top, bottom = 80, width - 20, 20, height - 40
    dated = [baseline, *targets, *achieved, *(forecast or [])]
    dates = [d for d, _v in dated if d is not None]
    if as_of is not None:
        dates.append(as_of)
    start, end = min(dates), max(dates)
    start = dt.date(start.year, 1, 1)
    end = dt.date(end.year, 12, 31)
    span = (end - start).days or 1

    def x(day):
        return round(left + (day - start).days * (right - left) / span, 1)

    y, y_ticks = _y_scale([_f(v) for _d, v in dated if v is not None], top, bottom)
    x_ticks = []
    step = 1 if end.year - start.year <= 10 else 2
    for year in range(start.year, end.year + 1, step):
        x_ticks.append({"x": x(dt.date(year, 1, 1)), "label": str(year)})

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


def grouped_bars(groups, *, series, width=720, height=260):
    """Vertical bars, one group per label (a year, a party) and one bar per series.

    ``groups``: [(label, [value per series])]; ``series``: [(css class, name)]."""
    left, right, top, bottom = 110, width - 10, 15, height - 35
    values = [_f(v) or 0.0 for _label, row in groups for v in row]
    y, y_ticks = _y_scale(values or [0.0], top, bottom)
    slot = (right - left) / max(len(groups), 1)
    bar = min(40.0, slot * 0.8 / max(len(series), 1))
    zero = y(0.0)
    bars, labels = [], []
    for i, (label, row) in enumerate(groups):
        group_left = left + i * slot + (slot - bar * len(series)) / 2
        labels.append({"x": round(left + i * slot + slot / 2, 1), "label": label})
        for j, value in enumerate(row):
            top_y = y(_f(value) or 0.0)
            bars.append(
                {
                    "x": round(group_left + j * bar, 1),
                    "y": min(top_y, zero),
                    "width": round(bar - 2, 1),
                    "height": round(abs(zero - top_y), 1),
                    "css": series[j][0],
                    "title": f"{label} · {series[j][1]} : {group(value or 0, 2)}",
                }
            )
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": right,
        "zero": zero,
        "y_ticks": y_ticks,
        "bars": bars,
        "labels": labels,
        "label_y": bottom + 20,
        "legend": [{"css": css, "name": name, "x": left + k * 180} for k, (css, name) in enumerate(series)],
    }


def horizontal_bars(rows, *, width=720, row_height=26):
    """One horizontal bar per row (a region, a filière): ``rows`` = [(label, value)]."""
    left, right, top = 230, width - 90, 10
    height = top + row_height * max(len(rows), 1) + 10
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
                "y": top + i * row_height + 4,
                "width": max(round(abs(end - zero), 1), 1),
                "height": row_height - 8,
                "label": label,
                "label_x": left - 8,
                "value_x": max(zero, end) + 6,
                "text_y": top + i * row_height + row_height / 2 + 4,
                "value": value,
                "value_label": value_label(value),
            }
        )
    return {"width": width, "height": height, "bars": bars}
