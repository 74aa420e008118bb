"""The region map in a real browser (issue 16 item 3), on the staff indicator page, in
French and in Arabic: the twelve regions drawn and visible (the southern provinces
among them, as large as the map says), the legend and the table readable (12 CSS px or
more, at desktop and phone width), the drawing left to right in an Arabic page. Writes
``screenshots/map-fr.png`` and ``map-ar.png`` for a person to look at."""

import datetime as dt
from decimal import Decimal as D

import pytest

from artisanat.models import OFFICIAL_REGION_CODES, Organisation, Region
from portal.reference_data import REGIONS
from strategy.choices import MeasurementStatus
from strategy.models import Measurement
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Artisans trained in 2024 by region: two regions without data (Oriental, Guelmim-Oued Noun).
VALUES = {"01": 420, "03": 610, "04": 380, "05": 150, "06": 900, "07": 720, "08": 90, "09": 260, "11": 45, "12": 30}


@pytest.fixture
def regional(viewer, make_indicator, org_a):
    regions = {code: Region.objects.create(code=code, name=name, name_ar=ar) for code, name, ar in REGIONS}
    chamber = Organisation.objects.create(name="Chambre", acronym="CAR", kind=org_a.kind, region=regions["07"])
    indicator = make_indicator(
        code="IND-MAP", name="Artisans formés", name_ar="الصناع المكونون", by_region=True, reporters=[chamber]
    )
    for code, value in VALUES.items():
        Measurement.objects.create(
            indicator=indicator,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            value=D(value),
            organisation=org_a,
            region=regions[code],
            status=MeasurementStatus.VALIDATED,
        )
    return indicator


def drawn_regions(page):
    """{code: [width, height]} of each region's path as drawn on screen."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('svg.region-map path[data-region]')]
            .map(p => { const r = p.getBoundingClientRect(); return [p.dataset.region, [r.width, r.height]]; }))"""
    )


def smallest_text(page):
    return page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('[data-section="region-map"] li, '
            + '[data-section="region-map"] td, [data-section="region-map"] th')]
            .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    )


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_the_indicator_page_draws_the_twelve_regions(browser_session, regional, locale):
    session = browser_session("viewer", PASSWORD, locale=locale)
    session.goto(f"/strategie/indicateurs/{regional.pk}/?as_of=2025-06-30#carte")
    page = session.page
    assert page.get_attribute("html", "dir") == ("rtl" if locale == "ar" else "ltr")
    drawn = drawn_regions(page)
    assert sorted(drawn) == OFFICIAL_REGION_CODES
    assert all(w > 5 and h > 5 for w, h in drawn.values()), drawn
    # The southern provinces are among the largest shapes (they are the largest regions).
    areas = {code: w * h for code, (w, h) in drawn.items()}
    assert sorted(areas, key=areas.get)[-3:] == sorted(["08", "11", "12"], key=areas.get)
    # The drawing keeps its geography in Arabic: Dakhla (12) west of Oriental (02).
    boxes = page.evaluate(
        """() => Object.fromEntries(['02', '12'].map(c => [c,
            document.querySelector(`svg.region-map path[data-region="${c}"]`).getBoundingClientRect().left]))"""
    )
    assert boxes["12"] < boxes["02"]
    nodata = page.locator("svg.region-map path.map-nodata").evaluate_all("ps => ps.map(p => p.dataset.region)")
    assert sorted(nodata) == ["02", "10"]
    assert page.locator('[data-table="region-map"] tbody tr').count() == 12
    assert page.locator('[data-table="region-map"]').is_visible()
    assert smallest_text(page) >= 12
    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator('[data-section="region-map"]').screenshot(path=str(SCREENSHOTS / f"map-{locale}.png"))

    # A phone: the map above its table, every text still 12 px or more.
    page.set_viewport_size({"width": 390, "height": 844})
    assert all(w > 2 and h > 2 for w, h in drawn_regions(page).values())
    assert smallest_text(page) >= 12
    width = page.evaluate("document.querySelector('svg.region-map').getBoundingClientRect().width")
    assert width <= 390
