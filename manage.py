#!/usr/bin/env python
"""Django's command-line utility for Artisanat 2030."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py is the developer's tool: debug unless told otherwise, so that
    # `manage.py makemigrations` and friends work on a fresh checkout. The served
    # application (wsgi.py, gunicorn) keeps DJANGO_DEBUG off by default; production runs
    # its management commands with DJANGO_DEBUG=0 and its secret key (README, Settings).
    os.environ.setdefault("DJANGO_DEBUG", "1")
    # The statement timeout protects the served application's workers; a migration, a
    # backup or a data load may rightly run longer (README, DJANGO_DB_STATEMENT_TIMEOUT).
    os.environ.setdefault("DJANGO_DB_STATEMENT_TIMEOUT", "0")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
