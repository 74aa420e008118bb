import os

from django.core.wsgi import get_wsgi_application

from artisanat.bench import wrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "artisanat.settings")
application = wrap(get_wsgi_application())  # the bench floor under ARTISANAT_BENCH=1 only
