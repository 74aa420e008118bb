"""OpenAPI 3 (drf-spectacular): every operation documents its error answers in the one
error shape, and carries a French and an English description."""

import re

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.fields import empty

from artisanat.api.filters import AS_OF_PARAMETER
from artisanat.api.serializers import RelatedCodeField


class BulkRowErrorSerializer(serializers.Serializer):
    """One reason a row of a bulk submission was refused (``invalid_rows``): the
    component ``BulkRowError``, in ``details.rows`` of the error shape."""

    row = serializers.IntegerField(
        min_value=1, help_text="FR : numéro de ligne, à partir de 1. / EN: row number, from 1."
    )
    field = serializers.CharField(
        help_text="FR : colonne fautive ou non_field_errors. / EN: column or non_field_errors."
    )
    reason = serializers.CharField()


class ErrorDetailsField(serializers.DictField):
    """``details`` of the error shape: messages by field or parameter, except ``rows``:
    the refused rows of ``invalid_rows`` ({row, field, reason}), or messages about the
    rows as a whole (none sent, too many). ``rows_composition``: how the schema joins
    the two kinds of items."""

    rows_composition = "anyOf"


class ErrorDetailsFieldExtension(OpenApiSerializerFieldExtension):
    target_class = ErrorDetailsField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        row_error = auto_schema.resolve_serializer(BulkRowErrorSerializer, direction)
        return {
            "type": "object",
            "description": "FR : messages par champ ou paramètre ; pour invalid_rows, rows = [{row, field, reason}]. "
            "/ EN: messages by field or parameter; for invalid_rows, rows = [{row, field, reason}].",
            "properties": {
                "rows": {
                    "type": "array",
                    "items": {self.target.rows_composition: [row_error.ref, {"type": "string"}]},
                }
            },
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }


@extend_schema_serializer(component_name="ApiError")
class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (artisanat/api/exceptions.py). Named ApiError:
    generators rename a model called "Error"."""

    code = serializers.CharField(help_text="FR : code stable de l'erreur. / EN: stable error code.")
    message = serializers.CharField(help_text="FR : message en français. / EN: message (French).")
    details = ErrorDetailsField()
    current_version = serializers.IntegerField(
        required=False,
        help_text="FR : 412 (stale_version) : la version actuelle, aussi dans l'ETag. "
        "/ EN: 412 (stale_version): the current version, also in the ETag.",
    )
    current_status = serializers.CharField(
        required=False,
        help_text="FR : 409 (transition_not_allowed) : le statut actuel. "
        "/ EN: 409 (transition_not_allowed): the current status.",
    )
    retry_after = serializers.IntegerField(
        required=False,
        help_text="FR : 429 : secondes à attendre (comme Retry-After). / EN: 429: seconds to wait (as Retry-After).",
    )
    max_bytes = serializers.IntegerField(
        required=False, help_text="FR : 413 : taille maximale en octets. / EN: 413: largest size in bytes."
    )
    rule = serializers.CharField(
        required=False,
        help_text="FR : constraint_violation : nom de la règle refusée. / EN: constraint_violation: the rule's name.",
    )

    class Meta:
        # Answered only with the statuses their help says (AutoSchema._map_basic_serializer).
        optional_in_response = ("current_version", "current_status", "retry_after", "max_bytes", "rule")


ERROR_DESCRIPTIONS = {
    "400": "Paramètre ou donnée invalide / Invalid parameter or data",
    "401": "Authentification requise / Authentication required",
    "403": "Action interdite pour ce rôle / Forbidden for this role",
    "404": "Ressource introuvable ou invisible / Not found or not visible",
    "406": "Format de réponse (Accept, ?format=) impossible / Unacceptable response format (Accept)",
    "409": "Conflit avec l'état ou une règle / Conflict with state or a rule",
    "412": "Version périmée (If-Match) / Stale version (If-Match)",
    "413": "Trop de lignes ou fichier trop gros / Too many rows or file too large",
    "415": "Type de contenu non accepté / Unsupported content type",
    "422": "Clé d'idempotence réutilisée avec un autre contenu / Idempotency key reused with another body",
    "428": "En-tête If-Match manquant / If-Match header missing",
    "429": "Trop de requêtes / Too many requests",
    "503": "Service momentanément indisponible (base de données) / Service unavailable (database)",
}

# Worked examples (a single ``example``: openapi-generator warns on a named ``examples`` map).
ERROR_EXAMPLES = {
    "412": {
        "code": "stale_version",
        "message": "Cet enregistrement a été modifié par quelqu'un d'autre entre-temps (version 4). Rechargez-le.",
        "details": {},
        "current_version": 4,
    },
    "409": {
        "code": "transition_not_allowed",
        "message": "Action « submit » impossible : la mesure est à l'état « validated ».",
        "details": {"status": ["validated"]},
        "current_status": "validated",
    },
}
EXAMPLE_DESCRIPTIONS = {
    "412": ' (exemple : If-Match "3", version actuelle 4 / example: If-Match "3", current version 4)',
    "409": " (exemple : soumettre une mesure validée / example: submitting a validated measurement)",
}

# Summaries: "<verb> : <resource> / <verb>: <resource>" from the action and the model.
ACTION_VERBS = {
    "list": ("Lister", "List", True),
    "retrieve": ("Lire", "Get", False),
    "create": ("Créer", "Create", False),
    "update": ("Remplacer", "Replace", False),
    "partial_update": ("Modifier", "Update", False),
    "destroy": ("Supprimer", "Delete", False),
    "submit": ("Soumettre", "Submit", False),
    "validate": ("Valider", "Validate", False),
    "return_": ("Renvoyer pour correction", "Return for correction", False),
    "reopen": ("Rouvrir", "Reopen", False),
    "validate_many": ("Valider en lot", "Validate in batch", True),
    "bulk": ("Déposer en lot", "Bulk submit", True),
}
WORKFLOW_MOVES = {"submit", "validate", "return_", "reopen"}
FILE_VERBS = {  # a row's document (evidence, signed copy): one action, three methods
    "GET": ("Télécharger le fichier", "Download the file"),
    "PUT": ("Déposer le fichier", "Upload the file"),
    "DELETE": ("Retirer le fichier", "Remove the file"),
}
# Operations that are not a viewset's action on a model.
SUMMARIES = {
    "auth_token_create": ("Obtenir un jeton", "Get a token"),
    "auth_token_destroy": ("Révoquer le jeton", "Revoke the token"),
    "dashboard_retrieve": ("Tableau de bord", "Dashboard"),
    "reporting_calendar_retrieve": ("Calendrier des rapports", "Reporting calendar"),
    "reporting_calendar_rates_retrieve": ("Taux de remise des rapports", "Reporting rates"),
}
# English names where the class name is French; French words of the public API's paths.
MODEL_NAMES_EN = {"ContratProgramme": "contract"}
PATH_WORDS_FR = {
    "contracts": "contrats programmes",
    "indicators": "indicateurs",
    "regions": "régions",
    "breakdowns": "ventilations",
    "series": "séries",
}
METHOD_VERBS = {
    "GET": ("Lire", "Get"),
    "POST": ("Envoyer", "Send"),
    "PUT": ("Remplacer", "Replace"),
    "PATCH": ("Modifier", "Update"),
    "DELETE": ("Supprimer", "Delete"),
}


def _words(name):
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


ALWAYS_ANSWERED = ("406", "503")


class AutoSchema(openapi.AutoSchema):
    def _is_list_view(self, serializer=None):
        if serializer is None and getattr(self.view, "action", None) == "list":
            return True  # the list's responses also name CSV and XLSX bodies
        return super()._is_list_view(serializer)

    # ------------------------------------------------------------ summaries

    def _resource(self, plural):
        """(French, English) name of the view's resource: its serializer's model, or the
        path's words (a view that is not a model's viewset)."""
        serializer = getattr(self.view, "serializer_class", None)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        path = [part for part in self.path.split("/") if part and not part.startswith("{")]
        if model is None or getattr(self.view, "action", None) is None:
            en = ", ".join(part.replace("-", " ") for part in path[3:])
            fr = ", ".join(PATH_WORDS_FR.get(part, part.replace("-", " ")) for part in path[3:])
            if self.path.startswith("/api/public/"):
                return f"{fr} (données ouvertes)", f"{en} (open data)"
            return fr, en
        meta = model._meta
        fr = str(meta.verbose_name_plural if plural else meta.verbose_name)
        en = path[2].replace("-", " ") if plural else MODEL_NAMES_EN.get(model.__name__, _words(model.__name__))
        return fr, en

    def get_summary(self):
        operation_id = self.get_operation_id()
        if operation_id in SUMMARIES:
            return "{} / {}".format(*SUMMARIES[operation_id])
        action = getattr(self.view, "action", None)
        if action is None:  # an APIView: its operation id says list or one
            action = operation_id.rsplit("_", 1)[-1] if operation_id.endswith(("_list", "_retrieve")) else None
            action = {"list": "list", "retrieve": "retrieve"}.get(action)
        if action in ACTION_VERBS:
            fr_verb, en_verb, plural = ACTION_VERBS[action]
        elif action is not None and self.method in FILE_VERBS:
            (fr_verb, en_verb), plural = FILE_VERBS[self.method], False
        else:
            (fr_verb, en_verb), plural = METHOD_VERBS[self.method], False
        fr, en = self._resource(plural)
        return f"{fr_verb} : {fr} / {en_verb}: {en}"

    # ------------------------------------------------------------ answers

    def error_codes(self):
        codes = ["400", "401", "403", "404", "429"]
        view = self.view
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["409"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        if getattr(view, "versioned", False) and self.method in ("PUT", "PATCH", "DELETE", "POST"):
            codes += ["412"]
            if self.method != "POST":
                codes += ["428"]
        codes += getattr(view, "extra_error_codes", {}).get(getattr(view, "action", None), [])
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        # Whatever the view: an Accept it cannot answer (406), the database or the
        # throttle store down (503, artisanat/availability.py, throttling.py).
        for code in [*self.error_codes(), *ALWAYS_ANSWERED]:
            if code in responses:
                continue
            body = self._get_response_for_code(ErrorSerializer, code, ["application/json"], direction)
            body["description"] = ERROR_DESCRIPTIONS[code]
            if code in ERROR_EXAMPLES and self._shows_example(code):
                body["content"]["application/json"]["example"] = ERROR_EXAMPLES[code]
                body["description"] += EXAMPLE_DESCRIPTIONS[code]
            responses[code] = body
        return responses

    def _shows_example(self, code):
        # 409 transition_not_allowed: the example on the workflow's moves.
        return code == "412" or getattr(self.view, "action", None) in WORKFLOW_MOVES

    def _map_basic_serializer(self, serializer, direction):
        """In an answer, every field the serializer writes is there (null when it has no
        value): all of them are required. (DRF writes every readable field; the
        write-only ones are not in the answer's component at all.)"""
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and schema.get("properties"):
            optional = set(getattr(getattr(serializer, "Meta", None), "optional_in_response", ()))
            if not isinstance(serializer, serializers.ModelSerializer):
                # A plain serializer describes a dict the code builds: a field declared
                # required=False, without null or a default, is a key that may be absent
                # (DRF skips it; with allow_null it would answer null instead).
                optional |= {
                    name
                    for name, field in getattr(serializer, "fields", {}).items()
                    if getattr(field, "_kwargs", {}).get("required") is False
                    and not getattr(field, "allow_null", False)
                    and getattr(field, "default", None) is empty
                }
            schema["required"] = sorted(set(schema["properties"]) - optional)
            self._codes_of_required_relations(serializer, schema["properties"])
        return schema

    @staticmethod
    def _codes_of_required_relations(serializer, properties):
        """A relation's code (``indicator_code``) may be sent null, but is answered null
        only where the relation itself may be empty."""
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        for name, field in getattr(serializer, "fields", {}).items():
            if not isinstance(field, RelatedCodeField) or model is None or name not in properties:
                continue
            if not model._meta.get_field(field.relation).null:
                properties[name].pop("nullable", None)

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return operation
        action = getattr(self.view, "action", None)
        for code, response in operation.get("responses", {}).items():
            headers = response.setdefault("headers", {})
            if code == "201" and action == "create":
                headers["Location"] = {"$ref": "#/components/headers/Location"}
            if (
                code.startswith("2")
                and getattr(self.view, "versioned", False)
                and action != "list"
                and self._answers_version(response)
            ):
                headers["ETag"] = {"$ref": "#/components/headers/ETag"}
            if code == "412":
                headers["ETag"] = {"$ref": "#/components/headers/ETag"}
            if not headers:
                del response["headers"]
        return operation

    def _answers_version(self, response):
        """Whether a JSON answer is a row with its ``version`` (VersionedMixin's ETag)."""
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        ref = schema.get("$ref", "")
        if not ref:
            return False
        try:
            component = self.registry[(ref.rsplit("/", 1)[-1], "schemas")]
        except KeyError:
            return False
        return "version" in (component.schema or {}).get("properties", {})


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


# ---------------------------------------------------------------- postprocessing hook

RATE_LIMIT_HEADERS = ("RateLimit-Policy", "RateLimit")
HEADERS = {
    "ETag": {
        "schema": {"type": "string", "pattern": r'^(W/)?"[^"]*"$'},
        "description": text(
            'version de la ressource (« "3" ») : à renvoyer dans If-Match pour la modifier.',
            'version of the resource ("3"): send it back in If-Match to change it.',
        ),
    },
    "Location": {
        "schema": {"type": "string", "format": "uri"},
        "description": text("adresse de l'élément créé.", "address of the created item."),
    },
    "Idempotent-Replayed": {
        "schema": {"type": "string", "enum": ["true"]},
        "description": text(
            "« true » : la réponse d'une requête déjà reçue avec la même Idempotency-Key, rien n'a été refait.",
            '"true": the answer of a request already received with the same Idempotency-Key; nothing was redone.',
        ),
    },
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": text("secondes à attendre avant de réessayer.", "seconds to wait before trying again."),
    },
    "RateLimit-Policy": {
        "schema": {"type": "string"},
        "description": text(
            'quota appliqué (brouillon IETF httpapi-ratelimit-headers), par ex. « "user";q=1000;w=3600 » '
            "(1000 requêtes par 3600 s).",
            'quota policy (IETF draft httpapi-ratelimit-headers), e.g. "user";q=1000;w=3600 (1000 requests per 3600 s).',
        ),
        "example": '"user";q=1000;w=3600',
    },
    "RateLimit": {
        "schema": {"type": "string"},
        "description": text(
            'reste du quota (brouillon IETF), par ex. « "user";r=998;t=3412 » : 998 requêtes, remis à zéro dans 3412 s.',
            'what is left of the quota (IETF draft), e.g. "user";r=998;t=3412: 998 requests, reset in 3412 s.',
        ),
        "example": '"user";r=998;t=3412',
    },
}
# Enumerations of query parameters that no serializer names: one component each.
PARAMETER_ENUM_NAMES = {
    frozenset({"json", "csv", "xlsx"}): "ExportFormatEnum",
    frozenset({"json", "csv"}): "PublicFormatEnum",
}
OPERATIONS = {"get", "put", "post", "patch", "delete"}


