"""Strategy endpoints: structure with roll-ups, indicators with figures, targets, and
measurements with their workflow and bulk submission. Views only pick the queryset
(``visible_to`` and the figures) and call services."""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiRequest,
    extend_schema,
)
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from artisanat import permissions
from artisanat.api.documents import DocumentActionMixin, document_schema
from artisanat.api.examples import ExampleRefSchema
from artisanat.api.filters import AS_OF_PARAMETER, as_of_of
from artisanat.api.idempotency import idempotent
from artisanat.api.pagination import MeasurementCursorPagination
from artisanat.api.parsers import JSONParser
from artisanat.api.renderers import EXPORT_FORMATS
from artisanat.api.schema import (
    CHANGE_REASON_PARAMETER,
    IF_MATCH,
    IF_MATCH_OPTIONAL,
    ErrorSerializer,
    resource_schema,
    text,
)
from artisanat.api.throttling import ScopedRateThrottle, UserRateThrottle
from artisanat.api.viewsets import ReadOnlyViewSet, VersionedViewSet
from artisanat.exports import CONTENT_TYPES
from strategy import exports, services
from strategy.api import serializers as s
from strategy.api.bulk import (
    BulkErrorSerializer,
    BulkJSONParser,
    BulkSubmissionSerializer,
    CSVOctetStreamParser,
    CSVUploadParser,
    XLSXOctetStreamParser,
    XLSXUploadParser,
    read_rows,
    save_measurements,
)
from strategy.api.scope import SCOPE_PARAMETERS, scope_cache_key, scope_of
from strategy.filtersets import (
    ActionFilterSet,
    AxisFilterSet,
    IndicatorCommentFilterSet,
    IndicatorFilterSet,
    MeasurementFilterSet,
    PhaseFilterSet,
    ProgrammeFilterSet,
    StrategyFilterSet,
    TargetFilterSet,
)
from strategy.models import (
    Action,
    Axis,
    Indicator,
    IndicatorComment,
    Measurement,
    Phase,
    Programme,
    Strategy,
    Target,
)


@resource_schema(s.StrategySerializer, "stratégies", "strategies")
class StrategyViewSet(ReadOnlyViewSet):
    serializer_class = s.StrategySerializer
    filterset_class = StrategyFilterSet
    ordering_fields = ("name", "start_date")
    export_columns, export_name = exports.STRATEGY_COLUMNS, "strategies"

    def base_queryset(self):
        return Strategy.objects.visible_to(self.request.user)


@resource_schema(s.PhaseSerializer, "phases (avec leur avancement)", "phases (with their roll-up)", figures=True)
class PhaseViewSet(ReadOnlyViewSet):
    serializer_class = s.PhaseSerializer
    filterset_class = PhaseFilterSet
    ordering_fields = ("order", "start_date", "code")
    export_columns, export_name = exports.PHASE_COLUMNS, "phases"

    def base_queryset(self):
        return Phase.objects.visible_to(self.request.user).with_rollup(as_of_of(self.request))


@resource_schema(
    s.AxisSerializer,
    "axes stratégiques (avec leur avancement)",
    "strategic axes (with roll-up)",
    figures=True,
    scope_parameters=SCOPE_PARAMETERS,
)
class AxisViewSet(ReadOnlyViewSet):
    serializer_class = s.AxisSerializer
    filterset_class = AxisFilterSet
    ordering_fields = ("number", "title")
    export_columns, export_name = exports.AXIS_COLUMNS, "axes"

    def base_queryset(self):
        return Axis.objects.visible_to(self.request.user).with_rollup(as_of_of(self.request), **scope_of(self.request))


@resource_schema(
    s.ProgrammeSerializer,
    "programmes (avec leur avancement)",
    "programmes (with roll-up)",
    figures=True,
    scope_parameters=SCOPE_PARAMETERS,
    writable=True,
    versioned=True,
)
class ProgrammeViewSet(VersionedViewSet):
    serializer_class = s.ProgrammeSerializer
    filterset_class = ProgrammeFilterSet
    ordering_fields = ("code", "title", "axis__number")
    export_columns, export_name = exports.PROGRAMME_COLUMNS, "programmes"
    write_permission = staticmethod(permissions.can_edit_strategy)
    # A programme is not deleted from the API (its actions and indicators hang from it).
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def base_queryset(self):
        return (
            Programme.objects.visible_to(self.request.user)
            .with_rollup(as_of_of(self.request), **scope_of(self.request))
            .select_related("axis")
        )


