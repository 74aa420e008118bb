"""What the tests that start a server of their own (gunicorn, nginx, PostgreSQL) share:
a free port on the loopback and a clean environment for a subprocess of the project."""

import os
import socket
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra):
    """This process's environment without the project's own settings (nor a Redis the
    caller did not ask for), plus ``extra``: the subprocess reads only what it is given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ARTISANAT_", "GUNICORN_"))
        and k not in {"DATABASE_URL", "PYTHONPATH", "REDIS_URL"}
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **extra)
    return env
