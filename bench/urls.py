"""The portal's URLs with the data floor (bench/views.py) and the public API list without
its cache in front."""

from django.urls import path

from bench.views import data_floor
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - the same error views
from config.urls import urlpatterns as portal_urlpatterns
from opendata.api.views import IndicatorList
from opendata.views import IndicatorPage

urlpatterns = [
    path("bench/data-floor/", data_floor, name="bench_data_floor"),
    # The public API's indicator list computed on every request (never read from the
    # shared cache): the "uncached" measure of bench/run.py.
    path("bench/public-uncached/indicators/", IndicatorList.as_view(read_cache=False), name="bench_public_uncached"),
    # The public indicator page computed on every request, likewise.
    path(
        "bench/public-uncached/donnees/<str:lang>/indicateurs/<str:code>/",
        IndicatorPage.as_view(),
        name="bench_public_page_uncached",
    ),
    *portal_urlpatterns,
]
