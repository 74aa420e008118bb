"""Layout helpers of the staff pages: names in the interface language, the active
navigation entry, and the role checks the navigation needs."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

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
