"""``manage.py seed_demo``: plausible demo data on top of ``load_strategy``.

Targets, measurements in every workflow state, commitments, disbursements, milestones,
an amendment, a few later instruments, a few actions (measured by their indicators, their
milestones, both, or by hand) and one demo account per role. Every invented
figure says "donnée indicative" in its source or note.

Deterministic and idempotent: the whole plan is drawn from ``random.Random(2030)``
before anything is written, and each row is created (through the service functions,
by the demo user who would do it, so history tells who, when and why) only when its
natural key is missing. A second run creates nothing and changes nothing; existing
passwords are never reset unless ``--reset-passwords`` is given.
"""

import datetime as dt
import os
import random
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from artisanat.choices import Role
from artisanat.models import Filiere, Membership, Organisation, Region
from contracts import services as contract_services
from contracts.models import Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from portal import reference_data as ref
from portal.management.commands.load_strategy import upsert
from strategy import services as strategy_services
from strategy.choices import Aggregation, MeasurementStatus
from strategy.models import (
    Action,
    Axis,
    Indicator,
    Measurement,
    OpenDataRelease,
    Phase,
    Programme,
    Strategy,
    Target,
)

SEED = 2030
#: The demo's public indicators are public from the strategy's first day.
PUBLIC_FROM = dt.date(2021, 1, 1)
INDICATIVE = ref.INDICATIVE
D = dt.date

VALIDATED = MeasurementStatus.VALIDATED
SUBMITTED = MeasurementStatus.SUBMITTED
DRAFT = MeasurementStatus.DRAFT
RETURNED = MeasurementStatus.RETURNED

# --- Accounts ---------------------------------------------------------------------------

# username, role, organisation acronym, first name, last name, superuser
DEMO_ACCOUNTS = [
    ("admin", Role.ADMINISTRATOR, ref.MINISTRY, "Amina", "Administratrice", True),
    ("editor", Role.EDITOR, ref.MINISTRY, "Youssef", "Éditeur", False),
    ("validator", Role.VALIDATOR, ref.MINISTRY, "Khadija", "Validatrice", False),
    ("viewer", Role.VIEWER, ref.MINISTRY, "Omar", "Lecteur", False),
    ("partner_fca", Role.REPORTER, ref.FCA, "Fatima", "Rapporteuse FCA", False),
    ("partner_mda", Role.REPORTER, ref.MDA, "Hassan", "Rapporteur MDA", False),
]
# Who receives the escalation of late reports (portal/reminders.py): the ministry's focal
# point and FCA's.
DEMO_FOCAL_POINTS = {"editor", "partner_fca"}

# --- Measurement plan -------------------------------------------------------------------

YEARS = list(range(2021, 2026))
# Artisans trained in 2021 in the two regions of the demo breakdown (Fès-Meknès, Marrakech-Safi).
DEMO_REGIONS = {"03": 4200, "07": 3800}
EXPORT_MIX = {"poterie-ceramique": "0.39", "tapis": "0.23", "vannerie": "0.11", "habillement-broderie": "0.09"}
ACTOR_BASE = {"artisan": 1000, "maitre_artisan": 80, "cooperative": 150, "entreprise": 70}

# Yearly levels (latest) without breakdown. None: drawn around the neighbours.
LEVEL_SERIES = {
    "EXP-TOTAL": {2021: 820, 2022: 1000, 2023: 1040, 2024: 1105, 2025: 1180},
    "EMPLOI": {2021: 2405000, 2022: 2430000, 2023: 2455000, 2024: 2480000, 2025: 2510000},
    "CA-SECTEUR": {2021: "58.2", 2022: "64.9", 2023: "71.3", 2024: "76.4", 2025: "80.1"},
    "VA-SECTEUR": {2021: "30.6", 2022: "34.1", 2023: "37.2", 2024: "40.0", 2025: "42.3"},
    "FORM-PLACES": {2021: 30000, 2022: 30500, 2023: 31200, 2024: 32000, 2025: 33000},
    "MARQUES-COLL": {2021: 52, 2022: 58, 2023: 64, 2024: 69, 2025: 74},
}
# The sourced points among them, kept exact (no noise) and said so in the source.
SOURCED_POINTS = {
    ("EXP-TOTAL", 2022): "≈1 000 MDH en 2022 selon la presse",
    ("CA-SECTEUR", 2024): "76,4 MMDH en 2024 selon la presse",
    ("VA-SECTEUR", 2024): "≈40 MMDH en 2024 selon la presse",
    ("MARQUES-COLL", 2024): "69 marques collectives en 2024 selon la presse",
    ("RNA-INSCRITS", 2022): "plus de 340 000 inscrits fin 2022 selon la presse",
}
# State of the 2025 row of each indicator without breakdown: one of each state at least.
STATUS_2025 = {
    "EXP-TOTAL": VALIDATED,
    "RNA-INSCRITS": VALIDATED,
    "EMPLOI": SUBMITTED,
    "CA-SECTEUR": VALIDATED,
    "VA-SECTEUR": DRAFT,
    "FORM-PLACES": VALIDATED,
    "MARQUES-COLL": RETURNED,
}
RNA_SERIES = [
    ((D(2022, 1, 1), D(2022, 12, 31)), 340000),
    ((D(2023, 1, 1), D(2023, 12, 31)), 372000),
    ((D(2024, 1, 1), D(2024, 12, 31)), 401000),
    ((D(2025, 1, 1), D(2025, 12, 31)), 418000),
]
RETURN_REASONS = [
    "Pièce justificative manquante : joindre la liste d'émargement signée.",
    "Écart important avec la période précédente : confirmer la valeur ou l'expliquer.",
    "La ventilation ne correspond pas au rapport d'activité transmis : vérifier la saisie.",
    "Période mal renseignée : la valeur semble couvrir l'année entière.",
]
STORY_KEY = ("FORM-ARTISANS", D(2023, 1, 1), D(2023, 12, 31), "07", None, "F", "")
STORY_RETURN = "Valeur dix fois supérieure aux listes d'émargement de la chambre : vérifier la saisie."

