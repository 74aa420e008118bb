"""The Content-Security-Policy (default-src 'self', no inline script or style) does not
break the pages that are not the portal's own templates: the Django admin and the
Swagger UI of the API docs run in Chromium without a console error (a CSP violation is
one)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_under_the_csp(browser_session, admin_user):
    session = browser_session("admin", PASSWORD)
    response = session.goto("/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # The init script ran (served from /api/docs/?script=) and fetched the schema.
    session.page.wait_for_selector(".opblock-tag", timeout=20_000)
    assert session.page.locator(".opblock").count() > 10
    # Swagger UI's own CSS applied (.swagger-ui .info .title is styled by it).
    assert session.page.locator(".swagger-ui .info .title").count() == 1


def test_admin_pages_render_under_the_csp(browser_session, admin_user):
    session = browser_session("admin", PASSWORD)
    response = session.goto("/admin/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for model in admin.site._registry:
        meta = model._meta
        session.goto(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    session.goto(reverse("admin:auth_user_change", args=[admin_user.pk]))
    session.goto(reverse("admin:strategy_indicator_add"))
