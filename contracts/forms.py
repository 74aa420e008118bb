"""Forms of the contract pages: the contract, its parties, disbursements, milestones and
amendments (each a ReasonedModelForm saved by the view through contracts.services),
the commitments grid and the French amounts they read."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from artisanat.forms import FrenchDecimalField, ReasonedModelForm, french_decimal
from artisanat.models import Organisation
from artisanat.templatetags.artisanat_format import group
from contracts.models import Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy.models import Action

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def parse_french_decimal(text, places=2):
    """An amount typed the French way (artisanat.forms.french_decimal: "1 234 567,50",
    an ambiguous "1.234" refused) → Decimal; blank → None; never negative, at most
    9 999 999 999 999,99."""
    value = french_decimal(text, places)
    if value is None:
        return None
    if value < 0:
        raise ValidationError(_("Le montant ne peut pas être négatif."))
    if value >= Decimal(10) ** 13:
        raise ValidationError(_("Montant trop grand (au plus 9 999 999 999 999,99)."))
    return value


def french(value, places=2):
    """A Decimal as a French amount for an input (``1 234 567,50``); None → ""."""
    if value is None:
        return ""
    return group(value, places).replace("\u202f", " ").replace("\u00a0", " ")


class AmountField(FrenchDecimalField):
    """An amount in DH: never negative, shown with its cents."""

    def to_python(self, value):
        return parse_french_decimal(forms.CharField.to_python(self, value), self.places)

    def prepare_value(self, value):
        return french(value, self.places) if isinstance(value, Decimal) else value


def _dates(form, *names):
    for name in names:
        form.fields[name].input_formats = DATE_FORMATS
        form.fields[name].widget = forms.DateInput(**DATE_WIDGET)


class ContractForm(ReasonedModelForm):
    class Meta:
        model = ContratProgramme
        fields = [
            "reference",
            "title",
            "title_ar",
            "kind",
            "filiere",
            "phase",
            "axes",
            "signing_date",
            "start_date",
            "end_date",
            "status",
            "indicators",
            "source",
            "document",
        ]
        widgets = {"source": forms.Textarea(attrs={"rows": 2}), "title_ar": forms.TextInput(attrs={"dir": "rtl"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self, "signing_date", "start_date", "end_date")
        self.fields["indicators"].queryset = self.fields["indicators"].queryset.order_by("code")
        self.fields["indicators"].label_from_instance = lambda i: f"{i.code} — {i.name}"


class PartyForm(ReasonedModelForm):
    class Meta:
        model = Party
        fields = ["organisation", "role", "signer_name", "signer_title"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(active=True).order_by("acronym")
        self.fields["organisation"].label_from_instance = lambda o: f"{o.acronym} — {o.name}"


class DisbursementForm(ReasonedModelForm):
    amount = AmountField(label=_("montant (DH)"))

    class Meta:
        model = Disbursement
        fields = ["commitment", "date", "amount", "reference", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self, "date")
        field = self.fields["commitment"]
        field.queryset = (
            Commitment.objects.filter(party__contract=contract)
            .select_related("party__organisation")
            .order_by("party__organisation__acronym", "year")
        )
        field.label_from_instance = lambda c: (
            f"{c.party.organisation.acronym} ({c.party.get_role_display()}) · {c.year}"
        )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is None:
            raise forms.ValidationError(_("Indiquez le montant décaissé."))
        return amount


class MilestoneForm(ReasonedModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "title_ar", "responsible", "due_date", "status", "date_met", "note", "action"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2}), "title_ar": forms.TextInput(attrs={"dir": "rtl"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self, "due_date", "date_met")
        self.fields["responsible"].queryset = Organisation.objects.filter(active=True).order_by("acronym")
        self.fields["responsible"].label_from_instance = lambda o: f"{o.acronym} — {o.name}"
        self.fields["action"].queryset = Action.objects.select_related("programme").order_by("programme__code", "code")
        self.fields["action"].label_from_instance = lambda a: f"{a.code} — {a.title}"


class AmendmentForm(ReasonedModelForm):
    """A new amendment: number, date, reason, summary, and what it changes — one optional
    field per thing it may change (blank: unchanged), built from the contract's rows:
    each commitment's amount, the contract's start and end, each milestone's due date,
    each target of the linked indicators."""

    class Meta:
        model = Amendment
        fields = ["number", "date", "reason", "summary"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2}), "summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, contract, commitments, milestones, targets, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self, "date")
        self.contract = contract
        self.change_fields = []  # (name, kind, object id, current value shown)
        for c in commitments:
            self._add(
                f"commitment-{c.pk}",
                AmountField(
                    label=_("Engagement %(org)s %(year)s : nouveau montant (DH)")
                    % {"org": c.party.organisation.acronym, "year": c.year},
                    required=False,
                ),
                "commitment_amount",
                c.pk,
                c.amount_now,
            )
        for kind, name, label, value in (
            ("contract_start", "contract-start", _("Nouveau début du contrat"), contract.start_date),
            ("contract_end", "contract-end", _("Nouvelle fin du contrat"), contract.end_date),
        ):
            self._add(name, forms.DateField(label=label, required=False), kind, contract.pk, value)
        for m in milestones:
            self._add(
                f"milestone-{m.pk}",
                forms.DateField(label=_("Jalon « %(t)s » : nouvelle échéance") % {"t": m.title}, required=False),
                "milestone_due",
                m.pk,
                m.due_date,
            )
        for t in targets:
            self._add(
                f"target-{t.pk}",
                AmountField(
                    label=_("Cible %(code)s au %(d)s : nouvelle valeur")
                    % {"code": t.indicator.code, "d": t.due_date.strftime("%d/%m/%Y")},
                    required=False,
                    places=4,
                ),
                "target_value",
                t.pk,
                t.value,
            )
        for name in ("change_reason", "expected_version"):
            self.fields[name] = self.fields.pop(name)

    def _add(self, name, field, kind, object_id, current):
        if isinstance(field, forms.DateField):
            field.input_formats = DATE_FORMATS
            field.widget = forms.DateInput(**DATE_WIDGET)
        field.help_text = _("Aujourd'hui : %(v)s. Laissez vide si l'avenant n'y touche pas.") % {
            "v": current.strftime("%d/%m/%Y")
            if hasattr(current, "strftime")
            else french(current, 2 if kind == "commitment_amount" else 4)
        }
        self.fields[name] = field
        self.change_fields.append((name, kind, object_id, current))

    def changes(self):
        """[(kind, object id, new value)] of the fields filled with a value that differs."""
        out = []
        for name, kind, object_id, current in self.change_fields:
            value = self.cleaned_data.get(name)
            if value is not None and value != current:
                out.append((kind, object_id, value))
        return out

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        kinds = {kind for kind, _id, _value in self.changes()}
        if not kinds:
            raise forms.ValidationError(
                _("Un avenant change quelque chose : indiquez au moins un nouveau montant, une date ou une cible.")
            )
        # What the amendment changes follows from its changes (the model's rule reads these).
        self.instance.changes_amounts = "commitment_amount" in kinds
        self.instance.changes_targets = "target_value" in kinds
        self.instance.changes_dates = bool(kinds & {"contract_start", "contract_end", "milestone_due"})
        return cleaned


class AmendmentSummaryForm(ReasonedModelForm):
    """An applied amendment: only its summary can still be corrected."""

    class Meta:
        model = Amendment
        fields = ["summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class AmendmentEditForm(ReasonedModelForm):
    """An amendment that changed nothing yet (recorded as free text before changes were
    kept): its text, number and date."""

    class Meta:
        model = Amendment
        fields = ["number", "date", "reason", "summary", "changes_targets", "changes_amounts", "changes_dates"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2}), "summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self, "date")
