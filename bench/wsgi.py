"""The bench's WSGI application: ``/bench/floor/`` answered before Django's middleware
and URL resolution (bench/views.py), the rest by the portal under bench/settings.py."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
django_application = get_wsgi_application()  # django.setup(): the apps are loaded from here on

# bench.views imports models: only once the apps are loaded (AppRegistryNotReady before).
from bench.views import FloorDispatcher  # noqa: E402

application = FloorDispatcher(django_application)
