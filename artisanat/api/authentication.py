"""Token authentication: django-rest-knox tokens, sent as ``Authorization: Token <key>``
or ``Authorization: Bearer <key>`` (what generated clients send: the scheme is declared
as HTTP bearer in the OpenAPI schema), stored as a digest and expiring after ``ARTISANAT_API_TOKEN_TTL_DAYS`` days.

Knox's own check reads the user's other tokens on every request (to purge expired ones);
this one does the purging when a token is issued (accounts.services.issue_token) and
reads the caller's membership (role and organisation) in the same query as the token and
the user, so that every permission check and ``visible_to`` reads it without a query of
its own. An expired token is deleted and refused with a message that says how to renew."""

from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox import auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header

# The words accepted before the key (compared case-insensitively, as knox does).
PREFIXES = (b"token", b"bearer")


class TokenAuthentication(auth.TokenAuthentication):
    def authenticate(self, request):
        """knox's, with ``Bearer`` accepted beside ``Token``; another word (``Basic``…)
        is left to the other authentication classes."""
        words = get_authorization_header(request).split()
        if not words or words[0].lower() not in PREFIXES:
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed(
                _(
                    "En-tête Authorization invalide : « Token <jeton> » ou « Bearer <jeton> », sans espace dans le jeton."
                )
            )
        return self.authenticate_credentials(words[1])

    def authenticate_header(self, request):
        """``WWW-Authenticate`` of a 401: the scheme the OpenAPI schema declares."""
        return 'Bearer realm="api"'

    def authenticate_credentials(self, token):
        invalid = exceptions.AuthenticationFailed(_("Jeton invalide."))
        try:
            key = token.decode("ascii")
        except UnicodeDecodeError:
            raise invalid from None
        candidates = AuthToken.objects.select_related("user__membership__organisation").filter(
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH]
        )
        digest = hash_token(key)
        for candidate in candidates:
            if not compare_digest(digest, candidate.digest):
                continue
            if candidate.expiry is not None and candidate.expiry <= timezone.now():
                candidate.delete()
                raise exceptions.AuthenticationFailed(
                    _("Jeton expiré : demandez-en un nouveau (POST /api/v1/auth/token/ avec vos identifiants).")
                )
            if not candidate.user.is_active:
                raise exceptions.AuthenticationFailed(_("Utilisateur inactif ou supprimé."))
            return candidate.user, candidate
        raise invalid


class TokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI description of this authentication (``tokenAuth``, as before knox):
    an HTTP bearer scheme, which generators understand (their clients send ``Bearer``);
    ``Token`` is accepted as well, as the description says."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "FR : jeton obtenu par POST /api/v1/auth/token/, envoyé dans « Authorization: Bearer <jeton> » "
                "(« Authorization: Token <jeton> » est aussi accepté). / EN: token from POST /api/v1/auth/token/, "
                'sent as "Authorization: Bearer <token>" ("Authorization: Token <token>" is accepted too).'
            ),
        }
