"""Query-string handling shared by every endpoint: the FilterSets (django-filter), a
strict ordering, ``as_of`` and a guard against NUL bytes. A bad value answers 400 naming
the parameter; nothing is silently ignored."""

import re
import threading

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from artisanat.dates import ISO_DATE, as_of_from


def reject_nul_bytes(query_params):
    """PostgreSQL refuses NUL in strings: answer 400 naming the parameter instead of a 500."""
    errors = {}
    for name, values in query_params.lists():
        if "\x00" in name:
            errors[name.replace("\x00", "\\0")] = [_("Caractère NUL interdit dans le nom d'un paramètre.")]
        elif any("\x00" in v for v in values):
            errors[name] = [_("Caractère NUL interdit.")]
    if errors:
        raise ValidationError(errors)


_declared = None
_declared_lock = threading.Lock()


def declared_query_parameters(view, method):
    """The query parameters the OpenAPI schema declares for this view's operation (its
    filters, ordering, pagination, format, ``as_of``, scope, ``change_reason``…), read
    from the schema itself, generated once per process: what the schema promises and
    what the server accepts cannot drift. None for an operation the schema does not
    list (OPTIONS)."""
    global _declared
    if _declared is None:
        with _declared_lock:
            if _declared is None:
                _declared = _declared_by_operation()
    method = "GET" if method == "HEAD" else method
    return _declared.get((type(view), getattr(view, "action", None), method))


def _declared_by_operation():
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    paths = generator.get_schema(request=None, public=True)["paths"]
    declared = {}
    for path, _regex, method, callback in generator.endpoints:
        view = generator.create_view(callback, method)
        operation = paths.get(generator.coerce_path(path, method, view), {}).get(method.lower())
        if operation is None:
            continue
        action = getattr(callback, "actions", {}).get(method.lower())
        declared[(callback.cls, action, method)] = {
            p["name"]: p.get("schema", {}).get("type") == "array"  # may it be repeated?
            for p in operation.get("parameters", ())
            if p.get("in") == "query"
        }
    return declared


def reject_unknown_parameters(view, request):
    """A query parameter the operation does not declare is a 400 naming it: a misspelt
    filter (``?reporting_organisation_acronyms=``) or ``?page=`` on a cursor list would
    otherwise be ignored, and the script would read every row believing it filtered.
    A parameter declared with one value and sent twice is a 400 too (the last one would
    win silently: ``?page_size=1&page_size=500``)."""
    declared = declared_query_parameters(view, request.method)
    if declared is None:
        return
    errors = {name: [_("Paramètre inconnu.")] for name in request.query_params if name not in declared}
    for name, values in request.query_params.lists():
        if name in declared and not declared[name] and len(values) > 1:
            errors[name] = [_("Paramètre répété : envoyez-le une seule fois.")]
    if errors:
        raise ValidationError(dict(sorted(errors.items())))


def as_of_of(request):
    """The date figures are computed at: ``?as_of=YYYY-MM-DD``, today by default; 400
    naming ``as_of`` with the pages' message when malformed (artisanat/dates.py)."""
    try:
        return as_of_from(request.query_params.get("as_of"))
    except DjangoValidationError as error:
        raise ValidationError({"as_of": error.messages}) from None


AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="FR : date à laquelle les chiffres sont calculés (AAAA-MM-JJ, aujourd'hui par défaut). "
    "/ EN: date the figures are computed at (YYYY-MM-DD, today by default).",
)


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


INTEGER = re.compile(r"-?\d{1,18}")
NUMBER = re.compile(r"-?\d{1,20}(\.\d{1,10})?")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def _is_integer_field(filterset, flt):
    from django.db.models import AutoField, ForeignKey, ForeignObjectRel, IntegerField, ManyToManyField
    from django_filters.utils import get_model_field

    field = get_model_field(filterset._meta.model, flt.field_name) if flt.method is None else None
    return isinstance(field, (IntegerField, AutoField, ForeignKey, ManyToManyField, ForeignObjectRel))


