"""Layout helpers of the staff pages: names in the interface language (isolated for
bidirectional text), the arrows of date ranges, the active navigation entry, and the
role checks the navigation needs."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from artisanat import permissions
from artisanat.i18n import arabic_page, french_page, is_working_translation, localized, localized_with_origin
from artisanat.templatetags.artisanat_format import dmy

register = template.Library()


@register.filter
def local(obj, field="name"):
    """``{{ axis|local:"title" }}``: the Arabic ``title_ar`` in Arabic when it is filled,
    else ``title``. Works on model instances and on dicts."""
    return localized(obj, field)


def render_data_text(obj, field="name", number=None):
    """``obj``'s ``field`` in the interface language, isolated in ``<bdi>`` so that its
    direction never scrambles the text around it ("1. Structuration…" stays in order
    in an Arabic page); ``lang="fr"`` when the French text stands in another language's
    page; an Arabic working translation is followed by a note saying so. ``number``
    (an axis's, a phase's) goes inside the isolation, before the text."""
    text, is_arabic = localized_with_origin(obj, field)
    if not text:
        return ""
    if number not in (None, ""):
        text = f"{number}. {text}"
    lang = mark_safe(' lang="fr"') if not is_arabic and not french_page() else ""
    note = ""
    if is_arabic and field in ("name", "title") and is_working_translation(obj):
        note = format_html(' <small class="working-translation">({})</small>', gettext("traduction de travail"))
    return format_html("<bdi{}>{}</bdi>{}", lang, text, note)


@register.filter(name="data_text")
def data_text_filter(obj, field="name"):
    """``{{ contract|data_text:"title" }}``: see ``render_data_text``."""
    return render_data_text(obj, field)


@register.simple_tag(name="data_text")
def data_text_tag(obj, field="name", number=None):
    """``{% data_text axis "title" number=axis.number %}``: see ``render_data_text``."""
    return render_data_text(obj, field, number)


@register.simple_tag
def arrow(back=False):
    """The arrow from a start to an end ("→"), pointing the reading way: "←" in a
    right-to-left page; ``back=True``: the other way (a "previous" link)."""
    return "←" if arabic_page() != bool(back) else "→"


@register.filter
def date_range(start, end):
    """``{{ start|date_range:end }}``: "01/01/2025 → 31/03/2025", each date kept
    left-to-right in ``<bdi dir="ltr">``, the arrow pointing the reading way."""
    return format_html('<bdi dir="ltr">{}</bdi> {} <bdi dir="ltr">{}</bdi>', dmy(start), arrow(), dmy(end))


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
