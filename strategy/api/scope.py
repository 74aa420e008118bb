"""``?phase=``, ``?region=``, ``?filiere=``, ``?sex=``, ``?actor_type=`` on the API's
figures (indicators, axes, programmes, dashboard): the pages' ScopeForm read from the
query string, so that a scope means the same thing on both surfaces. A bad value is a
400 naming the parameter; an empty one too (the schema's enums do not allow it).
``?region_code=`` and ``?filiere_code=`` name the region or filière by its code instead
(both given must agree; an unknown code is a 400 naming it)."""

import re

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from artisanat.api.schema import text
from artisanat.exceptions import InvalidParameter
from artisanat.models import Filiere, Region
from strategy.choices import ActorType, Sex
from strategy.forms import ScopeForm

SCOPE_NAMES = ("phase", "region", "filiere", "sex", "actor_type")
SCOPE_CODES = {"region_code": ("region", Region), "filiere_code": ("filiere", Filiere)}
ID = re.compile(r"[0-9]{1,18}")

SCOPE_PARAMETERS = [
    OpenApiParameter(
        "phase",
        OpenApiTypes.INT,
        description=text(
            "phase (id) : l'avancement est mesuré vers les cibles dues à sa fin.",
            "phase (id): progress is measured against the targets due at its end.",
        ),
    ),
    OpenApiParameter(
        "region",
        OpenApiTypes.INT,
        description=text(
            "région (id) : chiffres de cette région (valeurs et cibles).",
            "region (id): figures of that region (values and targets).",
        ),
    ),
    OpenApiParameter(
        "filiere",
        OpenApiTypes.INT,
        description=text(
            "filière (id) : chiffres de cette filière (valeurs et cibles).",
            "filière (id): figures of that filière (values and targets).",
        ),
    ),
    OpenApiParameter(
        "region_code",
        OpenApiTypes.STR,
        description=text("région (code) : à la place de region.", "region (code): instead of region."),
    ),
    OpenApiParameter(
        "filiere_code",
        OpenApiTypes.STR,
        description=text("filière (code) : à la place de filiere.", "filière (code): instead of filiere."),
    ),
    OpenApiParameter(
        "sex",
        OpenApiTypes.STR,
        enum=Sex.values,
        description=text(
            "sexe : valeurs de ce sexe, sans cible ni avancement. Se combine seulement avec region.",
            "sex: values of that sex, without target or progress. Combines with region only.",
        ),
    ),
    OpenApiParameter(
        "actor_type",
        OpenApiTypes.STR,
        enum=ActorType.values,
        description=text(
            "type d'acteur : valeurs de ce type, sans cible ni avancement. Ne se combine avec aucune autre dimension.",
            "actor type: values of that type, without target or progress. Combines with no other dimension.",
        ),
    ),
]


def scope_form_of(request):
    """The request's ScopeForm, valid and of a stored combination of dimensions (or a 400
    naming the parameter)."""
    params = request.query_params
    errors = {}
    for name in SCOPE_NAMES:
        if name not in params:
            continue
        raw = params.get(name)
        if raw == "":
            errors[name] = [_("Valeur vide : choisissez l'une des valeurs permises.")]
        elif name in ("phase", "region", "filiere") and not ID.fullmatch(raw):
            errors[name] = [_("Format invalide : attendu %(f)s.") % {"f": _("un nombre entier")}]
    if errors:
        raise ValidationError(errors)
    data = {name: params.get(name) for name in SCOPE_NAMES if name in params}
    for code_name, (name, model) in SCOPE_CODES.items():
        if code_name not in params:
            continue
        code = params.get(code_name)
        pk = model.objects.filter(code=code).values_list("pk", flat=True).first() if code else None
        if pk is None:
            errors[code_name] = [_("Code inconnu : %(code)s.") % {"code": code}]
        elif name in data and data[name] != str(pk):
            errors[code_name] = [
                _("Ne désigne pas la même ligne que « %(relation)s » (id) : donnez l'un ou l'autre.")
                % {"relation": name}
            ]
        else:
            data[name] = str(pk)
    if errors:
        raise ValidationError(errors)
    form = ScopeForm(data)
    if not form.is_valid():
        raise ValidationError({name: list(messages) for name, messages in form.errors.items()})
    try:
        form.scope_kwargs = form.figure_kwargs()
    except InvalidParameter as error:
        raise ValidationError({error.name: [str(error.message)]}) from None
    return form


def scope_of(request):
    """Keyword arguments of ``with_figures`` / ``with_rollup`` for the request's scope."""
    return scope_form_of(request).scope_kwargs


def scope_cache_key(scope):
    """A hashable key of ``scope_of``'s answer (ids instead of model instances)."""
    return tuple(sorted((name, getattr(value, "pk", value)) for name, value in scope.items()))
