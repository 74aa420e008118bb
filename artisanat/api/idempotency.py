"""``Idempotency-Key``: a client that retries a request (a timeout, a lost answer)
with the same key and the same content gets the first answer again and nothing is
created twice; the same key with other content is refused (422).

Only successful answers are kept (settings.API_IDEMPOTENCY_TTL_HOURS): after a 400 the
client fixes its rows and may send them again under the same key."""

import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from artisanat.api.exceptions import Unprocessable
from artisanat.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class _Raced(Exception):
    """Another request with the same key committed first."""


def request_hash(payload):
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replay_or_refuse(stored, digest):
    if stored.request_hash != digest:
        raise Unprocessable(
            _("Cette clé d'idempotence a déjà servi pour un autre contenu : utilisez une nouvelle clé.")
        )
    response = Response(stored.response, status=stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request, payload, handler):
    """Run ``handler()`` (which returns a Response) at most once per (user, key, payload)."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not KEY.match(key):
        raise ValidationError({HEADER: [_("Clé d'idempotence invalide : 1 à 255 caractères ASCII visibles.")]})
    digest = request_hash(payload)
    user = request.user
    IdempotencyKey.objects.filter(
        user=user, key=key, created_at__lt=timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
    ).delete()
    stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is not None:
        return _replay_or_refuse(stored, digest)
    try:
        with transaction.atomic():
            response = handler()
            if 200 <= response.status_code < 300:
                try:
                    with transaction.atomic():
                        IdempotencyKey.objects.create(
                            user=user,
                            key=key,
                            request_hash=digest,
                            status_code=response.status_code,
                            response=response.data,
                        )
                except IntegrityError:
                    raise _Raced() from None
    except _Raced:
        return _replay_or_refuse(IdempotencyKey.objects.get(user=user, key=key), digest)
    return response
