"""Staff pages of the strategy: tree, indicators, measurements (entry, validation) and
the yearly performance report. Figures come from the querysets; state changes from
strategy.services."""

import copy
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, ListView, TemplateView
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request

from artisanat import documents, permissions
from artisanat.api.pagination import MeasurementCursorPagination
from artisanat.charts import horizontal_bars, line_chart
from artisanat.dates import today
from artisanat.exceptions import InvalidParameter, StaleVersion, TransitionNotAllowed
from artisanat.exports import CONTENT_TYPES as EXPORT_CONTENT_TYPES
from artisanat.exports import export_response
from artisanat.forms import decimal_text, french_decimal, read_version
from artisanat.history import AUTHOR_RELATED, author_label, history_entries
from artisanat.maps import region_map_context
from artisanat.models import Filiere, Organisation, Region
from artisanat.pagination import OpenEndedPaginator
from artisanat.templatetags.portal import local
from artisanat.views import (
    EXPORT_FORMATS,
    FilteredListView,
    RoleRequiredMixin,
    ServiceDeleteView,
    ServiceEditView,
    compare,
)
from strategy import figures, reports, services, sheet
from strategy.calendar import calendar_visible_to, rates_by
from strategy.choices import EDITABLE_STATUSES, UNIT_SYMBOLS, MeasurementStatus, TrajectoryStatus
from strategy.exports import ACTION_COLUMNS, INDICATOR_COLUMNS, MEASUREMENT_COLUMNS, MEASUREMENT_RELATED
from strategy.filtersets import ActionFilterSet, IndicatorFilterSet, MeasurementFilterSet
from strategy.forms import (
    ActionForm,
    IndicatorCommentForm,
    IndicatorForm,
    MeasurementForm,
    ProgrammeForm,
    PublishForm,
    ReasonForm,
    ReleaseForm,
    ReportForm,
    ScopeForm,
    SheetUploadForm,
    TargetGridForm,
    VersionForm,
    amount_text,
    refuse_invalid,
)
from strategy.models import (
    Action,
    Axis,
    Indicator,
    IndicatorComment,
    Measurement,
    OpenDataRelease,
    Phase,
    Programme,
    ReportPublication,
    Target,
)
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
        # Each action's progress reads its milestone counts (annotations) and its
        # indicators, taken from its programme's, already read with their figures.
        actions = Action.objects.with_milestone_counts(as_of).select_related("lead_organisation", "phase")
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
                programme.loose_indicators = [i for i in programme.figure_indicators if i.action_id is None]
                for action in programme.actions.all():
                    action.figure_indicators = [i for i in programme.figure_indicators if i.action_id == action.pk]
        context.update(axes=axes, may_edit=permissions.can_edit_strategy(self.request.user))
        return context


