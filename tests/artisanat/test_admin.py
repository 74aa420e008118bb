"""Django admin: every model answers, only staff get in, change lists keep a flat query
count, saves and workflow actions go through the services (history user and reason),
and a service's refusal is an error message, never a 500."""

import calendar
import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from artisanat.admin import MembershipInline
from artisanat.models import DataVersion, IdempotencyKey
from contracts.choices import ContractKind, ContractStatus, MilestoneStatus, PartyRole
from contracts.models import (
    AmendedCommitment,
    Amendment,
    AmendmentChange,
    Commitment,
    ContratProgramme,
    Disbursement,
    Milestone,
    Party,
)
from strategy.choices import MeasurementStatus
from strategy.models import (
    Action,
    Axis,
    Indicator,
    IndicatorComment,
    Measurement,
    OpenDataRelease,
    PeriodTotal,
    Phase,
    Programme,
    PublishedTotal,
    ReportPublication,
    Strategy,
    Target,
)
from strategy.services import release_open_data, save_target

User = get_user_model()
APPS = {"artisanat", "strategy", "contracts", "auth"}
ADMIN_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in APPS), key=lambda m: m._meta.label
)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def make_measurement(indicator, organisation, *, year=2022, month=None, status=MeasurementStatus.DRAFT, **extra):
    if month is None:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    else:
        start = dt.date(year, month, 1)
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
    if status == MeasurementStatus.RETURNED:
        extra.setdefault("status_reason", "à corriger")
    return Measurement.objects.create(
        indicator=indicator,
        period_start=start,
        period_end=end,
        value=extra.pop("value", Decimal("100")),
        organisation=organisation,
        status=status,
        **extra,
    )


def make_contract(phase, n, *, filiere=None):
    return ContratProgramme.objects.create(
        reference=f"CP-{n:03d}",
        title=f"Contrat programme {n}",
        kind=ContractKind.FILIERE if filiere else ContractKind.TRANSVERSAL,
        filiere=filiere,
        phase=phase,
        status=ContractStatus.SIGNED,
        signing_date=dt.date(2021, 7, 26),
        start_date=dt.date(2021, 7, 26),
        end_date=dt.date(2026, 12, 31),
    )


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def contract(phases):
    return make_contract(phases[0], 1)


@pytest.fixture
def commitment(contract, org_a):
    party = Party.objects.create(contract=contract, organisation=org_a, role=PartyRole.FUNDER)
    return Commitment.objects.create(party=party, year=2022, amount=Decimal("1000000"))


@pytest.fixture
def world(admin_user, org_a, region, filiere, phases, programme, indicator, contract, commitment):
    """One object of every model the admin shows."""
    action = Action.objects.create(
        programme=programme,
        code="A3.1.1",
        title="Former les artisans aux métiers d'art",
        lead_organisation=org_a,
        phase=phases[0],
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2022, 12, 31),
    )
    target = Target.objects.create(indicator=indicator, due_date=dt.date(2025, 12, 31), value=Decimal("1000"))
    measurement = make_measurement(indicator, org_a)
    disbursement = Disbursement.objects.create(
        commitment=commitment, date=dt.date(2022, 6, 30), amount=Decimal("250000")
    )
    milestone = Milestone.objects.create(
        contract=contract, title="Lancement du programme", responsible=org_a, due_date=dt.date(2022, 12, 31)
    )
    amendment = Amendment.objects.create(
        contract=contract,
        number=1,
        date=dt.date(2022, 3, 1),
        reason="Report du calendrier",
        summary="Fin repoussée",
        changes_dates=True,
    )
    amended = AmendedCommitment.objects.create(
        amendment=amendment, commitment=commitment, new_amount=Decimal("1200000")
    )
    change = AmendmentChange.objects.create(
        amendment=amendment,
        kind="contract_end",
        old_date=contract.end_date,
        new_date=contract.end_date + dt.timedelta(days=90),
    )
    contract.axes.add(programme.axis)
    contract.indicators.add(indicator)
    objects = [
        region,
        filiere,
        org_a,
        admin_user.membership,
        admin_user,
        Group.objects.create(name="Équipe de suivi"),
        phases[0].strategy,
        phases[0],
        programme.axis,
        programme,
        action,
        indicator,
        target,
        measurement,
        contract,
        commitment.party,
        commitment,
        disbursement,
        milestone,
        amendment,
        amended,
        change,
        IndicatorComment.objects.create(indicator=indicator, year=2022, text="Écart dû au retard des sessions."),
        ReportPublication.objects.create(
            kind="yearly",
            year=2022,
            as_of=dt.date(2022, 12, 31),
            published_at=timezone.now(),
            published_by=admin_user,
            reason="Envoi au ministre",
            figures={"sections": []},
            pdf=ContentFile(b"%PDF-1.7\n%%EOF\n", name="rapport.pdf"),
            sha256="0" * 64,
        ),
    ]
    return {type(obj): obj for obj in objects}


