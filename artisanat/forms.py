import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from artisanat.dates import AsOfField
from artisanat.services import MIN_REASON_LENGTH, reason_message, require_reason


class AsOfForm(forms.Form):
    """``?as_of=YYYY-MM-DD``: every figure can be asked as of a date (today by default).
    A malformed date is an error of the form, never a silent fall back to today."""

    as_of = AsOfField(
        label=_("Situation au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ReasonMixin:
    """The reason a page's change is kept with in the history (required, at least
    ``MIN_REASON_LENGTH`` characters: artisanat.services.require_reason) and the version
    read, so that a change made meanwhile by someone else is refused, not overwritten."""

    def clean_change_reason(self):
        try:
            return require_reason(self.cleaned_data.get("change_reason"))
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["change_reason"]) from None


def reason_field(label=None):
    return forms.CharField(
        label=label or _("Motif du changement"),
        max_length=100,
        help_text=ngettext_lazy(
            "Pourquoi ce changement ? Le motif est gardé dans l'historique (au moins %(n)d caractère).",
            "Pourquoi ce changement ? Le motif est gardé dans l'historique (au moins %(n)d caractères).",
            "n",
        )
        % {"n": MIN_REASON_LENGTH},
        # Empty or too short, the same sentence (artisanat.services.require_reason).
        error_messages={"required": lazy(reason_message, str)()},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ReasonedModelForm(ReasonMixin, forms.ModelForm):
    """A page form that creates or changes one tracked row (saved by the view through
    the row's service, never by ``form.save()``)."""

    change_reason = reason_field()
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "version" in {f.name for f in self.instance._meta.fields}:
            self.fields["expected_version"].initial = self.instance.version
        # The reason and the version come last, whatever the subclass's Meta.fields say.
        for name in ("change_reason", "expected_version"):
            self.fields[name] = self.fields.pop(name)


def read_version(text):
    """The version a page's hidden field carried back (ASCII digits, at most 9), or None
    when it carried none or something else — a forged value then reads as "not the
    version stored", never as a server error."""
    text = (text or "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


class DeleteForm(ReasonMixin, forms.Form):
    """Delete one tracked row: the reason and the version read."""

    change_reason = reason_field(_("Motif de la suppression"))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


# ---------------------------------------------------------------- numbers typed the French way


#: Digits people type: ASCII, Arabic-Indic (٠-٩) and Eastern Arabic / Persian (۰-۹).
_DIGITS = str.maketrans(
    {**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}}
)
#: Thousands separators that can mean nothing else: spaces (plain, no-break, narrow
#: no-break, thin) and the Arabic thousands separator (U+066C).
_GROUP_MARKS = " \u00a0\u202f\u2009\u066c"
#: The Arabic decimal separator (U+066B): a decimal mark, never a thousands one.
_ARABIC_DECIMAL = "\u066b"
#: Direction marks a right-to-left field may slip in (LRM, RLM, ALM, zero-width space).
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u061c]")
_ALLOWED = re.compile(f"[0-9{_GROUP_MARKS}.,{_ARABIC_DECIMAL}]+")
#: "1,234" or "1.234" alone: a thousands separator or a decimal one? Refused, never guessed.
_AMBIGUOUS = re.compile(r"[1-9][0-9]{0,2}[,.][0-9]{3}")
#: The most a figure holds (strategy's FIGURE columns, and the 15 digits SQLite keeps exactly).
MAX_DECIMALS, MAX_DIGITS = 4, 15


def _illegible(text):
    return forms.ValidationError(
        _("Valeur illisible : « %(value)s ». Écrivez un nombre, par exemple 1 234,5.") % {"value": text}
    )


def _grouped(integer, separators):
    """The digits of an integer part written in groups of three (the first of one to
    three digits) between ``separators``; None when the groups are not so."""
    groups = re.split(f"[{re.escape(separators)}]", integer)
    if not re.fullmatch(r"[0-9]{1,3}", groups[0]) or not all(re.fullmatch(r"[0-9]{3}", g) for g in groups[1:]):
        return None
    return "".join(groups)


def _number_text(text):
    """The plain number ("-1234.5") in what a person typed, by the rules of
    docs/workspace.md ("Saisir un nombre"); a ValidationError otherwise."""
    shown = text
    sign = ""
    if text[:1] in ("-", "\u2212"):
        sign, text = "-", text[1:].lstrip()
    text = text.translate(_DIGITS)
    if not text or not _ALLOWED.fullmatch(text) or not re.search(r"[0-9]", text):
        raise _illegible(shown)
    spaced = any(mark in text for mark in _GROUP_MARKS)
    points, commas, arabic = text.count("."), text.count(","), text.count(_ARABIC_DECIMAL)
    decimal, thousands = None, None
    if arabic:
        if arabic > 1 or points or commas:
            raise _illegible(shown)
        decimal = _ARABIC_DECIMAL
    elif points and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        if text.count(decimal) > 1 or spaced:
            raise forms.ValidationError(
                _(
                    "Valeur ambiguë : « %(value)s » mélange points et virgules. "
                    "Écrivez les milliers avec une espace et les décimales après une virgule (1 234,5)."
                )
                % {"value": shown}
            )
    elif points + commas > 1:
        thousands = "." if points else ","  # "1.234.567": only thousands can repeat
        if spaced:
            raise _illegible(shown)
    elif points + commas == 1:
        decimal = "." if points else ","
        if not spaced and _AMBIGUOUS.fullmatch(text):
            raise forms.ValidationError(
                _(
                    "Valeur ambiguë : « %(value)s » peut se lire comme des milliers ou comme des décimales. "
                    "Écrivez les milliers avec une espace (1 234) ou ajoutez une décimale (1,2340)."
                )
                % {"value": shown}
            )
    integer, _sep, fraction = text.partition(decimal) if decimal else (text, "", "")
    if decimal and not re.fullmatch(r"[0-9]+", fraction):
        raise _illegible(shown)
    if thousands or spaced:
        digits = _grouped(integer, thousands or _GROUP_MARKS) if integer else None
        if digits is None:
            raise _illegible(shown)
        integer = digits
    elif not re.fullmatch(r"[0-9]*", integer):
        raise _illegible(shown)
    return f"{sign}{integer or '0'}" + (f".{fraction}" if fraction else "")


def french_decimal(text, places=MAX_DECIMALS):
    """The Decimal a person typed, the French way ("1 234,5"), with a point ("1234.5"),
    in Arabic-Indic or Eastern Arabic digits ("١٢٣٤٫٥"); None for an empty cell. A
    ValidationError with a message for what cannot be read, has too many digits, or
    could be read two ways ("1,234", "1.234": thousands or decimals?). The one reader
    of numbers typed in the pages; its rules, with examples, are in docs/workspace.md
    ("Saisir un nombre")."""
    text = _INVISIBLE.sub("", text or "").strip(_GROUP_MARKS + "\t\n\r")
    if not text:
        return None
    try:
        value = Decimal(_number_text(text))
    except InvalidOperation:  # pragma: no cover - _number_text only lets numbers through
        raise _illegible(text) from None
    sign, digits, exponent = value.as_tuple()
    if -exponent > places:
        raise forms.ValidationError(_("Au plus %(n)d chiffres après la virgule.") % {"n": places})
    if len(digits) > MAX_DIGITS:
        raise forms.ValidationError(_("Au plus %(n)d chiffres en tout.") % {"n": MAX_DIGITS})
    return value


def decimal_text(value):
    """A stored figure as the grid shows it in a cell: "1 234,5" (plain spaces, decimal
    comma, no trailing zeros), which french_decimal reads back to the same value."""
    if value is None:
        return ""
    text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}".rstrip("0")
    whole, _sep, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups) or '0'}" + (f",{fraction}" if fraction else "")


class FrenchDecimalField(forms.CharField):
    """A decimal typed the French way ("1 234 567,50") or with a point, read by
    ``french_decimal`` (an ambiguous "1.234" is refused, never guessed); shown back in
    the same form (``decimal_text``)."""

    def __init__(self, *args, places=2, **kwargs):
        self.places = places
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return french_decimal(super().to_python(value), self.places)

    def prepare_value(self, value):
        return decimal_text(value) if isinstance(value, Decimal) else value
