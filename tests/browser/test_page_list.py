"""The browser tests' page list (tests/browser/pages.py) names every staff page: each
named URL of the portal's pages resolves from one of its paths, or is listed below with
the reason it is no page of its own."""

from django.urls import get_resolver, resolve

from tests.browser.pages import PAGES

# Namespaces of the staff pages (the API, the admin and Django's i18n view are not).
NAMESPACES = ("strategy", "contracts", "portal", "accounts", "opendata")
NOT_PAGES = {
    # Answers of a form posted from another page (a redirect back, never a page).
    "strategy:measurement_submit": "posted from the measurement page",
    "strategy:measurement_validate": "posted from the queue and the measurement page",
    "strategy:measurement_return": "posted from the queue and the measurement page",
    "strategy:measurement_reopen": "posted from the measurement page",
    "strategy:report_publish": "posted from the report page",
    "accounts:person_membership": "posted from the person page",
    "accounts:person_reset_two_factor": "posted from the person page",
    "accounts:person_deactivate": "posted from the person page",
    "accounts:person_reactivate": "posted from the person page",
    "accounts:person_resend_invitation": "posted from the person page",
    # A step of signing in: test_accessibility.py's test_no_axe_violation_on_the_code_page.
    "accounts:otp_verify": "the sign-in's second step, tested on its own",
    "opendata:root": "a redirect to the French public home",
    # Files, not pages.
    "strategy:measurement_evidence": "the evidence file's download",
    "strategy:publication_pdf": "the publication's PDF",
    "contracts:contract_document": "the contract's document download",
}


def named_urls():
    names = {"home"}
    resolver = get_resolver()
    for namespace in NAMESPACES:
        names |= {
            f"{namespace}:{name}"
            for name in resolver.namespace_dict[namespace][1].reverse_dict
            if isinstance(name, str)
        }
    return names


def test_every_staff_page_is_in_the_browser_tests_page_list():
    listed = {resolve(page.path.split("?")[0].format_map(_Any())).view_name for page in PAGES if page.status == 200}
    missing = sorted(named_urls() - listed - set(NOT_PAGES))
    assert not missing, f"pages missing from tests/browser/pages.py: {missing}"


class _Any(dict):
    """Fills every placeholder with an id (the paths only need to resolve)."""

    def __missing__(self, key):
        return 1
