"""Arabic in a real browser (issue 15 item 6): data text in French inside an Arabic page
keeps its own order ("1. Structuration…", never ".1 Structuration…"), isolated in a
``<bdi lang="fr">``; the Arabic text is drawn with the bundled Noto Naskh Arabic; money
says "درهم"; a date range reads right to left with its arrow pointing that way."""

import datetime as dt
from decimal import Decimal as D

import pytest

from contracts.choices import PartyRole
from contracts.models import Commitment, ContratProgramme, Party
from strategy.models import Axis
from tests.artisanat.test_arabic import arabic_currency  # noqa: F401  (fixture)
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FONT = "noto-naskh-arabic-arabic-400-normal"


@pytest.fixture
def scene(viewer, indicator, phases, ministry, contract_fields):
    """Axis 1 with its French title only; axis 3 and the indicator with Arabic ones; a
    contract with a commitment."""
    Axis.objects.create(strategy=indicator.axis.strategy, number=1, title="Structuration et accompagnement des acteurs")
    indicator.axis.title_ar = "تثمين العنصر البشري"
    indicator.axis.save()
    indicator.name_ar = "الصناع المكونون"
    indicator.save()
    contract = ContratProgramme.objects.create(**contract_fields)
    party = Party.objects.create(contract=contract, organisation=ministry, role=PartyRole.FUNDER)
    Commitment.objects.create(party=party, year=2021, amount=D("1234567.50"))
    return contract


def char_x(page, selector, text):
    """The left edge, on screen, of the first occurrence of ``text`` inside ``selector``'s text."""
    return page.evaluate(
        """([selector, text]) => {
            const root = document.querySelector(selector);
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(text);
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + text.length);
                    return range.getBoundingClientRect().left;
                }
            }
            return null;
        }""",
        [selector, text],
    )


def test_arabic_tree_keeps_french_data_text_in_order_with_the_bundled_font(browser_session, scene):
    session = browser_session("viewer", PASSWORD, locale="ar")
    fonts = []
    session.page.on("response", lambda r: FONT in r.url and fonts.append(r.status))
    session.goto("/strategie/")
    page = session.page
    assert page.get_attribute("html", "dir") == "rtl"

    # The French title stands in a <bdi lang="fr"> with its number, shown left to right.
    title = 'details[data-axis="1"] .node-title bdi[lang="fr"]'
    assert page.inner_text(title) == "1. Structuration et accompagnement des acteurs"
    assert page.evaluate(f"document.querySelector('{title}').matches(':dir(ltr)')")
    assert char_x(page, title, "1.") < char_x(page, title, "Structuration")
    # The Arabic title: in a <bdi> without a French mark, right to left.
    arabic = 'details[data-axis="3"] .node-title bdi'
    assert page.get_attribute(arabic, "lang") is None
    assert page.evaluate(f"document.querySelector('{arabic}').matches(':dir(rtl)')")
    assert "الصناع المكونون" in page.text_content('tr[data-indicator="IND-FORM"] td >> nth=0')

    # The bundled font: served, loaded, first in the Arabic text's font stack.
    page.evaluate("document.fonts.ready")
    page.wait_for_function(
        """() => [...document.fonts].some(f => f.family.replace(/"/g, '') === 'Noto Naskh Arabic'
                                           && f.weight === '400' && f.status === 'loaded')"""
    )
    assert fonts and set(fonts) == {200}
    family = page.evaluate(f"getComputedStyle(document.querySelector('{arabic}')).fontFamily")
    assert family.replace('"', "").startswith("Noto Naskh Arabic")
    assert page.evaluate("""document.fonts.check('16px "Noto Naskh Arabic"', 'تثمين')""")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tree-ar.png"), full_page=True)


def test_arabic_money_says_dirham_and_dates_read_right_to_left(browser_session, scene, arabic_currency):  # noqa: F811
    session = browser_session("viewer", PASSWORD, locale="ar")
    session.goto(f"/contrats/{scene.pk}/")
    page = session.page
    amounts = page.locator("td.num", has_text="1 234 567,50")
    assert amounts.count() >= 1
    assert "درهم" in amounts.first.inner_text() and "DH" not in amounts.first.inner_text()

    # "26/07/2021 ← 31/12/2023": each date left to right, the start on the right.
    dates = page.locator("dd", has=page.locator('bdi[dir="ltr"]')).first
    assert "←" in dates.inner_text()
    start, end = dates.locator('bdi[dir="ltr"]').all()
    assert start.inner_text() == "26/07/2021" and end.inner_text() == "31/12/2023"
    assert start.bounding_box()["x"] > end.bounding_box()["x"]

    session.goto("/contrats/")
    # The contract's French title in the Arabic list: marked French.
    assert page.locator('bdi[lang="fr"]', has_text="Plan d'appui").count() == 1
    assert dt.date.today()  # the page answered (no console error: browser_session checks)