# --- Targets ----------------------------------------------------------------------------

TARGET_DATES = [D(2022, 12, 31), D(2025, 12, 31), D(2030, 12, 31)]  # end of each phase
TARGETS = {
    "EXP-TOTAL": [900, 1100, 1600],
    "RNA-INSCRITS": [340000, 410000, 480000],
    "EMPLOI": [2430000, 2500000, 2600000],
    "CA-SECTEUR": [70, 79, 90],
    "VA-SECTEUR": [36, 42, 55],
    "FORM-PLACES": [31000, 32500, 34000],
    "MARQUES-COLL": [60, 75, 100],
    "FORM-ARTISANS": [15000, 40000, 100000],
    "FORM-FEMMES": [42, 45, 50],
    "EXP-FILIERE": [700, 900, 1300],
    "ACC-ACTEURS": [2500, 7000, 15000],
}

# --- Contracts --------------------------------------------------------------------------

LATER_CONTRACTS = [
    {
        "reference": "CC-2022-MDA-FCA",
        "title": "Convention-cadre Ministère – Maison de l'Artisan – Fédération des Chambres d'Artisanat",
        "phase": "relance",
        "signing_date": D(2022, 6, 30),
        "end_date": D(2026, 12, 31),
        "axes": [1, 3],
        "indicators": ["FORM-ARTISANS", "RNA-INSCRITS"],
        "parties": [
            (ref.MINISTRY, "signatory"),
            (ref.MINISTRY, "funder"),
            (ref.MDA, "signatory"),
            (ref.MDA, "implementer"),
            (ref.FCA, "signatory"),
            (ref.FCA, "implementer"),
        ],
        "source": "Une des 14 conventions signées en juin 2022 (deux conventions-cadres Ministère + Maison de "
        "l'Artisan + FCA / + FEA, et douze conventions entre la Maison de l'Artisan et chaque chambre régionale), "
        "selon la presse. Jour de signature (30/06/2022), durée, montants et jalons : " + INDICATIVE + ".",
    },
    {
        "reference": "CC-2022-MDA-FEA",
        "title": "Convention-cadre Ministère – Maison de l'Artisan – Fédération des Entreprises de l'Artisanat",
        "phase": "relance",
        "signing_date": D(2022, 6, 30),
        "end_date": D(2026, 12, 31),
        "axes": [1, 2],
        "indicators": ["EXP-TOTAL", "ACC-ACTEURS"],
        "parties": [
            (ref.MINISTRY, "signatory"),
            (ref.MINISTRY, "funder"),
            (ref.MDA, "signatory"),
            (ref.MDA, "implementer"),
            (ref.FEA, "signatory"),
            (ref.FEA, "implementer"),
        ],
        "source": "Une des 14 conventions signées en juin 2022, selon la presse. Jour de signature (30/06/2022), "
        "durée, montants et jalons : " + INDICATIVE + ".",
    },
    {
        "reference": "CP-2025-CHAMBRES",
        "title": "Contrat-programme des Chambres d'Artisanat et de leur fédération",
        "phase": "transformation",
        "signing_date": D(2025, 2, 13),
        "end_date": D(2027, 12, 31),
        "axes": [1, 4],
        "indicators": ["RNA-INSCRITS", "FORM-ARTISANS"],
        "parties": [
            (ref.MINISTRY, "signatory"),
            (ref.MINISTRY, "funder"),
            (ref.MEF, "signatory"),
            (ref.MEF, "funder"),
            (ref.FCA, "signatory"),
            (ref.FCA, "implementer"),
            (ref.FCA, "funder"),
        ],
        "source": "Signé le 13 février 2025 avec les chambres d'artisanat et leur fédération, selon la presse. "
        "Durée, montants et jalons : " + INDICATIVE + ".",
    },
]
# Yearly commitment of each funder, before a ±30 % draw (DH).
COMMITMENT_BASE = {
    "CP-2021-01": 50_000_000,
    "CP-2021-02": 20_000_000,
    "CP-2021-03": 15_000_000,
    "CC-2022-MDA-FCA": 8_000_000,
    "CC-2022-MDA-FEA": 6_000_000,
    "CP-2025-CHAMBRES": 30_000_000,
}
LAST_PAID_DAY = D(2026, 9, 30)  # no disbursement after this fixed date: the data never depends on today

