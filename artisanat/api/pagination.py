"""Page-number pagination for most lists, cursor pagination for measurements (which
grow without end and are read by partners' scripts). ``page_size`` is capped at
settings.API_MAX_PAGE_SIZE; a malformed ``page``, ``page_size`` or ``cursor`` is a 400
naming it.

Their answers' schema says what the server does: every key always present (required),
``next`` / ``previous`` null at the ends, and worked examples (DRF's placeholders had a
stray quote in the cursor's). A cursor list also gives the opaque cursor alone,
``next_cursor`` / ``previous_cursor``, for scripts that build their own URL."""

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


def _positive_int(request, name):
    values = request.query_params.getlist(name)
    if not values:
        return None
    for raw in values:
        if not raw.isdigit() or not raw.isascii() or int(raw) < 1:
            raise ValidationError({name: [_("Nombre entier strictement positif attendu.")]})
    return int(values[-1])


def check_page_parameters(request):
    """An export is not paginated, but a malformed page or page_size is still a 400."""
    for name in ("page", "page_size"):
        _positive_int(request, name)


class PageSizeMixin:
    page_size_query_param = "page_size"

    @property
    def max_page_size(self):
        return settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request):
        size = _positive_int(request, self.page_size_query_param)
        if size is None:
            return self.page_size
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1}
                param["description"] = (
                    f"FR : nombre de résultats par page (défaut {self.page_size}, plafonné à {self.max_page_size}). "
                    f"/ EN: results per page (default {self.page_size}, capped at {self.max_page_size})."
                )
        return params


EXAMPLE_LIST = "https://example.org/api/v1/indicators/"
EXAMPLE_MEASUREMENTS = "https://example.org/api/v1/measurements/"


def _link(example):
    return {"type": "string", "nullable": True, "format": "uri", "example": example}


class PageNumberPagination(PageSizeMixin, pagination.PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        number = _positive_int(request, self.page_query_param)
        if number is not None and len(str(number)) > 9:
            raise NotFound(_("Page inexistante."))
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_query_param:
                param["schema"] = {"type": "integer", "minimum": 1}
                param["description"] = "FR : numéro de page (à partir de 1). / EN: page number (from 1)."
        return params

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "minimum": 0, "example": 125},
                "next": _link(f"{EXAMPLE_LIST}?page=3"),
                "previous": _link(f"{EXAMPLE_LIST}?page=1"),
                "results": schema,
            },
        }


class MeasurementCursorPagination(PageSizeMixin, pagination.CursorPagination):
    """Stable pages over a unique key: rows added meanwhile never shift a page."""

    ordering = ("-id",)

    def decode_cursor(self, request):
        invalid = ValidationError(
            {self.cursor_query_param: [_("Curseur invalide : reprenez le lien « next » ou « previous » reçu.")]}
        )
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid from None
        # The position is an id (the ordering is by id only): anything else was forged.
        position = cursor.position if cursor is not None else None
        if position is not None and not (position.isascii() and position.isdigit() and len(position) < 19):
            raise invalid
        return cursor

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.cursor_query_param:
                param["description"] = (
                    "FR : curseur opaque, lu dans next_cursor / previous_cursor (ou les liens next / previous). "
                    "/ EN: opaque cursor from next_cursor / previous_cursor (or the next / previous links)."
                )
        return params

    def cursor_of(self, link):
        """The opaque cursor of a next / previous link, None at the ends."""
        if link is None:
            return None
        values = parse_qs(urlsplit(link).query).get(self.cursor_query_param)
        return values[-1] if values else None

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data = {
            "next": response.data["next"],
            "previous": response.data["previous"],
            "next_cursor": self.cursor_of(response.data["next"]),
            "previous_cursor": self.cursor_of(response.data["previous"]),
            "results": response.data["results"],
        }
        return response

    def get_paginated_response_schema(self, schema):
        cursor = {
            "type": "string",
            "nullable": True,
            "description": "FR : à passer tel quel dans ?cursor=. / EN: pass as is in ?cursor=.",
        }
        return {
            "type": "object",
            "required": ["next", "previous", "next_cursor", "previous_cursor", "results"],
            "properties": {
                "next": _link(f"{EXAMPLE_MEASUREMENTS}?cursor=cD00ODY%3D"),
                "previous": _link(f"{EXAMPLE_MEASUREMENTS}?cursor=cj0xJnA9NDg3"),
                "next_cursor": {**cursor, "example": "cD00ODY="},
                "previous_cursor": {**cursor, "example": "cj0xJnA9NDg3"},
                "results": schema,
            },
        }
