"""The pages that span the apps: the home dashboard and the organisations."""

from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from artisanat.charts import grouped_bars
from artisanat.data_version import cached
from artisanat.exports import ORGANISATION_COLUMNS
from artisanat.filtersets import OrganisationFilterSet
from artisanat.models import Organisation
from artisanat.querysets import scalar
from artisanat.views import RoleRequiredMixin
from contracts.models import ContratProgramme, Milestone, Party
from portal.dashboard import build_dashboard, scope_params
from strategy.choices import MeasurementStatus
from strategy.models import Indicator, Measurement
from strategy.views import ScopedListView, ScopeMixin


class HomeView(RoleRequiredMixin, ScopeMixin, TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.scope_form.figure_kwargs()  # a combination of dimensions that is not stored: 400
        scope = self.scope_form.values
        parts = (self.as_of, scope["phase"], scope["region"], scope["filiere"], scope["sex"], scope["actor_type"])
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
            sex=scope["sex"],
            actor_type=scope["actor_type"],
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