# contract, title, responsible, due date, final status, date met
MET, PARTIAL, NOT_MET, SCHEDULED, CANCELLED = "met", "partially_met", "not_met", "scheduled", "cancelled"
MILESTONES = [
    (
        "CP-2021-01",
        "Lancement de l'appel à candidatures des acteurs à accompagner",
        ref.FCA,
        D(2021, 10, 31),
        MET,
        D(2021, 10, 20),
    ),
    ("CP-2021-01", "Diagnostic de 1 000 unités de production", ref.FCA, D(2022, 3, 31), PARTIAL, None),
    ("CP-2021-01", "Guichet de financement avec les banques partenaires", ref.MINISTRY, D(2022, 6, 30), NOT_MET, None),
    ("CP-2021-01", "Plateforme en ligne de suivi des bénéficiaires", ref.MDA, D(2022, 9, 30), CANCELLED, None),
    ("CP-2021-01", "Rapport d'évaluation de fin de phase Relance", ref.MINISTRY, D(2022, 12, 31), SCHEDULED, None),
    ("CP-2021-02", "Étude de la chaîne de valeur poterie-céramique", ref.MDA, D(2021, 12, 31), MET, D(2021, 12, 15)),
    ("CP-2021-02", "Mise à niveau de 20 unités de cuisson (fours à gaz)", ref.MDA, D(2022, 6, 30), PARTIAL, None),
    ("CP-2021-02", "Participation à trois salons internationaux", ref.MDA, D(2022, 11, 30), MET, D(2022, 11, 25)),
    ("CP-2021-03", "Recensement des tisserandes de tapis rural", ref.FCA, D(2021, 12, 31), MET, D(2022, 1, 20)),
    ("CP-2021-03", "Label d'origine pour le tapis rural", ref.MINISTRY, D(2022, 9, 30), NOT_MET, None),
    ("CP-2021-03", "Sessions de formation aux teintures naturelles", ref.FCA, D(2022, 12, 31), SCHEDULED, None),
    (
        "CC-2022-MDA-FCA",
        "Douze conventions Maison de l'Artisan – chambres régionales",
        ref.MDA,
        D(2022, 6, 30),
        MET,
        D(2022, 6, 30),
    ),
    ("CC-2022-MDA-FCA", "Bilan à mi-parcours de la convention-cadre", ref.FCA, D(2024, 6, 30), MET, D(2024, 7, 15)),
    ("CC-2022-MDA-FCA", "Bilan final de la convention-cadre", ref.FCA, D(2026, 12, 31), SCHEDULED, None),
    ("CC-2022-MDA-FEA", "Catalogue export des entreprises de l'artisanat", ref.MDA, D(2023, 12, 31), PARTIAL, None),
    ("CC-2022-MDA-FEA", "Plateforme de commerce en ligne B2B", ref.FEA, D(2025, 6, 30), SCHEDULED, None),
    ("CP-2025-CHAMBRES", "Guichets de l'artisan ouverts dans les 12 chambres", ref.FCA, D(2025, 12, 31), PARTIAL, None),
    ("CP-2025-CHAMBRES", "Rapport annuel 2025 des chambres", ref.FCA, D(2026, 3, 31), MET, D(2026, 4, 10)),
    ("CP-2025-CHAMBRES", "Numérisation des registres des chambres", ref.FCA, D(2027, 6, 30), SCHEDULED, None),
]
MILESTONE_REASONS = {
    MET: "Livrable reçu et vérifié",
    PARTIAL: "Livrable partiel : une partie des unités reste à traiter",
    NOT_MET: "Échéance dépassée sans livrable ; relance adressée au responsable",
    CANCELLED: "Action abandonnée par le comité de pilotage (remplacée par le portail de suivi)",
}
AMENDMENT = {
    "contract": "CP-2021-01",
    "number": 1,
    "date": D(2022, 6, 15),
    "reason": "Réaffectation de crédits entre actions du plan après le diagnostic des premières unités ("
    + INDICATIVE
    + ").",
    "changes_amounts": True,
    "changes_targets": True,
    "summary": "Engagement 2022 du ministère relevé de 10 % au profit de la formation ; cible 2022 des artisans "
    "formés portée à 15 000 (" + INDICATIVE + ").",
}

