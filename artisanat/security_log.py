"""The structured security log: one JSON object per line on the ``artisanat.security``
logger, with the UTC time, the event, the user, their organisation and the client
address. Every surface (pages, API, admin) calls :func:`security_event`; nothing else
writes to that logger, so an operator can route it to a file or a SIEM by name."""

import functools
import ipaddress
import json
import logging
from datetime import UTC, datetime

from django.conf import settings

logger = logging.getLogger("artisanat.security")


class JsonLineFormatter(logging.Formatter):
    """The record's message is already a JSON object; keep it alone on its line."""

    def format(self, record):
        return record.getMessage()


def client_address(request):
    """The client's address, read the same way by the security log, the lock-out (axes,
    ``AXES_CLIENT_IP_CALLABLE``) and the API throttles (artisanat/api/throttling.py).

    ``X-Forwarded-For`` is believed only as far as the proxies listed in
    ``ARTISANAT_TRUSTED_PROXIES`` (settings ``TRUSTED_PROXIES``) vouch for it: when the
    peer (``REMOTE_ADDR``) is one of them, the header is read from the right, skipping
    the trusted proxies, and the first address that is not one of them is the client.
    What a client writes in the header itself sits to the left of that address and is
    never read. Without trusted proxies (the default) the header is ignored and the
    client is the peer. (django-ipware, the usual library, returns the left-most
    address, which a client chooses; hence these few lines.)"""
    if request is None:
        return None
    peer = request.META.get("REMOTE_ADDR") or None
    trusted = _trusted_networks()
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    client = peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed(forwarded.split(",")):
        address = _address(entry)
        if address is None:
            break  # unreadable: keep the last hop a trusted proxy vouched for
        client = address
        if not _is_trusted(address, trusted):
            break
    return client


@functools.cache
def _networks(proxies):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted_networks():
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _address(entry):
    """One ``X-Forwarded-For`` entry as a normalised address, or None. Some proxies add
    the port ("192.0.2.1:5050", "[2001:db8::1]:5050")."""
    entry = entry.strip()
    if entry.startswith("["):
        entry = entry[1 : entry.find("]")] if "]" in entry else ""
    elif entry.count(":") == 1:
        entry = entry.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


def _is_trusted(address, networks):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


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
