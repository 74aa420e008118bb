"""One FilterSet per contract model, shared by the API and the staff pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from artisanat.dates import today
from artisanat.filtersets import AsOfFilter, BaseFilterSet, IdFilter
from contracts.models import Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party


class ContractFilterSet(BaseFilterSet):
    search_fields = ("reference", "title", "title_ar")
    phase_code = django_filters.CharFilter(field_name="phase__code", label=_("Phase (code)"))
    filiere_code = django_filters.CharFilter(field_name="filiere__code", label=_("Filière (code)"))
    party = IdFilter(method="filter_party", label=_("Partie (organisation)"))
    party_acronym = django_filters.CharFilter(method="filter_party_acronym", label=_("Partie (sigle)"))
    axis = IdFilter(field_name="axes", label=_("Axe"))
    signed = django_filters.DateFromToRangeFilter(field_name="signing_date", label=_("Date de signature"))

    class Meta(BaseFilterSet.Meta):
        model = ContratProgramme
        fields = ["phase", "filiere", "status", "kind", "reference"]

    def filter_party(self, queryset, name, value):
        return queryset.filter(parties__organisation=value).distinct() if value is not None else queryset

    def filter_party_acronym(self, queryset, name, value):
        return queryset.filter(parties__organisation__acronym=value).distinct() if value else queryset


class PartyFilterSet(BaseFilterSet):
    contract_reference = django_filters.CharFilter(field_name="contract__reference", label=_("Contrat (référence)"))
    organisation_acronym = django_filters.CharFilter(
        field_name="organisation__acronym", label=_("Organisation (sigle)")
    )

    class Meta(BaseFilterSet.Meta):
        model = Party
        fields = ["contract", "organisation", "role"]


class CommitmentFilterSet(BaseFilterSet):
    contract = IdFilter(field_name="party__contract", label=_("Contrat"))
    organisation = IdFilter(field_name="party__organisation", label=_("Organisation"))
    organisation_acronym = django_filters.CharFilter(
        field_name="party__organisation__acronym", label=_("Organisation (sigle)")
    )

    class Meta(BaseFilterSet.Meta):
        model = Commitment
        fields = ["party", "year"]


class DisbursementFilterSet(BaseFilterSet):
    contract = IdFilter(field_name="commitment__party__contract", label=_("Contrat"))
    organisation = IdFilter(field_name="commitment__party__organisation", label=_("Organisation"))
    organisation_acronym = django_filters.CharFilter(
        field_name="commitment__party__organisation__acronym", label=_("Organisation (sigle)")
    )
    date = django_filters.DateFromToRangeFilter(label=_("Date"))

    class Meta(BaseFilterSet.Meta):
        model = Disbursement
        fields = ["commitment"]


class MilestoneFilterSet(BaseFilterSet):
    search_fields = ("title",)
    late = django_filters.BooleanFilter(method="filter_late", label=_("En retard"))
    as_of = AsOfFilter(method="filter_as_of", label=_("Situation au (pour « en retard »)"))
    due = django_filters.DateFromToRangeFilter(field_name="due_date", label=_("Échéance"))
    phase = IdFilter(field_name="contract__phase", label=_("Phase du contrat"))
    filiere = IdFilter(field_name="contract__filiere", label=_("Filière du contrat"))
    filiere_code = django_filters.CharFilter(field_name="contract__filiere__code", label=_("Filière du contrat (code)"))
    responsible_acronym = django_filters.CharFilter(
        field_name="responsible__acronym", label=_("Organisation responsable (sigle)")
    )

    class Meta(BaseFilterSet.Meta):
        model = Milestone
        fields = ["contract", "responsible", "status"]

    def filter_as_of(self, queryset, name, value):
        return queryset  # read by filter_late

    def filter_late(self, queryset, name, value):
        """On the ``late`` flag the page or the API already computed (``with_late`` at the
        request's date), so the filter and the flag can never disagree."""
        if value is None:
            return queryset
        if "late" not in queryset.query.annotations:
            queryset = queryset.with_late(self.form.cleaned_data.get("as_of") or today())
        return queryset.filter(late=value)


class AmendmentFilterSet(BaseFilterSet):
    search_fields = ("reason", "summary")
    date = django_filters.DateFromToRangeFilter(label=_("Date"))

    class Meta(BaseFilterSet.Meta):
        model = Amendment
        fields = ["contract", "changes_targets", "changes_amounts", "changes_dates"]