# A few actions of the plan (codes, titles, budgets and dates: INDICATIVE), each measured
# differently so the pages show every source of progress: linked indicators, linked
# milestones, both, and a value entered by hand with its reason.
DEMO_ACTIONS = [
    {
        "code": "A1.1.1",
        "programme": "P1.1",
        "title": "Accompagnement différencié de 1 000 unités de production",
        "lead": ref.FCA,
        "phase": "relance",
        "start_date": D(2021, 7, 26),
        "end_date": D(2022, 12, 31),
        "budget": Decimal("45000000"),
        "status": "completed",
        "indicators": ["ACC-ACTEURS"],
        "milestones": [
            ("CP-2021-01", "Lancement de l'appel à candidatures des acteurs à accompagner"),
            ("CP-2021-01", "Diagnostic de 1 000 unités de production"),
        ],
    },
    {
        "code": "A3.1.1",
        "programme": "P3.1",
        "title": "Formation qualifiante des artisans et des femmes artisanes",
        "lead": ref.MINISTRY,
        "phase": "transformation",
        "start_date": D(2023, 1, 1),
        "end_date": D(2025, 12, 31),
        "budget": Decimal("30000000"),
        "status": "ongoing",
        "indicators": ["FORM-ARTISANS", "FORM-FEMMES"],
        "milestones": [],
    },
    {
        "code": "A2.1.1",
        "programme": "P2.1",
        "title": "Relance de la filière tapis rural",
        "lead": ref.MINISTRY,
        "phase": "relance",
        "start_date": D(2021, 7, 26),
        "end_date": D(2022, 12, 31),
        "budget": Decimal("12000000"),
        "status": "ongoing",
        "indicators": [],
        "milestones": [
            ("CP-2021-03", "Recensement des tisserandes de tapis rural"),
            ("CP-2021-03", "Label d'origine pour le tapis rural"),
            ("CP-2021-03", "Sessions de formation aux teintures naturelles"),
        ],
    },
    {
        "code": "A4.1.1",
        "programme": "P4.1",
        "title": "Numérisation du Registre National de l'Artisanat",
        "lead": ref.MDA,
        "phase": "transformation",
        "start_date": D(2023, 1, 1),
        "end_date": D(2025, 12, 31),
        "budget": Decimal("8000000"),
        "status": "ongoing",
        "indicators": [],
        "milestones": [],
        "progress": Decimal("60"),
        "progress_reason": "Point d'étape du comité de pilotage (" + INDICATIVE + ")",
        "progress_date": D(2024, 6, 30),
    },
]


def _q(value, places="1"):
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _year(year):
    return (D(year, 1, 1), D(year, 12, 31))


def _draw_status(rng, period):
    """Older periods are validated; the last one (2025, due 31/03/2026) is in every
    state of the workflow, some still drafts long after their due date."""
    if period[1].year <= 2024:
        return VALIDATED
    draw = rng.random()
    if draw < 0.15:
        return DRAFT
    if draw < 0.3:
        return RETURNED
    if draw < 0.5:
        return SUBMITTED
    return VALIDATED


def measurement_plan(rng):
    """Every demo measurement: (indicator code, start, end, region, filière, sex, actor type) → fields."""
    plan = {}

    def add(code, period, *, region=None, filiere=None, sex="", actor_type="", status, **fields):
        key = (code, period[0], period[1], region, filiere, sex, actor_type)
        source = INDICATIVE
        if (code, period[1].year) in SOURCED_POINTS and period[1].month == 12 and period[0].month == 1:
            source = f"{INDICATIVE} ({SOURCED_POINTS[(code, period[1].year)]})"
        fields.setdefault("reason", rng.choice(RETURN_REASONS) if status == RETURNED else "")
        plan[key] = {"status": status, "source": source, **fields}

    for code, series in LEVEL_SERIES.items():
        for year in YEARS:
            value = Decimal(str(series[year]))
            if (code, year) not in SOURCED_POINTS:
                value = value * Decimal(str(rng.uniform(0.99, 1.01)))
            places = "0.1" if code in {"EXP-TOTAL", "CA-SECTEUR", "VA-SECTEUR"} else "1"
            status = STATUS_2025[code] if year == 2025 else VALIDATED
            add(code, _year(year), status=status, value=_q(value, places))
    for period, value in RNA_SERIES:
        status = STATUS_2025["RNA-INSCRITS"] if period == _year(2025) else _draw_status(rng, period)
        add("RNA-INSCRITS", period, status=status, value=Decimal(value))

    for period in [_year(y) for y in YEARS]:
        growth = Decimal(1) + Decimal("0.08") * (period[1].year - 2021)
        for region, base in DEMO_REGIONS.items():
            total = Decimal(base) * growth * Decimal(str(rng.uniform(0.85, 1.15)))
            women = _q(total * Decimal(str(rng.uniform(0.38, 0.56))))
            men = _q(total) - women
            for sex, value in (("F", women), ("M", men)):
                add("FORM-ARTISANS", period, region=region, sex=sex, status=_draw_status(rng, period), value=value)
            add(
                "FORM-FEMMES",
                period,
                region=region,
                status=_draw_status(rng, period),
                numerator=women,
                denominator=women + men,
            )

    exports = {year: Decimal(str(LEVEL_SERIES["EXP-TOTAL"][year])) for year in YEARS}
    for year in YEARS:
        for filiere, share in EXPORT_MIX.items():
            value = exports[year] * Decimal(share) * Decimal(str(rng.uniform(0.93, 1.07)))
            add(
                "EXP-FILIERE",
                _year(year),
                filiere=filiere,
                status=SUBMITTED if year == 2025 else VALIDATED,
                value=_q(value, "0.1"),
            )

    status_2025 = {"artisan": VALIDATED, "maitre_artisan": VALIDATED, "cooperative": SUBMITTED, "entreprise": RETURNED}
    for year in YEARS:
        growth = Decimal(1) + Decimal("0.1") * (year - 2021)
        for actor_type, base in ACTOR_BASE.items():
            value = _q(Decimal(base) * growth * Decimal(str(rng.uniform(0.8, 1.2))))
            status = status_2025[actor_type] if year == 2025 else VALIDATED
            add("ACC-ACTEURS", _year(year), actor_type=actor_type, status=status, value=value)
    return plan


