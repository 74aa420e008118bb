"""Reference data and authentication tokens."""

from drf_spectacular.utils import extend_schema
from rest_framework import parsers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from artisanat import exports, permissions
from artisanat.accounts.api import obtain_token, revoke_token
from artisanat.api import serializers as s
from artisanat.api.authentication import TokenAuthentication
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


class TokenView(ApiViewMixin, APIView):
    """POST: exchange a username and password for a token (the same token until it is
    revoked); DELETE: revoke the caller's token. Tokens are listed in Django admin."""

    authentication_classes = [TokenAuthentication]  # POST: the password in the body, no session
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
    parser_classes = [parsers.JSONParser, parsers.FormParser]
    extra_error_codes = {}

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        description=text(
            "Échange identifiant et mot de passe contre un jeton, à envoyer ensuite dans « Authorization: Token <jeton> ».",
            'Exchange username and password for a token, then send it as "Authorization: Token <token>".',
        ),
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer},
        auth=[],
    )
    def post(self, request):
        payload = s.TokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # Lock-out, password and second factor: artisanat/accounts/api.py.
        user, token = obtain_token(request, **payload.validated_data)
        membership = permissions.membership_of(user)
        return Response(
            {
                "token": token.key,
                "username": user.get_username(),
                "role": permissions.role_of(user),
                "organisation": membership.organisation.acronym if membership else None,
            }
        )

    @extend_schema(
        description=text(
            "Révoque le jeton de l'utilisateur : il cesse aussitôt de fonctionner.",
            "Revoke the caller's token: it stops working at once.",
        ),
        request=None,
        responses={204: None},
    )
    def delete(self, request):
        revoke_token(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
