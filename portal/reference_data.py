"""The real reference data of the 2021–2030 crafts strategy, as the ministry published and announced it.

Plain data, no database access: ``manage.py load_strategy`` writes it, tests read it.
What the press or official pages confirmed is stated as such in the ``source`` texts;
everything else says "donnée indicative" (INDICATIVE) so that no page can pass a
placeholder off as a published figure.
"""

import datetime as dt
from decimal import Decimal

INDICATIVE = "donnée indicative"
PRESS = "presse marocaine et communications officielles du ministère"

# Where each Arabic text comes from. OFFICIAL: a source prints it (domain.md: the
# strategy's name, the phases, the regions of décret 2-15-40; the organisations' own
# Arabic names). WORKING: a working translation made for the portal, stored with
# ``arabic_is_working_translation`` set and shown as "traduction de travail", never as
# official wording. Replace a working text by the official one when a source gives it.
OFFICIAL, WORKING = "official", "working"

# Arabic texts an earlier version of this file loaded, by the text that replaces them:
# load_strategy replaces them (they are its own), never a text a person typed.
FORMER_ARABIC = {
    "الزرابي (القروية والحضرية)": ("الزرابي",),
}

# --- The strategy -------------------------------------------------------------------

STRATEGY = {
    "name": "Stratégie de développement du secteur de l'artisanat 2021–2030",
    "name_ar": "استراتيجية تنمية قطاع الصناعة التقليدية 2021-2030",
    "start_date": dt.date(2021, 1, 1),
    "end_date": dt.date(2030, 12, 31),
    "source": (
        "Version finale présentée à Rabat le 26 juillet 2021, lors d'une réunion présidée par la ministre du "
        "Tourisme, de l'Artisanat, du Transport aérien et de l'Économie sociale (" + PRESS + "). "
        "La stratégie couvre les trois segments du secteur : artisanat de production à fort contenu culturel, "
        "artisanat de production utilitaire et artisanat de service ; l'appui y est différencié selon la taille "
        "et la maturité des acteurs, la filière et le territoire, avec des programmes pilotes étendus ensuite à "
        "d'autres régions ou filières. Direction propriétaire : Direction de la Stratégie, de la Programmation "
        "et de la Coopération."
    ),
}

# (code, name, name_ar, order, start, end, source)
PHASES = [
    (
        "relance",
        "Relance",
        "الإقلاع",
        1,
        dt.date(2021, 1, 1),
        dt.date(2022, 12, 31),
        "Phase 1 de la stratégie 2021–2030 (" + PRESS + ").",
    ),
    (
        "transformation",
        "Transformation",
        "التحول",
        2,
        dt.date(2023, 1, 1),
        dt.date(2025, 12, 31),
        "Phase 2 de la stratégie 2021–2030 (" + PRESS + ").",
    ),
    (
        "acceleration",
        "Accélération",
        "التسريع",
        3,
        dt.date(2026, 1, 1),
        dt.date(2030, 12, 31),
        "Phase 3 de la stratégie 2021–2030 (" + PRESS + "). Dates à confirmer : une source imprime 2024–2030 ; "
        "2026–2030 retenu ici (" + INDICATIVE + ").",
    ),
]

# (number, title, title_ar, description); every Arabic title is a WORKING translation
# (no official Arabic wording of the axes was found).
AXES_ARABIC = WORKING
AXES = [
    (
        1,
        "Structuration et accompagnement des acteurs",
        "هيكلة الفاعلين ومواكبتهم",
        "Accompagnement différencié des acteurs selon leur taille et leur maturité, montée en gamme de l'offre, "
        "résilience et compétitivité des acteurs.",
    ),
    (
        2,
        "Modernisation des filières artisanales",
        "تحديث الشعب الحرفية",
        "Actions ciblées sur l'ensemble de la chaîne de valeur des filières, à commencer par les filières "
        "prioritaires de la phase Relance (tapis, poterie-céramique).",
    ),
    (
        3,
        "Valorisation de l'humain",
        "تثمين العنصر البشري",
        "Qualification des artisans, transmission des savoir-faire authentiques, inclusion sociale, en "
        "particulier des femmes artisanes et des acteurs vulnérables.",
    ),
    (
        4,
        "Amélioration du cadre sectoriel",
        "تحسين الإطار القطاعي",
        "Veille sectorielle, système d'information du secteur et renforcement des compétences des acteurs "
        "institutionnels.",
    ),
    (
        5,
        "Préservation et mise en valeur du patrimoine immatériel marocain",
        "صون التراث اللامادي المغربي وتثمينه",
        "Sauvegarde, documentation, labellisation et promotion des savoir-faire du patrimoine immatériel.",
    ),
]

