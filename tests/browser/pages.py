"""Every staff page the browser tests visit, with the account that sees it: the
"no console error on any page" test (test_portal.py) and the accessibility test
(test_accessibility.py) both walk this list.

A page is one line: its path, with ``{placeholders}`` naming the rows of the scene
(``demo_scene()`` below: the demo data of ``seed_demo`` plus a publication, TOTP devices for
the accounts that need them), and the demo account that opens it. To add a page, add a
``Page(...)`` line to ``PAGES``; a new kind of row needs a key in ``demo_scene()``.

Accounts (portal/management/commands/seed_demo.py's DEMO_ACCOUNTS): ``admin``,
``editor``, ``validator``, ``viewer``, ``partner_fca``; ``None`` means signed out."""

import io
from dataclasses import dataclass

from tests.conftest import PASSWORD


@dataclass(frozen=True)
class Page:
    name: str  # the test id: names the page in a failure
    path: str  # str.format()-ed with the scene's keys
    role: str | None = "validator"  # demo account; None: signed out
    status: int = 200  # the answer expected (the error pages: 400, 404)

    def url(self, scene):
        return self.path.format(**scene)


PAGES = [
    # Home and strategy
    Page("home", "/"),
    Page("home-editor", "/", "editor"),
    Page("home-viewer", "/", "viewer"),
    Page("home-partner", "/", "partner_fca"),
    Page("home-validator", "/", "validator"),
    Page("home-filtered", "/?sex=F&phase={phase_first}"),
    Page("strategy-tree", "/strategie/", "editor"),
    Page("phase-first", "/phases/{phase_first}/"),
    Page("phase-last", "/phases/{phase_last}/"),
    # Indicators
    Page("indicator-list", "/strategie/indicateurs/"),
    Page("indicator-list-filtered", "/strategie/indicateurs/?sex=F"),
    Page("indicator-detail", "/strategie/indicateurs/{indicator}/"),
    Page("indicator-detail-scoped", "/strategie/indicateurs/{indicator}/?actor_type=artisan"),
    Page("indicator-detail-breakdown", "/strategie/indicateurs/{indicator_breakdown}/"),
    Page("indicator-create", "/strategie/indicateurs/nouveau/", "editor"),
    Page("indicator-edit", "/strategie/indicateurs/{indicator}/modifier/", "editor"),
    Page("indicator-targets", "/strategie/indicateurs/{indicator}/cibles/", "editor"),
    Page("indicator-history", "/strategie/indicateurs/{indicator}/historique/"),
    # Measurements and validation
    Page("measurement-list", "/strategie/mesures/"),
    Page("measurement-list-partner", "/strategie/mesures/", "partner_fca"),
    Page("measurement-new", "/strategie/mesures/nouvelle/", "editor"),
    Page("measurement-new-indicator", "/strategie/mesures/nouvelle/?indicator={indicator}", "editor"),
    Page("measurement-new-partner", "/strategie/mesures/nouvelle/", "partner_fca"),
    Page("measurement-submitted", "/strategie/mesures/{measurement_submitted}/"),
    Page("measurement-returned", "/strategie/mesures/{measurement_returned}/", "editor"),
    Page("measurement-draft", "/strategie/mesures/{measurement_draft}/", "editor"),
    Page("measurement-validated", "/strategie/mesures/{measurement_validated}/"),
    Page("validation-queue", "/strategie/validation/"),
    Page("measurement-sheet", "/strategie/mesures/tableur/", "editor"),
    Page("measurement-sheet-partner", "/strategie/mesures/tableur/", "partner_fca"),
    # Report and publications
    Page("report-year", "/strategie/rapport/?year=2024"),
    Page("report-quarter", "/strategie/rapport/?quarter=2024-Q3"),
    Page("report-comment", "/strategie/rapport/commentaires/{indicator}/2024/"),
    Page("publication-list", "/strategie/rapport/publications/"),
    Page("publication-detail", "/strategie/rapport/publications/{publication}/"),
    # Programmes and actions
    Page("action-list", "/strategie/actions/"),
    Page("action-detail", "/strategie/actions/{action}/"),
    Page("action-create", "/strategie/actions/nouvelle/", "editor"),
    Page("action-edit", "/strategie/actions/{action}/modifier/", "editor"),
    Page("action-delete", "/strategie/actions/{action}/supprimer/", "editor"),
    Page("programme-create", "/strategie/programmes/nouveau/", "editor"),
    Page("programme-edit", "/strategie/programmes/{programme}/modifier/", "editor"),
    # Contracts
    Page("contract-list", "/contrats/"),
    Page("contract-detail", "/contrats/{contract}/"),
    Page("contract-history", "/contrats/{contract}/historique/"),
    Page("contract-create", "/contrats/nouveau/", "editor"),
    Page("contract-edit", "/contrats/{contract}/modifier/", "editor"),
    Page("contract-commitments", "/contrats/{contract}/engagements/", "editor"),
    Page("party-create", "/contrats/{contract}/parties/nouvelle/", "editor"),
    Page("party-edit", "/contrats/parties/{party}/modifier/", "editor"),
    Page("party-delete", "/contrats/parties/{party}/supprimer/", "editor"),
    Page("disbursement-create", "/contrats/{contract}/decaissements/nouveau/", "editor"),
    Page("disbursement-edit", "/contrats/decaissements/{disbursement}/modifier/", "editor"),
    Page("disbursement-delete", "/contrats/decaissements/{disbursement}/supprimer/", "editor"),
    Page("milestone-create", "/contrats/{contract}/jalons/nouveau/", "editor"),
    Page("milestone-edit", "/contrats/jalons/{milestone}/modifier/", "editor"),
    Page("milestone-delete", "/contrats/jalons/{milestone}/supprimer/", "editor"),
    Page("amendment-create", "/contrats/{contract}/avenants/nouveau/", "editor"),
    Page("amendment-edit", "/contrats/avenants/{amendment}/modifier/", "editor"),
    Page("amendment-delete", "/contrats/avenants/{amendment}/supprimer/", "editor"),
    Page("milestone-list", "/contrats/jalons/"),
    Page("milestone-list-late", "/contrats/jalons/?late=true&ordering=-days_late"),
    # Organisations, calendar, notifications, reminders
    Page("organisation-list", "/organisations/"),
    Page("organisation-detail", "/organisations/{organisation}/"),
    Page("calendar", "/calendrier/"),
    Page("calendar-detail", "/calendrier/?year=2023&detail=on"),
    Page("notifications", "/notifications/"),
    Page("reminders", "/rappels/"),
    # People (administrators)
    Page("people", "/compte/personnes/", "admin"),
    Page("people-invite", "/compte/personnes/inviter/", "admin"),
    Page("person", "/compte/personnes/{person}/", "admin"),
    # Account and security
    Page("security", "/compte/securite/", "editor"),
    Page("password-change", "/compte/mot-de-passe/", "editor"),
    Page("otp-setup", "/compte/double-authentification/configurer/", "editor"),
    Page("recovery-codes", "/compte/double-authentification/codes-de-secours/", "validator"),
    Page("otp-disable", "/compte/double-authentification/desactiver/", "viewer"),
    # Signed out, and the error pages
    Page("login", "/connexion/", None),
    Page("invitation-expired", "/compte/invitation/MQ/lien-perime/", None),
    Page("bad-parameter", "/strategie/indicateurs/?as_of=hier", "viewer", status=400),
    Page("not-found", "/strategie/indicateurs/999999/", "viewer", status=404),
    # The staff's open-data page, and the public pages (signed out: role None)
    Page("open-data", "/strategie/donnees-ouvertes/"),
    Page("open-data-viewer", "/strategie/donnees-ouvertes/", "viewer"),
    Page("public-home-fr", "/donnees/fr/", None),
    Page("public-home-ar", "/donnees/ar/", None),
    Page("public-indicators-en", "/donnees/en/indicateurs/", None),
    Page("public-indicator-fr", "/donnees/fr/indicateurs/{public_indicator}/", None),
    Page("public-indicator-ar", "/donnees/ar/indicateurs/{public_indicator}/", None),
    Page("public-contracts", "/donnees/fr/contrats/", None),
    Page("public-contract", "/donnees/fr/contrats/{public_contract}/", None),
    Page("public-regions-ar", "/donnees/ar/regions/", None),
    Page("public-region", "/donnees/fr/regions/07/", None),
]

