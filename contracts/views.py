"""Staff pages of the contrats programmes: list, contract page, change history and the
milestones list. A partner sees only the contracts its organisation is party to (404
for the others): every queryset goes through ``visible_to``."""

from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views import View
from django.views.generic import TemplateView

from artisanat import documents, permissions
from artisanat.charts import grouped_bars
from artisanat.figures import rate
from artisanat.history import AUTHOR_RELATED, history_entries
from artisanat.models import Organisation
from artisanat.views import RoleRequiredMixin
from contracts.choices import PartyRole
from contracts.exports import CONTRACT_COLUMNS, CONTRACT_RELATED, MILESTONE_COLUMNS, MILESTONE_RELATED
from contracts.filtersets import ContractFilterSet, MilestoneFilterSet
from contracts.models import (
    AmendedCommitment,
    Amendment,
    AmendmentChange,
    Commitment,
    ContratProgramme,
    Disbursement,
    Milestone,
    Party,
)
from strategy.views import ScopedListView, ScopeMixin


def _execution_series():
    return [("committed", _("Engagé")), ("disbursed", _("Décaissé"))]


class ContractListView(ScopedListView):
    template_name = "contracts/contract_list.html"
    filterset_class = ContractFilterSet
    filter_fields = ("q", "phase", "filiere", "status", "kind", "party")
    ordering_fields = {
        "reference": ("reference",),
        "title": ("title",),
        "phase": ("phase__order", "reference"),
        "status": ("status", "reference"),
        "committed": ("fig_committed", "reference"),
        "disbursed": ("fig_disbursed", "reference"),
        "late": ("fig_milestones_late", "reference"),
    }
    export_columns = CONTRACT_COLUMNS
    export_name = "contrats"

    def get_base_queryset(self):
        return (
            ContratProgramme.objects.visible_to(self.request.user)
            .with_execution(self.as_of)
            .select_related(*CONTRACT_RELATED)
        )

    def get_filterset(self):
        from django import forms

        filterset = super().get_filterset()
        field = filterset.form.fields["party"]
        field.widget = forms.Select(
            choices=[("", _("Tous")), *((o.pk, f"{o.acronym} — {o.name}") for o in Organisation.objects.all())]
        )
        return filterset


class ContractDetailView(RoleRequiredMixin, ScopeMixin, TemplateView):
    template_name = "contracts/contract_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, as_of = self.request.user, self.as_of
        contract = get_object_or_404(
            ContratProgramme.objects.visible_to(user).with_execution(as_of).select_related(*CONTRACT_RELATED),
            pk=kwargs["pk"],
        )
        parties = parties_by_organisation(
            Party.objects.filter(contract=contract)
            .with_execution(as_of)
            .select_related("organisation")
            .order_by("organisation__acronym", "role")
        )
        by_year = Commitment.objects.filter(party__contract=contract).execution_by_year(as_of)
        milestones = list(contract.milestones.with_late(as_of).select_related("responsible").order_by("due_date", "pk"))
        amendments = contract.amendments.timeline(as_of)
        prefetch_related_objects(
            amendments,
            Prefetch(
                "amended_commitments",
                AmendedCommitment.objects.select_related("commitment__party__organisation").order_by("pk"),
            ),
            Prefetch(
                "changes",
                AmendmentChange.objects.select_related("milestone", "target__indicator").order_by("kind", "pk"),
            ),
        )
        for amendment in amendments:
            amendment.contract = contract  # change_list names the contract for its dates
        commitments = list(
            Commitment.objects.filter(party__contract=contract)
            .with_amount_now(as_of)
            .select_related("party__organisation")
            .order_by("party__organisation__acronym", "party__role", "year")
        )
        disbursements = list(
            Disbursement.objects.filter(commitment__party__contract=contract, date__lte=as_of)
            .select_related("commitment__party__organisation")
            .order_by("date", "pk")
        )
        context.update(
            contract=contract,
            parties=parties,
            by_year=by_year,
            party_chart=grouped_bars(
                [(p.organisation.acronym, [p.fig_committed, p.fig_disbursed]) for p in parties if p.fig_committed],
                series=_execution_series(),
                unit=pgettext_lazy("currency", "M DH"),
                divisor=10**6,
            ),
            year_chart=grouped_bars(
                [(str(row["year"]), [row["committed"], row["disbursed"]]) for row in by_year],
                series=_execution_series(),
                unit=pgettext_lazy("currency", "M DH"),
                divisor=10**6,
                planned={str(row["year"]) for row in by_year if row["year"] > as_of.year},
                planned_name=_("Prévu (années à venir)"),
            ),
            milestones=milestones,
            # Every amendment, those dated after the page's date marked "later than the
            # date chosen" (their changes do not count in the figures above).
            amendments=amendments,
            commitments=commitments,
            timeline=_timeline(contract, amendments, milestones, disbursements),
            can_edit=permissions.can_edit_contracts(user),
            axes=list(contract.axes.all()),
            indicators=list(contract.indicators.select_related("axis").with_figures(as_of)),
        )
        return context


