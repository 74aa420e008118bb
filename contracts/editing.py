"""Editing pages of the contracts (editors, validators, administrators): the contract,
its parties, the commitments grid, disbursements, milestones and amendments. Each goes
through contracts.services with a reason and the version read (artisanat.views'
ServiceEditView / ServiceDeleteView); a change made meanwhile answers 409 with the
stored values beside what was typed."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from artisanat import permissions
from artisanat.forms import ReasonMixin, read_version, reason_field
from artisanat.views import RoleRequiredMixin, ServiceDeleteView, ServiceEditView, shown
from contracts import forms as f
from contracts import services
from contracts.models import Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy.models import Target

EDITOR = "can_edit_contracts"


def contract_url(contract_id):
    return reverse("contracts:contract_detail", args=[contract_id])


class _ContractPage:
    """The contract a page works on: ``self.contract``, read from ``visible_to``."""

    required = EDITOR
    template_name = "contracts/edit.html"
    heading = ""

    def get_contract(self):
        return get_object_or_404(ContratProgramme.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_success_url(self, obj):
        return contract_url(self.contract.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(contract=getattr(self, "contract", None), heading=self.heading, cancel_url=self.cancel_url())
        return context

    def cancel_url(self):
        contract = getattr(self, "contract", None)
        return contract_url(contract.pk) if contract else reverse("contracts:contract_list")


# ---------------------------------------------------------------- the contract


class ContractEditView(_ContractPage, ServiceEditView):
    form_class = f.ContractForm

    def get_object(self):
        if "pk" not in self.kwargs:
            self.contract = None
            return None
        self.contract = self.get_contract()
        return self.contract

    @property
    def heading(self):
        return _("Modifier le contrat") if self.object else _("Nouveau contrat")

    def save(self, obj, *, by, reason, expected_version):
        return services.save_contract_object(obj, by=by, reason=reason, expected_version=expected_version)

    def get_success_url(self, obj):
        return contract_url(obj.pk)


# ---------------------------------------------------------------- parties


class PartyEditView(_ContractPage, ServiceEditView):
    form_class = f.PartyForm

    def get_object(self):
        if "party" in self.kwargs:
            party = get_object_or_404(
                Party.objects.visible_to(self.request.user).select_related("contract"), pk=self.kwargs["party"]
            )
            self.contract = party.contract
            return party
        self.contract = self.get_contract()
        return None

    @property
    def heading(self):
        return _("Modifier la partie") if self.object else _("Nouvelle partie")

    def new_object(self):
        return Party(contract=self.contract)

    def save(self, obj, *, by, reason, expected_version):
        return services.save_contract_object(obj, by=by, reason=reason, expected_version=expected_version)


class _ContractRowDelete(ServiceDeleteView):
    required = EDITOR
    model = None
    related = "contract"
    contract_path = "contract"

    def get_object(self):
        obj = get_object_or_404(
            self.model.objects.visible_to(self.request.user).select_related(self.related), pk=self.kwargs["pk"]
        )
        self.contract_id = _attr(obj, self.contract_path).pk
        return obj

    def delete(self, obj, *, by, reason, expected_version):
        services.delete_contract_object(obj, by=by, reason=reason, expected_version=expected_version)

    def get_success_url(self, obj):
        return contract_url(self.contract_id)


def _attr(obj, path):
    for name in path.split("__"):
        obj = getattr(obj, name)
    return obj


class PartyDeleteView(_ContractRowDelete):
    model = Party


class DisbursementDeleteView(_ContractRowDelete):
    model = Disbursement
    related = "commitment__party__contract"
    contract_path = "commitment__party__contract"


class MilestoneDeleteView(_ContractRowDelete):
    model = Milestone


class AmendmentDeleteView(_ContractRowDelete):
    model = Amendment

    def delete(self, obj, *, by, reason, expected_version):
        services.delete_amendment(obj, by=by, reason=reason, expected_version=expected_version)


# ---------------------------------------------------------------- disbursements, milestones


class DisbursementEditView(_ContractPage, ServiceEditView):
    form_class = f.DisbursementForm

    def get_object(self):
        if "disbursement" in self.kwargs:
            row = get_object_or_404(
                Disbursement.objects.visible_to(self.request.user).select_related("commitment__party__contract"),
                pk=self.kwargs["disbursement"],
            )
            self.contract = row.commitment.party.contract
            return row
        self.contract = self.get_contract()
        return None

    @property
    def heading(self):
        return _("Modifier le décaissement") if self.object else _("Nouveau décaissement")

    def get_form_kwargs(self):
        return {"contract": self.contract}

    def save(self, obj, *, by, reason, expected_version):
        return services.record_disbursement(obj, by=by, reason=reason, expected_version=expected_version)


class MilestoneEditView(_ContractPage, ServiceEditView):
    form_class = f.MilestoneForm

    def get_object(self):
        if "milestone" in self.kwargs:
            row = get_object_or_404(
                Milestone.objects.visible_to(self.request.user).select_related("contract"), pk=self.kwargs["milestone"]
            )
            self.contract = row.contract
            return row
        self.contract = self.get_contract()
        return None

    @property
    def heading(self):
        return _("Modifier le jalon") if self.object else _("Nouveau jalon")

    def new_object(self):
        return Milestone(contract=self.contract)

    def save(self, obj, *, by, reason, expected_version):
        return services.update_milestone(obj, by=by, reason=reason, expected_version=expected_version)


# ---------------------------------------------------------------- amendments


class AmendmentCreateView(_ContractPage, ServiceEditView):
    """A new amendment and what it changes, applied in the same transaction."""

    form_class = f.AmendmentForm
    template_name = "contracts/amendment_form.html"
    heading = gettext_lazy("Nouvel avenant")

    def get_object(self):
        self.contract = self.get_contract()
        return None

    def new_object(self):
        last = self.contract.amendments.order_by("-number").values_list("number", flat=True).first() or 0
        return Amendment(contract=self.contract, number=last + 1)

    def get_form_kwargs(self):
        contract = self.contract
        return {
            "contract": contract,
            "commitments": list(
                Commitment.objects.filter(party__contract=contract)
                .with_amount_now()
                .select_related("party__organisation")
                .order_by("party__organisation__acronym", "party__role", "year")
            ),
            "milestones": list(contract.milestones.order_by("due_date", "pk")),
            "targets": list(
                Target.objects.filter(indicator__contracts=contract)
                .select_related("indicator")
                .order_by("indicator__code", "due_date", "pk")
            ),
        }

    def make_form(self, data=None, files=None):
        self.form = super().make_form(data, files)
        return self.form

    def save(self, obj, *, by, reason, expected_version):
        changes = [services.ChangeRequest(kind, object_id, value) for kind, object_id, value in self.form.changes()]
        return services.save_amendment(obj, by=by, reason=reason, changes=changes)


class AmendmentEditView(_ContractPage, ServiceEditView):
    """Correct an amendment: an applied one, its summary only (a reason and the version
    read); one that changed nothing yet, its text, number and date."""

    heading = gettext_lazy("Corriger l'avenant")

    def get_object(self):
        row = get_object_or_404(
            Amendment.objects.visible_to(self.request.user).select_related("contract"), pk=self.kwargs["amendment"]
        )
        self.contract = row.contract
        self.applied = services.is_applied(row)
        self.form_class = f.AmendmentSummaryForm if self.applied else f.AmendmentEditForm
        return row

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if getattr(self, "applied", False):
            context["notice"] = _(
                "Cet avenant a été appliqué : seul son résumé peut être corrigé. Pour changer ce qu'il a modifié, "
                "enregistrez un nouvel avenant."
            )
        return context

    def save(self, obj, *, by, reason, expected_version):
        return services.save_amendment(obj, by=by, reason=reason, expected_version=expected_version)


# ---------------------------------------------------------------- the commitments grid


class GridReasonForm(ReasonMixin, forms.Form):
    change_reason = reason_field()


class CommitmentGridView(_ContractPage, RoleRequiredMixin, TemplateView):
    """``/contrats/<pk>/engagements/``: the commitments as a grid, one row per party, one
    column per year of the contract; one form, one reason, saved all or nothing
    (``services.save_commitment_grid``). Each existing cell carries the version read: a
    cell changed meanwhile refuses the whole grid (409) with the stored amount beside
    the typed one."""

    template_name = "contracts/commitment_grid.html"
    heading = gettext_lazy("Engagements par partie et par année")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and permissions.can_edit_contracts(request.user):
            self.contract = self.get_contract()
        return super().dispatch(request, *args, **kwargs)

    def read(self):
        self.parties = list(
            Party.objects.filter(contract=self.contract)
            .select_related("organisation")
            .order_by("organisation__acronym", "role", "pk")
        )
        self.stored = {(c.party_id, c.year): c for c in Commitment.objects.filter(party__contract=self.contract)}
        years = set(range(self.contract.start_date.year, self.contract.end_date.year + 1))
        self.years = sorted(years | {year for _party, year in self.stored})

    @staticmethod
    def name(party_id, year):
        return f"c-{party_id}-{year}"

    def label(self, party, year):
        return f"{party.organisation.acronym} ({party.get_role_display()}) {year}"

    def rows(self, typed=None, errors=None, versions=None):
        rows = []
        for party in self.parties:
            cells = []
            for year in self.years:
                name, stored = self.name(party.pk, year), self.stored.get((party.pk, year))
                if versions is not None and (party.pk, year) in versions:
                    version = versions[(party.pk, year)]
                else:
                    version = stored.version if stored else ""
                cells.append(
                    {
                        "name": name,
                        "year": year,
                        "value": typed[name]
                        if typed is not None and name in typed
                        else f.french(stored and stored.amount),
                        "version": version,
                        "error": (errors or {}).get(name),
                        "disbursed": bool(stored and stored.pk in self.paid),
                        "label": self.label(party, year),
                    }
                )
            rows.append({"party": party, "cells": cells})
        return rows

    def get(self, request, *args, **kwargs):
        self.read()
        self.paid = set(
            Disbursement.objects.filter(commitment__party__contract=self.contract).values_list(
                "commitment_id", flat=True
            )
        )
        return self.render_to_response(self.get_context_data(form=GridReasonForm(), rows=self.rows()))

    def post(self, request, *args, **kwargs):
        self.read()
        self.paid = set()
        form = GridReasonForm(request.POST)
        typed, errors, cells = {}, {}, []
        for party in self.parties:
            for year in self.years:
                name = self.name(party.pk, year)
                if name not in request.POST:
                    continue  # a cell the page did not show is left as it is
                typed[name] = request.POST[name]
                try:
                    amount = f.parse_french_decimal(request.POST[name])
                except ValidationError as error:
                    errors[name] = error.messages[0]
                    continue
                version = read_version(request.POST.get(f"v-{party.pk}-{year}"))
                cells.append(services.GridCell(party.pk, year, amount, version, self.label(party, year)))
        if not form.is_valid() or errors:
            return self.render(form, typed, errors, status=400)
        try:
            with transaction.atomic():
                created, changed, deleted = services.save_commitment_grid(
                    self.contract, cells, by=request.user, reason=form.cleaned_data["change_reason"]
                )
        except services.StaleCells as error:
            self.read()  # the grid as stored now; the typed values kept, the versions current
            conflict = [
                {
                    "label": cell.label,
                    "name": self.name(cell.party_id, cell.year),
                    "stored": shown(stored.amount) if stored else "—",
                    "typed": shown(cell.amount),
                    "differs": shown(stored.amount if stored else None) != shown(cell.amount),
                }
                for cell, stored in error.cells
            ]
            return self.render(form, typed, {}, status=409, conflict=conflict, conflict_message=str(error))
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.render(form, typed, errors, status=400)
        messages.success(
            request,
            _("Engagements enregistrés : %(c)s créé(s), %(m)s modifié(s), %(d)s supprimé(s).")
            % {"c": created, "m": changed, "d": deleted},
        )
        return HttpResponseRedirect(contract_url(self.contract.pk))

    def render(self, form, typed, errors, *, status, **extra):
        context = self.get_context_data(form=form, rows=self.rows(typed, errors), **extra)
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(years=self.years, parties=self.parties)
        return context
