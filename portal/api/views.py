"""The dashboard of the API: the home page's figures as JSON."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from artisanat.api.filters import AS_OF_PARAMETER, as_of_of
from artisanat.api.schema import text
from artisanat.api.viewsets import ApiViewMixin
from artisanat.data_version import cached
from portal.api import serializers as s
from portal.dashboard import build_dashboard


class DashboardView(ApiViewMixin, APIView):
    @extend_schema(
        description=text(
            "Tableau de bord : avancement par axe et par phase, exécution des contrats visibles, jalons en retard, "
            "mesures en attente de validation, à la date as_of.",
            "Dashboard: progress per axis and phase, execution of the visible contracts, late milestones, "
            "measurements waiting for validation, as of as_of.",
        ),
        parameters=[AS_OF_PARAMETER],
        responses={200: s.DashboardSerializer},
    )
    def get(self, request):
        as_of = as_of_of(request)
        data = cached(
            "api-dashboard",
            request.user,
            (as_of,),
            lambda: s.DashboardSerializer(build_dashboard(request.user, as_of)).data,
        )
        return Response(data)
