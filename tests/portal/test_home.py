"""The home page (issue 15, item 4): the strategy's headline figure, what waits for the
reader's action by role (each role its own card, never another's), the indicators
furthest off track and the milestones late the longest, the cards that ignore a scope
saying so, progress bars in their status's colour, counts whole and summaries in M DH."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from artisanat.templatetags.artisanat_format import french_int, money_millions, pct
from contracts.models import Milestone
from portal.calendar import calendar_reports
from portal.dashboard import build_dashboard
from strategy.choices import MeasurementStatus as S
from strategy.models import Indicator, Measurement, Target
from strategy.querysets import indicator_rollup
from tests.portal.test_pages import AS_OF, contract, figures_data  # noqa: F401  (fixtures)


def home(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("home"), {"as_of": AS_OF.isoformat(), **params})
    assert response.status_code == 200
    return response.content.decode()


def card(body, name):
    match = re.search(rf'<section class="card" data-card="{name}".*?</section>', body, re.S)
    return match.group(0) if match else None


@pytest.fixture
def work(figures_data, org_a, org_b):  # noqa: F811
    """Beside figures_data's two submissions: a draft and a returned row of each
    organisation, FCA's submission sent 12 days ago and MDA's 3 days ago."""
    indicator, other = figures_data
    for org, ind in ((org_a, indicator), (org_b, other)):
        for status, year in ((S.DRAFT, 2023), (S.RETURNED, 2024)):
            Measurement.objects.create(
                indicator=ind,
                period_start=dt.date(year, 1, 1),
                period_end=dt.date(year, 12, 31),
                value=D("5"),
                organisation=org,
                status=status,
                status_reason="Valeur à vérifier" if status == S.RETURNED else "",
            )
    now = timezone.now()
    Measurement.objects.filter(status=S.SUBMITTED, organisation=org_a).update(submitted_at=now - dt.timedelta(days=12))
    Measurement.objects.filter(status=S.SUBMITTED, organisation=org_b).update(submitted_at=now - dt.timedelta(days=3))
    return figures_data


def test_editor_sees_its_returned_rows_and_drafts_linked_to_the_list(client, editor, work):
    body = card(home(client, editor), "todo")
    assert body is not None and 'data-role="editor"' in body
    returned = reverse("strategy:measurement_list") + "?status=returned"
    drafts = reverse("strategy:measurement_list") + "?status=draft"
    assert f'<a href="{returned}"><span class="big">2</span> mesures renvoyées à corriger' in body
    assert f'<a href="{drafts}"><span class="big">2</span> brouillons à soumettre' in body
    assert 'data-todo="queue"' not in body and 'data-todo="reports-overdue"' not in body
    # The counts are the list's: what the editor may still change.
    listed = Measurement.objects.visible_to(editor).editable_by(editor)
    assert listed.filter(status=S.RETURNED).count() == 2 and listed.filter(status=S.DRAFT).count() == 2


def test_validator_sees_its_queue_and_the_age_of_the_oldest(client, validator, work):
    body = card(home(client, validator), "todo")
    assert body is not None and 'data-role="validator"' in body
    assert (
        f'<a href="{reverse("strategy:validation_queue")}?status=submitted"><span class="big">2</span> mesures à valider'
        in body
    )
    assert 'data-days="12"' in body and "la plus ancienne attend depuis 12 jours" in body
    assert 'data-todo="returned"' not in body and 'data-todo="drafts"' not in body
    assert 'data-todo="reports-overdue"' not in body


def test_partner_sees_its_reports_due_and_nothing_of_the_others(client, partner_a, work):
    body = card(home(client, partner_a), "todo")
    assert body is not None and 'data-role="reporter"' in body
    _as_of, reports = calendar_reports(partner_a, {"as_of": AS_OF})
    overdue = sum(1 for r in reports if r.overdue)
    pending = [r for r in reports if not r.due and not r.received]
    assert overdue + len(pending) > 0
    assert {r.organisation_acronym for r in reports} == {"FCA"}
    calendar = reverse("portal:calendar")
    assert f'<a href="{calendar}?state=overdue"><span class="big">{overdue}</span>' in body
    assert f'<a href="{calendar}?state=pending"><span class="big">{len(pending)}</span>' in body
    assert 'data-todo="queue"' not in body and 'data-todo="returned"' not in body and 'data-todo="drafts"' not in body
    todo = build_dashboard(partner_a, AS_OF).todo
    assert (todo.returned, todo.drafts, todo.queue) == (0, 0, 0)


def test_a_viewer_has_nothing_to_act_on(client, viewer, work):
    assert card(home(client, viewer), "todo") is None


def test_editor_and_viewer_share_the_figures_but_not_the_action_card(client, editor, viewer, work):
    """The figures are cached per reader key (ministry for both); the action card is by
    role: the viewer's page, asked after the editor's, has no editor card."""
    assert card(home(client, editor), "todo") is not None
    assert card(home(client, viewer), "todo") is None


def test_partner_counts_only_its_own_organisation(partner_b, work):
    todo = build_dashboard(partner_b, AS_OF).todo
    _as_of, reports = calendar_reports(partner_b, {"as_of": AS_OF})
    assert {r.organisation_acronym for r in reports} <= {"MDA"}
    assert todo.reports_overdue == sum(1 for r in reports if r.overdue)


@pytest.mark.parametrize("actor", ["anonymous", "no_role"])
def test_home_refuses_the_anonymous_and_those_without_a_role(client, actor, phases, django_user_model):
    if actor == "no_role":
        client.force_login(django_user_model.objects.create_user("nobody", password="x"))
        response = client.get(reverse("home"))
        assert response.status_code == 403
        return
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_headline_is_the_rollup_of_every_indicator(client, viewer, work):
    body = card(home(client, viewer), "headline")
    overall = indicator_rollup(Indicator.objects.with_figures(AS_OF))
    assert overall.progress == D("25.00")  # IND-FORM 250 / 1 000; IND-NODATA without data beside the mean
    assert f'data-figure="strategy-progress">{pct(overall.progress)}' in body
    assert f'class="progress bar-{overall.status}"' in body
    assert build_dashboard(viewer, AS_OF).overall == overall


def test_off_track_indicators_and_oldest_late_milestones(client, viewer, make_indicator, org_a, contract, phases):  # noqa: F811
    late = make_indicator(code="IND-LATE", name="Très en retard", reporters=[org_a])
    Target.objects.create(indicator=late, due_date=dt.date(2021, 12, 31), value=D("100000"))
    Measurement.objects.create(
        indicator=late,
        period_start=dt.date(2021, 1, 1),
        period_end=dt.date(2021, 12, 31),
        value=D("7886"),
        organisation=org_a,
        status=S.VALIDATED,
    )
    figures = Indicator.objects.with_figures(AS_OF).get(pk=late.pk)
    assert figures.status == "off_track"
    body = home(client, viewer)
    off = card(body, "off-track")
    assert 'data-indicator="IND-LATE"' in off
    assert "bar-off_track" in off  # its bar in the colour of its status
    assert f">{french_int(D('7886'))}</td>" in off and "7\u00a0886,00" not in off
    milestones = card(body, "oldest-late-milestones")
    study = Milestone.objects.get(title="Étude de filière")
    assert (AS_OF - study.due_date).days == 91
    assert f'data-milestone="{study.pk}"' in milestones and 'data-days-late="91"' in milestones
    assert "Lancement" not in milestones  # met on time
    api = client.get("/api/v1/dashboard/", {"as_of": AS_OF.isoformat()}).json()
    assert [i["code"] for i in api["off_track"]] == ["IND-LATE"]
    assert [(m["title"], m["days_late"]) for m in api["oldest_late_milestones"]] == [("Étude de filière", 91)]
    assert api["strategy"]["progress"] == str(build_dashboard(viewer, AS_OF).overall.progress)


def test_money_in_the_summary_is_in_millions_and_the_chart_has_its_table(client, viewer, contract):  # noqa: F811
    body = home(client, viewer)
    assert f'data-figure="committed" title="1\u00a0000\u00a0000,00\u00a0DH">{money_millions(D("1000000"))}</a>' in body
    assert money_millions(D("1000000")) == "1,0\u00a0M\u00a0DH"
    table = re.search(r'<table data-table="execution-by-year">.*?</table>', body, re.S).group(0)
    assert (
        'data-year="2021"' in table and "1\u00a0000\u00a0000,00\u00a0DH" in table and "400\u00a0000,00\u00a0DH" in table
    )
    assert "data-axis-unit>M DH</text>" in body


def test_cards_that_ignore_the_scope_say_so(client, viewer, figures_data, region, phases):  # noqa: F811
    assert 'data-note="scope-ignored"' not in home(client, viewer)
    for params in ({"region": region.pk}, {"phase": phases[0].pk}, {"sex": "F"}):
        body = home(client, viewer, **params)
        assert card(body, "current-phase").count('data-note="scope-ignored"') == 1, params
        assert body.count('data-note="scope-ignored"') == 2, params


def test_counts_are_whole_and_summaries_in_millions():
    assert french_int(D("7886.00")) == "7\u00a0886"
    assert french_int(7886) == "7\u00a0886"
    assert french_int(None) == "—"
    assert money_millions(D("1234500000")) == "1\u00a0234,5\u00a0M\u00a0DH"
