"""Who and why for the rows a deletion takes with it.

``instance._history_user`` / ``_change_reason`` name the author of one object's history
row. Deleting a contract also deletes its parties, milestones and amendments (CASCADE),
and an indicator its targets: Django builds those objects itself, without the
attributes, and their "-" rows would name nobody (an API token's user is not the
request's user that django-simple-history's middleware sees) and give no reason.

Deletions run inside :func:`history_author`; a ``pre_delete`` receiver gives every
object deleted meanwhile the same author and reason, unless it carries its own."""

import threading
from contextlib import contextmanager

_state = threading.local()


@contextmanager
def history_author(user, reason):
    previous = getattr(_state, "author", None)
    _state.author = (user, reason)
    try:
        yield
    finally:
        _state.author = previous


def attribute_deleted_rows(sender, instance, **kwargs):
    """pre_delete (every model): attribute a cascaded deletion to the current author."""
    author = getattr(_state, "author", None)
    if author is None:
        return
    user, reason = author
    if getattr(instance, "_history_user", None) is None:
        instance._history_user = user
    if not getattr(instance, "_change_reason", None):
        instance._change_reason = reason
