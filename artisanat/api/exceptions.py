"""One JSON error shape for the whole API:

    {"code": "invalid", "message": "<French sentence>", "details": {"field": ["message", ...]}}

Service errors are translated here (TransitionNotAllowed → 409 with the current state,
StaleVersion → 412, PermissionDenied → 403, a model's ValidationError → 400 field by
field), and so are database rule violations (IntegrityError naming a constraint or a
rule trigger → 400 or 409 with the rule's human message), so nothing a client sends
ends in a 500."""

import logging
import math
import re

from django.apps import apps
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models
from django.db.models.deletion import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from artisanat.exceptions import StaleVersion, TransitionNotAllowed
from artisanat.security_log import security_event
from artisanat.triggers import rule_messages

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("La requête est en conflit avec l'état de la ressource.")


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = gettext_lazy(
        "En-tête If-Match obligatoire : renvoyez l'ETag lu sur la ressource pour la modifier ou la supprimer."
    )


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale_version"
    default_detail = gettext_lazy("Cet enregistrement a été modifié entre-temps. Rechargez-le.")


class PayloadTooLarge(exceptions.APIException):
    """413; ``max_bytes``, when given, is also a field of the answer (as the request
    size middleware gives it)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = gettext_lazy("Requête trop volumineuse.")

    def __init__(self, detail=None, code=None, *, max_bytes=None):
        super().__init__(detail, code)
        self.max_bytes = max_bytes
        if max_bytes is not None:
            self.extra_details = {"body": [str(self.detail)]}


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"
    default_detail = gettext_lazy("Requête impossible à traiter.")


def error_body(code, message, details=None, **extra):
    return {"code": code, "message": str(message), "details": details or {}, **extra}


def _text(value):
    return str(value) if isinstance(value, (str, Promise)) else value


def flatten_details(detail):
    """DRF's nested error detail → {field: [messages]} (nested fields joined with dots)."""
    result = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                result.setdefault(prefix or NON_FIELD, []).extend(str(v) for v in value)
            else:
                for index, sub in enumerate(value):
                    if sub:
                        walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            result.setdefault(prefix or NON_FIELD, []).append(str(value))

    walk("", detail)
    return result


