"""Addresses the public pages print: the page in the other languages (and its canonical
form), the CSV and JSON downloads of each public table (the public API,
``/api/public/v1/``: written here as plain paths, the pages do not import the API's
code), and what the schema.org metadata says about the data (licence, publisher)."""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import get_language_info

#: The languages of the public pages, in their order in the language links.
LANGUAGES = ("fr", "ar", "en")
DEFAULT_LANGUAGE = "fr"

API = "/api/public/v1/"


def api_path(*parts):
    """``api_path("indicators", code, "series")`` → ``/api/public/v1/indicators/<code>/series/``."""
    return API + "".join(f"{part}/" for part in parts)


def downloads(*parts, as_of=None):
    """The CSV and JSON downloads of the public table at ``api_path(*parts)``:
    [{"format", "label", "url"}], ``as_of`` carried when the page has one."""
    rows = []
    for fmt, label in (("csv", "CSV"), ("json", "JSON")):
        query = {"format": fmt}
        if as_of is not None:
            query["as_of"] = as_of.isoformat()
        rows.append({"format": fmt, "label": label, "url": f"{api_path(*parts)}?{urlencode(query)}"})
    return rows


def alternates(request, view_name, kwargs, query=""):
    """The page in each language: [{"code", "name", "url" (relative, with the query),
    "absolute" (without it: canonical and hreflang)}]."""
    rows = []
    for code in LANGUAGES:
        path = reverse(view_name, kwargs={**kwargs, "lang": code})
        rows.append(
            {
                "code": code,
                "name": get_language_info(code)["name_local"],
                "url": f"{path}?{query}" if query else path,
                "absolute": request.build_absolute_uri(path),
            }
        )
    return rows


def licence():
    """The open-data licence the metadata names (``ARTISANAT_OPEN_DATA_LICENSE``)."""
    return settings.OPEN_DATA_LICENSE