PROGRAMME_NOTE = (
    " (" + INDICATIVE + " : intitulé de programme provisoire ; la liste officielle des programmes n'a pas été publiée)."
)

# (code, axis number, title, title_ar, objective); the titles are provisional, their
# Arabic a WORKING translation.
PROGRAMMES_ARABIC = WORKING
PROGRAMMES = [
    (
        "P1.1",
        1,
        "Accompagnement différencié des acteurs",
        "المواكبة المتمايزة للفاعلين",
        "Renforcer la compétitivité et la résilience des unités",
    ),
    (
        "P1.2",
        1,
        "Accès aux marchés et export",
        "الولوج إلى الأسواق والتصدير",
        "Développer les ventes, notamment à l'export et en ligne",
    ),
    (
        "P2.1",
        2,
        "Relance des filières prioritaires",
        "إنعاش الشعب ذات الأولوية",
        "Relancer les filières tapis et poterie-céramique",
    ),
    (
        "P2.2",
        2,
        "Modernisation de la chaîne de valeur",
        "تحديث سلسلة القيمة",
        "Moderniser l'outil de production et l'approvisionnement",
    ),
    (
        "P3.1",
        3,
        "Formation et qualification des artisans",
        "تكوين الصناع التقليديين وتأهيلهم",
        "Former et qualifier les artisans, hommes et femmes",
    ),
    (
        "P3.2",
        3,
        "Inclusion sociale et emploi",
        "الإدماج الاجتماعي والتشغيل",
        "Protéger et inclure les artisans, notamment les femmes",
    ),
    (
        "P4.1",
        4,
        "Veille sectorielle et Registre National de l'Artisanat",
        "اليقظة القطاعية والسجل الوطني للصناعة التقليدية",
        "Connaître le secteur et ses acteurs",
    ),
    (
        "P5.1",
        5,
        "Patrimoine immatériel et labellisation",
        "التراث اللامادي والتوسيم",
        "Préserver et labelliser les savoir-faire marocains",
    ),
]

# --- Territory, filières, organisations ----------------------------------------------

# (code, name, name_ar) — décret 2-15-40: the Arabic names are OFFICIAL.
REGIONS = [
    ("01", "Tanger-Tétouan-Al Hoceïma", "طنجة-تطوان-الحسيمة"),
    ("02", "L'Oriental", "الشرق"),
    ("03", "Fès-Meknès", "فاس-مكناس"),
    ("04", "Rabat-Salé-Kénitra", "الرباط-سلا-القنيطرة"),
    ("05", "Béni Mellal-Khénifra", "بني ملال-خنيفرة"),
    ("06", "Casablanca-Settat", "الدار البيضاء-سطات"),
    ("07", "Marrakech-Safi", "مراكش-آسفي"),
    ("08", "Drâa-Tafilalet", "درعة-تافيلالت"),
    ("09", "Souss-Massa", "سوس-ماسة"),
    ("10", "Guelmim-Oued Noun", "كلميم-واد نون"),
    ("11", "Laâyoune-Sakia El Hamra", "العيون-الساقية الحمراء"),
    ("12", "Dakhla-Oued Ed-Dahab", "الداخلة-وادي الذهب"),
]

# (code, name, name_ar, priority); the Arabic names are WORKING translations (the usual
# terms, but not the wording of loi 50-17's list, which no source at hand prints).
FILIERES_ARABIC = WORKING
FILIERES = [
    ("tapis", "Tapis (rural, urbain)", "الزرابي (القروية والحضرية)", True),
    ("tissage", "Tissage", "النسيج", False),
    ("poterie-ceramique", "Poterie-céramique", "الفخار والخزف", True),
    ("zellige-batiment", "Zellige et métiers du bâtiment traditionnel", "الزليج وحرف البناء التقليدي", False),
    ("bois", "Bois", "الخشب", False),
    ("cuir-maroquinerie", "Cuir et maroquinerie", "الجلد والمصنوعات الجلدية", False),
    ("dinanderie-fer-forge", "Dinanderie et fer forgé", "النحاسيات والحديد المطروق", False),
    ("bijouterie", "Bijouterie", "الحلي", False),
    ("habillement-broderie", "Habillement traditionnel et broderie", "اللباس التقليدي والطرز", False),
    ("vannerie", "Vannerie", "صناعة السلال", False),
    ("artisanat-service", "Artisanat de service", "الصناعة التقليدية الخدماتية", False),
]

