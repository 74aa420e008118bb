"""The building blocks every app's pages use: the role check and the filtered,
exportable list. The pages themselves live in the apps (and in portal/)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import ListView

from artisanat import permissions
from artisanat.exports import export_response

EXPORT_FORMATS = ("csv", "xlsx")


class RoleRequiredMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; a signed-in user whose role fails
    ``permissions.<required>`` gets 403 (default: any role may read)."""

    required = "can_read"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not getattr(permissions, self.required)(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class FilteredListView(RoleRequiredMixin, ListView):
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
