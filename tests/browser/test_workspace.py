"""The ministry workspace end to end in a real browser (issue 14): an editor creates an
indicator and its targets in the grid, records a value that a validator validates, and
amends a contract; the contract page then shows the changed commitment and the
amendment in its timeline. Every step goes through the pages, with a reason."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest

from contracts.choices import PartyRole
from contracts.models import AmendedCommitment, Amendment, Commitment, Party
from strategy.models import Indicator, Measurement, Target
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workspace(editor, validator, axis, programme, phases, org_a, contract):
    party = Party.objects.create(contract=contract, organisation=org_a, role=PartyRole.IMPLEMENTER)
    commitment = Commitment.objects.create(party=party, year=2022, amount=D("1000000.00"))
    return {"axis": axis, "programme": programme, "org": org_a, "contract": contract, "commitment": commitment}


def text(page, selector):
    return re.sub(r"\s+", " ", page.inner_text(selector)).strip()


def test_an_editor_builds_an_indicator_records_a_value_and_amends_a_contract(browser_session, workspace):
    editor = browser_session("editor", PASSWORD)
    page = editor.page

    # 1. A new indicator, from the indicator list's form.
    editor.goto("/strategie/indicateurs/nouveau/")
    page.fill("#id_code", "IND-COOP")
    page.fill("#id_name", "Coopératives accompagnées")
    page.select_option("#id_axis", str(workspace["axis"].pk))
    page.select_option("#id_programme", str(workspace["programme"].pk))
    page.select_option("#id_unit", "count")
    page.select_option("#id_aggregation", "sum")
    page.fill("#id_baseline_value", "0")
    page.fill("#id_baseline_date", "2020-12-31")
    page.fill("#id_baseline_source", "Registre national de l'artisanat")
    page.select_option("#id_frequency", "yearly")
    page.select_option("#id_reporting_organisations", str(workspace["org"].pk))
    page.fill("#id_change_reason", "Nouvel indicateur du programme")
    page.click("form[data-edit-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/strategie/indicateurs/\d+/$"))
    indicator = Indicator.objects.get(code="IND-COOP")
    reasons = set(indicator.history.values_list("history_change_reason", flat=True))
    assert reasons == {"Nouvel indicateur du programme"}

    # 2. Its targets, in the grid: 400 in 2025, 1 000 in 2030, typed the French way.
    editor.goto(f"/strategie/indicateurs/{indicator.pk}/cibles/")
    page.fill("input[name=cell-0-0-20251231]", "400")
    page.fill("input[name=cell-0-0-20301231]", "1 000")
    page.fill("#id_change_reason", "Cibles du contrat programme")
    page.click("form[data-target-grid] button[type=submit]")
    page.wait_for_selector(".message-success")
    targets = dict(Target.objects.filter(indicator=indicator).values_list("due_date", "value"))
    assert targets == {dt.date(2025, 12, 31): D("400"), dt.date(2030, 12, 31): D("1000")}

    # 3. A value for 2024, recorded and submitted by the editor …
    editor.goto(f"/strategie/mesures/nouvelle/?indicator={indicator.pk}")
    page.select_option("#id_period", "2024-01-01/2024-12-31")
    page.fill("#id_value", "300")
    page.fill("#id_source", "Rapport annuel de la fédération")
    page.click("button[name=action][value=submit]")
    page.wait_for_selector("[data-status=submitted]")
    measurement = Measurement.objects.get(indicator=indicator)

    # … validated by the validator from the queue.
    validator = browser_session("validator", PASSWORD)
    validator.goto("/strategie/validation/")
    validator.page.check(f"#select-{measurement.pk}")
    validator.page.click("button[name=action][value=validate]")
    validator.page.wait_for_selector(".message-success")
    measurement.refresh_from_db()
    assert measurement.status == "validated"

    # 4. An amendment raising the 2022 commitment to 1 250 000 DH from 01/03/2022.
    contract, commitment = workspace["contract"], workspace["commitment"]
    editor.goto(f"/contrats/{contract.pk}/avenants/nouveau/")
    page.fill("#id_number", "1")
    page.fill("#id_date", "2022-03-01")
    page.fill("#id_reason", "Extension du programme de formation")
    page.fill("#id_summary", "L'engagement de la FCA pour 2022 passe à 1 250 000 DH.")
    page.fill(f"input[name=commitment-{commitment.pk}]", "1 250 000")
    page.fill("#id_change_reason", "Avenant n° 1 signé")
    page.click("form[data-edit-form] button[type=submit]")
    page.wait_for_selector(".message-success")
    amendment = Amendment.objects.get(contract=contract)
    assert AmendedCommitment.objects.get(amendment=amendment).new_amount == D("1250000")

    # The contract page shows the amount in force beside the original, and the timeline.
    editor.goto(f"/contrats/{contract.pk}/")
    row = 'tr[data-commitment="FCA-2022"]'
    assert text(page, f"{row} [data-amended]") == "1 250 000,00 DH"
    assert text(page, f"{row} [data-original]") == "1 000 000,00 DH"
    event = text(page, '[data-list=timeline] li[data-event="amendment"]')
    assert "01/03/2022" in event and "1 250 000,00 DH" in event
