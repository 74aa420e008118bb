"""The portal's URLs with the data floor in front (bench/views.py)."""

from django.urls import path

from bench.views import data_floor
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - the same error views
from config.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("bench/data-floor/", data_floor, name="bench_data_floor"), *portal_urlpatterns]