ROLES = sorted({page.role for page in PAGES if page.role})
# The accounts that sign in with a TOTP code (administrators and validators must; the
# viewer chose to, so that the page to turn it off shows).
TWO_FACTOR = ("admin", "validator", "viewer")


def demo_scene():
    """The demo data (seed_demo, with PASSWORD for every account), one yearly
    publication, and TOTP devices for the accounts of TWO_FACTOR; returns the ids the pages'
    placeholders name."""
    import os

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count

    from artisanat.dates import today
    from artisanat.models import Organisation
    from contracts.models import Amendment, ContratProgramme, Disbursement, Milestone, Party
    from strategy import services
    from strategy.choices import ReportKind
    from strategy.models import Action, Indicator, Measurement, Phase
    from strategy.reports import ReportSpec
    from tests.conftest import add_totp_device

    previous = os.environ.get("DEMO_PASSWORD")
    os.environ["DEMO_PASSWORD"] = PASSWORD
    try:
        call_command("seed_demo", stdout=io.StringIO())
    finally:
        if previous is None:
            del os.environ["DEMO_PASSWORD"]
        else:
            os.environ["DEMO_PASSWORD"] = previous
    users = {user.username: user for user in get_user_model().objects.all()}
    for username in TWO_FACTOR:
        add_totp_device(users[username])
    publication = services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=users["validator"], reason="Envoi")
    measured = Indicator.objects.annotate(n=Count("measurements")).order_by("-n", "code")
    amendment = Amendment.objects.select_related("contract").order_by("pk").first()
    contract = amendment.contract
    phases = list(Phase.objects.order_by("order"))

    def measurement(status):
        return Measurement.objects.filter(status=status).order_by("pk").values_list("pk", flat=True)[0]

    indicator = measured.filter(measurements__region__isnull=True).first()
    return {
        "indicator": indicator.pk,
        "indicator_breakdown": measured.filter(measurements__region__isnull=False).first().pk,
        "programme": indicator.programme_id,
        "measurement_submitted": measurement("submitted"),
        "measurement_returned": measurement("returned"),
        "measurement_draft": measurement("draft"),
        "measurement_validated": measurement("validated"),
        "publication": publication.pk,
        "action": Action.objects.order_by("code").first().pk,
        "contract": contract.pk,
        "party": Party.objects.filter(contract=contract).order_by("pk").first().pk,
        "disbursement": Disbursement.objects.filter(commitment__party__contract=contract).order_by("pk").first().pk,
        "milestone": Milestone.objects.filter(contract=contract).order_by("pk").first().pk,
        "amendment": amendment.pk,
        "organisation": Organisation.objects.get(acronym="FCA").pk,
        "phase_first": phases[0].pk,
        "phase_last": phases[-1].pk,
        "person": users["partner_fca"].pk,
        # The public pages name rows by code (seed_demo publishes the indicators with data).
        "public_indicator": Indicator.objects.published(today()).filter(by_region=True).order_by("code")[0].code,
        "public_contract": ContratProgramme.objects.public().order_by("reference")[0].reference,
    }
