"""FilterSets for reference data, and the base every FilterSet of the project extends.

One FilterSet per model, used as the API viewset's ``filterset_class`` and by the staff
list page alike."""

import re

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields

from artisanat.choices import Role
from artisanat.dates import AsOfField
from artisanat.models import Filiere, Organisation, Region

BIGINT_MAX = 2**63 - 1


class AsOfFilter(django_filters.DateFilter):
    """``?as_of=``: read by the one date parser (artisanat/dates.py), so a list refuses
    a bad date with the same message as every other surface."""

    field_class = AsOfField


class IdFilter(django_filters.NumberFilter):
    """A whole number that fits the database's integer columns (ids, years, axis
    numbers): anything else is a 400 naming the parameter, never an overflow deep in
    the database driver."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class SafeModelChoiceField(filter_fields.ModelChoiceField):
    """Refuses a key that is not a plausible id before it reaches the database."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"[0-9]{1,18}", str(value)):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class SafeModelMultipleChoiceField(filter_fields.ModelMultipleChoiceField):
    def _check_values(self, value):
        for key in value:
            if not re.fullmatch(r"[0-9]{1,18}", str(key)):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": key}
                )
        return super()._check_values(value)


class SafeModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = SafeModelChoiceField


class SafeModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = SafeModelMultipleChoiceField


class BaseFilterSet(django_filters.FilterSet):
    """``q`` searches ``search_fields``. Bad values (a malformed date or number, a NUL
    byte — Django's form fields refuse it) make the form invalid: the API answers 400
    naming the parameter, the pages show the error beside the filter."""

    search_fields = ()
    q = django_filters.CharFilter(method="filter_search", label=_("Recherche"))

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {
            **django_filters.FilterSet.FILTER_DEFAULTS[models.ForeignKey],
            "filter_class": SafeModelChoiceFilter,
        },
        models.OneToOneField: {
            **django_filters.FilterSet.FILTER_DEFAULTS[models.OneToOneField],
            "filter_class": SafeModelChoiceFilter,
        },
        models.ManyToManyField: {
            **django_filters.FilterSet.FILTER_DEFAULTS[models.ManyToManyField],
            "filter_class": SafeModelMultipleChoiceFilter,
        },
        models.IntegerField: {"filter_class": IdFilter},
        models.PositiveSmallIntegerField: {"filter_class": IdFilter},
        models.PositiveIntegerField: {"filter_class": IdFilter},
        models.BigAutoField: {"filter_class": IdFilter},
    }

    class Meta:
        pass

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class RegionFilterSet(BaseFilterSet):
    search_fields = ("code", "name", "name_ar")

    class Meta(BaseFilterSet.Meta):
        model = Region
        fields = ["code"]


class FiliereFilterSet(BaseFilterSet):
    search_fields = ("code", "name", "name_ar")

    class Meta(BaseFilterSet.Meta):
        model = Filiere
        fields = ["code", "priority"]


class OrganisationFilterSet(BaseFilterSet):
    search_fields = ("acronym", "name", "name_ar")
    region_code = django_filters.CharFilter(field_name="region__code", label=_("Région (code)"))

    class Meta(BaseFilterSet.Meta):
        model = Organisation
        fields = ["kind", "region", "active", "acronym"]


class PeopleFilterSet(BaseFilterSet):
    """The people list (``/compte/personnes/``): accounts, through their membership."""

    search_fields = ("username", "email", "first_name", "last_name", "membership__organisation__acronym")
    organisation = SafeModelChoiceFilter(
        field_name="membership__organisation",
        queryset=Organisation.objects.order_by("acronym"),
        label=_("Organisation"),
    )
    role = django_filters.ChoiceFilter(field_name="membership__role", choices=Role.choices, label=_("Rôle"))
    is_focal_point = django_filters.BooleanFilter(field_name="membership__is_focal_point", label=_("Point focal"))
    is_active = django_filters.BooleanFilter(field_name="is_active", label=_("Actif"))

    class Meta(BaseFilterSet.Meta):
        model = User
        fields = []
