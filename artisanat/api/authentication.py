"""Token authentication that reads the caller's membership (role and organisation) in
the same query as the token and the user: every permission check and ``visible_to``
then reads it without a query of its own (one query fewer on every API request)."""

from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        token = self.get_model().objects.select_related("user__membership__organisation").filter(key=key).first()
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)  # refuses, with DRF's own messages
        return (token.user, token)
