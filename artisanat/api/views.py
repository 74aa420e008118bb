"""Reference data and authentication tokens."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import parsers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from artisanat import exports, permissions
from artisanat.accounts.api import obtain_token, revoke_token
from artisanat.api import serializers as s
from artisanat.api.authentication import TokenAuthentication
from artisanat.api.examples import ExampleRefSchema
from artisanat.api.parsers import JSONParser
from artisanat.api.schema import resource_schema, text
from artisanat.api.throttling import ScopedRateThrottle
from artisanat.api.viewsets import ApiViewMixin, ReadOnlyViewSet
from artisanat.filtersets import FiliereFilterSet, OrganisationFilterSet, RegionFilterSet
from artisanat.models import Filiere, Organisation, Region


@resource_schema(s.RegionSerializer, "régions", "regions")
class RegionViewSet(ReadOnlyViewSet):
    serializer_class = s.RegionSerializer
    filterset_class = RegionFilterSet
    ordering_fields = ("code", "name")
    export_columns, export_name = exports.REGION_COLUMNS, "regions"

    def base_queryset(self):
        return Region.objects.visible_to(self.request.user)


@resource_schema(s.FiliereSerializer, "filières", "value chains (filières)")
class FiliereViewSet(ReadOnlyViewSet):
    serializer_class = s.FiliereSerializer
    filterset_class = FiliereFilterSet
    ordering_fields = ("code", "name")
    export_columns, export_name = exports.FILIERE_COLUMNS, "filieres"

    def base_queryset(self):
        return Filiere.objects.visible_to(self.request.user)


@resource_schema(s.OrganisationSerializer, "organisations", "organisations")
class OrganisationViewSet(ReadOnlyViewSet):
    serializer_class = s.OrganisationSerializer
    filterset_class = OrganisationFilterSet
    ordering_fields = ("acronym", "name", "kind")
    export_columns, export_name = exports.ORGANISATION_COLUMNS, "organisations"

    def base_queryset(self):
        return Organisation.objects.visible_to(self.request.user).select_related("region")


class TokenSchema(ExampleRefSchema):
    """An operation that takes no authentication says so (``security: []``), rather than
    leaving it unsaid (which a reader, or a generator, takes as "as the rest")."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and "security" not in operation:
            operation["security"] = []
        return operation


TOKEN_EXAMPLE = {
    "token": "5f1c2e9a7b3d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60",
    "expiry": "2026-06-01T09:00:00Z",
    "username": "partner_a",
    "role": "reporter",
    "organisation": "FCA",
}


class TokenView(ApiViewMixin, APIView):
    """POST: exchange a username and password for a new token, valid
    ``ARTISANAT_API_TOKEN_TTL_DAYS`` days (stored as a digest: it is shown only in this
    answer); DELETE: revoke the caller's tokens. Tokens are listed in Django admin."""

    authentication_classes = [TokenAuthentication]  # POST: the password in the body, no session
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
    parser_classes = [JSONParser, parsers.FormParser]  # JSONParser: a 400, never a 500, on any body
    extra_error_codes = {}
    schema = TokenSchema()

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        description=text(
            "Échange identifiant et mot de passe contre un nouveau jeton, à envoyer ensuite dans "
            "« Authorization: Bearer <jeton> » (ou « Token <jeton> »). Le jeton expire à la date « expiry » : "
            "pour le renouveler, redemandez-en un de la même façon. Corps JSON ; un formulaire "
            "(application/x-www-form-urlencoded, curl -d) est aussi accepté.",
            'Exchange username and password for a new token, then send it as "Authorization: Bearer <token>" '
            '(or "Token <token>"). It expires at "expiry": to renew it, ask for a new one the same way. JSON body; '
            "a form (application/x-www-form-urlencoded, curl -d) is accepted too.",
        ),
        summary="Obtenir un jeton / Get a token",
        # JSON only in the schema: one operation with a JSON and a form body under the
        # same schema made openapi-python-client generate a module that fails to import.
        request={"application/json": s.TokenRequestSerializer},
        responses={200: s.TokenSerializer},
        examples=[
            OpenApiExample(
                "TokenCredentials",
                summary="Identifiants / Credentials",
                value={"username": "partner_a", "password": "********"},
                request_only=True,
            ),
            OpenApiExample("TokenAnswer", summary="Jeton / Token", value=TOKEN_EXAMPLE, response_only=True),
        ],
        auth=[],
    )
    def post(self, request):
        payload = s.TokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # Lock-out, password and second factor: artisanat/accounts/api.py.
        user, token, key = obtain_token(request, **payload.validated_data)
        membership = permissions.membership_of(user)
        return Response(
            {
                "token": key,
                "expiry": token.expiry,
                "username": user.get_username(),
                "role": permissions.role_of(user),
                "organisation": membership.organisation.acronym if membership else None,
            }
        )

    @extend_schema(
        description=text(
            "Révoque les jetons de l'utilisateur : ils cessent aussitôt de fonctionner.",
            "Revoke the caller's tokens: they stop working at once.",
        ),
        summary="Révoquer ses jetons / Revoke one's tokens",
        request=None,
        responses={204: None},
    )
    def delete(self, request):
        revoke_token(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
