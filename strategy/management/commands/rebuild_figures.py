"""``manage.py rebuild_figures [--indicator CODE …]``: recompute the stored figures
(validated totals per indicator, period and scope) from the measurements. Triggers keep
them current on every write; this repairs a database loaded around them (``loaddata``
of a dump that left ``strategy.PeriodTotal`` out, raw SQL imports with the triggers
dropped) and prints how many period rows it stored."""

import time

from django.core.management.base import BaseCommand, CommandError

from strategy import services
from strategy.models import Indicator


class Command(BaseCommand):
    help = "Recalcule les totaux validés stockés (chiffres des indicateurs) à partir des mesures."

    def add_arguments(self, parser):
        parser.add_argument("--indicator", action="append", default=[], help="code d'indicateur (répétable)")

    def handle(self, *args, **options):
        ids = None
        if options["indicator"]:
            found = dict(Indicator.objects.filter(code__in=options["indicator"]).values_list("code", "pk"))
            missing = sorted(set(options["indicator"]) - set(found))
            if missing:
                raise CommandError(f"Indicateur inconnu : {', '.join(missing)}.")
            ids = list(found.values())
        started = time.monotonic()
        rows = services.rebuild_figures(ids)
        self.stdout.write(f"rebuild_figures : {rows} totaux de période en {time.monotonic() - started:.1f} s.")
