"""The building blocks every app's pages use: the role check, the filtered, exportable
list, and the create / change / delete of one tracked row through its service, with its
reason and version check. The pages themselves live in the apps (and in portal/)."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, ProtectedError, QuerySet, RestrictedError
from django.db.models.fields.files import FieldFile
from django.http import HttpResponseRedirect
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView, TemplateView

from artisanat import permissions
from artisanat.exceptions import InvalidParameter, StaleVersion, TransitionNotAllowed
from artisanat.exports import export_response
from artisanat.forms import DeleteForm
from artisanat.templatetags.artisanat_format import dmy, number
from artisanat.templatetags.portal import local

#: What a service refuses once the form was valid: a change made meanwhile (stale
#: version) or a row that can no longer change (locked, wrong state) — 409 on the pages.
REFUSALS = (StaleVersion, TransitionNotAllowed)

EXPORT_FORMATS = ("csv", "xlsx")


class RoleRequiredMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; a signed-in user whose role fails
    ``permissions.<required>`` gets 403 (default: any role may read)."""

    required = "can_read"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not getattr(permissions, self.required)(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


#: Query parameters that are not filters: never a chip, never cleared by one.
NOT_FILTERS = ("page", "format", "ordering")


def page_filter_form(form):
    """The filter form as a page shows it (the API reads the same FilterSet, never
    these widgets): "Tous" on every empty choice, a yes / no filter as Tous / Oui / Non
    (django-filter's default offers "Inconnu"), a multiple choice as checkboxes."""
    everything = _("Tous")
    for field in form.fields.values():
        if isinstance(field, forms.NullBooleanField):
            field.widget = forms.Select(choices=[("", everything), ("true", _("Oui")), ("false", _("Non"))])
        elif isinstance(field, forms.MultipleChoiceField) and not hasattr(field, "queryset"):
            field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
        elif getattr(field, "empty_label", None) is not None:
            field.empty_label = everything
            if not hasattr(field, "queryset"):  # the widget holds its own copy of the choices
                field.widget.choices = list(field.choices)
    return form


def _shown_value(field, value):
    """How a filter's cleaned value reads on its chip."""
    if hasattr(value, "_meta"):
        return local(value) or str(value) if hasattr(value, "name") else str(value)
    choices = getattr(field, "choices", None)
    if isinstance(field.widget, forms.Select) and choices is not None and not hasattr(field, "queryset"):
        labels = {str(key): label for key, label in choices if not isinstance(label, list | tuple)}
        key = {True: "true", False: "false"}.get(value, value)
        if str(key) in labels:
            return str(labels[str(key)])
    return shown(value)


class FilteredListView(RoleRequiredMixin, ListView):
    """A list through its FilterSet, exportable to CSV / XLSX with the same filters
    (``?format=csv`` or ``?format=xlsx``), paginated by 50.

    The page shows the filters in force as chips, each with a link that removes it
    (``active_filters``), and sorts by ``?ordering=<key>`` (``-<key>`` descending) over
    ``ordering_fields`` only ({key: (field, …)}; any other key is a 400 naming
    ``ordering``); the column headers link to it (``{% sort_th %}``)."""

    filterset_class = None
    filter_fields = ()
    scope_fields = ()  # query parameters of the figure scope, rendered by the page itself
    export_columns = None
    export_name = "export"
    paginate_by = 50
    ordering_fields = {}

    def get_base_queryset(self):
        raise NotImplementedError

    def get_filterset(self):
        return self.filterset_class(self.request.GET or None, queryset=self.get_base_queryset(), request=self.request)

    def filter_rows(self, queryset):
        """Last step on the filtered rows (e.g. a filter on a computed status)."""
        return queryset

    @property
    def ordering_key(self):
        """The ``?ordering=`` asked for ("code", "-code"), None when absent; refused (400)
        when it names no sortable column."""
        raw = self.request.GET.get("ordering")
        if not raw or not self.ordering_fields:
            return None
        if raw.lstrip("-") not in self.ordering_fields:
            raise InvalidParameter("ordering", gettext("Tri inconnu : %(value)s.") % {"value": raw[:50]})
        return raw

    def order(self, queryset):
        key = self.ordering_key
        if key is None:
            return queryset
        descending = key.startswith("-")
        terms = [
            F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
            for name in self.ordering_fields[key.lstrip("-")]
        ]
        return queryset.order_by(*terms, "-pk" if descending else "pk")

    def get_queryset(self):
        self.filterset = self.get_filterset()
        page_filter_form(self.filterset.form)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.filterset.queryset.none()
        return self.filter_rows(self.order(self.filterset.qs))

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("format")
        if fmt in EXPORT_FORMATS and self.export_columns is not None:
            return export_response(self.get_queryset(), self.export_columns, fmt, self.export_name)
        return super().get(request, *args, **kwargs)

    def chip(self, key, value):
        """(label, shown value) of the filter ``key=value`` of the query string, None when
        ``key`` is no filter of the page's forms. A page with filters of its own (read
        outside its forms) adds them here."""
        for form in (self.filterset.form, getattr(self, "scope_form", None)):
            if form is None or key not in form.fields:
                continue
            field = form.fields[key]
            cleaned = getattr(form, "cleaned_data", {})
            if key in form.errors or key not in cleaned:
                return field.label, value
            if isinstance(field, forms.MultipleChoiceField) and not hasattr(field, "queryset"):
                return field.label, dict(field.choices).get(value, value)  # one chip per value
            return field.label, _shown_value(field, cleaned[key])
        return None

    def active_filters(self):
        """The chips: one per filter in force (one per value of a multiple choice), each
        with the query string that removes it (the page number dropped)."""
        chips = []
        params = [(k, v) for k, values in self.request.GET.lists() if k not in NOT_FILTERS for v in values if v]
        for key, value in params:
            described = self.chip(key, value)
            if described is None:
                continue
            label, shown_value = described
            rest = [(k, v) for k, v in params if (k, v) != (key, value)]
            rest += [(k, v) for k, v in self.request.GET.items() if k == "ordering" and v]
            chips.append({"key": key, "label": label, "value": shown_value, "url": "?" + urlencode(rest)})
        return chips

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shown = set(self.filter_fields) | set(self.scope_fields) | {"as_of", "page", "format"}
        chips = self.active_filters()
        ordering = self.request.GET.get("ordering")
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
            active_filters=chips,
            clear_filters_url="?" + urlencode({"ordering": ordering}) if ordering else self.request.path,
            ordering=self.ordering_key,
        )
        return context


