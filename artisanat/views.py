"""Staff pages of the project package: the home dashboard and the organisations; and the
building blocks every app's pages use (role check, figure scope, filtered and
exportable lists)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView, TemplateView

from artisanat import permissions
from artisanat.charts import grouped_bars
from artisanat.dashboard import build_dashboard, scope_params
from artisanat.data_version import cached
from artisanat.exports import ORGANISATION_COLUMNS, export_response
from artisanat.filtersets import OrganisationFilterSet
from artisanat.forms import ScopeForm
from artisanat.models import Organisation

EXPORT_FORMATS = ("csv", "xlsx")


class RoleRequiredMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; a signed-in user whose role fails
    ``permissions.<required>`` gets 403 (default: any role may read)."""

    required = "can_read"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not getattr(permissions, self.required)(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ScopeMixin:
    """``?as_of=`` (and phase, region, filière) for the figures of a page."""

    @cached_property
    def scope_form(self):
        return ScopeForm(self.request.GET or None)

    @property
    def as_of(self):
        return self.scope_form.values["as_of"] or timezone.localdate()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(scope_form=self.scope_form, as_of=self.as_of)
        return context


class FilteredListView(RoleRequiredMixin, ScopeMixin, ListView):
    """A list through its FilterSet, exportable to CSV / XLSX with the same filters
    (``?format=csv`` or ``?format=xlsx``), paginated by 50."""

    filterset_class = None
    filter_fields = ()
    scope_fields = ()  # query parameters of the figure scope, rendered by the page itself
    export_columns = None
    export_name = "export"
    paginate_by = 50

    def get_base_queryset(self):
        raise NotImplementedError

    def get_filterset(self):
        return self.filterset_class(self.request.GET or None, queryset=self.get_base_queryset(), request=self.request)

    def filter_rows(self, queryset):
        """Last step on the filtered rows (e.g. a filter on a computed status)."""
        return queryset

    def get_queryset(self):
        self.filterset = self.get_filterset()
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.filterset.queryset.none()
        return self.filter_rows(self.filterset.qs)

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("format")
        if fmt in EXPORT_FORMATS and self.export_columns is not None:
            return export_response(self.get_queryset(), self.export_columns, fmt, self.export_name)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shown = set(self.filter_fields) | set(self.scope_fields) | {"as_of", "page", "format"}
        context.update(
            filterset=self.filterset,
            filter_fields=[self.filterset.form[name] for name in self.filter_fields],
            hidden_params=[
                (key, value)
                for key, values in self.request.GET.lists()
                if key not in shown
                for value in values
                if value
            ],
            exportable=self.export_columns is not None,
        )
        return context


class HomeView(RoleRequiredMixin, ScopeMixin, TemplateView):
    template_name = "artisanat/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = self.scope_form.values
        parts = (scope["as_of"] or self.as_of, scope["phase"], scope["region"], scope["filiere"])
        context["form"] = self.scope_form
        context["dashboard_html"] = cached("home", self.request.user, parts, self.render_dashboard)
        return context

    def render_dashboard(self):
        """The figures' part of the page, computed and rendered once per data version,
        reader, language and scope (artisanat/data_version.py)."""
        scope = self.scope_form.values
        dashboard = build_dashboard(
            self.request.user,
            scope["as_of"],
            phase=scope["phase"],
            region=scope["region"],
            filiere=scope["filiere"],
        )
        execution_chart = grouped_bars(
            [(str(row["year"]), [row["committed"], row["disbursed"]]) for row in dashboard.execution_by_year],
            series=[("committed", _("Engagé")), ("disbursed", _("Décaissé"))],
        )
        return render_to_string(
            "artisanat/home_dashboard.html",
            {"dashboard": dashboard, "execution_chart": execution_chart, "user": self.request.user},
        )


def _visible_contracts(user):
    from contracts.models import ContratProgramme

    return ContratProgramme.objects.visible_to(user)


class OrganisationListView(FilteredListView):
    template_name = "artisanat/organisation_list.html"
    filterset_class = OrganisationFilterSet
    filter_fields = ("q", "kind", "region", "active")
    export_columns = ORGANISATION_COLUMNS
    export_name = "organisations"

    def get_base_queryset(self):
        from contracts.models import Party
        from contracts.querysets import _scalar

        user = self.request.user
        parties = Party.objects.filter(organisation=OuterRef("pk"), contract__in=_visible_contracts(user).values("pk"))
        return (
            Organisation.objects.visible_to(user)
            .select_related("region")
            .annotate(
                contract_count=_scalar(parties, Count("contract", distinct=True)),
                indicator_count=Count("reported_indicators", distinct=True),
            )
            .order_by("acronym")
        )


class OrganisationDetailView(RoleRequiredMixin, ScopeMixin, TemplateView):
    template_name = "artisanat/organisation_detail.html"

    def get_context_data(self, **kwargs):
        from contracts.models import Milestone, Party
        from strategy.choices import MeasurementStatus
        from strategy.models import Indicator, Measurement

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
