"""What the reminders keep (portal/reminders.py): each user's preferences (language of
the emails, the optional reminders on or off) and the log of every reminder, one row per
(kind, recipient, indicator, organisation, period, region) — the row that makes each
reminder go out once, whatever the number of servers running ``send_reminders``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from artisanat.models import Organisation, Region
from portal.choices import ReminderKind, ReminderStatus
from portal.querysets import ReminderLogQuerySet

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


class UserPreference(models.Model):
    """A user's choices about the emails the portal sends them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(
        _("langue des courriels"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    reminders_enabled = models.BooleanField(
        _("rappels avant échéance"),
        default=True,
        help_text=_("Les rappels le jour de l'échéance et les relances en cas de retard sont toujours envoyés."),
    )

    class Meta:
        verbose_name = _("préférence d'utilisateur")
        verbose_name_plural = _("préférences d'utilisateur")
        constraints = [
            models.CheckConstraint(condition=Q(language__in=LANGUAGE_CODES), name="userpreference_language_valid"),
        ]

    def __str__(self):
        return f"{self.user} · {self.language}"


class ReminderLog(models.Model):
    """One reminder of one report to one person. Inserted (claimed) before the email is
    sent: the unique constraints make a second claim of the same reminder fail."""

    kind = models.CharField(_("type"), max_length=12, choices=ReminderKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("destinataire"), on_delete=models.CASCADE, related_name="reminders"
    )
    indicator = models.ForeignKey(
        "strategy.Indicator", verbose_name=_("indicateur"), on_delete=models.CASCADE, related_name="reminders"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="reminders"
    )
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    region = models.ForeignKey(
        Region, verbose_name=_("région"), on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    due_date = models.DateField(_("date d'échéance"))
    status = models.CharField(
        _("statut"), max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.CLAIMED
    )
    claimed_at = models.DateTimeField(_("réservé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=1)
    error = models.TextField(_("erreur"), blank=True)

    objects = ReminderLogQuerySet.as_manager()

    class Meta:
        ordering = ["-claimed_at", "-pk"]
        verbose_name = _("rappel envoyé")
        verbose_name_plural = _("rappels envoyés")
        constraints = [
            # NULL regions are distinct in a UNIQUE index (SQLite and PostgreSQL alike):
            # one constraint for the reports owed for a region, one for the others.
            models.UniqueConstraint(
                fields=["kind", "recipient", "indicator", "organisation", "period_start", "region"],
                condition=Q(region__isnull=False),
                name="reminderlog_once_per_region",
                violation_error_message=_("Ce rappel a déjà été envoyé."),
            ),
            models.UniqueConstraint(
                fields=["kind", "recipient", "indicator", "organisation", "period_start"],
                condition=Q(region__isnull=True),
                name="reminderlog_once",
                violation_error_message=_("Ce rappel a déjà été envoyé."),
            ),
            models.CheckConstraint(condition=Q(kind__in=ReminderKind.values), name="reminderlog_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ReminderStatus.values), name="reminderlog_status_valid"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="reminderlog_period_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReminderStatus.SENT) | Q(sent_at__isnull=False),
                name="reminderlog_sent_has_date",
            ),
        ]
        indexes = [models.Index(fields=["due_date"], name="reminderlog_due_date")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.recipient} · {self.period_start:%d/%m/%Y}"
