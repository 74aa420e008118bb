"""Contract endpoints: contracts with their execution figures, parties, money,
milestones and amendments, each visible exactly when its contract is."""

from django.db.models import Prefetch
from rest_framework import parsers
from rest_framework.decorators import action

from artisanat import permissions
from artisanat.api.documents import DocumentActionMixin, document_schema
from artisanat.api.filters import as_of_of
from artisanat.api.parsers import JSONParser
from artisanat.api.schema import resource_schema
from artisanat.api.viewsets import VersionedViewSet
from contracts import exports, services
from contracts.api import serializers as s
from contracts.filtersets import (
    AmendmentFilterSet,
    CommitmentFilterSet,
    ContractFilterSet,
    DisbursementFilterSet,
    MilestoneFilterSet,
    PartyFilterSet,
)
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


def _may_update_milestone(user):
    return permissions.can_edit_contracts(user) or permissions.is_reporter(user)


@resource_schema(
    s.ContractSerializer,
    "contrats programmes (avec leur exécution)",
    "programme contracts (with execution)",
    figures=True,
    writable=True,
    versioned=True,
)
class ContractViewSet(DocumentActionMixin, VersionedViewSet):
    serializer_class = s.ContractSerializer
    filterset_class = ContractFilterSet
    ordering_fields = ("reference", "title", "signing_date", "start_date", "end_date", "status")
    export_columns, export_name = exports.CONTRACT_COLUMNS, "contracts"
    write_permission = staticmethod(permissions.can_edit_contracts)
    delete_service = staticmethod(services.delete_contract_object)
    extra_error_codes = {"document": ["413"]}
    document_actions = ("document",)
    document_service = staticmethod(services.save_contract_object)

    def base_queryset(self):
        return (
            ContratProgramme.objects.visible_to(self.request.user)
            .with_execution(as_of_of(self.request))
            .select_related("phase", "filiere")
            .prefetch_related("axes", "indicators")
        )

    def get_queryset(self):
        if self.action == "document" and self.request.method == "GET":
            return ContratProgramme.objects.visible_to(self.request.user)  # no figures to read a file
        return super().get_queryset()

    @document_schema(s.ContractSerializer, "le contrat signé", "the signed contract")
    @action(detail=True, methods=["get", "put", "delete"], parser_classes=[parsers.MultiPartParser, JSONParser])
    def document(self, request, pk=None):
        """The signed contract: whoever sees the contract downloads it; editors replace or remove it."""
        return self.document_endpoint(request, field="document")


@resource_schema(
    s.PartySerializer, "parties aux contrats", "contract parties", figures=True, writable=True, versioned=True
)
class PartyViewSet(VersionedViewSet):
    serializer_class = s.PartySerializer
    filterset_class = PartyFilterSet
    ordering_fields = ("contract__reference", "organisation__acronym", "role")
    export_columns, export_name = exports.PARTY_COLUMNS, "parties"
    write_permission = staticmethod(permissions.can_edit_contracts)
    delete_service = staticmethod(services.delete_contract_object)

    def base_queryset(self):
        return (
            Party.objects.visible_to(self.request.user)
            .with_execution(as_of_of(self.request))
            .select_related("contract", "organisation")
        )


@resource_schema(
    s.CommitmentSerializer, "engagements financiers", "financial commitments", writable=True, versioned=True
)
class CommitmentViewSet(VersionedViewSet):
    serializer_class = s.CommitmentSerializer
    filterset_class = CommitmentFilterSet
    ordering_fields = ("year", "amount", "party__contract__reference")
    export_columns, export_name = exports.COMMITMENT_COLUMNS, "commitments"
    write_permission = staticmethod(permissions.can_edit_contracts)
    delete_service = staticmethod(services.delete_contract_object)

    def base_queryset(self):
        return Commitment.objects.visible_to(self.request.user).select_related("party__contract", "party__organisation")


@resource_schema(s.DisbursementSerializer, "décaissements", "disbursements", writable=True, versioned=True)
class DisbursementViewSet(VersionedViewSet):
    serializer_class = s.DisbursementSerializer
    filterset_class = DisbursementFilterSet
    ordering_fields = ("date", "amount")
    export_columns, export_name = exports.DISBURSEMENT_COLUMNS, "disbursements"
    write_permission = staticmethod(permissions.can_edit_contracts)
    delete_service = staticmethod(services.delete_contract_object)

    def base_queryset(self):
        return Disbursement.objects.visible_to(self.request.user).select_related(
            "commitment__party__contract", "commitment__party__organisation"
        )


@resource_schema(
    s.MilestoneSerializer,
    "jalons (livrables)",
    "milestones (deliverables)",
    figures=True,
    writable=True,
    versioned=True,
)
class MilestoneViewSet(VersionedViewSet):
    serializer_class = s.MilestoneSerializer
    filterset_class = MilestoneFilterSet
    ordering_fields = ("due_date", "status", "title")
    export_columns, export_name = exports.MILESTONE_COLUMNS, "milestones"
    write_permission = staticmethod(permissions.can_edit_contracts)
    action_permissions = {"update": _may_update_milestone, "partial_update": _may_update_milestone}
    reporter_owner_field = "responsible_id"
    delete_service = staticmethod(services.delete_contract_object)

    def base_queryset(self):
        return (
            Milestone.objects.visible_to(self.request.user)
            .with_late(as_of_of(self.request))
            .select_related("contract", "responsible")
        )


# figures: in_force is read at ?as_of= (the check of unknown parameters reads the schema).
@resource_schema(s.AmendmentSerializer, "avenants", "amendments", figures=True, writable=True, versioned=True)
class AmendmentViewSet(VersionedViewSet):
    serializer_class = s.AmendmentSerializer
    filterset_class = AmendmentFilterSet
    ordering_fields = ("date", "number")
    export_columns, export_name = exports.AMENDMENT_COLUMNS, "amendments"
    write_permission = staticmethod(permissions.can_edit_contracts)
    delete_service = staticmethod(services.delete_contract_object)  # refuses an applied amendment

    def base_queryset(self):
        return (
            Amendment.objects.visible_to(self.request.user)
            .with_in_force(as_of_of(self.request))
            .select_related("contract")
            .prefetch_related(
                Prefetch(
                    "amended_commitments",
                    AmendedCommitment.objects.select_related("commitment__party__organisation").order_by("pk"),
                ),
                Prefetch(
                    "changes", AmendmentChange.objects.select_related("milestone", "target").order_by("kind", "pk")
                ),
            )
        )
