"""The public read-only API, ``/api/public/v1/`` (docs/api.md, "API publique").

Anyone may read it: no token, no session (``authentication_classes = []``: a cookie or a
token sent changes nothing), GET, HEAD and OPTIONS only (405 otherwise, in the API's
error shape). It answers only what the ministry published — the indicators
``Indicator.objects.published(today)`` with their published figures
(``published=True``: the last open-data release's copy of the totals), the signed
contracts' public summary (``ContratProgramme.objects.public()``) — named by stable
codes, never by database ids.

Every list is paginated (``PublicPagination``: PUBLIC_API_PAGE_SIZE rows a page); with
``?format=csv`` or ``?format=json`` it is a download of the whole table (an attachment;
CSV as every export of the portal: artisanat/exports.py). The format is chosen by
``?format=`` only, never by the Accept header, so one URL is one answer.

Caching (opendata/caching.py): every 200 answer carries the published state's ETag and
``Cache-Control: public``, answers 304 to a matching ``If-None-Match`` and is kept in the
shared cache. The throttle (scope ``public``, per client address) runs first and counts
every request, a 304 or a cached answer included: a client's limit does not depend on
what others put in the cache, and a cached answer still costs the published state's
two queries."""

import re

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from artisanat.api.filters import as_of_of
from artisanat.api.pagination import PageNumberPagination, check_page_parameters
from artisanat.api.renderers import CSVRenderer
from artisanat.api.throttling import PublicRateThrottle
from artisanat.api.viewsets import ApiViewMixin
from artisanat.dates import today
from artisanat.exports import export_response
from artisanat.models import Region
from contracts.models import ContratProgramme, Milestone, Party
from opendata import caching
from opendata.api import columns, fast
from opendata.api import serializers as s
from opendata.api.schema import PublicAutoSchema, public_schema
from opendata.caching import last_release
from strategy import figures
from strategy.choices import ActorType, Aggregation, Sex
from strategy.models import Axis, Indicator, Phase, Target
from strategy.querysets import attach_phase_rollups, stored_breakdowns, stored_period_totals

DOWNLOAD_FORMATS = ("csv", "json")


class PublicPagination(PageNumberPagination):
    """The project's page-number pagination, with the public API's generous pages."""

    @property
    def page_size(self):
        return settings.PUBLIC_API_PAGE_SIZE

    @property
    def max_page_size(self):
        return settings.PUBLIC_API_MAX_PAGE_SIZE


