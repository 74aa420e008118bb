"""Nothing of the visitor on a public answer (opendata/caching.py): an answer marked
``Cache-Control: public`` is the same for everyone and may be kept by any proxy, so it
carries no cookie and does not vary on the visitor's cookie or browser language (the
language is in its URL).

The session's own middleware would add both: ``Vary: Cookie`` as soon as anything reads
the session (the session-lifetime middleware does on every request), and a
``Set-Cookie`` refreshing a signed-in visitor's session. This middleware sits just
before ``SessionMiddleware`` in ``MIDDLEWARE`` (so it sees the answer after it) and
takes them off public answers only; every other answer is left as it is."""

from django.utils.cache import cc_delim_re

#: What a public answer may not vary on: the visitor's cookie, the browser's language.
VISITOR_HEADERS = {"cookie", "accept-language"}


def is_public(response):
    directives = {d.strip().split("=")[0].lower() for d in response.get("Cache-Control", "").split(",")}
    return "public" in directives


class PublicAnswerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_public(response):
            return response
        if response.has_header("Vary"):
            kept = [v for v in cc_delim_re.split(response["Vary"]) if v and v.lower() not in VISITOR_HEADERS]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        for name in list(response.cookies):
            del response.cookies[name]
        return response
