"""Changes to contracts and their money and milestones, each atomic with its history row."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from artisanat import permissions
from artisanat.services import check_version, delete_with_history, lock, save_with_history
from contracts.choices import MilestoneStatus
from contracts.models import Commitment, Disbursement, Milestone


@transaction.atomic
def save_contract_object(instance, *, by, reason="", expected_version=None):
    """Create or change a contract, party, commitment or amendment (editors and validators)."""
    if not permissions.can_edit_contracts(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les contrats."))
    if instance.pk and hasattr(instance, "version"):
        current = lock(type(instance), instance.pk)
        check_version(current, expected_version)
        instance.version = current.version
    if isinstance(instance, Commitment) and instance.pk:
        lock(Commitment, instance.pk)
    return save_with_history(instance, by=by, reason=reason, bump=hasattr(instance, "version"))


@transaction.atomic
def record_disbursement(disbursement, *, by, reason="", expected_version=None):
    """Create or change a disbursement. The commitment row is locked first so that two
    concurrent payments cannot together exceed what was committed."""
    if not permissions.can_edit_contracts(by):
        raise PermissionDenied(_("Votre rôle ne permet pas d'enregistrer des décaissements."))
    disbursement.commitment = lock(Commitment, disbursement.commitment_id)
    if disbursement.pk:
        current = lock(Disbursement, disbursement.pk)
        check_version(current, expected_version)
        disbursement.version = current.version
    return save_with_history(disbursement, by=by, reason=reason)


REPORTER_MILESTONE_FIELDS = ("status", "date_met", "note")


@transaction.atomic
def update_milestone(milestone, *, by, reason="", expected_version=None):
    """Change a milestone: ministry editors, or a reporter of the responsible organisation."""
    allowed = permissions.can_edit_contracts(by) or (
        # A reporter updates existing milestones its organisation is responsible for; it creates none.
        permissions.is_reporter(by)
        and milestone.pk is not None
        and milestone.responsible_id == permissions.organisation_id_of(by)
    )
    if not allowed:
        raise PermissionDenied(
            _("Vous ne pouvez mettre à jour que les jalons dont votre organisation est responsable.")
        )
    if milestone.pk:
        current = lock(Milestone, milestone.pk)
        check_version(current, expected_version)
        if permissions.is_reporter(by):
            if current.responsible_id != permissions.organisation_id_of(by):
                raise PermissionDenied(
                    _("Vous ne pouvez mettre à jour que les jalons dont votre organisation est responsable.")
                )
            # A reporter reports progress (status, date met, note); the rest is the ministry's,
            # cancelling included (it takes the milestone out of "late" and of the completion).
            if milestone.status == MilestoneStatus.CANCELLED and current.status != MilestoneStatus.CANCELLED:
                raise PermissionDenied(_("Seul le ministère peut annuler un jalon."))
            for field in REPORTER_MILESTONE_FIELDS:
                setattr(current, field, getattr(milestone, field))
            save_with_history(current, by=by, reason=reason)
            milestone.__dict__.update({k: v for k, v in current.__dict__.items() if not k.startswith("_")})
            return current
        milestone.version = current.version
    return save_with_history(milestone, by=by, reason=reason)


@transaction.atomic
def delete_contract_object(instance, *, by, reason="", expected_version=None):
    """Delete a contract, party, commitment, disbursement, milestone or amendment
    (editors and validators); what depends on it is protected by the database."""
    if not permissions.can_edit_contracts(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les contrats."))
    if hasattr(instance, "version"):
        current = lock(type(instance), instance.pk)
        check_version(current, expected_version)
        instance = current
    delete_with_history(instance, by=by, reason=reason)
