from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed by bench/settings.py only: its command (``bench_credentials``) does not
    exist in the served application."""

    name = "bench"
    verbose_name = "Bench"
