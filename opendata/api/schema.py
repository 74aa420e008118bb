"""The public API in the OpenAPI schema (/api/schema/): tag « Données ouvertes »,
``security: []`` (no token, nothing to authenticate), the answers it really gives —
a page of JSON, or with ``?format=json`` the whole table as a JSON array, with
``?format=csv`` a CSV file; 304 to a matching ``If-None-Match``; 400, 404, 429 in the
API's one error shape."""

from drf_spectacular.plumbing import is_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from artisanat.api.filters import AS_OF_PARAMETER
from artisanat.api.schema import AutoSchema, text

TAG = "Données ouvertes"

PUBLIC_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description=text(
        "absent : une page de JSON ; json ou csv : toute la table à télécharger (pièce jointe, sans pagination).",
        "absent: one page of JSON; json or csv: the whole table as a download (attachment, not paginated).",
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=text(
        "l'ETag d'une réponse déjà reçue : 304 sans corps tant que rien n'a été publié depuis.",
        "the ETag of an answer already received: 304 without a body while nothing was published since.",
    ),
)
HEADERS = {
    "ETag": {
        "schema": {"type": "string"},
        "description": text("version de l'état publié de cette réponse.", "version of this answer's published state."),
    },
    "Cache-Control": {
        "schema": {"type": "string"},
        "description": text(
            "public, max-age=… : tout cache peut la garder.", "public, max-age=…: any cache may keep it."
        ),
    },
}


class PublicAutoSchema(AutoSchema):
    def get_tags(self):
        return [TAG]

    def get_auth(self):
        return []

    def error_codes(self):
        # 404: a code that is not (or not yet) public, or a page past the last one.
        return ["400", "404", "429"]

    def _is_list_view(self, serializer=None):
        if serializer is not None and is_basic_type(serializer):
            return False  # the CSV file
        return getattr(self.view, "pagination_class", None) is not None

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return operation
        operation["security"] = []
        responses = operation["responses"]
        ok = responses["200"]
        ok["headers"] = HEADERS
        if self._is_list_view():
            # ?format=json: the same rows as a page's results, as one array.
            json_body = ok["content"]["application/json"]
            page = json_body["schema"]
            item = self._item_schema(page)
            json_body["schema"] = {"oneOf": [page, {"type": "array", "items": item}]}
        responses["304"] = {"description": text("Pas modifié (If-None-Match).", "Not modified (If-None-Match).")}
        return operation

    def _item_schema(self, page):
        name = page["$ref"].rsplit("/", 1)[-1]
        component = self.registry[(name, "schemas")]
        return component.schema["properties"]["results"]["items"]


def public_schema(fr, en, serializer, *, operation_id, listed=False, as_of=True):
    """The GET operation of a public view: its FR/EN description, parameters, answers."""
    parameters = [*([AS_OF_PARAMETER] if as_of else []), *([PUBLIC_FORMAT] if listed else []), IF_NONE_MATCH]
    responses = {200: serializer}
    if listed:
        responses[(200, "text/csv")] = OpenApiTypes.BINARY
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation_id, description=text(fr, en), parameters=parameters, responses=responses
        )
    )
