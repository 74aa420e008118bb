"""Forms of the strategy pages: measurement entry, validation and the yearly report.

The model's ``clean()`` (through ``full_clean``) gives the French errors shown beside
the fields; saving goes through strategy.services, never ``form.save()``."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import CharField, F, IntegerField, Q, Value
from django.db.models.functions import Cast
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from artisanat import documents, permissions
from artisanat.dates import today
from artisanat.exceptions import InvalidParameter
from artisanat.forms import (
    MAX_DECIMALS,
    AsOfForm,
    FrenchDecimalField,
    ReasonedModelForm,
    ReasonMixin,
    decimal_text,
    reason_field,
)
from artisanat.models import Filiere, Organisation, Region
from artisanat.services import require_reason
from artisanat.templatetags.artisanat_format import group
from artisanat.templatetags.portal import local
from strategy import periods, stored_figures
from strategy.choices import REPORTED_STATUSES, UNIT_SYMBOLS, ActorType, Aggregation, ReportKind, Sex
from strategy.models import Action, Indicator, IndicatorComment, Measurement, Phase, Programme
from strategy.querysets import phase_scope
from strategy.reports import ReportSpec, strategy_years

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}


#: The breakdown fields of an entry, each with the words its messages use.
BREAKDOWN_FIELDS = {
    "region": _("la région"),
    "filiere": _("la filière"),
    "sex": _("le sexe"),
    "actor_type": _("le type d'acteur"),
}
#: The values a previous period counts with: reported, not a draft still being typed.
REPORTED = REPORTED_STATUSES
#: At most this many earlier rows of an indicator go to the page for the previous value.
PREVIOUS_ROWS = 500


def period_key(period):
    """A period as the entry form's choice carries it: "2025-01-01/2025-03-31"."""
    return f"{period.start:%Y-%m-%d}/{period.end:%Y-%m-%d}"


def entry_periods(indicator, day):
    """The periods of ``indicator``'s frequency (strategy.periods) a value can be
    recorded for on ``day``, newest first: inside the strategy's dates, up to the period
    that contains ``day`` (a period under way may be reported, a future one not)."""
    strategy = indicator.axis.strategy
    last = min(strategy.end_date, periods.period_containing(indicator.frequency, day).end)
    offered = periods.periods_between(indicator.frequency, strategy.start_date, last)
    return [p for p in reversed(offered) if p.start >= strategy.start_date]


def figure_text(value, unit=""):
    """A figure the way a reader reads it: "1 234,50 MDH" (two decimals at least, four
    at most, as stored)."""
    if value is None:
        return "—"
    places = max(2, min(MAX_DECIMALS, -value.normalize().as_tuple().exponent))
    text = group(value, places)
    return f"{text}\u00a0{unit}" if unit else text


def amount_text(row, unit=""):
    """A measurement's value as read: "1 234,50 MDH", or "25,00 / 200,00 (12,50 %)" for a ratio."""
    if row.value is not None:
        return figure_text(row.value, unit)
    if row.numerator is None or not row.denominator:
        return "—"
    share = figure_text(row.numerator * 100 / row.denominator, "%")
    return f"{figure_text(row.numerator)} / {figure_text(row.denominator)} ({share})"


def is_jump(amount, previous, ratio):
    """True when ``amount`` is more than ``ratio`` times ``previous``, or less than
    ``previous`` divided by ``ratio`` (in size; from or to zero is a jump)."""
    amount, previous = abs(amount), abs(previous)
    if amount == previous:
        return False
    if not amount or not previous:
        return True
    return amount / previous > ratio or previous / amount > ratio


