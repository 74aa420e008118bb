"""The public open-data pages, ``/donnees/<lang>/…``: anonymous, in French, Arabic or
English (the language is in the URL, never read from the visitor), each one cached by
``opendata.caching.public_cache`` (urls.py). They read only what the ministry published:
``Indicator.objects.published(day)``, the figures with ``published=True`` (the last
open-data release's copy of the stored totals) and ``ContratProgramme.objects.public()``.

Nothing of the visitor enters a page: the templates are rendered without the request
(no context processor, so no session, user or CSRF token is read), from what the view
hands them."""

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View

from artisanat.charts import horizontal_bars, line_chart
from artisanat.dates import parse_date, today
from artisanat.exceptions import InvalidParameter
from artisanat.i18n import localized
from artisanat.maps import region_map_context
from artisanat.models import Region
from contracts.models import ContratProgramme, Party
from opendata import links
from opendata.caching import last_release
from opendata.links import LANGUAGES
from strategy import figures
from strategy.models import Axis, Indicator, Phase
from strategy.querysets import attach_phase_rollups, stored_breakdowns, stored_period_totals

#: Characters escaped in a JSON-LD block so that no text can close the <script> element.
JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}

MINISTRY = "Ministère du Tourisme, de l'Artisanat et de l'Économie sociale et solidaire"


def json_ld(data):
    """A schema.org block's content (``<script type="application/ld+json">``: a data
    block, which the Content-Security-Policy does not execute nor block)."""
    return mark_safe(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_ESCAPES))


def breakdown_labels():
    return {
        "region": _("Par région"),
        "filiere": _("Par filière"),
        "sex": _("Par sexe"),
        "actor_type": _("Par type d'acteur"),
    }


def home_redirect(request):
    """``/donnees/`` → the French home (the other languages are one link away)."""
    return HttpResponseRedirect(reverse("opendata:home", kwargs={"lang": links.DEFAULT_LANGUAGE}))


class PublicPage(View):
    """A public page: the language from the URL (404 when unknown), ``?as_of=`` (today
    by default; 400 when unreadable), the last release, the language links; the template
    rendered without the request."""

    template_name = None
    view_name = None
    nav = ""
    http_method_names = ["get", "head"]

    def get(self, request, lang, **kwargs):
        if lang not in LANGUAGES:
            raise Http404
        self.lang, self.day = lang, today()
        self.as_of = self.read_as_of(request)
        with translation.override(lang):
            # The release the cache's lookup already read for the ETag (opendata/caching.py),
            # read here only when the page is served without the cache (the bench's URL).
            self.release = request.public_release if hasattr(request, "public_release") else last_release()
            context = self.get_context(**kwargs)
            query = request.GET.urlencode()
            languages = links.alternates(request, self.view_name, {**kwargs}, query)
            context.update(
                lang=lang,
                nav=self.nav,
                languages=languages,
                canonical=next(row["absolute"] for row in languages if row["code"] == lang),
                release=self.release,
                as_of=self.as_of,
                as_of_given=self.as_of != self.day,
                page_path=request.path,
                sign_in_url=reverse("login"),
            )
            html = render_to_string(self.template_name, context)
        response = HttpResponse(html)
        response["Content-Language"] = lang
        return response

    #: The query parameters a public page reads; any other is a 400 naming it, as on the
    #: public API (a misspelt parameter is not silently ignored, and the shared cache
    #: keeps no copy per junk query string).
    PARAMETERS = {"as_of"}
    #: The dates ``?as_of=`` may take: the figures exist from the strategy's baseline
    #: years on, and a chart of every year up to 9999 is no page.
    AS_OF_RANGE = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))

    def read_as_of(self, request):
        unknown = sorted(set(request.GET) - self.PARAMETERS)
        if unknown:
            raise InvalidParameter(unknown[0], _("Paramètre inconnu."))
        raw = request.GET.get("as_of")
        if not raw:
            return self.day
        try:
            as_of = parse_date(raw)
        except ValidationError as error:
            raise InvalidParameter("as_of", error.messages[0]) from error
        first, last = self.AS_OF_RANGE
        if not first <= as_of <= last:
            raise InvalidParameter(
                "as_of",
                _("La date doit être comprise entre le %(first)s et le %(last)s.")
                % {"first": first.strftime("%d/%m/%Y"), "last": last.strftime("%d/%m/%Y")},
            )
        return as_of

    def published(self):
        """The indicators the public sees today."""
        return Indicator.objects.published(self.day)

    def get_context(self, **kwargs):
        return {}


