"""Django admin for the contrats programmes, their parties, money, milestones and
amendments. Every save, main object or inline row, goes through contracts.services."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from artisanat.admin import ServiceAdminMixin, ServiceInlineMixin
from artisanat.dates import today
from contracts.models import (
    AmendedCommitment,
    Amendment,
    AmendmentChange,
    Commitment,
    ContratProgramme,
    Disbursement,
    Milestone,
    Party,
)
from contracts.services import record_disbursement, save_contract_object, update_milestone

SMALL_TEXTAREA = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 36})}}


def _percent(value):
    return None if value is None else f"{value} %"


# -- inlines ----------------------------------------------------------------------------
class PartyInline(ServiceInlineMixin, admin.TabularInline):
    model = Party
    fields = ("organisation", "role", "signer_name", "signer_title", "expected_version")
    list_select_related = ("contract", "organisation")
    autocomplete_fields = ("organisation",)


class MilestoneInline(ServiceInlineMixin, admin.TabularInline):
    model = Milestone
    fields = ("title", "responsible", "due_date", "status", "date_met", "version", "expected_version")
    readonly_fields = ("version",)
    list_select_related = ("contract", "responsible")
    autocomplete_fields = ("responsible",)


class AmendmentInline(ServiceInlineMixin, admin.TabularInline):
    model = Amendment
    fields = (
        "number",
        "date",
        "reason",
        "summary",
        "changes_targets",
        "changes_amounts",
        "changes_dates",
        "expected_version",
    )
    list_select_related = ("contract",)
    formfield_overrides = SMALL_TEXTAREA


class AmendedCommitmentInline(ServiceInlineMixin, admin.TabularInline):
    """The commitments an amendment sets a new amount for (from its date)."""

    model = AmendedCommitment
    fields = ("commitment", "new_amount", "expected_version")
    list_select_related = ("amendment__contract", "commitment__party__contract", "commitment__party__organisation")
    autocomplete_fields = ("commitment",)


class CommitmentInline(ServiceInlineMixin, admin.TabularInline):
    model = Commitment
    fields = ("year", "amount", "note", "version", "expected_version")
    readonly_fields = ("version",)
    list_select_related = ("party__contract", "party__organisation")
    formfield_overrides = SMALL_TEXTAREA


class DisbursementInline(ServiceInlineMixin, admin.TabularInline):
    model = Disbursement
    fields = ("date", "amount", "reference", "note", "version", "expected_version")
    readonly_fields = ("version",)
    list_select_related = ("commitment__party__contract", "commitment__party__organisation")
    formfield_overrides = SMALL_TEXTAREA


# -- model admins -----------------------------------------------------------------------
@admin.register(ContratProgramme)
class ContratProgrammeAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_contract_object)
    list_display = (
        "reference",
        "title",
        "kind",
        "filiere",
        "phase",
        "status",
        "signing_date",
        "end_date",
        "execution_rate_display",
        "milestone_completion_display",
        "version",
    )
    search_fields = ("reference", "title", "title_ar", "source")
    list_filter = ("status", "kind", "phase", "filiere", "signing_date", "arabic_is_working_translation")
    list_select_related = ("filiere", "phase")
    autocomplete_fields = ("axes", "indicators")
    readonly_fields = ("version", "updated_at")
    ordering = ("reference",)
    inlines = (PartyInline, MilestoneInline, AmendmentInline)

    def get_queryset(self, request):
        return super().get_queryset(request).with_execution(today())

    @admin.display(description=_("taux d'exécution"))
    def execution_rate_display(self, contract):
        return _percent(contract.execution_rate)

    @admin.display(description=_("jalons réalisés"))
    def milestone_completion_display(self, contract):
        return _percent(contract.milestone_completion)


@admin.register(Party)
class PartyAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_contract_object)
    list_display = ("contract", "organisation", "role", "signer_name", "signer_title")
    search_fields = (
        "contract__reference",
        "contract__title",
        "organisation__acronym",
        "organisation__name",
        "signer_name",
    )
    list_filter = ("role", "contract__status", "contract__kind", "organisation")
    list_select_related = ("contract", "organisation")
    autocomplete_fields = ("contract", "organisation")
    ordering = ("contract__reference", "organisation__acronym", "role")
    inlines = (CommitmentInline,)


@admin.register(Commitment)
class CommitmentAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_contract_object)
    list_display = ("party", "year", "amount", "version")
    search_fields = ("party__contract__reference", "party__organisation__acronym", "party__organisation__name", "note")
    list_filter = ("year", "party__role", "party__contract")
    list_select_related = ("party__contract", "party__organisation")
    autocomplete_fields = ("party",)
    readonly_fields = ("version", "updated_at")
    ordering = ("party__contract__reference", "year", "pk")
    inlines = (DisbursementInline,)


@admin.register(Disbursement)
class DisbursementAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(record_disbursement)
    list_display = ("date", "commitment", "amount", "reference", "version")
    search_fields = (
        "reference",
        "note",
        "commitment__party__contract__reference",
        "commitment__party__organisation__acronym",
    )
    list_filter = ("date", "commitment__year", "commitment__party__contract")
    list_select_related = ("commitment__party__contract", "commitment__party__organisation")
    autocomplete_fields = ("commitment",)
    readonly_fields = ("version", "updated_at")
    ordering = ("-date", "pk")


@admin.register(Milestone)
class MilestoneAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(update_milestone)
    list_display = ("title", "contract", "responsible", "due_date", "status", "date_met", "late_display", "version")
    search_fields = ("title", "note", "contract__reference", "responsible__acronym", "responsible__name")
    list_filter = ("status", "due_date", "responsible", "contract")
    list_select_related = ("contract", "responsible")
    autocomplete_fields = ("contract", "responsible")
    readonly_fields = ("version", "updated_at")
    ordering = ("due_date", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).with_late(today())

    @admin.display(description=_("en retard"), boolean=True, ordering="late")
    def late_display(self, milestone):
        return milestone.late


@admin.register(Amendment)
class AmendmentAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_contract_object)
    list_display = ("contract", "number", "date", "changes_targets", "changes_amounts", "changes_dates")
    search_fields = ("contract__reference", "reason", "summary")
    list_filter = ("date", "changes_targets", "changes_amounts", "changes_dates")
    list_select_related = ("contract",)
    autocomplete_fields = ("contract",)
    ordering = ("contract__reference", "date", "number")
    inlines = (AmendedCommitmentInline,)


@admin.register(AmendedCommitment)
class AmendedCommitmentAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_contract_object)
    list_display = ("amendment", "commitment", "new_amount")
    search_fields = ("amendment__contract__reference", "commitment__party__organisation__acronym")
    list_filter = ("amendment__date", "commitment__year")
    list_select_related = ("amendment__contract", "commitment__party__contract", "commitment__party__organisation")
    autocomplete_fields = ("amendment", "commitment")
    ordering = ("amendment__contract__reference", "amendment__date", "amendment__number", "pk")


@admin.register(AmendmentChange)
class AmendmentChangeAdmin(SimpleHistoryAdmin):
    """What an amendment changed besides amounts, old → new: read only. It is recorded
    and applied with its amendment (contracts.services.save_amendment, the amendment's
    page or the API); an applied amendment keeps it."""

    list_display = ("amendment", "kind", "milestone", "target", "old_date", "new_date", "old_value", "new_value")
    list_filter = ("kind", "amendment__date")
    search_fields = ("amendment__contract__reference", "milestone__title", "target__indicator__code")
    list_select_related = ("amendment__contract", "milestone__contract", "target__indicator")
    ordering = ("amendment__contract__reference", "amendment__date", "amendment__number", "pk")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