class MeasurementForm(ReasonMixin, forms.ModelForm):
    """A measurement for one period and one row of the indicator's breakdown, guided by
    its indicator (docs/workspace.md, "Saisir une mesure").

    Indicator choices are those ``user`` may report on; a partner reports for its own
    organisation, ministry staff choose the reporting organisation. Until the indicator
    is known (posted, ``initial`` from ``?indicator=``, or the row's) the form holds the
    indicator only; then it holds what that indicator needs: a period of its frequency
    to pick, the value (or numerator and denominator of a ratio) typed the French way,
    and only its breakdown fields, each required; the others are dropped and emptied.
    A value more than ``ENTRY_JUMP_RATIO`` times the previous period's (or less than
    its share) is refused until the person ticks "Je confirme cette valeur" for that
    very value. ``version`` carries the version read, so that a concurrent change is
    refused instead of overwritten; ``change_reason`` is required to change a row (a
    new draft may come without one)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    period = forms.ChoiceField(label=_("Période"))
    value = FrenchDecimalField(
        label=_("Valeur"),
        places=MAX_DECIMALS,
        required=False,
        error_messages={"required": _("La valeur est obligatoire.")},
    )
    numerator = FrenchDecimalField(
        label=_("Numérateur"),
        places=MAX_DECIMALS,
        required=False,
        error_messages={"required": _("Le numérateur est obligatoire pour un ratio.")},
    )
    denominator = FrenchDecimalField(
        label=_("Dénominateur"),
        places=MAX_DECIMALS,
        required=False,
        error_messages={"required": _("Le dénominateur est obligatoire pour un ratio.")},
    )
    change_reason = reason_field()

    class Meta:
        model = Measurement
        fields = [
            "indicator",
            "organisation",
            "period",
            "value",
            "numerator",
            "denominator",
            "region",
            "filiere",
            "sex",
            "actor_type",
            "source",
            "evidence",
        ]
        widgets = {"source": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.jump = None
        self.fields["indicator"].queryset = Indicator.objects.reportable_by(user).order_by("code")
        self.fields["indicator"].label_from_instance = lambda i: f"{i.code} — {local(i)}"
        if permissions.is_reporter(user):
            del self.fields["organisation"]
            self.instance.organisation_id = permissions.organisation_id_of(user)
        else:
            self.fields["organisation"].queryset = Organisation.objects.filter(active=True)
            self.fields["organisation"].label_from_instance = lambda o: f"{o.acronym} — {local(o)}"
            if not self.instance.pk:
                self.fields["organisation"].initial = permissions.organisation_id_of(user)
        for name in ("region", "filiere"):
            self.fields[name].label_from_instance = local
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            self.fields["change_reason"].required = False
        self.indicator = self._chosen_indicator()
        if self.indicator is None:
            for name in list(self.fields):
                if name not in ("indicator", "version"):
                    del self.fields[name]
            return
        self._guide(self.indicator)

    @property
    def chosen_indicator(self):
        """The indicator the form is guided by (templates read ``form.indicator`` as the field)."""
        return self.indicator

    def _chosen_indicator(self):
        if self.is_bound:
            chosen = self.data.get(self.add_prefix("indicator"))
        else:
            chosen = self.initial.get("indicator") or self.instance.indicator_id
        if chosen in (None, "") or not re.fullmatch(r"[0-9]{1,18}", str(chosen)):
            return None
        return self.fields["indicator"].queryset.select_related("axis__strategy").filter(pk=chosen).first()

    def _guide(self, indicator):
        """Keep only what ``indicator`` needs, its periods to pick and its unit."""
        self.fields["indicator"].widget = forms.HiddenInput()
        self.unit = UNIT_SYMBOLS.get(indicator.unit, "")
        self.unit_label = indicator.get_unit_display()
        offered = entry_periods(indicator, today())
        instance = self.instance
        if (
            instance.pk
            and instance.indicator_id == indicator.pk
            and periods.is_period(indicator.frequency, instance.period_start, instance.period_end)
            and indicator.axis.strategy.contains(instance.period_start)
            and indicator.axis.strategy.contains(instance.period_end)
        ):
            current = periods.period_containing(indicator.frequency, instance.period_start)
            if current not in offered:
                offered = sorted([*offered, current], reverse=True)
            self.fields["period"].initial = period_key(current)
        elif not instance.pk:
            ended = [p for p in offered if p.end < today()]
            self.fields["period"].initial = period_key(ended[0] if ended else offered[-1]) if offered else None
        self.periods = {period_key(p): p for p in offered}
        field = self.fields["period"]
        field.choices = [(key, p.label) for key, p in self.periods.items()]
        field.help_text = _("Cet indicateur est rapporté selon une périodicité %(frequency)s.") % {
            "frequency": indicator.get_frequency_display()
        }
        field.error_messages["invalid_choice"] = _(
            "Choisissez une des périodes proposées : cet indicateur est rapporté selon une périodicité %(frequency)s."
        ) % {"frequency": indicator.get_frequency_display()}
        ratio = indicator.aggregation == Aggregation.RATIO
        for name in ("numerator", "denominator") if ratio else ("value",):
            self.fields[name].required = True
        for name in ("value",) if ratio else ("numerator", "denominator"):
            del self.fields[name]
            setattr(instance, name, None)
        unit_help = _("Unité : %(unit)s. Milliers séparés par une espace, décimales après une virgule : 1 234,5.")
        self.fields["numerator" if ratio else "value"].help_text = unit_help % {"unit": self.unit_label}
        wanted = set(indicator.dimensions)
        for name, words in BREAKDOWN_FIELDS.items():
            if name in wanted:
                self.fields[name].required = True
                if name in ("region", "filiere"):
                    self.fields[name].empty_label = _("Choisissez")
                else:
                    self.fields[name].choices = [("", _("Choisissez")), *self.fields[name].choices[1:]]
                self.fields[name].help_text = _("Obligatoire : cet indicateur est ventilé par %(dim)s.") % {
                    "dim": words
                }
            else:
                del self.fields[name]
                setattr(instance, name, None if name in ("region", "filiere") else "")

    # ------------------------------------------------------------ reading the post

    def add_error(self, field, error):
        """Errors of the row's columns the form shows otherwise: the period's dates go to
        the period choice, a dropped field's to the form; a field that already says what
        is wrong (an unreadable number) is not told again by the row's rules ("La valeur
        est obligatoire")."""
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            moved = {}
            for name, errors in error.error_dict.items():
                if name in ("period_start", "period_end") and "period" in self.fields:
                    name = "period"
                elif name not in self.fields:
                    name = NON_FIELD_ERRORS
                if name != NON_FIELD_ERRORS and name in (self._errors or {}):
                    continue
                moved.setdefault(name, []).extend(errors)
            if not moved:
                return
            error = ValidationError(moved)
        super().add_error(field, error)

    def clean(self):
        cleaned = super().clean()
        if self.indicator is None:
            return cleaned
        period = self.periods.get(cleaned.get("period"))
        if period is not None:
            self.instance.period_start, self.instance.period_end = period.start, period.end
        self._check_jump(cleaned)
        return cleaned

    def _check_jump(self, cleaned):
        previous = self.previous
        if previous is None or previous.amount is None or self.errors:
            return
        if "value" in self.fields:
            amount, field, token = cleaned.get("value"), "value", decimal_text(cleaned.get("value"))
        else:
            numerator, denominator = cleaned.get("numerator"), cleaned.get("denominator")
            if numerator is None or not denominator:
                return
            amount, field = numerator * 100 / denominator, "numerator"
            token = f"{decimal_text(numerator)}/{decimal_text(denominator)}"
        ratio = settings.ENTRY_JUMP_RATIO
        if amount is None or not is_jump(amount, previous.amount, ratio):
            return
        if self.data.get(self.add_prefix("confirm_jump")) == token:
            return
        self.jump = {"token": token, "previous": self.previous_text}
        self.add_error(
            field,
            ValidationError(
                _(
                    "Cette valeur s'écarte fortement de celle de la période précédente (%(previous)s) : "
                    "plus de %(ratio)s fois plus grande ou plus petite. Vérifiez-la ; si elle est juste, "
                    "cochez « Je confirme cette valeur » et enregistrez de nouveau."
                )
                % {"previous": self.previous_text, "ratio": figure_text(ratio).removesuffix(",00")},
                code="jump",
            ),
        )

    # ------------------------------------------------------------ the previous value

    def _series(self):
        """(organisation id, {breakdown: value}, period) of the row being typed, or None
        while one of them is not known."""
        wanted = self.indicator.dimensions
        if self.is_bound:
            data = getattr(self, "cleaned_data", {})
            period = self.periods.get(data.get("period"))
            organisation = data.get("organisation") if "organisation" in self.fields else None
            organisation_id = organisation.pk if organisation else self.instance.organisation_id
            values = {name: data.get(name) for name in wanted}
        else:
            period = self.periods.get(self.fields["period"].initial)
            organisation_id = self.instance.organisation_id or (
                self.fields["organisation"].initial if "organisation" in self.fields else None
            )
            values = {name: getattr(self.instance, name) for name in wanted}
        if period is None or organisation_id is None or not all(values.values()):
            return None
        return organisation_id, values, period

    def _series_rows(self, organisation_id, values):
        rows = Measurement.objects.visible_to(self.user).filter(
            indicator=self.indicator, organisation_id=organisation_id, status__in=REPORTED
        )
        for name in BREAKDOWN_FIELDS:
            empty = {f"{name}__isnull": True} if name in ("region", "filiere") else {name: ""}
            rows = rows.filter(**{name: values[name]}) if name in values else rows.filter(**empty)
        return rows

    @cached_property
    def previous(self):
        """The value of the same series (indicator, organisation, breakdown) for the
        latest period before the one typed, as reported (submitted or validated)."""
        if self.indicator is None:
            return None
        series = self._series()
        if series is None:
            return None
        organisation_id, values, period = series
        rows = self._series_rows(organisation_id, values).filter(period_end__lt=period.start)
        return rows.exclude(pk=self.instance.pk or 0).order_by("-period_end", "-pk").first()

    @property
    def previous_text(self):
        row = self.previous
        if row is None:
            return ""
        label = periods.period_containing(self.indicator.frequency, row.period_start).label
        return f"{amount_text(row, self.unit)} ({label})"

    def previous_values(self):
        """The earlier reported rows of the indicator the page may look the previous value
        up in (static/js/entry.js, when the period or the breakdown changes): one query."""
        if self.indicator is None:
            return []
        rows = Measurement.objects.visible_to(self.user).filter(indicator=self.indicator, status__in=REPORTED)
        if permissions.is_reporter(self.user):  # its own series only
            rows = rows.filter(organisation_id=permissions.organisation_id_of(self.user))
        rows = (
            rows.exclude(pk=self.instance.pk or 0)
            .only(
                "organisation_id",
                "region_id",
                "filiere_id",
                "sex",
                "actor_type",
                "period_start",
                "period_end",
                "value",
                "numerator",
                "denominator",
            )
            .order_by("-period_end", "-pk")[:PREVIOUS_ROWS]
        )
        frequency = self.indicator.frequency
        return [
            {
                "key": series_key(r.organisation_id, r.region_id, r.filiere_id, r.sex, r.actor_type),
                "end": f"{r.period_end:%Y-%m-%d}",
                "text": f"{amount_text(r, self.unit)} ({periods.period_containing(frequency, r.period_start).label})",
            }
            for r in rows
        ]

    def clean_change_reason(self):
        if self.instance.pk is None and not (self.cleaned_data.get("change_reason") or "").strip():
            return ""
        return super().clean_change_reason()


