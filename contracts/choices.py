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
