"""One FilterSet per strategy model, shared by the API and the staff pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from artisanat.filtersets import BaseFilterSet, IdFilter
from strategy.choices import MeasurementStatus
from strategy.models import (
    Action,
    Axis,
    Indicator,
    IndicatorComment,
    Measurement,
    Phase,
    Programme,
    Strategy,
    Target,
)


class StrategyFilterSet(BaseFilterSet):
    search_fields = ("name",)

    class Meta(BaseFilterSet.Meta):
        model = Strategy
        fields = []


class PhaseFilterSet(BaseFilterSet):
    search_fields = ("name", "name_ar")

    class Meta(BaseFilterSet.Meta):
        model = Phase
        fields = ["strategy", "code"]


class AxisFilterSet(BaseFilterSet):
    search_fields = ("title", "title_ar", "description")

    class Meta(BaseFilterSet.Meta):
        model = Axis
        fields = ["strategy", "number"]


class ProgrammeFilterSet(BaseFilterSet):
    search_fields = ("code", "title", "title_ar")
    axis_number = IdFilter(field_name="axis__number", label=_("Axe (numéro)"))

    class Meta(BaseFilterSet.Meta):
        model = Programme
        fields = ["axis", "code"]


class ActionFilterSet(BaseFilterSet):
    search_fields = ("code", "title")
    programme_code = django_filters.CharFilter(field_name="programme__code", label=_("Programme (code)"))
    phase_code = django_filters.CharFilter(field_name="phase__code", label=_("Phase (code)"))
    lead_organisation_acronym = django_filters.CharFilter(
        field_name="lead_organisation__acronym", label=_("Organisation pilote (sigle)")
    )

    class Meta(BaseFilterSet.Meta):
        model = Action
        fields = ["programme", "phase", "status", "lead_organisation"]


class IndicatorFilterSet(BaseFilterSet):
    search_fields = ("code", "name", "name_ar")
    axis_number = IdFilter(field_name="axis__number", label=_("Axe (numéro)"))
    programme_code = django_filters.CharFilter(field_name="programme__code", label=_("Programme (code)"))
    reporting_organisation = IdFilter(field_name="reporting_organisations", label=_("Organisation rapporteuse"))
    reporting_organisation_acronym = django_filters.CharFilter(
        field_name="reporting_organisations__acronym", label=_("Organisation rapporteuse (sigle)")
    )
    contract = IdFilter(field_name="contracts", label=_("Contrat"))

    class Meta(BaseFilterSet.Meta):
        model = Indicator
        fields = ["axis", "programme", "aggregation", "unit", "direction", "code"]


class TargetFilterSet(BaseFilterSet):
    indicator_code = django_filters.CharFilter(field_name="indicator__code", label=_("Indicateur (code)"))
    region_code = django_filters.CharFilter(field_name="region__code", label=_("Région (code)"))
    filiere_code = django_filters.CharFilter(field_name="filiere__code", label=_("Filière (code)"))
    due = django_filters.DateFromToRangeFilter(field_name="due_date", label=_("Échéance"))
    national = django_filters.BooleanFilter(method="filter_national", label=_("Cibles nationales seulement"))

    class Meta(BaseFilterSet.Meta):
        model = Target
        fields = ["indicator", "region", "filiere", "due_date"]

    def filter_national(self, queryset, name, value):
        if value is None:
            return queryset
        national = {"region__isnull": True, "filiere__isnull": True}
        return queryset.filter(**national) if value else queryset.exclude(**national)


class MeasurementFilterSet(BaseFilterSet):
    search_fields = ("indicator__code", "indicator__name", "source")
    indicator_code = django_filters.CharFilter(field_name="indicator__code", label=_("Indicateur (code)"))
    status = django_filters.MultipleChoiceFilter(choices=MeasurementStatus.choices, label=_("Statut"))
    organisation_acronym = django_filters.CharFilter(
        field_name="organisation__acronym", label=_("Organisation (sigle)")
    )
    region_code = django_filters.CharFilter(field_name="region__code", label=_("Région (code)"))
    filiere_code = django_filters.CharFilter(field_name="filiere__code", label=_("Filière (code)"))
    axis = IdFilter(field_name="indicator__axis", label=_("Axe"))
    period_start = django_filters.DateFromToRangeFilter(label=_("Début de période"))
    period_end = django_filters.DateFromToRangeFilter(label=_("Fin de période"))
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Modifiée depuis")
    )

    class Meta(BaseFilterSet.Meta):
        model = Measurement
        fields = ["indicator", "organisation", "region", "filiere", "sex", "actor_type"]


class IndicatorCommentFilterSet(BaseFilterSet):
    """The report's written comments: ``?indicator=``, ``?indicator_code=``, ``?year=``."""

    search_fields = ("text", "text_ar")
    indicator_code = django_filters.CharFilter(field_name="indicator__code", label=_("Indicateur (code)"))

    class Meta(BaseFilterSet.Meta):
        model = IndicatorComment
        fields = ["indicator", "year"]