# -- every model is there and answers ---------------------------------------------------
def test_every_model_of_the_three_apps_is_registered():
    for label in ("artisanat", "strategy", "contracts"):
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            assert admin.site.is_registered(model), model._meta.label


def test_user_admin_carries_the_membership_inline():
    assert MembershipInline in admin.site._registry[User].inlines


def test_admin_site_header_is_french(staff_client):
    response = staff_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Artisanat 2030 — administration" in response.content.decode()


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_pages_answer(staff_client, rf, admin_user, world, model):
    if model is IdempotencyKey:  # made on demand: the API's bookkeeping, not part of the world
        world[model] = IdempotencyKey.objects.create(
            user=admin_user, key="cle-1", request_hash="0" * 64, status_code=201, response={"id": 1}
        )
    if model is PeriodTotal:  # kept by triggers from the validated measurements, not made by hand
        make_measurement(
            world[Indicator], world[Measurement].organisation, year=2023, status=MeasurementStatus.VALIDATED
        )
        world[model] = PeriodTotal.objects.get(indicator=world[Indicator], period_end=dt.date(2023, 12, 31))
    if model in (PublishedTotal, OpenDataRelease):  # copied by a release from the stored totals
        world[Indicator].public_from = dt.date(2023, 1, 1)
        world[Indicator].save()
        make_measurement(
            world[Indicator], world[Measurement].organisation, year=2023, status=MeasurementStatus.VALIDATED
        )
        release = release_open_data(by=admin_user, reason="Publication des données ouvertes")
        world[OpenDataRelease] = release
        world[PublishedTotal] = PublishedTotal.objects.get(indicator=world[Indicator], period_end=dt.date(2023, 12, 31))
    if model is DataVersion:  # one row, created by migrate and bumped by every write of the world
        world[model] = DataVersion.objects.get(pk=1)
    obj = world.get(model)
    assert obj is not None, f"add an object of {model._meta.label} to the world fixture"
    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
    ):
        response = staff_client.get(url)
        assert response.status_code == 200, url
    request = rf.get("/")
    request.user = admin_user
    may_add = admin.site._registry[model].has_add_permission(request)
    assert staff_client.get(admin_url(model, "add")).status_code == (200 if may_add else 403)


