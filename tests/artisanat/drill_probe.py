"""Prints, as one JSON line, what a restore must reproduce: the rows of every table and
the figures the portal shows (home dashboard, every indicator's figures, every
contract's execution). Run against any database by the backup drill
(tests/artisanat/test_backup.py):

    DATABASE_URL=... manage.py shell -c "from tests.artisanat.drill_probe import main; main()"
"""

import datetime as dt
import json

AS_OF = dt.date(2026, 6, 30)


def fingerprint():
    from django.contrib.auth import get_user_model

    from artisanat.backup import row_counts
    from contracts.models import ContratProgramme
    from portal.api.serializers import DashboardSerializer
    from portal.dashboard import build_dashboard
    from strategy.models import Indicator

    admin = get_user_model().objects.get(username="admin")
    indicators = {
        i.code: [i.achieved, i.progress, i.expected, i.status, i.forecast_date]
        for i in Indicator.objects.with_figures(AS_OF).order_by("code")
    }
    contracts = {
        c.reference: [c.fig_committed, c.fig_disbursed, c.execution_rate, c.milestone_completion, c.fig_milestones_late]
        for c in ContratProgramme.objects.with_execution(AS_OF).order_by("reference")
    }
    return {
        "rows": row_counts(),
        "dashboard": DashboardSerializer(build_dashboard(admin, AS_OF)).data,
        "indicators": indicators,
        "contracts": contracts,
    }


def main():
    print("FINGERPRINT " + json.dumps(fingerprint(), default=str, sort_keys=True))
