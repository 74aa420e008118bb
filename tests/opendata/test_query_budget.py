"""Query budget of the public pages (tests/test_query_budget.py's pattern): the same
number of queries on a small data set and on one about eight times bigger — more
indicators, all of them published, more measurements, contracts, parties, money and
milestones — and within a budget; a hit of the shared cache costs only the published
state (opendata/caching.py: two queries, three with the data version)."""

import datetime as dt

import pytest
from django.core.cache import cache

from strategy import services
from strategy.models import Indicator
from tests.test_query_budget import Busy, Scale, _count

pytestmark = pytest.mark.django_db


class PublicScale:
    """``Scale`` (and the busy indicator), every indicator published, released again
    after each growth."""

    def __init__(self, scale, busy, validator):
        self.scale, self.busy, self.validator = scale, busy, validator
        self.release()

    def release(self):
        Indicator.objects.update(public_from=dt.date(2021, 1, 1))
        services.release_open_data(by=self.validator, reason="Publication (test)")

    def grow(self, n):
        self.busy.grow(n)
        self.release()


@pytest.fixture(autouse=True)
def _throttle_counts_in_memory(settings):
    settings.CACHES = {**settings.CACHES, "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def public(axis, programme, phases, region, other_region, org_a, ministry, filiere, validator):
    scale = Scale(axis, programme, phases, [region, other_region], org_a, ministry)
    return PublicScale(scale, Busy(scale, filiere), validator)


def assert_flat_public(public, url, *, budget, cached):
    cache.clear()
    small, small_sql = _count(lambda: public.scale_client.get(url))
    public.grow(7)
    cache.clear()
    big, big_sql = _count(lambda: public.scale_client.get(url))
    assert small == big, "\n".join(["small:", *small_sql, "", "big:", *big_sql])
    assert big <= budget, "\n".join(big_sql)
    hit, hit_sql = _count(lambda: public.scale_client.get(url))
    assert hit <= cached, "\n".join(hit_sql)
    return big


@pytest.fixture
def public_client(public, client):
    public.scale_client = client
    return public


# Each page: the published state (the last release's number, the published indicators;
# and the data version for the contracts' figures), the release shown (number and date),
# then the page's own reads.


def test_home(public_client):
    # + axes with their published indicators' figures (one prefetch), the phases, their
    # published indicators' figures at each phase's end (one union), the contracts.
    assert_flat_public(public_client, "/donnees/fr/", budget=9, cached=3)


def test_indicator_list(public_client):
    # + the published indicators with their figures.
    assert_flat_public(public_client, "/donnees/ar/indicateurs/", budget=4, cached=2)


def test_indicator_page(public_client):
    # + the indicator with its figures, its targets, its period totals, its breakdowns,
    # the regions' names of the map.
    code = public_client.busy.indicator.code
    assert_flat_public(public_client, f"/donnees/fr/indicateurs/{code}/", budget=8, cached=2)


def test_region_page(public_client, region):
    # + the region, its published indicators with their figures in the region.
    assert_flat_public(public_client, f"/donnees/en/regions/{region.code}/", budget=5, cached=2)


def test_region_list(public_client):
    assert_flat_public(public_client, "/donnees/fr/regions/", budget=5, cached=2)


def test_contract_list(public_client):
    # + the public contracts with their execution.
    assert_flat_public(public_client, "/donnees/fr/contrats/", budget=5, cached=3)


def test_contract_page(public_client):
    # + the contract with its execution, its parties, its milestones.
    reference = public_client.scale.contract.reference
    assert_flat_public(public_client, f"/donnees/fr/contrats/{reference}/", budget=7, cached=3)


def test_sitemap(public_client):
    # + the release's date, the published codes, the public contracts, the regions.
    assert_flat_public(public_client, "/sitemap.xml", budget=6, cached=2)
