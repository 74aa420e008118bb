from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    """The three reminders of a report (portal/reminders.py). Only the one sent before
    the due date may be switched off by its recipient."""

    BEFORE = "before", _("Rappel avant échéance")
    DUE = "due", _("Échéance du jour")
    ESCALATION = "escalation", _("Relance (retard)")


#: What a user may switch off in "Mes notifications".
OPTIONAL_KINDS = {ReminderKind.BEFORE}


class ReminderStatus(models.TextChoices):
    """A reminder row is claimed first (the claim makes it unique), then sent or failed;
    a failed one is claimed again by the next run."""

    CLAIMED = "claimed", _("En cours d'envoi")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("Échec")