def strict_type_errors(filterset, params):
    """Numbers, dates and date-times exactly as the OpenAPI schema states them (ISO 8601,
    no locale formats, no "1.0" for an integer): anything else is a 400 naming it."""
    errors = {}
    for name, flt in filterset.filters.items():
        if isinstance(flt, django_filters.DateFromToRangeFilter):
            checks = [(f"{name}_after", ISO_DATE), (f"{name}_before", ISO_DATE)]
        elif isinstance(flt, django_filters.DateTimeFilter):
            checks = [(name, DATETIME)]
        elif isinstance(flt, django_filters.DateFilter):
            checks = [(name, ISO_DATE)]
        elif isinstance(flt, django_filters.NumberFilter):
            checks = [(name, INTEGER if _is_integer_field(filterset, flt) else NUMBER)]
        else:
            continue
        for param, pattern in checks:
            raw = params.get(param)
            if raw is not None and not pattern.fullmatch(raw):
                errors[param] = [
                    _("Format invalide : attendu %(f)s.")
                    % {
                        "f": {
                            ISO_DATE: "AAAA-MM-JJ",
                            DATETIME: "AAAA-MM-JJTHH:MM:SSZ (ISO 8601)",
                            INTEGER: _("un nombre entier"),
                            NUMBER: _("un nombre (point décimal)"),
                        }[pattern]
                    }
                ]
    return errors


BOOLEAN_WORDS = {"true", "false", "True", "False"}  # what the FilterSets' boolean widget understands


class StrictFilterBackend(DjangoFilterBackend):
    """The model's FilterSet (``filterset_class``); django-filter already answers 400 with
    the parameter named for a malformed value, except for booleans, which it reads as
    "no filter" when it does not understand them: those are checked here."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            # A relation filter by id narrows the list; an id that does not exist (or
            # that the user may not see) gives an empty list, not a 400 that would
            # tell which ids exist. A malformed id is still a 400.
            for name, flt in list(filterset.filters.items()):
                if isinstance(flt, django_filters.ModelChoiceFilter):
                    filterset.filters[name] = IdFilter(field_name=flt.field_name, label=flt.label)
                    filterset.filters[name].parent = filterset
                    filterset.filters[name].model = flt.model
            errors = strict_type_errors(filterset, request.query_params)
            errors.update(
                {
                    name: [_("Valeur attendue : true ou false.")]
                    for name, flt in filterset.filters.items()
                    if isinstance(flt, django_filters.BooleanFilter)
                    and request.query_params.get(name) not in (None, *BOOLEAN_WORDS)
                }
            )
            # ?kind= (empty) is outside the schema's enum: django-filter would read it as
            # "no filter" and list everything (found by `make fuzz`).
            errors.update(
                {
                    name: [_("Valeur vide : choisissez l'une des valeurs permises.")]
                    for name, flt in filterset.filters.items()
                    if isinstance(flt, django_filters.ChoiceFilter)
                    and name in request.query_params
                    and not request.query_params.get(name)
                }
            )
            if errors:
                raise ValidationError(errors)
        return filterset


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=a,-b`` over the view's ``ordering_fields`` only: an unknown field is a
    400 naming ``ordering`` (DRF's OrderingFilter would silently ignore it)."""

    ordering_description = (
        "FR : tri, un ou plusieurs champs séparés par des virgules (préfixe - pour décroissant). "
        "/ EN: ordering, one or more comma-separated fields (prefix - for descending)."
    )

    def allowed(self, view):
        return list(getattr(view, "ordering_fields", None) or [])

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        fields = [term.strip() for term in raw.split(",")]  # an empty ?ordering= is refused below
        allowed = self.allowed(view)
        bad = [f for f in fields if not f or f.lstrip("-") not in allowed or f.startswith("--")]
        if bad:
            raise ValidationError(
                {
                    self.ordering_param: [
                        _("Tri inconnu : %(bad)s. Valeurs possibles : %(ok)s (préfixe - pour décroissant).")
                        % {"bad": ", ".join(repr(b) for b in bad), "ok": ", ".join(allowed)}
                    ]
                }
            )
        return fields

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if ordering:
            # A unique tie-breaker keeps pages stable when the chosen field repeats.
            tail = [] if any(f.lstrip("-") in {"id", "pk"} for f in ordering) else ["pk"]
            return queryset.order_by(*ordering, *tail)
        return queryset

    def get_schema_operation_parameters(self, view):
        allowed = self.allowed(view)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": self.ordering_description,
                "schema": {"type": "string", "enum": [p + f for f in allowed for p in ("", "-")]},
            }
        ]
