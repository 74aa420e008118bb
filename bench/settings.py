"""The bench's settings (``make bench``): the production settings, plus the bench app
(its ``bench_credentials`` command), the ``X-Query-Count`` header on every answer and
the floor views (bench/urls.py). Never a deployment's settings."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, MIDDLEWARE

ARTISANAT_BENCH = True
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
MIDDLEWARE = ["bench.views.QueryCountMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "bench.wsgi.application"
