"""Amendments that change things (issue 14, item 4): an amendment records which
commitments, dates, milestones and targets it changes (old → new) and applies them in
the same transaction; figures as of a date before it are unchanged; an applied
amendment is neither deleted nor has its changes edited; the disbursement ceiling is
the amount in force at each payment's date."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from contracts import services
from contracts.choices import ChangeKind
from contracts.models import AmendedCommitment, Amendment, AmendmentChange, ContratProgramme, Disbursement
from contracts.services import ChangeRequest
from strategy.models import Target

V = "/api/v1/"


def amend(contract, by, changes, *, number=2, date=dt.date(2023, 3, 1), reason="Rallonge budgétaire"):
    amendment = Amendment(contract=contract, number=number, date=date, reason=reason, summary="Avenant")
    return services.save_amendment(amendment, by=by, reason="Avenant signé", changes=changes)


def committed(contract, day):
    return ContratProgramme.objects.with_execution(day).get(pk=contract.pk).fig_committed


# ---------------------------------------------------------------- each kind of change


def test_an_amendment_raises_a_commitment_from_its_date_only(editor, contract_a, commitment_a):
    amendment = amend(contract_a, editor, [ChangeRequest(ChangeKind.COMMITMENT_AMOUNT, commitment_a.pk, D("1500000"))])
    row = AmendedCommitment.objects.get(amendment=amendment)
    assert (row.old_amount, row.new_amount) == (D("1000000"), D("1500000"))
    assert amendment.changes_amounts and not amendment.changes_dates and not amendment.changes_targets
    commitment_a.refresh_from_db()
    assert commitment_a.amount == D("1000000")  # the amount first committed stays
    assert committed(contract_a, dt.date(2023, 2, 28)) == D("1000000")  # before: unchanged
    assert committed(contract_a, dt.date(2023, 3, 1)) == D("1500000")  # from its date
    assert row.history.latest("history_id").history_change_reason == "Avenant n° 2 du 01/03/2023"


def test_a_second_amendment_records_the_amount_then_in_force_as_old(editor, contract_a, commitment_a):
    amend(contract_a, editor, [ChangeRequest(ChangeKind.COMMITMENT_AMOUNT, commitment_a.pk, D("1500000"))])
    later = amend(
        contract_a,
        editor,
        [ChangeRequest(ChangeKind.COMMITMENT_AMOUNT, commitment_a.pk, D("1200000"))],
        number=3,
        date=dt.date(2024, 1, 1),
    )
    assert later.amended_commitments.get().old_amount == D("1500000")
    assert committed(contract_a, dt.date(2023, 12, 31)) == D("1500000")
    assert committed(contract_a, dt.date(2024, 1, 1)) == D("1200000")


def test_an_amendment_moves_the_contract_dates_with_history_naming_it(editor, contract_a):
    before = contract_a.version
    amendment = amend(
        contract_a,
        editor,
        [
            ChangeRequest(ChangeKind.CONTRACT_END, contract_a.pk, dt.date(2026, 6, 30)),
            ChangeRequest(ChangeKind.CONTRACT_START, contract_a.pk, dt.date(2021, 9, 1)),
        ],
    )
    contract_a.refresh_from_db()
    assert (contract_a.start_date, contract_a.end_date) == (dt.date(2021, 9, 1), dt.date(2026, 6, 30))
    assert contract_a.version == before + 2
    assert contract_a.history.latest("history_id").history_change_reason == "Avenant n° 2 du 01/03/2023"
    changes = {c.kind: (c.old_date, c.new_date) for c in AmendmentChange.objects.filter(amendment=amendment)}
    assert changes == {
        "contract_start": (dt.date(2021, 7, 26), dt.date(2021, 9, 1)),
        "contract_end": (dt.date(2025, 12, 31), dt.date(2026, 6, 30)),
    }
    assert amendment.changes_dates and not amendment.changes_amounts


def test_an_amendment_moves_a_milestone_due_date(editor, contract_a, milestone_a):
    amend(contract_a, editor, [ChangeRequest(ChangeKind.MILESTONE_DUE, milestone_a.pk, dt.date(2023, 12, 31))])
    milestone_a.refresh_from_db()
    assert milestone_a.due_date == dt.date(2023, 12, 31) and milestone_a.version == 2
    assert milestone_a.history.latest("history_id").history_change_reason == "Avenant n° 2 du 01/03/2023"
    change = AmendmentChange.objects.get()
    assert (change.milestone, change.old_date) == (milestone_a, dt.date(2023, 6, 30))


def test_an_amendment_changes_a_linked_indicators_target(editor, contract_a, indicator, target):
    contract_a.indicators.add(indicator)
    amendment = amend(contract_a, editor, [ChangeRequest(ChangeKind.TARGET_VALUE, target.pk, D("1250.5"))])
    target.refresh_from_db()
    assert target.value == D("1250.5")
    assert target.history.latest("history_id").history_change_reason == "Avenant n° 2 du 01/03/2023"
    change = amendment.changes.get()
    assert (change.old_value, change.new_value) == (D("1000"), D("1250.5"))
    assert amendment.changes_targets


def test_a_target_of_an_indicator_not_linked_is_refused(editor, contract_a, target):
    with pytest.raises(ValidationError) as error:
        amend(contract_a, editor, [ChangeRequest(ChangeKind.TARGET_VALUE, target.pk, D("5"))])
    assert "indicateur lié" in str(error.value)
    assert not Amendment.objects.filter(number=2).exists()


def test_one_refused_change_refuses_the_whole_amendment(editor, contract_a, commitment_a, milestone_a, commitment_b):
    with pytest.raises(ValidationError):
        amend(
            contract_a,
            editor,
            [
                ChangeRequest(ChangeKind.MILESTONE_DUE, milestone_a.pk, dt.date(2023, 12, 31)),
                ChangeRequest(ChangeKind.COMMITMENT_AMOUNT, commitment_b.pk, D("5")),  # another contract's
            ],
        )
    milestone_a.refresh_from_db()
    assert milestone_a.due_date == dt.date(2023, 6, 30) and not Amendment.objects.filter(number=2).exists()


def test_an_amendment_cannot_lower_a_commitment_below_what_was_paid(editor, contract_a, commitment_a, disbursement_a):
    with pytest.raises(ValidationError) as error:
        amend(contract_a, editor, [ChangeRequest(ChangeKind.COMMITMENT_AMOUNT, commitment_a.pk, D("100000"))])
    assert "décaissés" in str(error.value)


def test_the_database_refuses_a_change_row_that_does_not_fit_its_kind(contract_a, milestone_a):
    amendment = Amendment.objects.create(
        contract=contract_a, number=9, date=dt.date(2023, 1, 1), reason="r", summary="s", changes_dates=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AmendmentChange.objects.create(
            amendment=amendment,
            kind=ChangeKind.CONTRACT_END,
            milestone=milestone_a,
            old_date=dt.date(2023, 1, 1),
            new_date=dt.date(2024, 1, 1),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AmendmentChange.objects.create(amendment=amendment, kind=ChangeKind.TARGET_VALUE, old_date=dt.date(2023, 1, 1))
    with pytest.raises(ValidationError):
        AmendmentChange(amendment=amendment, kind=ChangeKind.MILESTONE_DUE, new_date=dt.date(2024, 1, 1)).full_clean()


def test_the_database_refuses_a_milestone_of_another_contract(contract_b, milestone_a):
    amendment = Amendment.objects.create(
        contract=contract_b, number=9, date=dt.date(2023, 1, 1), reason="r", summary="s", changes_dates=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AmendmentChange.objects.create(
            amendment=amendment,
            kind=ChangeKind.MILESTONE_DUE,
            milestone=milestone_a,
            old_date=dt.date(2023, 1, 1),
            new_date=dt.date(2024, 1, 1),
        )


# ---------------------------------------------------------------- the disbursement ceiling


def test_a_raised_commitment_may_be_paid_up_to_its_amended_amount(editor, contract_a, commitment_a, disbursement_a):
    amend(contract_a, editor, [ChangeRequest(ChangeKind.COMMITMENT_AMOUNT, commitment_a.pk, D("1500000"))])
    # 250 000 paid; 1 200 000 more after the amendment: 1 450 000 ≤ 1 500 000.
    paid = services.record_disbursement(
        Disbursement(commitment=commitment_a, date=dt.date(2023, 4, 1), amount=D("1200000")),
        by=editor,
        reason="Deuxième tranche",
    )
    assert paid.pk
    # A payment dated before the amendment counts against the 1 000 000 then in force.
    with pytest.raises(ValidationError) as error:
        services.record_disbursement(
            Disbursement(commitment=commitment_a, date=dt.date(2023, 2, 1), amount=D("750000.01")),
            by=editor,
            reason="Paiement antidaté",
        )
    assert "01/02/2023" in str(error.value)
    # Beyond the amended amount: refused.
    with pytest.raises(ValidationError):
        services.record_disbursement(
            Disbursement(commitment=commitment_a, date=dt.date(2023, 5, 1), amount=D("50000.01")),
            by=editor,
            reason="Troisième tranche",
        )


def test_the_database_ceiling_follows_the_amended_amount(editor, contract_a, commitment_a):
    amend(contract_a, editor, [ChangeRequest(ChangeKind.COMMITMENT_AMOUNT, commitment_a.pk, D("1500000"))])
    Disbursement.objects.create(commitment=commitment_a, date=dt.date(2023, 4, 1), amount=D("1500000"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.create(commitment=commitment_a, date=dt.date(2022, 4, 1), amount=D("1"))
    # The first amount still covers what was paid before the amendment; a note can change.
    commitment_a.note = "Tranche unique"
    commitment_a.save()


# ---------------------------------------------------------------- an applied amendment stays


def test_an_applied_amendment_is_not_deleted_nor_its_changes_edited(editor, contract_a, commitment_a):
    amendment = amend(contract_a, editor, [ChangeRequest(ChangeKind.COMMITMENT_AMOUNT, commitment_a.pk, D("1500000"))])
    with pytest.raises(ValidationError) as error:
        services.delete_amendment(amendment, by=editor, reason="Saisi par erreur", expected_version=1)
    assert "nouvel avenant" in str(error.value)
    amendment.date = dt.date(2020, 1, 1)
    with pytest.raises(ValidationError):
        services.save_amendment(amendment, by=editor, reason="Date corrigée", expected_version=1)
    amendment.refresh_from_db()
    amendment.summary = "Rallonge de 500 000 DH"
    services.save_amendment(amendment, by=editor, reason="Résumé précisé", expected_version=1)
    amendment.refresh_from_db()
    assert (amendment.summary, amendment.version) == ("Rallonge de 500 000 DH", 2)


# ---------------------------------------------------------------- the pages


def amendment_page_data(**extra):
    return {
        "number": 2,
        "date": "01/03/2023",
        "reason": "Rallonge budgétaire",
        "summary": "Montant porté à 1,5 MDH",
        "change_reason": "Avenant signé",
        **extra,
    }


def test_the_amendment_page_applies_its_changes(
    client, editor, contract_a, commitment_a, milestone_a, indicator, target
):
    contract_a.indicators.add(indicator)
    client.force_login(editor)
    url = reverse("contracts:amendment_create", args=[contract_a.pk])
    form = client.get(url).context["form"]
    assert form.instance.number == 1  # the next number
    data = amendment_page_data(
        **{
            f"commitment-{commitment_a.pk}": "1 500 000",
            f"milestone-{milestone_a.pk}": "2023-12-31",
            f"target-{target.pk}": "1 100,5",
            "contract-end": "",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    amendment = Amendment.objects.get(contract=contract_a, number=2)
    assert {c.kind for c in amendment.change_list()} == {"commitment_amount", "milestone_due", "target_value"}
    target.refresh_from_db()
    assert target.value == D("1100.5")
    # The contract page's timeline shows it, old → new.
    body = client.get(reverse("contracts:contract_detail", args=[contract_a.pk])).content.decode()
    assert f'data-change="milestone_due-{milestone_a.pk}"' in body and "31/12/2023" in body
    assert 'data-event="amendment"' in body and 'data-event="signing"' in body
    assert "data-amended" in body  # the commitment's amended amount, the original struck


def test_an_amendment_page_without_any_change_is_refused(client, editor, contract_a, commitment_a):
    client.force_login(editor)
    response = client.post(reverse("contracts:amendment_create", args=[contract_a.pk]), amendment_page_data())
    assert response.status_code == 400
    assert "au moins" in " ".join(response.context["form"].non_field_errors())


def test_an_applied_amendment_page_corrects_the_summary_only(client, editor, contract_a, commitment_a):
    amendment = amend(contract_a, editor, [ChangeRequest(ChangeKind.COMMITMENT_AMOUNT, commitment_a.pk, D("1500000"))])
    client.force_login(editor)
    url = reverse("contracts:amendment_update", args=[amendment.pk])
    response = client.get(url)
    assert list(response.context["form"].fields) == ["summary", "change_reason", "expected_version"]
    assert response.context["notice"]
    data = {"summary": "Rallonge", "change_reason": "Résumé précisé", "expected_version": 1}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 409  # stale
    delete = reverse("contracts:amendment_delete", args=[amendment.pk])
    response = client.post(delete, {"change_reason": "Saisi par erreur", "expected_version": 2})
    assert response.status_code == 409 and "nouvel avenant" in response.content.decode()
    assert Amendment.objects.filter(pk=amendment.pk).exists()


# ---------------------------------------------------------------- the API


def test_the_api_creates_an_amendment_with_its_changes(as_editor, contract_a, commitment_a, milestone_a):
    body = {
        "contract": contract_a.pk,
        "number": 2,
        "date": "2023-03-01",
        "reason": "Rallonge",
        "summary": "Montants et échéance",
        "change_reason": "Avenant signé",
        "changes": [
            {"kind": "commitment_amount", "object_id": commitment_a.pk, "new_value": "1500000.00"},
            {"kind": "milestone_due", "object_id": milestone_a.pk, "new_value": "2023-12-31"},
        ],
    }
    response = as_editor.post(f"{V}amendments/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert response["ETag"] == '"1"'
    assert data["changes_amounts"] and data["changes_dates"]
    assert sorted(data["changes"], key=lambda c: c["kind"]) == [
        {
            "kind": "commitment_amount",
            "object_id": commitment_a.pk,
            "new_value": "1500000.00",
            "old_value": "1000000.00",
        },
        {"kind": "milestone_due", "object_id": milestone_a.pk, "new_value": "2023-12-31", "old_value": "2023-06-30"},
    ]
    milestone_a.refresh_from_db()
    assert milestone_a.due_date == dt.date(2023, 12, 31)
    # Applied: changes cannot be sent again, nor the amendment deleted.
    pk = data["id"]
    patch = as_editor.patch(
        f"{V}amendments/{pk}/",
        {"changes": body["changes"][:1], "change_reason": "Encore"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert patch.status_code == 400
    assert as_editor.delete(f"{V}amendments/{pk}/", HTTP_IF_MATCH='"1"').status_code == 400
    assert Amendment.objects.filter(pk=pk).exists()


def test_the_api_refuses_an_unreadable_change(as_editor, contract_a, commitment_a):
    body = {
        "contract": contract_a.pk,
        "number": 2,
        "date": "2023-03-01",
        "reason": "Rallonge",
        "summary": "s",
        "change_reason": "Avenant signé",
    }
    for change in (
        {"kind": "contract_end", "new_value": "31/12/2026"},
        {"kind": "contract_end", "new_value": "2023-02-30"},
        {"kind": "commitment_amount", "object_id": commitment_a.pk, "new_value": "beaucoup"},
        {"kind": "commitment_amount", "new_value": "5"},
        {"kind": "milestone_due", "object_id": 2**31 - 1, "new_value": "2024-01-01"},
    ):
        response = as_editor.post(f"{V}amendments/", {**body, "changes": [change]}, format="json")
        assert response.status_code == 400, (change, response.json())
    assert not Amendment.objects.filter(number=2).exists()


def test_viewers_cannot_create_amendments_through_the_api(as_viewer, contract_a, commitment_a):
    body = {
        "contract": contract_a.pk,
        "number": 2,
        "date": "2023-03-01",
        "reason": "Rallonge",
        "summary": "s",
        "change_reason": "Avenant signé",
        "changes": [{"kind": "commitment_amount", "object_id": commitment_a.pk, "new_value": "5"}],
    }
    assert as_viewer.post(f"{V}amendments/", body, format="json").status_code == 403
    assert not Amendment.objects.filter(number=2).exists()
    assert Target.objects.count() == 0


# ---------------------------------------------------------------- dates in range (review of issue 14)


@pytest.mark.parametrize(
    ("kind", "fixture", "new"),
    [
        (ChangeKind.CONTRACT_END, None, dt.date(9999, 12, 31)),
        (ChangeKind.CONTRACT_START, None, dt.date(1, 1, 1)),
        (ChangeKind.MILESTONE_DUE, "milestone_a", dt.date(1, 1, 1)),
    ],
)
def test_an_amendment_cannot_move_a_date_out_of_range(request, editor, contract_a, commitment_a, kind, fixture, new):
    """Year 9999 stretched the commitments grid to 7 978 columns; year 1 made a milestone
    late for two millennia. Dates stay between 01/01/2000 and 31/12/2100."""
    target = request.getfixturevalue(fixture).pk if fixture else None
    with pytest.raises(ValidationError, match="01/01/2000"):
        amend(contract_a, editor, [ChangeRequest(kind, target, new)])
    assert not Amendment.objects.filter(contract=contract_a, number=2).exists()
    contract_a.refresh_from_db()
    assert contract_a.end_date.year < 2100 and contract_a.start_date.year >= 2000


def test_the_database_refuses_dates_out_of_range_too(contract_a, milestone_a):
    for model, pk, field in (
        (ContratProgramme, contract_a.pk, "end_date"),
        (type(milestone_a), milestone_a.pk, "due_date"),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=pk).update(**{field: dt.date(2101, 1, 1)})


def test_a_contract_date_change_names_no_other_contract(editor, contract_a, commitment_a, contract_fields):
    other = ContratProgramme.objects.create(**{**contract_fields, "reference": "CP-AUTRE"})
    with pytest.raises(ValidationError, match="contrat de l'avenant"):
        amend(contract_a, editor, [ChangeRequest(ChangeKind.CONTRACT_END, other.pk, dt.date(2024, 6, 30))])
    other.refresh_from_db()
    contract_a.refresh_from_db()
    assert contract_a.end_date != dt.date(2024, 6, 30) and other.end_date != dt.date(2024, 6, 30)