def _operations(result):
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method in OPERATIONS:
                yield path, method, operation


def _enum_key(schema):
    values = schema.get("enum")
    if not values or schema.get("type") not in (None, "string", "integer"):
        return None
    return frozenset(v for v in values if v not in (None, ""))


def _share_parameter_enums(result):
    """A query parameter's choices become a $ref to the component with the same choices
    (one enum per choice set; generated clients then share one class). Without it, a
    generator names an inline enum after the parameter's title: the model field's French
    verbose name (``Agrégation`` → ``IndicatorsListAgrÉGation``). Titles are dropped."""
    schemas = result["components"]["schemas"]
    by_values = {}
    for name, component in sorted(schemas.items()):
        key = _enum_key(component) if "enum" in component else None
        if key:
            by_values.setdefault(key, name)
    # Choice sets repeated in several parameters but in no component: create one.
    seen = {}
    for _path, _method, operation in _operations(result):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            target = schema.get("items", schema)
            key = _enum_key(target) if "enum" in target else None
            if key and key not in by_values:
                seen.setdefault(key, []).append(parameter["name"])
    for key, names in seen.items():
        if len(names) < 2:
            continue
        name = PARAMETER_ENUM_NAMES.get(key) or "".join(part.title() for part in names[0].split("_")) + "Enum"
        while name in schemas:
            name = name[:-4] + "ChoiceEnum"
        values = sorted(key)
        schemas[name] = {"type": "string", "enum": values}
        by_values[key] = name
    for _path, _method, operation in _operations(result):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema")
            if not schema:
                continue
            schema.pop("title", None)
            holder, slot = (schema, "items") if "items" in schema else (parameter, "schema")
            target = holder[slot]
            key = _enum_key(target) if "enum" in target else None
            if key and key in by_values:
                holder[slot] = {"$ref": f"#/components/schemas/{by_values[key]}"}


