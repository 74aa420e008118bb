"""Gunicorn in production: `.venv/bin/gunicorn` run from this folder reads this file
(README.md, "Settings"). Values come from the environment, parsed as strictly as the
Django settings (artisanat/env.py)."""

import os
import sys
from pathlib import Path

PROJECT = str(Path(__file__).resolve().parent)
if PROJECT not in sys.path:
    sys.path.insert(0, PROJECT)

from artisanat.env import env_choice, env_int, env_list, env_networks  # noqa: E402

MAX_DEFAULT_WORKERS = 12

wsgi_app = "config.wsgi:application"
bind = env_list("GUNICORN_BIND", ["127.0.0.1:8000"])
# The usual 2 × cores + 1 sync workers, capped so a big machine does not start dozens.
workers = env_int("GUNICORN_WORKERS", min(2 * (os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS), minimum=1)
timeout = env_int("GUNICORN_TIMEOUT", 60, minimum=1)  # the yearly report and XLSX exports
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=1)
keepalive = 5
# Recycle workers now and then (slow leaks), not all at the same moment.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = max_requests // 10
preload_app = False
accesslog = "-"
errorlog = "-"
loglevel = env_choice("GUNICORN_LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]).lower()
# Workers' heartbeat files in memory, not on a possibly slow or full disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The reverse proxies whose X-Forwarded-Proto gunicorn believes: by default the ones the
# application trusts with X-Forwarded-For (ARTISANAT_TRUSTED_PROXIES, one setting for
# both), else this host only.
forwarded_allow_ips = ",".join(
    env_list("GUNICORN_FORWARDED_ALLOW_IPS", env_networks("ARTISANAT_TRUSTED_PROXIES") or ["127.0.0.1", "::1"])
)
