"""The staff's open-data page /strategie/donnees-ouvertes/: ministry roles read it,
validators and administrators publish from it; partners are refused, anonymous visitors
sent to sign in. And the staff indicator page says whether the indicator is public."""

import datetime as dt

import pytest

from strategy.models import OpenDataRelease
from tests.opendata.conftest import validated

pytestmark = pytest.mark.django_db

URL = "/strategie/donnees-ouvertes/"


@pytest.mark.parametrize("actor", ["viewer", "editor", "validator", "admin_user"])
def test_ministry_roles_read_the_page(actor, request, client, world):
    client.force_login(request.getfixturevalue(actor))
    response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-indicator="IND-PUB"' in text and "IND-SECRET" not in text.split("public-indicators")[1]
    assert ('data-action="release"' in text) == (actor in ("validator", "admin_user"))


def test_a_partner_is_refused_and_an_anonymous_visitor_sent_to_sign_in(client, partner_a, world):
    assert client.get(URL).status_code == 302 and "/connexion/" in client.get(URL)["Location"]
    assert client.post(URL, {"reason": "Publication", "after": 0}).status_code == 302
    client.force_login(partner_a)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"reason": "Publication trimestrielle", "after": 0}).status_code == 403
    assert OpenDataRelease.objects.count() == 1


@pytest.mark.parametrize("actor", ["viewer", "editor"])
def test_readers_who_do_not_validate_cannot_publish(actor, request, client, world):
    client.force_login(request.getfixturevalue(actor))
    assert client.post(URL, {"reason": "Publication trimestrielle", "after": 0}).status_code == 403
    assert OpenDataRelease.objects.count() == 1


def test_the_page_says_what_changed_since_the_last_release(
    client, validator, world, public_indicator, internal_indicator, org_a, partner_a, region, make_indicator
):
    validated(public_indicator, org_a, partner_a, validator, year=2023, value="5", region=region)
    make_indicator(code="IND-NEW", public_from=dt.date(2021, 1, 1))
    public_indicator.public_from = None
    public_indicator.save()
    client.force_login(validator)
    text = client.get(URL).content.decode()
    added = text.split('data-change="added"')[1].split("</li>")[0]
    withdrawn = text.split('data-change="withdrawn"')[1].split("</li>")[0]
    assert "IND-NEW" in added and "IND-PUB" in withdrawn
    # the 2023 value, validated after the release, of an indicator no longer public: not counted
    assert 'data-change="waiting" data-count="0"' in text


def test_validated_values_waiting_for_the_next_release_are_counted(
    client, validator, world, public_indicator, org_a, partner_a, region
):
    validated(public_indicator, org_a, partner_a, validator, year=2023, value="5", region=region)
    client.force_login(validator)
    assert 'data-change="waiting" data-count="1"' in client.get(URL).content.decode()


def test_a_validator_publishes_with_a_reason(client, validator, world):
    client.force_login(validator)
    refused = client.post(URL, {"reason": "  ", "after": 1})
    assert refused.status_code == 400 and OpenDataRelease.objects.count() == 1
    response = client.post(URL, {"reason": "Publication trimestrielle", "after": 1})
    assert response.status_code == 302 and response["Location"] == URL
    release = OpenDataRelease.objects.order_by("-number").first()
    assert (release.number, release.released_by, release.reason) == (2, validator, "Publication trimestrielle")


def test_the_staff_menu_links_the_page(client, viewer, partner_a, world):
    client.force_login(viewer)
    assert f'href="{URL}"' in client.get("/strategie/indicateurs/").content.decode()
    client.force_login(partner_a)
    assert f'href="{URL}"' not in client.get("/strategie/indicateurs/").content.decode()


def test_the_staff_indicator_page_says_public_or_internal(client, viewer, world, public_indicator, internal_indicator):
    client.force_login(viewer)
    public = client.get(f"/strategie/indicateurs/{public_indicator.pk}/").content.decode()
    internal = client.get(f"/strategie/indicateurs/{internal_indicator.pk}/").content.decode()
    assert 'data-fact="public">Public depuis le 01/01/2021<' in public
    assert 'data-fact="public">Interne<' in internal


def test_the_same_page_sent_twice_makes_one_release(client, validator, world):
    client.force_login(validator)
    page = client.get(URL).content.decode()
    assert 'name="after" value="1"' in page
    first = client.post(URL, {"reason": "Publication trimestrielle", "after": 1})
    again = client.post(URL, {"reason": "Publication trimestrielle", "after": 1})
    assert first.status_code == 302
    assert again.status_code == 400 and "La publication n° 2 vient d" in again.content.decode()
    assert OpenDataRelease.objects.count() == 2
