"""Data text in the interface language: the Arabic ``<field>_ar`` of a row in Arabic
pages when it is filled, else the French ``<field>`` (the working language). The
templates print it through ``data_text`` (templatetags/portal.py), which isolates it in
``<bdi>`` and marks a French fallback ``lang="fr"``; the models' ``__str__`` use
``localized`` so that choices and admin lists follow the language too.

``WORKING_TRANSLATION``: the flag a model carries when its Arabic text is a working
translation, not an official wording (shown as such beside the text, never as official)."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

WORKING_TRANSLATION = "arabic_is_working_translation"


def arabic_page():
    return (get_language() or "").startswith("ar")


def french_page():
    return (get_language() or "fr").startswith("fr")


def _getter(obj):
    if isinstance(obj, dict):
        return obj.get
    return lambda name, default="": getattr(obj, name, default)


def localized_with_origin(obj, field="name"):
    """``(text, is_arabic)``: the Arabic text in an Arabic page when it is filled, else
    the French text (``is_arabic`` False)."""
    if obj is None:
        return "", False
    get = _getter(obj)
    if arabic_page():
        arabic = get(f"{field}_ar", "")
        if arabic:
            return arabic, True
    return get(field, "") or "", False


def localized(obj, field="name"):
    """The text of ``field`` in the interface language (see the module's docstring)."""
    return localized_with_origin(obj, field)[0]


def is_working_translation(obj):
    return bool(_getter(obj)(WORKING_TRANSLATION, False))


WORKING_TRANSLATION_MESSAGE = _("Une traduction de travail suppose un texte arabe : remplissez-le ou décochez la case.")


def working_translation_field():
    """The flag beside an Arabic text: True when the text is a working translation."""
    return models.BooleanField(
        _("traduction de travail (arabe)"),
        default=False,
        db_default=False,  # rows written by code that predates the column (older migrations' states)
        help_text=_(
            "Cochée : le texte arabe est une traduction de travail, pas une formulation officielle ; "
            "les pages en arabe l'indiquent à côté du texte."
        ),
    )


def working_translation_constraint(name, arabic_field):
    """The column rule: only a filled Arabic text can be marked a working translation."""
    return models.CheckConstraint(
        condition=models.Q(**{WORKING_TRANSLATION: False}) | ~models.Q(**{arabic_field: ""}),
        name=name,
        violation_error_message=WORKING_TRANSLATION_MESSAGE,
    )


def working_translation_errors(instance, arabic_field):
    """The same rule for ``clean()``: ``{field: message}``, empty when it holds."""
    if getattr(instance, WORKING_TRANSLATION, False) and not getattr(instance, arabic_field, ""):
        return {WORKING_TRANSLATION: WORKING_TRANSLATION_MESSAGE}
    return {}
