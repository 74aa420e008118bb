"""Settings come from the environment through strict helpers: a bad value stops
start-up with a message naming the variable; good values are read as documented."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from artisanat.env import env_bool, env_database, env_int, env_list, env_str

PROJECT = Path(__file__).resolve().parents[2]
VAR = "ARTISANAT_TEST_VARIABLE"


@pytest.fixture
def setenv(monkeypatch):
    def set_(value):
        monkeypatch.setenv(VAR, value)

    monkeypatch.delenv(VAR, raising=False)
    return set_


# ── helpers ────────────────────────────────────────────────────────────────────────


class TestEnvBool:
    @pytest.mark.parametrize("word", ["1", "true", "TRUE", "yes", "on", " On "])
    def test_true_words(self, setenv, word):
        setenv(word)
        assert env_bool(VAR) is True

    @pytest.mark.parametrize("word", ["0", "false", "no", "off", ""])
    def test_false_words(self, setenv, word):
        setenv(word)
        assert env_bool(VAR, default=True) is False

    def test_unset_is_the_default(self, setenv):
        assert env_bool(VAR) is False
        assert env_bool(VAR, default=True) is True

    @pytest.mark.parametrize("word", ["maybe", "2", "oui", "banana"])
    def test_other_words_are_refused_naming_the_variable(self, setenv, word):
        setenv(word)
        with pytest.raises(ImproperlyConfigured, match=VAR) as excinfo:
            env_bool(VAR)
        assert repr(word) in str(excinfo.value)


class TestEnvInt:
    def test_a_whole_number(self, setenv):
        setenv(" 3600 ")
        assert env_int(VAR, 5) == 3600

    def test_unset_is_the_default(self, setenv):
        assert env_int(VAR, 5) == 5

    @pytest.mark.parametrize("raw", ["abc", "1.5", "", "10s"])
    def test_not_a_number_is_refused_naming_the_variable(self, setenv, raw):
        setenv(raw)
        with pytest.raises(ImproperlyConfigured, match=f"{VAR} must be a whole number"):
            env_int(VAR, 5)

    def test_below_the_minimum_is_refused(self, setenv):
        setenv("59")
        with pytest.raises(ImproperlyConfigured, match=f"{VAR} must be at least 60"):
            env_int(VAR, 3600, minimum=60)
        setenv("60")
        assert env_int(VAR, 3600, minimum=60) == 60


class TestEnvStrAndList:
    def test_required_string_names_the_variable(self, setenv):
        with pytest.raises(ImproperlyConfigured, match=VAR):
            env_str(VAR, required=True)
        setenv("value")
        assert env_str(VAR, required=True) == "value"

    def test_list(self, setenv):
        assert env_list(VAR, ["a"]) == ["a"]
        setenv("example.ma, www.example.ma")
        assert env_list(VAR, []) == ["example.ma", "www.example.ma"]

    @pytest.mark.parametrize("raw", ["a,,b", "a,", ""])
    def test_list_with_an_empty_item_is_refused(self, setenv, raw):
        setenv(raw)
        with pytest.raises(ImproperlyConfigured, match=VAR):
            env_list(VAR, [])


class TestEnvDatabase:
    DEFAULT = "sqlite:////tmp/default.sqlite3"

    def test_unset_or_empty_is_the_default(self, setenv):
        assert env_database(VAR, self.DEFAULT)["NAME"] == "/tmp/default.sqlite3"
        setenv("")
        assert env_database(VAR, self.DEFAULT)["ENGINE"] == "django.db.backends.sqlite3"

    @pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql"])
    def test_postgresql(self, setenv, scheme):
        setenv(f"{scheme}://artisanat:secret@db.example.ma:5433/artisanat")
        config = env_database(VAR, self.DEFAULT)
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("artisanat", "artisanat", "secret")
        assert (config["HOST"], config["PORT"]) == ("db.example.ma", 5433)

    @pytest.mark.parametrize("url", ["mysql://user@localhost/artisanat", "oracle://x/y", "db.sqlite3"])
    def test_other_databases_are_refused_naming_the_variable(self, setenv, url):
        setenv(url)
        with pytest.raises(ImproperlyConfigured, match=f"{VAR} must start with sqlite:/// or postgres://"):
            env_database(VAR, self.DEFAULT)

    @pytest.mark.parametrize("url", ["postgres://user@localhost:5432", "postgres://user@localhost:5432/"])
    def test_a_postgres_url_without_database_name_is_refused(self, setenv, url):
        setenv(url)
        with pytest.raises(ImproperlyConfigured, match=f"{VAR} must name a database"):
            env_database(VAR, self.DEFAULT)


# ── start-up of the real settings module ───────────────────────────────────────────


def start_django(**env):
    """Runs ``django.setup()`` in a fresh interpreter with only ``env`` as settings."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ARTISANAT_")) and k not in {"DATABASE_URL", "PYTHONPATH"}
    }
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=PROJECT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_start_with_a_secret_key():
    done = start_django(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="a-long-and-random-production-secret")
    assert done.returncode == 0, done.stderr


def test_debug_off_without_secret_key_refuses_to_start():
    done = start_django(DJANGO_DEBUG="0")
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY" in done.stderr
    assert "ImproperlyConfigured" in done.stderr


def test_debug_off_with_an_empty_secret_key_refuses_to_start():
    done = start_django(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="")
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY" in done.stderr


def test_debug_off_is_the_default():
    done = start_django()
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY" in done.stderr


def test_debug_on_starts_without_secret_key():
    done = start_django(DJANGO_DEBUG="1")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_DEBUG", "banana"),
        ("DATABASE_URL", "mysql://user@localhost/artisanat"),
        ("DATABASE_URL", "postgres://user@localhost:5432"),
        ("DJANGO_ALLOWED_HOSTS", "example.ma,,"),
        ("DJANGO_SESSION_COOKIE_AGE", "abc"),
        ("DJANGO_SESSION_COOKIE_AGE", "10"),
        ("DJANGO_SECURE_COOKIES", "maybe"),
        ("ARTISANAT_STATUS_AT_RISK", "0.99"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    done = start_django(**{"DJANGO_SECRET_KEY": "a-long-and-random-production-secret", variable: value})
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert variable in done.stderr.strip().splitlines()[-1]


def test_a_non_numeric_status_band_names_the_variable():
    done = start_django(DJANGO_DEBUG="1", ARTISANAT_STATUS_ON_TRACK="abc")
    assert done.returncode != 0
    assert "ARTISANAT_STATUS_ON_TRACK" in done.stderr.strip().splitlines()[-1]


def test_a_bad_log_level_names_the_variable():
    done = start_django(DJANGO_DEBUG="1", DJANGO_LOG_LEVEL="LOUD")
    assert done.returncode != 0
    assert "DJANGO_LOG_LEVEL" in done.stderr.strip().splitlines()[-1]


def test_the_served_application_is_not_in_debug_by_default():
    """wsgi.py (gunicorn) without DJANGO_DEBUG: debug off, so a secret key is required."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_"))}
    clean.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=PROJECT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY" in done.stderr


def test_manage_py_is_the_developers_tool_and_debugs_by_default():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_"))}
    clean.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=PROJECT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No changes detected" in done.stdout