def contract_money_plan(rng, contracts):
    """Commitments {(reference, acronym, year): amount} and disbursements {(…, n): (date, amount)}."""
    commitments, disbursements = {}, {}
    for reference, (start, end, funders) in contracts.items():
        for acronym in funders:
            for year in range(start.year, end.year + 1):
                share = Decimal(str(rng.uniform(0.7, 1.3)))
                if year == start.year and start.month > 6:
                    share /= 2
                amount = _q(Decimal(COMMITMENT_BASE[reference]) * share / 100_000) * 100_000
                commitments[(reference, acronym, year)] = amount
                if year >= 2027:
                    continue
                if year == 2026:
                    rate, months = Decimal(str(rng.uniform(0.2, 0.5))), range(2, LAST_PAID_DAY.month + 1)
                elif year == 2025:
                    rate, months = Decimal(str(rng.uniform(0.5, 0.9))), range(3, 13)
                else:
                    full = rng.random() < 0.3
                    rate = Decimal(1) if full else Decimal(str(rng.uniform(0.75, 0.98)))
                    months = range(max(start.month + 1, 2), 13) if year == start.year else range(2, 13)
                count = min(rng.choice([1, 2]), len(months))
                chosen = sorted(rng.sample(list(months), count))
                paid = _q(amount * rate, "0.01")
                weights = [Decimal(str(rng.uniform(1, 3))) for _ in chosen]
                pieces = [_q(paid * w / sum(weights), "0.01") for w in weights[:-1]]
                pieces.append(paid - sum(pieces))
                for n, (month, piece) in enumerate(zip(chosen, pieces, strict=True), start=1):
                    disbursements[(reference, acronym, year, n)] = (D(year, month, 28 if month == 2 else 30), piece)
    return commitments, disbursements


