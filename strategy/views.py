"""Staff pages of the strategy: tree, indicators, measurements (entry, validation) and
the yearly performance report. Figures come from the querysets; state changes from
strategy.services."""

import copy
import datetime as dt
import re
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, TemplateView
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request

from artisanat import documents, permissions
from artisanat.api.pagination import MeasurementCursorPagination
from artisanat.charts import horizontal_bars, line_chart
from artisanat.dates import today
from artisanat.exceptions import InvalidParameter, StaleVersion, TransitionNotAllowed
from artisanat.history import AUTHOR_RELATED, author_label, history_entries
from artisanat.models import Filiere, Organisation, Region
from artisanat.pagination import OpenEndedPaginator
from artisanat.views import FilteredListView, RoleRequiredMixin
from strategy import figures, services
from strategy.choices import EDITABLE_STATUSES, TrajectoryStatus
from strategy.exports import INDICATOR_COLUMNS, MEASUREMENT_COLUMNS, MEASUREMENT_RELATED
from strategy.filtersets import IndicatorFilterSet, MeasurementFilterSet
from strategy.forms import MeasurementForm, ReasonForm, ReportForm, ScopeForm, VersionForm, refuse_invalid
from strategy.models import Action, Axis, Indicator, Measurement, Programme, Target
from strategy.querysets import measurement_history_visible_to, stored_breakdowns, stored_period_totals

WORKFLOW_ERRORS = (StaleVersion, TransitionNotAllowed, PermissionDenied)


