"""The pages that span the apps: the home dashboard, the organisations and the
reporting calendar."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import FormView, TemplateView

from artisanat.charts import grouped_bars
from artisanat.data_version import cached
from artisanat.dates import today
from artisanat.exports import ORGANISATION_COLUMNS, export_response
from artisanat.filtersets import OrganisationFilterSet
from artisanat.forms import AsOfForm
from artisanat.models import Organisation, Region
from artisanat.permissions import is_ministry, organisation_id_of, role_of
from artisanat.querysets import scalar
from artisanat.views import EXPORT_FORMATS, FilteredListView, RoleRequiredMixin
from contracts.models import ContratProgramme, Milestone, Party
from portal import calendar
from portal.choices import ReminderKind
from portal.dashboard import build_dashboard, scope_params
from portal.exports import REMINDER_COLUMNS
from portal.filtersets import ReminderLogFilterSet
from portal.forms import CalendarForm, PreferenceForm
from portal.models import ReminderLog, UserPreference
from portal.services import save_preference
from strategy.calendar import overdue
from strategy.choices import MeasurementStatus
from strategy.forms import refuse_invalid
from strategy.models import Action, Axis, Indicator, Measurement, Phase
from strategy.querysets import attach_phase_rollups, phase_as_of
from strategy.views import ScopedListView, ScopeMixin


class HomeView(RoleRequiredMixin, ScopeMixin, TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.scope_form.figure_kwargs()  # a combination of dimensions that is not stored: 400
        scope = self.scope_form.values
        # The role and today's date too: "what waits for my action" is by role (an editor
        # and a viewer share the figures' reader key) and the queue's age counts days.
        parts = (
            self.as_of,
            scope["phase"],
            scope["region"],
            scope["filiere"],
            scope["sex"],
            scope["actor_type"],
            role_of(self.request.user),
            today(),
        )
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
            unit=pgettext_lazy("currency", "M DH"),
            divisor=10**6,
            planned={str(row["year"]) for row in dashboard.execution_by_year if row["year"] > self.as_of.year},
            planned_name=_("Prévu (années à venir)"),
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
    ordering_fields = {
        "acronym": ("acronym",),
        "name": ("name",),
        "kind": ("kind", "acronym"),
        "region": ("region__code", "acronym"),
        "contracts": ("contract_count", "acronym"),
        "indicators": ("indicator_count", "acronym"),
    }
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
            **self.reporting(organisation),
        )
        return context

    def reporting(self, organisation):
        """The reporting calendar's card: the organisation's completeness, timeliness and
        overdue reports, when the reader may see its calendar (a partner: its own only)."""
        user = self.request.user
        if not (is_ministry(user) or organisation_id_of(user) == organisation.pk):
            return {"reporting": None}
        _as_of, reports = calendar.calendar_reports(user, {"as_of": self.as_of, "organisation": organisation.pk})
        return {
            "reporting": calendar.summary(reports),
            "reporting_query": scope_params(as_of=self.scope_form.values["as_of"], organisation=organisation.pk),
        }


class CalendarView(RoleRequiredMixin, TemplateView):
    """ "Calendrier de rapportage": the grid organisations × periods with the state of
    each expected report, completeness and timeliness per row, column and overall, the
    overdue list; ``?format=csv|xlsx`` exports the same reports (portal/calendar.py)."""

    template_name = "portal/calendar.html"

    def get(self, request, *args, **kwargs):
        self.form = CalendarForm(request.GET or None)
        refuse_invalid(self.form)
        self.as_of, self.reports = calendar.calendar_reports(request.user, self.form.values)
        fmt = request.GET.get("format")
        if fmt in EXPORT_FORMATS:
            codes = dict(Region.objects.values_list("pk", "code"))
            return export_response(self.reports, calendar.export_columns(codes), fmt, "calendrier-rapportage")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        values = self.form.values
        self.form.fill_choices(self.request.user)
        by_indicator = bool(values["detail"] or values["organisation"] or values["indicator"])
        context.update(
            form=self.form,
            as_of=self.as_of,
            grid=calendar.build_grid(self.reports, by_indicator=by_indicator, by_period=values["year"] is not None),
            overdue=overdue(self.reports),
            by_indicator=by_indicator,
            states=[(state.value, state.label) for state in calendar.WORST_FIRST]
            + [(calendar.NOT_EXPECTED, calendar.NOT_EXPECTED_LABEL)],
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


class PhaseDetailView(RoleRequiredMixin, TemplateView):
    """A phase's page: its dates and time elapsed, its strategy's indicators scoped to it
    (strategy.querysets.phase_scope: the targets due at its end, the values as of the
    date or of its end once it is over), their roll-up, and the contracts and actions of
    the phase. A closed phase shows the score it ended with, not a live status. In the
    portal because it shows contracts."""

    template_name = "portal/phase_detail.html"

    @cached_property
    def form(self):
        return AsOfForm(self.request.GET or None)

    def get(self, request, *args, **kwargs):
        refuse_invalid(self.form)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        asked = self.form.cleaned_data.get("as_of") if self.form.is_bound else None
        as_of = asked or today()
        phase = get_object_or_404(Phase.objects.visible_to(user).select_related("strategy"), pk=kwargs["pk"])
        siblings = list(Phase.objects.visible_to(user).filter(strategy=phase.strategy_id))
        position = next(n for n, p in enumerate(siblings) if p.pk == phase.pk)
        attach_phase_rollups([phase], as_of)
        axes = {axis.pk: axis for axis in Axis.objects.visible_to(user).filter(strategy=phase.strategy_id)}
        rows = sorted(
            ((axes.get(i.axis_id), i) for i in phase.figure_indicators if i.axis_id in axes),
            key=lambda row: (row[0].number, row[1].code),
        )
        context.update(
            form=self.form,
            as_of=as_of,
            phase=phase,
            figures_as_of=phase_as_of(as_of, phase.end_date),
            state="closed" if phase.end_date < as_of else "open" if phase.start_date <= as_of else "future",
            elapsed=phase.elapsed_share(as_of) * 100,
            previous_phase=siblings[position - 1] if position > 0 else None,
            next_phase=siblings[position + 1] if position + 1 < len(siblings) else None,
            measured=[(axis, i) for axis, i in rows if not i.without_phase_target],
            unmeasured=[(axis, i) for axis, i in rows if i.without_phase_target],
            contracts=list(
                _visible_contracts(user).filter(phase=phase).with_execution(as_of).select_related("filiere")
            ),
            actions=list(
                Action.objects.visible_to(user)
                .filter(phase=phase)
                .with_progress(as_of)
                .select_related("programme", "lead_organisation")
                .order_by("programme__code", "code")
            ),
            scope_query=scope_params(as_of=asked),
        )
        return context