class Seeder:
    def __init__(self, stdout):
        self.stdout = stdout
        self.created = {}
        self.rng = random.Random(SEED)

    def count(self, label, n=1):
        self.created[label] = self.created.get(label, 0) + n

    # Accounts ----------------------------------------------------------------------
    def accounts(self, reset_passwords=False):
        User = get_user_model()
        orgs = {o.acronym: o for o in Organisation.objects.filter(acronym__in={a[2] for a in DEMO_ACCOUNTS})}
        existing = set(
            User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).values_list("username", flat=True)
        )
        missing = [a[0] for a in DEMO_ACCOUNTS if a[0] not in existing]
        password = os.environ.get("DEMO_PASSWORD") or ""
        generated = False
        if (missing or reset_passwords) and not password:
            password, generated = secrets.token_urlsafe(12), True
        encoded = None
        if missing or reset_passwords:
            if not generated:
                try:
                    password_validation.validate_password(password)
                except ValidationError as error:
                    self.stdout.write("Attention, DEMO_PASSWORD est faible : " + " ".join(error.messages))
            encoded = make_password(password)  # hashed once for every account: PBKDF2 is slow on purpose
        users = {}
        for username, role, acronym, first, last, superuser in DEMO_ACCOUNTS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@demo.artisanat.invalid",
                    is_staff=superuser,
                    is_superuser=superuser,
                )
                user.password = encoded
                user.save()
                self.count("comptes")
            elif reset_passwords:
                user.password = encoded
                user.save(update_fields=["password"])
            upsert(
                Membership,
                {"user": user},
                {"organisation": orgs[acronym], "role": role, "is_focal_point": username in DEMO_FOCAL_POINTS},
            )
            users[username] = user
        if missing or reset_passwords:
            done = "réinitialisés" if reset_passwords else f"créés ({', '.join(missing)})"
            if generated:
                self.stdout.write(
                    f"Comptes de démonstration {done}. Mot de passe (affiché une seule fois) : {password}"
                )
            else:
                self.stdout.write(f"Comptes de démonstration {done} avec le mot de passe de DEMO_PASSWORD.")
        else:
            self.stdout.write("Les comptes de démonstration existent déjà : mots de passe inchangés.")
        self.users = users
        return users

    # Targets -----------------------------------------------------------------------
    def targets(self, indicators, regions):
        editor = self.users["editor"]
        existing = set(Target.objects.values_list("indicator_id", "due_date", "region_id", "filiere_id"))
        wanted = []
        for code, values in TARGETS.items():
            indicator = indicators[code]
            for due, value in zip(TARGET_DATES, values, strict=True):
                if due > indicator.baseline_date:  # a target due before the baseline means nothing
                    wanted.append((indicator, due, None, Decimal(value)))
        # Regional targets of trained artisans: the national one shared in proportion to each region's pace.
        total_base = sum(DEMO_REGIONS.values())
        for due, value in zip(TARGET_DATES[1:], TARGETS["FORM-ARTISANS"][1:], strict=True):
            for code, base in DEMO_REGIONS.items():
                share = _q(Decimal(value) * base / total_base / 100) * 100
                wanted.append((indicators["FORM-ARTISANS"], due, regions[code], share))
        for indicator, due, region, value in wanted:
            if (indicator.pk, due, region.pk if region else None, None) in existing:
                continue
            target = Target(indicator=indicator, due_date=due, region=region, value=value, source=INDICATIVE)
            strategy_services.save_target(target, by=editor, reason=f"Cible de démonstration ({INDICATIVE})")
            self.count("cibles")

    # Measurements ------------------------------------------------------------------
    def measurements(self, indicators, regions, filieres):
        plan = measurement_plan(self.rng)
        existing = set(
            Measurement.objects.values_list(
                "indicator__code", "period_start", "period_end", "region__code", "filiere__code", "sex", "actor_type"
            )
        )
        by_org = {
            ref.FCA: self.users["partner_fca"],
            ref.MDA: self.users["partner_mda"],
        }
        validator = self.users["validator"]
        for key, fields in plan.items():
            if key in existing:
                continue
            code, start, end, region, filiere, sex, actor_type = key
            indicator = indicators[code]
            organisation = indicator.reporting_organisations.order_by("acronym").first()
            reporter = by_org.get(organisation.acronym, self.users["editor"])
            ratio = indicator.aggregation == Aggregation.RATIO
            measurement = Measurement(
                indicator=indicator,
                period_start=start,
                period_end=end,
                region=regions[region] if region else None,
                filiere=filieres[filiere] if filiere else None,
                sex=sex,
                actor_type=actor_type,
                value=None if ratio else fields["value"],
                numerator=fields.get("numerator"),
                denominator=fields.get("denominator"),
                source=fields["source"],
                organisation=organisation,
            )
            if key == STORY_KEY:  # returned once for a typo, corrected, resubmitted, validated
                measurement.value = fields["value"] * 10
                strategy_services.save_measurement(measurement, by=reporter)
                strategy_services.submit_measurement(measurement, by=reporter)
                strategy_services.return_measurement(measurement, by=validator, reason=STORY_RETURN)
                measurement.value = fields["value"]
                strategy_services.save_measurement(measurement, by=reporter, reason="Correction après renvoi")
            else:
                strategy_services.save_measurement(measurement, by=reporter)
            status = fields["status"]
            if status != DRAFT:
                strategy_services.submit_measurement(measurement, by=reporter)
                # When the partner sent it: most within the 90 days the calendar allows,
                # some weeks late (indicative, drawn like the values).
                sent = end + dt.timedelta(days=random.Random(str(key)).choice((25, 40, 60, 75, 85, 110, 140)))
                Measurement.objects.filter(pk=measurement.pk).update(
                    submitted_at=dt.datetime.combine(sent, dt.time(10), dt.UTC)
                )
            if status == VALIDATED:
                strategy_services.validate_measurement(measurement, by=validator)
            elif status == RETURNED:
                strategy_services.return_measurement(measurement, by=validator, reason=fields["reason"])
            self.count("mesures")

    # Contracts ---------------------------------------------------------------------
    def contracts(self, orgs, axes, indicators, phases):
        editor = self.users["editor"]
        for spec in LATER_CONTRACTS:
            contract = ContratProgramme.objects.filter(reference=spec["reference"]).first()
            if contract is None:
                contract = ContratProgramme(
                    reference=spec["reference"],
                    title=spec["title"],
                    kind="transversal",
                    phase=phases[spec["phase"]],
                    signing_date=spec["signing_date"],
                    start_date=spec["signing_date"],
                    end_date=spec["end_date"],
                    status="in_execution",
                    source=spec["source"],
                )
                contract_services.save_contract_object(contract, by=editor, reason="Saisie de l'instrument")
                contract.axes.set([axes[n] for n in spec["axes"]])
                contract.indicators.set([indicators[c] for c in spec["indicators"]])
                self.count("contrats")
            for acronym, role in spec["parties"]:
                if not Party.objects.filter(contract=contract, organisation=orgs[acronym], role=role).exists():
                    party = Party(contract=contract, organisation=orgs[acronym], role=role)
                    contract_services.save_contract_object(party, by=editor, reason="Ajout d'une partie")
                    self.count("parties")

        references = [c["reference"] for c in ref.CONTRACTS] + [c["reference"] for c in LATER_CONTRACTS]
        contracts = {c.reference: c for c in ContratProgramme.objects.filter(reference__in=references)}
        funders = {}
        for party in Party.objects.filter(contract__in=contracts.values(), role="funder").select_related(
            "organisation"
        ):
            funders.setdefault(party.contract.reference, []).append(party)
        spans = {
            r: (c.start_date, c.end_date, sorted(p.organisation.acronym for p in funders.get(r, [])))
            for r, c in sorted(contracts.items())
        }
        commitments_plan, disbursements_plan = contract_money_plan(self.rng, spans)

        parties = {(p.contract.reference, p.organisation.acronym): p for ps in funders.values() for p in ps}
        commitments = {
            (c.party.contract.reference, c.party.organisation.acronym, c.year): c
            for c in Commitment.objects.filter(party__in=[p.pk for p in parties.values()]).select_related(
                "party__contract", "party__organisation"
            )
        }
        for (reference, acronym, year), amount in commitments_plan.items():
            if (reference, acronym, year) in commitments:
                continue
            commitment = Commitment(
                party=parties[(reference, acronym)], year=year, amount=amount, note=f"Engagement annuel — {INDICATIVE}"
            )
            contract_services.save_contract_object(commitment, by=editor, reason="Engagement de démonstration")
            commitments[(reference, acronym, year)] = commitment
            self.count("engagements")
        paid = set(Disbursement.objects.values_list("commitment_id", "reference"))
        for (reference, acronym, year, n), (date, amount) in disbursements_plan.items():
            commitment = commitments[(reference, acronym, year)]
            label = f"{reference}/{acronym}/{year}/{n}"
            if (commitment.pk, label) in paid:
                continue
            disbursement = Disbursement(
                commitment=commitment, date=date, amount=amount, reference=label, note=f"Décaissement — {INDICATIVE}"
            )
            contract_services.record_disbursement(disbursement, by=editor, reason="Décaissement de démonstration")
            self.count("décaissements")

        by_org = {ref.FCA: self.users["partner_fca"], ref.MDA: self.users["partner_mda"]}
        existing = set(Milestone.objects.values_list("contract__reference", "title"))
        for reference, title, responsible, due, status, date_met in MILESTONES:
            if (reference, title) in existing:
                continue
            milestone = Milestone(
                contract=contracts[reference],
                title=title,
                responsible=orgs[responsible],
                due_date=due,
                note=f"Jalon de démonstration — {INDICATIVE}",
            )
            contract_services.update_milestone(milestone, by=editor, reason="Création du jalon")
            if status != SCHEDULED:
                milestone.status = status
                milestone.date_met = date_met
                who = editor if status == CANCELLED else by_org.get(responsible, editor)
                contract_services.update_milestone(milestone, by=who, reason=MILESTONE_REASONS[status])
            self.count("jalons")

        contract = contracts[AMENDMENT["contract"]]
        if not Amendment.objects.filter(contract=contract, number=AMENDMENT["number"]).exists():
            amendment = Amendment(contract=contract, **{k: v for k, v in AMENDMENT.items() if k != "contract"})
            contract_services.save_contract_object(amendment, by=editor, reason="Avenant n° 1")
            self.count("avenants")

    # Actions ------------------------------------------------------------------------
    def actions(self, orgs, phases):
        editor = self.users["editor"]
        programmes = {p.code: p for p in Programme.objects.all()}
        existing = set(Action.objects.values_list("code", flat=True))
        for spec in DEMO_ACTIONS:
            if spec["code"] in existing:
                continue
            action = Action(
                programme=programmes[spec["programme"]],
                code=spec["code"],
                title=spec["title"],
                lead_organisation=orgs[spec["lead"]],
                phase=phases[spec["phase"]],
                start_date=spec["start_date"],
                end_date=spec["end_date"],
                budget=spec["budget"],
                status=spec["status"],
                progress=spec.get("progress", Decimal(0)),
                progress_reason=spec.get("progress_reason", ""),
                progress_date=spec.get("progress_date"),
                note=f"Action de démonstration — {INDICATIVE}",
            )
            strategy_services.save_action(
                action,
                by=editor,
                reason="Action de démonstration",
                indicators=list(Indicator.objects.filter(code__in=spec["indicators"])),
            )
            self.count("actions")
        actions = {a.code: a for a in Action.objects.filter(code__in=[spec["code"] for spec in DEMO_ACTIONS])}
        for spec in DEMO_ACTIONS:
            action = actions[spec["code"]]
            for reference, title in spec["milestones"]:
                milestone = Milestone.objects.get(contract__reference=reference, title=title)
                if milestone.action_id == action.pk:
                    continue
                milestone.action = action
                contract_services.update_milestone(
                    milestone, by=editor, reason=f"Jalon rattaché à l'action {action.code}"
                )
                self.count("jalons rattachés")

    # Open data ----------------------------------------------------------------------
    def open_data(self):
        """The first open-data release, once: the real indicators with validated values
        marked public from 2021-01-01 (by the editor, through the indicator's service),
        then released by the validator, so that /donnees/ shows a public portal. Only
        when no release exists yet: a later run, or an indicator the ministry has since
        withdrawn, is left as it is. (The system account, which commands otherwise act
        as, has no role: release_open_data refuses it, as it refuses every non-validator.)"""
        if OpenDataRelease.objects.exists():
            return
        validated = Measurement.objects.filter(status=VALIDATED).values("indicator")
        for indicator in (
            Indicator.objects.filter(pk__in=validated, public_from__isnull=True)
            .exclude(code__startswith="SYN-")
            .order_by("code")
        ):
            indicator.public_from = PUBLIC_FROM
            strategy_services.save_indicator(
                indicator, by=self.users["editor"], reason="Ouverture des données (démonstration)"
            )
            self.count("indicateurs publics")
        strategy_services.release_open_data(
            by=self.users["validator"], reason="Première publication des données ouvertes (démonstration)"
        )
        self.count("publication des données ouvertes")

    def run(self, reset_passwords=False):
        strategy = Strategy.objects.get(name=ref.STRATEGY["name"])
        needed = {a for a, *_ in ref.ORGANISATIONS}
        orgs = {o.acronym: o for o in Organisation.objects.filter(acronym__in=needed)}
        if set(orgs) != needed:
            raise CommandError("Données de référence incomplètes : lancez d'abord « manage.py load_strategy ».")
        self.accounts(reset_passwords)
        indicators = {i.code: i for i in Indicator.objects.filter(code__in=TARGETS)}
        if set(indicators) != set(TARGETS):
            raise CommandError("Indicateurs de référence manquants : lancez d'abord « manage.py load_strategy ».")
        regions = {r.code: r for r in Region.objects.all()}
        filieres = {f.code: f for f in Filiere.objects.all()}
        axes = {a.number: a for a in Axis.objects.filter(strategy=strategy)}
        phases = {p.code: p for p in Phase.objects.filter(strategy=strategy)}
        self.targets(indicators, regions)
        self.measurements(indicators, regions, filieres)
        self.contracts(orgs, axes, indicators, phases)
        self.actions(orgs, phases)
        self.open_data()


