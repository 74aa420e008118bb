"""opendata/caching.py: the public answers' ETag follows the published state, a
matching If-None-Match gets a 304, and a computed answer is served from the shared
cache until the state changes."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from opendata.caching import public_cache, public_state
from strategy import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def calls():
    return []


@pytest.fixture
def view(calls):
    @public_cache
    def page(request):
        calls.append(request.get_full_path())
        return HttpResponse(f"page {len(calls)}", content_type="text/plain; charset=utf-8")

    return page


def get(view, path="/donnees/fr/", **headers):
    return view(RequestFactory().get(path, headers=headers))


def test_a_public_answer_is_public_with_an_etag_and_computed_once(view, calls):
    first = get(view)
    second = get(view)
    assert first.status_code == second.status_code == 200
    assert "public" in first["Cache-Control"] and "max-age=300" in first["Cache-Control"]
    assert first["ETag"] == second["ETag"]
    assert second.content == first.content == b"page 1"
    assert calls == ["/donnees/fr/"]  # the second came from the shared cache


def test_a_matching_if_none_match_gets_a_304_without_computing(view, calls):
    etag = get(view)["ETag"]
    response = get(view, If_None_Match=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag and "public" in response["Cache-Control"]
    assert len(calls) == 1


def test_each_path_and_query_has_its_own_answer(view, calls):
    a = get(view, "/donnees/fr/")
    b = get(view, "/donnees/ar/")
    c = get(view, "/donnees/fr/?as_of=2024-12-31")
    assert len({a["ETag"], b["ETag"], c["ETag"]}) == 3
    assert len(calls) == 3


def test_a_release_changes_the_etag_and_the_answer(view, calls, indicator, validator):
    before = get(view)
    indicator.public_from = dt.date(2021, 1, 1)
    indicator.save()
    services.release_open_data(by=validator, reason="Première publication")
    after = get(view, If_None_Match=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert len(calls) == 2


def test_withdrawing_an_indicator_changes_the_state_at_once(indicator, validator):
    indicator.public_from = dt.date(2021, 1, 1)
    indicator.save()
    services.release_open_data(by=validator, reason="Première publication")
    published = public_state()
    indicator.public_from = None
    indicator.save()
    assert public_state() != published


def test_a_validation_between_releases_leaves_the_published_state_alone(
    make_measurement, indicator, org_a, partner_a, validator
):
    indicator.public_from = dt.date(2021, 1, 1)
    indicator.save()
    services.release_open_data(by=validator, reason="Première publication")
    state = public_state()
    make_measurement(indicator, org_a, partner_a, year=2023, value="40", status="validated", validator=validator)
    assert public_state() == state
    assert public_state(live=True) != state  # answers with live figures follow every write


def test_errors_are_not_kept(calls):
    @public_cache
    def missing(request):
        calls.append(1)
        return HttpResponse("absent", status=404)

    assert get(missing).status_code == 404
    assert get(missing).status_code == 404
    assert len(calls) == 2
    assert not get(missing).has_header("ETag")
