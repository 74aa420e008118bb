"""Benchmark-only plumbing (``make bench``, bench/run.py), served only by the bench's own
WSGI application (bench/wsgi.py, settings bench/settings.py) — the served application
(config/wsgi.py) never imports this package:

- ``floor``: a bare Django view with no middleware and no URL resolution, answered by
  the WSGI wrapper ``FloorDispatcher`` (bench/wsgi.py) at ``/bench/floor/`` — the cost of gunicorn + Django's
  request/response objects alone;
- ``data_floor`` at ``/bench/data-floor/``: the first page of the API's indicator list
  (the same queryset method, the same 50 rows, the same JSON) read with ``values()``
  and turned into JSON without DRF or a serializer — what the API's list costs at least;
- ``QueryCountMiddleware``: an ``X-Query-Count`` header on every answer, counted with
  ``connection.execute_wrapper`` on the production code path.
"""

import json
import time

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from strategy.api.serializers import IndicatorRow
from strategy.api.views import IndicatorViewSet
from strategy.models import Indicator

FLOOR_PATH = "/bench/floor/"
FLOOR_BODY = {"ok": True}


def floor(request):
    """The floor: a view as small as Django allows."""
    return JsonResponse(FLOOR_BODY)


class FloorDispatcher:
    """WSGI: ``/bench/floor/`` straight to ``floor`` (no middleware, no resolver), the
    rest to the Django application."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != FLOOR_PATH:
            return self.application(environ, start_response)
        response = floor(WSGIRequest(environ))
        status = f"{response.status_code} {response.reason_phrase}"
        start_response(status, list(response.items()))
        return [response.content]


class QueryCountMiddleware:
    """Counts the queries of each request (every database alias) into ``X-Query-Count``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count[0])
        response["X-Server-Time-Ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
        return response


# ------------------------------------------------------------------ data floor

INDICATOR_FIELDS = [
    "id",
    "code",
    "name",
    "name_ar",
    "definition",
    "definition_ar",
    "axis",
    "axis__number",
    "programme",
    "programme__code",
    "action",
    "unit",
    "direction",
    "aggregation",
    "frequency",
    "report_delay_days",
    "baseline_value",
    "baseline_date",
    "baseline_source",
    "public_from",
    "weight",
    "by_region",
    "by_filiere",
    "by_sex",
    "by_actor_type",
    "version",
]


def _decimal(value, places):
    return None if value is None else f"{value:.{places}f}"


def _date(value):
    return None if value is None else value.isoformat()


@require_GET
def data_floor(request):
    """The API indicator list's first page (50 rows with figures), without DRF."""
    view = IndicatorViewSet()
    view.request = request
    view.request.query_params = request.GET
    view.format_kwarg = None
    queryset = view.base_queryset().order_by(*Indicator._meta.ordering)
    page_size = settings.REST_FRAMEWORK["PAGE_SIZE"]
    count = queryset.count()
    figure_names = [name for name in queryset.query.annotations if name.startswith("fig_")]
    rows = list(queryset.values(*INDICATOR_FIELDS, *figure_names)[:page_size])
    through = Indicator.reporting_organisations.through
    acronyms, organisations = {}, {}
    for link in through.objects.filter(indicator_id__in=[r["id"] for r in rows]).values(
        "indicator_id", "organisation_id", "organisation__acronym"
    ):
        organisations.setdefault(link["indicator_id"], []).append(link["organisation_id"])
        acronyms.setdefault(link["indicator_id"], []).append(link["organisation__acronym"])
    results = []
    for row in rows:
        figures = IndicatorRow(row)  # the Indicator's own figure properties over a values() row
        results.append(
            {
                "id": row["id"],
                "code": row["code"],
                "name": row["name"],
                "name_ar": row["name_ar"],
                "definition": row["definition"],
                "definition_ar": row["definition_ar"],
                "axis": row["axis"],
                "axis_number": row["axis__number"],
                "programme": row["programme"],
                "programme_code": row["programme__code"],
                "action": row["action"],
                "unit": row["unit"],
                "direction": row["direction"],
                "aggregation": row["aggregation"],
                "frequency": row["frequency"],
                "report_delay_days": row["report_delay_days"],
                "baseline_value": _decimal(row["baseline_value"], 4),
                "baseline_date": _date(row["baseline_date"]),
                "baseline_source": row["baseline_source"],
                "public_from": _date(row["public_from"]),
                "weight": _decimal(row["weight"], 2),
                "reporting_organisations": organisations.get(row["id"], []),
                "reporting_organisation_acronyms": acronyms.get(row["id"], []),
                "dimensions": figures.dimensions,
                "as_of": _date(row["fig_as_of"]),
                "achieved": _decimal(figures.achieved, 4),
                "target_value": _decimal(figures.target_value, 4),
                "target_date": _date(row["fig_target_date"]),
                "expected": _decimal(figures.expected, 4),
                "progress": _decimal(figures.progress, 2),
                "status_expected": _decimal(figures.status_expected, 4),
                "status": str(figures.status),
                "data_late": figures.data_late,
                "data_late_since": _date(figures.data_late_since),
                "forecast_date": _date(figures.forecast_date),
                "latest_period_end": _date(row["fig_latest_end"]),
                "version": row["version"],
            }
        )
    body = {"count": count, "next": None, "previous": None, "results": results}
    if count > page_size:
        body["next"] = request.build_absolute_uri(f"{request.path}?page=2")
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type="application/json")