class Command(BaseCommand):
    help = "Ajoute des données de démonstration (indicatives) et un compte par rôle (idempotent, déterministe)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Redonne aux comptes de démonstration le mot de passe DEMO_PASSWORD (ou un nouveau, affiché).",
        )

    def handle(self, *args, **options):
        if not Strategy.objects.filter(name=ref.STRATEGY["name"]).exists():
            call_command("load_strategy", stdout=self.stdout)
        seeder = Seeder(self.stdout)
        with transaction.atomic():
            seeder.run(reset_passwords=options["reset_passwords"])
        created = ", ".join(f"{n} {label}" for label, n in seeder.created.items()) or "rien (déjà à jour)"
        self.stdout.write(f"seed_demo : créé {created}.")
        by_status = {s: Measurement.objects.filter(status=s).count() for s in MeasurementStatus.values}
        self.stdout.write(
            "Mesures par statut : " + ", ".join(f"{MeasurementStatus(s).label} {n}" for s, n in by_status.items())
        )
        self.stdout.write("")
        self.stdout.write(f"{'utilisateur':<14}{'rôle':<26}organisation")
        for membership in Membership.objects.filter(user__username__in=[a[0] for a in DEMO_ACCOUNTS]).select_related(
            "user", "organisation"
        ):
            self.stdout.write(
                f"{membership.user.username:<14}{str(membership.get_role_display()):<26}{membership.organisation.acronym}"
            )
