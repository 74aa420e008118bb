"""The server-side charts (artisanat/charts.py): where a value sits in time, the unit of
the y-axis, planned years drawn apart from actual ones, and colours anyone can tell from
the chart's background (WCAG contrast ≥ 3:1 for graphical objects)."""

import datetime as dt
import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from artisanat.charts import grouped_bars, horizontal_bars, line_chart

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "portal.css"


def _x_of(points, index):
    return float(points.split()[index].split(",")[0])


def test_a_value_for_year_n_sits_on_n_not_on_the_next_year():
    """A yearly value (period ending 31/12/2021) is drawn on the tick labelled 2021.
    The old chart put its ticks on 1 January: the value sat on 2022's gridline."""
    chart = line_chart(
        baseline=(dt.date(2020, 12, 31), D("0")),
        targets=[(dt.date(2025, 12, 31), D("500")), (dt.date(2030, 12, 31), D("1000"))],
        achieved=[(dt.date(2021, 12, 31), D("120")), (dt.date(2022, 12, 31), D("260"))],
        as_of=dt.date(2023, 6, 30),
        unit="artisans",
    )
    ticks = {t["label"]: t["x"] for t in chart["x_ticks"]}
    dots = {d["date"]: d["x"] for d in chart["achieved_dots"]}
    assert dots[dt.date(2021, 12, 31)] == ticks["2021"]
    assert dots[dt.date(2022, 12, 31)] == ticks["2022"]
    assert _x_of(chart["achieved"], 0) == ticks["2021"]
    assert chart["baseline_dot"][0]["x"] == ticks["2020"]
    assert [d["x"] for d in chart["target_dots"]] == [ticks["2025"], ticks["2030"]]
    # A date inside a year sits between the year before's end and its own.
    assert ticks["2022"] < chart["as_of_x"] < ticks["2023"]
    assert chart["unit"] == "artisans"


def test_every_other_year_label_is_minor_so_a_narrow_chart_can_drop_it():
    chart = line_chart(
        baseline=(dt.date(2020, 12, 31), D("0")), targets=[(dt.date(2030, 12, 31), D("10"))], achieved=[]
    )
    labels = [(t["label"], t["minor"]) for t in chart["x_ticks"]]
    assert labels[0] == ("2020", False) and labels[1] == ("2021", True) and labels[-1] == ("2030", False)


def test_bars_name_their_unit_scale_to_millions_and_draw_planned_years_apart():
    chart = grouped_bars(
        [("2024", [D("12000000"), D("6000000")]), ("2027", [D("8000000"), D("0")])],
        series=[("committed", "Engagé"), ("disbursed", "Décaissé")],
        unit="M DH",
        divisor=10**6,
        planned={"2027"},
        planned_name="Prévu",
    )
    assert chart["unit"] == "M DH"
    assert [t["label"] for t in chart["y_ticks"]][-1] == "12,5"  # millions (step 2,5), not 12 500 000
    by_year = {b["title"].split(" · ")[0]: [] for b in chart["bars"]}
    for b in chart["bars"]:
        by_year[b["title"].split(" · ")[0]].append(b["css"])
    assert by_year["2024"] == ["committed", "disbursed"]
    assert by_year["2027"] == ["committed planned", "disbursed planned"]
    assert "(prévu)" in chart["bars"][2]["title"] and "(réalisé)" in chart["bars"][0]["title"]
    assert [s["css"] for s in chart["legend"]] == ["committed", "disbursed", "planned"]
    actual = grouped_bars([("2024", [D("1"), D("1")])], series=[("committed", "E"), ("disbursed", "D")])
    assert [s["css"] for s in actual["legend"]] == ["committed", "disbursed"]  # no "planned" key without one


def test_horizontal_bars_put_each_name_on_its_own_line_above_its_bar():
    chart = horizontal_bars([("Casablanca-Settat", D("40")), ("Fès-Meknès", D("90"))])
    for b in chart["bars"]:
        assert b["text_y"] < b["y"]  # the text line ends above the bar
        assert b["label_x"] == 0 and b["value_x"] > b["x"] + b["width"] - 1
    assert chart["bars"][1]["width"] > chart["bars"][0]["width"]


# ----------------------------------------------------------------- colours


def _luminance(hex_colour):
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#9fb3c8", "#ffffff"), 2) == 2.15  # the old "engagé" blue the issue measured


def _stylesheet():
    css = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    variables = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", css))
    return css, variables


def _chart_colours():
    """Every (selector, property, colour) that draws a chart's data, a chart's legend key
    or a progress bar. Left out on purpose: the gridlines (``.grid``, a faint guide the
    labelled ticks repeat) and the planned bars' white fill (their outline carries them)."""
    css, variables = _stylesheet()
    found = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        selectors = " ".join(selectors.split())
        if not re.search(r"svg|\.key-|meter\.progress", selectors):
            continue
        if ".grid" in selectors or "::-webkit-meter-bar" in selectors:
            continue
        for prop, value in re.findall(r"(fill|stroke|background|border(?:-[\w-]+)?)\s*:\s*([^;]+)", body):
            for name in re.findall(r"var\(--([\w-]+)\)", value):
                if name in {"paper", "wash"}:
                    continue
                found.append((selectors, prop, variables[name]))
            for literal in re.findall(r"#[0-9a-fA-F]{3,6}\b", value):
                if literal.lower() in {"#fff", "#ffffff"}:
                    continue
                found.append((selectors, prop, literal))
    return found, variables


def test_every_chart_colour_stands_out_against_the_chart_and_the_page():
    colours, variables = _chart_colours()
    selectors = {s for s, _p, _c in colours}
    # The rules this test is about are there (a renamed selector must not empty it).
    for expected in ("svg rect.bar.committed", "svg .as-of", "svg polyline.trajectory", "meter.progress.bar-at_risk"):
        assert any(expected in s for s in selectors), expected
    backgrounds = {"chart (paper)": variables["paper"], "page (wash)": variables["wash"]}
    weak = [
        (selector, prop, colour, where, round(contrast(colour, background), 2))
        for selector, prop, colour in colours
        for where, background in backgrounds.items()
        if contrast(colour, background) < 3
    ]
    assert not weak, weak


@pytest.mark.parametrize("name", ["ok", "risk", "off", "none", "committed", "disbursed", "as-of", "neutral-bar"])
def test_status_and_series_colours_reach_three_to_one(name):
    _css, variables = _stylesheet()
    assert contrast(variables[name], variables["paper"]) >= 3
    assert contrast(variables[name], variables["wash"]) >= 3


def test_few_bar_labels_all_stay_many_years_alternate():
    parties = grouped_bars(
        [(name, [D("1"), D("1")]) for name in ("MTAESS", "FCA", "MDA")], series=[("a", "A"), ("b", "B")]
    )
    assert not any(label["minor"] for label in parties["labels"])
    years = grouped_bars([(str(y), [D("1"), D("1")]) for y in range(2021, 2031)], series=[("a", "A"), ("b", "B")])
    assert [label["minor"] for label in years["labels"]][:3] == [False, True, False]