def django_validation_details(exc):
    if hasattr(exc, "error_dict"):
        return {(NON_FIELD if k == NON_FIELD_ERRORS else k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {NON_FIELD: [str(m) for m in exc.messages]}


# ---------------------------------------------------------------- database rules


def _constraint_index():
    """{constraint name: (message, is_unique)} and {(table, columns): name} for SQLite's
    "UNIQUE constraint failed: table.a, table.b" messages, built once from the models."""
    by_name, by_columns = {}, {}
    for model in apps.get_models():
        table = model._meta.db_table
        for constraint in model._meta.constraints:
            unique = isinstance(constraint, models.UniqueConstraint)
            message = constraint.violation_error_message
            if message == constraint.default_violation_error_message:
                message = (
                    gettext_lazy("Cet enregistrement existe déjà (règle « %(name)s »).")
                    if unique
                    else gettext_lazy("Valeur refusée par la règle « %(name)s ».")
                )
            by_name[constraint.name] = (message, unique)
            if unique and constraint.fields:
                columns = tuple(sorted(model._meta.get_field(f).column for f in constraint.fields))
                by_columns[(table, columns)] = constraint.name
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key:
                name = f"{table}_{field.column}_unique"
                by_name[name] = (
                    gettext_lazy("La valeur de « %(field)s » est déjà utilisée.") % {"field": field.verbose_name},
                    True,
                )
                by_columns[(table, (field.column,))] = name
    # Human messages of the rule triggers (each app's db_rules.py); Model.clean() says the
    # same thing beside the field before the database ever has to.
    for name, message in rule_messages().items():
        by_name[name] = (message, False)
    return by_name, by_columns


_INDEX = None


def describe_integrity_error(exc):
    """(status, rule name, message) for a database rule violation, or None if unknown."""
    global _INDEX
    if _INDEX is None:
        _INDEX = _constraint_index()
    by_name, by_columns = _INDEX
    cause = exc.__cause__
    name = getattr(getattr(cause, "diag", None), "constraint_name", None)  # PostgreSQL
    text = str(exc)
    if not name:
        match = re.search(r"UNIQUE constraint failed: (.+)$", text)
        if match:
            parts = [p.strip() for p in match.group(1).split(",")]
            if parts and parts[0].startswith("index "):
                name = parts[0][len("index ") :].strip("'\"")
            else:
                table = parts[0].rsplit(".", 1)[0]
                columns = tuple(sorted(p.rsplit(".", 1)[-1] for p in parts))
                name = by_columns.get((table, columns))
    if not name:
        for candidate in sorted(by_name, key=len, reverse=True):
            if re.search(rf"\b{re.escape(candidate)}\b", text):
                name = candidate
                break
    if name in by_name:
        message, unique = by_name[name]
        message = str(message) % {"name": name} if "%(name)s" in str(message) else str(message)
        return (status.HTTP_409_CONFLICT if unique else status.HTTP_400_BAD_REQUEST), name, message
    return None


# ---------------------------------------------------------------- the handler


_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def _response(status_code, body, headers=None):
    return Response(body, status=status_code, headers=headers)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error in the one shape."""
    if isinstance(exc, TransitionNotAllowed):
        set_rollback()
        current = exc.current_status
        return _response(409, error_body("transition_not_allowed", exc, {"status": [current]}, current_status=current))
    if isinstance(exc, StaleVersion):
        set_rollback()
        return _response(
            412,
            error_body("stale_version", exc, current_version=exc.current_version),
            {"ETag": f'"{exc.current_version}"'},
        )
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return _response(400, error_body("invalid", _("Données invalides."), django_validation_details(exc)))
    if isinstance(exc, (ProtectedError, RestrictedError)):
        set_rollback()
        names = sorted({str(o._meta.verbose_name) for o in exc.protected_objects if hasattr(o, "_meta")})
        return _response(
            409,
            error_body(
                "protected",
                _("Suppression impossible : d'autres enregistrements en dépendent (%(what)s).")
                % {"what": ", ".join(names)},
            ),
        )
    if isinstance(exc, IntegrityError):
        described = describe_integrity_error(exc)
        if described is None:
            return None  # an unknown database error is a bug: let it be a 500 and be logged
        set_rollback()
        code, name, message = described
        return _response(code, error_body("constraint_violation", message, {NON_FIELD: [message]}, rule=name))
    if isinstance(exc, RequestDataTooBig):
        # DRF reads a JSON or form body through request.body, which Django refuses beyond
        # DATA_UPLOAD_MAX_MEMORY_SIZE; without this, an HTML 400 that names no limit.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge(_("Requête trop volumineuse : %(n)d octets au plus.") % {"n": limit}, max_bytes=limit)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)

    if not isinstance(exc, exceptions.APIException):
        return None
    if isinstance(exc, exceptions.PermissionDenied):
        # Every 403 of the API is a security event (the DRF request knows the token's user).
        security_event(
            "permission_denied",
            request=context.get("request"),
            level=logging.WARNING,
            status=403,
            surface="api",
            view=type(context["view"]).__name__ if context.get("view") is not None else None,
        )

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    set_rollback()

    if getattr(exc, "bulk_rows", None) is not None:
        return _response(400, error_body("invalid_rows", exc.message, {"rows": exc.bulk_rows}), headers)
    if isinstance(exc, exceptions.ValidationError):
        details = flatten_details(exc.detail)
        return _response(exc.status_code, error_body("invalid", _("Données invalides."), details), headers)

    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    if code is None:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
    detail = exc.detail
    if isinstance(detail, (list, dict)):
        return _response(exc.status_code, error_body(code, exc.default_detail, flatten_details(detail)), headers)
    message = str(detail)
    if isinstance(exc, exceptions.Throttled):
        message = _("Trop de requêtes. Réessayez dans %(s)d secondes.") % {"s": exc.wait or 1}
    elif isinstance(exc, exceptions.NotAuthenticated):
        message = _("Authentification requise : envoyez « Authorization: Bearer <jeton> » (ou « Token <jeton> »).")
    extra = {"max_bytes": exc.max_bytes} if getattr(exc, "max_bytes", None) is not None else {}
    if isinstance(exc, exceptions.Throttled):
        extra["retry_after"] = int(headers.get("Retry-After", 1))  # the header's seconds, as an integer
    return _response(exc.status_code, error_body(code, message, getattr(exc, "extra_details", None), **extra), headers)


@csrf_exempt  # a 404 is a 404, whatever the method and cookies
def json_not_found(request, *args, **kwargs):
    """Unknown URLs under /api/ answer in JSON, not with the HTML error page."""
    return JsonResponse(
        error_body("not_found", _("Aucune ressource à cette adresse : %(path)s") % {"path": request.path}),
        status=404,
    )
