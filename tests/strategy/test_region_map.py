"""The map of the regions on the staff indicator page (strategy/views.py,
IndicatorDetailView.region_map): shown for an indicator broken down by region, never for
one without; its value, progress and completeness maps worked out by hand.

IND-REG, artisans trained since the start (``sum``, baseline 0), by region, reported by
the regional chamber of Marrakech-Safi (07); as of 31/12/2025, validated: 2024 in 07: 30,
in 03: 10; 2025 in 07: 20. Regional targets on 31/12/2030: 07: 200, 03: 40.

- value: 07 → 30 + 20 = **50**, 03 → **10**, the ten others: no data;
- progress: 07 → 50 ÷ 200 = **25 %**, 03 → 10 ÷ 40 = **25 %**;
- completeness: the chamber owes 07's yearly reports due by 31/12/2025: 2021..2024 (2024's
  due 31/03/2025), four; received 2024's → 1 ÷ 4 = **25 %**; 03 owes nothing (no
  chamber there): no data.
"""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from artisanat.models import OFFICIAL_REGION_CODES, Organisation
from strategy.choices import MeasurementStatus
from strategy.models import Measurement, Target
from tests.artisanat.test_maps import SVG, region_paths

AS_OF = "2025-12-31"


@pytest.fixture
def chamber(region, org_b):
    return Organisation.objects.create(name="Chambre de Marrakech-Safi", acronym="CAMS", kind=org_b.kind, region=region)


@pytest.fixture
def by_region(make_indicator, chamber, org_a, region, other_region):
    ind = make_indicator(code="IND-REG", name="Artisans formés par région", by_region=True, reporters=[chamber])
    for year, where, value, org in ((2024, region, "30", chamber), (2024, other_region, "10", org_a)):
        Measurement.objects.create(
            indicator=ind,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            value=D(value),
            organisation=org,
            region=where,
            status=MeasurementStatus.VALIDATED,
            submitted_at=timezone.make_aware(dt.datetime(2025, 2, 1, 10)),
        )
    Measurement.objects.create(
        indicator=ind,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        value=D("20"),
        organisation=chamber,
        region=region,
        status=MeasurementStatus.VALIDATED,
    )
    Target.objects.create(indicator=ind, due_date=dt.date(2030, 12, 31), value=D("200"), region=region)
    Target.objects.create(indicator=ind, due_date=dt.date(2030, 12, 31), value=D("40"), region=other_region)
    return ind


def page(client, indicator, **params):
    response = client.get(reverse("strategy:indicator_detail", args=[indicator.pk]), {"as_of": AS_OF, **params})
    assert response.status_code == 200
    return response.content.decode()


def titles(body):
    return {code: p.find(f"{SVG}title").text for code, p in region_paths(body).items()}


def table(body):
    return dict(re.findall(r'<tr data-row="(\d\d)"><th scope="row"><bdi>[^<]*</bdi></th><td[^>]*>([^<]*)</td>', body))


def test_the_page_of_a_regional_indicator_shows_the_map_of_its_values(client, viewer, by_region):
    client.force_login(viewer)
    body = page(client, by_region)
    assert 'data-section="region-map"' in body
    paths = region_paths(body)
    assert sorted(paths) == OFFICIAL_REGION_CODES
    assert titles(body)["07"] == "Marrakech-Safi : 50" and titles(body)["03"] == "Fès-Meknès : 10"
    assert titles(body)["11"] == "11 : Pas de donnée"  # no such region in this test's table: its code
    assert paths["07"].get("class") == "region map-q5" and paths["03"].get("class") == "region map-q1"
    assert {c for c, p in paths.items() if "map-nodata" in p.get("class")} == set(OFFICIAL_REGION_CODES) - {"03", "07"}
    rows = table(body)
    assert rows["07"] == "50" and rows["03"] == "10" and rows["12"] == "Pas de donnée"
    choices = re.findall(r'data-map-kind="(\w+)"', body)
    assert choices == ["value", "progress", "completeness"]
    assert re.search(r'data-map-kind="value" aria-current="true"', body)


def test_the_progress_map_measures_each_region_against_its_own_target(client, viewer, by_region):
    client.force_login(viewer)
    body = page(client, by_region, map="progress")
    assert titles(body)["07"] == "Marrakech-Safi : 25\u00a0%" and titles(body)["03"] == "Fès-Meknès : 25\u00a0%"
    assert table(body)["07"] == "25\u00a0%"
    assert re.search(r'data-map-kind="progress" aria-current="true"', body)
    assert '<input type="hidden" name="map" value="progress">' in body  # the scope form keeps it


def test_a_level_has_no_regional_progress_so_no_progress_choice(client, viewer, by_region):
    by_region.aggregation = "latest"
    by_region.baseline_value = D("5")
    by_region.save()
    client.force_login(viewer)
    body = page(client, by_region)
    assert re.findall(r'data-map-kind="(\w+)"', body) == ["value", "completeness"]


def test_the_completeness_map_reads_the_calendar_by_region(client, viewer, by_region):
    client.force_login(viewer)
    body = page(client, by_region, map="completeness")
    assert titles(body)["07"] == "Marrakech-Safi : 25\u00a0%"
    assert titles(body)["03"] == "Fès-Meknès : Pas de donnée"  # no regional organisation owes it


def test_an_unknown_map_is_refused(client, viewer, by_region):
    client.force_login(viewer)
    response = client.get(reverse("strategy:indicator_detail", args=[by_region.pk]), {"map": "densite"})
    assert response.status_code == 400


def test_no_map_for_an_indicator_without_regions(client, viewer, make_indicator, org_a):
    national = make_indicator(code="IND-NAT", reporters=[org_a], by_filiere=True)
    client.force_login(viewer)
    body = page(client, national)
    assert 'data-section="region-map"' not in body and "data-region=" not in body


def test_in_arabic_the_regions_are_named_in_arabic(client, viewer, by_region):
    client.force_login(viewer)
    response = client.get(
        reverse("strategy:indicator_detail", args=[by_region.pk]), {"as_of": AS_OF}, HTTP_ACCEPT_LANGUAGE="ar"
    )
    body = response.content.decode()
    assert titles(body)["07"].startswith("مراكش-آسفي : ")
    assert 'dir="ltr"' in re.search(r"<svg class=\"region-map\"[^>]*>", body).group(0)


def test_anonymous_is_sent_to_sign_in(client, by_region):
    response = client.get(reverse("strategy:indicator_detail", args=[by_region.pk]), {"map": "completeness"})
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


def test_a_partner_reads_the_map_of_its_own_completeness_only(client, partner_a, by_region):
    """A partner reporter reads the calendar of its own organisation only
    (strategy.calendar.calendar_visible_to): the chamber's region is no data for it."""
    client.force_login(partner_a)
    response = client.get(
        reverse("strategy:indicator_detail", args=[by_region.pk]), {"as_of": AS_OF, "map": "completeness"}
    )
    assert response.status_code == 200
    assert titles(response.content.decode())["07"] == "Marrakech-Safi : Pas de donnée"
