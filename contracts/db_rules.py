"""The contracts' rules that span tables: money disbursed never exceeds what was
committed; an amendment changes only commitments of its own contract. Installed as database triggers (artisanat/triggers.py, registered in
contracts/apps.py); ``Model.clean()`` checks the same rule first with the same message."""

from django.utils.translation import gettext_lazy as _

from artisanat.triggers import Rule

RULES = [
    # ROUND(…, 2) on both sides: SQLite keeps decimals as binary floats, and a sum like
    # 0.1 + 0.2 must still equal a commitment of 0.3.
    Rule(
        "disbursement_within_commitment",
        "contracts_disbursement",
        "(SELECT ROUND(SUM(d.amount), 2) FROM contracts_disbursement d WHERE d.commitment_id = NEW.commitment_id)"
        " > (SELECT ROUND(c.amount, 2) FROM contracts_commitment c WHERE c.id = NEW.commitment_id)",
        _("Le total décaissé ne peut pas dépasser le montant engagé."),
    ),
    Rule(
        "commitment_covers_disbursements",
        "contracts_commitment",
        "ROUND(NEW.amount, 2) < (SELECT ROUND(COALESCE(SUM(d.amount), 0), 2) FROM contracts_disbursement d "
        "WHERE d.commitment_id = NEW.id)",
        _("Le montant engagé ne peut pas descendre sous ce qui a déjà été décaissé."),
    ),
    Rule(
        "amended_commitment_same_contract",
        "contracts_amendedcommitment",
        "(SELECT a.contract_id FROM contracts_amendment a WHERE a.id = NEW.amendment_id)"
        " <> (SELECT p.contract_id FROM contracts_commitment c JOIN contracts_party p ON p.id = c.party_id"
        " WHERE c.id = NEW.commitment_id)",
        _("L'engagement modifié doit appartenir au contrat de l'avenant."),
    ),
]
