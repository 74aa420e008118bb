"""Nothing of the visitor on a public answer (opendata/caching.py): an answer that
``public_cache`` marked (``response.public_answer``, ``Cache-Control: public``) is the
same for everyone and may be kept by any proxy, so it carries no cookie and varies only
on what may change its bytes for everyone alike: ``Origin`` (CORS) and
``Accept-Encoding``. Not on the visitor's cookie, browser language, ``Accept`` or
``Authorization`` (the language and the format are in its URL).

The session's and the locale's middlewares add ``Vary: Cookie`` / ``Accept-Language``
(the session-lifetime middleware reads the session on every request) and a
``Set-Cookie`` refreshing a signed-in visitor's session; DRF adds ``Vary: Accept``. This
middleware sits near the top of ``MIDDLEWARE`` (just below CORS), so it sees the answer
after all of them, and takes those off public answers only; every other answer (static
files included) is left as it is."""

#: What a public answer may vary on.
PUBLIC_VARY = {"origin", "accept-encoding"}


class PublicAnswerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "public_answer", False):
            return response
        if response.has_header("Vary"):
            kept = [v.strip() for v in response["Vary"].split(",") if v.strip().lower() in PUBLIC_VARY]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        for name in list(response.cookies):
            del response.cookies[name]
        return response
