"""The home page and the charts in a real browser, on the demo data (issue 15, items 4
and 5): screenshots in French, Arabic and at phone width, the indicator page's chart in
both languages, and the charts' text measured at 12 CSS px or more at 390 and 1440 px."""

import io

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD, add_totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# Each visible text of the page's charts: its font size (user units, computed) times the
# scale the SVG is drawn at (rendered width ÷ viewBox width) = its size in CSS px; and
# the height of its box, for a second reading.
MEASURE_TEXT = """
(selector) => [...document.querySelectorAll(selector)].flatMap((svg) => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll("text")]
    .filter((t) => getComputedStyle(t).display !== "none" && t.getBoundingClientRect().width > 0)
    .map((t) => ({
      text: t.textContent,
      size: parseFloat(getComputedStyle(t).fontSize) * scale,
      height: t.getBoundingClientRect().height,
    }));
})
"""


@pytest.fixture
def demo(monkeypatch):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("seed_demo", stdout=io.StringIO())
    validator = get_user_model().objects.get(username="validator")
    if not validator.totpdevice_set.filter(confirmed=True).exists():
        add_totp_device(validator)


def _indicator_with_a_chart():
    from strategy.models import Indicator, Measurement

    validated = Measurement.objects.filter(status="validated").values("indicator")
    return Indicator.objects.filter(pk__in=validated, targets__isnull=False).order_by("code").first()


def bar_colour(session, selector):
    """The colour drawn at the start of the first filled bar matching ``selector``."""
    from PIL import Image

    bars = session.page.locator(selector)
    index = next(n for n in range(bars.count()) if float(bars.nth(n).get_attribute("value") or 0) >= 10)
    picture = Image.open(io.BytesIO(bars.nth(index).screenshot())).convert("RGB")
    width, height = picture.size
    start = width - 4 if session.page.get_attribute("html", "dir") == "rtl" else 3
    return picture.getpixel((start, height // 2))


def chart_text(session, selector):
    sizes = session.page.evaluate(MEASURE_TEXT, selector)
    assert sizes, f"no chart text in {selector}"
    return sizes


def assert_readable(session, selector, width):
    small = [s for s in chart_text(session, selector) if s["size"] < 11.95]
    assert not small, (width, selector, small[:5])
    # The box of a 12 px text is at least about 12 px high too (ascent + descent).
    low = [s for s in chart_text(session, selector) if s["height"] < 11.5]
    assert not low, (width, selector, low[:5])


def test_home_in_french_with_the_validators_queue(browser_session, demo):
    session = browser_session("validator", PASSWORD)
    session.page.set_viewport_size(DESKTOP)
    session.goto("/")
    assert session.page.locator('[data-card="headline"] [data-figure="strategy-progress"]').is_visible()
    assert session.page.locator('[data-card="todo"][data-role="validator"]').is_visible()
    assert session.page.locator('[data-card="off-track"]').is_visible()
    assert session.page.locator('[data-card="oldest-late-milestones"]').is_visible()
    assert session.page.locator('table[data-table="execution-by-year"]').count() == 1
    # A progress bar beside "En retard" is drawn red, not green: the pixels of its filled part.
    assert bar_colour(session, "meter.progress.bar-off_track") == (163, 38, 47)
    assert_readable(session, "svg.bars", 1440)
    SCREENSHOTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / "home-fr.png"), full_page=True)


def test_home_in_arabic_for_a_partner(browser_session, demo):
    session = browser_session("partner_fca", PASSWORD, locale="ar")
    session.page.set_viewport_size(DESKTOP)
    session.goto("/")
    assert session.page.get_attribute("html", "dir") == "rtl"
    assert session.page.locator('[data-card="todo"][data-role="reporter"]').is_visible()
    assert session.page.locator('[data-todo="queue"]').count() == 0
    SCREENSHOTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / "home-ar.png"), full_page=True)


def test_home_on_a_phone_keeps_chart_text_readable(browser_session, demo):
    session = browser_session("editor", PASSWORD)
    session.page.set_viewport_size(PHONE)
    session.goto("/")
    assert session.page.locator('[data-card="todo"][data-role="editor"]').is_visible()
    assert_readable(session, "svg.bars", 390)
    # The home's own cards and its chart fit the phone's width.
    wider = session.page.evaluate(
        """() => [...document.querySelectorAll('[data-card], figure.chart')]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map((e) => e.dataset.card || e.dataset.chart)"""
    )
    assert not wider, wider
    SCREENSHOTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / "home-phone.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1440])
def test_indicator_chart_text_is_12px_or_more(browser_session, demo, width):
    indicator = _indicator_with_a_chart()
    session = browser_session("viewer", PASSWORD)
    session.page.set_viewport_size({"width": width, "height": 900})
    session.goto(f"/strategie/indicateurs/{indicator.pk}/")
    assert session.page.locator("svg.line [data-axis-unit]").text_content() == indicator.get_unit_display()
    assert_readable(session, "svg.line", width)
    if session.page.locator("svg.hbars").count():
        assert_readable(session, "svg.hbars", width)


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_indicator_page_screenshots(browser_session, demo, locale):
    indicator = _indicator_with_a_chart()
    session = browser_session("viewer", PASSWORD, locale="ar" if locale == "ar" else "fr-FR")
    session.page.set_viewport_size(DESKTOP)
    session.goto(f"/strategie/indicateurs/{indicator.pk}/")
    assert session.page.locator("svg.line").is_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / f"indicator-{locale}.png"), full_page=True)
