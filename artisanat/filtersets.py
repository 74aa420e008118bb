"""FilterSets for reference data, and the base every FilterSet of the project extends.

One FilterSet per model, used as the API viewset's ``filterset_class`` and by the staff
list page alike (style.md, habit 2)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from artisanat.models import Filiere, Organisation, Region


class BaseFilterSet(django_filters.FilterSet):
    """``q`` searches ``search_fields``. Bad values (a malformed date or number, a NUL
    byte — Django's form fields refuse it) make the form invalid: the API answers 400
    naming the parameter, the pages show the error beside the filter."""

    search_fields = ()
    q = django_filters.CharFilter(method="filter_search", label=_("Recherche"))

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
