"""Readable change history (django-simple-history): who, when, what changed and why.

``history_entries`` takes the historical rows of one or several models, already fetched
with their ``history_user``, and diffs each row against the previous row of the same
object (``record.diff_against(prev)``) — no query per row."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from artisanat import permissions
from artisanat.documents import DocumentField
from artisanat.templatetags.artisanat_format import group

HISTORY_TYPES = {"+": _("Création"), "~": _("Modification"), "-": _("Suppression")}

#: What reads an author's organisation without a query per row (``author_label``).
AUTHOR_RELATED = "history_user__membership__organisation"


def author_label(author, viewer, *, full_name=True):
    """Who did it, as ``viewer`` may read it: the person's name (``full_name``, else the
    username) for ministry roles and for the people of the viewer's own organisation;
    otherwise the acronym of the author's organisation. None for no author (the system).
    Load ``membership__organisation`` with the author (``AUTHOR_RELATED``)."""
    if author is None:
        return None
    if permissions.may_see_name_of(viewer, author):
        return (full_name and author.get_full_name()) or author.get_username()
    membership = getattr(author, "membership", None)
    return membership.organisation.acronym if membership is not None else str(_("autre organisation"))


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    date: object
    user: object
    author: str | None
    kind: str
    reason: str
    model: str
    label: str
    changes: list = field(default_factory=list)


def _display(model_field, value):
    if value is None or value == "":
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        return f"#{value}"
    if isinstance(value, bool):
        return str(_("oui") if value else _("non"))
    if isinstance(value, Decimal):
        places = max(0, min(4, -value.normalize().as_tuple().exponent))
        return group(value, places)
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def history_entries(records, labels=None, *, viewer):
    """Entries newest first, each author as ``viewer`` may read it (``author_label``:
    a partner reads other organisations' people as their organisation). ``labels`` maps a
    model class to ``callable(record) -> str`` (it must not query: use the record's own
    columns). Fetch the records with ``select_related(AUTHOR_RELATED)``."""
    labels = labels or {}
    by_object = defaultdict(list)
    for record in records:
        by_object[(type(record), record.id)].append(record)
    entries = []
    for (_cls, _pk), rows in by_object.items():
        rows.sort(key=lambda r: (r.history_date, r.history_id))
        previous = None
        for record in rows:
            model = record.instance_type
            m2m = {f.name for f in getattr(record, "_history_m2m_fields", [])}
            changes = []
            if previous is not None and record.history_type == "~":
                # An uploaded document reads under the name it was given, never its
                # stored (random) name; that name's own column is then not repeated.
                documents = {
                    f.name: f.name_field for f in model._meta.fields if isinstance(f, DocumentField) and f.name_field
                }
                delta = record.diff_against(previous, excluded_fields=m2m | set(documents.values()))
                for change in delta.changes:
                    model_field = model._meta.get_field(change.field)
                    if change.field in documents:
                        shown = documents[change.field]
                        old = getattr(previous, shown, "") if change.old else ""
                        new = getattr(record, shown, "") if change.new else ""
                        changes.append(Change(str(model_field.verbose_name), old or "—", new or "—"))
                        continue
                    changes.append(
                        Change(
                            field=str(model_field.verbose_name),
                            old=_display(model_field, change.old),
                            new=_display(model_field, change.new),
                        )
                    )
            label_of = labels.get(model)
            entries.append(
                Entry(
                    date=record.history_date,
                    user=record.history_user,
                    author=author_label(record.history_user, viewer),
                    kind=str(HISTORY_TYPES.get(record.history_type, record.history_type)),
                    reason=record.history_change_reason or "",
                    model=str(model._meta.verbose_name),
                    label=label_of(record) if label_of else f"#{record.id}",
                    changes=changes,
                )
            )
            previous = record
    entries.sort(key=lambda e: e.date, reverse=True)
    return entries
