"""The public open-data pages: /donnees/<lang>/… (fr, ar, en), included by config/urls.py.
Every page goes through the public cache (opendata/caching.py); the contracts' pages
carry live figures (``live=True``: their ETag follows the data version)."""

from django.urls import path

from opendata import views
from opendata.caching import public_cache

app_name = "opendata"

urlpatterns = [
    path("", views.home_redirect, name="root"),
    path("<str:lang>/", public_cache(views.HomePage.as_view(), live=True), name="home"),
    path("<str:lang>/indicateurs/", public_cache(views.IndicatorListPage.as_view()), name="indicator_list"),
    path("<str:lang>/indicateurs/<str:code>/", public_cache(views.IndicatorPage.as_view()), name="indicator"),
    path("<str:lang>/contrats/", public_cache(views.ContractListPage.as_view(), live=True), name="contract_list"),
    path(
        "<str:lang>/contrats/<str:reference>/", public_cache(views.ContractPage.as_view(), live=True), name="contract"
    ),
    path("<str:lang>/regions/", public_cache(views.RegionListPage.as_view()), name="region_list"),
    path("<str:lang>/regions/<str:code>/", public_cache(views.RegionPage.as_view()), name="region"),
]
