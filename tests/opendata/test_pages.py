"""The public open-data pages (/donnees/<lang>/…): anonymous, in three languages, showing
only what the ministry published, cached for everyone and carrying nothing of the
visitor."""

import datetime as dt
import json
import re

import pytest
from django.test import Client

from opendata.links import LANGUAGES
from strategy import services
from strategy.models import Axis, Indicator, Phase
from strategy.querysets import attach_phase_rollups
from tests.opendata.conftest import validated

pytestmark = pytest.mark.django_db

PAGES = [
    "/donnees/{lang}/",
    "/donnees/{lang}/indicateurs/",
    "/donnees/{lang}/indicateurs/IND-PUB/",
    "/donnees/{lang}/contrats/",
    "/donnees/{lang}/contrats/CP-2021-01/",
    "/donnees/{lang}/regions/",
    "/donnees/{lang}/regions/07/",
]


def page(url, client=None, **headers):
    return (client or Client()).get(url, headers=headers)


def html(response):
    return response.content.decode()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_anonymous_reads_every_public_page_in_each_language(world, path, lang):
    response = page(path.format(lang=lang))
    assert response.status_code == 200
    text = html(response)
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in text
    assert response["Content-Language"] == lang
    release = world["release"]
    assert f'data-release="{release.number}"' in text  # the release shown, with its date in dd/mm/yyyy
    assert release.released_at.astimezone(dt.UTC).strftime("%Y") in text
    assert re.search(r"<title>[^<]+</title>", text)
    assert '<meta name="description" content="' in text
    assert f'<link rel="canonical" href="http://testserver{path.format(lang=lang)}">' in text
    for other in LANGUAGES:  # hreflang alternates, and the language links to the same page
        assert f'hreflang="{other}" href="http://testserver{path.format(lang=other)}"' in text
        assert f'href="{path.format(lang=other)}" lang="{other}"' in text
    assert "IND-SECRET" not in text and "Indicateur interne" not in text


def test_the_release_date_is_shown_the_french_way(world):
    day = world["release"].released_at.astimezone(dt.UTC).date()
    text = html(page("/donnees/fr/"))
    assert "Données publiées le" in text
    assert re.search(r"Données publiées le \d{2}/\d{2}/\d{4}", text)
    assert str(day.year) in text


def test_donnees_goes_to_the_french_home():
    response = page("/donnees/")
    assert response.status_code == 302 and response["Location"] == "/donnees/fr/"


@pytest.mark.parametrize("path", ["/donnees/de/", "/donnees/xx/indicateurs/", "/donnees/es/regions/07/"])
def test_an_unknown_language_is_a_404(world, path):
    assert page(path).status_code == 404


def test_an_unreadable_as_of_is_a_400(world):
    assert page("/donnees/fr/indicateurs/IND-PUB/?as_of=hier").status_code == 400


def test_the_unpublished_indicator_is_nowhere(world, region):
    assert page("/donnees/fr/indicateurs/IND-SECRET/").status_code == 404  # not 403: its existence is not public
    for path in ("/donnees/fr/", "/donnees/fr/indicateurs/", "/donnees/fr/regions/", "/donnees/fr/regions/07/"):
        assert "IND-SECRET" not in html(page(path)), path
    sitemap = html(page("/sitemap.xml"))
    assert "IND-PUB" in sitemap and "IND-SECRET" not in sitemap


def test_an_indicator_marked_public_later_waits_for_the_next_release(world, internal_indicator, validator):
    internal_indicator.public_from = dt.date(2021, 1, 1)
    internal_indicator.save()
    assert page("/donnees/fr/indicateurs/IND-SECRET/").status_code == 404
    services.release_open_data(by=validator, reason="Deuxième publication")
    assert page("/donnees/fr/indicateurs/IND-SECRET/").status_code == 200


def test_an_indicator_public_from_a_later_day_is_not_shown_before(world, public_indicator, validator):
    public_indicator.public_from = dt.date(2099, 1, 1)
    public_indicator.save()
    services.release_open_data(by=validator, reason="Deuxième publication")
    assert page("/donnees/fr/indicateurs/IND-PUB/").status_code == 404
    assert "IND-PUB" not in html(page("/sitemap.xml"))


def achieved_shown(text):
    return re.search(r'data-figure="achieved">([^<]*)<', text).group(1)