class HomePage(PublicPage):
    """The strategy at a glance: its axes with their public roll-up, the three phases,
    headline figures, the published indicators."""

    template_name = "opendata/home.html"
    view_name = "opendata:home"
    nav = "home"

    def get_context(self, **kwargs):
        axes = list(Axis.objects.order_by("strategy__start_date", "number").with_rollup(self.as_of, public_on=self.day))
        phases = list(Phase.objects.select_related("strategy").order_by("strategy__start_date", "order"))
        if phases:
            attach_phase_rollups(phases, self.as_of, public_on=self.day)
        indicators = [i for axis in axes for i in axis.figure_indicators]
        contracts = list(ContratProgramme.objects.public().with_execution(self.as_of).only("pk"))
        committed = sum((c.fig_committed or 0) for c in contracts)
        disbursed = sum((c.fig_disbursed or 0) for c in contracts)
        headline = {
            "indicators": len(indicators),
            "with_data": sum(1 for i in indicators if i.has_data),
            "contracts": len(contracts),
            "committed": committed,
            "disbursed": disbursed,
        }
        strategy = phases[0].strategy if phases else None
        catalog = {
            "@context": "https://schema.org",
            "@type": "DataCatalog",
            "name": _("Données ouvertes de la stratégie de l'artisanat 2021–2030"),
            "description": _(
                "Les indicateurs publiés de la stratégie de développement du secteur de l'artisanat, "
                "leurs cibles et leurs valeurs validées, et les contrats programmes signés."
            ),
            "inLanguage": self.lang,
            "url": self.request.build_absolute_uri(self.request.path),
            "license": links.licence(),
            "creator": {"@type": "GovernmentOrganization", "name": MINISTRY},
            "publisher": {"@type": "GovernmentOrganization", "name": MINISTRY},
            "spatialCoverage": {"@type": "Country", "name": "Maroc", "identifier": "MA"},
            "dataset": [
                {
                    "@type": "Dataset",
                    "name": f"{i.code} — {localized(i)}",
                    "url": self.request.build_absolute_uri(
                        reverse("opendata:indicator", kwargs={"lang": self.lang, "code": i.code})
                    ),
                }
                for i in indicators
            ],
        }
        if self.release:
            catalog["dateModified"] = self.release["released_at"].date()
        return {
            "axes": axes,
            "phases": phases,
            "strategy": strategy,
            "headline": headline,
            "json_ld": json_ld(catalog),
            "downloads": links.downloads("indicators", as_of=self.as_of if self.as_of != self.day else None),
        }


class IndicatorListPage(PublicPage):
    template_name = "opendata/indicator_list.html"
    view_name = "opendata:indicator_list"
    nav = "indicators"

    def get_context(self, **kwargs):
        indicators = list(
            self.published()
            .select_related("axis")
            .with_figures(self.as_of, published=True)
            .order_by("axis__number", "code")
        )
        return {
            "indicators": indicators,
            "downloads": links.downloads("indicators", as_of=self.as_of if self.as_of != self.day else None),
        }


class IndicatorPage(PublicPage):
    """A published indicator: its figures, chart (baseline, targets, achieved from the
    release), targets, breakdowns. An indicator not published is a 404: its existence
    is not public."""

    template_name = "opendata/indicator_detail.html"
    view_name = "opendata:indicator"
    nav = "indicators"

    def get_context(self, code, **kwargs):
        as_of = self.as_of
        indicator = get_object_or_404(
            self.published().select_related("axis", "programme").with_figures(as_of, published=True), code=code
        )
        targets = list(indicator.targets.select_related("region", "filiere").order_by("due_date", "pk"))
        national = [(t.due_date, t.value) for t in targets if t.region_id is None and t.filiere_id is None]
        totals = stored_period_totals(indicator, as_of, published=True)
        achieved = figures.achieved_series(indicator.aggregation, totals)
        achieved_at = dict(achieved)
        stored = stored_breakdowns(indicator, indicator.dimensions, as_of, published=True)
        labels = breakdown_labels()
        arabic = self.lang == "ar"
        breakdowns = []
        for dimension in indicator.dimensions:
            rows = stored[dimension]
            chart = horizontal_bars(
                [((r["name_ar"] if arabic and r["name_ar"] else r["name"]), r["achieved"]) for r in rows]
            )
            breakdowns.append(
                {
                    "dimension": dimension,
                    "label": labels[dimension],
                    "rows": rows,
                    "chart": chart,
                    "downloads": links.downloads("indicators", indicator.code, "breakdowns"),
                }
            )
        region_map = None
        if "region" in stored:
            title = _("Réalisé par région")
            region_map = region_map_context(
                {r["code"]: r["achieved"] for r in stored["region"]},
                title=title,
                legend_label=f"{title} ({indicator.get_unit_display()})",
                map_id="map-value",
            )
        series_downloads = links.downloads("indicators", indicator.code, "series")
        url = self.request.build_absolute_uri(self.request.path)
        dataset = {
            "@context": "https://schema.org",
            "@type": "Dataset",
            "name": f"{indicator.code} — {localized(indicator)}",
            "description": localized(indicator, "definition") or localized(indicator),
            "identifier": indicator.code,
            "url": url,
            "inLanguage": self.lang,
            "license": links.licence(),
            "isAccessibleForFree": True,
            "creator": {"@type": "GovernmentOrganization", "name": MINISTRY},
            "publisher": {"@type": "GovernmentOrganization", "name": MINISTRY},
            "spatialCoverage": {"@type": "Country", "name": "Maroc", "identifier": "MA"},
            "variableMeasured": indicator.get_unit_display(),
            "distribution": [
                {
                    "@type": "DataDownload",
                    "encodingFormat": "text/csv" if d["format"] == "csv" else "application/json",
                    "contentUrl": self.request.build_absolute_uri(d["url"]),
                }
                for d in series_downloads
            ],
        }
        if totals:
            dataset["temporalCoverage"] = (
                f"{totals[0]['period_start'].isoformat()}/{totals[-1]['period_end'].isoformat()}"
            )
        if self.release:
            dataset["dateModified"] = self.release["released_at"].date()
        return {
            "indicator": indicator,
            "targets": targets,
            "chart": line_chart(
                baseline=(indicator.baseline_date, indicator.baseline_value),
                targets=national,
                achieved=achieved,
                as_of=as_of,
                unit=indicator.get_unit_display(),
            ),
            "period_rows": [dict(row, achieved=achieved_at.get(row["period_end"])) for row in totals],
            "breakdowns": breakdowns,
            "region_map": region_map,
            "downloads": series_downloads,
            "json_ld": json_ld(dataset),
        }


