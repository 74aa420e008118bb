"""``Cache-Control: private, no-store`` on what a signed-in user reads and on every API
answer: a page, an export or an API answer holds data one user may read and the next
user of a shared computer (or a proxy in between) may not, so no browser or proxy
keeps a copy. Public pages (sign-in, health check, static files) keep their caching; a
response whose view already chose a ``Cache-Control`` keeps it."""

from django.utils.cache import patch_cache_control


def _signed_in(request):
    user = getattr(request, "user", None)  # set by AuthenticationMiddleware, or by DRF's authentication
    return user is not None and user.is_authenticated


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and (request.path.startswith("/api/") or _signed_in(request)):
            patch_cache_control(response, private=True, no_store=True)
        return response