def test_a_validation_after_the_release_waits_for_the_next_release(
    world, public_indicator, org_a, partner_a, validator, region
):
    before = html(page("/donnees/fr/indicateurs/IND-PUB/"))
    assert achieved_shown(before) == "100,00"
    validated(public_indicator, org_a, partner_a, validator, year=2023, value="25", region=region)
    after = html(page("/donnees/fr/indicateurs/IND-PUB/"))
    assert achieved_shown(after) == "100,00"  # the public still reads the release
    services.release_open_data(by=validator, reason="Deuxième publication")
    assert achieved_shown(html(page("/donnees/fr/indicateurs/IND-PUB/"))) == "125,00"


def test_as_of_works_on_the_published_figures(world, public_indicator, org_a, partner_a, validator, region):
    validated(public_indicator, org_a, partner_a, validator, year=2023, value="25", region=region)
    services.release_open_data(by=validator, reason="Deuxième publication")
    text = html(page("/donnees/fr/indicateurs/IND-PUB/?as_of=2022-12-31"))
    assert achieved_shown(text) == "100,00"
    assert 'data-as-of="2022-12-31"' in text


def test_a_withdrawn_indicator_disappears_at_once(world, public_indicator, region):
    assert page("/donnees/fr/indicateurs/IND-PUB/").status_code == 200  # now in the shared cache
    assert "IND-PUB" in html(page("/donnees/fr/indicateurs/"))
    public_indicator.public_from = None
    public_indicator.save()
    assert page("/donnees/fr/indicateurs/IND-PUB/").status_code == 404
    for path in ("/donnees/fr/", "/donnees/fr/indicateurs/", "/donnees/fr/regions/07/", "/sitemap.xml"):
        assert "IND-PUB" not in html(page(path)), path


@pytest.mark.parametrize("path", [*PAGES, "/sitemap.xml"])
def test_each_public_page_is_cacheable_by_anyone_with_its_etag(world, path, validator, client):
    url = path.format(lang="ar")
    first = page(url)
    assert first.status_code == 200
    assert "public" in first["Cache-Control"] and "private" not in first["Cache-Control"]
    etag = first["ETag"]
    again = page(url, If_None_Match=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    # Nothing of the visitor: no cookie, no Vary on the cookie, even for a signed-in one.
    signed_in = client
    signed_in.force_login(validator)
    for response in (first, again, page(url, signed_in)):
        assert not response.cookies, response.cookies
        assert "cookie" not in response.get("Vary", "").lower()
    text = html(page(url, signed_in))
    assert "csrfmiddlewaretoken" not in text and "validator" not in text
    # A new release changes the state: a new ETag.
    services.release_open_data(by=validator, reason="Deuxième publication")
    assert page(url)["ETag"] != etag


def test_a_signed_in_visitor_keeps_the_session_and_reads_the_same_page(world, validator, client):
    anonymous = page("/donnees/fr/indicateurs/IND-PUB/")
    client.force_login(validator)
    signed_in = client.get("/donnees/fr/indicateurs/IND-PUB/")
    assert signed_in.content == anonymous.content
    assert client.get("/strategie/indicateurs/").status_code == 200  # still signed in
    half = Client()  # signed in without the second factor yet: reads the public pages as anybody
    half.force_login(validator)
    assert half.get("/donnees/fr/indicateurs/IND-PUB/").content == anonymous.content


def test_the_contract_page_shows_the_public_summary_only(world, signed_contract):
    text = html(page("/donnees/fr/contrats/CP-2021-01/"))
    assert "2\u00a0000\u00a0000,00" in text and "500\u00a0000,00" in text  # committed, disbursed, French way
    assert "Jalon public" in text and "MTAESS" in text
    for internal in ("Note interne", "Source interne", "document"):
        assert internal not in text, internal


def test_a_draft_contract_is_not_public(world):
    assert page("/donnees/fr/contrats/CP-PROJET/").status_code == 404
    assert "CP-PROJET" not in html(page("/donnees/fr/contrats/"))
    assert "CP-PROJET" not in html(page("/sitemap.xml"))


def test_the_indicator_page_links_its_downloads_and_describes_its_dataset(world):
    text = html(page("/donnees/fr/indicateurs/IND-PUB/"))
    for url in (
        "/api/public/v1/indicators/IND-PUB/series/?format=csv",
        "/api/public/v1/indicators/IND-PUB/series/?format=json",
        "/api/public/v1/indicators/IND-PUB/breakdowns/?format=csv",
    ):
        assert url in text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1)
    data = json.loads(block)
    assert data["@type"] == "Dataset" and data["identifier"] == "IND-PUB"
    assert data["license"].startswith("https://")
    assert data["creator"]["@type"] == "GovernmentOrganization"
    assert data["spatialCoverage"]["identifier"] == "MA"
    assert data["temporalCoverage"] == "2022-01-01/2022-12-31"
    assert data["dateModified"] == world["release"].released_at.date().isoformat()
    assert {d["encodingFormat"] for d in data["distribution"]} == {"text/csv", "application/json"}
    assert all(d["contentUrl"].startswith("http://testserver/api/public/v1/") for d in data["distribution"])