class IndicatorListView(ScopedListView):
    template_name = "strategy/indicator_list.html"
    filterset_class = IndicatorFilterSet
    filter_fields = ("q", "axis", "programme", "aggregation", "unit")
    scope_fields = ("status", "data_late", "phase", "region", "filiere", "sex", "actor_type")
    ordering_fields = {
        "code": ("code",),
        "name": ("name",),
        "axis": ("axis__number", "code"),
        "unit": ("unit", "code"),
        "latest": ("fig_latest_end", "code"),
    }
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

    def chip(self, key, value):
        if key == "status" and self.status_filter is not None:
            return _("Statut"), TrajectoryStatus(self.status_filter).label
        if key == "data_late" and self.data_late_filter is not None:
            return _("Données"), _("En retard") if self.data_late_filter else _("À jour")
        return super().chip(key, value)

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
            .select_related("axis", "programme", "action")
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
        region_map = self.region_map(indicator, stored["region"], targets, as_of) if "region" in stored else None
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
                unit=indicator.get_unit_display(),
            ),
            breakdowns=breakdowns,
            region_map=region_map,
            # The scope form keeps the map asked for.
            extra_params=[("map", region_map["kind"])] if region_map and region_map["kind"] != "value" else [],
            # A scoped figure without a target (or baseline) for its scope: values, no progress.
            scope_without_target=bool(scope) and (indicator.target_value is None or indicator.figure_baseline is None),
            period_rows=period_rows,
            reporters=reporters,
            may_report=Indicator.objects.reportable_one(user, [o.pk for o in reporters]),
            may_edit=permissions.can_edit_strategy(user),
            **measurements,
        )
        return context

    #: ``?map=``: what the region map colours (the regional figure's value by default).
    MAP_KINDS = ("value", "progress", "completeness")

    def region_map(self, indicator, rows, targets, as_of):
        """The map of the regional figure (artisanat/maps.py): its value (the breakdown's
        achieved value), its progress (each region's value against its own target: the
        one due on the phase's end when a phase is asked, else its last; from the scoped
        baseline, strategy.figures.regional_progress), or the completeness of its reports
        by region (strategy.calendar: the reports owed by regional organisations). The
        region names come from the scope form's query: the value and progress maps read
        nothing more; the completeness map reads the calendar (its three queries)."""
        kind = self.request.GET.get("map") or "value"
        if kind not in self.MAP_KINDS:
            raise InvalidParameter("map", _("Carte inconnue : valeur, avancement ou complétude."))
        achieved = {r["code"]: r["achieved"] for r in rows}
        target_date = self.scope_form.figure_kwargs().get("target_date")
        own_target = {}  # targets are ordered by due date: the last one stays
        for t in targets:
            if t.region_id and not t.filiere_id and (target_date is None or t.due_date == target_date):
                own_target[t.region.code] = t.value
        progress = figures.regional_progress(
            indicator.aggregation, indicator.baseline_value, indicator.direction, achieved, own_target
        )
        unit = UNIT_SYMBOLS.get(indicator.unit, "")
        if kind == "progress":
            values, title, unit = progress, _("Avancement par région"), "%"
        elif kind == "completeness":
            reports = calendar_visible_to(
                self.request.user, as_of, indicators=Indicator.objects.filter(pk=indicator.pk)
            )
            codes = self.scope_form.region_codes()
            values = {
                codes[region]: r.completeness
                for region, r in rates_by(reports, key=lambda report: report.region_id).items()
                if region in codes
            }
            title, unit = _("Complétude des rapports par région"), "%"
        else:
            values, title = achieved, _("Réalisé par région")
        query = self.request.GET.copy()
        choices = []
        for key, label in (
            ("value", _("Valeur")),
            ("progress", _("Avancement")),
            ("completeness", _("Complétude des rapports")),
        ):
            if key == "progress" and kind != "progress" and not any(v is not None for v in progress.values()):
                continue  # no region has a target it can be measured against
            query["map"] = key
            choices.append({"kind": key, "label": label, "query": query.urlencode(), "current": key == kind})
        return {
            "kind": kind,
            "choices": choices,
            **region_map_context(
                values,
                title=title,
                unit=unit,
                legend_label=f"{title} ({indicator.get_unit_display()})" if kind == "value" else title,
                names=self.scope_form.region_names(),
                map_id=f"map-{kind}",
            ),
        }

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
            latest.GET.pop(paginator.page_size_query_param, None)  # ?page_size=abc: the page's own size
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
    ordering_fields = {"period": ("period_end", "period_start")}
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
                services.save_measurement(
                    measurement,
                    by=user,
                    reason=form.cleaned_data.get("change_reason", ""),
                    expected_version=form.cleaned_data.get("version"),
                )
                if submit:
                    services.submit_measurement(measurement, by=user)
        except ValidationError as error:
            if created:
                measurement.pk = None
            form.add_error(None, error)  # each column's errors beside its field (MeasurementForm.add_error)
            return self.form_invalid(form)
        except WORKFLOW_ERRORS as error:
            if not created:
                return self.refused(form, error)
            measurement.pk = None
            form.add_error(None, _message_of(error))
            return self.render_to_response(self.get_context_data(form=form), status=409)
        # The value as stored, the way the person reads it ("1 234,50 MDH").
        stored = {"value": amount_text(measurement, UNIT_SYMBOLS.get(measurement.indicator.unit, ""))}
        if submit:
            messages.success(self.request, _("Mesure enregistrée et soumise à validation : %(value)s.") % stored)
        else:
            messages.success(self.request, _("Mesure enregistrée comme brouillon : %(value)s.") % stored)
        return HttpResponseRedirect(reverse("strategy:measurement_update", args=[measurement.pk]))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        # What static/js/entry.js needs to show the previous value when the period or
        # the breakdown changes (json_script: no inline script). A callable: the template
        # calls it only where it draws the form (not on a row the reader cannot change).
        if form.indicator is not None:
            context["entry_data"] = lambda: {"previous": form.previous_values()}
        else:
            context["entry_data"] = None
        return context

    def refused(self, form, error):
        """409 on a change made meanwhile by someone else (stale version) or on a row that
        can no longer change (validated, submitted): the row as stored now beside what
        was typed; the page shows the stored row, the form keeps the typed values and
        carries the current version (sending it again is a deliberate overwrite)."""
        rows = Measurement.objects.select_related("indicator", "organisation")
        self.measurement = rows.get(pk=form.instance.pk)
        data = self.request.POST.copy()
        data["version"] = self.measurement.version
        again = self.form_class(
            data, self.request.FILES, instance=rows.get(pk=form.instance.pk), user=self.request.user
        )
        context = self.get_context_data(
            form=again, conflict=compare(form, self.measurement), conflict_message=_message_of(error)
        )
        return self.render_to_response(context, status=409)


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
        kwargs["instance"] = copy.copy(self.measurement)  # the page shows the stored row, not what was typed
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
            stored_value=amount_text(m, UNIT_SYMBOLS.get(m.indicator.unit, "")),
        )
        context.update(validation_context(m, user))
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

    def done_url(self, measurement):
        """Where to go once the move is made (without ``next``): the measurement's page."""
        return reverse("strategy:measurement_update", args=[measurement.pk])

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
            default = self.done_url(measurement)
        return _redirect_back(request, default)


class _DecisionView(_WorkflowActionView):
    """Validate or return: once decided, on to the next row of the validation queue
    (the queue itself when it is empty)."""

    required = "can_validate"

    def done_url(self, measurement):
        return next_in_queue_url(measurement, self.request.user)


class MeasurementSubmitView(_WorkflowActionView):
    required = "can_record_measurements"

    @property
    def success_message(self):
        return _("Mesure %(m)s soumise à validation.")

    def perform(self, measurement, form):
        services.submit_measurement(measurement, by=self.request.user, expected_version=form.cleaned_data["version"])


class MeasurementValidateView(_DecisionView):
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


class MeasurementReturnView(_DecisionView):
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