def _message_of(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("Action refusée.")


def _redirect_back(request, default):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


class ScopeMixin:
    """``?as_of=`` (and phase, region, filière) for the figures of a page."""

    @cached_property
    def scope_form(self):
        return ScopeForm(self.request.GET or None)

    @property
    def as_of(self):
        return self.scope_form.values["as_of"] or today()

    def get(self, request, *args, **kwargs):
        """A scope the page cannot read (a bad date, an unknown region…) is refused (400
        naming it), not replaced by today or by no scope: the figures would say another
        thing than the one asked."""
        refuse_invalid(self.scope_form)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(scope_form=self.scope_form, as_of=self.as_of)
        return context


class ScopedListView(ScopeMixin, FilteredListView):
    """A filtered, exportable list whose figures take the page's scope (``?as_of=``…)."""


class StrategyTreeView(RoleRequiredMixin, ScopeMixin, TemplateView):
    """Axes → programmes → actions → indicators, each with its progress and status."""

    template_name = "strategy/strategy_tree.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        as_of, scope = self.as_of, self.scope_form.figure_kwargs()
        actions = Action.objects.select_related("lead_organisation", "phase")
        programmes = Programme.objects.with_rollup(as_of, **scope).prefetch_related(
            Prefetch("actions", queryset=actions)
        )
        axes = list(
            Axis.objects.visible_to(self.request.user)
            .with_rollup(as_of, **scope)
            .prefetch_related(Prefetch("programmes", queryset=programmes))
        )
        for axis in axes:
            axis.figures = axis.rollup
            axis.loose_indicators = [i for i in axis.figure_indicators if i.programme_id is None]
            for programme in axis.programmes.all():
                programme.figures = programme.rollup
        context["axes"] = axes
        return context


class IndicatorListView(ScopedListView):
    template_name = "strategy/indicator_list.html"
    filterset_class = IndicatorFilterSet
    filter_fields = ("q", "axis", "programme", "aggregation", "unit")
    scope_fields = ("status", "data_late", "phase", "region", "filiere", "sex", "actor_type")
    export_columns = INDICATOR_COLUMNS
    export_name = "indicateurs"

    def get_base_queryset(self):
        return (
            Indicator.objects.visible_to(self.request.user)
            .select_related("axis", "programme")
            .with_figures(self.as_of, **self.scope_form.figure_kwargs())
        )

    @property
    def status_filter(self):
        value = self.request.GET.get("status")
        return value if value in TrajectoryStatus.values else None

    @cached_property
    def data_late_filter(self):
        """``?data_late=1``: only the indicators whose next report is overdue (``0``: only
        the others); absent or empty: no filter; anything else is refused (400)."""
        value = self.request.GET.get("data_late", "")
        if value == "":
            return None
        choices = {"1": True, "true": True, "0": False, "false": False}
        if value not in choices:
            raise InvalidParameter("data_late", _("Valeur attendue : 1 (en retard) ou 0 (à jour)."))
        return choices[value]

    def filter_rows(self, queryset):
        """``?status=`` keeps the indicators whose trajectory status (a figure computed
        from the annotations) is that one; ``?data_late=`` those whose data are (not) late."""
        if self.status_filter is None and self.data_late_filter is None:
            return queryset
        return [
            indicator
            for indicator in queryset
            if (self.status_filter is None or indicator.status == self.status_filter)
            and (self.data_late_filter is None or indicator.data_late == self.data_late_filter)
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = self.scope_form.figure_kwargs()
        detail = {"as_of": self.as_of.isoformat()}
        detail.update((name, self.request.GET[name]) for name in ("phase", *scope) if self.request.GET.get(name))
        context.update(
            statuses=TrajectoryStatus.choices,
            status_filter=self.status_filter,
            data_late_filter=self.data_late_filter,
            # The indicator page in the same scope as the list.
            detail_query=urlencode({k: v for k, v in detail.items() if k != "target_date"}),
            # Targets are by region and filière only: by sex or actor type, values without progress.
            scope_without_targets=bool(scope.get("sex") or scope.get("actor_type")),
        )
        return context


# What the indicator page's measurement table renders (strategy/_breakdown.html and the
# state included): nothing else is read, and nothing is read later row by row.
MEASUREMENT_PAGE_FIELDS = (
    "id",
    "indicator_id",
    "period_start",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "sex",
    "actor_type",
    "status",
    "status_reason",
    "organisation__acronym",
    "organisation__name",
    "region__code",
    "region__name",
    "region__name_ar",
    "filiere__code",
    "filiere__name",
    "filiere__name_ar",
    "reported_by__username",
    # Who entered it, as the reader may know it (a partner: another organisation's people
    # as their organisation): artisanat.history.author_label.
    "reported_by__first_name",
    "reported_by__last_name",
    "reported_by__membership__organisation_id",
    "reported_by__membership__organisation__acronym",
)


class IndicatorDetailView(RoleRequiredMixin, ScopeMixin, TemplateView):
    template_name = "strategy/indicator_detail.html"
    # The latest measurements shown, newest first; "plus anciennes" pages back.
    MEASUREMENTS_PER_PAGE = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, as_of = self.request.user, self.as_of
        indicator = get_object_or_404(
            Indicator.objects.visible_to(user)
            .select_related("axis", "programme")
            .with_figures(as_of, **self.scope_form.figure_kwargs()),
            pk=kwargs["pk"],
        )
        targets = list(indicator.targets.select_related("region", "filiere").order_by("due_date"))
        national = [(t.due_date, t.value) for t in targets if t.region_id is None and t.filiere_id is None]
        scope = {k: v for k, v in self.scope_form.figure_kwargs().items() if k != "target_date"}
        totals = stored_period_totals(indicator, as_of, **scope)
        achieved = figures.achieved_series(indicator.aggregation, totals)
        forecast = None
        goal = (
            indicator.fig_next_target_value if indicator.fig_next_target_value is not None else indicator.target_value
        )
        if indicator.forecast_date and indicator.achieved is not None:
            forecast = [(indicator.fig_latest_end, indicator.achieved), (indicator.forecast_date, goal)]
        reporters = list(indicator.reporting_organisations.all())
        labels = {
            "region": _("Par région"),
            "filiere": _("Par filière"),
            "sex": _("Par sexe"),
            "actor_type": _("Par type d'acteur"),
        }
        stored = stored_breakdowns(indicator, indicator.dimensions, as_of)  # one query, every declared dimension
        arabic = self.request.LANGUAGE_CODE == "ar"
        breakdowns = []
        for dimension in indicator.dimensions:
            rows = stored[dimension]
            chart = horizontal_bars(
                [((r["name_ar"] if arabic and r["name_ar"] else r["name"]), r["achieved"]) for r in rows]
            )
            breakdowns.append({"dimension": dimension, "label": labels[dimension], "rows": rows, "chart": chart})
        # The achieved value at the end of each period, beside its row (at most one row
        # per month: 120 for ten years, whatever the number of measurements).
        achieved_at = dict(achieved)
        period_rows = [dict(row, achieved=achieved_at.get(row["period_end"])) for row in totals]
        measurements = self.latest_measurements(indicator)
        context.update(
            indicator=indicator,
            targets=targets,
            period_totals=totals,
            achieved_series=achieved,
            forecast=forecast,
            chart=line_chart(
                baseline=(indicator.baseline_date, indicator.baseline_value),
                targets=national,
                achieved=achieved,
                forecast=forecast,
                as_of=as_of,
            ),
            breakdowns=breakdowns,
            # A scoped figure without a target (or baseline) for its scope: values, no progress.
            scope_without_target=bool(scope) and (indicator.target_value is None or indicator.figure_baseline is None),
            period_rows=period_rows,
            reporters=reporters,
            may_report=Indicator.objects.reportable_one(user, [o.pk for o in reporters]),
            **measurements,
        )
        return context

    def latest_measurements(self, indicator):
        """The indicator's latest measurements (by id, newest first), one page of
        ``MEASUREMENTS_PER_PAGE`` with links to older and newer pages: the API's cursor
        pagination (a keyset on the id), so a page costs the same whatever the history
        and nothing counts the history. A forged cursor shows the latest page, with a
        notice."""
        user = self.request.user
        queryset = (
            Measurement.objects.visible_to(user)
            .filter(indicator=indicator)
            .select_related("organisation", "region", "filiere", "reported_by__membership__organisation")
            .only(*MEASUREMENT_PAGE_FIELDS)
        )
        paginator = MeasurementCursorPagination()
        paginator.page_size = self.MEASUREMENTS_PER_PAGE
        try:
            rows = paginator.paginate_queryset(queryset, Request(self.request))
        except DRFValidationError as error:
            for reasons in error.detail.values():
                messages.error(self.request, " ".join(str(reason) for reason in reasons))
            latest = copy.copy(self.request)
            latest.GET = self.request.GET.copy()
            latest.GET.pop(paginator.cursor_query_param, None)
            rows = paginator.paginate_queryset(queryset, Request(latest))
        for row in rows:
            row.author = author_label(row.reported_by, user, full_name=False)

        def relative(link):
            if not link:
                return None
            parts = urlsplit(link)
            return f"{parts.path}?{parts.query}" if parts.query else parts.path

        return {
            "measurements": rows,
            "older_measurements_url": relative(paginator.get_next_link()),
            "newer_measurements_url": relative(paginator.get_previous_link()),
        }


class IndicatorHistoryView(RoleRequiredMixin, TemplateView):
    """Who changed which value of the indicator (or its targets), when, and why."""

    template_name = "strategy/indicator_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        indicator = get_object_or_404(Indicator.objects.visible_to(user), pk=kwargs["pk"])
        measurement_rows = measurement_history_visible_to(
            Measurement.history.filter(indicator_id=indicator.pk).select_related(AUTHOR_RELATED), user
        )
        target_rows = Target.history.filter(indicator_id=indicator.pk).select_related(AUTHOR_RELATED)
        organisations = Organisation.objects.in_bulk()
        regions, filieres = Region.objects.in_bulk(), Filiere.objects.in_bulk()

        def measurement_label(r):
            parts = [f"{r.period_start:%d/%m/%Y}–{r.period_end:%d/%m/%Y}"]
            if r.region_id in regions:
                parts.append(regions[r.region_id].name)
            if r.filiere_id in filieres:
                parts.append(filieres[r.filiere_id].name)
            if r.sex:
                parts.append(r.sex)
            if r.actor_type:
                parts.append(r.actor_type)
            org = organisations.get(r.organisation_id)
            return " · ".join(parts) + (f" ({org.acronym})" if org else "")

        context.update(
            indicator=indicator,
            entries=history_entries(
                [*measurement_rows[:500], *target_rows[:200]],
                labels={Measurement: measurement_label, Target: lambda r: f"{r.due_date:%d/%m/%Y}"},
                viewer=user,
            ),
        )
        return context


class MeasurementListView(ScopedListView):
    template_name = "strategy/measurement_list.html"
    paginator_class = OpenEndedPaginator  # no COUNT(*) over the whole history on every page
    filterset_class = MeasurementFilterSet
    filter_fields = ("q", "status", "indicator", "organisation", "region", "filiere")
    export_columns = MEASUREMENT_COLUMNS
    export_name = "mesures"

    def get_base_queryset(self):
        return (
            Measurement.objects.visible_to(self.request.user)
            .select_related(*MEASUREMENT_RELATED, "reported_by")
            .order_by("-period_end", "indicator__code", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        page_ids = [m.pk for m in context["object_list"]]
        context["editable_ids"] = set(
            Measurement.objects.editable_by(user).filter(pk__in=page_ids).values_list("pk", flat=True)
        )
        context["may_record"] = permissions.can_record_measurements(user)
        context["may_validate"] = permissions.can_validate(user)
        return context


class MeasurementFormMixin(RoleRequiredMixin):
    required = "can_record_measurements"
    form_class = MeasurementForm
    template_name = "strategy/measurement_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        user, measurement = self.request.user, form.instance
        created = measurement.pk is None
        submit = self.request.POST.get("action") == "submit"
        try:
            with transaction.atomic():
                services.save_measurement(measurement, by=user, expected_version=form.cleaned_data.get("version"))
                if submit:
                    services.submit_measurement(measurement, by=user)
        except ValidationError as error:
            if created:
                measurement.pk = None
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return self.form_invalid(form)
        except WORKFLOW_ERRORS as error:
            if created:
                measurement.pk = None
            form.add_error(None, _message_of(error))
            return self.render_to_response(self.get_context_data(form=form), status=409)
        if submit:
            messages.success(self.request, _("Mesure enregistrée et soumise à validation."))
        else:
            messages.success(self.request, _("Mesure enregistrée comme brouillon."))
        return HttpResponseRedirect(reverse("strategy:measurement_update", args=[measurement.pk]))


class MeasurementCreateView(MeasurementFormMixin, FormView):
    def get_initial(self):
        initial = super().get_initial()
        if re.fullmatch(r"[0-9]{1,18}", self.request.GET.get("indicator", "")):
            initial["indicator"] = int(self.request.GET["indicator"])
        return initial


class MeasurementUpdateView(MeasurementFormMixin, FormView):
    """A measurement's page: its state, the reason it was returned, its history; the form
    while it is still draft or returned and ``user`` may change it."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and permissions.can_read(request.user):
            self.measurement = get_object_or_404(
                Measurement.objects.visible_to(request.user).select_related("indicator", "organisation"),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.measurement
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, m = self.request.user, self.measurement
        context.update(
            measurement=m,
            editable=Measurement.objects.editable_by(user).filter(pk=m.pk).exists(),
            may_validate=permissions.can_validate(user),
            submittable=m.status in EDITABLE_STATUSES,
            entries=history_entries(
                measurement_history_visible_to(m.history.select_related(AUTHOR_RELATED), user),
                labels={Measurement: lambda r: f"v{r.version}"},
                viewer=user,
            ),
            reason_form=ReasonForm(initial={"version": m.version}),
        )
        return context


class MeasurementEvidenceView(RoleRequiredMixin, View):
    """The measurement's evidence, for whoever may see the measurement (its own
    ``visible_to``: a partner never reads another organisation's draft), as an
    attachment that the browser never renders as a page of the portal."""

    def get(self, request, pk):
        measurement = get_object_or_404(
            Measurement.objects.visible_to(request.user).only("pk", "evidence", "evidence_name"), pk=pk
        )
        return documents.document_response(measurement.evidence, measurement.evidence_name)


class _WorkflowActionView(RoleRequiredMixin, View):
    """POST only: one service call on one measurement, then back to where it came from."""

    form_class = VersionForm
    success_message = ""

    def perform(self, measurement, form):
        raise NotImplementedError

    def post(self, request, pk):
        measurement = get_object_or_404(Measurement.objects.visible_to(request.user), pk=pk)
        form = self.form_class(request.POST)
        default = reverse("strategy:measurement_update", args=[pk])
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return _redirect_back(request, default)
        try:
            self.perform(measurement, form)
        except (ValidationError, *WORKFLOW_ERRORS) as error:
            messages.error(request, _message_of(error))
        else:
            messages.success(request, self.success_message % {"m": measurement})
        return _redirect_back(request, default)


class MeasurementSubmitView(_WorkflowActionView):
    required = "can_record_measurements"

    @property
    def success_message(self):
        return _("Mesure %(m)s soumise à validation.")

    def perform(self, measurement, form):
        services.submit_measurement(measurement, by=self.request.user, expected_version=form.cleaned_data["version"])


class MeasurementValidateView(_WorkflowActionView):
    required = "can_validate"

    @property
    def success_message(self):
        return _("Mesure %(m)s validée.")

    def perform(self, measurement, form):
        services.validate_measurement(
            measurement,
            by=self.request.user,
            comment=form.cleaned_data["comment"],
            expected_version=form.cleaned_data["version"],
        )


class MeasurementReturnView(_WorkflowActionView):
    required = "can_validate"
    form_class = ReasonForm

    @property
    def success_message(self):
        return _("Mesure %(m)s renvoyée avec son motif.")

    def perform(self, measurement, form):
        services.return_measurement(
            measurement,
            by=self.request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )


class MeasurementReopenView(_WorkflowActionView):
    """Unlock a validated period: validators only, with a reason."""

    required = "can_validate"
    form_class = ReasonForm

    @property
    def success_message(self):
        return _("Période de la mesure %(m)s rouverte ; elle est renvoyée pour correction.")

    def perform(self, measurement, form):
        services.reopen_measurement(
            measurement,
            by=self.request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )


class ValidationQueueView(ScopedListView):
    """Measurements waiting for validation: validate, return with a reason, or validate
    several at once. Validators only."""

    required = "can_validate"
    template_name = "strategy/validation_queue.html"
    filterset_class = MeasurementFilterSet
    filter_fields = ("q", "indicator", "organisation", "region", "filiere")
    export_columns = MEASUREMENT_COLUMNS
    export_name = "mesures-a-valider"

    def get_base_queryset(self):
        return (
            Measurement.objects.visible_to(self.request.user)
            .waiting_validation()
            .select_related(*MEASUREMENT_RELATED, "reported_by")
            .order_by("indicator__code", "period_end", "pk")
        )

    def post(self, request):
        # Each box carries "id:version": the validator validates the values they saw, and a
        # row changed meanwhile (returned, corrected, resubmitted) is refused, not validated.
        seen = {}
        for value in request.POST.getlist("ids"):
            match = re.fullmatch(r"([0-9]{1,18}):([0-9]{1,9})", value)
            if match:
                seen[int(match[1])] = int(match[2])
        rows = list(self.get_base_queryset().filter(pk__in=seen))
        for row in rows:
            row.expected_version = seen[row.pk]
        if not rows:
            messages.error(request, _("Cochez au moins une mesure à valider."))
        else:
            try:
                services.validate_measurements(rows, by=request.user, comment=request.POST.get("comment", ""))
            except (ValidationError, *WORKFLOW_ERRORS) as error:
                messages.error(request, _message_of(error))
            else:
                messages.success(
                    request,
                    ngettext("%(n)s mesure validée.", "%(n)s mesures validées.", len(rows)) % {"n": len(rows)},
                )
        return HttpResponseRedirect(request.get_full_path())


class ReportView(RoleRequiredMixin, TemplateView):
    """The yearly performance report in the LOF structure: programme → objective →
    indicator, with the actual value as of 31 December, the year's target and the next
    three years' targets. Printable (print stylesheet) in French and Arabic."""

    template_name = "strategy/report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = ReportForm(self.request.GET or None)
        year = form.year_value()
        as_of = dt.date(year, 12, 31)
        years = [year, year + 1, year + 2, year + 3]
        programmes = list(
            Programme.objects.visible_to(user)
            .with_rollup(as_of)
            .select_related("axis")
            .order_by("axis__number", "code")
        )
        loose = list(
            Indicator.objects.visible_to(user)
            .filter(programme__isnull=True)
            .select_related("axis")
            .with_figures(as_of)
            .order_by("axis__number", "code")
        )
        indicators = [i for p in programmes for i in p.figure_indicators] + loose
        targets = {}
        for t in (
            Target.objects.filter(
                Q(indicator__in=[i.pk for i in indicators]),
                region__isnull=True,
                filiere__isnull=True,
                due_date__year__in=years,
            )
            .order_by("due_date")
            .values("indicator_id", "due_date", "value")
        ):
            targets[(t["indicator_id"], t["due_date"].year)] = t["value"]  # the last one due in the year
        for indicator in indicators:
            indicator.year_targets = [targets.get((indicator.pk, y)) for y in years]
        for programme in programmes:
            programme.figures = programme.rollup
        context.update(form=form, year=year, as_of=as_of, years=years, programmes=programmes, loose=loose)
        return context
