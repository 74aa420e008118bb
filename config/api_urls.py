"""The REST API for partner agencies and other ministry tools: /api/v1/ (see docs/api.md),
the public open-data API /api/public/v1/ (opendata/api/),
its OpenAPI schema at /api/schema/ and interactive docs at /api/docs/ (offline)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from artisanat.api import views
from artisanat.api.exceptions import json_not_found
from contracts.api.urls import ROUTES as CONTRACT_ROUTES
from portal.api.views import DashboardView, ReportingCalendarView, ReportingRatesView
from strategy.api.urls import ROUTES as STRATEGY_ROUTES

app_name = "api"


class Router(DefaultRouter):
    include_root_view = False


router = Router()
router.register("regions", views.RegionViewSet, basename="region")
router.register("filieres", views.FiliereViewSet, basename="filiere")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
for prefix, viewset, basename in [*STRATEGY_ROUTES, *CONTRACT_ROUTES]:
    router.register(prefix, viewset, basename=basename)
for viewset in router.registry:
    viewset[1].lookup_value_regex = r"[0-9]+"

urlpatterns = [
    path("v1/auth/token/", views.TokenView.as_view(), name="token"),
    path("v1/dashboard/", DashboardView.as_view(), name="dashboard"),
    path("v1/reporting-calendar/", ReportingCalendarView.as_view(), name="reporting_calendar"),
    path("v1/reporting-calendar/rates/", ReportingRatesView.as_view(), name="reporting_calendar_rates"),
    path("v1/", include(router.urls)),
    # The public open-data API: anonymous, read-only, cached, CORS (opendata/api/, docs/api.md).
    path("public/v1/", include("opendata.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script from /api/docs/?script= instead of
    # inline, as the Content-Security-Policy (script-src 'self') requires. No ReDoc: its
    # bundle injects inline styles it cannot mark with a nonce, and loads Google Fonts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^[\s\S]*$", json_not_found),
]
