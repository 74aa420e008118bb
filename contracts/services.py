"""Changes to contracts and their money and milestones, each atomic with its history row."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from artisanat import permissions
from artisanat.exceptions import StaleVersion
from artisanat.services import check_version, delete_with_history, lock, require_reason, save_with_history
from contracts.choices import ChangeKind, MilestoneStatus
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
from strategy.models import Target
from strategy.services import save_target


def _check_may_edit_contracts(by):
    if not permissions.can_edit_contracts(by):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les contrats."))


@transaction.atomic
def save_contract_object(instance, *, by, reason="", expected_version=None):
    """Create or change a contract, party, commitment or amendment (editors and validators)."""
    _check_may_edit_contracts(by)
    if instance.pk and hasattr(instance, "version"):
        current = lock(type(instance), instance.pk)
        check_version(current, expected_version)
        instance.version = current.version
    if isinstance(instance, Commitment) and instance.pk:
        lock(Commitment, instance.pk)
    if isinstance(instance, Amendment) and instance.pk:
        _check_applied_amendment(instance)
    if isinstance(instance, AmendedCommitment) and instance.pk is None and instance.old_amount is None:
        commitment = lock(Commitment, instance.commitment_id)
        instance.old_amount = commitment.amount_at(instance.amendment.date)
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
    _check_may_edit_contracts(by)
    if hasattr(instance, "version"):
        current = lock(type(instance), instance.pk)
        check_version(current, expected_version)
        instance = current
    if isinstance(instance, Amendment) and is_applied(instance):
        raise ValidationError(APPLIED_MESSAGE)
    delete_with_history(instance, by=by, reason=reason)


# ---------------------------------------------------------------- the commitments grid


@dataclass
class GridCell:
    """One cell of the commitments grid: a party's amount for a year (None: no
    commitment) and the version of the commitment read (None: there was none)."""

    party_id: int
    year: int
    amount: Decimal | None
    expected_version: int | None
    label: str = ""


class StaleCells(StaleVersion):
    """Cells of the grid changed by someone else since they were read: ``cells`` is
    [(GridCell, stored Commitment or None)]. Nothing was saved."""

    def __init__(self, cells):
        self.cells = cells
        self.current_version = None
        Exception.__init__(
            self,
            _(
                "Des engagements ont été modifiés par quelqu'un d'autre entre-temps (%(n)s case(s)) : "
                "rien n'a été enregistré."
            )
            % {"n": len(cells)},
        )


@transaction.atomic
def save_commitment_grid(contract, cells, *, by, reason):
    """Save the commitments of ``contract`` as a party × year grid, all or nothing: a
    cell with an amount creates or changes its commitment, an empty cell where a
    commitment was deletes it (refused while disbursements or amendments depend on it).
    Any cell changed meanwhile (its version, or a commitment that appeared or went)
    refuses the whole grid (``StaleCells``). Returns (created, changed, deleted)."""
    _check_may_edit_contracts(by)
    reason = require_reason(reason)
    contract = lock(ContratProgramme, contract.pk)
    parties = set(Party.objects.filter(contract=contract).values_list("pk", flat=True))
    stored = {
        (c.party_id, c.year): c
        for c in Commitment.objects.select_for_update(of=("self",))
        .filter(party__contract=contract)
        .prefetch_related("disbursements", "amendments")
    }
    stale = []
    for cell in cells:
        if cell.party_id not in parties:
            raise ValidationError(_("Cette partie n'appartient pas au contrat."))
        current = stored.get((cell.party_id, cell.year))
        read = cell.expected_version
        if (current is None) != (read is None) or (current is not None and current.version != read):
            stale.append((cell, current))
    if stale:
        raise StaleCells(stale)
    created = changed = deleted = 0
    errors = []
    for cell in cells:
        current = stored.get((cell.party_id, cell.year))
        if current is None and cell.amount is not None:
            save_with_history(
                Commitment(party_id=cell.party_id, year=cell.year, amount=cell.amount), by=by, reason=reason
            )
            created += 1
        elif current is not None and cell.amount is None:
            if current.disbursements.all() or current.amendments.all():
                errors.append(
                    _(
                        "%(cell)s : des décaissements ou un avenant portent sur cet engagement ; il ne peut pas "
                        "être supprimé (videz la case seulement après les avoir supprimés)."
                    )
                    % {"cell": cell.label}
                )
                continue
            delete_with_history(current, by=by, reason=reason)
            deleted += 1
        elif current is not None and cell.amount != current.amount:
            current.amount = cell.amount
            try:
                save_with_history(current, by=by, reason=reason)
            except ValidationError as error:
                errors += [f"{cell.label} : {m}" for m in error.messages]
                continue
            changed += 1
    if errors:
        raise ValidationError(errors)
    return created, changed, deleted


# ---------------------------------------------------------------- amendments

APPLIED_MESSAGE = _(
    "Cet avenant a été appliqué : ses changements et lui-même ne se modifient ni ne se suppriment. "
    "Enregistrez un nouvel avenant pour les corriger ; seul son résumé peut être corrigé."
)
#: What can still be corrected on an applied amendment: its free text.
AMENDMENT_FREE_TEXT = ("summary",)


def is_applied(amendment):
    """An amendment is applied once it changed something (a commitment's amount, a date,
    a target): it then stays as it was recorded."""
    return amendment.amended_commitments.exists() or amendment.changes.exists()


def _check_applied_amendment(amendment):
    current = Amendment.objects.get(pk=amendment.pk)
    if not is_applied(current):
        return
    fields = [f.attname for f in Amendment._meta.concrete_fields if f.name not in (*AMENDMENT_FREE_TEXT, "version")]
    if any(getattr(current, f) != getattr(amendment, f) for f in fields):
        raise ValidationError(APPLIED_MESSAGE)


@dataclass
class ChangeRequest:
    """A change an amendment makes: ``kind`` (ChangeKind), ``object_id`` (the commitment,
    milestone or target; the contract for its dates) and ``new_value``."""

    kind: str
    object_id: int | None
    new_value: object


def history_reason(amendment):
    """The reason of the history rows an amendment writes on what it changes."""
    text = _("Avenant n° %(n)s du %(d)s") % {"n": amendment.number, "d": f"{amendment.date:%d/%m/%Y}"}
    return text[:100]


@transaction.atomic
def save_amendment(amendment, *, by, reason="", expected_version=None, changes=None):
    """Record an amendment and apply its changes in the same transaction, or correct
    one. Created with ``changes`` ([ChangeRequest]): a commitment's new amount from the
    amendment's date (AmendedCommitment, as-of figures before it unchanged), the
    contract's start or end date, a milestone's due date, a linked indicator's target
    value — each kept old → new, the row changed with a history row naming the
    amendment. An applied amendment keeps its changes; only its summary can be
    corrected (with a reason and the version read)."""
    _check_may_edit_contracts(by)
    if amendment.pk:
        if changes:
            raise ValidationError({"changes": APPLIED_MESSAGE})
        current = lock(Amendment, amendment.pk)
        check_version(current, expected_version)
        reason = require_reason(reason)
        _check_applied_amendment(amendment)
        amendment.version = current.version
        return save_with_history(amendment, by=by, reason=reason)
    reason = require_reason(reason)
    changes = list(changes or ())
    contract = lock(ContratProgramme, amendment.contract_id)
    if changes:
        kinds = {c.kind for c in changes}
        amendment.changes_amounts = ChangeKind.COMMITMENT_AMOUNT in kinds
        amendment.changes_targets = ChangeKind.TARGET_VALUE in kinds
        amendment.changes_dates = bool(
            kinds & {ChangeKind.CONTRACT_START, ChangeKind.CONTRACT_END, ChangeKind.MILESTONE_DUE}
        )
    save_with_history(amendment, by=by, reason=reason)
    label = history_reason(amendment)
    errors = []
    for change in changes:
        try:
            _apply(amendment, contract, change, by=by, label=label)
        except ValidationError as error:
            errors += [f"{ChangeKind(change.kind).label} : {m}" for m in error.messages]
    if errors:
        raise ValidationError({"changes": errors})
    return amendment


def _unchanged(old, new):
    if old == new:
        raise ValidationError(_("la nouvelle valeur est celle en vigueur ; rien ne change."))


def _apply(amendment, contract, change, *, by, label):
    kind, new = change.kind, change.new_value
    if kind == ChangeKind.COMMITMENT_AMOUNT:
        commitment = Commitment.objects.filter(party__contract=contract, pk=change.object_id).first()
        if commitment is None:
            raise ValidationError(_("cet engagement n'appartient pas au contrat."))
        commitment = lock(Commitment, commitment.pk)
        old = commitment.amount_at(amendment.date)
        _unchanged(old, new)
        breach = commitment.ceiling_breach(step=(amendment.date, amendment.number, new))
        if breach:
            day, paid, _committed = breach
            raise ValidationError(
                _("%(paid)s DH étaient décaissés au %(day)s : le nouveau montant ne peut pas être inférieur.")
                % {"paid": paid, "day": f"{day:%d/%m/%Y}"}
            )
        save_with_history(
            AmendedCommitment(amendment=amendment, commitment=commitment, new_amount=new, old_amount=old),
            by=by,
            reason=label,
            bump=False,
        )
        return
    row = AmendmentChange(amendment=amendment, kind=kind)
    if kind in (ChangeKind.CONTRACT_START, ChangeKind.CONTRACT_END):
        if change.object_id not in (None, contract.pk):
            raise ValidationError(_("une date de contrat ne se change que sur le contrat de l'avenant."))
        field = "start_date" if kind == ChangeKind.CONTRACT_START else "end_date"
        row.old_date, row.new_date = getattr(contract, field), new
        _unchanged(row.old_date, new)
        setattr(contract, field, new)
        years = Commitment.objects.filter(party__contract=contract).aggregate(first=Min("year"), last=Max("year"))
        if years["first"] is not None and not (
            contract.start_date.year <= years["first"] and years["last"] <= contract.end_date.year
        ):
            raise ValidationError(
                _("des engagements portent sur les années %(first)s–%(last)s, hors de la nouvelle durée du contrat.")
                % years
            )
        save_with_history(contract, by=by, reason=label)
    elif kind == ChangeKind.MILESTONE_DUE:
        milestone = Milestone.objects.filter(contract=contract, pk=change.object_id).first()
        if milestone is None:
            raise ValidationError(_("ce jalon n'appartient pas au contrat."))
        milestone = lock(Milestone, milestone.pk)
        row.milestone, row.old_date, row.new_date = milestone, milestone.due_date, new
        _unchanged(row.old_date, new)
        milestone.due_date = new
        save_with_history(milestone, by=by, reason=label)
    elif kind == ChangeKind.TARGET_VALUE:
        target = Target.objects.filter(indicator__contracts=contract, pk=change.object_id).first()
        if target is None:
            raise ValidationError(_("cette cible n'est pas celle d'un indicateur lié au contrat."))
        row.target, row.old_value, row.new_value = target, target.value, new
        _unchanged(row.old_value, new)
        target.value = new
        save_target(target, by=by, reason=label)
    else:
        raise ValidationError(_("nature de changement inconnue."))
    save_with_history(row, by=by, reason=label, bump=False)


@transaction.atomic
def delete_amendment(amendment, *, by, reason="", expected_version=None):
    """Delete an amendment that changed nothing yet (an applied one stays: record a new
    amendment instead)."""
    return delete_contract_object(amendment, by=by, reason=reason, expected_version=expected_version)
