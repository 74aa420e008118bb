"""The measurement entry form in a real browser (issue 15, items 1 and 2): a value typed
the French way and in Arabic digits is stored exactly, an ambiguous one is refused and
nothing stored, and at phone width no element of the form is wider than the screen.
Screenshots: entry-fr.png, entry-ar.png, entry-phone.png."""

from decimal import Decimal as D

import pytest

from strategy.choices import Unit
from strategy.models import Measurement
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERIOD = "2024-01-01/2024-12-31"


@pytest.fixture
def money(make_indicator, org_a, partner_a, region):
    """A yearly amount in MDH, by region, reported by organisation A (its partner signs in)."""
    return make_indicator(
        code="IND-CA",
        name="Chiffre d'affaires à l'export des coopératives accompagnées",
        name_ar="رقم معاملات التصدير",
        unit=Unit.MDH,
        by_region=True,
        reporters=[org_a],
    )


def fill_and_save(session, indicator, region, typed):
    page = session.page
    session.goto(f"/strategie/mesures/nouvelle/?indicator={indicator.pk}")
    page.select_option("#id_period", PERIOD)
    page.select_option("#id_region", str(region.pk))
    page.fill("#id_value", typed)
    page.fill("#id_source", "Relevé de l'office des changes")
    page.click("button[name=action][value=save]")


def test_a_value_typed_in_french_is_stored_exactly(browser_session, money, region):
    session = browser_session("partner_a", PASSWORD)
    fill_and_save(session, money, region, "1 234,5")
    session.page.wait_for_selector("[data-status=draft]")
    assert Measurement.objects.get().value == D("1234.5")
    message = session.page.inner_text(".message-success")
    assert "1\u00a0234,50\u00a0MDH" in message
    session.goto(f"/strategie/mesures/nouvelle/?indicator={money.pk}")
    session.page.screenshot(path=str(SCREENSHOTS / "entry-fr.png"), full_page=True)


def test_a_value_typed_in_arabic_digits_is_stored_exactly(browser_session, money, region):
    session = browser_session("partner_a", PASSWORD, locale="ar")
    session.goto("/strategie/mesures/nouvelle/")
    assert session.page.get_attribute("html", "lang") == "ar"
    options = session.page.locator("#id_indicator option").all_inner_texts()
    assert "IND-CA — رقم معاملات التصدير" in options
    fill_and_save(session, money, region, "١٢٣٤٫٥")
    session.page.wait_for_selector("[data-status=draft]")
    assert Measurement.objects.get().value == D("1234.5")
    session.goto(f"/strategie/mesures/nouvelle/?indicator={money.pk}")
    assert region.name_ar in session.page.locator("#id_region").inner_text()
    session.page.screenshot(path=str(SCREENSHOTS / "entry-ar.png"), full_page=True)


def test_an_ambiguous_value_is_refused_and_nothing_stored(browser_session, money, region):
    session = browser_session("partner_a", PASSWORD)
    fill_and_save(session, money, region, "1.234")
    summary = session.page.wait_for_selector("[data-error-summary]")
    assert "Valeur ambiguë" in summary.inner_text()
    # The summary takes the focus (static/js/entry.js) and links to the field.
    assert session.page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert session.page.locator("[data-error-summary] a[href='#id_value']").count() == 1
    assert "Valeur ambiguë" in session.page.inner_text("#id_value_error")
    assert not Measurement.objects.exists()


def test_at_phone_width_nothing_on_the_form_is_wider_than_the_screen(browser_session, money, region):
    session = browser_session("partner_a", PASSWORD)
    page = session.page
    page.set_viewport_size({"width": 390, "height": 844})
    fill_and_save(session, money, region, "1.234")  # with its errors, the widest the form gets
    page.wait_for_selector("[data-error-summary]")
    wider = page.evaluate(
        """() => [...document.querySelectorAll("form.entry, form.entry *")]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map((e) => e.tagName + "#" + e.id + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))"""
    )
    assert wider == [], wider
    page.screenshot(path=str(SCREENSHOTS / "entry-phone.png"), full_page=True)
