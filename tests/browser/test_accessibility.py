"""Accessibility as a test (issue 15, item 9): axe-core (axe-playwright-python's bundled
axe.min.js, its default rules: WCAG 2.x A and AA plus best practices) finds no violation
on any page of tests/browser/pages.py, in French and in Arabic, at desktop (1440×900)
and phone (390×844) widths. A failure names the page, the language and the width, and
lists each rule broken with its impact and the selectors of the failing elements.

One scene (the demo data) and one signed-in browser context per (account, language) serve
the whole module: the pages only read, so the tests share them instead of signing in
again for each page. The width is set on the page before each visit."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.test.utils import override_settings

from tests.browser.conftest import VERIFY_PATH, Session
from tests.browser.pages import PAGES, demo_scene
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser]

LANGUAGES = {"fr": "fr-FR", "ar": "ar"}
WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
AXE = Axe()


class Site:
    """The live server, the scene's ids, and one browser context per (account, language),
    opened at first use and kept for the module."""

    def __init__(self, browser, base_url, ids):
        self.browser = browser
        self.base_url = base_url
        self.ids = ids
        self.sessions = {}

    def session(self, role, language):
        key = (role, language)
        if key not in self.sessions:
            session = Session(self.browser, self.base_url, locale=LANGUAGES[language])
            if role is not None:
                session.login(role, PASSWORD)
            self.sessions[key] = session
        return self.sessions[key]

    def close(self):
        for session in self.sessions.values():
            session.close()


@pytest.fixture(scope="module")
def site(chromium, django_db_setup, django_db_blocker):
    """The demo data written once for the module (committed: the live server's thread
    reads it), flushed at the end as transactional tests do. The module's tests do not
    use pytest-django's live_server fixture, whose helper would flush the database after
    each test; they share this server instead."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        created = None
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            # This module run alone: no other test asked pytest-django for the database
            # (its tests use none of its markers or fixtures), so create it here.
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            # The hasher of the tests (tests/conftest.py's _fast_password_hashing, active
            # during each test, when the accounts sign in).
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                ids = demo_scene()
            site = Site(chromium, server.url, ids)
            yield site
            site.close()
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", verbosity=0, interactive=False)
            if created is not None:
                teardown_databases(created, verbosity=0)


def report(violations):
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"]:
            target = " ".join(" >> ".join(part) if isinstance(part, list) else part for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_no_axe_violation(site, page, language, width):
    session = site.session(page.role, language)
    session.page.set_viewport_size(WIDTHS[width])
    url = site.base_url + page.url(site.ids)
    with override_settings(DEBUG=False):  # the error pages as served in production
        response = session.page.goto(url)
    assert response is not None and response.status == page.status, (url, response and response.status)
    # A public page's language is in its path (/donnees/<lang>/…), whatever the session's.
    shown = page.path.split("/")[2] if page.path.startswith("/donnees/") else language
    expected = "rtl" if shown == "ar" else "ltr"
    assert session.page.get_attribute("html", "dir") == expected, url
    violations = AXE.run(session.page).response["violations"]
    assert not violations, (
        f"{len(violations)} axe rule(s) broken on {page.name} ({page.path}, as {page.role or 'signed out'}), "
        f"{shown}, {width} {WIDTHS[width]['width']}×{WIDTHS[width]['height']}:\n{report(violations)}"
    )


# Forms sent empty: the page that comes back with an error under each required field
# (the help and error texts linked to their fields: templates/partials/field.html).
REFUSED_FORMS = [
    page for page in PAGES if page.name in {"measurement-new-indicator", "indicator-create", "contract-create"}
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", REFUSED_FORMS, ids=[page.name for page in REFUSED_FORMS])
def test_no_axe_violation_on_a_refused_form(site, page, language):
    session = site.session(page.role, language)
    session.page.set_viewport_size(WIDTHS["desktop"])
    session.page.goto(site.base_url + page.url(site.ids))
    form = session.page.locator("main form[method=post]").first
    form.evaluate("form => { form.noValidate = true; }")  # the server's refusal, not the browser's
    form.locator("button[type=submit]").first.click()
    session.page.wait_for_load_state()
    assert session.page.locator("main .errorlist").count() >= 1, page.name
    violations = AXE.run(session.page).response["violations"]
    assert not violations, f"axe on {page.name} refused, {language}:\n{report(violations)}"


def contrast(first, second):
    """WCAG contrast ratio of two computed colours ("rgb(r, g, b)")."""

    def luminance(colour):
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_focus_ring_is_at_least_3_to_1_against_what_surrounds_it(site, language):
    """The keyboard's focus ring, as the browser draws it (getComputedStyle): on the skip
    link over the dark header, on a link of the header's menu, and on a link, a field and
    a button of the page, against the header's, the page's and a card's backgrounds."""
    session = site.session("editor", language)
    page = session.page
    page.set_viewport_size(WIDTHS["desktop"])
    page.goto(site.base_url + "/strategie/mesures/")
    style = "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    background = "s => getComputedStyle(document.querySelector(s)).backgroundColor"
    header, nav = page.evaluate(background, "header.site"), page.evaluate(background, "nav.main")
    paper, wash = "rgb(255, 255, 255)", page.evaluate(background, "html")
    page.keyboard.press("Tab")  # the first stop: the skip link, shown over the header
    assert page.evaluate("document.activeElement.className") == "skip"
    rings = {"skip link": (page.evaluate(f"({style})(document.activeElement)"), [header])}
    for name, selector, around in (
        ("menu link", "nav.main a", [nav]),
        ("page link", "main a[href]", [wash, paper]),
        ("field", "main input:not([type=hidden]), main select", [wash, paper]),
        ("button", "main button", [wash, paper]),
    ):
        page.focus(selector)  # after a key press: the browser shows the ring (:focus-visible)
        rings[name] = (page.evaluate(f"({style})(document.activeElement)"), around)
    for name, ((outline, width, colour), around) in rings.items():
        assert outline == "solid" and float(width.removesuffix("px")) >= 2, (name, outline, width)
        for surrounding in around:
            ratio = contrast(colour, surrounding)
            assert ratio >= 3, f"{name}: focus ring {colour} on {surrounding} is {ratio:.2f}:1"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_axe_violation_on_the_code_page(site, language, width):
    """The sign-in's second step (the TOTP code), which no signed-in page list reaches."""
    session = Session(site.browser, site.base_url, locale=LANGUAGES[language])
    try:
        session.page.set_viewport_size(WIDTHS[width])
        session.goto("/connexion/")
        session.page.fill("#id_username", "validator")
        session.page.fill("#id_password", PASSWORD)
        session.page.click("form button.btn[type=submit]")
        session.page.wait_for_url(f"**{VERIFY_PATH}**")
        violations = AXE.run(session.page).response["violations"]
        assert not violations, f"axe on the code page, {language}, {width}:\n{report(violations)}"
    finally:
        session.close()