def validation_rows(user):
    """The validation queue as ``user`` sees it: submitted rows, oldest submission first,
    each with what a validator judges it by (``with_validation_context``, counted to
    today) — in the query that reads them."""
    return (
        Measurement.objects.visible_to(user)
        .waiting_validation()
        .select_related(*MEASUREMENT_RELATED, "reported_by")
        .with_validation_context(today())
        .queue_order()
    )


def next_in_queue(measurement, user):
    """The id of the row after ``measurement`` in ``user``'s validation queue, or None."""
    rows = Measurement.objects.visible_to(user).waiting_validation().after_in_queue(measurement)
    return rows.values_list("pk", flat=True).first()


def next_in_queue_url(measurement, user):
    following = next_in_queue(measurement, user)
    if following is None:
        return reverse("strategy:validation_queue")
    return reverse("strategy:measurement_update", args=[following])


def validation_context(measurement, user):
    """What the measurement page adds for a validator looking at a submitted row: the row
    with its validation context (``validation``: previous value, change, target,
    evidence, age — the queue's definitions), whether the four-eyes rule keeps ``user``
    from validating it (``validation_refused``) and the next row of the queue
    (``queue_next``). Nothing for anyone else or any other state."""
    if measurement.status != MeasurementStatus.SUBMITTED or not permissions.can_validate(user):
        return {}
    row = validation_rows(user).filter(pk=measurement.pk).first()
    if row is None:
        return {}
    return {
        "validation": row,
        "validation_refused": row.pk in services.not_validatable_by([row], user),
        "queue_next": next_in_queue(row, user),
    }


