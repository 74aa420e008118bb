from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractKind(models.TextChoices):
    TRANSVERSAL = "transversal", _("Transversal")
    FILIERE = "filiere", _("Filière")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Projet")
    SIGNED = "signed", _("Signé")
    IN_EXECUTION = "in_execution", _("En exécution")
    COMPLETED = "completed", _("Achevé")
    SUSPENDED = "suspended", _("Suspendu")
    TERMINATED = "terminated", _("Résilié")


class PartyRole(models.TextChoices):
    SIGNATORY = "signatory", _("Signataire")
    FUNDER = "funder", _("Bailleur")
    IMPLEMENTER = "implementer", _("Opérateur")


class MilestoneStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Programmé")
    MET = "met", _("Atteint")
    PARTIALLY_MET = "partially_met", _("Partiellement atteint")
    NOT_MET = "not_met", _("Non atteint")
    CANCELLED = "cancelled", _("Annulé")


class ChangeKind(models.TextChoices):
    """What an amendment may change, one row each (old → new)."""

    COMMITMENT_AMOUNT = "commitment_amount", _("Montant d'un engagement")
    CONTRACT_START = "contract_start", _("Début du contrat")
    CONTRACT_END = "contract_end", _("Fin du contrat")
    MILESTONE_DUE = "milestone_due", _("Échéance d'un jalon")
    TARGET_VALUE = "target_value", _("Valeur d'une cible")


#: The kinds recorded as AmendmentChange rows (a commitment's amount is an AmendedCommitment).
DATE_KINDS = (ChangeKind.CONTRACT_START, ChangeKind.CONTRACT_END, ChangeKind.MILESTONE_DUE)