MINISTRY = "MTAESS"
MEF = "MEF"
MDA = "MDA"
FCA = "FCA"
FEA = "FEA"

# (acronym, name, name_ar, kind, region code, Arabic source): the institutions' own
# Arabic names are OFFICIAL; FEA's is a WORKING translation.
ORGANISATIONS = [
    (
        MINISTRY,
        "Ministère du Tourisme, de l'Artisanat et de l'Économie sociale et solidaire",
        "وزارة السياحة والصناعة التقليدية والاقتصاد الاجتماعي والتضامني",
        "ministere",
        None,
        OFFICIAL,
    ),
    (MEF, "Ministère de l'Économie et des Finances", "وزارة الاقتصاد والمالية", "ministere", None, OFFICIAL),
    (MDA, "Maison de l'Artisan", "دار الصانع", "etablissement_public", None, OFFICIAL),
    (FCA, "Fédération des Chambres d'Artisanat", "جامعة غرف الصناعة التقليدية", "federation", None, OFFICIAL),
    (
        FEA,
        "Fédération des Entreprises de l'Artisanat (CGEM)",
        "جامعة مقاولات الصناعة التقليدية",
        "federation",
        None,
        WORKING,
    ),
    (
        "CNSS",
        "Caisse Nationale de Sécurité Sociale",
        "الصندوق الوطني للضمان الاجتماعي",
        "etablissement_public",
        None,
        OFFICIAL,
    ),
    ("CAM", "Crédit Agricole du Maroc", "القرض الفلاحي للمغرب", "banque", None, OFFICIAL),
    ("AWB", "Attijariwafa bank", "التجاري وفا بنك", "banque", None, OFFICIAL),
]

# Region code → chamber acronym suffix.
CHAMBER_ACRONYMS = {
    "01": "CA-TTA",
    "02": "CA-ORI",
    "03": "CA-FM",
    "04": "CA-RSK",
    "05": "CA-BMK",
    "06": "CA-CS",
    "07": "CA-MS",
    "08": "CA-DT",
    "09": "CA-SM",
    "10": "CA-GON",
    "11": "CA-LSH",
    "12": "CA-DOD",
}


def chambers():
    """The twelve regional Chambres d'Artisanat, one per region: (acronym, name, name_ar,
    kind, region code, Arabic source). The Arabic names are composed from the official
    region names, hence a WORKING translation until checked against each chamber's own."""
    return [
        (
            CHAMBER_ACRONYMS[code],
            f"Chambre d'Artisanat de la Région {name}",
            f"غرفة الصناعة التقليدية لجهة {name_ar}",
            "chambre",
            code,
            WORKING,
        )
        for code, name, name_ar in REGIONS
    ]


# --- Indicators ------------------------------------------------------------------------

# How the real indicators are reported: domain.md says nothing more precise than a yearly
# performance report (LOF 130-13, fiscal year = calendar year), so each is yearly, its
# report due 90 days after the year's end (31 March), unless its entry below says else.
REPORTING = {"frequency": "yearly", "report_delay_days": 90}