def _fix_nullable_refs(node, schemas):
    """``{allOf: [$ref], nullable: true}`` without ``type`` (Redocly's
    nullable-type-sibling): the type of the component referred to."""
    if isinstance(node, dict):
        if node.get("nullable") and "type" not in node and len(node.get("allOf", [])) == 1:
            ref = node["allOf"][0].get("$ref", "")
            target = schemas.get(ref.rsplit("/", 1)[-1], {})
            node["type"] = target.get("type", "object")
        for value in node.values():
            _fix_nullable_refs(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _fix_nullable_refs(value, schemas)


def _fix_nullable_choices(schemas):
    """A choice that may be left blank, answered ``null`` (``sex``, ``actor_type``):
    drf-spectacular writes ``{nullable, oneOf: [Choices, BlankEnum, NullEnum]}`` without
    ``type`` (Redocly's nullable-type-sibling). In an answer, the server never sends
    ``""``: the choices, or null. In a request, ``""`` and null both mean blank."""
    blank = "#/components/schemas/BlankEnum"
    null = "#/components/schemas/NullEnum"
    for name, component in schemas.items():
        for field in component.get("properties", {}).values():
            members = [m.get("$ref") for m in field.get("oneOf", [])]
            if not (field.get("nullable") and "type" not in field and blank in members):
                continue
            choices = [m for m in members if m not in (blank, null)]
            target = schemas.get((choices[0] or "").rsplit("/", 1)[-1], {}) if len(choices) == 1 else {}
            if target.get("type") != "string":
                continue
            field["type"] = "string"
            if not name.endswith("Request"):
                field["oneOf"] = [m for m in field["oneOf"] if m.get("$ref") != blank]


def _refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _drop_unused_components(result):
    """Components that nothing refers to (``RollupRequest``: a read-only nested
    serializer seen in the request direction)."""
    schemas = result["components"]["schemas"]
    while True:
        used = _refs(result["paths"], set())
        for component in schemas.values():
            _refs(component, used)
        unused = set(schemas) - used
        if not unused:
            return
        for name in unused:
            del schemas[name]


def _require_page_keys(schemas):
    """A page (the paginators' components): DRF writes every key, ``next`` and
    ``previous`` included (null on the first or last page)."""
    for name, component in schemas.items():
        properties = component.get("properties", {})
        if name.startswith("Paginated") and "results" in properties:
            component["required"] = sorted(properties)


def _declare_headers(result):
    components = result["components"]
    components["headers"] = dict(HEADERS)
    for _path, _method, operation in _operations(result):
        idempotent = any(
            p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])
        )
        for code, response in operation["responses"].items():
            headers = response.setdefault("headers", {})
            if code in ("429", "503"):
                headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
            if idempotent and code.startswith("2"):
                headers["Idempotent-Replayed"] = {"$ref": "#/components/headers/Idempotent-Replayed"}
            if code != "503":  # the database's 503 is answered before any count
                for name in RATE_LIMIT_HEADERS:
                    headers[name] = {"$ref": f"#/components/headers/{name}"}
            for name in list(headers):
                if name in HEADERS and "$ref" not in headers[name]:
                    headers[name] = {"$ref": f"#/components/headers/{name}"}


def postprocess_schema(result, generator, request, public):
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"], after drf-spectacular's enum hook."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for _path, _method, operation in _operations(result):
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter["name"] in ("id", "pk"):
                parameter["schema"] = {"type": "integer"}
        # No authentication at all (the token request): say so, rather than nothing.
        operation.setdefault("security", [])
    _share_parameter_enums(result)
    _fix_nullable_choices(schemas)
    _fix_nullable_refs(result, schemas)
    _require_page_keys(schemas)
    _declare_headers(result)
    _drop_unused_components(result)
    return result
