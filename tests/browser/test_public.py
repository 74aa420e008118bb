"""The public open-data portal in a real browser, on the demo data (seed_demo makes the
first release): an anonymous visitor walks it in French and Arabic — home, an indicator,
a region, a contract — with no console error (the schema.org block included: a data
block the Content-Security-Policy neither runs nor blocks), nothing wider than a phone,
and the internal indicators nowhere."""

import io
import json
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The elements that stick out of the page (a failure names them).
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter((e) => !e.parentElement.closest("table, .table-scroll, .scroll"))
  .slice(0, 8).map((e) => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture
def demo():
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    from strategy.models import Indicator

    public = Indicator.objects.filter(public_from__isnull=False, by_region=True).order_by("code").first()
    # seed_demo publishes every indicator with validated values: one is withdrawn here
    # (it leaves the public pages at once), with its validated values still in the release.
    internal = Indicator.objects.filter(public_from__isnull=False, by_region=False).order_by("-code").first()
    internal.public_from = None
    internal.save()
    assert public is not None
    return {"public": public.code, "internal": internal.code}


@pytest.fixture
def visitor(chromium, live_server):
    contexts, errors = [], []

    def open_page(locale="fr-FR", viewport=None):
        context = chromium.new_context(locale=locale, viewport=viewport or {"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page

    yield live_server.url, open_page
    for context in contexts:
        context.close()
    assert not errors, f"console errors: {errors}"


def walk(base, page, lang, demo):
    response = page.goto(f"{base}/donnees/{lang}/")
    assert response.status == 200 and "public" in response.headers["cache-control"]
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    assert demo["internal"] not in page.content()
    page.click(f'a[href="/donnees/{lang}/indicateurs/{demo["public"]}/"] >> nth=0')
    page.wait_for_url(f"**/donnees/{lang}/indicateurs/{demo['public']}/")
    assert page.locator("svg.line").count() == 1
    assert page.locator('a[data-format="csv"]').count() >= 1 and page.locator('a[data-format="json"]').count() >= 1
    # The downloads: a CSV and a JSON file of the indicator's published series.
    with page.expect_download() as csv_file:
        page.click('a[data-format="csv"] >> nth=0')
    text = Path(csv_file.value.path()).read_text(encoding="utf-8-sig")
    assert text.count("\n") >= 2 and demo["internal"] not in text
    with page.expect_download() as json_file:
        page.click('a[data-format="json"] >> nth=0')
    rows = json.loads(Path(json_file.value.path()).read_text(encoding="utf-8"))
    assert isinstance(rows, list) and rows
    page.click("section#par-region a >> nth=0")
    page.wait_for_url(f"**/donnees/{lang}/regions/**")
    assert demo["internal"] not in page.content()
    page.click(f'nav.main a[href="/donnees/{lang}/contrats/"]')
    page.click("table[data-table=contracts] tbody a >> nth=0")
    page.wait_for_url(f"**/donnees/{lang}/contrats/*/")
    assert page.locator("table[data-table=parties] tbody tr").count() >= 1


def test_an_anonymous_visitor_walks_the_portal_in_french_and_arabic(visitor, demo):
    base, open_page = visitor
    page = open_page()
    page.goto(f"{base}/donnees/fr/")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "public-home-fr.png"), full_page=True)
    walk(base, page, "fr", demo)
    arabic = open_page(locale="ar-MA")
    walk(base, arabic, "ar", demo)
    arabic.goto(f"{base}/donnees/ar/indicateurs/{demo['public']}/")
    arabic.screenshot(path=str(SCREENSHOTS / "public-indicator-ar.png"), full_page=True)
    # The language links lead to the same page in the other language.
    arabic.click('nav.lang a[data-lang="fr"]')
    arabic.wait_for_url(f"**/donnees/fr/indicateurs/{demo['public']}/")
    assert page.request.get(f"{base}/donnees/fr/indicateurs/{demo['internal']}/").status == 404
    # Nowhere else either: the public API (list, download, detail) and the sitemap.
    listed = page.request.get(f"{base}/api/public/v1/indicators/?format=json").json()
    assert demo["public"] in {row["code"] for row in listed} and demo["internal"] not in {r["code"] for r in listed}
    assert page.request.get(f"{base}/api/public/v1/indicators/{demo['internal']}/").status == 404
    sitemap = page.request.get(f"{base}/sitemap.xml").text()
    assert f"/indicateurs/{demo['public']}/" in sitemap and f"/indicateurs/{demo['internal']}/" not in sitemap


def test_the_public_pages_fit_a_phone(visitor, demo):
    base, open_page = visitor
    page = open_page(viewport=PHONE)
    for path in (
        "/donnees/fr/",
        "/donnees/ar/",
        f"/donnees/fr/indicateurs/{demo['public']}/",
        f"/donnees/ar/indicateurs/{demo['public']}/",
        "/donnees/fr/indicateurs/",
        "/donnees/fr/regions/",
        "/donnees/ar/regions/07/",
        "/donnees/fr/contrats/",
    ):
        page.goto(base + path)
        assert page.evaluate(OVERFLOW) <= 0, (path, page.evaluate(WIDEST))
    page.goto(f"{base}/donnees/fr/")
    page.screenshot(path=str(SCREENSHOTS / "public-phone.png"), full_page=True)
