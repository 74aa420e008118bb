"""Email and reminder settings from the environment (config/settings.py): the console
backend for ``make run``, SMTP otherwise, and a bad value stops start-up naming it."""

import subprocess
import sys

import pytest

from tests.config.test_settings import start_django
from tests.servers import PROJECT, clean_env

PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND.rsplit('.', 2)[-2], s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL, "
    "s.REMINDER_DAYS_BEFORE, s.ESCALATION_DAYS_AFTER, s.SITE_URL or '-', sep='|')"
)
SECRET = "a-long-and-random-production-secret-for-the-email-test"


def probe(**env):
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT, env=clean_env(**env), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split("|")


def test_make_run_prints_emails_on_the_console():
    assert probe(DJANGO_DEBUG="1") == [
        "console",
        "",
        "25",
        "False",
        "Artisanat 2030 <ne-pas-repondre@localhost>",
        "14",
        "15",
        "http://127.0.0.1:8000",
    ]


def test_smtp_from_the_environment():
    assert probe(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
        EMAIL_HOST="smtp.example.ma",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
        EMAIL_HOST_USER="portail",
        EMAIL_HOST_PASSWORD="secret",
        DEFAULT_FROM_EMAIL="rappels@example.ma",
        ARTISANAT_REMINDER_DAYS_BEFORE="7",
        ARTISANAT_ESCALATION_DAYS_AFTER="30",
        ARTISANAT_SITE_URL="https://portail.example.ma/",
    ) == ["smtp", "smtp.example.ma", "587", "True", "rappels@example.ma", "7", "30", "https://portail.example.ma"]


def test_production_has_no_site_url_unless_told():
    assert probe(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=SECRET)[0] == "smtp"
    assert probe(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=SECRET)[-1] == "-"


@pytest.mark.parametrize(
    "name, value",
    [
        ("ARTISANAT_SITE_URL", "portail.example.ma"),
        ("ARTISANAT_SITE_URL", "https://portail.example.ma/?x=1"),
        ("ARTISANAT_ESCALATION_DAYS_AFTER", "0"),
        ("ARTISANAT_REMINDER_DAYS_BEFORE", "-1"),
        ("EMAIL_PORT", "vingt-cinq"),
        ("EMAIL_USE_TLS", "peut-être"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    done = start_django(DJANGO_DEBUG="1", **{name: value})
    assert done.returncode != 0
    assert name in done.stderr.strip().splitlines()[-1]
