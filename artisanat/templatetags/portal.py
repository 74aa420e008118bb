"""Layout helpers of the staff pages: names in the interface language, the active
navigation entry, and the role checks the navigation needs."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from artisanat import permissions

register = template.Library()


@register.filter
def local(obj, field="name"):
    """``{{ axis|local:"title" }}``: the Arabic ``title_ar`` in Arabic when it is filled,
    else ``title``. Works on model instances and on dicts."""
    if obj is None:
        return ""
    getter = obj.get if isinstance(obj, dict) else lambda name, default="": getattr(obj, name, default)
    if (get_language() or "").startswith("ar"):
        arabic = getter(f"{field}_ar", "")
        if arabic:
            return arabic
    return getter(field, "")


@register.simple_tag(takes_context=True)
def nav_current(context, *names):
    """``aria-current="page"`` when the current view is one of ``names`` ("app:url_name")."""
    match = getattr(context.get("request"), "resolver_match", None)
    if match is not None and match.view_name in names:
        return mark_safe('aria-current="page"')
    return ""


@register.filter
def may(user, predicate):
    """``{% if user|may:"can_validate" %}``: a predicate of artisanat.permissions."""
    return bool(getattr(permissions, predicate)(user))


@register.simple_tag(takes_context=True)
def sort_th(context, key, label, css=""):
    """A sortable column's header (lists, artisanat.views.FilteredListView): a link to
    ``?ordering=key`` (``-key`` when already sorted by it ascending), the page number
    dropped, and ``aria-sort`` on the column the list is sorted by."""
    request = context["request"]
    current = context.get("ordering") or ""
    query = request.GET.copy()
    query.pop("page", None)
    query["ordering"] = f"-{key}" if current == key else key
    if current == key:
        sort, arrow, hint = "ascending", "▲", _("tri croissant ; cliquer pour trier par ordre décroissant")
    elif current == f"-{key}":
        sort, arrow, hint = "descending", "▼", _("tri décroissant ; cliquer pour trier par ordre croissant")
    else:
        sort, arrow, hint = None, "", _("cliquer pour trier")
    return format_html(
        '<th scope="col"{}{} data-sort="{}"><a class="sort" href="?{}">{}<span class="sort-arrow" aria-hidden="true">{}</span>'
        '<span class="visually-hidden"> ({})</span></a></th>',
        format_html(' class="{}"', css) if css else "",
        format_html(' aria-sort="{}"', sort) if sort else "",
        key,
        query.urlencode(),
        label,
        arrow,
        hint,
    )
