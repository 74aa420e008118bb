"""The pages that span the apps: the home dashboard and the organisations."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from artisanat.charts import grouped_bars
from artisanat.data_version import cached
from artisanat.exports import ORGANISATION_COLUMNS
from artisanat.filtersets import OrganisationFilterSet
from artisanat.models import Organisation
from artisanat.querysets import scalar
from artisanat.views import FilteredListView, RoleRequiredMixin
from contracts.models import ContratProgramme, Milestone, Party
from portal.choices import ReminderKind
from portal.dashboard import build_dashboard, scope_params
from portal.exports import REMINDER_COLUMNS
from portal.filtersets import ReminderLogFilterSet
from portal.forms import PreferenceForm
from portal.models import ReminderLog, UserPreference
from portal.services import save_preference
from strategy.choices import MeasurementStatus
from strategy.models import Indicator, Measurement
from strategy.views import ScopedListView, ScopeMixin


class HomeView(RoleRequiredMixin, ScopeMixin, TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = self.scope_form.values
        parts = (self.as_of, scope["phase"], scope["region"], scope["filiere"])
        context["form"] = self.scope_form
        context["dashboard_html"] = cached("home", self.request.user, parts, self.render_dashboard)
        return context

    def render_dashboard(self):
        """The figures' part of the page, computed and rendered once per data version,
        reader, language and scope (artisanat/data_version.py)."""
        scope = self.scope_form.values
        dashboard = build_dashboard(
            self.request.user,
            self.as_of,
            phase=scope["phase"],
            region=scope["region"],
            filiere=scope["filiere"],
        )
        execution_chart = grouped_bars(
            [(str(row["year"]), [row["committed"], row["disbursed"]]) for row in dashboard.execution_by_year],
            series=[("committed", _("Engagé")), ("disbursed", _("Décaissé"))],
        )
        return render_to_string(
            "portal/home_dashboard.html",
            {"dashboard": dashboard, "execution_chart": execution_chart, "user": self.request.user},
        )


def _visible_contracts(user):
    return ContratProgramme.objects.visible_to(user)


class OrganisationListView(ScopedListView):
    template_name = "portal/organisation_list.html"
    filterset_class = OrganisationFilterSet
    filter_fields = ("q", "kind", "region", "active")
    export_columns = ORGANISATION_COLUMNS
    export_name = "organisations"

    def get_base_queryset(self):
        user = self.request.user
        parties = Party.objects.filter(organisation=OuterRef("pk"), contract__in=_visible_contracts(user).values("pk"))
        return (
            Organisation.objects.visible_to(user)
            .select_related("region")
            .annotate(
                contract_count=scalar(parties, Count("contract", distinct=True)),
                indicator_count=Count("reported_indicators", distinct=True),
            )
            .order_by("acronym")
        )


class OrganisationDetailView(RoleRequiredMixin, ScopeMixin, TemplateView):
    template_name = "portal/organisation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, as_of = self.request.user, self.as_of
        organisation = get_object_or_404(
            Organisation.objects.visible_to(user).select_related("region"), pk=kwargs["pk"]
        )
        contracts = (
            _visible_contracts(user)
            .filter(Exists(Party.objects.filter(contract=OuterRef("pk"), organisation=organisation)))
            .with_execution(as_of)
            .select_related("phase", "filiere")
        )
        by_status = dict(
            Measurement.objects.visible_to(user)
            .filter(organisation=organisation)
            .order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        context.update(
            organisation=organisation,
            contracts=list(contracts),
            indicators=list(
                Indicator.objects.visible_to(user).filter(reporting_organisations=organisation).with_figures(as_of)
            ),
            reports=[(value, label, by_status.get(value, 0)) for value, label in MeasurementStatus.choices],
            late_milestones=list(
                Milestone.objects.visible_to(user)
                .filter(responsible=organisation)
                .late(as_of)
                .select_related("contract")
            ),
            scope_query=scope_params(as_of=self.scope_form.values["as_of"]),
        )
        return context


# -- reminders (portal/reminders.py) ------------------------------------------------------

REMINDER_RELATED = ("recipient", "indicator", "organisation", "region")


class NotificationsView(RoleRequiredMixin, FormView):
    """ "Mes notifications": the language of one's emails, the optional reminders on or
    off, and the last reminders one received."""

    template_name = "portal/notifications.html"
    form_class = PreferenceForm
    recent = 20

    def get_initial(self):
        preference = UserPreference.objects.filter(user=self.request.user).first()
        if preference is None:
            return {"language": settings.LANGUAGE_CODE, "reminders_enabled": True}
        return {"language": preference.language, "reminders_enabled": preference.reminders_enabled}

    def form_valid(self, form):
        save_preference(self.request.user, **form.cleaned_data)
        messages.success(self.request, _("Vos préférences de notification sont enregistrées."))
        return redirect("portal:notifications")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reminders"] = list(
            ReminderLog.objects.filter(recipient=self.request.user)
            .select_related(*REMINDER_RELATED)
            .order_by("-claimed_at", "-pk")[: self.recent]
        )
        context["mandatory_kinds"] = [ReminderKind.DUE.label, ReminderKind.ESCALATION.label]
        return context


class ReminderHistoryView(FilteredListView):
    """ "Historique des rappels": every reminder sent, for the ministry (a partner sees
    only its own, in "Mes notifications")."""

    required = "is_ministry"
    template_name = "portal/reminder_history.html"
    filterset_class = ReminderLogFilterSet
    filter_fields = ("q", "kind", "status", "organisation", "indicator", "due_after", "due_before")
    export_columns = REMINDER_COLUMNS
    export_name = "rappels"

    def get_base_queryset(self):
        return (
            ReminderLog.objects.visible_to(self.request.user)
            .select_related(*REMINDER_RELATED)
            .order_by("-claimed_at", "-pk")
        )
