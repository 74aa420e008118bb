from django import forms
from django.db.models import CharField, F, IntegerField, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from artisanat.models import Filiere, Region


class AsOfForm(forms.Form):
    """``?as_of=YYYY-MM-DD``: every figure can be asked as of a date (today by default)."""

    as_of = forms.DateField(
        label=_("Situation au"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ScopeForm(AsOfForm):
    """The scope of the figures on a page: a date, and optionally a phase (progress is then
    measured against the targets due at the phase's end), a region and a filière."""

    phase = forms.ModelChoiceField(label=_("Phase"), required=False, queryset=None, empty_label=_("Toutes"))
    region = forms.ModelChoiceField(
        label=_("Région"), required=False, queryset=Region.objects.all(), empty_label=_("Toutes")
    )
    filiere = forms.ModelChoiceField(
        label=_("Filière"), required=False, queryset=Filiere.objects.all(), empty_label=_("Toutes")
    )

    def __init__(self, *args, **kwargs):
        from artisanat.templatetags.portal import local
        from strategy.models import Phase  # artisanat is the project package; apps hang below it

        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = Phase.objects.all()
        self._options = None
        for name in ("phase", "region", "filiere"):
            self.fields[name].label_from_instance = local
            # Rendered from one query for the three lists (scope_options); a submitted
            # value is still checked against the field's queryset.
            self.fields[name].choices = lambda name=name: self._choices(name)

    def _choices(self, name):
        if self._options is None:
            self._options = scope_options()
        return [("", self.fields[name].empty_label), *self._options[name]]

    @property
    def values(self):
        """The cleaned scope (``as_of`` None means today); an invalid form counts as no scope."""
        if not self.is_bound or not self.is_valid():
            return {"as_of": None, "phase": None, "region": None, "filiere": None}
        return {name: self.cleaned_data.get(name) for name in ("as_of", "phase", "region", "filiere")}

    def figure_kwargs(self):
        """Keyword arguments for ``Indicator.objects.with_figures`` / ``with_rollup``."""
        values = self.values
        kwargs = {}
        if values["phase"] is not None:
            kwargs["target_date"] = values["phase"].end_date
        if values["region"] is not None:
            kwargs["region"] = values["region"]
        if values["filiere"] is not None:
            kwargs["filiere"] = values["filiere"]
        return kwargs


def scope_options():
    """The phases, regions and filières of the scope form as ``{name: [(pk, label)]}``,
    read in one query (a union), each list in its model's order: phases by strategy
    start and order, regions by code, filières by name."""
    from artisanat.templatetags.portal import local
    from strategy.models import Phase

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
    for kind, pk, name, name_ar, _key, _order in rows.order_by("scope_kind", "scope_key", "scope_order", "pk"):
        options[kinds[kind]].append((pk, local({"name": name, "name_ar": name_ar})))
    return options