class ContractListPage(PublicPage):
    template_name = "opendata/contract_list.html"
    view_name = "opendata:contract_list"
    nav = "contracts"

    def get_context(self, **kwargs):
        contracts = list(
            ContratProgramme.objects.public()
            .with_execution(self.as_of)
            .select_related("phase", "filiere")
            .only(
                "reference",
                "title",
                "title_ar",
                "arabic_is_working_translation",
                "kind",
                "status",
                "signing_date",
                "start_date",
                "end_date",
                "phase__name",
                "phase__name_ar",
                "phase__order",
                "filiere__name",
                "filiere__name_ar",
            )
            .order_by("reference")
        )
        return {"contracts": contracts, "downloads": links.downloads("contracts")}


class ContractPage(PublicPage):
    """A signed contract's public summary: parties, amounts committed and disbursed,
    milestones — never its document, sources or notes."""

    template_name = "opendata/contract_detail.html"
    view_name = "opendata:contract"
    nav = "contracts"

    def get_context(self, reference, **kwargs):
        as_of = self.as_of
        contract = get_object_or_404(
            ContratProgramme.objects.public()
            .with_execution(as_of)
            .select_related("phase", "filiere")
            .defer("source", "document", "document_name"),
            reference=reference,
        )
        parties = list(
            Party.objects.filter(contract=contract)
            .with_execution(as_of)
            .select_related("organisation")
            .only("role", "contract_id", "organisation__acronym", "organisation__name", "organisation__name_ar")
            .order_by("organisation__acronym", "role")
        )
        milestones = list(
            contract.milestones.with_late(as_of)
            .select_related("responsible")
            .only(
                "title",
                "title_ar",
                "due_date",
                "date_met",
                "status",
                "contract_id",
                "responsible__acronym",
            )
            .order_by("due_date", "pk")
        )
        return {
            "contract": contract,
            "parties": parties,
            "milestones": milestones,
            "downloads": links.downloads("contracts"),
        }


class RegionListPage(PublicPage):
    template_name = "opendata/region_list.html"
    view_name = "opendata:region_list"
    nav = "regions"

    def get_context(self, **kwargs):
        return {
            "regions": list(Region.objects.order_by("code")),
            "indicators": list(self.published().filter(by_region=True).select_related("axis").order_by("code")),
            "downloads": links.downloads("regions"),
        }


class RegionPage(PublicPage):
    """One region: the published indicators broken down by region, with this region's
    figures (its targets when it has some)."""

    template_name = "opendata/region_detail.html"
    view_name = "opendata:region"
    nav = "regions"

    def get_context(self, code, **kwargs):
        region = get_object_or_404(Region.objects.all(), code=code)
        indicators = list(
            self.published()
            .filter(by_region=True)
            .select_related("axis")
            .with_figures(self.as_of, region=region, published=True)
            .order_by("code")
        )
        return {
            "region": region,
            "indicators": indicators,
            "downloads": links.downloads("regions", region.code, "indicators"),
        }


def robots_txt(request):
    """The staff area is closed to crawlers; the public pages, the public API and the
    sitemap are open."""
    lines = [
        "User-agent: *",
        "Allow: /donnees/",
        "Allow: /api/public/",
        "Allow: /sitemap.xml",
        "Allow: /static/",
        "Disallow: /",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
