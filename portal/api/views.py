"""The dashboard of the API (the home page's figures as JSON) and the reporting
calendar (its expected reports, and their completeness and timeliness)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from artisanat.api.filters import AS_OF_PARAMETER, as_of_of
from artisanat.api.pagination import check_page_parameters
from artisanat.api.renderers import EXPORT_FORMATS, CSVRenderer, XLSXRenderer
from artisanat.api.schema import FORMAT_PARAMETER, text
from artisanat.api.viewsets import ApiViewMixin
from artisanat.data_version import cached
from artisanat.exports import CONTENT_TYPES, export_response
from artisanat.models import Region
from portal.api import serializers as s
from portal.calendar import calendar_reports, export_columns
from portal.dashboard import build_dashboard
from portal.forms import MAX_ID, YEARS, CalendarForm
from strategy.api.scope import SCOPE_PARAMETERS, scope_form_of
from strategy.calendar import rates, rates_by
from strategy.choices import ReportState


class DashboardView(ApiViewMixin, APIView):
    @extend_schema(
        description=text(
            "Tableau de bord : avancement par axe et par phase, exécution des contrats visibles, jalons en retard, "
            "mesures en attente de validation, à la date as_of, dans le périmètre demandé (phase, région, filière, "
            "sexe, type d'acteur ; les phases restent nationales).",
            "Dashboard: progress per axis and phase, execution of the visible contracts, late milestones, "
            "measurements waiting for validation, as of as_of, in the scope asked (phase, region, filière, sex, "
            "actor type; phases stay national).",
        ),
        parameters=[AS_OF_PARAMETER, *SCOPE_PARAMETERS],
        responses={200: s.DashboardSerializer},
    )
    def get(self, request):
        as_of = as_of_of(request)
        scope = scope_form_of(request).values  # a bad value, or dimensions not stored together: 400
        names = ("phase", "region", "filiere", "sex", "actor_type")
        data = cached(
            "api-dashboard",
            request.user,
            (as_of, *(scope[name] for name in names)),
            lambda: (
                s.DashboardSerializer(
                    build_dashboard(request.user, as_of, **{name: scope[name] for name in names})
                ).data
            ),
        )
        return Response(data)


# ---------------------------------------------------------------- reporting calendar

CALENDAR_PARAMETERS = [
    AS_OF_PARAMETER,
    OpenApiParameter(
        "organisation",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        description=text("id de l'organisation.", "the organisation's id."),
    ),
    OpenApiParameter(
        "indicator",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        description=text("id de l'indicateur.", "the indicator's id."),
    ),
    OpenApiParameter(
        "region",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        description=text(
            "id de la région (rapports d'une organisation régionale pour un indicateur ventilé par région).",
            "the region's id (reports of a regional organisation for an indicator broken down by region).",
        ),
    ),
    OpenApiParameter(
        "year",
        {"type": "integer", "minimum": YEARS[0], "maximum": YEARS[1]},
        description=text("année des périodes.", "year of the periods."),
    ),
    OpenApiParameter(
        "state",
        OpenApiTypes.STR,
        enum=ReportState.values,
        description=text(
            "on_time (reçu à temps), late (reçu en retard), overdue (échu, non reçu), pending (pas encore dû).",
            "on_time, late (received after its due date), overdue (due, not received), pending (not due yet).",
        ),
    ),
]
RATE_KEYS = ("organisation", "indicator", "region", "period")


class CalendarMixin(ApiViewMixin):
    """The calendar's filters through the page's form (portal/forms.py), with the
    API's strictness: an empty value is refused, as everywhere in the API."""

    filter_backends = []

    def calendar(self, request):
        params = request.query_params
        empty = {
            name: [_("Valeur vide : choisissez l'une des valeurs permises.")]
            for name in (*CalendarForm.FILTERS, "by")
            if name in params and not params.get(name)
        }
        if empty:
            raise ValidationError(empty)
        as_of = as_of_of(request)
        form = CalendarForm(params)
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        return calendar_reports(request.user, {**form.values, "as_of": as_of})


