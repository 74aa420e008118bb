"""Strict readers for settings taken from the environment.

A bad value stops start-up with a message that names the variable, so a typo in a
deployment never turns into a silently different configuration.
"""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name, default=None, *, required=False):
    value = os.environ.get(name)
    if value is None:
        if required:
            raise ImproperlyConfigured(f"The environment variable {name} is required.")
        return default
    return value


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name, default, *, minimum=None):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_decimal(name, default):
    from decimal import Decimal, InvalidOperation

    raw = os.environ.get(name)
    if raw is None:
        return Decimal(default)
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a decimal number such as 0.95; got {raw!r}.") from None
    if not value.is_finite():
        raise ImproperlyConfigured(f"{name} must be a finite decimal number; got {raw!r}.")
    return value


def env_choice(name, default, choices):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().upper()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {raw!r}.")
    return value


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name} must be a comma-separated list without empty items; got {raw!r}.")
    return items


def env_database(name, default_url):
    """Parse DATABASE_URL; only SQLite and PostgreSQL are supported."""
    import dj_database_url

    raw = os.environ.get(name) or default_url
    scheme = raw.split(":", 1)[0].lower()
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"{name} must start with sqlite:/// or postgres://; got scheme {scheme!r}.")
    try:
        config = dj_database_url.parse(raw, conn_max_age=0)
    except Exception as exc:  # dj_database_url raises several kinds of errors
        raise ImproperlyConfigured(f"{name} could not be parsed: {exc}") from None
    if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database, e.g. postgres://user@host:5432/artisanat.")
    return config


def env_networks(name):
    """A comma-separated list of IP addresses or networks (``10.0.0.5``, ``10.0.0.0/24``,
    ``2001:db8::/32``), normalised; empty when unset or blank."""
    import ipaddress

    raw = os.environ.get(name, "").strip()
    if not raw:
        return []
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks such as 10.0.0.5 or 10.0.0.0/24; got {item!r}."
            ) from None
    return networks


def env_redis_url(name):
    """A Redis URL (redis://, rediss:// or unix://), or "" when unset or blank."""
    raw = os.environ.get(name, "").strip()
    if raw and not raw.lower().startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"{name} must start with redis://, rediss:// or unix://, e.g. redis://127.0.0.1:6379/0; "
            f"got scheme {raw.split(':', 1)[0]!r}."
        )
    return raw
