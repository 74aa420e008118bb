"""Base viewsets of the API. Every endpoint is declarative: a queryset method that
applies ``visible_to(user)`` and the figures, a FilterSet, ordering fields, export
columns, and for writable resources the service functions that perform the change.

- Lists answer ``?format=csv`` and ``?format=xlsx`` with the same filters and access.
- Versioned resources carry an ``ETag`` (their ``version``) and require ``If-Match``
  on PUT, PATCH and DELETE (428 without, 412 when stale); every writable resource is.
- Every write carries its reason (artisanat.services.require_reason): ``change_reason``
  in the body of POST, PUT and PATCH, ``?change_reason=`` on DELETE (400 without).
- Writes go through services (full_clean + save + history); serializers only build
  the unsaved instance.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from artisanat.api.exceptions import PreconditionFailed, PreconditionRequired
from artisanat.api.filters import (
    StrictFilterBackend,
    StrictOrderingFilter,
    reject_nul_bytes,
    reject_unknown_parameters,
)
from artisanat.api.pagination import check_page_parameters
from artisanat.api.renderers import EXPORT_FORMATS, CSVRenderer, XLSXRenderer
from artisanat.api.throttling import ratelimit_headers
from artisanat.exceptions import StaleVersion
from artisanat.exports import export_response
from artisanat.services import require_reason

#: The history's column (simple_history's history_change_reason) holds 100 characters.
REASON_MAX_LENGTH = 100

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; If-Match is "*" or a list.
ENTITY_TAG = re.compile(r'\s*(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*')
VERSION = re.compile(r"\d{1,9}")


def if_match_tags(raw):
    """The entity tags of an If-Match list, or None if it is not one."""
    tags = []
    for item in raw.split(","):
        match = ENTITY_TAG.fullmatch(item)
        if not match:
            return None
        tags.append(match.group(1))
    return tags


def etag_for(version):
    return f'"{version}"'


class ApiViewMixin:
    """NUL guard, unknown parameters refused, strict format negotiation, JSON errors even
    when a file was asked for, the throttles' ``RateLimit`` headers on every answer."""

    def initial(self, request, *args, **kwargs):
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise MethodNotAllowed(request.method)  # before the query string is even read
        reject_nul_bytes(request.query_params)
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        if getattr(self, "parameters", None) is None:  # the public views list theirs (opendata/api/views.py)
            reject_unknown_parameters(self, request)

    def perform_content_negotiation(self, request, force=False):
        if not force and request.query_params.get("format", None) == "":
            # DRF ignores an empty ?format=; the schema's enum does not allow it (fuzzing found it).
            raise ValidationError({"format": [_("Valeur vide : choisissez l'une des valeurs permises.")]})
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            fmt = request.query_params.get("format")
            raise ValidationError({"format": [_("Format inconnu : %(f)s.") % {"f": fmt}]}) from None

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and renderer is not None and renderer.format in EXPORT_FORMATS:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        for name, value in ratelimit_headers(request).items():
            response[name] = value
        return super().finalize_response(request, response, *args, **kwargs)


class ReadOnlyViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """List (paginated, filterable, sortable, exportable) and detail."""

    filter_backends = [StrictFilterBackend, StrictOrderingFilter]
    ordering_fields = ()
    export_columns = None
    export_name = None

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.action == "list" and self.export_columns:
            renderers += [CSVRenderer(), XLSXRenderer()]
        return renderers

    def base_queryset(self):
        """The model's rows ``self.request.user`` may see, with what the serializer reads."""
        raise NotImplementedError

    def get_queryset(self):
        return self.base_queryset()

    def list(self, request, *args, **kwargs):
        fmt = request.accepted_renderer.format
        if fmt in EXPORT_FORMATS:
            check_page_parameters(request)
            rows = self.filter_queryset(self.get_queryset())
            return export_response(rows, self.export_columns, fmt, self.export_name)
        return super().list(request, *args, **kwargs)


class VersionedMixin:
    """ETag from the row's ``version``; If-Match required to change or delete it."""

    versioned = True

    def expected_version(self):
        """The version If-Match names: the current one if any of its tags is, otherwise
        one that the service will find stale (412). A well-formed tag this API never
        gave ("stale-etag") fails the same way (RFC 9110 §13.1.1: 412, not 400); only
        a header that is not a list of entity tags is a 400."""
        raw = self.request.headers.get("If-Match")
        if raw is None or raw.strip() in ("", "*"):
            raise PreconditionRequired()
        tags = if_match_tags(raw)
        if tags is None:
            raise ValidationError(
                {"If-Match": [_('En-tête If-Match illisible : renvoyez l\'ETag tel quel, par exemple "3".')]}
            )
        versions = [int(tag) for tag in tags if VERSION.fullmatch(tag)]
        current = getattr(self, "_current_version", None)
        if current in versions:
            return current
        if versions:
            return versions[0]
        raise StaleVersion(current) if current is not None else PreconditionFailed()

    def finalize_response(self, request, response, *args, **kwargs):
        data = getattr(response, "data", None)
        if (
            self.action != "list"
            and response.status_code < 300
            and isinstance(data, dict)
            and isinstance(data.get("version"), int)
        ):
            response["ETag"] = etag_for(data["version"])
        return super().finalize_response(request, response, *args, **kwargs)


class WritableViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ReadOnlyViewSet):
    """Create, change and delete through services.

    ``write_permission(user)`` gates every write up front (a viewer gets 403 before its
    body is even read); the serializer's ``service`` and the view's ``delete_service``
    decide object by object and keep the history."""

    versioned = False
    write_permission = None
    delete_service = None

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update") and hasattr(self, "write_serializer_class"):
            return self.write_serializer_class
        return super().get_serializer_class()

    def get_object(self):
        obj = super().get_object()
        if self.versioned:
            self._current_version = obj.version  # what If-Match is compared with
        if self.versioned and self.request.method in ("PUT", "PATCH", "DELETE"):
            self._expected_version = self.expected_version()
        return obj

    def perform_create(self, serializer):
        serializer.save()

    def perform_update(self, serializer):
        serializer.save(expected_version=getattr(self, "_expected_version", None))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = serializer.save()
        return self.respond_with(instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return self.respond_with(instance, status.HTTP_200_OK)

    def respond_with(self, instance, code):
        """The fresh representation (with figures and codes) of what was just written."""
        fresh = self.base_queryset().get(pk=instance.pk)
        response_serializer = self.serializer_class(fresh, context=self.get_serializer_context())
        response = Response(response_serializer.data, status=code)
        if code == status.HTTP_201_CREATED:
            response["Location"] = self.request.build_absolute_uri(f"{self.request.path.rstrip('/')}/{instance.pk}/")
        return response

    def perform_destroy(self, instance):
        type(self).delete_service(
            instance,
            by=self.request.user,
            reason=query_reason(self.request),
            expected_version=getattr(self, "_expected_version", None),
        )


def query_reason(request):
    """A DELETE's reason, ``?change_reason=``: a 400 naming it when it is missing, too
    short to say why or too long for the history."""
    raw = request.query_params.get("change_reason", "")
    if len(raw) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"change_reason": [_("Motif trop long : %(n)d caractères au plus.") % {"n": REASON_MAX_LENGTH}]}
        )
    try:
        return require_reason(raw)
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict) from None


class VersionedViewSet(VersionedMixin, WritableViewSet):
    versioned = True
