"""``manage.py send_reminders [--as-of YYYY-MM-DD] [--dry-run]``: the reminders and
escalations due today (or on ``--as-of``), each sent once whatever the number of
servers running it (portal/reminders.py). Run it once a day from cron or a systemd
timer (docs/reminders.md). Prints each email sent; exits 1 when an email failed (its
reminders are retried by the next run)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from artisanat.dates import as_of_from
from portal import reminders


class Command(BaseCommand):
    help = "Envoie les rappels et relances de rapportage du jour, chacun une seule fois."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="Jour de l'envoi (AAAA-MM-JJ), aujourd'hui par défaut.")
        parser.add_argument("--dry-run", action="store_true", help="Affiche ce qui serait envoyé, sans rien envoyer.")

    def handle(self, *args, as_of=None, dry_run=False, **options):
        try:
            as_of = as_of_from(as_of)
        except ValidationError as error:
            raise CommandError(f"--as-of : {' '.join(error.messages)}") from None
        if not 1900 <= as_of.year <= 2999:  # the reminder windows add and take days: no calendar overflow
            raise CommandError("--as-of : date hors des années 1900 à 2999.")
        if not settings.SITE_URL:
            raise CommandError(
                "ARTISANAT_SITE_URL n'est pas défini : les courriels ne pourraient pas donner l'adresse du portail."
            )
        outcome = reminders.send_reminders(as_of, dry_run=dry_run)
        verb = "serait envoyé" if dry_run else "envoyé"
        for email in outcome.emails:
            self.stdout.write(f"{verb} à {email.user.email} ({email.language}) : {len(email.items)} rappel(s)")
            for item in email.items:
                r = item.report
                region = f" · {item.region['name']}" if item.region else ""
                self.stdout.write(
                    f"  {item.kind:<10} {r.indicator_code} · {item.organisation['acronym']}{region} · "
                    f"{r.period.label} · échéance {r.due_date:%d/%m/%Y} · {r.days_late} j de retard"
                )
        for user, error in outcome.errors:
            self.stderr.write(f"échec de l'envoi à {user.email} : {error}")
        if dry_run:
            total = sum(len(e.items) for e in outcome.emails)
            self.stdout.write(f"{as_of:%d/%m/%Y} : {total} rappel(s) à envoyer dans {len(outcome.emails)} courriel(s).")
            return
        self.stdout.write(
            f"{as_of:%d/%m/%Y} : {outcome.sent} rappel(s) envoyé(s) dans {len(outcome.emails)} courriel(s), "
            f"{outcome.skipped} déjà envoyé(s) ou en cours, {outcome.failed} en échec."
        )
        if outcome.failed:
            raise CommandError(f"{outcome.failed} rappel(s) en échec, réessayé(s) au prochain passage.")