class FormatOnly(DefaultContentNegotiation):
    """The format is ``?format=`` (json by default), never the Accept header: the shared
    cache keys an answer by its URL, and a proxy needs no ``Vary: Accept``."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if request.method == "OPTIONS":
            return renderers[0], renderers[0].media_type  # the description, in JSON whatever ?format=
        if request.query_params.get(self.settings.URL_FORMAT_OVERRIDE):
            return super().select_renderer(request, renderers, format_suffix)
        return renderers[0], renderers[0].media_type


class CSVDownloadRenderer(CSVRenderer):
    """Names the CSV format for the negotiation; the view writes the file."""


def release(request=None):
    """The last open-data release, ``{number, date}``, or None before the first (as the
    cache's lookup read it for this request, opendata/caching.py)."""
    last = request.public_release if hasattr(request, "public_release") else last_release()
    if last is None:
        return None
    return {"number": last["number"], "date": timezone.localdate(last["released_at"])}


def safe_name(text):
    """A file name part: letters, digits, dot, dash and underscore only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


class PublicView(ApiViewMixin, generics.GenericAPIView):
    """One public endpoint: anonymous, read-only, throttled, cached (module docstring)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]
    throttle_scope = "public"
    content_negotiation_class = FormatOnly
    renderer_classes = [JSONRenderer]
    filter_backends = []
    pagination_class = None
    http_method_names = ["get", "head", "options"]
    schema = PublicAutoSchema()
    #: Query parameters the endpoint reads; any other is a 400 naming it.
    parameters = ("as_of",)
    #: The answer carries live figures (the contracts'): the data version enters its ETag.
    live = False
    #: False: compute every answer (the bench's "uncached" measure, bench/urls.py); the
    #: ETag, Cache-Control and 304 stay.
    read_cache = True

    def check_parameters(self, request):
        unknown = sorted(set(request.query_params) - set(self.parameters))
        if unknown:
            raise ValidationError({name: [_("Paramètre inconnu.")] for name in unknown})

    def get(self, request, *args, **kwargs):
        self.check_parameters(request)
        self.as_of = as_of_of(request)
        self.today = today()
        key, etag, early = caching.lookup(request, live=self.live, read_cache=self.read_cache)
        if early is not None:
            return early
        self._public_key = (key, etag)
        # Names of choices (a breakdown by sex) in French whatever the visitor's
        # language: the same URL is the same answer.
        with translation.override("fr"):
            return self.answer(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        pending = getattr(self, "_public_key", None)
        if pending is not None and response.status_code == 200:
            response = caching.keep(*pending, response)
        return response

    def answer(self, request, *args, **kwargs):
        raise NotImplementedError


class PublicListView(PublicView):
    """A list: a page of JSON, or the whole table with ``?format=csv`` / ``?format=json``."""

    renderer_classes = [JSONRenderer, CSVDownloadRenderer]
    pagination_class = PublicPagination
    parameters = ("as_of", "format", "page", "page_size")
    #: artisanat.exports Columns of the CSV; the file's name (without date nor extension).
    csv_columns = ()
    download_name = ""

    def rows(self):
        """Every row of the table (a queryset or a list), in order."""
        raise NotImplementedError

    def prepare(self, rows):
        """What the rows of one page (or of the download) need once read."""
        return rows

    def serializer_context(self):
        return {"request": self.request}

    def filename(self):
        return f"artisanat2030-{self.download_name}-{self.as_of.isoformat()}"

    def json_rows(self):
        """The rows the JSON answers (a page, or the whole table) are read from."""
        return self.rows()

    def serialize(self, rows):
        """The JSON objects of ``rows`` (``json_rows``, one page or all of them)."""
        rows = self.prepare(list(rows))
        return self.serializer_class(rows, many=True, context=self.serializer_context()).data

    def answer(self, request, *args, **kwargs):
        fmt = request.accepted_renderer.format if request.query_params.get("format") else None
        if fmt in DOWNLOAD_FORMATS:
            check_page_parameters(request)  # not paginated, but a malformed page is still a 400
            if fmt == "csv":
                rows = self.prepare(list(self.rows()))
                return export_response(rows, self.csv_columns, "csv", self.filename())
            data = self.serialize(self.json_rows())
            return Response(data, headers={"Content-Disposition": f'attachment; filename="{self.filename()}.json"'})
        page = self.paginate_queryset(self.json_rows())
        return self.get_paginated_response(self.serialize(page))


# ---------------------------------------------------------------- indicators


def published_indicators(on):
    return Indicator.objects.published(on)


class IndicatorMixin:
    serializer_class = s.PublicIndicatorSerializer

    def indicators(self):
        national_targets = Target.objects.filter(region__isnull=True, filiere__isnull=True).order_by("due_date")
        return (
            published_indicators(self.today)
            .with_figures(self.as_of, published=True)
            .select_related("axis", "programme")
            .prefetch_related(Prefetch("targets", queryset=national_targets, to_attr="public_targets"))
            .order_by("code")
        )

    def prepare(self, rows):
        last = release(self.request)
        for row in rows:
            row.release = last
        return rows


@public_schema(
    "Les indicateurs publiés, avec leurs chiffres publiés à la date as_of (valeur atteinte, cibles, avancement, statut).",
    "The published indicators, with their published figures as of as_of (achieved, targets, progress, status).",
    s.PublicIndicatorSerializer,
    operation_id="public_indicators_list",
    listed=True,
    as_of=True,
)
class IndicatorList(IndicatorMixin, PublicListView):
    """The JSON answers read ``values()`` rows (``fast.indicator_items``: the same objects
    as PublicIndicatorSerializer, without a model instance nor a serializer field per
    value, as the staff list does); the CSV reads the indicators."""

    csv_columns = columns.INDICATOR_COLUMNS
    download_name = "indicators"

    def rows(self):
        return self.indicators()

    # (as_of, today) → the rows' queryset, built once per process and never evaluated:
    # each request chains a clone (as the staff list does, strategy/api/views.py:
    # building the figure subqueries costs more than running them). It holds no data —
    # the last release is a subquery — so it never goes stale. At most 16 keys.
    _built = {}

    def json_rows(self):
        key = (self.as_of, self.today)
        built = self._built.get(key)
        if built is None:
            if len(self._built) >= 16:
                self._built.clear()
            built = self._built[key] = fast.indicator_rows(
                published_indicators(self.today).with_figures(self.as_of, published=True)
            )
        return built.all()

    def serialize(self, rows):
        return fast.indicator_items(list(rows), release(self.request))


@public_schema(
    "Un indicateur publié, par son code ; 404 s'il n'est pas public.",
    "One published indicator, by its code; 404 when it is not public.",
    s.PublicIndicatorSerializer,
    operation_id="public_indicators_retrieve",
    listed=False,
    as_of=True,
)
class IndicatorDetail(IndicatorMixin, PublicView):
    def answer(self, request, code):
        indicator = self.indicators().filter(code=code).first()
        if indicator is None:
            raise Http404
        self.prepare([indicator])
        return Response(self.serializer_class(indicator).data)


class OneIndicatorList(PublicListView):
    """A table of one published indicator (its series, its breakdowns): 404 if it is not
    published."""

    def indicator(self):
        found = getattr(self, "_indicator", None)
        if found is None:
            found = self._indicator = published_indicators(self.today).filter(code=self.kwargs["code"]).first()
            if found is None:
                raise Http404
        return found

    def filename(self):
        return f"artisanat2030-{safe_name(self.kwargs['code'])}-{self.download_name}-{self.as_of.isoformat()}"


@public_schema(
    "La série publiée d'un indicateur : une ligne par période, la plus ancienne d'abord.",
    "An indicator's published series: one row per period, oldest first.",
    s.PublicSeriesRowSerializer,
    operation_id="public_indicators_series",
    listed=True,
    as_of=True,
)
class IndicatorSeries(OneIndicatorList):
    serializer_class = s.PublicSeriesRowSerializer
    csv_columns = columns.SERIES_COLUMNS
    download_name = "series"

    def rows(self):
        indicator = self.indicator()
        ratio = indicator.aggregation == Aggregation.RATIO
        rows = []
        for row in stored_period_totals(indicator, self.as_of, published=True):
            value = row["total"]
            if ratio:
                value = figures.achieved(
                    Aggregation.RATIO,
                    sum_all=None,
                    periods=None,
                    latest_total=None,
                    latest_numerator=row["numerator"],
                    latest_denominator=row["denominator"],
                )
            rows.append({**row, "value": value})
        return rows


CHOICES = {"sex": Sex, "actor_type": ActorType}


@public_schema(
    "La valeur atteinte publiée d'un indicateur selon chacune de ses ventilations (région, filière, sexe, type d'acteur).",
    "An indicator's published achieved value by each of its breakdowns (region, filière, sex, actor type).",
    s.PublicBreakdownRowSerializer,
    operation_id="public_indicators_breakdowns",
    listed=True,
    as_of=True,
)
class IndicatorBreakdowns(OneIndicatorList):
    serializer_class = s.PublicBreakdownRowSerializer
    csv_columns = columns.BREAKDOWN_COLUMNS
    download_name = "breakdowns"

    def rows(self):
        indicator = self.indicator()
        rows = []
        for dimension, found in stored_breakdowns(indicator, indicator.dimensions, self.as_of, published=True).items():
            for row in found:
                name_ar = row["name_ar"]
                if dimension in CHOICES:
                    with translation.override("ar"):
                        name_ar = str(CHOICES[dimension](row["code"]).label)
                rows.append(
                    {
                        "dimension": dimension,
                        "code": row["code"],
                        "name": str(row["name"]),
                        "name_ar": name_ar,
                        "achieved": row["achieved"],
                    }
                )
        return rows


# ---------------------------------------------------------------- the strategy at a glance


@public_schema(
    "Les axes de la stratégie, avec l'avancement de leurs indicateurs publiés.",
    "The strategy's axes, with the progress of their published indicators.",
    s.PublicAxisSerializer,
    operation_id="public_axes_list",
    listed=True,
    as_of=True,
)
class AxisList(PublicListView):
    serializer_class = s.PublicAxisSerializer
    csv_columns = columns.AXIS_COLUMNS
    download_name = "axes"

    def rows(self):
        return Axis.objects.order_by("strategy__start_date", "number").with_rollup(self.as_of, public_on=self.today)


@public_schema(
    "Les phases de la stratégie, avec l'avancement de leurs indicateurs publiés vers les cibles de fin de phase.",
    "The strategy's phases, with their published indicators' progress towards the end-of-phase targets.",
    s.PublicPhaseSerializer,
    operation_id="public_phases_list",
    listed=True,
    as_of=True,
)
class PhaseList(PublicListView):
    serializer_class = s.PublicPhaseSerializer
    csv_columns = columns.PHASE_COLUMNS
    download_name = "phases"

    def rows(self):
        return Phase.objects.select_related("strategy").order_by("strategy__start_date", "order")

    def prepare(self, rows):
        rows = list(rows)
        if rows:
            attach_phase_rollups(rows, self.as_of, public_on=self.today)
        return rows


# ---------------------------------------------------------------- regions


@public_schema(
    "Les douze régions, par leur code (01 à 12).",
    "The twelve regions, by their code (01 to 12).",
    s.PublicRegionSerializer,
    operation_id="public_regions_list",
    listed=True,
    as_of=False,
)
class RegionList(PublicListView):
    serializer_class = s.PublicRegionSerializer
    csv_columns = columns.REGION_COLUMNS
    download_name = "regions"
    parameters = ("format", "page", "page_size")

    def rows(self):
        return Region.objects.order_by("code")


@public_schema(
    "Les indicateurs publiés ventilés par région, avec leurs chiffres publiés dans cette région.",
    "The published indicators broken down by region, with their published figures in this region.",
    s.PublicRegionalIndicatorSerializer,
    operation_id="public_regions_indicators",
    listed=True,
    as_of=True,
)
class RegionIndicators(PublicListView):
    """The published indicators broken down by region, with their figures in this one."""

    serializer_class = s.PublicRegionalIndicatorSerializer
    csv_columns = columns.REGIONAL_COLUMNS
    download_name = "indicators"

    def region(self):
        found = getattr(self, "_region", None)
        if found is None:
            found = self._region = get_object_or_404(Region, code=self.kwargs["code"])
        return found

    def rows(self):
        region = self.region()
        return (
            published_indicators(self.today)
            .filter(by_region=True)
            .with_figures(self.as_of, region=region, published=True)
            .order_by("code")
        )

    def prepare(self, rows):
        rows = list(rows)
        for row in rows:
            row.region = self._region.code
        return rows

    def filename(self):
        return f"artisanat2030-region-{safe_name(self.kwargs['code'])}-indicators-{self.as_of.isoformat()}"


# ---------------------------------------------------------------- contracts


class ContractMixin:
    serializer_class = s.PublicContractSerializer
    live = True  # committed and disbursed are today's figures, not a release's

    def contracts(self):
        parties = Party.objects.select_related("organisation").order_by("organisation__acronym", "role")
        return (
            ContratProgramme.objects.public()
            .with_execution(self.as_of)
            .select_related("phase", "filiere")
            .prefetch_related(
                Prefetch("parties", queryset=parties, to_attr="public_parties"),
                Prefetch(
                    "milestones", queryset=Milestone.objects.order_by("due_date", "pk"), to_attr="public_milestones"
                ),
            )
            .order_by("reference")
        )


@public_schema(
    "Les contrats programmes signés : parties, montants engagés et décaissés, exécution, jalons (résumé public).",
    "The signed contrats programmes: parties, amounts committed and disbursed, execution, milestones (public summary).",
    s.PublicContractSerializer,
    operation_id="public_contracts_list",
    listed=True,
    as_of=True,
)
class ContractList(ContractMixin, PublicListView):
    csv_columns = columns.CONTRACT_COLUMNS
    download_name = "contracts"

    def rows(self):
        return self.contracts()


@public_schema(
    "Un contrat programme signé, par sa référence (résumé public) ; 404 sinon.",
    "One signed contrat programme, by its reference (public summary); 404 otherwise.",
    s.PublicContractSerializer,
    operation_id="public_contracts_retrieve",
    listed=False,
    as_of=True,
)
class ContractDetail(ContractMixin, PublicView):
    def answer(self, request, reference):
        contract = self.contracts().filter(reference=reference).first()
        if contract is None:
            raise Http404
        return Response(self.serializer_class(contract).data)
