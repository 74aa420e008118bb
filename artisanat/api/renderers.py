"""CSV and XLSX as negotiable formats of list endpoints (``?format=csv`` / ``?format=xlsx``).

The list view writes the file itself with artisanat.exports (one writer for pages and
API, formula cells neutralised); these renderers only make the formats known to DRF's
content negotiation and to the OpenAPI schema."""

from rest_framework.renderers import BaseRenderer

from artisanat.exports import CONTENT_TYPES

EXPORT_FORMATS = ("csv", "xlsx")


class _ExportRenderer(BaseRenderer):
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):  # pragma: no cover - see module doc
        raise NotImplementedError("Exports are written by the view (artisanat.exports.export_response).")


class CSVRenderer(_ExportRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"


class XLSXRenderer(_ExportRenderer):
    media_type = CONTENT_TYPES["xlsx"]
    format = "xlsx"
    render_style = "binary"