# Every indicator's Arabic name is a WORKING translation (the ministry publishes its
# indicators in French).
INDICATORS_ARABIC = WORKING
INDICATORS = [
    # Sourced baselines: the real figures the ministry published (each row names its source).
    {
        "code": "EXP-TOTAL",
        "name": "Exportations de l'artisanat",
        "name_ar": "صادرات الصناعة التقليدية",
        "definition": "Valeur des exportations de produits de l'artisanat au cours de l'année, en millions de DH.",
        "axis": 1,
        "programme": "P1.2",
        "unit": "mdh",
        "aggregation": "latest",
        "baseline_value": Decimal("596"),
        "baseline_date": dt.date(2020, 12, 31),
        "baseline_source": "596 MDH d'exportations en 2020 ; ≈1 000 MDH en 2022 (" + PRESS + ").",
        "reporters": [MDA],
    },
    {
        "code": "RNA-INSCRITS",
        "name": "Artisans inscrits au Registre National de l'Artisanat (RNA)",
        "name_ar": "الصناع التقليديون المسجلون في السجل الوطني للصناعة التقليدية",
        "definition": "Nombre d'artisans inscrits au RNA à la fin de la période (niveau).",
        "axis": 4,
        "programme": "P4.1",
        "unit": "artisans",
        "aggregation": "latest",
        "baseline_value": Decimal("340000"),
        "baseline_date": dt.date(2022, 12, 31),
        "baseline_source": "Plus de 340 000 artisans inscrits au RNA en décembre 2022 ; 395 000 en mai 2024 ("
        + PRESS
        + ").",
        "reporters": [FCA],
    },
    {
        "code": "EMPLOI",
        "name": "Emploi dans le secteur de l'artisanat",
        "name_ar": "التشغيل في قطاع الصناعة التقليدية",
        "definition": "Nombre de personnes employées dans le secteur (niveau).",
        "axis": 3,
        "programme": "P3.2",
        "unit": "people",
        "aggregation": "latest",
        "baseline_value": Decimal("2400000"),
        "baseline_date": dt.date(2020, 12, 31),
        "baseline_source": "≈2,4 millions de personnes, soit ≈22 % de l'emploi au Maroc (" + PRESS + ") ; "
        "l'année de la donnée n'est pas précisée, date de référence fixée au 31/12/2020 (" + INDICATIVE + ").",
        "reporters": [MINISTRY],
    },
    {
        "code": "CA-SECTEUR",
        "name": "Chiffre d'affaires du secteur",
        "name_ar": "رقم معاملات القطاع",
        "definition": "Chiffre d'affaires annuel du secteur de l'artisanat, en milliards de DH.",
        "axis": 1,
        "programme": "P1.1",
        "unit": "mmdh",
        "aggregation": "latest",
        "baseline_value": Decimal("76.4"),
        "baseline_date": dt.date(2024, 12, 31),
        "baseline_source": "76,4 MMDH de chiffre d'affaires en 2024 (" + PRESS + ").",
        "reporters": [MINISTRY],
    },
    {
        "code": "VA-SECTEUR",
        "name": "Valeur ajoutée du secteur",
        "name_ar": "القيمة المضافة للقطاع",
        "definition": "Valeur ajoutée annuelle du secteur de l'artisanat, en milliards de DH.",
        "axis": 2,
        "programme": "P2.2",
        "unit": "mmdh",
        "aggregation": "latest",
        "baseline_value": Decimal("40"),
        "baseline_date": dt.date(2024, 12, 31),
        "baseline_source": "≈40 MMDH de valeur ajoutée en 2024 (" + PRESS + ").",
        "reporters": [MINISTRY],
    },
    {
        "code": "FORM-PLACES",
        "name": "Places de formation aux métiers de l'artisanat",
        "name_ar": "مقاعد التكوين في حرف الصناعة التقليدية",
        "definition": "Capacité d'accueil des établissements de formation professionnelle de l'artisanat (niveau).",
        "axis": 3,
        "programme": "P3.1",
        "unit": "places",
        "aggregation": "latest",
        "baseline_value": Decimal("30000"),
        "baseline_date": dt.date(2020, 12, 31),
        "baseline_source": "30 000 places de formation dans 62 établissements (" + PRESS + ") ; l'année de la "
        "donnée n'est pas précisée, date de référence fixée au 31/12/2020 (" + INDICATIVE + ").",
        "reporters": [MINISTRY],
    },
    {
        "code": "MARQUES-COLL",
        "name": "Marques collectives de l'artisanat",
        "name_ar": "العلامات الجماعية للصناعة التقليدية",
        "definition": "Nombre de marques collectives enregistrées pour des produits de l'artisanat (niveau).",
        "axis": 5,
        "programme": "P5.1",
        "unit": "count",
        "aggregation": "latest",
        "baseline_value": Decimal("69"),
        "baseline_date": dt.date(2024, 12, 31),
        "baseline_source": "69 marques collectives et 307 normes en 2024 (" + PRESS + ").",
        "reporters": [MINISTRY],
    },
    # Placeholder baselines.
    {
        "code": "FORM-ARTISANS",
        "name": "Artisans formés depuis 2021",
        "name_ar": "الصناع التقليديون المكوَّنون منذ 2021",
        "definition": "Artisans ayant achevé une formation qualifiante ou continue, cumulés depuis le 1er janvier "
        "2021, par région et par sexe.",
        "axis": 3,
        "programme": "P3.1",
        "unit": "artisans",
        "aggregation": "sum",
        "baseline_value": Decimal("0"),
        "baseline_date": dt.date(2020, 12, 31),
        "baseline_source": INDICATIVE + " : cumul nul au début de la stratégie.",
        "reporters": [FCA],
        "by_region": True,
        "by_sex": True,
    },
    {
        "code": "FORM-FEMMES",
        "name": "Part des femmes parmi les artisans formés",
        "name_ar": "حصة النساء من بين الصناع التقليديين المكوَّنين",
        "definition": "Femmes formées ÷ artisans formés sur la période, en %, par région (somme des numérateurs "
        "÷ somme des dénominateurs).",
        "axis": 3,
        "programme": "P3.1",
        "unit": "percent",
        "aggregation": "ratio",
        "baseline_value": Decimal("38"),
        "baseline_date": dt.date(2020, 12, 31),
        "baseline_source": INDICATIVE + " : valeur de référence non publiée.",
        "reporters": [FCA],
        "by_region": True,
    },
    {
        "code": "EXP-FILIERE",
        "name": "Exportations des principales filières",
        "name_ar": "صادرات الشعب الرئيسية",
        "definition": "Exportations de l'année des filières poterie-céramique, tapis, vannerie et habillement "
        "traditionnel, en millions de DH, par filière.",
        "axis": 2,
        "programme": "P2.1",
        "unit": "mdh",
        "aggregation": "latest",
        "baseline_value": Decimal("489"),
        "baseline_date": dt.date(2020, 12, 31),
        "baseline_source": INDICATIVE + " : 82 % des 596 MDH exportés en 2020, d'après la structure des "
        "exportations de janvier 2023 (poterie 39 %, tapis 23 %, vannerie 11 %, vêtements traditionnels 9 %).",
        "reporters": [MDA],
        "by_filiere": True,
    },
    {
        "code": "ACC-ACTEURS",
        "name": "Acteurs accompagnés par les programmes d'appui",
        "name_ar": "الفاعلون المستفيدون من برامج المواكبة",
        "definition": "Artisans, maîtres artisans, coopératives et entreprises ayant bénéficié d'un "
        "accompagnement, cumulés depuis 2021, par type d'acteur.",
        "axis": 1,
        "programme": "P1.1",
        "unit": "count",
        "aggregation": "sum",
        "baseline_value": Decimal("0"),
        "baseline_date": dt.date(2020, 12, 31),
        "baseline_source": INDICATIVE + " : cumul nul au début de la stratégie.",
        "reporters": [FCA],
        "by_actor_type": True,
    },
]

