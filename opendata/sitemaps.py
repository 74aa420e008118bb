"""``/sitemap.xml``: every public page in the three languages, each with its
alternates in the other two (``hreflang``); only the indicators published today and the
contracts the public reads. Served through the public cache (config/urls.py)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from artisanat.dates import today
from artisanat.models import Region
from contracts.models import ContratProgramme
from opendata.links import LANGUAGES
from strategy.models import Indicator, OpenDataRelease


class PublicSitemap(Sitemap):
    """Items are (view name, kwargs without the language); each one is listed once per
    language, with the other languages as alternates."""

    protocol = None

    def pages(self):
        release = OpenDataRelease.objects.order_by("-number").values_list("released_at", flat=True).first()
        self.released = release.date() if release else None
        rows = [
            ("opendata:home", {}),
            ("opendata:indicator_list", {}),
            ("opendata:contract_list", {}),
            ("opendata:region_list", {}),
        ]
        rows += [
            ("opendata:indicator", {"code": code})
            for code in Indicator.objects.published(today()).order_by("code").values_list("code", flat=True)
        ]
        rows += [
            ("opendata:contract", {"reference": ref})
            for ref in ContratProgramme.objects.public().order_by("reference").values_list("reference", flat=True)
        ]
        rows += [
            ("opendata:region", {"code": code})
            for code in Region.objects.order_by("code").values_list("code", flat=True)
        ]
        return rows

    def items(self):
        return [(name, kwargs, lang) for name, kwargs in self.pages() for lang in LANGUAGES]

    def location(self, item):
        name, kwargs, lang = item
        return reverse(name, kwargs={**kwargs, "lang": lang})

    def lastmod(self, item):
        return self.released if item[0] == "opendata:indicator" else None

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        scheme = self.get_protocol(protocol)
        domain = self.get_domain(site)
        for url in urls:
            name, kwargs, _lang = url["item"]
            url["alternates"] = [
                {"lang_code": code, "location": f"{scheme}://{domain}{reverse(name, kwargs={**kwargs, 'lang': code})}"}
                for code in LANGUAGES
            ]
        return urls


SITEMAPS = {"donnees": PublicSitemap}
