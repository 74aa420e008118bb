"""``load_strategy`` (the real reference data) and ``seed_demo`` (indicative demo data
and accounts): content, idempotence, determinism, workflow states, demo accounts.

``seed_demo`` runs once for the module (fixture ``seeded``), inside a transaction that
is rolled back at the end so no other test module sees its rows; each test also runs
in its own savepoint. The tests that do not need it come first in the file, before
the module fixture is first set up.
"""

import datetime as dt
import random
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from artisanat.choices import Role
from artisanat.models import Filiere, Membership, Organisation, Region
from contracts.models import Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from portal.management.commands import seed_demo
from strategy import services as strategy_services
from strategy.choices import MeasurementStatus
from strategy.models import Action, Axis, Indicator, Measurement, Phase, Programme, Strategy, Target

DEMO_PASSWORD = "mot-de-passe-demo-2030-assez-long"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_hashers(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def run(command, **options):
    out = StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()


def model_counts():
    """Rows per model, history tables and auth included (models whose table exists)."""
    tables = set(connection.introspection.table_names())
    return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.db_table in tables}


def measurement_rows():
    return sorted(
        (
            m.indicator.code,
            m.period_start,
            m.period_end,
            m.region.code if m.region else "",
            m.filiere.code if m.filiere else "",
            m.sex,
            m.actor_type,
            str(m.value),
            str(m.numerator),
            str(m.denominator),
            m.status,
        )
        for m in Measurement.objects.select_related("indicator", "region", "filiere")
    )


# --- load_strategy ------------------------------------------------------------------