@resource_schema(
    s.ActionSerializer,
    "actions (avec leur avancement)",
    "actions (with progress)",
    figures=True,
    writable=True,
    versioned=True,
)
class ActionViewSet(VersionedViewSet):
    serializer_class = s.ActionSerializer
    filterset_class = ActionFilterSet
    ordering_fields = ("code", "title", "start_date", "end_date", "status", "budget")
    export_columns, export_name = exports.ACTION_COLUMNS, "actions"
    write_permission = staticmethod(permissions.can_edit_strategy)
    delete_service = staticmethod(services.delete_action)

    def base_queryset(self):
        return (
            Action.objects.visible_to(self.request.user)
            .select_related("programme", "phase", "lead_organisation")
            .with_progress(as_of_of(self.request))
        )


def _indicator_write_doc(fr, en, code, *, if_match=False):
    return extend_schema(
        description=text(fr, en),
        parameters=[AS_OF_PARAMETER, *([IF_MATCH] if if_match else [])],
        request=s.IndicatorWriteSerializer,
        responses={code: s.IndicatorSerializer},
    )


@resource_schema(
    s.IndicatorSerializer,
    "indicateurs (avec leurs chiffres)",
    "indicators (with their figures)",
    figures=True,
    scope_parameters=SCOPE_PARAMETERS,
    detail_serializer=s.IndicatorDetailSerializer,
    writable=True,
    versioned=True,
    extra={
        "create": _indicator_write_doc(
            "Crée un indicateur (éditeurs, valideurs, administrateurs) ; motif obligatoire, historisé.",
            "Create an indicator (editors, validators, administrators); reason required, kept in history.",
            201,
        ),
        "update": _indicator_write_doc(
            "Remplace un indicateur (If-Match) ; refusé si des mesures déjà saisies ne suivent pas le changement.",
            "Replace an indicator (If-Match); refused when recorded measurements do not follow the change.",
            200,
            if_match=True,
        ),
        "partial_update": _indicator_write_doc(
            "Modifie un indicateur (If-Match) ; refusé si des mesures déjà saisies ne suivent pas le changement.",
            "Change an indicator (If-Match); refused when recorded measurements do not follow the change.",
            200,
            if_match=True,
        ),
        "destroy": extend_schema(
            description=text(
                "Supprime un indicateur dont rien ne dépend encore (ni mesure, ni cible, ni commentaire, ni "
                "contrat) ; sinon 400 nommant ce qui en dépend.",
                "Delete an indicator nothing depends on yet (no measurement, target, comment or contract); "
                "otherwise 400 naming what depends on it.",
            ),
            parameters=[IF_MATCH, CHANGE_REASON_PARAMETER],
        ),
    },
)
class IndicatorViewSet(VersionedViewSet):
    """Indicators with their figures; editors, validators and administrators create,
    change (If-Match) and delete (If-Match, only while nothing depends on it) them
    through strategy.services."""

    serializer_class = s.IndicatorSerializer
    write_serializer_class = s.IndicatorWriteSerializer
    filterset_class = IndicatorFilterSet
    ordering_fields = ("code", "name", "axis__number", "programme__code")
    export_columns, export_name = exports.INDICATOR_COLUMNS, "indicators"
    write_permission = staticmethod(permissions.can_edit_strategy)
    delete_service = staticmethod(services.delete_indicator)

    # (as_of, scope) → the indicators with their figures, built once per process and
    # never evaluated: each request chains a clone of it (DRF's class-level ``queryset``
    # pattern). Building the figure subqueries took longer than running them (about
    # 4 ms a request against 1 ms on SQLite); they depend on as_of and the scope only
    # (no row, no user: visible_to comes after). At most 16 keys are kept.
    _with_figures = {}

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return s.IndicatorWriteSerializer
        return s.IndicatorDetailSerializer if self.action == "retrieve" else s.IndicatorSerializer

    def base_queryset(self):
        as_of, scope = as_of_of(self.request), scope_of(self.request)
        key = (as_of, scope_cache_key(scope))
        built = self._with_figures.get(key)
        if built is None:
            if len(self._with_figures) >= 16:
                self._with_figures.clear()
            built = self._with_figures[key] = (
                Indicator.objects.with_figures(as_of, **scope)
                .select_related("axis", "programme")
                .prefetch_related("reporting_organisations")
            )
        return built.all().visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        """The JSON list reads ``values()`` rows through the read-only
        IndicatorListSerializer (same filters, ordering, pagination and JSON as
        IndicatorSerializer, without a model instance per row); exports as before."""
        if request.accepted_renderer.format in EXPORT_FORMATS:
            return super().list(request, *args, **kwargs)
        rows = s.IndicatorListSerializer.rows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        data = s.IndicatorListSerializer(rows if page is None else page).data
        return Response(data) if page is None else self.get_paginated_response(data)


