"""The contracts' rules that span tables: money disbursed never exceeds what was
committed (at the amount in force on each payment's date); an amendment changes only
commitments, milestones and targets of its own contract. Installed as database triggers (artisanat/triggers.py, registered in
contracts/apps.py); ``Model.clean()`` checks the same rule first with the same message."""

from django.utils.translation import gettext_lazy as _

from artisanat.triggers import Rule


def _in_force(commitment, day):
    """SQL: the amount of commitment ``commitment`` in force on ``day``: the latest
    amendment dated on or before it (by date, then number), else the amount first
    committed (``Commitment.amount_at``)."""
    return (
        "COALESCE((SELECT ac.new_amount FROM contracts_amendedcommitment ac"
        " JOIN contracts_amendment a ON a.id = ac.amendment_id"
        f" WHERE ac.commitment_id = {commitment} AND a.date <= {day}"
        " ORDER BY a.date DESC, a.number DESC, ac.id DESC LIMIT 1),"
        f" (SELECT c.amount FROM contracts_commitment c WHERE c.id = {commitment}))"
    )


def _overpaid(commitment):
    """SQL: on some payment or amendment day, the commitment's payments to that day
    exceed its amount in force that day (``Commitment.ceiling_breach``). ROUND(…, 2) on both sides: SQLite keeps
    decimals as binary floats, and a sum like 0.1 + 0.2 must still equal 0.3."""

    def paid_by(day):
        return (
            "(SELECT ROUND(COALESCE(SUM(d.amount), 0), 2) FROM contracts_disbursement d"
            f" WHERE d.commitment_id = {commitment} AND d.date <= {day})"
        )

    return (
        "EXISTS (SELECT 1 FROM contracts_disbursement p"
        f" WHERE p.commitment_id = {commitment}"
        f" AND {paid_by('p.date')} > ROUND({_in_force(commitment, 'p.date')}, 2))"
        " OR EXISTS (SELECT 1 FROM contracts_amendedcommitment s JOIN contracts_amendment sa"
        f" ON sa.id = s.amendment_id WHERE s.commitment_id = {commitment}"
        f" AND {paid_by('sa.date')} > ROUND({_in_force(commitment, 'sa.date')}, 2))"
    )


# The ceiling reads the amended amounts: installed from contracts 0005 on (the column
# it names, old_amount, came then), so that a database migrated back, on which
# contracts 0003 drops the amended amounts' table, has no trigger reading it.
AMENDED = (("contracts_amendedcommitment", "old_amount"),)

RULES = [
    Rule(
        "disbursement_within_commitment",
        "contracts_disbursement",
        _overpaid("NEW.commitment_id"),
        _("Le total décaissé ne peut pas dépasser le montant engagé."),
        needs=AMENDED,
    ),
    Rule(
        "commitment_covers_disbursements",
        "contracts_commitment",
        _overpaid("NEW.id"),
        _("Le montant engagé ne peut pas descendre sous ce qui a déjà été décaissé."),
        needs=AMENDED,
    ),
    Rule(
        "amended_commitment_covers_disbursements",
        "contracts_amendedcommitment",
        _overpaid("NEW.commitment_id"),
        _("Le montant fixé par l'avenant ne peut pas descendre sous ce qui a déjà été décaissé à cette date."),
        needs=AMENDED,
    ),
    Rule(
        "amended_commitment_same_contract",
        "contracts_amendedcommitment",
        "(SELECT a.contract_id FROM contracts_amendment a WHERE a.id = NEW.amendment_id)"
        " <> (SELECT p.contract_id FROM contracts_commitment c JOIN contracts_party p ON p.id = c.party_id"
        " WHERE c.id = NEW.commitment_id)",
        _("L'engagement modifié doit appartenir au contrat de l'avenant."),
    ),
    Rule(
        "amendment_change_milestone_same_contract",
        "contracts_amendmentchange",
        "NEW.milestone_id IS NOT NULL AND (SELECT a.contract_id FROM contracts_amendment a"
        " WHERE a.id = NEW.amendment_id) <> (SELECT m.contract_id FROM contracts_milestone m"
        " WHERE m.id = NEW.milestone_id)",
        _("Le jalon modifié doit appartenir au contrat de l'avenant."),
    ),
    Rule(
        "amendment_change_target_of_linked_indicator",
        "contracts_amendmentchange",
        "NEW.target_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contracts_contratprogramme_indicators ci"
        " JOIN contracts_amendment a ON a.contract_id = ci.contratprogramme_id"
        " JOIN strategy_target t ON t.indicator_id = ci.indicator_id"
        " WHERE a.id = NEW.amendment_id AND t.id = NEW.target_id)",
        _("La cible modifiée doit être celle d'un indicateur lié au contrat de l'avenant."),
        needs=(("contracts_amendmentchange", "target_id"),),
    ),
]
