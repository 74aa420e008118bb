"""The URLs of tests/artisanat/test_db_router.py: one view that reads the database and
says where its read went, for an anonymous or a signed-in client, by GET or POST."""

from django.db import connections
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from artisanat.models import Organisation


@csrf_exempt
def where(request):
    queryset = Organisation.objects.all()
    executed = {}
    for alias in ("default", "replica"):
        executed[alias] = len(connections[alias].queries_log)
    count = queryset.count()
    for alias in ("default", "replica"):
        executed[alias] = len(connections[alias].queries_log) - executed[alias]
    return JsonResponse({"alias": queryset.db, "count": count, "executed": executed})


urlpatterns = [path("ou/", where)]
