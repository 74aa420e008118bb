from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import TemplateView

from artisanat import permissions
from artisanat.dashboard import build_dashboard
from artisanat.forms import AsOfForm


class RoleRequiredMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; a signed-in user without a role gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_read(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class HomeView(RoleRequiredMixin, TemplateView):
    template_name = "artisanat/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = AsOfForm(self.request.GET or None)
        as_of = form.cleaned_data["as_of"] if form.is_valid() else None
        context.update(form=form, dashboard=build_dashboard(self.request.user, as_of))
        return context
