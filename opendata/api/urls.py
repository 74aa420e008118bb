"""/api/public/v1/: the public read-only API (opendata/api/views.py), included by
config/api_urls.py before its catch-all. The URLs are the public pages' download links:
they do not change."""

from django.urls import path

from opendata.api import views

app_name = "public_api"

urlpatterns = [
    path("indicators/", views.IndicatorList.as_view(), name="indicators"),
    path("indicators/<str:code>/", views.IndicatorDetail.as_view(), name="indicator"),
    path("indicators/<str:code>/series/", views.IndicatorSeries.as_view(), name="indicator_series"),
    path("indicators/<str:code>/breakdowns/", views.IndicatorBreakdowns.as_view(), name="indicator_breakdowns"),
    path("axes/", views.AxisList.as_view(), name="axes"),
    path("phases/", views.PhaseList.as_view(), name="phases"),
    path("contracts/", views.ContractList.as_view(), name="contracts"),
    path("contracts/<str:reference>/", views.ContractDetail.as_view(), name="contract"),
    path("regions/", views.RegionList.as_view(), name="regions"),
    path("regions/<str:code>/indicators/", views.RegionIndicators.as_view(), name="region_indicators"),
]
