"""Serializers of contracts and what they commit; writes go through contracts.services."""

import re

from django.core.exceptions import PermissionDenied
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from rest_framework import serializers

from artisanat import permissions
from artisanat.api.documents import DocumentLinkField
from artisanat.api.serializers import PORTABLE_DIGITS, RelatedCodeField, ServiceModelSerializer
from contracts import services
from contracts.choices import DATE_KINDS, ChangeKind
from contracts.models import AmendedCommitment, Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy.api.serializers import figure


class ContractSerializer(ServiceModelSerializer):
    service = staticmethod(services.save_contract_object)
    filiere_code = RelatedCodeField("filiere", "code")
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
    organisation_acronym = RelatedCodeField("organisation", "acronym")
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
    responsible_acronym = RelatedCodeField("responsible", "acronym")
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
        fields = ["id", "commitment", "organisation_acronym", "year", "amount", "old_amount", "new_amount"]
        read_only_fields = fields


class AmendmentChangeSerializer(serializers.Serializer):
    """One change an amendment makes, old → new. Written with the amendment (its
    creation only); ``old_value`` is what the object held when it was applied."""

    kind = serializers.ChoiceField(
        choices=ChangeKind.choices,
        help_text="FR : ce qui change : montant d'un engagement, début ou fin du contrat, échéance d'un jalon, "
        "valeur d'une cible. / EN: what changes: a commitment's amount, the contract's start or end, a "
        "milestone's due date, a target's value.",
    )
    object_id = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        help_text="FR : l'engagement, le jalon ou la cible (d'un indicateur lié au contrat) modifié ; le contrat "
        "pour ses dates (facultatif). / EN: the commitment, milestone or target (of an indicator linked to the "
        "contract) changed; the contract for its dates (optional).",
    )
    new_value = serializers.CharField(
        max_length=40,
        help_text="FR : la nouvelle valeur : un montant ou une valeur décimale (« 1500000.00 »), une date "
        '(AAAA-MM-JJ). / EN: the new value: an amount or a decimal ("1500000.00"), a date (YYYY-MM-DD).',
    )
    old_value = serializers.CharField(
        read_only=True, help_text="FR : la valeur avant l'avenant. / EN: the value before the amendment."
    )

    def to_representation(self, change):
        return {
            "kind": str(change.kind),
            "object_id": change.object_id,
            "new_value": _text(change.new_value),
            "old_value": _text(change.old_value),
        }

    def validate(self, attrs):
        kind, raw = attrs["kind"], attrs["new_value"].strip()
        if kind in DATE_KINDS:
            try:
                value = parse_date(raw) if DATE_SHAPE.fullmatch(raw) else None
            except ValueError:  # well formed, not a day (2023-02-30)
                value = None
            if value is None:
                raise serializers.ValidationError({"new_value": [_("Date attendue au format AAAA-MM-JJ.")]})
        else:
            field = serializers.DecimalField(
                max_digits=PORTABLE_DIGITS, decimal_places=2 if kind == ChangeKind.COMMITMENT_AMOUNT else 4, min_value=0
            )
            value = field.run_validation(raw)
        if kind in (ChangeKind.COMMITMENT_AMOUNT, ChangeKind.MILESTONE_DUE, ChangeKind.TARGET_VALUE) and not attrs.get(
            "object_id"
        ):
            raise serializers.ValidationError({"object_id": [_("Indiquez l'objet modifié.")]})
        return {"kind": kind, "object_id": attrs.get("object_id"), "new_value": value}


DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class AmendmentSerializer(ServiceModelSerializer):
    """An amendment and the changes it makes (``changes``), applied when it is created
    (contracts.services.save_amendment). An applied amendment keeps its changes: only
    its summary can still be corrected; it cannot be deleted."""

    service = staticmethod(services.save_amendment)
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
    changes = AmendmentChangeSerializer(
        many=True,
        required=False,
        source="change_list",
        help_text="FR : ce que l'avenant change (ancien → nouveau), appliqué à sa création ; les indicateurs "
        "changes_* en découlent. / EN: what the amendment changes (old → new), applied when it is created; the "
        "changes_* flags follow from them.",
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
            "changes",
            "version",
            "change_reason",
        ]
        read_only_fields = ["version"]

    def _apply(self, instance, data):
        requests = [
            services.ChangeRequest(c["kind"], c["object_id"], c["new_value"])
            for c in data.pop("change_list", None) or ()
        ]
        if requests and instance.pk:
            raise serializers.ValidationError({"changes": [services.APPLIED_MESSAGE]})
        by = self.context["request"].user
        reason = data.pop("change_reason", "")
        expected_version = data.pop("expected_version", None)
        for name, value in data.items():
            setattr(instance, name, value)
        return services.save_amendment(
            instance, by=by, reason=reason, expected_version=expected_version, changes=requests
        )
