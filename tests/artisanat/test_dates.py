"""``as_of`` is read once, at the edge, by one parser (artisanat/dates.py): the pages,
the exports, the API and the list filters refuse the same bad dates with the same
message, and below the edge every figure takes its date as a required argument."""

import datetime as dt
import inspect

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from artisanat.dates import INVALID_DATE, as_of_from, parse_date, today
from contracts.querysets import CommitmentQuerySet, ContractQuerySet, MilestoneQuerySet, PartyQuerySet
from portal.dashboard import build_dashboard
from strategy import querysets as strategy_querysets

BAD = ["hier", "2025-02-30", "0000-00-00", "2025-1-1", "31/12/2025", "2025-12-31\x00", " 2025-12-31", "9" * 10_000]


def test_one_parser_reads_the_documented_format():
    assert parse_date("2025-12-31") == as_of_from("2025-12-31") == dt.date(2025, 12, 31)


@pytest.mark.parametrize("raw", BAD)
def test_one_parser_refuses_with_one_message(raw):
    with pytest.raises(ValidationError) as refused:
        parse_date(raw)
    assert refused.value.messages == [str(INVALID_DATE)]


def test_absent_means_today_in_casablanca():
    # 23:30 UTC on 31/12/2025 is already 01/01/2026 in Casablanca (UTC+1).
    with time_machine.travel(dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        assert as_of_from(None) == dt.date(2026, 1, 1)


@pytest.mark.django_db
def test_an_empty_date_field_on_a_page_means_today_but_the_api_refuses_it(client, viewer, as_viewer):
    """An HTML form sends its empty date field (``?as_of=``); an API client leaves the
    parameter out, and the schema documents a date."""
    client.force_login(viewer)
    page = client.get("/strategie/indicateurs/?as_of=")
    assert page.status_code == 200 and page.context["as_of"] == today()
    assert as_viewer.get("/api/v1/indicators/?as_of=").json()["details"]["as_of"] == [str(INVALID_DATE)]


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["hier", "2025-02-30", "31/12/2025"])
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/strategie/",
        "/strategie/indicateurs/",
        "/strategie/indicateurs/?format=csv",
        "/contrats/",
        "/contrats/?format=xlsx",
        "/contrats/jalons/?late=true",
        "/organisations/",
    ],
)
def test_pages_and_exports_refuse_a_bad_date_instead_of_showing_today(client, viewer, url, raw):
    client.force_login(viewer)
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}as_of={raw}")
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_400_page_names_the_parameter_and_the_reason(client, viewer, settings):
    settings.DEBUG = False
    client.force_login(viewer)
    body = client.get("/strategie/indicateurs/?as_of=hier").content.decode()
    assert "as_of" in body and str(INVALID_DATE).replace("'", "&#x27;") in body


@pytest.mark.django_db
def test_a_good_date_is_the_date_of_the_page(client, viewer):
    client.force_login(viewer)
    response = client.get("/strategie/indicateurs/?as_of=2022-12-31")
    assert response.status_code == 200 and response.context["as_of"] == dt.date(2022, 12, 31)


@pytest.mark.django_db
def test_anonymous_with_a_bad_date_still_goes_to_the_login_page(client):
    response = client.get("/strategie/indicateurs/?as_of=hier")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["dashboard/", "indicators/", "axes/", "contracts/", "milestones/?late=true"])
def test_the_api_refuses_with_the_same_message(as_viewer, path):
    response = as_viewer.get(f"/api/v1/{path}{'&' if '?' in path else '?'}as_of=hier")
    assert response.status_code == 400
    assert response.json()["details"]["as_of"] == [str(INVALID_DATE)]


@pytest.mark.parametrize(
    "method",
    [
        strategy_querysets.IndicatorQuerySet.with_figures,
        strategy_querysets.IndicatorQuerySet.with_target_figures,
        strategy_querysets.AxisQuerySet.with_rollup,
        strategy_querysets.PhaseQuerySet.with_rollup,
        strategy_querysets.stored_period_totals,
        strategy_querysets.stored_breakdown,
        strategy_querysets.stored_breakdowns,
        ContractQuerySet.with_execution,
        PartyQuerySet.with_execution,
        CommitmentQuerySet.execution_by_year,
        MilestoneQuerySet.late,
        MilestoneQuerySet.met,
        MilestoneQuerySet.with_late,
        build_dashboard,
    ],
    ids=lambda m: m.__qualname__,
)
def test_below_the_edge_the_date_is_a_required_argument(method):
    assert inspect.signature(method).parameters["as_of"].default is inspect.Parameter.empty


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/?as_of=2022-06-30&region=abc", "region"),
        ("/strategie/indicateurs/?as_of=2022-06-30&region=999999", "region"),
        ("/contrats/?as_of=2022-06-30&phase=999999&format=csv", "phase"),
        ("/contrats/jalons/?as_of=2022-01-01&late=false&region=abc", "region"),
        ("/strategie/rapport/?year=abc", "year"),
        ("/strategie/rapport/?year=1999", "year"),
    ],
)
def test_a_scope_or_year_that_cannot_be_read_is_refused_not_dropped(client, viewer, settings, url, name):
    """A valid date beside an unknown region used to be replaced by today, the region
    dropped; a bad report year by the default year."""
    settings.DEBUG = False
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 400
    assert f"« {name} »" in response.content.decode()


@pytest.mark.django_db
def test_the_late_filter_and_the_late_flag_read_the_same_date(client, viewer, contract, org_a):
    """Due 30/06/2022: late on 01/07/2022, not on 01/01/2022 — the list's filter and
    each row's flag agree whatever the date asked."""
    from contracts.models import Milestone

    Milestone.objects.create(contract=contract, title="Étude", responsible=org_a, due_date=dt.date(2022, 6, 30))
    client.force_login(viewer)
    for day, late in (("2022-01-01", False), ("2022-07-01", True)):
        shown = client.get("/contrats/jalons/", {"as_of": day, "late": "true"}).context["object_list"]
        hidden = client.get("/contrats/jalons/", {"as_of": day, "late": "false"}).context["object_list"]
        assert [m.late for m in shown] == ([True] if late else [])
        assert [m.late for m in hidden] == ([] if late else [False])
