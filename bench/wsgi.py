"""The bench's WSGI application: ``/bench/floor/`` answered before Django's middleware
and URL resolution (bench/views.py), the rest by the portal under bench/settings.py."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.views import FloorDispatcher  # noqa: E402 - after the settings are chosen

application = FloorDispatcher(get_wsgi_application())
