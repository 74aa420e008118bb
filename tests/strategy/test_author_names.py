"""Who did what, as the reader may know it: ministry roles read people's names, a partner
reads its own organisation's people by name and anybody else as their organisation."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from strategy import services
from strategy.models import Measurement

URL = "/api/v1/measurements/"


@pytest.fixture
def named(partner_a, validator):
    for user, first, last in ((partner_a, "Fatima", "Rapporteuse"), (validator, "Khadija", "Validatrice")):
        user.first_name, user.last_name = first, last
        user.save()


@pytest.fixture
def validated_a(indicator, org_a, org_b, partner_a, validator, named):
    indicator.reporting_organisations.add(org_b)  # shared: B reads A's validated value
    m = Measurement(
        indicator=indicator,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        value=D("120"),
        organisation=org_a,
    )
    services.save_measurement(m, by=partner_a, reason="Saisie (test)")
    services.submit_measurement(m, by=partner_a)
    services.validate_measurement(m, by=validator)
    return m


def test_api_partner_reads_other_people_as_their_organisation(api, partner_b, validated_a):
    data = api(partner_b).get(f"{URL}{validated_a.pk}/").json()
    assert (data["reported_by"], data["validated_by"]) == ("FCA", "MTAESS")


def test_api_partner_reads_its_own_people_by_name(api, partner_a, validated_a):
    data = api(partner_a).get(f"{URL}{validated_a.pk}/").json()
    assert (data["reported_by"], data["validated_by"]) == ("partner_a", "MTAESS")


def test_api_ministry_reads_usernames(api, viewer, validated_a):
    data = api(viewer).get(f"{URL}{validated_a.pk}/").json()
    assert (data["reported_by"], data["validated_by"]) == ("partner_a", "validator")
    listed = api(viewer).get(URL).json()["results"][0]
    assert (listed["reported_by"], listed["validated_by"]) == ("partner_a", "validator")


def test_api_list_hides_other_organisations_people(api, partner_b, validated_a):
    listed = api(partner_b).get(URL).json()["results"]
    assert [(r["reported_by"], r["validated_by"]) for r in listed] == [("FCA", "MTAESS")]


@pytest.mark.parametrize("page", ["strategy:indicator_history", "strategy:indicator_detail"])
def test_pages_show_a_partner_the_organisation_not_the_person(client, partner_b, validated_a, page):
    client.force_login(partner_b)
    body = client.get(reverse(page, args=[validated_a.indicator_id])).content.decode()
    assert "Khadija" not in body and "Fatima" not in body and "partner_a" not in body
    assert "MTAESS" in body if page.endswith("history") else "FCA" in body


def test_measurement_page_shows_the_partner_its_own_people_and_the_ministry_as_such(client, partner_a, validated_a):
    client.force_login(partner_a)
    body = client.get(reverse("strategy:measurement_update", args=[validated_a.pk])).content.decode()
    assert "Fatima Rapporteuse" in body
    assert "Khadija" not in body and "MTAESS" in body


@pytest.mark.parametrize("page", ["strategy:indicator_history", "strategy:indicator_detail"])
def test_pages_show_ministry_readers_the_names(client, viewer, validated_a, page):
    client.force_login(viewer)
    body = client.get(reverse(page, args=[validated_a.indicator_id])).content.decode()
    if page.endswith("history"):
        assert "Khadija Validatrice" in body and "Fatima Rapporteuse" in body
    else:
        assert "partner_a" in body
