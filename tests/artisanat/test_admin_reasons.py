"""Every save and deletion in the admin carries the reason the user typed (issue 14,
item 5): the change form's reason is required (to add as to change), one row's deletion
and "delete selected" ask for it on their confirmation, inline rows deleted with their
parent take the parent form's reason. Without one: the page comes back with the message
and nothing is written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from artisanat.services import MIN_REASON_LENGTH
from contracts.choices import ContractKind, ContractStatus, PartyRole
from contracts.models import Commitment, ContratProgramme, Party
from strategy.models import Target

MESSAGE = f"Indiquez le motif de ce changement (au moins {MIN_REASON_LENGTH} caractères)"


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def commitment(phases, org_a):
    contract = ContratProgramme.objects.create(
        reference="CP-001",
        title="Contrat programme 1",
        kind=ContractKind.TRANSVERSAL,
        phase=phases[0],
        status=ContractStatus.SIGNED,
        signing_date=dt.date(2021, 7, 26),
        start_date=dt.date(2021, 7, 26),
        end_date=dt.date(2026, 12, 31),
    )
    party = Party.objects.create(contract=contract, organisation=org_a, role=PartyRole.FUNDER)
    return Commitment.objects.create(party=party, year=2022, amount=Decimal("1000000"), note="Avant")


@pytest.fixture
def target(indicator):
    return Target.objects.create(indicator=indicator, due_date=dt.date(2026, 12, 31), value=Decimal("500"))


def target_form(target, **values):
    return {
        "indicator": target.indicator_id,
        "due_date": "2026-12-31",
        "value": "500",
        "note": "",
        "expected_version": target.version,
        **values,
    }


def history_count(model):
    return model.history.count()


@pytest.mark.parametrize("reason", ["", "  ", "ok"])
def test_a_change_without_a_reason_is_refused_with_the_message(staff_client, target, reason):
    before = history_count(Target)
    response = staff_client.post(
        admin_url(Target, "change", target.pk), target_form(target, value="900", change_reason=reason)
    )
    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert MESSAGE in " ".join(errors["change_reason"])
    target.refresh_from_db()
    assert (target.value, target.version) == (Decimal("500"), 1)
    assert history_count(Target) == before


def test_a_change_with_a_reason_records_it(staff_client, admin_user, target):
    response = staff_client.post(
        admin_url(Target, "change", target.pk), target_form(target, value="900", change_reason="Arbitrage du comité")
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.value, target.version) == (Decimal("900"), 2)
    row = target.history.order_by("-history_id").first()
    assert (row.history_type, row.history_user, row.history_change_reason) == ("~", admin_user, "Arbitrage du comité")


def test_an_addition_without_a_reason_is_refused(staff_client, indicator):
    response = staff_client.post(
        admin_url(Target, "add"), {"indicator": indicator.pk, "due_date": "2027-12-31", "value": "600", "note": ""}
    )
    assert response.status_code == 200
    assert MESSAGE in " ".join(response.context["adminform"].form.errors["change_reason"])
    assert not Target.objects.exists()


def test_the_delete_confirmation_asks_for_the_reason(staff_client, commitment):
    page = staff_client.get(admin_url(Commitment, "delete", commitment.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="change_reason"' in body and f'name="expected_version" value="{commitment.version}"' in body


def test_a_deletion_without_a_reason_is_refused_and_deletes_nothing(staff_client, commitment):
    before = history_count(Commitment)
    response = staff_client.post(admin_url(Commitment, "delete", commitment.pk), {"post": "yes", "change_reason": "x"})
    assert response.status_code == 400
    assert MESSAGE in " ".join(response.context["reason_form"].errors["change_reason"])
    assert 'name="change_reason"' in response.content.decode()  # the confirmation again
    assert Commitment.objects.filter(pk=commitment.pk).exists()
    assert history_count(Commitment) == before


def test_a_deletion_with_a_reason_records_it(staff_client, admin_user, commitment):
    response = staff_client.post(
        admin_url(Commitment, "delete", commitment.pk),
        {"post": "yes", "change_reason": "Saisi deux fois", "expected_version": commitment.version},
    )
    assert response.status_code == 302
    assert not Commitment.objects.filter(pk=commitment.pk).exists()
    row = Commitment.history.filter(id=commitment.pk).order_by("-history_id").first()
    assert (row.history_type, row.history_user, row.history_change_reason) == ("-", admin_user, "Saisi deux fois")


def test_a_deletion_from_a_stale_copy_is_refused(staff_client, admin_user, commitment):
    from contracts.services import save_contract_object

    read = commitment.version
    commitment.note = "Changé entre-temps"
    save_contract_object(commitment, by=admin_user, reason="Note revue", expected_version=read)
    response = staff_client.post(
        admin_url(Commitment, "delete", commitment.pk),
        {"post": "yes", "change_reason": "Saisi deux fois", "expected_version": read},
    )
    assert response.status_code == 409
    assert Commitment.objects.filter(pk=commitment.pk).exists()
    # The confirmation now carries the current version: confirming again deletes.
    assert str(response.context["reason_form"]["expected_version"].value()) == str(read + 1)


def test_delete_selected_without_a_reason_is_refused(staff_client, commitment):
    data = {"action": "delete_selected", ACTION_CHECKBOX_NAME: [commitment.pk], "index": "0", "post": "yes"}
    response = staff_client.post(admin_url(Commitment, "changelist"), data)
    assert response.status_code == 400
    assert MESSAGE in " ".join(response.context["reason_form"].errors["change_reason"])
    assert Commitment.objects.filter(pk=commitment.pk).exists()


def test_delete_selected_with_a_reason_records_it(staff_client, admin_user, commitment):
    data = {
        "action": "delete_selected",
        ACTION_CHECKBOX_NAME: [commitment.pk],
        "index": "0",
        "post": "yes",
        "change_reason": "Engagements doublés",
    }
    response = staff_client.post(admin_url(Commitment, "changelist"), data)
    assert response.status_code == 302
    assert not Commitment.objects.filter(pk=commitment.pk).exists()
    row = Commitment.history.filter(id=commitment.pk).order_by("-history_id").first()
    assert (row.history_type, row.history_user, row.history_change_reason) == ("-", admin_user, "Engagements doublés")


def test_delete_selected_confirmation_asks_for_the_reason(staff_client, commitment):
    data = {"action": "delete_selected", ACTION_CHECKBOX_NAME: [commitment.pk], "index": "0"}
    response = staff_client.post(admin_url(Commitment, "changelist"), data)
    assert response.status_code == 200 and 'name="change_reason"' in response.content.decode()


@pytest.mark.parametrize("actor", ["editor", "viewer"])
def test_deleting_in_the_admin_is_refused_to_non_administrators(client, request, actor, commitment):
    client.force_login(request.getfixturevalue(actor))
    response = client.post(
        admin_url(Commitment, "delete", commitment.pk), {"post": "yes", "change_reason": "Saisi deux fois"}
    )
    assert response.status_code in (302, 403)
    assert Commitment.objects.filter(pk=commitment.pk).exists()