# ---------------------------------------------------------------- editing from the pages


def shown(value, field=None):
    """How a value reads in the stored-versus-typed comparison (French formats)."""
    choices = getattr(field, "choices", None)
    if choices is not None and not hasattr(field, "queryset") and not isinstance(value, list | tuple):
        labels = {str(key): label for key, label in choices if not isinstance(label, list | tuple)}
        value = labels.get(str(value), value)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Oui") if value else gettext("Non")
    if isinstance(value, dt.date):
        return dmy(value)
    if isinstance(value, Decimal):
        return number(value, max(0, -value.normalize().as_tuple().exponent))
    if isinstance(value, list | tuple | QuerySet):
        return ", ".join(shown(v) for v in value) or "—"
    if isinstance(value, FieldFile):
        return value.name or "—"
    return str(value)


def compare(form, stored):
    """Rows (label, stored, typed, differs) of the fields of ``form`` that are columns
    of ``stored``: what the page shows after a refused change, side by side."""
    rows = []
    model_fields = {f.name: f for f in stored._meta.get_fields() if getattr(f, "concrete", False)}
    for name, field in form.fields.items():
        if name not in model_fields or isinstance(field.widget, forms.HiddenInput) or name == "change_reason":
            continue
        if model_fields[name].many_to_many:
            before = sorted(str(o) for o in getattr(stored, name).all())
            after = sorted(str(o) for o in form.cleaned_data.get(name, ()) or ())
        else:
            before, after = getattr(stored, name), form.cleaned_data.get(name)
            if isinstance(field, forms.FileField):
                before, after = before.name if before else "", getattr(after, "name", "") if after else before
        rows.append(
            {
                "label": field.label,
                "name": name,
                "stored": shown(before, field),
                "typed": shown(after, field),
                "differs": shown(before, field) != shown(after, field),
            }
        )
    return rows


