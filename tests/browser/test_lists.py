"""Phones and lists in a real browser (issue 15, items 7 and 8): at 390×844 no page is
wider than the screen, in French and in Arabic (wide tables scroll inside themselves,
their key column pinned); the header stays small and its menu opens and closes with the
keyboard; a filter's chip removes it; a column header sorts and says so. Writes
tests/browser/screenshots/indicator-phone.png and contract-phone.png."""

import io

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

#: What sticks out of the screen: the page's own width, and every element beyond the
#: viewport's edges that no scroll container of its own holds (the skip link and the
#: visually hidden texts are off screen by design).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const outside = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.skip, .visually-hidden')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right <= width + 1 && box.left >= -1) continue;
    let held = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(up).overflowX)) { held = true; break; }
    }
    if (!held) outside.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, outside: outside.slice(0, 10)};
}"""


def phone_session(browser_session, locale):
    session = browser_session("viewer", PASSWORD, locale=locale)
    session.page.set_viewport_size(PHONE)
    return session


def test_pages_fit_a_phone_in_french_and_arabic(browser_session, monkeypatch):
    from django.core.management import call_command

    from contracts.models import ContratProgramme
    from strategy.models import Indicator

    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("seed_demo", stdout=io.StringIO())
    indicator = Indicator.objects.order_by("pk").first()
    contract = ContratProgramme.objects.get(reference="CP-2021-01")
    pages = [
        f"/strategie/indicateurs/{indicator.pk}/",
        "/strategie/",
        f"/contrats/{contract.pk}/",
        "/strategie/indicateurs/",
        "/strategie/mesures/",
        "/contrats/",
        "/contrats/jalons/?late=true&ordering=-days_late",
        "/organisations/",
    ]
    for locale in ("fr-FR", "ar-MA"):
        session = phone_session(browser_session, locale)
        for path in pages:
            session.goto(path)
            found = session.page.evaluate(OVERFLOW)
            assert found["scrollWidth"] <= found["innerWidth"], (locale, path, found)
            assert not found["outside"], (locale, path, found)
            header = session.page.locator("header.site").bounding_box()
            assert header["height"] <= 80, (locale, path, header)
            if path == "/contrats/":
                # The table scrolls inside itself; its first column stays in view.
                table = session.page.locator("main table").first
                assert table.evaluate("t => t.scrollWidth > t.clientWidth")
                # Reached with the keyboard too: by its own tabindex, or through the links it
                # holds (static/js/scroll-regions.js, axe's scrollable-region-focusable).
                assert table.get_attribute("tabindex") == "0" or table.locator("a[href]").count()
                assert table.evaluate("t => getComputedStyle(t.querySelector('tbody td')).position") == "sticky"
                key = session.page.locator("main table tbody tr td").first
                before = key.bounding_box()
                table.evaluate("t => { t.scrollLeft = (getComputedStyle(t).direction === 'rtl' ? -1 : 1) * 400; }")
                assert table.evaluate("t => Math.abs(t.scrollLeft)") > 100
                after = key.bounding_box()
                assert abs(after["x"] - before["x"]) < 1, (locale, before, after)
                # The amounts are whole, not cut: their cells are as wide as their text.
                for cell in session.page.locator("main table tbody tr:first-child td.num").all():
                    assert cell.evaluate("c => c.scrollWidth <= c.clientWidth + 1"), cell.inner_text()
        if locale == "fr-FR":
            SCREENSHOTS.mkdir(exist_ok=True)
            session.goto(pages[0])
            figures = session.page.locator('[data-figure="achieved"]').bounding_box()
            definition = session.page.locator("dt", has_text="Définition").bounding_box()
            assert figures["y"] < definition["y"]  # the figures first, the definition after
            session.page.screenshot(path=str(SCREENSHOTS / "indicator-phone.png"), full_page=True)
            session.goto(pages[2])
            rows = session.page.locator('table[data-table="parties"] tbody tr')
            acronyms = [row.get_attribute("data-party") for row in rows.all()]
            assert len(acronyms) == len(set(acronyms)), acronyms  # each party once
            session.page.screenshot(path=str(SCREENSHOTS / "contract-phone.png"), full_page=True)


def test_the_menu_folds_on_a_phone_and_opens_with_the_keyboard(browser_session, viewer, ministry):
    session = phone_session(browser_session, "fr-FR")
    page = session.page
    session.goto("/organisations/")
    toggle = page.locator("[data-menu-toggle]")
    nav = page.locator("nav.main")
    assert toggle.is_visible() and not nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-menu-toggle')"):
            break
    else:
        pytest.fail("the Menu button is not reachable with Tab")
    # Closed, the next Tab leaves the header: the folded links take no focus.
    page.keyboard.press("Tab")
    assert page.evaluate("!document.activeElement.closest('header')")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav.is_visible() and page.locator("#site-who").is_visible()
    assert page.locator('nav.main a[data-nav="late-milestones"]').is_visible()
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not nav.is_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-menu-toggle')")
    page.keyboard.press("Space")
    assert nav.is_visible()
    # On a wide screen: no button, the menu shown.
    page.set_viewport_size({"width": 1280, "height": 900})
    session.goto("/organisations/")
    assert not toggle.is_visible() and nav.is_visible()


def test_a_chip_clears_its_filter_and_a_header_sorts(browser_session, viewer, ministry, org_a, org_b):
    org_b.active = False
    org_b.save()
    session = browser_session("viewer", PASSWORD)
    page = session.page
    session.goto("/organisations/")
    page.select_option("#id_active", "true")
    page.select_option("#id_kind", ministry.kind)
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**active=true**")
    chips = page.locator("[data-active-filters] .chip")
    shown = {chip.get_attribute("data-chip"): chip.locator("bdi").inner_text() for chip in chips.all()}
    assert shown == {"active": "Oui", "kind": str(ministry.get_kind_display())}
    assert page.locator(f'tr[data-organisation="{org_b.acronym}"]').count() == 0
    page.click('[data-chip="active"] a[data-clear]')
    page.wait_for_url(lambda url: "active=" not in url)
    assert "kind=" in page.url
    assert page.locator("#id_active").input_value() == ""
    assert page.locator('[data-chip="active"]').count() == 0 and page.locator('[data-chip="kind"]').count() == 1
    page.click("[data-clear-all]")
    page.wait_for_url(lambda url: "kind=" not in url)
    assert page.locator("[data-active-filters]").count() == 0
    assert page.locator(f'tr[data-organisation="{org_b.acronym}"]').count() == 1
    # Sorting: a header link, then the same again reverses it; aria-sort says which.
    page.click('th[data-sort="acronym"] a')
    page.wait_for_url("**ordering=acronym**")
    assert page.locator('th[data-sort="acronym"]').get_attribute("aria-sort") == "ascending"
    first = page.locator("tbody tr").first.get_attribute("data-organisation")
    page.click('th[data-sort="acronym"] a')
    page.wait_for_url("**ordering=-acronym**")
    assert page.locator('th[data-sort="acronym"]').get_attribute("aria-sort") == "descending"
    assert page.locator("tbody tr").last.get_attribute("data-organisation") == first