def test_the_home_describes_the_catalogue(world):
    text = html(page("/donnees/en/"))
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1))
    assert data["@type"] == "DataCatalog"
    assert [d["url"] for d in data["dataset"]] == ["http://testserver/donnees/en/indicateurs/IND-PUB/"]


def test_a_json_ld_block_cannot_close_its_script_element(world, public_indicator, validator):
    public_indicator.name = "</script><script>alert(1)</script>"
    public_indicator.save()
    text = html(page("/donnees/fr/indicateurs/IND-PUB/"))
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1)
    assert "<" not in block and json.loads(block)["name"].endswith("</script>")


def test_the_region_page_shows_this_regions_published_figures(world, region, other_region):
    text = html(page(f"/donnees/fr/regions/{region.code}/"))
    assert 'data-indicator="IND-PUB"' in text
    assert re.search(r'data-indicator="IND-PUB".*?<td class="num">40</td>', text, re.S)
    assert page("/donnees/fr/regions/99/").status_code == 404


def test_the_public_rollups_count_only_the_published_indicators(world, phases):
    day = dt.date.today()
    axis = Axis.objects.with_rollup(day, public_on=day).get()
    assert [i.code for i in axis.figure_indicators] == ["IND-PUB"]
    rows = list(Phase.objects.order_by("order"))
    attach_phase_rollups(rows, day, public_on=day)
    assert all({i.code for i in p.figure_indicators} <= {"IND-PUB"} for p in rows)
    assert Indicator.objects.count() == 2


def test_the_sitemap_lists_every_public_page_in_three_languages(world, region, other_region):
    text = html(page("/sitemap.xml"))
    for path in PAGES:
        for lang in LANGUAGES:
            url = path.format(lang=lang)
            if "/regions/07/" in url or "/regions/" not in url or url.endswith("/regions/"):
                assert f"<loc>http://testserver{url}</loc>" in text, url
    assert 'hreflang="ar" href="http://testserver/donnees/ar/indicateurs/IND-PUB/"' in text
    assert "/strategie/" not in text and "/contrats/" not in text.replace("/donnees/fr/contrats/", "").replace(
        "/donnees/ar/contrats/", ""
    ).replace("/donnees/en/contrats/", "")


def test_robots_txt_points_to_the_sitemap_and_closes_the_staff_area():
    text = html(page("/robots.txt"))
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /\n" in text and "Allow: /donnees/" in text


def test_the_indicator_page_maps_the_published_regional_figures(world, region):
    text = html(page("/donnees/fr/indicateurs/IND-PUB/"))
    section = text[text.index("data-map-section") :]
    assert section.count('data-region="') >= 12  # the twelve regions drawn (paths), then the table
    assert re.search(r'<tr data-row="07">.*?<td class="num">40</td>', section, re.S)
    assert re.search(r'<tr data-row="03">.*?Pas de donnée', section, re.S)


@pytest.mark.parametrize(
    "query", ["?x=1", "?as_of=2025-12-31&bench=1", "?as_of=0001-01-01", "?as_of=9999-12-31", "?as_of=1999-12-31"]
)
def test_an_unknown_parameter_or_a_date_out_of_range_is_a_400(world, query):
    response = page(f"/donnees/fr/indicateurs/IND-PUB/{query}")
    assert response.status_code == 400
    assert not response.has_header("ETag")


def test_the_host_is_part_of_the_cache_key(world):
    poisoned = Client(HTTP_HOST="other.example").get("/donnees/en/regions/")
    plain = page("/donnees/en/regions/")
    assert "other.example" in html(poisoned)
    assert "other.example" not in html(plain)
    assert poisoned["ETag"] != plain["ETag"]


def test_a_weak_if_none_match_gets_a_304(world):
    etag = page("/donnees/fr/").get("ETag")
    assert page("/donnees/fr/", If_None_Match=f"W/{etag}").status_code == 304


def test_a_changed_target_changes_the_published_state(world, public_indicator, editor):
    from strategy.models import Target

    before = page("/donnees/fr/indicateurs/IND-PUB/")
    services.save_target(
        Target(indicator=public_indicator, due_date=dt.date(2028, 12, 31), value=7),
        by=editor,
        reason="Cible révisée",
    )
    after = page("/donnees/fr/indicateurs/IND-PUB/", If_None_Match=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
