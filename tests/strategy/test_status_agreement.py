"""Every surface says the same status and the same "data late" for every demo indicator:
the indicator page, the indicator list, the strategy tree, the API (list and detail)
and the yearly report (as of 31/12 of its year, beside the page as of that day).

The demo (``load_strategy`` then ``seed_demo``) is seeded once for the module, inside a
transaction rolled back at the end (as tests/portal/test_commands.py does)."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from artisanat.dates import today
from strategy.models import Indicator

DEMO_PASSWORD = "mot-de-passe-demo-2030-assez-long"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FIGURE_STATUS = re.compile(r'<span class="figure-status" data-status="(\w+)"(?: data-late-since="([0-9-]+)")?>')
ROW = re.compile(r'<tr data-indicator="([^"]+)">(.*?)</tr>', re.S)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
        with transaction.atomic():
            out = StringIO()
            call_command("load_strategy", stdout=out)
            call_command("seed_demo", stdout=out)
            yield {i.code: i.pk for i in Indicator.objects.all()}
            transaction.set_rollback(True)


@pytest.fixture
def reader(demo, db, client):
    client.force_login(get_user_model().objects.get(username="viewer"))
    return client


def shown(match):
    """(status, data late since) from a figure_status partial's span."""
    return match[1], match[2]


def rows_of(body):
    """{code: (status, late since)} of the rows of a page (list, tree, report)."""
    found = {}
    for code, row in ROW.findall(body):
        match = FIGURE_STATUS.search(row)
        assert match, code
        found[code] = shown(match)
    return found


def page(reader, pk, as_of):
    body = reader.get(reverse("strategy:indicator_detail", args=[pk]), {"as_of": as_of.isoformat()}).content.decode()
    figure = body.split('data-figure="status"', 1)[1]
    return shown(FIGURE_STATUS.search(figure))


def api_of(item):
    return item["status"], item["data_late_since"]


def test_every_surface_agrees_with_the_indicator_page(demo, reader):
    days = [today(), dt.date(2023, 6, 30), dt.date(2026, 6, 30)]
    seen = set()
    for as_of in days:
        params = {"as_of": as_of.isoformat()}
        pages = {code: page(reader, pk, as_of) for code, pk in demo.items()}
        listed = rows_of(reader.get(reverse("strategy:indicator_list"), params).content.decode())
        tree = rows_of(reader.get(reverse("strategy:strategy_tree"), params).content.decode())
        api_list = reader.get("/api/v1/indicators/", {**params, "page_size": 200}).json()["results"]
        assert listed == pages, as_of
        assert tree == pages, as_of
        assert {item["code"]: api_of(item) for item in api_list} == pages, as_of
        for code, pk in demo.items():
            detail = reader.get(f"/api/v1/indicators/{pk}/", params).json()
            assert api_of(detail) == pages[code], (as_of, code)
            assert detail["data_late"] is (pages[code][1] is not None)
        seen |= set(pages.values())
    # Not a comparison of empty answers: several statuses, late and up-to-date data.
    assert len({status for status, _since in seen}) >= 3
    assert {since is None for _status, since in seen} == {True, False}


def test_the_report_agrees_with_the_indicator_page_as_of_31_december(demo, reader):
    for year in range(2021, 2026):
        as_of = dt.date(year, 12, 31)
        body = reader.get(reverse("strategy:report"), {"year": year}).content.decode()
        report = rows_of(body)
        assert report == {code: page(reader, pk, as_of) for code, pk in demo.items()}, year


def test_the_reports_default_year_agrees_with_the_page_on_the_same_day(demo, reader):
    response = reader.get(reverse("strategy:report"))
    as_of = response.context["as_of"]
    assert as_of == dt.date(min(max(today().year - 1, 2021), 2030), 12, 31)
    assert rows_of(response.content.decode()) == {code: page(reader, pk, as_of) for code, pk in demo.items()}


def test_exp_filiere_is_judged_on_2024_and_its_2025_data_are_late(demo, reader):
    """The issue's case: 912,90 validated for 2024, above the 2024 trajectory (833,39),
    2025 still waiting. On 30/06/2026: on track, data late since 31/03/2026 — on the
    page, and in the report of 2025 (as of 31/12/2025, when 2025's report was not due
    yet: on track, not late)."""
    pk = demo["EXP-FILIERE"]
    assert page(reader, pk, dt.date(2026, 6, 30)) == ("on_track", "2026-03-31")
    body = reader.get(reverse("strategy:indicator_detail", args=[pk]), {"as_of": "2026-06-30"}).content.decode()
    assert "données en retard depuis le 31/03/2026" in body
    report = rows_of(reader.get(reverse("strategy:report"), {"year": 2025}).content.decode())
    assert report["EXP-FILIERE"] == ("on_track", None)