class ServiceEditView(RoleRequiredMixin, TemplateView):
    """Create or change one tracked row from a page, through its service function.

    A subclass gives ``form_class`` (a ReasonedModelForm), ``template_name``,
    ``required`` (the permissions predicate) and:

    - ``get_object()``: the row to change, read from a ``visible_to`` queryset (404 when
      it is not visible), or None to create one;
    - ``new_object()``: the unsaved row a creation starts from;
    - ``save(obj, *, by, reason, expected_version)``: the service call;
    - ``get_success_url(obj)`` and ``success_message``.

    What a refusal shows: the rules' errors beside their fields (400); a change made
    meanwhile by someone else, or a row that can no longer change (409), the stored
    values beside what was typed, the typed values kept in the form, which now carries
    the current version — sending it again is a deliberate overwrite; a role that may
    not make this change, 403."""

    form_class = None
    required = "can_edit_strategy"
    success_message = _("Modification enregistrée.")

    def get_object(self):
        return None

    def new_object(self):
        return self.form_class._meta.model()

    def save(self, obj, *, by, reason, expected_version):
        raise NotImplementedError

    def get_success_url(self, obj):
        raise NotImplementedError

    def get_form_kwargs(self):
        return {}

    def make_form(self, data=None, files=None):
        instance = self.object if self.object is not None else self.new_object()
        return self.form_class(data, files, instance=instance, **self.get_form_kwargs())

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and getattr(permissions, self.required)(request.user):
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.make_form()))

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        obj, created = form.instance, form.instance.pk is None
        try:
            with transaction.atomic():
                obj = self.save(
                    obj,
                    by=request.user,
                    reason=form.cleaned_data["change_reason"],
                    expected_version=form.cleaned_data.get("expected_version"),
                )
                form.instance = obj
                form._save_m2m()
        except ValidationError as error:
            if created:
                obj.pk = None
            for field, errors in getattr(error, "error_dict", {None: error.error_list}).items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        except REFUSALS as error:
            if created:
                obj.pk = None
                form.add_error(None, str(error))
                return self.render_to_response(self.get_context_data(form=form), status=409)
            return self.refused(form, error)
        messages.success(request, self.success_message)
        return HttpResponseRedirect(self.get_success_url(obj))

    def refused(self, form, error):
        """409: the row as stored now beside what was typed; the form keeps the typed
        values and carries the current version."""
        stored = type(self.object)._default_manager.get(pk=self.object.pk)
        data = self.request.POST.copy()
        if hasattr(stored, "version"):
            data["expected_version"] = stored.version
        again = self.make_form(data, self.request.FILES)
        again.instance = stored
        context = self.get_context_data(
            form=again,
            conflict=compare(form, stored),
            conflict_message=str(error),
            stored=stored,
        )
        return self.render_to_response(context, status=409)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("object", self.object)
        return context


class ServiceDeleteView(RoleRequiredMixin, TemplateView):
    """Delete one tracked row from a page: a confirmation with the reason and the
    version read; ``delete(obj, *, by, reason, expected_version)`` is the service call."""

    template_name = "artisanat/confirm_delete.html"
    required = "can_edit_strategy"
    success_message = _("Suppression enregistrée.")

    def get_object(self):
        raise NotImplementedError

    def delete(self, obj, *, by, reason, expected_version):
        raise NotImplementedError

    def get_success_url(self, obj):
        raise NotImplementedError

    def get_cancel_url(self, obj):
        return self.get_success_url(obj)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and getattr(permissions, self.required)(request.user):
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        form = DeleteForm(initial={"expected_version": getattr(self.object, "version", None)})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = DeleteForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            with transaction.atomic():
                self.delete(
                    self.object,
                    by=request.user,
                    reason=form.cleaned_data["change_reason"],
                    expected_version=form.cleaned_data.get("expected_version"),
                )
        except (ValidationError, ProtectedError, RestrictedError, *REFUSALS) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else str(error)
            if isinstance(error, ProtectedError | RestrictedError):
                message = gettext("D'autres enregistrements en dépendent : supprimez-les ou modifiez-les d'abord.")
            form.add_error(None, message)
            current = getattr(type(self.object)._default_manager.filter(pk=self.object.pk).first(), "version", None)
            data = request.POST.copy()
            data["expected_version"] = current
            again = DeleteForm(data)
            again.is_valid()
            again.add_error(None, message)
            return self.render_to_response(self.get_context_data(form=again), status=409)
        messages.success(request, self.success_message)
        return HttpResponseRedirect(self.get_success_url(self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            object_kind=self.object._meta.verbose_name,
            cancel_url=self.get_cancel_url(self.object),
        )
        return context
