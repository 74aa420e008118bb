"""The structured security log: one JSON object per line on the ``artisanat.security``
logger, with the UTC time, the event, the user, their organisation and the client
address. Every surface (pages, API, admin) calls :func:`security_event`; nothing else
writes to that logger, so an operator can route it to a file or a SIEM by name."""

import json
import logging
from datetime import UTC, datetime

logger = logging.getLogger("artisanat.security")


class JsonLineFormatter(logging.Formatter):
    """The record's message is already a JSON object; keep it alone on its line."""

    def format(self, record):
        return record.getMessage()


def client_address(request):
    """The peer address Django saw. ``X-Forwarded-For`` is not trusted here: the proxy in
    front of gunicorn sets REMOTE_ADDR through its own configuration."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _user_fields(user):
    from artisanat.permissions import organisation_id_of

    if user is None or not getattr(user, "is_authenticated", False):
        return {"user": None, "user_id": None, "organisation_id": None}
    return {"user": user.get_username(), "user_id": user.pk, "organisation_id": organisation_id_of(user)}


def security_event(event, request=None, user=None, username=None, level=logging.INFO, **details):
    """Log one security event.

    ``user`` defaults to the request's user; ``username`` names the account a failed
    attempt was made for when no user is known. Extra keyword arguments go in as they
    are (they must be JSON-serialisable: ids, codes, short strings)."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event": event,
        **_user_fields(user),
        "client": client_address(request),
    }
    if username is not None and entry["user"] is None:
        entry["username"] = username
    if request is not None:
        entry["method"] = request.method
        entry["path"] = request.path
    entry.update(details)
    logger.log(level, json.dumps(entry, ensure_ascii=False, default=str, sort_keys=False))
    return entry
