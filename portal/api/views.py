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
from strategy.api.scope import SCOPE_PARAMETERS, scope_form_of


class DashboardView(ApiViewMixin, APIView):
    @extend_schema(
        description=text(
            "Tableau de bord : avancement par axe et par phase, exécution des contrats visibles, jalons en retard, "
            "mesures en attente de validation, à la date as_of, dans le périmètre demandé (phase, région, filière, "
            "sexe, type d'acteur ; les phases restent nationales).",
            "Dashboard: progress per axis and phase, execution of the visible contracts, late milestones, "
            "measurements waiting for validation, as of as_of, in the scope asked (phase, region, filière, sex, "
            "actor type; phases stay national).",
        ),
        parameters=[AS_OF_PARAMETER, *SCOPE_PARAMETERS],
        responses={200: s.DashboardSerializer},
    )
    def get(self, request):
        as_of = as_of_of(request)
        scope = scope_form_of(request).values  # a bad value, or dimensions not stored together: 400
        names = ("phase", "region", "filiere", "sex", "actor_type")
        data = cached(
            "api-dashboard",
            request.user,
            (as_of, *(scope[name] for name in names)),
            lambda: (
                s.DashboardSerializer(
                    build_dashboard(request.user, as_of, **{name: scope[name] for name in names})
                ).data
            ),
        )
        return Response(data)
