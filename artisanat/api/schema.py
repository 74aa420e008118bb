"""OpenAPI 3 (drf-spectacular): every operation documents its error answers in the one
error shape, and carries a French and an English description."""

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from artisanat.api.filters import AS_OF_PARAMETER


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    code = serializers.CharField(help_text="FR : code stable de l'erreur. / EN: stable error code.")
    message = serializers.CharField(help_text="FR : message en français. / EN: message (French).")
    details = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="FR : messages par champ ou paramètre. / EN: messages by field or parameter.",
    )


class BulkErrorSerializer(serializers.Serializer):
    """The error shape; for invalid rows (code ``invalid_rows``) ``details.rows`` lists
    {row, field, reason} objects ."""

    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="FR : pour invalid_rows, details.rows = [{row, field, reason}]. "
        "/ EN: for invalid_rows, details.rows = [{row, field, reason}].",
    )


ERROR_DESCRIPTIONS = {
    "400": "Paramètre ou donnée invalide / Invalid parameter or data",
    "401": "Authentification requise / Authentication required",
    "403": "Action interdite pour ce rôle / Forbidden for this role",
    "404": "Ressource introuvable ou invisible / Not found or not visible",
    "409": "Conflit avec l'état ou une règle / Conflict with state or a rule",
    "412": "Version périmée (If-Match) / Stale version (If-Match)",
    "413": "Trop de lignes ou fichier trop gros / Too many rows or file too large",
    "415": "Type de contenu non accepté / Unsupported content type",
    "422": "Clé d'idempotence réutilisée avec un autre contenu / Idempotency key reused with another body",
    "428": "En-tête If-Match manquant / If-Match header missing",
    "429": "Trop de requêtes / Too many requests",
}


class AutoSchema(openapi.AutoSchema):
    def _is_list_view(self, serializer=None):
        if serializer is None and getattr(self.view, "action", None) == "list":
            return True  # the list's responses also name CSV and XLSX bodies
        return super()._is_list_view(serializer)

    def error_codes(self):
        codes = ["400", "401", "403", "404", "429"]
        view = self.view
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["409"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["415"]
        if getattr(view, "versioned", False) and self.method in ("PUT", "PATCH", "DELETE", "POST"):
            codes += ["412"]
            if self.method != "POST":
                codes += ["428"]
        codes += getattr(view, "extra_error_codes", {}).get(getattr(view, "action", None), [])
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code in responses:
                continue
            body = self._get_response_for_code(ErrorSerializer, code, ["application/json"], direction)
            body["description"] = ERROR_DESCRIPTIONS[code]
            responses[code] = body
        return responses


def text(fr, en):
    return f"FR : {fr} / EN: {en}"


IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": r'^(W/)?"[0-9]{1,9}"$'},
    OpenApiParameter.HEADER,
    required=True,
    description=text(
        "l'ETag lu sur la ressource (par exemple \"3\") ; 428 sans, 412 s'il est périmé.",
        'the ETag read from the resource (e.g. "3"); 428 without it, 412 when stale.',
    ),
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": r'^(W/)?"[0-9]{1,9}"$'},
    OpenApiParameter.HEADER,
    required=False,
    description=text("ETag attendu (facultatif) ; 412 s'il est périmé.", "expected ETag (optional); 412 when stale."),
)
CHANGE_REASON_PARAMETER = OpenApiParameter(
    "change_reason",
    {"type": "string", "minLength": 5, "maxLength": 100},
    OpenApiParameter.QUERY,
    required=True,
    description=text(
        "motif de la suppression, gardé dans l'historique (au moins 5 caractères) ; 400 sans.",
        "reason for the deletion, kept in history (at least 5 characters); 400 without it.",
    ),
)
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv", "xlsx"],
    description=text(
        "json (défaut), ou csv / xlsx pour exporter toute la liste filtrée (sans pagination).",
        "json (default), or csv / xlsx to export the whole filtered list (not paginated).",
    ),
)


def resource_schema(
    serializer,
    fr_plural,
    en_plural,
    *,
    figures=False,
    writable=False,
    versioned=False,
    extra=None,
    scope_parameters=(),
    detail_serializer=None,
):
    """extend_schema_view for a resource: FR/EN descriptions on every operation, the
    ``as_of`` parameter where figures are computed (and ``scope_parameters``, the
    figures' scope, on list and detail), ``If-Match`` where versions are checked."""
    as_of = [AS_OF_PARAMETER] if figures else []
    views = {
        "list": extend_schema(
            description=text(
                f"Liste des {fr_plural} visibles par l'utilisateur, filtrable, triable, paginée ; "
                "?format=csv ou xlsx pour l'export.",
                f"List of the {en_plural} the user may see: filters, ordering, pagination; ?format=csv or xlsx to export.",
            ),
            parameters=[*as_of, *scope_parameters, FORMAT_PARAMETER],
            responses={
                200: serializer,
                (200, "text/csv"): OpenApiTypes.BINARY,
                (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            },
        ),
        "retrieve": extend_schema(
            description=text(f"Détail d'un élément ({fr_plural}).", f"One of the {en_plural}."),
            parameters=[*as_of, *scope_parameters],
            **({"responses": {200: detail_serializer}} if detail_serializer is not None else {}),
        ),
    }
    if writable:
        if_match = [IF_MATCH] if versioned else []
        views.update(
            create=extend_schema(
                description=text(
                    f"Crée un élément ({fr_plural}) ; historisé.", f"Create one of the {en_plural}; kept in history."
                ),
                parameters=as_of,
            ),
            update=extend_schema(
                description=text(f"Remplace un élément ({fr_plural}).", f"Replace one of the {en_plural}."),
                parameters=[*as_of, *if_match],
            ),
            partial_update=extend_schema(
                description=text(f"Modifie un élément ({fr_plural}).", f"Change one of the {en_plural}."),
                parameters=[*as_of, *if_match],
            ),
            destroy=extend_schema(
                description=text(
                    f"Supprime un élément ({fr_plural}) ; motif dans ?change_reason=.",
                    f"Delete one of the {en_plural}; reason in ?change_reason=.",
                ),
                parameters=[*if_match, CHANGE_REASON_PARAMETER],
            ),
        )
    views.update(extra or {})
    return extend_schema_view(**views)
