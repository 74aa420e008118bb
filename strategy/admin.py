"""Django admin for the strategy and its results chain. Targets and measurements are
saved through strategy.services; a measurement's status moves only by the actions
below (submit, validate, return, reopen), each row's move atomic."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from artisanat.admin import (
    SERVICE_ERRORS,
    ReadOnlyAdminMixin,
    SelectRelatedMixin,
    ServiceAdminMixin,
    ServiceInlineMixin,
    error_text,
)
from strategy.choices import EDITABLE_STATUSES, MEASUREMENT_TRANSITIONS, MeasurementStatus
from strategy.models import (
    Action,
    Axis,
    Indicator,
    IndicatorComment,
    Measurement,
    OpenDataRelease,
    PeriodTotal,
    Phase,
    Programme,
    PublishedTotal,
    ReportPublication,
    Strategy,
    Target,
)
from strategy.services import (
    reopen_measurement,
    return_measurement,
    save_action,
    save_indicator,
    save_indicator_comment,
    save_measurement,
    save_programme,
    save_target,
    submit_measurement,
    validate_measurements,
)

SUBMITTED_MESSAGE = ngettext_lazy("%(count)d mesure soumise.", "%(count)d mesures soumises.", "count")
VALIDATED_MESSAGE = ngettext_lazy("%(count)d mesure validée.", "%(count)d mesures validées.", "count")
RETURNED_MESSAGE = ngettext_lazy("%(count)d mesure renvoyée.", "%(count)d mesures renvoyées.", "count")
REOPENED_MESSAGE = ngettext_lazy("%(count)d mesure rouverte.", "%(count)d mesures rouvertes.", "count")


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ("name", "start_date", "end_date")
    search_fields = ("name", "name_ar")
    list_filter = ("start_date",)
    ordering = ("start_date",)


@admin.register(Phase)
class PhaseAdmin(SelectRelatedMixin, admin.ModelAdmin):
    list_display = ("name", "code", "order", "start_date", "end_date", "strategy")
    search_fields = ("name", "name_ar", "code")
    list_filter = ("strategy", "code")
    list_select_related = ("strategy",)
    ordering = ("strategy", "order")


@admin.register(Axis)
class AxisAdmin(SelectRelatedMixin, admin.ModelAdmin):
    list_display = ("number", "title", "strategy")
    list_display_links = ("number", "title")
    search_fields = ("title", "title_ar", "description")
    list_filter = ("strategy", "arabic_is_working_translation")
    list_select_related = ("strategy",)
    ordering = ("strategy", "number")


@admin.register(Programme)
class ProgrammeAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_programme)
    list_display = ("code", "title", "axis")
    search_fields = ("code", "title", "title_ar", "objective")
    list_filter = ("axis", "arabic_is_working_translation")
    list_select_related = ("axis",)
    autocomplete_fields = ("axis",)
    ordering = ("axis__number", "code")


@admin.register(Action)
class ActionAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_action)
    list_display = ("code", "title", "programme", "lead_organisation", "phase", "status", "progress", "budget")
    search_fields = ("code", "title", "note", "lead_organisation__acronym", "lead_organisation__name")
    list_filter = ("status", "phase", "programme__axis", "lead_organisation")
    list_select_related = ("programme", "lead_organisation", "phase")
    autocomplete_fields = ("programme", "lead_organisation")
    ordering = ("programme__code", "code")


class TargetInline(ServiceInlineMixin, admin.TabularInline):
    model = Target
    fields = ("due_date", "value", "region", "filiere", "version", "expected_version")
    readonly_fields = ("version",)
    list_select_related = ("indicator", "region", "filiere")


@admin.register(Indicator)
class IndicatorAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_indicator)
    list_display = (
        "code",
        "name",
        "axis",
        "programme",
        "unit",
        "aggregation",
        "direction",
        "weight",
        "frequency",
        "report_delay_days",
    )
    search_fields = ("code", "name", "name_ar", "definition")
    list_filter = (
        "aggregation",
        "frequency",
        "unit",
        "direction",
        "axis",
        "by_region",
        "by_filiere",
        "by_sex",
        "by_actor_type",
        "arabic_is_working_translation",
        ("public_from", admin.EmptyFieldListFilter),
    )
    list_select_related = ("axis", "programme")
    autocomplete_fields = ("axis", "programme", "reporting_organisations")
    ordering = ("code",)
    inlines = (TargetInline,)


@admin.register(Target)
class TargetAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_target)
    list_display = ("indicator", "due_date", "value", "region", "filiere", "version")
    search_fields = ("indicator__code", "indicator__name", "source")
    list_filter = ("due_date", "indicator__axis", "region", "filiere")
    list_select_related = ("indicator", "region", "filiere")
    autocomplete_fields = ("indicator",)
    readonly_fields = ("version", "updated_at")
    ordering = ("indicator__code", "due_date")


class ReasonForm(forms.Form):
    """The reason asked by the "return" and "reopen" actions (the reporter reads it)."""

    reason = forms.CharField(
        label=_("Motif"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_(
            "Obligatoire ; enregistré dans l'historique de chaque mesure et lu par l'organisation rapporteuse."
        ),
    )


@admin.register(Measurement)
class MeasurementAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    service = staticmethod(save_measurement)
    list_display = (
        "indicator",
        "period_start",
        "period_end",
        "figure",
        "region",
        "filiere",
        "organisation",
        "status",
        "version",
    )
    search_fields = ("indicator__code", "indicator__name", "organisation__acronym", "organisation__name", "source")
    list_filter = ("status", "indicator__axis", "organisation", "region", "filiere", "period_end")
    list_select_related = ("indicator", "organisation", "region", "filiere")
    autocomplete_fields = ("indicator", "organisation")
    readonly_fields = (
        "status",
        "status_reason",
        "reported_by",
        "validated_by",
        "validated_at",
        "version",
        "created_at",
        "updated_at",
    )
    ordering = ("-period_end", "indicator__code", "pk")
    fieldsets = (
        (None, {"fields": ("indicator", ("period_start", "period_end"), "organisation")}),
        (_("Valeur"), {"fields": ("value", ("numerator", "denominator"))}),
        (_("Ventilation"), {"fields": ("region", "filiere", "sex", "actor_type")}),
        (_("Source"), {"fields": ("source", "evidence")}),
        (
            _("Circuit de validation"),
            {
                "fields": (
                    "status",
                    "status_reason",
                    "reported_by",
                    ("validated_by", "validated_at"),
                    "version",
                    ("created_at", "updated_at"),
                )
            },
        ),
        (_("Enregistrement"), {"fields": ("change_reason", "expected_version")}),
    )
    actions = ("submit_selected", "validate_selected", "return_selected", "reopen_selected")
    reason_template = "admin/strategy/measurement/action_reason.html"

    @admin.display(description=_("valeur"))
    def figure(self, measurement):
        if measurement.value is not None:
            return measurement.value
        return f"{measurement.numerator} / {measurement.denominator}"

    # A submitted or validated measurement is locked: it is read, not edited. Deleting
    # a validated one would change the figures without a trace of why.
    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status not in EDITABLE_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == MeasurementStatus.VALIDATED:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # -- workflow actions -------------------------------------------------------------
    @staticmethod
    def _split(queryset, action):
        """(rows the action applies to, [(row, why skipped)])."""
        sources, _target = MEASUREMENT_TRANSITIONS[action]
        expected = " / ".join(str(MeasurementStatus(status).label) for status in sorted(sources))
        rows, skipped = [], []
        for measurement in queryset:
            if measurement.status in sources:
                rows.append(measurement)
            else:
                why = gettext("état « %(status)s », attendu « %(expected)s »") % {
                    "status": measurement.get_status_display(),
                    "expected": expected,
                }
                skipped.append((measurement, why))
        return rows, skipped

    def _report(self, request, done_message, done, skipped):
        if done:
            self.message_user(request, done_message % {"count": len(done)}, messages.SUCCESS)
        if skipped:
            shown = "; ".join(
                gettext("%(measurement)s (n° %(pk)s) : %(why)s") % {"measurement": m, "pk": m.pk, "why": why}
                for m, why in skipped[:20]
            )
            if len(skipped) > 20:
                shown += " …"
            text = ngettext(
                "%(count)d mesure ignorée — %(rows)s.",
                "%(count)d mesures ignorées — %(rows)s.",
                len(skipped),
            ) % {"count": len(skipped), "rows": shown}
            self.message_user(request, text, messages.WARNING)

    def _each(self, request, queryset, action, move, done_message):
        """Apply ``move`` to each row in the right state, each in its own transaction."""
        rows, skipped = self._split(queryset, action)
        done = []
        for measurement in rows:
            try:
                move(measurement)
            except SERVICE_ERRORS as exc:
                skipped.append((measurement, error_text(exc)))
            else:
                done.append(measurement)
        self._report(request, done_message, done, skipped)

    @admin.action(description=_("Soumettre les mesures sélectionnées"))
    def submit_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "submit",
            lambda m: submit_measurement(m, by=request.user),
            SUBMITTED_MESSAGE,
        )

    @admin.action(description=_("Valider les mesures sélectionnées"))
    def validate_selected(self, request, queryset):
        rows, skipped = self._split(queryset, "validate")
        if rows:
            try:
                validate_measurements(rows, by=request.user)
            except SERVICE_ERRORS as exc:
                self.message_user(
                    request,
                    gettext("Aucune mesure n'a été validée : %(error)s") % {"error": error_text(exc)},
                    messages.ERROR,
                )
                rows = []
        self._report(request, VALIDATED_MESSAGE, rows, skipped)

    def _with_reason(self, request, queryset, *, action, action_name, move, title, submit_label, done_message):
        """Ask for the reason on an intermediate page, then apply ``move(m, reason)``."""
        form = ReasonForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._each(request, queryset, action, lambda m: move(m, reason), done_message)
            return None
        request.current_app = self.admin_site.name
        rows, skipped = self._split(queryset, action)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "queryset": queryset,
            "rows": rows,
            "skipped": skipped,
            "action_name": action_name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "submit_label": submit_label,
            "media": self.media,
        }
        return TemplateResponse(request, self.reason_template, context)

    @admin.action(description=_("Renvoyer les mesures sélectionnées (avec un motif)"))
    def return_selected(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="return",
            action_name="return_selected",
            move=lambda m, reason: return_measurement(m, by=request.user, reason=reason),
            title=gettext("Renvoyer des mesures à l'organisation rapporteuse"),
            submit_label=gettext("Renvoyer"),
            done_message=RETURNED_MESSAGE,
        )

    @admin.action(description=_("Rouvrir les mesures validées sélectionnées (avec un motif)"))
    def reopen_selected(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="reopen",
            action_name="reopen_selected",
            move=lambda m, reason: reopen_measurement(m, by=request.user, reason=reason),
            title=gettext("Rouvrir des périodes validées"),
            submit_label=gettext("Rouvrir"),
            done_message=REOPENED_MESSAGE,
        )


@admin.register(PeriodTotal)
class PeriodTotalAdmin(ReadOnlyAdminMixin, SelectRelatedMixin, admin.ModelAdmin):
    """Stored validated totals behind the figures: kept by database triggers and rebuilt
    by ``manage.py rebuild_figures``; read here, never written by hand."""

    list_display = ("indicator", "region_key", "filiere_key", "period_start", "period_end", "row_count", "total")
    list_filter = ("period_end",)
    search_fields = ("indicator__code",)
    list_select_related = ("indicator",)
    ordering = ("indicator__code", "region_key", "filiere_key", "period_end", "period_start")


@admin.register(PublishedTotal)
class PublishedTotalAdmin(PeriodTotalAdmin):
    """The stored totals as the last open-data release copied them (what the public
    reads); replaced by each release, never written by hand."""


@admin.register(IndicatorComment)
class IndicatorCommentAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """The report's written comments, saved through the same service as the pages and
    the API (permission, version, history). Never deleted: rewritten, history kept."""

    service = staticmethod(save_indicator_comment)
    list_display = ("indicator", "year", "version", "updated_by", "updated_at")
    search_fields = ("indicator__code", "indicator__name", "text", "text_ar")
    list_filter = ("year", "indicator__axis")
    list_select_related = ("indicator", "updated_by")
    autocomplete_fields = ("indicator",)
    readonly_fields = ("version", "updated_by", "updated_at")
    ordering = ("indicator__code", "-year")

    def get_readonly_fields(self, request, obj=None):
        # The indicator and the year of a written comment never change.
        return (*self.readonly_fields, "indicator", "year") if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OpenDataRelease)
class OpenDataReleaseAdmin(ReadOnlyAdminMixin, SelectRelatedMixin, admin.ModelAdmin):
    """Open-data releases: read here, never added (publish from the open-data page,
    strategy.services.release_open_data), changed or deleted."""

    list_display = ("__str__", "number", "released_at", "released_by", "total_rows")
    search_fields = ("reason",)
    list_select_related = ("released_by",)
    ordering = ("-number",)
    readonly_fields = ("number", "released_at", "released_by", "reason", "indicators", "total_rows")


@admin.register(ReportPublication)
class ReportPublicationAdmin(ReadOnlyAdminMixin, SelectRelatedMixin, admin.ModelAdmin):
    """Published reports: read here, never added (publish from the report page), changed
    or deleted (the database refuses it too: strategy/db_rules.py)."""

    list_display = ("__str__", "kind", "year", "quarter", "edition", "as_of", "published_at", "published_by")
    list_filter = ("kind", "year")
    search_fields = ("reason", "sha256")
    list_select_related = ("published_by",)
    ordering = ("-published_at", "-pk")
    readonly_fields = (
        "kind",
        "year",
        "quarter",
        "edition",
        "as_of",
        "published_at",
        "published_by",
        "reason",
        "figures",
        "pdf",
        "sha256",
    )
