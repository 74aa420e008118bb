"""Serializers of contracts and what they commit; writes go through contracts.services."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework import serializers

from artisanat import permissions
from artisanat.api.documents import DocumentLinkField
from artisanat.api.serializers import ServiceModelSerializer
from contracts import services
from contracts.models import AmendedCommitment, Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy.api.serializers import code_of, figure


class ContractSerializer(ServiceModelSerializer):
    service = staticmethod(services.save_contract_object)
    filiere_code = code_of("filiere.code")
    phase_code = serializers.CharField(source="phase.code", read_only=True)
    committed = figure(2, source="fig_committed")
    disbursed = figure(2, source="fig_disbursed")
    execution_rate = figure(2)
    time_elapsed = figure(
        2,
        help_text="FR : part de la durée du contrat (début → fin) écoulée à la date as_of, en %. "
        "/ EN: share of the contract's duration (start → end) elapsed as of as_of, in %.",
    )
    milestone_completion = figure(2)
    milestones_late = serializers.IntegerField(source="fig_milestones_late", read_only=True, allow_null=True)
    milestones_met_late = serializers.IntegerField(
        source="fig_milestones_met_late",
        read_only=True,
        allow_null=True,
        help_text="FR : jalons atteints après leur échéance (à la date as_of). / EN: milestones met after their due date.",
    )
    document = DocumentLinkField(
        "api:contract-document",
        "document",
        help_text="FR : adresse du contrat signé (GET), null s'il n'y en a pas. "
        "/ EN: address of the signed contract (GET), null when there is none.",
    )

    class Meta:
        model = ContratProgramme
        fields = [
            "id",
            "reference",
            "title",
            "title_ar",
            "kind",
            "filiere",
            "filiere_code",
            "phase",
            "phase_code",
            "axes",
            "indicators",
            "signing_date",
            "start_date",
            "end_date",
            "status",
            "document",
            "document_name",
            "source",
            "version",
            "updated_at",
            "committed",
            "disbursed",
            "execution_rate",
            "time_elapsed",
            "milestone_completion",
            "milestones_late",
            "milestones_met_late",
            "change_reason",
        ]
        read_only_fields = ["document_name", "version", "updated_at"]


class PartySerializer(ServiceModelSerializer):
    service = staticmethod(services.save_contract_object)
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    organisation_acronym = serializers.CharField(source="organisation.acronym", read_only=True)
    committed = figure(2, source="fig_committed")
    disbursed = figure(2, source="fig_disbursed")
    execution_rate = figure(2)

    class Meta:
        model = Party
        fields = [
            "id",
            "contract",
            "contract_reference",
            "organisation",
            "organisation_acronym",
            "role",
            "signer_name",
            "signer_title",
            "committed",
            "disbursed",
            "execution_rate",
            "version",
            "change_reason",
        ]
        read_only_fields = ["version"]


class CommitmentSerializer(ServiceModelSerializer):
    service = staticmethod(services.save_contract_object)
    contract = serializers.IntegerField(source="party.contract_id", read_only=True)
    organisation_acronym = serializers.CharField(source="party.organisation.acronym", read_only=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "party",
            "contract",
            "organisation_acronym",
            "year",
            "amount",
            "note",
            "version",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["version", "updated_at"]


class DisbursementSerializer(ServiceModelSerializer):
    service = staticmethod(services.record_disbursement)
    contract = serializers.IntegerField(source="commitment.party.contract_id", read_only=True)
    organisation_acronym = serializers.CharField(source="commitment.party.organisation.acronym", read_only=True)

    class Meta:
        model = Disbursement
        fields = [
            "id",
            "commitment",
            "contract",
            "organisation_acronym",
            "date",
            "amount",
            "reference",
            "note",
            "version",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["version", "updated_at"]


class MilestoneSerializer(ServiceModelSerializer):
    """A partner reporter updates only status, date met and note of the milestones its
    organisation is responsible for."""

    service = staticmethod(services.update_milestone)
    REPORTER_FIELDS = {"status", "date_met", "note", "change_reason"}
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    responsible_acronym = serializers.CharField(source="responsible.acronym", read_only=True)
    late = serializers.BooleanField(
        read_only=True, help_text="FR : échue et non atteinte à la date as_of. / EN: due and not met as of as_of."
    )
    met_late = serializers.BooleanField(
        read_only=True,
        help_text="FR : atteint à la date as_of, mais après son échéance. / EN: met by as_of, but after its due date.",
    )
    days_late = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="FR : jours de retard : à la date as_of pour un jalon en retard, le jour atteint pour un jalon "
        "atteint en retard, null sinon. / EN: days late: as of as_of for a late milestone, on the day met for one "
        "met late, null otherwise.",
    )

    class Meta:
        model = Milestone
        fields = [
            "id",
            "contract",
            "contract_reference",
            "title",
            "responsible",
            "responsible_acronym",
            "due_date",
            "date_met",
            "status",
            "note",
            "late",
            "met_late",
            "days_late",
            "version",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["version", "updated_at"]

    def validate(self, attrs):
        if self.instance is not None and permissions.is_reporter(self.context["request"].user):
            changed = sorted(
                name
                for name, value in attrs.items()
                if name not in self.REPORTER_FIELDS and getattr(self.instance, name) != value
            )
            if changed:
                raise PermissionDenied(
                    _(
                        "Un partenaire ne met à jour que le statut, la date d'atteinte et la note d'un jalon (pas : %(f)s)."
                    )
                    % {"f": ", ".join(changed)}
                )
        return attrs


class AmendedCommitmentSerializer(serializers.ModelSerializer):
    """What an amendment did to one commitment (read-only here: structured changes are
    written in the admin)."""

    organisation_acronym = serializers.CharField(source="commitment.party.organisation.acronym", read_only=True)
    year = serializers.IntegerField(source="commitment.year", read_only=True)
    amount = serializers.DecimalField(
        source="commitment.amount",
        max_digits=18,
        decimal_places=2,
        read_only=True,
        help_text="FR : montant engagé initialement. / EN: amount first committed.",
    )

    class Meta:
        model = AmendedCommitment
        fields = ["id", "commitment", "organisation_acronym", "year", "amount", "new_amount"]
        read_only_fields = fields


class AmendmentSerializer(ServiceModelSerializer):
    service = staticmethod(services.save_contract_object)
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    in_force = serializers.BooleanField(
        read_only=True,
        help_text="FR : daté au plus tard à la date as_of (ses changements comptent dans les chiffres). "
        "/ EN: dated on or before as_of (its changes count in the figures).",
    )
    amended_commitments = AmendedCommitmentSerializer(
        many=True,
        read_only=True,
        help_text="FR : les engagements dont l'avenant fixe le nouveau montant, à partir de sa date. "
        "/ EN: the commitments whose new amount the amendment sets, from its date.",
    )

    class Meta:
        model = Amendment
        fields = [
            "id",
            "contract",
            "contract_reference",
            "number",
            "date",
            "reason",
            "changes_targets",
            "changes_amounts",
            "changes_dates",
            "summary",
            "in_force",
            "amended_commitments",
            "version",
            "change_reason",
        ]
        read_only_fields = ["version"]
