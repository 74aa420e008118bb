"""Programmes and actions (issue 14, item 3): an action's progress (one definition, worked
by hand below), the programme and action pages and endpoints (allowed for editors,
refused to viewers and partners, anonymous sent to sign in), the indicators linked in
the same transaction, a stale change refused side by side, a deletion refused while
something links to the action."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from contracts.choices import MilestoneStatus
from contracts.models import ContratProgramme, Milestone
from strategy import figures, services
from strategy.choices import ActionStatus, MeasurementStatus, ProgressSource
from strategy.models import Action, Indicator, Programme, Target

END_2024 = dt.date(2024, 12, 31)


# ---------------------------------------------------------------- the definition, by hand


def test_formula_parts_worked_by_hand():
    # Milestones: 1 met + ½ × 1 partially met over 3 not cancelled = 50 %.
    assert figures.milestone_completion(1, 1, 3) == D("50.00")
    assert figures.milestone_completion(0, 0, 0) is None
    # Both parts: their plain mean, (85 + 50) ÷ 2.
    both = figures.action_progress(D("85.00"), D("50.00"), manual=D("10"))
    assert (both.value, both.source) == (D("67.50"), ProgressSource.BOTH)
    assert figures.action_progress(D("85.00"), None, D("10")).source == ProgressSource.INDICATORS
    only = figures.action_progress(None, D("50.00"), D("10"))
    assert (only.value, only.source) == (D("50.00"), ProgressSource.MILESTONES)
    manual = figures.action_progress(None, None, D("40"))
    assert (manual.value, manual.source, manual.is_manual) == (D("40.00"), ProgressSource.MANUAL, True)
    none = figures.action_progress(None, None, None)
    assert (none.value, none.source) == (None, ProgressSource.NONE)


def new_action(programme, phases, org, code="A3.1.1", **fields):
    return Action.objects.create(
        programme=programme,
        code=code,
        title="Former les artisans",
        lead_organisation=org,
        phase=phases[0],
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2026, 12, 31),
        status=ActionStatus.ONGOING,
        **fields,
    )


@pytest.fixture
def measured(make_indicator, make_measurement, org_a, partner_a, validator):
    """Two indicators measured in 2024. A: 400 of a 1 000 target from 0 → 40 %, weight 1.
    B: 300 of a 200 target from 0 → 150 %, clamped to 100 %, weight 3.
    Roll-up: (40 × 1 + 100 × 3) ÷ 4 = 85 %."""
    a = make_indicator(code="IND-A", reporters=[org_a])
    b = make_indicator(code="IND-B", reporters=[org_a], weight=D("3"))
    for indicator, target, value in ((a, "1000", "400"), (b, "200", "300")):
        Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D(target))
        make_measurement(
            indicator, org_a, partner_a, year=2024, value=value, status=MeasurementStatus.VALIDATED, validator=validator
        )
    return a, b


@pytest.fixture
def deliverables(contract, org_a):
    """Four milestones: met on 01/05/2023, partially met (due 30/06/2023), scheduled
    (2025) and cancelled. As of 31/12/2024: (1 + ½) ÷ 3 = 50 %; as of 31/03/2023 nothing
    was met or judged yet: 0 ÷ 3 = 0 %."""
    rows = [
        (MilestoneStatus.MET, dt.date(2023, 5, 31), dt.date(2023, 5, 1)),
        (MilestoneStatus.PARTIALLY_MET, dt.date(2023, 6, 30), None),
        (MilestoneStatus.SCHEDULED, dt.date(2025, 6, 30), None),
        (MilestoneStatus.CANCELLED, dt.date(2023, 1, 31), None),
    ]
    return [
        Milestone.objects.create(
            contract=contract, title=f"Jalon {n}", responsible=org_a, due_date=due, status=status, date_met=met
        )
        for n, (status, due, met) in enumerate(rows)
    ]


def progress_of(action, as_of=END_2024):
    return Action.objects.with_progress(as_of).get(pk=action.pk).advancement


def link(action, indicators, editor):
    services.save_action(action, by=editor, reason="Rattachement des indicateurs", indicators=indicators)


def test_progress_from_indicators_only(programme, phases, org_a, measured, editor):
    action = new_action(programme, phases, org_a)
    link(action, measured, editor)
    progress = progress_of(action)
    assert (progress.value, progress.source) == (D("85.00"), ProgressSource.INDICATORS)
    assert progress.milestones is None


def test_progress_from_milestones_only_as_of_a_date(programme, phases, org_a, deliverables):
    action = new_action(programme, phases, org_a)
    Milestone.objects.filter(pk__in=[m.pk for m in deliverables]).update(action=action)
    progress = progress_of(action)
    assert (progress.value, progress.source) == (D("50.00"), ProgressSource.MILESTONES)
    early = progress_of(action, dt.date(2023, 3, 31))
    assert (early.value, early.source) == (D("0.00"), ProgressSource.MILESTONES)


def test_milestones_part_agrees_with_the_contract_completion(programme, phases, org_a, contract, deliverables):
    """Same milestones, same date: the action's part is the contract's completion."""
    action = new_action(programme, phases, org_a)
    Milestone.objects.filter(pk__in=[m.pk for m in deliverables]).update(action=action)
    for day in (dt.date(2023, 3, 31), dt.date(2023, 6, 1), END_2024):
        completion = ContratProgramme.objects.with_execution(day).get(pk=contract.pk).milestone_completion
        assert progress_of(action, day).milestones == completion


def test_progress_from_both_is_their_mean(programme, phases, org_a, measured, deliverables, editor):
    action = new_action(programme, phases, org_a)
    link(action, measured, editor)
    Milestone.objects.filter(pk__in=[m.pk for m in deliverables]).update(action=action)
    progress = progress_of(action)
    assert (progress.indicators, progress.milestones) == (D("85.00"), D("50.00"))
    assert (progress.value, progress.source) == (D("67.50"), ProgressSource.BOTH)


def test_manual_progress_with_reason_counts_from_its_date(programme, phases, org_a, editor):
    action = Action(
        programme=programme,
        code="A-MAN",
        title="Action sans indicateur",
        lead_organisation=org_a,
        phase=phases[0],
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2026, 12, 31),
        progress=D("40"),
        progress_reason="Comité de pilotage du 30/06/2024",
        progress_date=dt.date(2024, 6, 30),
    )
    services.save_action(action, by=editor, reason="Création de l'action")
    progress = progress_of(action)
    assert (progress.value, progress.source) == (D("40.00"), ProgressSource.MANUAL)
    before = progress_of(action, dt.date(2024, 1, 1))
    assert (before.value, before.source) == (None, ProgressSource.NONE)
    history = action.history.latest()
    assert history.history_change_reason == "Création de l'action" and history.progress_reason.startswith("Comité")


def test_manual_progress_without_reason_is_refused(programme, phases, org_a, editor):
    action = new_action(programme, phases, org_a)
    action.progress = D("40")
    with pytest.raises(ValidationError) as error:
        services.save_action(action, by=editor, reason="Avancement du trimestre", expected_version=1)
    assert "progress_reason" in error.value.message_dict
    action.refresh_from_db()
    assert action.progress == 0 and action.progress_date is None


def test_a_new_manual_value_is_dated_today_and_needs_a_new_reason(programme, phases, org_a, editor):
    action = new_action(programme, phases, org_a)
    action.progress, action.progress_reason = D("20"), "Visite de terrain"
    services.save_action(action, by=editor, reason="Avancement du trimestre")
    assert action.progress_date is not None
    action.progress, action.progress_reason = D("30"), ""
    with pytest.raises(ValidationError) as error:
        services.save_action(action, by=editor, reason="Avancement du trimestre")
    assert "progress_reason" in error.value.message_dict


def test_services_refuse_viewers_partners_and_a_missing_reason(programme, phases, org_a, viewer, partner_a, editor):
    action = new_action(programme, phases, org_a)
    for user in (viewer, partner_a):
        with pytest.raises(PermissionDenied):
            services.save_action(action, by=user, reason="Changement refusé")
        with pytest.raises(PermissionDenied):
            services.save_programme(programme, by=user, reason="Changement refusé")
        with pytest.raises(PermissionDenied):
            services.delete_action(action, by=user, reason="Suppression refusée")
    with pytest.raises(ValidationError):
        services.save_action(action, by=editor, reason="ok")


def test_linking_refuses_an_indicator_of_another_programme(axis, programme, phases, org_a, make_indicator, editor):
    other = Programme.objects.create(axis=axis, code="P3.2", title="Autre programme")
    stranger = make_indicator(code="IND-OTHER", programme=other)
    action = new_action(programme, phases, org_a)
    with pytest.raises(ValidationError) as error:
        link(action, [stranger], editor)
    assert "linked_indicators" in error.value.message_dict
    assert Indicator.objects.get(pk=stranger.pk).action_id is None


def test_linking_and_unlinking_leave_the_indicators_history(programme, phases, org_a, make_indicator, editor):
    first, second = make_indicator(code="IND-1"), make_indicator(code="IND-2")
    action = new_action(programme, phases, org_a)
    link(action, [first, second], editor)
    services.save_action(action, by=editor, reason="Indicateur 2 détaché", indicators=[first])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.action_id == action.pk and second.action_id is None
    reasons = list(second.history.order_by("history_id").values_list("action_id", "history_change_reason"))
    assert reasons[-2:] == [(action.pk, "Rattachement des indicateurs"), (None, "Indicateur 2 détaché")]
    assert second.version == 3  # created, linked, unlinked


# ---------------------------------------------------------------- pages


def edit_pages(action, programme):
    return [
        reverse("strategy:programme_create"),
        reverse("strategy:programme_update", args=[programme.pk]),
        reverse("strategy:action_create"),
        reverse("strategy:action_update", args=[action.pk]),
        reverse("strategy:action_delete", args=[action.pk]),
    ]


def read_pages(action):
    return [reverse("strategy:action_list"), reverse("strategy:action_detail", args=[action.pk])]


@pytest.fixture
def action(programme, phases, org_a):
    return new_action(programme, phases, org_a)


def test_anonymous_goes_to_sign_in(client, action, programme):
    for url in edit_pages(action, programme) + read_pages(action):
        response = client.get(url)
        assert response.status_code == 302 and "/connexion/" in response["Location"], url
        response = client.post(url, {})
        assert response.status_code == 302 and "/connexion/" in response["Location"], url


@pytest.mark.parametrize("who", ["viewer", "partner_a"])
def test_viewers_and_partners_read_but_may_not_edit(client, request, who, action, programme):
    client.force_login(request.getfixturevalue(who))
    for url in edit_pages(action, programme):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"change_reason": "Tentative refusée"}).status_code == 403, url
    for url in read_pages(action):
        assert client.get(url).status_code == 200, url
    assert Action.objects.filter(pk=action.pk).exists()


def test_editor_creates_and_changes_a_programme(client, editor, axis):
    client.force_login(editor)
    assert client.get(reverse("strategy:programme_create")).status_code == 200
    data = {"axis": axis.pk, "code": "P3.9", "title": "Nouveau programme", "title_ar": "", "objective": "Former"}
    response = client.post(reverse("strategy:programme_create"), {**data, "change_reason": "Programme ajouté"})
    assert response.status_code == 302, response.content.decode()[:2000]
    programme = Programme.objects.get(code="P3.9")
    assert programme.history.latest().history_change_reason == "Programme ajouté"
    url = reverse("strategy:programme_update", args=[programme.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {**data, "title": "Programme renommé", "change_reason": "Intitulé officiel", "expected_version": 1}
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert (programme.title, programme.version) == ("Programme renommé", 2)
    # Without a reason: refused beside the field.
    response = client.post(url, {**data, "change_reason": "", "expected_version": 2})
    assert response.status_code == 400 and "change_reason" in response.context["form"].errors


def action_data(action, **extra):
    return {
        "programme": action.programme_id,
        "code": action.code,
        "title": action.title,
        "lead_organisation": action.lead_organisation_id,
        "phase": action.phase_id,
        "start_date": "2021-01-01",
        "end_date": "2026-12-31",
        "budget": "1500000",
        "status": ActionStatus.ONGOING,
        "progress": "0",
        "progress_reason": "",
        "progress_date": "",
        "note": "",
        **extra,
    }


def test_editor_creates_an_action_linked_to_indicators(client, editor, programme, phases, org_a, measured):
    client.force_login(editor)
    assert client.get(reverse("strategy:action_create"), {"programme": programme.pk}).status_code == 200
    blank = Action(programme=programme, code="A3.1.9", title="Former", lead_organisation=org_a, phase=phases[0])
    data = action_data(blank, linked_indicators=[i.pk for i in measured], change_reason="Action du plan 2024")
    response = client.post(reverse("strategy:action_create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    action = Action.objects.get(code="A3.1.9")
    assert response["Location"] == reverse("strategy:action_detail", args=[action.pk])
    assert set(Indicator.objects.filter(action=action).values_list("code", flat=True)) == {"IND-A", "IND-B"}
    assert Indicator.history.filter(code="IND-A", action_id=action.pk).get().history_change_reason == (
        "Action du plan 2024"
    )
    body = client.get(response["Location"], {"as_of": "2024-12-31"}).content.decode()
    assert "85,00" in body or "85,0" in body
    assert 'data-indicator="IND-A"' in body


def test_action_page_shows_parts_milestones_and_manual_mark(client, viewer, action, deliverables, editor):
    Milestone.objects.filter(pk=deliverables[0].pk).update(action=action)
    client.force_login(viewer)
    body = client.get(reverse("strategy:action_detail", args=[action.pk]), {"as_of": "2024-12-31"}).content.decode()
    assert f'data-milestone="{deliverables[0].pk}"' in body and "Jalon 0" in body
    Milestone.objects.filter(pk=deliverables[0].pk).update(action=None)
    action.progress, action.progress_reason = D("35"), "Rapport du pilote"
    services.save_action(action, by=editor, reason="Avancement saisi")
    body = client.get(reverse("strategy:action_detail", args=[action.pk])).content.decode()
    assert 'data-progress-source="manual"' in body and "saisi à la main" in body and "Rapport du pilote" in body
    listing = client.get(reverse("strategy:action_list")).content.decode()
    assert 'data-progress-source="manual"' in listing


def test_action_list_filters_paginates_and_exports(client, viewer, programme, phases, org_a, org_b):
    new_action(programme, phases, org_a, code="A-1")
    new_action(programme, phases, org_b, code="A-2", budget=D("2500000"))
    client.force_login(viewer)
    response = client.get(reverse("strategy:action_list"), {"lead_organisation": org_b.pk})
    codes = [a.code for a in response.context["object_list"]]
    assert codes == ["A-2"] and "1 ligne" in response.content.decode()
    export = client.get(reverse("strategy:action_list"), {"format": "csv"})
    text = export.content.decode("utf-8-sig")
    assert export.status_code == 200 and "progress_source" in text.splitlines()[0] and "A-1" in text


def test_stale_action_change_is_refused_side_by_side(client, editor, validator, action):
    client.force_login(editor)
    url = reverse("strategy:action_update", args=[action.pk])
    assert client.get(url).status_code == 200
    action.title = "Titre changé entre-temps"
    services.save_action(action, by=validator, reason="Correction du titre")
    response = client.post(
        url, action_data(action, title="Mon titre", change_reason="Mon changement", expected_version=1)
    )
    assert response.status_code == 409
    rows = {row["name"]: row for row in response.context["conflict"]}
    assert rows["title"]["stored"] == "Titre changé entre-temps" and rows["title"]["typed"] == "Mon titre"
    assert response.context["form"]["expected_version"].value() == 2
    # Sending it again is a deliberate overwrite.
    response = client.post(
        url, action_data(action, title="Mon titre", change_reason="Mon changement", expected_version=2)
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.title == "Mon titre"


def test_delete_refused_while_linked_then_allowed(client, editor, action, make_indicator, deliverables):
    linked = make_indicator(code="IND-LINKED")
    services.save_action(action, by=editor, reason="Rattachement", indicators=[linked])
    Milestone.objects.filter(pk=deliverables[0].pk).update(action=action)
    client.force_login(editor)
    url = reverse("strategy:action_delete", args=[action.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"change_reason": "Action abandonnée", "expected_version": 2})
    assert response.status_code == 409
    message = " ".join(response.context["form"].non_field_errors())
    assert "1 indicateur(s) et 1 jalon(s)" in message
    services.save_action(action, by=editor, reason="Détachement", indicators=[])
    Milestone.objects.filter(pk=deliverables[0].pk).update(action=None)
    action.refresh_from_db()
    response = client.post(url, {"change_reason": "Action abandonnée", "expected_version": action.version})
    assert response.status_code == 302 and not Action.objects.filter(pk=action.pk).exists()
    assert Action.history.filter(id=action.pk, history_type="-").get().history_change_reason == "Action abandonnée"


# ---------------------------------------------------------------- API


def test_api_action_exposes_computed_progress_and_its_source(api, viewer, action, measured, editor):
    link(action, measured, editor)
    body = api(viewer).get(f"/api/v1/actions/{action.pk}/", {"as_of": "2024-12-31"}).json()
    assert body["progress"] == "85.00" and body["progress_source"] == "indicators"
    assert body["manual_progress"] is None and sorted(body["indicators"]) == sorted(i.pk for i in measured)
    listing = api(viewer).get("/api/v1/actions/", {"as_of": "2024-12-31"}).json()
    assert listing["results"][0]["progress"] == "85.00"


def test_api_writes_for_editors_only(api, editor, viewer, partner_a, anonymous, action, programme, org_a, phases):
    body = {
        "programme": programme.pk,
        "code": "A-API",
        "title": "Action par l'API",
        "lead_organisation": org_a.pk,
        "phase": phases[0].pk,
        "start_date": "2021-01-01",
        "end_date": "2022-12-31",
        "manual_progress": "25",
        "progress_reason": "Rapport trimestriel",
        "change_reason": "Création par l'API",
    }
    for user in (viewer, partner_a):
        client = api(user)
        assert client.post("/api/v1/actions/", body, format="json").status_code == 403
        assert client.patch(f"/api/v1/actions/{action.pk}/", {"title": "x"}, format="json").status_code == 403
        assert client.delete(f"/api/v1/actions/{action.pk}/").status_code == 403
        assert client.patch(f"/api/v1/programmes/{programme.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api().post("/api/v1/actions/", body, format="json").status_code == 401
    client = api(editor)
    response = client.post("/api/v1/actions/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["progress_source"] == "manual" and response.json()["progress"] == "25.00"
    created = Action.objects.get(code="A-API")
    assert created.history.latest().history_change_reason == "Création par l'API"
    # Without progress_reason a manual value is refused.
    refused = client.post("/api/v1/actions/", {**body, "code": "A-API2", "progress_reason": ""}, format="json")
    assert refused.status_code == 400 and "progress_reason" in refused.json()["details"]
    url = f"/api/v1/actions/{created.pk}/"
    etag = client.get(url)["ETag"]
    changed = client.patch(url, {"title": "Renommée", "change_reason": "Intitulé"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] == '"2"'
    stale = client.patch(url, {"title": "Encore", "change_reason": "Intitulé"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert client.patch(url, {"title": "Encore"}, format="json", HTTP_IF_MATCH='"2"').status_code == 400
    assert client.delete(f"{url}?change_reason=Doublon", HTTP_IF_MATCH='"2"').status_code == 204
    purl = f"/api/v1/programmes/{programme.pk}/"
    petag = client.get(purl)["ETag"]
    response = client.patch(
        purl, {"objective": "Former 10 000", "change_reason": "Objectif"}, format="json", HTTP_IF_MATCH=petag
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    assert client.delete(purl, HTTP_IF_MATCH='"2"').status_code == 405


def test_an_action_does_not_change_programme_with_indicators_of_the_old_one(axis, action, make_indicator, editor):
    linked = make_indicator(code="IND-KEPT")
    services.save_action(action, by=editor, reason="Rattachement", indicators=[linked])
    action.programme = Programme.objects.create(axis=axis, code="P3.7", title="Autre programme")
    with pytest.raises(ValidationError) as error:
        services.save_action(action, by=editor, reason="Changement de programme")
    assert "programme" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.save_action(action, by=editor, reason="Changement de programme", indicators=[linked])
    services.save_action(action, by=editor, reason="Changement de programme", indicators=[])
    assert Action.objects.get(pk=action.pk).programme.code == "P3.7"
    assert Indicator.objects.get(pk=linked.pk).action_id is None