def series_key(organisation_id, region_id, filiere_id, sex, actor_type):
    """One series of an indicator as static/js/entry.js reads it from the page's fields."""
    return "|".join(str(part or "") for part in (organisation_id, region_id, filiere_id, sex, actor_type))


class ReasonForm(forms.Form):
    """Return (or reopen) a measurement: the reason is what the reporter will read."""

    reason = forms.CharField(label=_("Motif"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class VersionForm(forms.Form):
    """Validate or submit: an optional comment and the version read."""

    comment = forms.CharField(label=_("Commentaire"), required=False, max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def refuse_invalid(form):
    """A query-string form (scope, report year) whose value cannot be read answers 400
    naming the parameter and the reason (InvalidParameter): a page never shows figures
    for another date, phase, region or year than the one asked."""
    if form.is_bound and not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        raise InvalidParameter(name, errors[0])


class ReportForm(forms.Form):
    """Which report: ``?year=2025`` (the yearly report, figures as of 31 December) or
    ``?quarter=2025-Q3`` (the quarterly review, figures as of the quarter's last day).
    A year outside the strategy's years, a quarter that cannot be read, or both naming
    different years, is refused (InvalidParameter, 400): never another report than the
    one asked."""

    year = forms.IntegerField(label=_("Année"), required=False)
    quarter = forms.RegexField(
        label=_("Trimestre"),
        regex=r"^[0-9]{4}-Q[1-4]$",
        required=False,
        help_text=_("Pour une revue trimestrielle, par exemple 2025-Q3."),
        error_messages={"invalid": _("Trimestre illisible : écrivez-le AAAA-QN, par exemple 2025-Q3.")},
    )

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year is not None:
            first, last = self.bounds
            if not first <= year <= last:
                raise forms.ValidationError(
                    _("L'année doit être comprise entre %(first)s et %(last)s (années de la stratégie).")
                    % {"first": first, "last": last}
                )
        return year

    def clean_quarter(self):
        quarter = self.cleaned_data.get("quarter")
        if not quarter:
            return None
        year, number = int(quarter[:4]), int(quarter[-1])
        first, last = self.bounds
        if not first <= year <= last:
            raise forms.ValidationError(
                _("L'année doit être comprise entre %(first)s et %(last)s (années de la stratégie).")
                % {"first": first, "last": last}
            )
        return year, number

    def clean(self):
        cleaned = super().clean()
        year, quarter = cleaned.get("year"), cleaned.get("quarter")
        if year is not None and quarter is not None and quarter[0] != year:
            self.add_error("quarter", _("Le trimestre demandé n'est pas de l'année demandée."))
        return cleaned

    @cached_property
    def bounds(self):
        return strategy_years()

    def spec(self):
        """The report asked (ReportSpec), or the last complete year's report by default."""
        refuse_invalid(self)
        if self.is_bound and self.cleaned_data.get("quarter"):
            year, quarter = self.cleaned_data["quarter"]
            return ReportSpec(ReportKind.QUARTERLY, year, quarter)
        if self.is_bound and self.cleaned_data.get("year"):
            return ReportSpec(ReportKind.YEARLY, self.cleaned_data["year"])
        first, last = self.bounds
        return ReportSpec(ReportKind.YEARLY, min(max(today().year - 1, first), last))


class IndicatorCommentForm(forms.ModelForm):
    """The comment of one indicator for one year; ``version`` carries the version read
    (a concurrent change is refused, not overwritten), ``reason`` goes to the history
    (required, to write a comment as to change it: artisanat.services.require_reason)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = reason_field(_("Motif"))

    class Meta:
        model = IndicatorComment
        fields = ["text", "text_ar"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6}),
            "text_ar": forms.Textarea(attrs={"rows": 6, "dir": "rtl", "lang": "ar"}),
        }
        help_texts = {"text": _("Ce qui explique l'écart à la cible, ce qui est entrepris.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean_reason(self):
        try:
            return require_reason(self.cleaned_data.get("reason"))
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["change_reason"]) from None


class PublishForm(forms.Form):
    """Publish (freeze) the report being read: its reason is kept with the publication."""

    year = forms.IntegerField(widget=forms.HiddenInput, required=False)
    quarter = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Motif de la publication"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReleaseForm(forms.Form):
    """Publish the open data (strategy.services.release_open_data): its reason is kept
    with the release."""

    reason = forms.CharField(
        label=_("Motif de la publication"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The last release the page showed (0: none): a second submission of the same page,
    # or two validators at once, make one release, not two (release_open_data's ``after``).
    after = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


#: The scope's dimensions, in the order the query string names them.
SCOPE_DIMENSIONS = ("region", "filiere", "sex", "actor_type")


class ScopeForm(AsOfForm):
    """The scope of the figures on a page (and of the API's figures, strategy/api/scope.py):
    a date, and optionally a phase (progress is then measured against the targets due at
    the phase's end), a region, a filière, a sex and an actor type."""

    phase = forms.ModelChoiceField(
        label=_("Phase"), required=False, queryset=Phase.objects.all(), empty_label=_("Toutes")
    )
    region = forms.ModelChoiceField(
        label=_("Région"), required=False, queryset=Region.objects.all(), empty_label=_("Toutes")
    )
    filiere = forms.ModelChoiceField(
        label=_("Filière"), required=False, queryset=Filiere.objects.all(), empty_label=_("Toutes")
    )
    sex = forms.ChoiceField(label=_("Sexe"), required=False, choices=[("", _("Tous")), *Sex.choices])
    actor_type = forms.ChoiceField(
        label=_("Type d'acteur"), required=False, choices=[("", _("Tous")), *ActorType.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._options = None
        for name in ("phase", "region", "filiere"):
            self.fields[name].label_from_instance = local
            # Rendered from one query for the three lists (scope_options); a submitted
            # value is still checked against the field's queryset.
            self.fields[name].choices = lambda name=name: self._choices(name)

    def _read_options(self):
        if self._options is None:
            self._options, self._region_codes = scope_option_sets()
        return self._options

    def _choices(self, name):
        return [("", self.fields[name].empty_label), *self._read_options()[name]]

    def region_names(self):
        """``{region code: name in the page's language}``, every region, from the query
        that fills the form's lists (none more: the page renders the form anyway)."""
        self._read_options()
        return {self._region_codes[pk]: label for pk, label in self._options["region"]}

    def region_codes(self):
        """``{region id: code}``, from the same query."""
        self._read_options()
        return dict(self._region_codes)

    @property
    def values(self):
        """The cleaned scope (``as_of`` None means today; sex and actor type '' for all).
        Read it after ``refuse_invalid(form)`` (ScopeMixin does): an invalid scope is
        refused, never read as no scope."""
        names = ("as_of", "phase", "region", "filiere", "sex", "actor_type")
        if not self.is_bound or not self.is_valid():
            return {name: "" if name in ("sex", "actor_type") else None for name in names}
        return {name: self.cleaned_data.get(name) for name in names}

    def figure_kwargs(self):
        """Keyword arguments for ``Indicator.objects.with_figures`` / ``with_rollup``. A
        combination of dimensions whose figures are not stored (``stored_figures.SCOPES``:
        one dimension, region and filière, or region and sex) is refused
        (InvalidParameter naming the last of them), never answered with another scope."""
        values = self.values
        kwargs = {}
        if values["phase"] is not None:
            kwargs.update(phase_scope(values["phase"]))
        asked = [name for name in SCOPE_DIMENSIONS if values[name] not in (None, "")]
        if stored_figures.scope_name(asked) is None:
            raise InvalidParameter(
                asked[-1],
                _(
                    "Les chiffres ne se croisent pas ainsi (%(asked)s) : choisissez une seule dimension, "
                    "ou la région avec la filière, ou la région avec le sexe."
                )
                % {"asked": ", ".join(asked)},
            )
        kwargs.update((name, values[name]) for name in asked)
        return kwargs


def scope_options():
    """The phases, regions and filières of the scope form as ``{name: [(pk, label)]}``,
    read in one query (a union), each list in its model's order: phases by strategy
    start and order, regions by code, filières by name."""
    return scope_option_sets()[0]


def scope_option_sets():
    """``(scope_options(), {region id: region code})`` from the one query."""

    def part(queryset, kind, key, order):
        return (
            queryset.order_by()
            .annotate(scope_kind=Value(kind, output_field=IntegerField()), scope_key=key, scope_order=order)
            .values_list("scope_kind", "pk", "name", "name_ar", "scope_key", "scope_order")
        )

    zero = Value(0, output_field=IntegerField())
    kinds = ("phase", "region", "filiere")
    rows = part(Phase.objects.all(), 0, Cast("strategy__start_date", CharField()), F("order")).union(
        part(Region.objects.all(), 1, Cast("code", CharField()), zero),
        part(Filiere.objects.all(), 2, Cast("name", CharField()), zero),
        all=True,
    )
    options = {kind: [] for kind in kinds}
    region_codes = {}
    for kind, pk, name, name_ar, key, _order in rows.order_by("scope_kind", "scope_key", "scope_order", "pk"):
        options[kinds[kind]].append((pk, local({"name": name, "name_ar": name_ar})))
        if kinds[kind] == "region":
            region_codes[pk] = key
    return options, region_codes


# ---------------------------------------------------------------- indicators and their targets


ARABIC = {"dir": "rtl", "lang": "ar"}


class IndicatorForm(ReasonedModelForm):
    """Create or change an indicator (strategy.services.save_indicator). The programme
    must belong to the axis and the action to the programme (Indicator.clean says so
    beside the field); the actions offered are the programme's once it is known. A
    change its recorded measurements do not follow is refused, the rows named."""

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "name_ar",
            "definition",
            "definition_ar",
            "axis",
            "programme",
            "action",
            "unit",
            "direction",
            "aggregation",
            "baseline_value",
            "baseline_date",
            "baseline_source",
            "by_region",
            "by_filiere",
            "by_sex",
            "by_actor_type",
            "frequency",
            "report_delay_days",
            "reporting_organisations",
            "weight",
            "public_from",
        ]
        widgets = {
            "name_ar": forms.TextInput(attrs=ARABIC),
            "definition": forms.Textarea(attrs={"rows": 3}),
            "definition_ar": forms.Textarea(attrs={"rows": 3, **ARABIC}),
            "baseline_date": forms.DateInput(**DATE_WIDGET),
            "public_from": forms.DateInput(**DATE_WIDGET),
            "baseline_source": forms.Textarea(attrs={"rows": 2}),
            "reporting_organisations": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["baseline_date"].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        self.fields["public_from"].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        self.fields["axis"].label_from_instance = lambda a: f"{a.number}. {local(a, 'title')}"
        self.fields["programme"].queryset = Programme.objects.select_related("axis").order_by("axis__number", "code")
        self.fields["programme"].label_from_instance = lambda p: f"{p.code} — {local(p, 'title')}"
        self.fields["programme"].help_text = _("Un programme de l'axe choisi.")
        self.fields["action"].queryset = self._actions()
        self.fields["action"].label_from_instance = lambda a: f"{a.code} — {a.title}"
        organisations = Q(active=True)
        if self.instance.pk:  # an inactive organisation it already has stays
            organisations |= Q(pk__in=self.instance.reporting_organisations.values("pk"))
        self.fields["reporting_organisations"].queryset = Organisation.objects.filter(organisations)
        self.fields["reporting_organisations"].label_from_instance = lambda o: f"{o.acronym} — {o.name}"

    def _actions(self):
        """The programme's actions once the programme is known (typed, or the row's);
        every action, with its programme's code, when none is chosen yet."""
        actions = Action.objects.order_by("programme__code", "code")
        if self.is_bound:
            programme = self.data.get(self.add_prefix("programme"))
            if not programme:
                return actions.none()
            return actions.filter(programme_id=programme) if str(programme).isdigit() else actions.none()
        if self.instance.programme_id:
            return actions.filter(programme_id=self.instance.programme_id)
        return actions


class TargetGridForm(ReasonMixin, forms.Form):
    """The one reason of a whole target grid (the cells are read by the view)."""

    change_reason = reason_field()


# ---------------------------------------------------------------- programmes and actions


class ProgrammeForm(ReasonedModelForm):
    """Create or change a programme (strategy.services.save_programme)."""

    class Meta:
        model = Programme
        fields = ["axis", "code", "title", "title_ar", "objective"]
        widgets = {"title_ar": forms.TextInput(attrs={"dir": "rtl", "lang": "ar"})}


class ActionForm(ReasonedModelForm):
    """Create or change an action (strategy.services.save_action), with the indicators
    of its programme that measure its progress. The progress entered by hand counts
    only when no linked indicator and no linked milestone gives one; it needs its reason."""

    linked_indicators = forms.ModelMultipleChoiceField(
        label=_("Indicateurs qui mesurent son avancement"),
        queryset=Indicator.objects.none(),
        required=False,
        help_text=_("Indicateurs de son programme ; chaque rattachement est gardé dans l'historique de l'indicateur."),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Action
        fields = [
            "programme",
            "code",
            "title",
            "lead_organisation",
            "phase",
            "start_date",
            "end_date",
            "budget",
            "status",
            "linked_indicators",
            "progress",
            "progress_reason",
            "progress_date",
            "note",
        ]
        labels = {"progress": _("Avancement saisi à la main (%)")}
        help_texts = {
            "progress": _("Compte seulement quand aucun indicateur ni jalon lié ne donne d'avancement."),
        }
        widgets = {
            "start_date": forms.DateInput(**DATE_WIDGET),
            "end_date": forms.DateInput(**DATE_WIDGET),
            "progress_date": forms.DateInput(**DATE_WIDGET),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.select_related("axis")
        self.fields["lead_organisation"].queryset = Organisation.objects.filter(
            active=True
        ) | Organisation.objects.filter(pk=self.instance.lead_organisation_id or 0)
        self.fields["phase"].queryset = Phase.objects.all()
        # The indicators of the action's programme (of every programme on a new action:
        # the service refuses one of another programme).
        indicators = Indicator.objects.filter(programme__isnull=False).order_by("code")
        if self.instance.programme_id:
            indicators = indicators.filter(programme_id=self.instance.programme_id)
        self.fields["linked_indicators"].queryset = indicators
        if self.instance.pk:
            self.fields["linked_indicators"].initial = list(
                Indicator.objects.filter(action=self.instance).values_list("pk", flat=True)
            )


# ---------------------------------------------------------------- a period's spreadsheet (strategy/sheet.py)


class SheetUploadForm(forms.Form):
    """The filled spreadsheet: an XLSX by its content (artisanat.documents.sniff), its
    size checked before anything is read (the bulk API's limit)."""

    file = forms.FileField(label=_("Tableur rempli (XLSX)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
    submit = forms.BooleanField(
        label=_("Soumettre directement à la validation"),
        required=False,
        help_text=_("Sinon les lignes sont enregistrées comme brouillons, à soumettre depuis la liste des mesures."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.API_BULK_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(_("Fichier trop volumineux : %(n)d octets au plus.") % {"n": limit})
        kind = documents.sniff(upload, upload.name, limit=limit)
        if kind != documents.XLSX:
            raise forms.ValidationError(_("Envoyez le tableur au format XLSX (celui que cette page fournit)."))
        upload.seek(0)
        return upload