@resource_schema(s.TargetSerializer, "cibles", "targets", writable=True, versioned=True)
class TargetViewSet(VersionedViewSet):
    serializer_class = s.TargetSerializer
    filterset_class = TargetFilterSet
    ordering_fields = ("due_date", "value", "indicator__code")
    export_columns, export_name = exports.TARGET_COLUMNS, "targets"
    write_permission = staticmethod(permissions.can_edit_strategy)
    delete_service = staticmethod(services.delete_target)

    def base_queryset(self):
        return Target.objects.visible_to(self.request.user).select_related("indicator", "region", "filiere")


@resource_schema(
    s.IndicatorCommentSerializer,
    "commentaires du rapport (par indicateur et par année)",
    "report comments (per indicator and year)",
    writable=True,
    versioned=True,
)
class IndicatorCommentViewSet(VersionedViewSet):
    """The comments written for the yearly report: everybody with a role reads them;
    editors, validators and administrators write them (If-Match to change one). A
    comment is never deleted through the API: it is rewritten, its history kept."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    serializer_class = s.IndicatorCommentSerializer
    filterset_class = IndicatorCommentFilterSet
    ordering_fields = ("year", "indicator__code", "updated_at")
    export_columns, export_name = exports.INDICATOR_COMMENT_COLUMNS, "indicator-comments"
    write_permission = staticmethod(permissions.can_edit_strategy)

    def base_queryset(self):
        return (
            IndicatorComment.objects.visible_to(self.request.user)
            .select_related("indicator", "updated_by__membership__organisation")
            .order_by("indicator__code", "-year")
        )


# ---------------------------------------------------------------- measurements


def _workflow_doc(fr, en, request=None):
    return extend_schema(
        description=text(fr, en),
        request=request,
        parameters=[IF_MATCH_OPTIONAL],
        responses={200: s.MeasurementSerializer},
    )


# Booleans (true / false; 1 / 0 are accepted too): no per-operation enum in clients.
SUBMIT_FLAG = OpenApiParameter(
    "submit",
    OpenApiTypes.BOOL,
    description=text("1 : soumettre aussi les lignes créées.", "1: also submit the created rows."),
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=text(
        "clé unique par envoi ; un nouvel essai avec la même clé et le même contenu rejoue la première réponse.",
        "unique key per submission; a retry with the same key and body replays the first answer.",
    ),
)


DRY_RUN_FLAG = OpenApiParameter(
    "dry_run",
    OpenApiTypes.BOOL,
    description=text(
        "1 : tout vérifier comme un vrai envoi et répondre de même (erreurs comprises, « dry_run »: true), "
        "sans rien enregistrer.",
        '1: check everything as a real submission would and answer the same (errors included, "dry_run": true), '
        "storing nothing.",
    ),
)


class BulkUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="FR : fichier CSV ou XLSX. / EN: CSV or XLSX file.")


BULK_ROWS_EXAMPLE = [
    {"indicator": "IND-1.1", "period_start": "2026-01-01", "period_end": "2026-01-31", "value": "1250.5"},
    {
        "indicator": "IND-1.1",
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "value": "310",
        "region": "01",
        "sex": "F",
        "source": "Registre régional",
    },
]
BULK_REQUEST_EXAMPLE = OpenApiExample(
    "BulkSubmissionRows", summary="Deux lignes / Two rows", value={"rows": BULK_ROWS_EXAMPLE}, request_only=True
)
BULK_EXAMPLES = [
    OpenApiExample(
        "BulkCreated",
        summary="Créées (ou rejouées : Idempotent-Replayed: true) / Created (or replayed: Idempotent-Replayed: true)",
        value={"created": 2, "status": "draft", "ids": [4101, 4102], "dry_run": False},
        response_only=True,
        status_codes=["201"],
    ),
    OpenApiExample(
        "BulkDryRun",
        summary="?dry_run=1 : rien d'enregistré / nothing stored",
        value={"created": 2, "status": "draft", "ids": [], "dry_run": True},
        response_only=True,
        status_codes=["201"],
    ),
    OpenApiExample(
        "BulkInvalidRows",
        summary="invalid_rows",
        value={
            "code": "invalid_rows",
            "message": "1 ligne(s) invalide(s) : rien n'a été enregistré.",
            "details": {"rows": [{"row": 2, "field": "region", "reason": "Code inconnu : 99."}]},
        },
        response_only=True,
        status_codes=["400"],
    ),
]


def _bulk_doc(summary, fr, en, request):
    return extend_schema(
        summary=summary,
        description=text(
            "Envoi groupé : jusqu'à 1 000 lignes, colonnes indicator, period_start, period_end, value, numerator, "
            "denominator, region, filiere, sex, actor_type, source (et organisation, un sigle, pour le ministère). "
            "Tout ou rien : une ligne fausse et rien n'est enregistré, la réponse 400 (invalid_rows) liste chaque "
            "ligne fautive (numéro, champ, motif). Idempotency-Key : un nouvel essai rejoue la première réponse "
            "(en-tête Idempotent-Replayed: true). " + fr,
            "Bulk submission: up to 1,000 rows, columns as listed (and organisation, an acronym, for the ministry). "
            "All or nothing: one bad row and nothing is saved; the 400 answer (invalid_rows) lists every bad row "
            "(number, field, reason). Idempotency-Key: a retry replays the first answer (header "
            "Idempotent-Replayed: true). " + en,
        ),
        parameters=[SUBMIT_FLAG, DRY_RUN_FLAG, IDEMPOTENCY_KEY],
        request=request,
        responses={
            201: s.BulkResultSerializer,
            400: BulkErrorSerializer,
            422: ErrorSerializer,
        },
        examples=BULK_EXAMPLES,
    )


class MeasurementSchema(ExampleRefSchema):
    """The bulk examples referenced (artisanat/api/examples.py); a raw file body is
    required (drf-spectacular marks only a serializer's body so)."""

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body is not None and getattr(self.view, "action", None) in ("bulk_csv", "bulk_xlsx"):
            body["required"] = True
        return body


@resource_schema(
    s.MeasurementSerializer,
    "mesures (valeurs rapportées)",
    "measurements (reported values)",
    writable=True,
    versioned=True,
    extra={
        "list": extend_schema(
            description=text(
                "Mesures visibles (un partenaire : les validées et toutes celles de son organisation). "
                "Pagination par curseur (liens next / previous) ; ?format=csv ou xlsx pour l'export.",
                "Visible measurements (a partner: validated ones and all of its organisation's). "
                "Cursor pagination (next / previous links); ?format=csv or xlsx to export.",
            ),
            parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"])],
            responses={
                200: s.MeasurementSerializer,
                (200, "text/csv"): OpenApiTypes.BINARY,
                (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            },
        )
    },
)
class MeasurementViewSet(DocumentActionMixin, VersionedViewSet):
    serializer_class = s.MeasurementSerializer
    filterset_class = MeasurementFilterSet
    pagination_class = MeasurementCursorPagination
    ordering_fields = ("id",)
    export_columns, export_name = exports.MEASUREMENT_COLUMNS, "measurements"
    write_permission = staticmethod(permissions.can_record_measurements)
    action_permissions = {
        "validate": permissions.can_validate,
        "return_": permissions.can_validate,
        "reopen": permissions.can_validate,
        "validate_many": permissions.can_validate,
    }
    reporter_owner_field = "organisation_id"
    delete_service = staticmethod(services.delete_measurement)
    extra_error_codes = {
        "bulk": ["413", "422"],
        "bulk_csv": ["413", "422"],
        "bulk_xlsx": ["413", "422"],
        "bulk_upload": ["413", "422"],
        "validate_many": ["409"],
        "evidence": ["413"],
    }
    throttle_scope = None  # "bulk" on the bulk action
    document_actions = ("evidence",)
    schema = MeasurementSchema()
    document_service = staticmethod(services.save_measurement)

    def base_queryset(self):
        return Measurement.objects.visible_to(self.request.user).select_related(
            "indicator",
            "region",
            "filiere",
            "organisation",
            "reported_by__membership__organisation",
            "validated_by__membership__organisation",
        )

    def _move(self, service, payload_serializer, arguments):
        measurement = self.get_object()
        payload = payload_serializer(data=self.request.data)
        payload.is_valid(raise_exception=True)
        raw = self.request.headers.get("If-Match")
        if raw is not None and not raw.strip():
            # Optional here, but an empty header is not "no header" (fuzzing found it accepted).
            raise ValidationError(
                {"If-Match": [_('En-tête If-Match illisible : renvoyez l\'ETag tel quel, par exemple "3".')]}
            )
        expected = self.expected_version() if raw else None
        service(measurement, by=self.request.user, expected_version=expected, **arguments(payload.validated_data))
        return self.respond_with(measurement, status.HTTP_200_OK)

    @_workflow_doc(
        "Soumet une mesure brouillon ou renvoyée.",
        "Submit a draft or returned measurement.",
        s.OptionalReasonSerializer,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._move(services.submit_measurement, s.OptionalReasonSerializer, lambda d: {"reason": d["reason"]})

    @_workflow_doc(
        "Valide une mesure soumise (validateur).", "Validate a submitted measurement (validator).", s.CommentSerializer
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        return self._move(services.validate_measurement, s.CommentSerializer, lambda d: {"comment": d["comment"]})

    @_workflow_doc(
        "Renvoie une mesure soumise à son auteur, avec le motif (obligatoire).",
        "Return a submitted measurement to its author, with the reason (required).",
        s.ReasonSerializer,
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._move(services.return_measurement, s.ReasonSerializer, lambda d: {"reason": d["reason"]})

    @_workflow_doc(
        "Rouvre une mesure validée (validateur, motif obligatoire) : elle repasse à « renvoyée ».",
        "Reopen a validated measurement (validator, reason required): it goes back to returned.",
        s.ReasonSerializer,
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._move(services.reopen_measurement, s.ReasonSerializer, lambda d: {"reason": d["reason"]})

    @document_schema(s.MeasurementSerializer, "la pièce justificative", "the evidence")
    @action(
        detail=True,
        methods=["get", "put", "delete"],
        parser_classes=[parsers.MultiPartParser, JSONParser],
    )
    def evidence(self, request, pk=None):
        """The measurement's evidence: whoever sees the measurement downloads it; whoever
        may change the measurement (draft or returned) replaces or removes it."""
        return self.document_endpoint(request, field="evidence")

    @extend_schema(
        description=text(
            "Valide plusieurs mesures soumises d'un coup : toutes ou aucune.",
            "Validate several submitted measurements at once: all or none.",
        ),
        summary="Valider plusieurs mesures / Validate several measurements",
        request=s.BulkValidateSerializer,
        responses={200: s.MeasurementSerializer(many=True)},
        operation_id="measurements_validate_many",
    )
    # The answer is a bare array of the validated rows: no filter, no pagination (the
    # schema said a paginated list with every filter of the list).
    @action(
        detail=False,
        methods=["post"],
        url_path="validate",
        url_name="validate-many",
        filter_backends=[],
        pagination_class=None,
    )
    def validate_many(self, request):
        payload = s.BulkValidateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(payload.validated_data["ids"]))
        found = {m.pk: m for m in self.base_queryset().filter(pk__in=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValidationError(
                {"ids": [_("Mesures introuvables : %(ids)s.") % {"ids": ", ".join(map(str, missing))}]}
            )
        services.validate_measurements(
            [found[i] for i in ids], by=request.user, comment=payload.validated_data["comment"]
        )
        rows = self.base_queryset().filter(pk__in=ids).order_by("pk")
        return Response(s.MeasurementSerializer(rows, many=True, context=self.get_serializer_context()).data)

    def _bulk(self, request):
        """Every bulk variant: read the rows (by the parser the content type chose), then
        save them all or none; ``?dry_run=1`` runs the very same service in a transaction
        rolled back, so its answer (errors included) is the one a real submission would
        get, and it stores nothing (no idempotency record either)."""
        submit = _flag(request, "submit")
        dry_run = _flag(request, "dry_run")
        rows = read_rows(request.data)

        def handler():
            if dry_run:  # the service's own transaction, inside one that is rolled back
                with transaction.atomic():
                    ids = save_measurements(rows, request.user, submit=submit)
                    transaction.set_rollback(True)
            else:
                ids = save_measurements(rows, request.user, submit=submit)  # one transaction: the service's
            body = {
                "created": len(ids),
                "status": "submitted" if submit else "draft",
                "ids": [] if dry_run else ids,
                "dry_run": dry_run,
            }
            return Response(body, status=status.HTTP_201_CREATED)

        return idempotent(request, {"rows": rows, "submit": submit}, handler, dry_run=dry_run)

    @_bulk_doc(
        "Envoi groupé en JSON / Bulk submission (JSON)",
        'JSON : {"rows": [...]} (une liste nue de lignes est aussi acceptée). Ce chemin accepte aussi, pour les '
        "scripts existants, un CSV, un XLSX ou un multipart « file » ; les clients générés utilisent les variantes "
        "bulk/csv/, bulk/xlsx/ et bulk/upload/.",
        'JSON: {"rows": [...]} (a bare list of rows is accepted too). For existing scripts this path also accepts a '
        'CSV, an XLSX or a multipart "file"; generated clients use the bulk/csv/, bulk/xlsx/ and bulk/upload/ '
        "variants.",
        {"application/json": OpenApiRequest(BulkSubmissionSerializer, examples=[BULK_REQUEST_EXAMPLE])},
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[BulkJSONParser, parsers.MultiPartParser, CSVUploadParser, XLSXUploadParser],
        throttle_classes=[UserRateThrottle, ScopedRateThrottle],
        throttle_scope="bulk",
    )
    def bulk(self, request):
        return self._bulk(request)

    @_bulk_doc(
        "Envoi groupé d'un CSV / Bulk submission (CSV body)",
        "CSV (UTF-8, séparateur , ou ;) en corps brut, envoyé en application/octet-stream (ce que font les "
        "clients générés) ou en text/csv.",
        "CSV (UTF-8, comma or semicolon separated) as the raw body, sent as application/octet-stream (as "
        "generated clients do) or text/csv.",
        {"application/octet-stream": OpenApiTypes.BINARY},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk/csv",
        url_name="bulk-csv",
        parser_classes=[CSVOctetStreamParser, CSVUploadParser],
        throttle_classes=[UserRateThrottle, ScopedRateThrottle],
        throttle_scope="bulk",
    )
    def bulk_csv(self, request):
        return self._bulk(request)

    @_bulk_doc(
        "Envoi groupé d'un XLSX / Bulk submission (XLSX body)",
        "XLSX en corps brut (première feuille, première ligne : les colonnes), envoyé en "
        "application/octet-stream (ce que font les clients générés) ou avec le type d'un XLSX.",
        "XLSX as the raw body (first sheet, first row: the columns), sent as application/octet-stream (as "
        "generated clients do) or with the XLSX type.",
        {"application/octet-stream": OpenApiTypes.BINARY},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk/xlsx",
        url_name="bulk-xlsx",
        parser_classes=[XLSXOctetStreamParser, XLSXUploadParser],
        throttle_classes=[UserRateThrottle, ScopedRateThrottle],
        throttle_scope="bulk",
    )
    def bulk_xlsx(self, request):
        return self._bulk(request)

    @_bulk_doc(
        "Envoi groupé d'un fichier joint / Bulk submission (multipart file)",
        "Fichier CSV ou XLSX dans le champ multipart « file » (XLSX reconnu à son nom .xlsx ou à son type).",
        'A CSV or XLSX file in the multipart field "file" (XLSX told by its .xlsx name or its type).',
        {"multipart/form-data": BulkUploadSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk/upload",
        url_name="bulk-upload",
        parser_classes=[parsers.MultiPartParser],
        throttle_classes=[UserRateThrottle, ScopedRateThrottle],
        throttle_scope="bulk",
    )
    def bulk_upload(self, request):
        return self._bulk(request)


def _flag(request, name):
    """Absent: false. Sent: 1/0 (true/false, yes/no), once; an empty value (a script's
    unset variable) or a repeated one is refused, never read as false."""
    values = request.query_params.getlist(name)
    if not values:
        return False
    raw = values[0]
    if len(values) > 1:
        raise ValidationError({name: [_("Paramètre répété : envoyez-le une seule fois.")]})
    if raw.lower() in ("0", "false", "no"):
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    raise ValidationError({name: [_("Valeur attendue : 1 ou 0.")]})
