"""The API's JSON parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] and every view that
lists its parsers): DRF's, with every body it cannot read answered 400 in the API's
shape (``parse_error``, the reason under ``details.body``), never a 500.

DRF's parser turns a ``ValueError`` into a 400 but lets a ``RecursionError`` through:
5 KB of ``[`` nest deeper than Python's stack and ended in a 500 with a traceback,
before any authentication. Nesting is also bounded (``MAX_DEPTH``, far beyond what any
endpoint reads) so that nothing downstream (serializers, the error handler, the
idempotency hash) recurses into a body that parsed."""

import codecs

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# The deepest body an endpoint reads is {"rows": [{...}]}: three levels.
MAX_DEPTH = 32


class InvalidBody(ParseError):
    """A body that is not readable JSON: 400, the reason under ``details.body``."""

    def __init__(self, message):
        super().__init__(message)
        self.extra_details = {"body": [str(message)]}


def depth_exceeds(data, limit):
    """True when lists and objects nest deeper than ``limit`` (iterative: no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def too_deep_message():
    return _("JSON trop imbriqué : %(n)d niveaux de listes ou d'objets au plus.") % {"n": MAX_DEPTH}


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})  # refuses bytes-to-bytes codecs
        try:
            decoded_stream = codecs.getreader(encoding)(stream)
            parse_constant = json.strict_constant if self.strict else None
            data = json.load(decoded_stream, parse_constant=parse_constant)
        except RecursionError:
            raise InvalidBody(too_deep_message()) from None
        except ValueError as exc:  # not JSON, or not in the announced encoding
            raise InvalidBody(_("JSON illisible : %(e)s") % {"e": exc}) from None
        if depth_exceeds(data, MAX_DEPTH):
            raise InvalidBody(too_deep_message())
        return data
