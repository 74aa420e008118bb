"""Cache-Control: what a signed-in user reads (pages, exports) and every API answer is
``private, no-store``; public pages keep their caching; a view's own choice stands."""

import pytest

pytestmark = pytest.mark.django_db


def no_store(response):
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.mark.parametrize(
    "url", ["/", "/strategie/indicateurs/", "/strategie/indicateurs/?format=csv", "/compte/securite/"]
)
def test_signed_in_pages_and_exports_are_not_stored(client, viewer, url):
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 200
    assert no_store(response)


def test_api_answers_are_not_stored(as_partner_a, api):
    assert no_store(as_partner_a.get("/api/v1/indicators/"))
    assert no_store(as_partner_a.get("/api/v1/indicators/?format=csv"))
    refused = api().get("/api/v1/indicators/")  # anonymous: refused, and not stored either
    assert refused.status_code in {401, 403} and no_store(refused)


def test_anonymous_answers_outside_the_api_are_left_alone(client):
    """Every page but sign-in (which Django marks never_cache itself) needs a signed-in
    user: an anonymous visitor gets a redirect or a 404, left to the browser's default."""
    redirect = client.get("/strategie/indicateurs/")
    assert redirect.status_code == 302 and not redirect.has_header("Cache-Control")
    missing = client.get("/nulle-part/")
    assert missing.status_code == 404 and not missing.has_header("Cache-Control")


def test_a_views_own_cache_control_stands(client, viewer):
    client.force_login(viewer)
    health = client.get("/healthz")
    assert "max-age=0" in health["Cache-Control"]  # never_cache's header, untouched