@pytest.mark.parametrize("url", ["/admin/", "/admin/strategy/measurement/", "/admin/contracts/contratprogramme/"])
def test_non_staff_user_is_sent_to_the_admin_login(client, viewer, url):
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_anonymous_is_sent_to_the_admin_login(client, db):
    response = client.get("/admin/strategy/indicator/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# -- query budget: change lists do not grow with the rows ---------------------------------
@pytest.fixture
def row_factories(admin_user, org_a, org_b, filiere, phases, make_indicator, indicator):
    monthly = make_indicator(code="IND-MOIS", frequency="monthly", reporters=[org_a, org_b])

    def measurement(i):  # one calendar month each, on a monthly indicator
        return make_measurement(
            monthly,
            (org_a, org_b)[i % 2],
            year=2022 + i // 12,
            month=i % 12 + 1,
            status=(MeasurementStatus.DRAFT, MeasurementStatus.SUBMITTED, MeasurementStatus.VALIDATED)[i % 3],
            reported_by=admin_user,
        )

    def indicator_row(i):
        return make_indicator(code=f"Q-{i:03d}", reporters=[org_a, org_b])

    def contract_row(i):
        contract = make_contract(phases[i % 3], 100 + i, filiere=filiere if i % 2 else None)
        party = Party.objects.create(contract=contract, organisation=org_a, role=PartyRole.FUNDER)
        commitment = Commitment.objects.create(party=party, year=2022, amount=Decimal("1000"))
        Disbursement.objects.create(commitment=commitment, date=dt.date(2022, 5, 1), amount=Decimal("400"))
        Milestone.objects.create(contract=contract, title="Jalon", responsible=org_b, due_date=dt.date(2022, 1, 1))
        return contract

    def milestone(i):
        contract = make_contract(phases[0], 200 + i)
        met = i % 2 == 0
        return Milestone.objects.create(
            contract=contract,
            title=f"Jalon {i}",
            responsible=(org_a, org_b)[i % 2],
            due_date=dt.date(2023, 1, 1) + dt.timedelta(days=i),
            status=MilestoneStatus.MET if met else MilestoneStatus.SCHEDULED,
            date_met=dt.date(2023, 2, 1) if met else None,
        )

    def disbursement(i):
        contract = make_contract(phases[0], 300 + i)
        party = Party.objects.create(contract=contract, organisation=(org_a, org_b)[i % 2], role=PartyRole.FUNDER)
        commitment = Commitment.objects.create(party=party, year=2022, amount=Decimal("5000"))
        return Disbursement.objects.create(commitment=commitment, date=dt.date(2022, 3, 1), amount=Decimal("1000"))

    return {
        Measurement: measurement,
        Indicator: indicator_row,
        ContratProgramme: contract_row,
        Milestone: milestone,
        Disbursement: disbursement,
    }


def _changelist_queries(client, model):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    return len(queries.captured_queries), response.context["cl"].result_count


@pytest.mark.parametrize(
    "model", [Measurement, Indicator, ContratProgramme, Milestone, Disbursement], ids=lambda m: m.__name__
)
def test_changelist_query_count_does_not_grow_with_rows(staff_client, row_factories, model):
    make = row_factories[model]
    make(0)
    staff_client.get(admin_url(model, "changelist"))  # warm the per-process caches
    with_one, rows_one = _changelist_queries(staff_client, model)
    for i in range(1, 30):
        make(i)
    with_thirty, rows_thirty = _changelist_queries(staff_client, model)
    assert rows_thirty - rows_one == 29
    assert with_thirty == with_one


# -- workflow actions ---------------------------------------------------------------------
def run_action(client, action, measurements, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [m.pk for m in measurements], **extra}
    return client.post(admin_url(Measurement, "changelist"), data, follow=True)


def test_validate_action_validates_submitted_measurements_with_history_user(staff_client, admin_user, indicator, org_a):
    first = make_measurement(indicator, org_a, year=2022, status=MeasurementStatus.SUBMITTED)
    second = make_measurement(indicator, org_a, year=2023, status=MeasurementStatus.SUBMITTED)

    response = run_action(staff_client, "validate_selected", [first, second], index="0")

    assert response.status_code == 200
    assert "2 mesures validées." in messages_of(response)
    for measurement in (first, second):
        measurement.refresh_from_db()
        assert measurement.status == MeasurementStatus.VALIDATED
        assert measurement.validated_by == admin_user
        latest = measurement.history.first()
        assert latest.status == MeasurementStatus.VALIDATED
        assert latest.history_user == admin_user


def test_return_action_asks_for_a_reason_then_records_it(staff_client, admin_user, indicator, org_a):
    measurement = make_measurement(indicator, org_a, status=MeasurementStatus.SUBMITTED)

    page = run_action(staff_client, "return_selected", [measurement], index="0")
    assert page.status_code == 200
    assert [t.name for t in page.templates][0] == "admin/strategy/measurement/action_reason.html"
    assert 'name="reason"' in page.content.decode()
    measurement.refresh_from_db()
    assert measurement.status == MeasurementStatus.SUBMITTED

    reason = "Le chiffre de Marrakech-Safi ne correspond pas au rapport trimestriel."
    response = run_action(staff_client, "return_selected", [measurement], post="yes", reason=reason)

    assert "1 mesure renvoyée." in messages_of(response)
    measurement.refresh_from_db()
    assert measurement.status == MeasurementStatus.RETURNED
    assert measurement.status_reason == reason
    latest = measurement.history.first()
    assert latest.history_change_reason == reason
    assert latest.history_user == admin_user


def test_return_action_without_reason_changes_nothing(staff_client, indicator, org_a):
    measurement = make_measurement(indicator, org_a, status=MeasurementStatus.SUBMITTED)

    response = run_action(staff_client, "return_selected", [measurement], post="yes", reason="  ")

    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.content.decode()
    measurement.refresh_from_db()
    assert measurement.status == MeasurementStatus.SUBMITTED


def test_reopen_action_returns_a_validated_measurement_with_the_reason(staff_client, admin_user, indicator, org_a):
    measurement = make_measurement(indicator, org_a, status=MeasurementStatus.VALIDATED, validated_by=admin_user)

    run_action(staff_client, "reopen_selected", [measurement], post="yes", reason="Erreur de saisie signalée")

    measurement.refresh_from_db()
    assert measurement.status == MeasurementStatus.RETURNED
    assert measurement.validated_by is None
    assert measurement.history.first().history_change_reason == "Erreur de saisie signalée"


def test_submit_action_submits_drafts(staff_client, admin_user, indicator, org_a):
    measurement = make_measurement(indicator, org_a)

    response = run_action(staff_client, "submit_selected", [measurement], index="0")

    assert "1 mesure soumise." in messages_of(response)
    measurement.refresh_from_db()
    assert measurement.status == MeasurementStatus.SUBMITTED
    assert measurement.history.first().history_user == admin_user


def test_action_skips_rows_in_the_wrong_state_and_says_why(staff_client, indicator, org_a):
    draft = make_measurement(indicator, org_a, year=2022)
    submitted = make_measurement(indicator, org_a, year=2023, status=MeasurementStatus.SUBMITTED)

    response = run_action(staff_client, "validate_selected", [draft, submitted], index="0")

    shown = messages_of(response)
    assert "1 mesure validée." in shown
    skipped = [m for m in shown if "ignorée" in m]
    assert len(skipped) == 1
    assert f"n° {draft.pk}" in skipped[0]
    assert "Brouillon" in skipped[0]
    draft.refresh_from_db()
    submitted.refresh_from_db()
    assert draft.status == MeasurementStatus.DRAFT
    assert draft.history.count() == 1
    assert submitted.status == MeasurementStatus.VALIDATED


def test_return_action_on_a_draft_skips_it(staff_client, indicator, org_a):
    draft = make_measurement(indicator, org_a)

    response = run_action(staff_client, "return_selected", [draft], post="yes", reason="Motif")

    assert any("1 mesure ignorée" in m for m in messages_of(response))
    draft.refresh_from_db()
    assert draft.status == MeasurementStatus.DRAFT
    assert draft.status_reason == ""


def test_validate_action_refused_to_a_staff_editor(client, editor, indicator, org_a):
    editor.is_staff = True
    editor.save()
    editor.user_permissions.add(*Permission.objects.filter(codename__in=["view_measurement", "change_measurement"]))
    client.force_login(editor)
    measurement = make_measurement(indicator, org_a, status=MeasurementStatus.SUBMITTED)

    response = run_action(client, "validate_selected", [measurement], index="0")

    assert response.status_code == 200
    assert any("Seul un validateur peut valider une mesure." in m for m in messages_of(response))
    measurement.refresh_from_db()
    assert measurement.status == MeasurementStatus.SUBMITTED


# -- saving through the services ----------------------------------------------------------
def measurement_form(indicator, organisation, **overrides):
    data = {
        "indicator": indicator.pk,
        "period_start": "2023-01-01",
        "period_end": "2023-12-31",
        "organisation": organisation.pk,
        "value": "42",
        "numerator": "",
        "denominator": "",
        "region": "",
        "filiere": "",
        "sex": "",
        "actor_type": "",
        "source": "Rapport annuel FCA",
        "change_reason": "Saisie depuis l'administration",
        "expected_version": "",
    }
    data.update(overrides)
    return data


def test_adding_a_measurement_records_the_history_user(staff_client, admin_user, indicator, org_a):
    response = staff_client.post(admin_url(Measurement, "add"), measurement_form(indicator, org_a))

    assert response.status_code == 302, response.context["adminform"].form.errors
    measurement = Measurement.objects.get()
    assert measurement.status == MeasurementStatus.DRAFT
    assert measurement.reported_by == admin_user
    creation = measurement.history.get()
    assert creation.history_user == admin_user
    assert creation.history_change_reason == "Saisie depuis l'administration"


def test_measurement_status_cannot_be_set_through_the_form(staff_client, indicator, org_a):
    measurement = make_measurement(indicator, org_a)
    data = measurement_form(
        indicator,
        org_a,
        period_start="2022-01-01",
        period_end="2022-12-31",
        value="150",
        status=MeasurementStatus.VALIDATED,
        status_reason="forcé",
        expected_version=measurement.version,
        change_reason="Correction du chiffre",
    )

    response = staff_client.post(admin_url(Measurement, "change", measurement.pk), data)

    assert response.status_code == 302
    measurement.refresh_from_db()
    assert measurement.value == Decimal("150")
    assert measurement.status == MeasurementStatus.DRAFT
    assert measurement.status_reason == ""
    assert measurement.version == 2
    assert measurement.history.first().history_change_reason == "Correction du chiffre"


def test_validated_measurement_is_read_only_in_the_admin(staff_client, admin_user, indicator, org_a):
    measurement = make_measurement(indicator, org_a, status=MeasurementStatus.VALIDATED, validated_by=admin_user)
    url = admin_url(Measurement, "change", measurement.pk)

    page = staff_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()

    response = staff_client.post(url, measurement_form(indicator, org_a, value="1"))
    assert response.status_code == 403
    measurement.refresh_from_db()
    assert measurement.value == Decimal("100")


def test_disbursement_above_the_commitment_is_refused_with_the_french_error(staff_client, commitment):
    data = {
        "commitment": commitment.pk,
        "date": "2022-06-30",
        "amount": "1000000.01",
        "reference": "OV-1",
        "note": "",
        "change_reason": "Saisie depuis l'administration",
        "expected_version": "",
    }

    response = staff_client.post(admin_url(Disbursement, "add"), data)

    assert response.status_code == 200
    assert "au-delà des 1000000.00 DH engagés" in response.content.decode()
    assert not Disbursement.objects.exists()


def test_inline_disbursements_that_together_exceed_the_commitment_save_nothing(staff_client, commitment):
    data = {
        "party": commitment.party_id,
        "year": "2022",
        "amount": "1000000",
        "note": "",
        "change_reason": "Saisie depuis l'administration",
        "expected_version": str(commitment.version),
        **management("disbursements", 2),
    }
    for i in range(2):
        data.update(
            {
                f"disbursements-{i}-id": "",
                f"disbursements-{i}-commitment": str(commitment.pk),
                f"disbursements-{i}-date": f"2022-0{i + 3}-01",
                f"disbursements-{i}-amount": "600000",
                f"disbursements-{i}-reference": "",
                f"disbursements-{i}-note": "",
                f"disbursements-{i}-expected_version": "",
            }
        )

    response = staff_client.post(admin_url(Commitment, "change", commitment.pk), data)

    assert response.status_code == 200
    shown = messages_of(response)
    assert any("au-delà des 1000000.00 DH engagés" in m for m in shown), shown
    assert not Disbursement.objects.exists()
    commitment.refresh_from_db()
    assert commitment.version == 1
    assert commitment.history.count() == 1


def test_inline_target_is_saved_through_the_service(staff_client, admin_user, indicator, axis, programme, org_a):
    data = {
        "code": indicator.code,
        "name": indicator.name,
        "name_ar": "",
        "definition": "",
        "axis": axis.pk,
        "programme": programme.pk,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "frequency": indicator.frequency,
        "report_delay_days": "90",
        "baseline_value": "0",
        "baseline_date": "2020-12-31",
        "baseline_source": "test",
        "weight": "1",
        "reporting_organisations": [org_a.pk],
        "change_reason": "Cibles de la phase Transformation",
        "expected_version": "",
        **management("targets", 1),
        "targets-0-id": "",
        "targets-0-indicator": str(indicator.pk),
        "targets-0-due_date": "2025-12-31",
        "targets-0-value": "5000",
        "targets-0-region": "",
        "targets-0-filiere": "",
        "targets-0-expected_version": "",
    }

    response = staff_client.post(admin_url(Indicator, "change", indicator.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    target = Target.objects.get(indicator=indicator)
    assert target.value == Decimal("5000")
    creation = target.history.get()
    assert creation.history_user == admin_user
    assert creation.history_change_reason == "Cibles de la phase Transformation"
    assert indicator.history.first().history_user == admin_user


def _indicator_form(indicator, axis, programme, org_a, **changes):
    return {
        "code": indicator.code,
        "name": indicator.name,
        "name_ar": "",
        "definition": "",
        "axis": axis.pk,
        "programme": programme.pk,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "frequency": indicator.frequency,
        "report_delay_days": str(indicator.report_delay_days),
        "baseline_value": "0",
        "baseline_date": "2020-12-31",
        "baseline_source": "test",
        "weight": "1",
        "reporting_organisations": [org_a.pk],
        "change_reason": "Calendrier de rapportage",
        "expected_version": "",
        **management("targets", 0),
        **changes,
    }


def test_administrator_sets_frequency_and_delay(staff_client, indicator, axis, programme, org_a):
    data = _indicator_form(indicator, axis, programme, org_a, frequency="quarterly", report_delay_days="45")
    response = staff_client.post(admin_url(Indicator, "change", indicator.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    indicator.refresh_from_db()
    assert (indicator.frequency, indicator.report_delay_days) == ("quarterly", 45)
    listing = staff_client.get(admin_url(Indicator, "changelist") + "?frequency__exact=quarterly").content.decode()
    assert indicator.code in listing and "trimestrielle" in listing


def test_admin_refuses_a_frequency_its_rows_do_not_fit_naming_them(
    staff_client, indicator, axis, programme, org_a, partner_a
):
    m = Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        value=Decimal("5"),
        organisation=org_a,
        reported_by=partner_a,
    )
    data = _indicator_form(indicator, axis, programme, org_a, frequency="monthly")
    response = staff_client.post(admin_url(Indicator, "change", indicator.pk), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert f"n° {m.pk} (01/01/2024–31/12/2024)" in " ".join(errors["frequency"])
    indicator.refresh_from_db()
    assert indicator.frequency == "yearly"


def test_service_refusal_is_an_error_message_not_a_500(client, viewer, indicator):
    """A staff account whose role may not edit targets gets the service's refusal."""
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["add_target", "view_target"]))
    client.force_login(viewer)
    data = {
        "indicator": indicator.pk,
        "due_date": "2025-12-31",
        "value": "900",
        "region": "",
        "filiere": "",
        "source": "",
        "change_reason": "Saisie depuis l'administration",
        "expected_version": "",
    }

    response = client.post(admin_url(Target, "add"), data)

    assert response.status_code == 200
    assert "Votre rôle ne permet pas de modifier les cibles." in messages_of(response)
    assert "Votre rôle ne permet pas de modifier les cibles." in response.context["adminform"].form.non_field_errors()
    assert not Target.objects.exists()


def test_stale_version_is_reported_and_the_newer_value_kept(staff_client, admin_user, indicator):
    target = Target.objects.create(indicator=indicator, due_date=dt.date(2025, 12, 31), value=Decimal("1000"))
    read_version = target.version
    target.value = Decimal("1200")
    save_target(target, by=admin_user, reason="Arbitrage budgétaire")  # someone else, meanwhile
    data = {
        "indicator": indicator.pk,
        "due_date": "2025-12-31",
        "value": "900",
        "region": "",
        "filiere": "",
        "source": "",
        "change_reason": "Saisie depuis l'administration",
        "expected_version": str(read_version),
    }

    response = staff_client.post(admin_url(Target, "change", target.pk), data)

    assert response.status_code == 200
    assert any("modifié par quelqu'un d'autre" in m for m in messages_of(response))
    target.refresh_from_db()
    assert target.value == Decimal("1200")
    assert target.version == 2


def test_contract_saved_through_the_admin_records_user_and_reason(staff_client, admin_user, contract, org_b):
    data = {
        "reference": contract.reference,
        "title": "Contrat programme modifié",
        "title_ar": "",
        "kind": ContractKind.TRANSVERSAL,
        "filiere": "",
        "phase": contract.phase_id,
        "signing_date": "2021-07-26",
        "start_date": "2021-07-26",
        "end_date": "2026-12-31",
        "status": ContractStatus.IN_EXECUTION,
        "source": "",
        "change_reason": "Entrée en exécution",
        "expected_version": str(contract.version),
        **management("parties", 1),
        "parties-0-id": "",
        "parties-0-contract": str(contract.pk),
        "parties-0-organisation": str(org_b.pk),
        "parties-0-role": PartyRole.IMPLEMENTER,
        "parties-0-signer_name": "",
        "parties-0-signer_title": "",
        "parties-0-expected_version": "",
        **management("milestones", 0),
        **management("amendments", 0),
    }

    response = staff_client.post(admin_url(ContratProgramme, "change", contract.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    contract.refresh_from_db()
    assert contract.status == ContractStatus.IN_EXECUTION
    assert contract.version == 2
    latest = contract.history.first()
    assert (latest.history_user, latest.history_change_reason) == (admin_user, "Entrée en exécution")
    party = Party.objects.get(contract=contract, organisation=org_b)
    assert party.history.get().history_user == admin_user


def test_milestone_met_without_date_is_refused_by_the_form(staff_client, contract, org_a):
    data = {
        "contract": contract.pk,
        "title": "Ouverture du centre",
        "responsible": org_a.pk,
        "due_date": "2023-06-30",
        "date_met": "",
        "status": MilestoneStatus.MET,
        "note": "",
        "change_reason": "Saisie depuis l'administration",
        "expected_version": "",
    }

    response = staff_client.post(admin_url(Milestone, "add"), data)

    assert response.status_code == 200
    assert "Un jalon atteint doit porter sa date d&#x27;atteinte." in response.content.decode()
    assert not Milestone.objects.exists()


def test_all_models_of_the_fixture_world_are_distinct(world):
    # Guard for test_admin_pages_answer: each registered model has its own sample.
    assert {Strategy, Phase, Axis, Programme, Action, Indicator, Target, Measurement} <= set(world)
    assert {ContratProgramme, Party, Commitment, Disbursement, Milestone, Amendment, User, Group} <= set(world)
