"""The indicator page's measurement table (issue 5): the latest measurements, newest
first, one page at a time with "plus anciennes" / "plus récentes" links (the API's
cursor pagination, a keyset on the id), so the page costs the same whatever the
indicator's history. The rows are checked, not just the status."""

import datetime as dt
import html
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from strategy.choices import MeasurementStatus as S
from strategy.models import Measurement
from strategy.views import IndicatorDetailView
from tests.api_fixtures import monthly_periods

PER_PAGE = IndicatorDetailView.MEASUREMENTS_PER_PAGE
ROW = re.compile(r'<a href="/strategie/mesures/(\d+)/">')


def _measurements(indicator, org, count, status=S.VALIDATED, skip=0):
    return [
        Measurement.objects.create(
            indicator=indicator,
            period_start=start,
            period_end=end,
            value=D(n + 1),
            organisation=org,
            status=status,
        ).pk
        for n, (start, end) in enumerate(list(monthly_periods(skip + count))[skip:])
    ]


def _table(body):
    """The measurement ids of the page's measurement table, in order, and its links."""
    start = body.index('data-table="measurements"')
    section = body[start : body.index("</section>", start)]
    links = {
        name: html.unescape(href)
        for href, name in re.findall(r'<a href="([^"]+)" rel="(?:prev|next)" data-page="(older|newer)">', section)
    }
    return [int(pk) for pk in ROW.findall(section)], links


@pytest.fixture
def busy(make_indicator, org_a):
    indicator = make_indicator(code="IND-BUSY", reporters=[org_a], frequency="monthly")
    ids = _measurements(indicator, org_a, 2 * PER_PAGE + 5)
    return indicator, ids


def test_page_shows_the_latest_measurements_and_older_links_reach_the_rest(client, validator, busy):
    indicator, ids = busy
    newest_first = sorted(ids, reverse=True)
    client.force_login(validator)
    url = reverse("strategy:indicator_detail", args=[indicator.pk])

    first, links = _table(client.get(url).content.decode())
    assert first == newest_first[:PER_PAGE]
    assert "newer" not in links and links["older"].startswith(url + "?cursor=")

    second, links = _table(client.get(links["older"]).content.decode())
    assert second == newest_first[PER_PAGE : 2 * PER_PAGE]

    last, last_links = _table(client.get(links["older"]).content.decode())
    assert last == newest_first[2 * PER_PAGE :] and len(last) == 5
    assert "older" not in last_links  # the oldest page: nothing older

    back, _links = _table(client.get(links["newer"]).content.decode())
    assert back == first  # "plus récentes" from the second page is the first page again


def test_rows_added_meanwhile_do_not_shift_an_older_page(client, validator, busy, org_a):
    """A keyset page: new measurements appear on the first page, never push rows into
    the older page a reader is about to open."""
    indicator, ids = busy
    client.force_login(validator)
    url = reverse("strategy:indicator_detail", args=[indicator.pk])
    _first, links = _table(client.get(url).content.decode())
    Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        value=D("5"),
        organisation=org_a,
        status=S.SUBMITTED,
    )
    second, _links = _table(client.get(links["older"]).content.decode())
    assert second == sorted(ids, reverse=True)[PER_PAGE : 2 * PER_PAGE]


def test_scope_and_date_survive_the_older_link(client, validator, busy):
    indicator, _ids = busy
    client.force_login(validator)
    url = reverse("strategy:indicator_detail", args=[indicator.pk])
    _rows, links = _table(client.get(url, {"as_of": "2025-06-30"}).content.decode())
    assert "as_of=2025-06-30" in links["older"] and "cursor=" in links["older"]


def test_forged_cursor_shows_the_latest_page_with_a_notice(client, validator, busy):
    indicator, ids = busy
    client.force_login(validator)
    url = reverse("strategy:indicator_detail", args=[indicator.pk])
    response = client.get(url, {"cursor": "not-a-cursor"})
    assert response.status_code == 200
    body = response.content.decode()
    rows, _links = _table(body)
    assert rows == sorted(ids, reverse=True)[:PER_PAGE]
    assert "Curseur invalide" in body


def test_partner_pages_never_show_another_organisation_draft(client, partner_a, busy, org_b):
    """Every page, older ones included, keeps the reader's visibility rules."""
    indicator, ids = busy
    indicator.reporting_organisations.add(org_b)
    hidden = _measurements(indicator, org_b, 2 * PER_PAGE, status=S.DRAFT, skip=48)
    client.force_login(partner_a)
    url = reverse("strategy:indicator_detail", args=[indicator.pk])
    seen, links = [], {"older": url}
    while "older" in links:
        rows, links = _table(client.get(links["older"]).content.decode())
        seen += rows
    assert seen == sorted(ids, reverse=True)
    assert not set(hidden) & set(seen)


@pytest.mark.parametrize("size", ["abc", "0", "-1"])
def test_a_page_size_the_page_cannot_read_shows_the_latest_page_with_a_notice(client, validator, busy, size):
    """?page_size= is the API's parameter; a bad one on the page was a 500."""
    indicator, ids = busy
    client.force_login(validator)
    response = client.get(reverse("strategy:indicator_detail", args=[indicator.pk]), {"page_size": size})
    assert response.status_code == 200
    rows, _links = _table(response.content.decode())
    assert rows == sorted(ids, reverse=True)[:PER_PAGE]
