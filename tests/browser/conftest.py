"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium).

Skipped, with the reason printed, when Chromium or the playwright package is missing.
Playwright's sync API runs an event loop, hence DJANGO_ALLOW_ASYNC_UNSAFE for the ORM
calls of the live server's fixtures."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
VERIFY_PATH = "/compte/double-authentification/verifier/"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def skip_reason():
    if sync_playwright is None:
        return "playwright absent: browser tests skipped (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return "Chromium absent: browser tests skipped (apt-get install chromium)"
    return None


def pytest_report_header(config):
    reason = skip_reason()
    return reason or f"browser tests: Playwright with {CHROMIUM}"


def pytest_collection_modifyitems(config, items):
    reason = skip_reason()
    if reason is None:
        return
    if os.environ.get("ARTISANAT_REQUIRE_BROWSER") == "1":  # CI: a missing browser is a failure
        raise pytest.UsageError(f"ARTISANAT_REQUIRE_BROWSER=1 but {reason}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One signed-in browser context; collects console errors and page errors."""

    def __init__(self, browser, base_url, locale="fr-FR"):
        self.base_url = base_url
        self.context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def goto(self, path):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        return response

    def login(self, username, password):
        self.goto("/connexion/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("form button.btn[type=submit]")
        self.page.wait_for_url(lambda url: url == self.base_url + "/" or VERIFY_PATH in url)
        if VERIFY_PATH in self.page.url:
            # Administrators and validators: type the code their authenticator shows now.
            from django.contrib.auth import get_user_model

            from tests.conftest import totp_code

            self.page.fill("#id_code", totp_code(get_user_model().objects.get(username=username)))
            self.page.press("#id_code", "Enter")
            self.page.wait_for_url(self.base_url + "/")
        return self

    def close(self):
        self.context.close()


@pytest.fixture
def browser_session(chromium, live_server):
    sessions = []

    def open_session(username, password, locale="fr-FR"):
        session = Session(chromium, live_server.url, locale=locale).login(username, password)
        sessions.append(session)
        return session

    yield open_session
    errors = [error for session in sessions for error in session.errors]
    for session in sessions:
        session.close()
    assert not errors, f"console errors: {errors}"