def test_load_strategy_loads_the_real_strategy(db):
    output = run("load_strategy")
    assert "load_strategy" in output and "5 axes" in output

    strategy = Strategy.objects.get()
    assert (strategy.start_date, strategy.end_date) == (dt.date(2021, 1, 1), dt.date(2030, 12, 31))
    assert strategy.name_ar == "استراتيجية تنمية قطاع الصناعة التقليدية 2021-2030"
    assert "26 juillet 2021" in strategy.source

    assert list(Axis.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert {p.code: (p.order, p.start_date, p.end_date, p.name_ar) for p in Phase.objects.all()} == {
        "relance": (1, dt.date(2021, 1, 1), dt.date(2022, 12, 31), "الإقلاع"),
        "transformation": (2, dt.date(2023, 1, 1), dt.date(2025, 12, 31), "التحول"),
        "acceleration": (3, dt.date(2026, 1, 1), dt.date(2030, 12, 31), "التسريع"),
    }
    assert "2024–2030" in Phase.objects.get(code="acceleration").source
    assert all(Programme.objects.filter(axis=axis).exists() for axis in Axis.objects.all())
    assert all("donnée indicative" in p.objective for p in Programme.objects.all())

    assert list(Region.objects.values_list("code", flat=True)) == [f"{n:02d}" for n in range(1, 13)]
    assert Region.objects.get(code="07").name_ar == "مراكش-آسفي"
    assert set(Filiere.objects.filter(priority=True).values_list("code", flat=True)) == {"tapis", "poterie-ceramique"}

    chambers = Organisation.objects.filter(kind="chambre")
    assert sorted(chambers.values_list("region__code", flat=True)) == [f"{n:02d}" for n in range(1, 13)]
    for acronym in ("MTAESS", "MEF", "MDA", "FCA", "FEA", "CNSS", "CAM", "AWB"):
        assert Organisation.objects.filter(acronym=acronym).exists(), acronym

    contracts = ContratProgramme.objects.filter(signing_date=dt.date(2021, 7, 26)).order_by("reference")
    assert [(c.reference, c.kind, c.filiere.code if c.filiere else None) for c in contracts] == [
        ("CP-2021-01", "transversal", None),
        ("CP-2021-02", "filiere", "poterie-ceramique"),
        ("CP-2021-03", "filiere", "tapis"),
    ]
    for contract in contracts:
        assert contract.phase.code == "relance" and contract.status == "in_execution"
        assert contract.start_date == dt.date(2021, 7, 26)
        assert "26 juillet 2021" in contract.source and "non publiés" in contract.source
        assert contract.axes.exists()
        roles = set(contract.parties.values_list("organisation__acronym", "role"))
        assert {("MTAESS", "signatory"), ("MEF", "signatory"), ("MEF", "funder")} <= roles
        assert {acronym for acronym, role in roles if role == "implementer"} <= {"FCA", "MDA"}


def test_load_strategy_indicators_keep_their_sources(db):
    run("load_strategy")
    exports = Indicator.objects.get(code="EXP-TOTAL")
    assert exports.baseline_value == Decimal("596")
    assert exports.baseline_date == dt.date(2020, 12, 31)
    assert exports.aggregation == "latest" and exports.unit == "mdh"
    assert "596 MDH" in exports.baseline_source and "2020" in exports.baseline_source
    assert list(exports.reporting_organisations.values_list("acronym", flat=True)) == ["MDA"]

    rna = Indicator.objects.get(code="RNA-INSCRITS")
    assert (rna.baseline_value, rna.baseline_date) == (Decimal("340000"), dt.date(2022, 12, 31))
    assert "340 000" in rna.baseline_source
    assert Indicator.objects.get(code="CA-SECTEUR").baseline_value == Decimal("76.4")

    trained = Indicator.objects.get(code="FORM-ARTISANS")
    assert trained.aggregation == "sum" and trained.dimensions == ["region", "sex"]
    share = Indicator.objects.get(code="FORM-FEMMES")
    assert share.aggregation == "ratio" and share.unit == "percent" and share.dimensions == ["region"]
    assert Indicator.objects.get(code="EXP-FILIERE").dimensions == ["filiere"]
    for code in ("FORM-ARTISANS", "FORM-FEMMES", "EXP-FILIERE", "ACC-ACTEURS"):
        assert "donnée indicative" in Indicator.objects.get(code=code).baseline_source
    assert all(i.weight == 1 and i.reporting_organisations.exists() for i in Indicator.objects.all())
    # domain.md names no other calendar: every real indicator is yearly, due 90 days on.
    assert set(Indicator.objects.values_list("frequency", "report_delay_days")) == {("yearly", 90)}


def test_load_strategy_restores_the_reporting_calendar_of_the_real_indicators(db):
    run("load_strategy")
    Indicator.objects.filter(code="EXP-TOTAL").update(frequency="quarterly", report_delay_days=30)
    output = run("load_strategy")
    assert "0 créées, 1 modifiées" in output, output
    assert Indicator.objects.get(code="EXP-TOTAL").report_delay_days == 90
    assert set(Indicator.objects.values_list("frequency", "report_delay_days")) == {("yearly", 90)}


def test_load_strategy_twice_changes_nothing(db):
    run("load_strategy")
    counts = model_counts()
    values = {
        model._meta.label: sorted(map(str, model.objects.values_list()))
        for model in (
            Strategy,
            Phase,
            Axis,
            Programme,
            Region,
            Filiere,
            Organisation,
            Indicator,
            ContratProgramme,
            Party,
        )
    }
    output = run("load_strategy")
    assert "0 créées, 0 modifiées" in output
    assert model_counts() == counts
    assert {label: sorted(map(str, apps.get_model(label).objects.values_list())) for label in values} == values


def test_generated_password_is_printed_once_and_never_reset(db, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    run("load_strategy")
    first = StringIO()
    seed_demo.Seeder(first).accounts()
    password = re.search(r"Mot de passe \(affiché une seule fois\) : (\S+)", first.getvalue()).group(1)
    assert authenticate(username="viewer", password=password) is not None

    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    second = StringIO()
    seed_demo.Seeder(second).accounts()
    assert "existent déjà" in second.getvalue() and password not in second.getvalue()
    assert authenticate(username="viewer", password=password) is not None
    assert authenticate(username="viewer", password=DEMO_PASSWORD) is None


# --- seed_demo (seeded once for the module) -------------------------------------------


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Output of one ``seed_demo`` run (which loads the strategy first), with DEMO_PASSWORD set."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
        with transaction.atomic():
            yield run("seed_demo")
            transaction.set_rollback(True)


def test_seed_demo_twice_is_identical(seeded, db):
    assert "load_strategy" in seeded  # the strategy was missing: loaded first
    counts, rows = model_counts(), measurement_rows()
    assert 100 <= len(rows) <= 300

    output = run("seed_demo")
    assert "rien (déjà à jour)" in output and "existent déjà" in output
    assert model_counts() == counts
    assert measurement_rows() == rows


def test_seed_demo_is_deterministic(seeded, db):
    """The rows are exactly the plan drawn from random.Random(2030), so any fresh database gets the same."""
    plan = seed_demo.measurement_plan(random.Random(seed_demo.SEED))
    assert plan == seed_demo.measurement_plan(random.Random(seed_demo.SEED))
    stored = {
        (m.indicator.code, m.period_start, m.period_end, m.region and m.region.code, m.filiere and m.filiere.code,
         m.sex, m.actor_type): m
        for m in Measurement.objects.select_related("indicator", "region", "filiere")
    }  # fmt: skip
    assert stored.keys() == plan.keys()
    for key, fields in plan.items():
        row = stored[key]
        assert row.status == fields["status"], key
        assert (row.value, row.numerator, row.denominator) == (
            fields.get("value"),
            fields.get("numerator"),
            fields.get("denominator"),
        ), key


def test_seed_demo_covers_every_workflow_state(seeded, db):
    statuses = set(Measurement.objects.values_list("status", flat=True))
    assert statuses == set(MeasurementStatus.values)
    assert (
        Measurement.objects.filter(status="validated").count() > Measurement.objects.exclude(status="validated").count()
    )
    for returned in Measurement.objects.filter(status="returned"):
        assert returned.status_reason.strip()
    validator = get_user_model().objects.get(username="validator")
    assert not Measurement.objects.filter(status="validated").exclude(validated_by=validator).exists()

    # Four eyes: no validated value was entered or last changed by its validator.
    validated = {m.pk: m for m in Measurement.objects.filter(status="validated")}
    last_changed = strategy_services.last_changed_by(validated)
    for pk, m in validated.items():
        assert m.validated_by_id not in {m.reported_by_id, last_changed[pk]}, m

    # Every reported value was entered by the user of the reporting organisation.
    for m in Measurement.objects.select_related("reported_by__membership", "organisation"):
        assert m.indicator.reporting_organisations.filter(pk=m.organisation_id).exists()
        assert m.reported_by.membership.organisation_id == m.organisation_id

    # History tells who, when and why, including a return and its correction.
    story = Measurement.objects.get(
        indicator__code="FORM-ARTISANS", period_start=dt.date(2023, 1, 1), region__code="07", sex="F"
    )
    steps = list(story.history.order_by("history_date", "history_id").values_list("status", "history_user__username"))
    assert [s for s, _ in steps] == ["draft", "submitted", "returned", "returned", "submitted", "validated"]
    assert steps[2][1] == "validator" and steps[0][1] == "partner_fca"
    assert story.history.filter(history_change_reason=seed_demo.STORY_RETURN).exists()


def test_seed_demo_marks_invented_data_indicative(seeded, db):
    def indicative(text):
        return "indicative" in text

    assert all(indicative(m.source) for m in Measurement.objects.all())
    assert all(indicative(t.source) for t in Target.objects.all())
    assert all(indicative(c.note) for c in Commitment.objects.all())
    assert all(indicative(d.note) for d in Disbursement.objects.all())
    assert all(indicative(m.note) for m in Milestone.objects.all())
    assert all(indicative(a.reason) and indicative(a.summary) for a in Amendment.objects.all())
    assert all(indicative(c.source) for c in ContratProgramme.objects.all())
    assert Action.objects.count() == len(seed_demo.DEMO_ACTIONS)
    assert all(indicative(a.note) for a in Action.objects.all())
    assert all(indicative(a.progress_reason) for a in Action.objects.exclude(progress_date=None))
    assert Amendment.objects.filter(contract__reference="CP-2021-01").count() == 1


def test_seed_demo_targets_at_phase_ends(seeded, db):
    phase_ends = {dt.date(2022, 12, 31), dt.date(2025, 12, 31), dt.date(2030, 12, 31)}
    for indicator in Indicator.objects.all():
        national = indicator.targets.filter(region=None, filiere=None)
        dates = set(national.values_list("due_date", flat=True))
        assert dt.date(2030, 12, 31) in dates, indicator.code
        assert dates == {d for d in phase_ends if d > indicator.baseline_date}, indicator.code
    assert Target.objects.filter(indicator__code="FORM-ARTISANS", region__isnull=False).exists()


def test_seed_demo_money_and_milestones(seeded, db):
    assert Commitment.objects.exists()
    for commitment in Commitment.objects.all():
        assert isinstance(commitment.amount, Decimal)
        disbursed = commitment.disbursements.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        assert disbursed <= commitment.amount, commitment
    assert Disbursement.objects.count() > Commitment.objects.filter(year__lte=2024).count() // 2
    assert not Party.objects.filter(role="funder", commitments__isnull=True).exists()

    statuses = set(Milestone.objects.values_list("status", flat=True))
    assert statuses == {"scheduled", "met", "partially_met", "not_met", "cancelled"}
    assert Milestone.objects.filter(status="cancelled").count() == 1
    assert all(m.date_met for m in Milestone.objects.filter(status="met"))
    today = timezone.localdate()
    assert any(m.late for m in Milestone.objects.with_late(today))
    for reference in ("CC-2022-MDA-FCA", "CC-2022-MDA-FEA", "CP-2025-CHAMBRES"):
        assert ContratProgramme.objects.get(reference=reference).parties.exists()
    assert ContratProgramme.objects.get(reference="CP-2025-CHAMBRES").signing_date == dt.date(2025, 2, 13)


def test_seed_demo_accounts(seeded, db):
    expected = {
        "admin": (Role.ADMINISTRATOR, "MTAESS"),
        "editor": (Role.EDITOR, "MTAESS"),
        "validator": (Role.VALIDATOR, "MTAESS"),
        "viewer": (Role.VIEWER, "MTAESS"),
        "partner_fca": (Role.REPORTER, "FCA"),
        "partner_mda": (Role.REPORTER, "MDA"),
    }
    memberships = {
        m.user.username: (m.role, m.organisation.acronym)
        for m in Membership.objects.select_related("user", "organisation")
    }
    assert memberships == expected
    for username in expected:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not get_user_model().objects.filter(is_superuser=True).exclude(username="admin").exists()
    for username, (_role, acronym) in expected.items():
        assert re.search(rf"^{username}\s+\S.*{acronym}$", seeded, re.MULTILINE), username


def test_seed_demo_actions_show_every_source_of_progress(seeded, db):
    as_of = dt.date(2025, 1, 15)
    sources = {a.code: a.advancement.source for a in Action.objects.with_progress(as_of)}
    assert sources == {"A1.1.1": "both", "A3.1.1": "indicators", "A2.1.1": "milestones", "A4.1.1": "manual"}
    milestone = Milestone.objects.get(title="Diagnostic de 1 000 unités de production")
    assert milestone.action.code == "A1.1.1"
    assert milestone.history.latest().history_change_reason == "Jalon rattaché à l'action A1.1.1"