class ReportingCalendarView(CalendarMixin, generics.ListAPIView):
    serializer_class = s.ExpectedReportSerializer

    def get_renderers(self):
        """CSV and XLSX for the list (GET) only: an OPTIONS answer is JSON (fuzz found it)."""
        renderers = super().get_renderers()
        if self.request is not None and self.request.method == "GET":
            renderers += [CSVRenderer(), XLSXRenderer()]
        return renderers

    @extend_schema(
        description=text(
            "Calendrier de rapportage : chaque rapport attendu (indicateur × organisation × période, × région pour "
            "une organisation régionale), avec son échéance, sa première soumission, son état et ses jours de "
            "retard, à la date as_of ; un partenaire ne lit que ceux de son organisation. Trié par échéance ; "
            "?format=csv ou xlsx pour l'export (mêmes colonnes que la page).",
            "Reporting calendar: every expected report (indicator × organisation × period, × region for a regional "
            "organisation), with its due date, first submission, state and days late, as of as_of; a partner reads "
            "its own organisation's only. Sorted by due date; ?format=csv or xlsx to export (the page's columns).",
        ),
        parameters=[*CALENDAR_PARAMETERS, FORMAT_PARAMETER],
        responses={
            200: s.ExpectedReportSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def get_queryset(self):
        return []  # the reports are a list built by calendar_reports, not a queryset

    def list(self, request, *args, **kwargs):
        _as_of, reports = self.calendar(request)
        fmt = request.accepted_renderer.format
        if fmt in EXPORT_FORMATS:
            check_page_parameters(request)
            codes = dict(Region.objects.values_list("pk", "code"))
            return export_response(reports, export_columns(codes), fmt, "reporting-calendar")
        page = self.paginate_queryset(reports)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ReportingRatesView(CalendarMixin, APIView):
    @extend_schema(
        description=text(
            "Complétude (reçus ÷ attendus) et ponctualité (reçus à temps ÷ attendus) des rapports échus à la date "
            "as_of, au total et par organisation, indicateur, région ou période (?by=), avec les filtres du "
            "calendrier.",
            "Completeness (received ÷ expected) and timeliness (on time ÷ expected) of the reports due as of as_of, "
            "overall and by organisation, indicator, region or period (?by=), with the calendar's filters.",
        ),
        parameters=[
            *CALENDAR_PARAMETERS,
            OpenApiParameter(
                "by",
                OpenApiTypes.STR,
                enum=list(RATE_KEYS),
                description=text("regroupement (organisation par défaut).", "grouping (organisation by default)."),
            ),
        ],
        responses={200: s.RatesAnswerSerializer},
    )
    def get(self, request):
        by = request.query_params.get("by", "organisation")
        if by not in RATE_KEYS:
            raise ValidationError({"by": [_("Valeur inconnue : %(v)s.") % {"v": by}]})
        as_of, reports = self.calendar(request)
        if by == "organisation":
            key, label = (lambda r: r.organisation_id), (lambda r: r.organisation_acronym)
        elif by == "indicator":
            key, label = (lambda r: r.indicator_id), (lambda r: r.indicator_code)
        elif by == "region":
            names = dict(Region.objects.values_list("pk", "name")) if reports else {}
            key, label = (lambda r: r.region_id), (lambda r: names.get(r.region_id, "—"))
        else:
            key = lambda r: (r.period.start, r.period.end)  # noqa: E731
            label = lambda r: r.period.label  # noqa: E731
        labels = {key(r): label(r) for r in reports}
        groups = rates_by(reports, key)
        ordered = sorted(groups, key=lambda k: (labels[k], str(k)) if by != "period" else k)
        results = [
            {
                **vars_of(groups[k]),
                "key": None if k is None else (f"{k[0]}/{k[1]}" if by == "period" else str(k)),
                "label": labels[k],
            }
            for k in ordered
        ]
        data = {"as_of": as_of, "by": by, "overall": vars_of(rates(reports)), "results": results}
        return Response(s.RatesAnswerSerializer(data).data)


def vars_of(r):
    return {
        "expected": r.expected,
        "received": r.received,
        "on_time": r.on_time,
        "completeness": r.completeness,
        "timeliness": r.timeliness,
    }