# --- The three contrats programmes of 26 July 2021 -------------------------------------

SIGNING_2021 = dt.date(2021, 7, 26)
CONTRACT_SOURCE_2021 = (
    "Signé le 26 juillet 2021 à Rabat, lors de la présentation de la version finale de la stratégie 2021–2030 ("
    + PRESS
    + "). Budget, indicateurs (KPI) et liste des signataires non publiés : parties, montants, jalons et "
    "date de fin sont des " + INDICATIVE + "s."
)

_PARTIES_2021 = [
    (MINISTRY, "signatory"),
    (MINISTRY, "funder"),
    (MEF, "signatory"),
    (MEF, "funder"),
]

# reference, title, title_ar (a WORKING translation: the plans' Arabic titles were not
# published), kind, filière code, axes, indicator codes, parties (acronym, role)
CONTRACTS_ARABIC = WORKING
CONTRACTS = [
    {
        "reference": "CP-2021-01",
        "title": "Plan d'appui à la compétitivité des acteurs de l'artisanat",
        "title_ar": "مخطط دعم تنافسية فاعلي الصناعة التقليدية",
        "kind": "transversal",
        "filiere": None,
        "axes": [1, 3],
        "indicators": ["ACC-ACTEURS", "FORM-ARTISANS"],
        "parties": [*_PARTIES_2021, (FCA, "implementer"), (MDA, "implementer")],
    },
    {
        "reference": "CP-2021-02",
        "title": "Plan de relance de la filière poterie-céramique",
        "title_ar": "مخطط إنعاش شعبة الفخار والخزف",
        "kind": "filiere",
        "filiere": "poterie-ceramique",
        "axes": [1, 2],
        "indicators": ["EXP-FILIERE"],
        "parties": [*_PARTIES_2021, (MDA, "implementer"), (FCA, "implementer")],
    },
    {
        "reference": "CP-2021-03",
        "title": "Plan de relance de la filière tapis rural",
        "title_ar": "مخطط إنعاش شعبة الزربية القروية",
        "kind": "filiere",
        "filiere": "tapis",
        "axes": [2, 5],
        "indicators": ["EXP-FILIERE", "FORM-FEMMES"],
        "parties": [*_PARTIES_2021, (MDA, "implementer"), (FCA, "implementer")],
    },
]
CONTRACT_DATES_2021 = {
    "phase": "relance",
    "status": "in_execution",
    "signing_date": SIGNING_2021,
    "start_date": SIGNING_2021,
    "end_date": dt.date(2022, 12, 31),
}