class OrganisationParty:
    """One organisation's part in a contract, whatever its roles: an organisation both
    signatory and funder is two ``Party`` rows, shown as one line (roles and signers
    joined, amounts added up)."""

    def __init__(self, parties):
        self.parties = sorted(parties, key=lambda p: PartyRole.values.index(p.role))  # signatory first
        self.organisation = parties[0].organisation
        self.organisation_id = self.organisation.pk
        amounts = [p.fig_committed for p in parties if p.fig_committed is not None]
        self.fig_committed = sum(amounts) if amounts else None
        paid = [p.fig_disbursed for p in parties if p.fig_disbursed is not None]
        self.fig_disbursed = sum(paid) if paid else None

    @property
    def execution_rate(self):
        return rate(self.fig_disbursed, self.fig_committed)

    @property
    def roles(self):
        return ", ".join(str(p.get_role_display()) for p in self.parties)

    @property
    def signers(self):
        return [p for p in self.parties if p.signer_name]


def parties_by_organisation(parties):
    """The parties of a contract, one ``OrganisationParty`` per organisation, in the
    queryset's order (no query beyond the one given)."""
    grouped = {}
    for party in parties:
        grouped.setdefault(party.organisation_id, []).append(party)
    return [OrganisationParty(rows) for rows in grouped.values()]


def _timeline(contract, amendments, milestones, disbursements):
    """The contract's events in date order: its signing, its amendments (with what each
    changed, old → new), its milestones (due, met) and its disbursements."""
    events = []
    if contract.signing_date:
        events.append({"date": contract.signing_date, "kind": "signing", "order": 0})
    for a in amendments:
        events.append({"date": a.date, "kind": "amendment", "amendment": a, "changes": a.change_list(), "order": 1})
    for m in milestones:
        events.append({"date": m.due_date, "kind": "milestone_due", "milestone": m, "order": 2})
        if m.date_met:
            events.append({"date": m.date_met, "kind": "milestone_met", "milestone": m, "order": 3})
    for d in disbursements:
        events.append({"date": d.date, "kind": "disbursement", "disbursement": d, "order": 4})
    return sorted(events, key=lambda e: (e["date"], e["order"]))


class ContractDocumentView(RoleRequiredMixin, View):
    """The signed contract, for whoever may see the contract (``visible_to``: a partner
    only the contracts its organisation is party to), as an attachment."""

    def get(self, request, pk):
        contract = get_object_or_404(
            ContratProgramme.objects.visible_to(request.user).only("pk", "document", "document_name"), pk=pk
        )
        return documents.document_response(contract.document, contract.document_name)


class ContractHistoryView(RoleRequiredMixin, TemplateView):
    """The contract's change history and that of its parties, commitments,
    disbursements, milestones and amendments: who, when, what changed and why."""

    template_name = "contracts/contract_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = get_object_or_404(ContratProgramme.objects.visible_to(self.request.user), pk=kwargs["pk"])
        pk = contract.pk
        party_ids = set(Party.history.filter(contract_id=pk).values_list("id", flat=True))
        commitment_ids = set(Commitment.history.filter(party_id__in=party_ids).values_list("id", flat=True))
        organisations = Organisation.objects.in_bulk()
        records = [
            *ContratProgramme.history.filter(id=pk).select_related(AUTHOR_RELATED),
            *Party.history.filter(contract_id=pk).select_related(AUTHOR_RELATED),
            *Commitment.history.filter(id__in=commitment_ids).select_related(AUTHOR_RELATED),
            *Disbursement.history.filter(commitment_id__in=commitment_ids).select_related(AUTHOR_RELATED),
            *Milestone.history.filter(contract_id=pk).select_related(AUTHOR_RELATED),
            *Amendment.history.filter(contract_id=pk).select_related(AUTHOR_RELATED),
        ]

        def acronym(org_id):
            org = organisations.get(org_id)
            return org.acronym if org else f"#{org_id}"

        labels = {
            ContratProgramme: lambda r: r.reference,
            Party: lambda r: f"{acronym(r.organisation_id)} ({r.get_role_display()})",
            Commitment: lambda r: f"{r.year}",
            Disbursement: lambda r: f"{r.date:%d/%m/%Y}",
            Milestone: lambda r: r.title,
            Amendment: lambda r: _("avenant n° %(n)s") % {"n": r.number},
        }
        context.update(contract=contract, entries=history_entries(records, labels=labels, viewer=self.request.user))
        return context


class MilestoneListView(ScopedListView):
    template_name = "contracts/milestone_list.html"
    filterset_class = MilestoneFilterSet
    filter_fields = ("q", "contract", "responsible", "status", "late")
    ordering_fields = {
        "contract": ("contract__reference", "due_date"),
        "title": ("title",),
        "responsible": ("responsible__acronym", "due_date"),
        "due": ("due_date",),
        "met": ("date_met",),
        "days_late": ("delay", "due_date"),
    }
    export_columns = MILESTONE_COLUMNS
    export_name = "jalons"

    def get_base_queryset(self):
        return (
            Milestone.objects.visible_to(self.request.user)
            .with_late(self.as_of)
            .select_related(*MILESTONE_RELATED)
            .order_by("due_date", "pk")
        )

    def get_filterset(self):
        filterset = super().get_filterset()
        filterset.form.fields["contract"].queryset = ContratProgramme.objects.visible_to(self.request.user)
        return filterset