class ValidationQueueView(ScopedListView):
    """Measurements waiting for validation, oldest first, each with what a validator
    judges it by; one form for the page: tick rows, then validate them or return them
    with one reason. Validators only."""

    required = "can_validate"
    template_name = "strategy/validation_queue.html"
    filterset_class = MeasurementFilterSet
    # No select of every indicator (hundreds of options on every answer): the search
    # finds an indicator by code or name, and ?indicator= still filters.
    filter_fields = ("q", "organisation", "region", "filiere")
    export_columns = MEASUREMENT_COLUMNS
    export_name = "mesures-a-valider"

    def get_base_queryset(self):
        return validation_rows(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = context["object_list"]
        refused = services.not_validatable_by(rows, self.request.user)
        for row in rows:
            row.refused = row.pk in refused
        context["selectable"] = len(rows) - len(refused)
        return context

    def post(self, request):
        # Each box carries "id:version": the validator decides on the values they saw, and a
        # row changed meanwhile (returned, corrected, resubmitted) is refused, not decided.
        action = request.POST.get("action") or "validate"
        seen = {}
        for value in request.POST.getlist("ids"):
            match = re.fullmatch(r"([0-9]{1,18}):([0-9]{1,9})", value)
            if match:
                seen[int(match[1])] = int(match[2])
        rows = list(Measurement.objects.visible_to(request.user).waiting_validation().filter(pk__in=seen))
        for row in rows:
            row.expected_version = seen[row.pk]
        comment = request.POST.get("comment", "")
        if action not in ("validate", "return"):
            messages.error(request, _("Action inconnue."))
        elif not rows:
            messages.error(request, _("Cochez au moins une mesure en attente."))
        else:
            try:
                if action == "return":
                    services.return_measurements(rows, by=request.user, reason=comment)
                else:
                    services.validate_measurements(rows, by=request.user, comment=comment)
            except (ValidationError, *WORKFLOW_ERRORS) as error:
                messages.error(request, _message_of(error))
            else:
                n = len(rows)
                if action == "return":
                    text = ngettext(
                        "%(n)s mesure renvoyée avec son motif.", "%(n)s mesures renvoyées avec leur motif.", n
                    )
                else:
                    text = ngettext("%(n)s mesure validée.", "%(n)s mesures validées.", n)
                messages.success(request, text % {"n": n})
                gone = len(seen) - n
                if gone:
                    messages.warning(
                        request,
                        ngettext(
                            "%(n)s mesure cochée n'était plus en attente : elle a été laissée de côté.",
                            "%(n)s mesures cochées n'étaient plus en attente : elles ont été laissées de côté.",
                            gone,
                        )
                        % {"n": gone},
                    )
        return HttpResponseRedirect(request.get_full_path())


class ReportView(RoleRequiredMixin, TemplateView):
    """The performance report in the LOF structure: programme → objective → indicator,
    with the value achieved as of the report's date (31 December, or the quarter's end
    for a quarterly review), the year's target and the next three years', the status
    and the comment written for the year. Printable (print stylesheet) in French and
    Arabic; ``?format=csv|xlsx`` exports the same rows; validators publish (freeze) it.
    The rows come from strategy.reports.build_report, like the exports, the PDF and the
    publications."""

    template_name = "strategy/report.html"

    def get(self, request, *args, **kwargs):
        self.form = ReportForm(request.GET or None)
        self.spec = self.form.spec()
        fmt = request.GET.get("format")
        if fmt is not None:
            if fmt not in EXPORT_FORMATS:
                raise InvalidParameter("format", _("Format inconnu : choisissez csv ou xlsx."))
            report = reports.build_report(self.spec, request.user)
            return export_response(
                reports.export_rows(report), reports.export_columns(report), fmt, self.spec.export_name
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, spec = self.request.user, self.spec
        report = reports.labelled(reports.build_report(spec, user))
        context.update(
            form=self.form,
            spec=spec,
            report=report,
            year=spec.year,
            as_of=spec.as_of,
            years=spec.years,
            may_comment=permissions.can_edit_strategy(user),
            may_publish=permissions.can_validate(user),
            publish_form=PublishForm(initial={"reason": ""}),
            editions=list(
                ReportPublication.objects.visible_to(user)
                .filter(kind=spec.kind, year=spec.year, quarter=spec.quarter)
                .order_by("-edition")
                .only("pk", "edition", "published_at")
            ),
            export_query={**spec.query},
        )
        return context


def _comment_history(comment, user):
    if comment is None:
        return []
    return history_entries(
        IndicatorComment.history.filter(id=comment.pk).select_related(AUTHOR_RELATED),
        labels={IndicatorComment: lambda r: f"v{r.version}"},
        viewer=user,
    )


class IndicatorCommentView(RoleRequiredMixin, TemplateView):
    """The comment of one indicator for one reporting year, with its history: readers
    read it; editors, validators and administrators write it (reached from the report's
    row, "Rédiger le commentaire")."""

    template_name = "strategy/indicator_comment.html"

    def setup_comment(self, request, indicator_pk, year):
        self.indicator = get_object_or_404(Indicator.objects.visible_to(request.user), pk=indicator_pk)
        first, last = reports.strategy_years()
        if not first <= year <= last:
            raise Http404(_("Année hors de la stratégie."))
        self.year = year
        self.comment = (
            IndicatorComment.objects.visible_to(request.user).filter(indicator=self.indicator, year=year).first()
        )

    def get(self, request, indicator, year):
        self.setup_comment(request, indicator, year)
        form = self.make_form() if permissions.can_edit_strategy(request.user) else None
        return self.render_to_response(self.get_context_data(form=form))

    def make_form(self, data=None):
        # A copy: the page shows the stored comment, never what a refused form typed.
        instance = (
            copy.copy(self.comment) if self.comment else IndicatorComment(indicator=self.indicator, year=self.year)
        )
        return IndicatorCommentForm(data, instance=instance)

    def post(self, request, indicator, year):
        if not permissions.can_edit_strategy(request.user):
            raise PermissionDenied
        self.setup_comment(request, indicator, year)
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        comment = form.instance
        created = comment.pk is None
        try:
            services.save_indicator_comment(
                comment,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            if created:
                comment.pk = None
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        except WORKFLOW_ERRORS as error:
            if created:
                comment.pk = None
                form.add_error(None, _message_of(error))
                return self.render_to_response(self.get_context_data(form=form), status=409)
            return self.refused(form, error)
        messages.success(request, _("Commentaire enregistré."))
        return HttpResponseRedirect(f"{reverse('strategy:report')}?year={self.year}#ind-{self.indicator.code}")

    def refused(self, form, error):
        """409 (a change made meanwhile, a role refused): the comment as stored now beside
        what was typed; the form keeps the typed text and carries the current version."""
        self.comment = IndicatorComment.objects.get(pk=form.instance.pk)
        data = self.request.POST.copy()
        data["version"] = self.comment.version
        again = IndicatorCommentForm(data, instance=IndicatorComment.objects.get(pk=self.comment.pk))
        context = self.get_context_data(
            form=again, conflict=compare(form, self.comment), conflict_message=_message_of(error)
        )
        return self.render_to_response(context, status=409)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            indicator=self.indicator,
            year=self.year,
            comment=self.comment,
            entries=_comment_history(self.comment, self.request.user),
        )
        return context


class ReportPublishView(RoleRequiredMixin, View):
    """POST only: publish (freeze) the report read on the page, with a reason;
    validators and administrators."""

    required = "can_validate"

    def post(self, request):
        form = PublishForm(request.POST)
        spec = ReportForm({k: v for k, v in request.POST.items() if k in ("year", "quarter") and v}).spec()
        back = f"{reverse('strategy:report')}?{urlencode(spec.query)}"
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return HttpResponseRedirect(back)
        try:
            publication = services.publish_report(spec, by=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _message_of(error))
            return HttpResponseRedirect(back)
        except IntegrityError:  # two publications of the same report at the same moment: one edition each, retry
            messages.error(request, _("Ce rapport vient d'être publié par quelqu'un d'autre : rechargez et réessayez."))
            return HttpResponseRedirect(back)
        messages.success(
            request,
            _("%(t)s publié (édition %(n)s) : ses chiffres et son PDF sont figés.")
            % {
                "t": publication.title,
                "n": publication.edition,
            },
        )
        return HttpResponseRedirect(reverse("strategy:publication_detail", args=[publication.pk]))


class OpenDataView(RoleRequiredMixin, TemplateView):
    """Données ouvertes: the indicators marked public and from when, what changed since
    the last release (indicators added or withdrawn, validated values not yet
    published), the last releases, and the form that publishes (validators and
    administrators: strategy.services.release_open_data). Ministry roles read it."""

    template_name = "strategy/open_data.html"
    required = "is_ministry"
    RELEASES_SHOWN = 10

    def post(self, request):
        if not permissions.can_validate(request.user):
            raise PermissionDenied
        form = ReleaseForm(request.POST)
        if form.is_valid():
            try:
                release = services.release_open_data(
                    by=request.user, reason=form.cleaned_data["reason"], after=form.cleaned_data["after"]
                )
            except ValidationError as error:
                form.add_error(None if "after" in getattr(error, "message_dict", {}) else "reason", _message_of(error))
            else:
                messages.success(
                    request,
                    ngettext(
                        "Publication n° %(n)s faite : %(count)s indicateur est public avec ses valeurs validées.",
                        "Publication n° %(n)s faite : %(count)s indicateurs sont publics avec leurs valeurs validées.",
                        release.indicators.count(),
                    )
                    % {"n": release.number, "count": release.indicators.count()},
                )
                return HttpResponseRedirect(reverse("strategy:open_data"))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        releases = list(
            OpenDataRelease.objects.select_related("released_by").order_by("-number")[: self.RELEASES_SHOWN]
        )
        last = releases[0] if releases else None
        marked = list(
            Indicator.objects.filter(public_from__isnull=False)
            .select_related("axis")
            .only("code", "name", "name_ar", "arabic_is_working_translation", "public_from", "axis__number")
            .order_by("code")
        )
        released_ids = set(last.indicators.values_list("pk", flat=True)) if last else set()
        marked_ids = {i.pk for i in marked}
        withdrawn = list(
            Indicator.objects.filter(pk__in=released_ids - marked_ids).only("code", "name", "name_ar").order_by("code")
        )
        waiting = Measurement.objects.filter(indicator__public_from__isnull=False, status=MeasurementStatus.VALIDATED)
        if last:
            waiting = waiting.filter(validated_at__gt=last.released_at)
        for indicator in marked:
            indicator.in_release = indicator.pk in released_ids
            indicator.upcoming = indicator.public_from > today()
        context.update(
            releases=releases,
            last=last,
            marked=marked,
            added=[i for i in marked if not i.in_release],
            withdrawn=withdrawn,
            waiting=waiting.count(),
            may_release=permissions.can_validate(self.request.user),
            form=kwargs.get("form") or ReleaseForm(initial={"after": last.number if last else 0}),
        )
        return context


PUBLICATION_LIST_FIELDS = ("pk", "kind", "year", "quarter", "edition", "as_of", "published_at", "reason", "sha256")


class PublicationListView(RoleRequiredMixin, ListView):
    """Rapports publiés: every frozen report, newest first."""

    template_name = "strategy/publication_list.html"
    paginate_by = 50
    paginator_class = OpenEndedPaginator

    def get_queryset(self):
        return (
            ReportPublication.objects.visible_to(self.request.user)
            .select_related("published_by__membership__organisation")
            .only(*PUBLICATION_LIST_FIELDS, *PUBLISHER_FIELDS)
            .order_by("-published_at", "-pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for publication in context["object_list"]:
            publication.author = author_label(publication.published_by, self.request.user)
        return context


PUBLISHER_FIELDS = (
    "published_by__username",
    "published_by__first_name",
    "published_by__last_name",
    "published_by__membership__organisation_id",
    "published_by__membership__organisation__acronym",
)


class PublicationDetailView(RoleRequiredMixin, TemplateView):
    """A published report exactly as published (its frozen figures), beside what the
    same report says today, each changed cell marked with both values."""

    template_name = "strategy/publication_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        publication = get_object_or_404(
            ReportPublication.objects.visible_to(user)
            .select_related("published_by__membership__organisation")
            .defer("pdf"),
            pk=kwargs["pk"],
        )
        published = reports.thaw(publication.figures)
        spec = reports.ReportSpec(publication.kind, publication.year, publication.quarter)
        today_report = reports.build_report(spec, user)
        comparison = reports.compare(reports.labelled(published), reports.labelled(today_report))
        context.update(
            publication=publication,
            author=author_label(publication.published_by, user),
            spec=spec,
            published=published,
            comparison=comparison,
            years=published["years"],
            report_query=urlencode(spec.query),
        )
        return context


class PublicationPdfView(RoleRequiredMixin, View):
    """The PDF as published, for whoever may read the publication, as an attachment."""

    def get(self, request, pk):
        publication = get_object_or_404(
            ReportPublication.objects.visible_to(request.user).only("pk", "kind", "year", "quarter", "edition", "pdf"),
            pk=pk,
        )
        spec = reports.ReportSpec(publication.kind, publication.year, publication.quarter)
        return documents.document_response(publication.pdf, f"{spec.export_name}-edition-{publication.edition}.pdf")


# ---------------------------------------------------------------- indicators and their targets (editing)


class IndicatorEditView(ServiceEditView):
    """Create (no ``pk``) or change an indicator: editors, validators, administrators
    (strategy.services.save_indicator, with a reason; the reporting organisations are
    set in the same transaction)."""

    form_class = IndicatorForm
    template_name = "strategy/indicator_form.html"
    required = "can_edit_strategy"

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        indicator = get_object_or_404(
            Indicator.objects.visible_to(self.request.user).select_related("axis__strategy", "programme", "action"),
            pk=self.kwargs["pk"],
        )
        self.heading = f"{indicator.code} — {indicator.name}"  # as stored, whatever is typed
        return indicator

    def save(self, obj, *, by, reason, expected_version):
        return services.save_indicator(obj, by=by, reason=reason, expected_version=expected_version)

    def get_success_url(self, obj):
        return reverse("strategy:indicator_detail", args=[obj.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            heading=getattr(self, "heading", None),
            cancel_url=(
                reverse("strategy:indicator_detail", args=[self.object.pk])
                if self.object is not None
                else reverse("strategy:indicator_list")
            ),
        )
        return context


def _cell_name(due_date, region_id, filiere_id):
    return f"{region_id or 0}-{filiere_id or 0}-{due_date:%Y%m%d}"


_CELL = re.compile(r"cell-([0-9]{1,18})-([0-9]{1,18})-([0-9]{8})")


def _plain(value):
    """A stored figure as the hidden "read" value of a cell: what the page showed."""
    return "" if value is None else f"{value.normalize():f}"


def _read_decimal(text):
    """The value a cell showed (its hidden "was"); None when empty or not a finite number."""
    try:
        value = Decimal(text) if text else None
    except InvalidOperation:
        return None
    return value if value is not None and value.is_finite() else None


class TargetGridView(RoleRequiredMixin, TemplateView):
    """An indicator's targets as one grid: a row per scope (national; each region when
    the indicator is broken down by region; each filière when by filière), a column per
    due date (31 December of each strategy year, each phase's end, and the due date of
    any target already set). Editors, validators and administrators change any cells
    and save them at once with one reason (strategy.services.save_target_grid): an
    emptied cell deletes its target. A cell someone else changed meanwhile is refused
    and shown with its stored value beside the typed one, nothing saved; sending again
    overwrites it deliberately.

    Each cell carries the version of the target read and the value read, so only the
    cells the user changed are compared and saved. Reads: the indicator, its targets,
    the phases, the regions and the filières (each one query, whatever the grid's size)."""

    required = "can_edit_strategy"
    template_name = "strategy/target_grid.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and permissions.can_edit_strategy(request.user):
            self.indicator = get_object_or_404(
                Indicator.objects.visible_to(request.user).select_related("axis__strategy"), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    # -- the grid's shape
    def stored_targets(self):
        return {
            (t.due_date, t.region_id, t.filiere_id): t
            for t in Target.objects.filter(indicator_id=self.indicator.pk).order_by("due_date", "pk")
        }

    def columns(self, stored, extra=()):
        """[(date, phase names ending then)]: years' ends and phases' ends after the
        baseline inside the strategy, and any stored target's date."""
        indicator, strategy = self.indicator, self.indicator.axis.strategy
        phase_ends = {}
        for phase in Phase.objects.filter(strategy_id=strategy.pk).order_by("order"):
            phase_ends.setdefault(phase.end_date, []).append(phase.name)
        dates = {dt.date(year, 12, 31) for year in range(strategy.start_date.year, strategy.end_date.year + 1)}
        dates |= set(phase_ends)
        dates = {d for d in dates if strategy.contains(d) and d > indicator.baseline_date}
        dates |= {key[0] for key in stored}
        dates |= {d for d in extra if strategy.contains(d)}
        return [(d, phase_ends.get(d, [])) for d in sorted(dates)]

    def scopes(self, stored):
        """[(region_id, filiere_id, label)]: national, then regions, filières, and any
        other scope a stored target has."""
        indicator = self.indicator
        used = {(r, f) for _d, r, f in stored}
        want_regions = indicator.by_region or any(r for r, _f in used)
        want_filieres = indicator.by_filiere or any(f for _r, f in used)
        regions = list(Region.objects.order_by("code")) if want_regions else []
        filieres = list(Filiere.objects.order_by("name")) if want_filieres else []
        region_names = {r.pk: local(r) for r in regions}
        filiere_names = {f.pk: local(f) for f in filieres}
        rows = [(None, None, _("National"))]
        rows += [(r.pk, None, region_names[r.pk]) for r in regions if indicator.by_region or (r.pk, None) in used]
        rows += [(None, f.pk, filiere_names[f.pk]) for f in filieres if indicator.by_filiere or (None, f.pk) in used]
        both = sorted((r, f) for r, f in used if r and f)
        rows += [(r, f, f"{region_names.get(r, r)} · {filiere_names.get(f, f)}") for r, f in both]
        return rows

    def cells(self, stored, columns, scopes):
        """{key: cell} with what the page shows, as stored now."""
        cells = {}
        for region_id, filiere_id, label in scopes:
            for due_date, _phases in columns:
                key = (due_date, region_id, filiere_id)
                target = stored.get(key)
                cells[key] = {
                    "name": _cell_name(due_date, region_id, filiere_id),
                    "label": f"{label} · {due_date:%d/%m/%Y}",
                    "text": decimal_text(target.value) if target else "",
                    "version": target.version if target else "",
                    "was": _plain(target.value) if target else "",
                }
        return cells

    def render_grid(self, form, columns, scopes, cells, status=200, **extra):
        rows = [{"label": label, "cells": [cells[(d, r, f)] for d, _p in columns]} for r, f, label in scopes]
        context = self.get_context_data(form=form, columns=columns, rows=rows, **extra)
        return self.render_to_response(context, status=status)

    # -- reading and saving
    def get(self, request, *args, **kwargs):
        stored = self.stored_targets()
        columns, scopes = self.columns(stored), self.scopes(stored)
        return self.render_grid(TargetGridForm(), columns, scopes, self.cells(stored, columns, scopes))

    def post(self, request, *args, **kwargs):
        form = TargetGridForm(request.POST)
        stored = self.stored_targets()
        columns, scopes = self.columns(stored), self.scopes(stored)
        cells = self.cells(stored, columns, scopes)
        # Only the grid's own cells (year ends, phase ends, the dates of stored targets):
        # a cell the page never offered is refused, not turned into a new column.
        known = {f"cell-{cell['name']}" for cell in cells.values()}
        unknown = [name for name in request.POST if name.startswith("cell-") and name not in known]
        if unknown:
            form.is_valid()
            form.add_error(
                None,
                _("La grille a changé depuis son affichage (%(n)d case(s) inconnue(s)) : rien n'a été enregistré.")
                % {"n": len(unknown)},
            )
            return self.render_grid(form, columns, scopes, cells, status=409)
        changed, invalid = [], False
        for key, cell in cells.items():
            name = cell["name"]
            typed_text = request.POST.get(f"cell-{name}", "")
            cell["typed"] = typed_text
            cell["version"] = request.POST.get(f"version-{name}", "")
            cell["was"] = request.POST.get(f"was-{name}", "")
            cell["text"] = typed_text
            try:
                typed = french_decimal(typed_text)
            except ValidationError as error:
                cell["error"] = " ".join(error.messages)
                invalid = True
                continue
            if typed != _read_decimal(cell["was"]):
                cell["changed"] = True
                changed.append(
                    services.TargetCell(
                        due_date=key[0],
                        region_id=key[1],
                        filiere_id=key[2],
                        value=typed,
                        expected_version=read_version(cell["version"]),
                    )
                )
        if invalid or not form.is_valid():
            return self.render_grid(form, columns, scopes, cells, status=400)
        if not changed:
            messages.info(request, _("Aucune cible n'a changé : rien à enregistrer."))
            return HttpResponseRedirect(reverse("strategy:target_grid", args=[self.indicator.pk]))
        try:
            done = services.save_target_grid(
                self.indicator, changed, by=request.user, reason=form.cleaned_data["change_reason"]
            )
        except services.TargetGridStale as error:
            return self.refused(form, cells, scopes, columns, error)
        except services.TargetGridInvalid as error:
            for key, errors in error.cells.items():
                cells[key]["error"] = " ".join(errors)
            return self.render_grid(form, columns, scopes, cells, status=400)
        messages.success(
            request,
            ngettext("%(n)s cible enregistrée.", "%(n)s cibles enregistrées.", len(done)) % {"n": len(done)},
        )
        return HttpResponseRedirect(reverse("strategy:indicator_detail", args=[self.indicator.pk]))

    def refused(self, form, cells, scopes, columns, error):
        """409: nothing saved. Each stale cell keeps what was typed, with the stored value
        beside it; every cell now carries the stored version and value (sending again is
        a deliberate overwrite of the stale ones); a cell the user had not changed shows
        the stored value."""
        stored = self.stored_targets()
        conflict = []
        for key, cell in cells.items():
            target = stored.get(key)
            cell["version"] = target.version if target else ""
            cell["was"] = _plain(target.value) if target else ""
            stored_text = decimal_text(target.value) if target else ""
            if not cell.get("changed"):
                cell["text"] = stored_text
            if key in error.cells:
                cell["stale"] = True
                cell["stored"] = stored_text or "—"
                conflict.append(
                    {
                        "label": cell["label"],
                        "name": cell["name"],
                        "stored": stored_text or "—",
                        "typed": cell["typed"] or "—",
                        "differs": True,
                    }
                )
        return self.render_grid(
            form, columns, scopes, cells, status=409, conflict=conflict, conflict_message=str(error)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["indicator"] = self.indicator
        return context


# ---------------------------------------------------------------- programmes and actions


class ProgrammeEditView(ServiceEditView):
    """Create (``/strategie/programmes/nouveau/``) or change a programme."""

    template_name = "strategy/programme_form.html"
    form_class = ProgrammeForm
    required = "can_edit_strategy"

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(Programme.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def save(self, obj, *, by, reason, expected_version):
        return services.save_programme(obj, by=by, reason=reason, expected_version=expected_version)

    def get_success_url(self, obj):
        return f"{reverse('strategy:strategy_tree')}#programme-{obj.code}"


class ActionListView(ScopedListView):
    """Every action with its progress (strategy.figures.action_progress), filtered by
    programme, phase, status and lead organisation; CSV / XLSX with the same filters."""

    template_name = "strategy/action_list.html"
    filterset_class = ActionFilterSet
    filter_fields = ("q", "programme", "phase", "status", "lead_organisation")
    export_columns = ACTION_COLUMNS
    export_name = "actions"

    def get_base_queryset(self):
        return (
            Action.objects.visible_to(self.request.user)
            .select_related("programme", "phase", "lead_organisation")
            .with_progress(self.as_of)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_edit"] = permissions.can_edit_strategy(self.request.user)
        return context


class ActionDetailView(RoleRequiredMixin, ScopeMixin, TemplateView):
    """One action: its facts, its progress with the parts it comes from, the indicators
    and milestones that measure it, and its history."""

    template_name = "strategy/action_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        action = get_object_or_404(
            Action.objects.visible_to(user)
            .select_related("programme__axis", "phase", "lead_organisation")
            .with_progress(self.as_of),
            pk=kwargs["pk"],
        )
        # The contracts' milestones, by the reverse relation (strategy does not import
        # contracts): the reader's visible ones, each with its late flag as of the date.
        milestones = list(
            action.milestones.visible_to(user).with_late(self.as_of).select_related("contract", "responsible")
        )
        records = action.history.select_related(AUTHOR_RELATED).order_by("-history_date", "-history_id")[:200]
        context.update(
            action=action,
            progress=action.advancement,
            indicators=action.figure_indicators,
            milestones=milestones,
            entries=history_entries(list(records), viewer=user),
            may_edit=permissions.can_edit_strategy(user),
        )
        return context


class ActionEditView(ServiceEditView):
    """Create (``/strategie/actions/nouvelle/``) or change an action, with the indicators
    of its programme that measure it (strategy.services.save_action)."""

    template_name = "strategy/action_form.html"
    form_class = ActionForm
    required = "can_edit_strategy"

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(Action.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def new_object(self):
        action = Action()
        programme = self.request.GET.get("programme", "")
        if programme.isdigit():
            action.programme = Programme.objects.filter(pk=programme).first()
        return action

    def make_form(self, data=None, files=None):
        self.form = super().make_form(data, files)
        return self.form

    def save(self, obj, *, by, reason, expected_version):
        return services.save_action(
            obj,
            by=by,
            reason=reason,
            expected_version=expected_version,
            indicators=list(self.form.cleaned_data.get("linked_indicators") or []),
        )

    def get_success_url(self, obj):
        return reverse("strategy:action_detail", args=[obj.pk])


class ActionDeleteView(ServiceDeleteView):
    """Delete an action nothing links to (strategy.services.delete_action)."""

    required = "can_edit_strategy"

    def get_object(self):
        return get_object_or_404(Action.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def delete(self, obj, *, by, reason, expected_version):
        services.delete_action(obj, by=by, reason=reason, expected_version=expected_version)

    def get_success_url(self, obj):
        return reverse("strategy:action_list")

    def get_cancel_url(self, obj):
        return reverse("strategy:action_detail", args=[obj.pk])


class MeasurementSheetView(RoleRequiredMixin, TemplateView):
    """A whole period in one spreadsheet (strategy/sheet.py): pick a period the
    organisation owes (the reporting calendar's), download its rows as XLSX, upload
    them filled; the upload is saved by the bulk API's path, all rows or none."""

    required = "can_record_measurements"
    template_name = "strategy/measurement_sheet.html"

    def organisation(self):
        user = self.request.user
        if not sheet.may_choose_organisation(user):
            return Organisation.objects.filter(pk=permissions.organisation_id_of(user)).first()
        raw = self.request.GET.get("organisation", "")
        if re.fullmatch(r"[0-9]{1,18}", raw):
            return get_object_or_404(Organisation, pk=int(raw))
        if raw:
            raise InvalidParameter("organisation", _("Identifiant d'organisation attendu."))
        return Organisation.objects.filter(pk=permissions.organisation_id_of(user)).first()

    def get(self, request, *args, **kwargs):
        return self.render_page(SheetUploadForm())

    def post(self, request, *args, **kwargs):
        form = SheetUploadForm(request.POST, request.FILES)
        result = None
        if form.is_valid():
            content = form.cleaned_data["file"].read()
            result = sheet.read_upload(content, request.user, submit=form.cleaned_data["submit"])
            if result.file_error:
                form.add_error("file", result.file_error)
            elif not result.refused:
                if form.cleaned_data["submit"]:
                    text = ngettext(
                        "%(n)d mesure créée et soumise à validation.",
                        "%(n)d mesures créées et soumises à validation.",
                        result.created,
                    )
                else:
                    text = ngettext(
                        "%(n)d mesure créée comme brouillon.", "%(n)d mesures créées comme brouillons.", result.created
                    )
                text = text % {"n": result.created}
                if result.skipped:
                    text += " " + ngettext(
                        "%(n)d ligne sans valeur n'a pas été envoyée.",
                        "%(n)d lignes sans valeur n'ont pas été envoyées.",
                        result.skipped,
                    ) % {"n": result.skipped}
                messages.success(request, text)
                return HttpResponseRedirect(request.get_full_path())
        return self.render_page(form, result=result)  # refused: the form again, as FormView does

    def render_page(self, form, *, result=None, status=200):
        user = self.request.user
        organisation = self.organisation()
        reports = sheet.owed_reports(user, organisation.pk if organisation else None)
        choices = sheet.period_choices(reports)
        raw = self.request.GET.get("period", "")
        # Only a period the organisation owes (one the list offers): any other, however
        # well formed (year 1, 1900, 3000, a quarter of yearly indicators), is unknown.
        offered = {key for key, _p, _rows in choices}
        period = sheet.period_from_key(raw) if raw in offered else None
        if raw and period is None:
            raise InvalidParameter("period", _("Période inconnue : choisissez-la dans la liste."))
        if period is None and choices:
            overdue = [key for key, _p, rows in choices if any(r.overdue for r in rows)]
            period = sheet.period_from_key(overdue[-1] if overdue else choices[0][0])
        built = sheet.build_sheet(user, organisation, period, reports) if period and organisation else None
        if built is not None and self.request.GET.get("format") == "xlsx":
            response = HttpResponse(sheet.write_sheet(built), content_type=EXPORT_CONTENT_TYPES["xlsx"])
            response["Content-Disposition"] = f'attachment; filename="{sheet.filename(built)}"'
            return response
        context = self.get_context_data(
            form=form,
            result=result,
            organisation=organisation,
            organisations=(
                Organisation.objects.filter(active=True, reported_indicators__isnull=False)
                .distinct()
                .order_by("acronym")
                if sheet.may_choose_organisation(user)
                else None
            ),
            choices=choices,
            period=period,
            period_key=sheet.period_key(period) if period else "",
            built=built,
            max_rows=settings.API_BULK_MAX_ROWS,
            too_many=built is not None and len(built.rows) > settings.API_BULK_MAX_ROWS,
        )
        return self.render_to_response(context, status=status)
