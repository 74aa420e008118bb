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


class _Discard(Exception):
    """The handler answered with an error: forget the key (and anything written)."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


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


def idempotent(request, payload, handler, *, dry_run=False):
    """Run ``handler()`` (which returns a Response) at most once per (user, key, payload).

    ``dry_run``: answer as the real request would (an invalid key refused, a key already
    used replayed or refused with 422) but claim nothing: the handler stores nothing."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not KEY.match(key):
        raise ValidationError({HEADER: [_("Clé d'idempotence invalide : 1 à 255 caractères ASCII visibles.")]})
    digest = request_hash(payload)
    user = request.user
    if dry_run:
        stored = IdempotencyKey.objects.filter(
            user=user,
            key=key,
            created_at__gte=timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS),
        ).first()
        return _replay_or_refuse(stored, digest) if stored is not None else handler()
    IdempotencyKey.objects.filter(
        user=user, key=key, created_at__lt=timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
    ).delete()
    stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is not None:
        return _replay_or_refuse(stored, digest)
    try:
        with transaction.atomic():
            # Claim the key before doing the work: a concurrent request with the same key
            # waits on the unique index (PostgreSQL) or on the write lock (SQLite) until
            # this transaction ends, then replays its answer instead of writing again.
            try:
                with transaction.atomic():
                    claim = IdempotencyKey.objects.create(
                        user=user, key=key, request_hash=digest, status_code=0, response={}
                    )
            except IntegrityError:
                raise _Raced() from None
            response = handler()
            if not 200 <= response.status_code < 300:
                raise _Discard(response)
            claim.status_code = response.status_code
            claim.response = response.data
            claim.save(update_fields=["status_code", "response"])
    except _Raced:
        return _replay_or_refuse(IdempotencyKey.objects.get(user=user, key=key), digest)
    except _Discard as discarded:
        return discarded.response
    return response
