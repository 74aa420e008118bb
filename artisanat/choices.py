from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    MINISTRY = "ministere", _("Ministère")
    PUBLIC_BODY = "etablissement_public", _("Établissement public")
    CHAMBER = "chambre", _("Chambre")
    FEDERATION = "federation", _("Fédération")
    ASSOCIATION = "association", _("Association")
    BANK = "banque", _("Banque")
    LOCAL_AUTHORITY = "collectivite", _("Collectivité territoriale")
    COMPANY = "entreprise", _("Entreprise")
    OTHER = "autre", _("Autre")


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrateur")
    EDITOR = "editor", _("Éditeur ministériel")
    VALIDATOR = "validator", _("Validateur ministériel")
    VIEWER = "viewer", _("Lecteur ministériel")
    REPORTER = "reporter", _("Rapporteur partenaire")


MINISTRY_ROLES = {Role.ADMINISTRATOR, Role.EDITOR, Role.VALIDATOR, Role.VIEWER}
