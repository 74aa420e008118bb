"""The query merges behind the page budgets (H8): each one gives the same answer as the
separate queries it replaced, in fewer queries, and keeps its access rules."""

import datetime as dt
from decimal import Decimal as D

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from artisanat.dates import today
from artisanat.models import Filiere, Region
from contracts.models import Commitment, Disbursement, Milestone
from portal.dashboard import build_dashboard
from strategy.forms import ScopeForm, scope_options
from strategy.models import Axis, Indicator, Phase, Strategy, Target
from strategy.querysets import figures_by_scope
from tests.test_query_budget import Scale


def _reference_options():
    from artisanat.templatetags.portal import local

    return {
        "phase": [(p.pk, local(p)) for p in Phase.objects.all()],
        "region": [(r.pk, local(r)) for r in Region.objects.all()],
        "filiere": [(f.pk, local(f)) for f in Filiere.objects.all()],
    }


def test_scope_options_are_the_three_lists_in_model_order_in_one_query(phases, region, other_region, filiere):
    Filiere.objects.create(code="ZZ", name="Argenterie", name_ar="الفضة")
    Region.objects.create(code="12", name="Aaa-Dakhla", name_ar="زاكورة")  # last by code, first by name
    later = Strategy.objects.create(name="Suite", start_date=dt.date(2031, 1, 1), end_date=dt.date(2040, 12, 31))
    Phase.objects.create(
        strategy=later,
        code="suite",
        name="Suite",
        order=1,
        start_date=dt.date(2031, 1, 1),
        end_date=dt.date(2035, 12, 31),
    )
    with CaptureQueriesContext(connection) as queries:
        options = scope_options()
    assert len(queries) == 1
    assert options == _reference_options()
    assert [label for _, label in options["filiere"]][0] == "Argenterie"  # by name, not by code
    with translation.override("ar"):
        assert scope_options() == _reference_options()
        assert "زاكورة" in [label for _, label in scope_options()["region"]]


def test_scope_form_renders_the_choices_once_and_still_checks_the_value(phases, region, filiere):
    form = ScopeForm({"region": str(region.pk), "phase": str(phases[1].pk)})
    assert form.is_valid()  # the submitted values are read through the fields' querysets
    with CaptureQueriesContext(connection) as queries:
        html = str(form["phase"]) + str(form["region"]) + str(form["filiere"])
    assert len(queries) == 1
    assert f'<option value="{region.pk}" selected>' in html
    assert f'<option value="{phases[1].pk}" selected>' in html
    assert form.values["region"] == region and form.values["phase"] == phases[1]
    refused = ScopeForm({"region": "999999"})
    assert not refused.is_valid() and "region" in refused.errors
    assert refused.values["region"] is None


def test_contract_page_offers_the_date_only(client, validator, contract_a):
    client.force_login(validator)
    page = client.get(f"/contrats/{contract_a.pk}/").content.decode()
    assert 'name="as_of"' in page
    assert 'name="region"' not in page and 'name="phase"' not in page and 'name="filiere"' not in page
    # the home page keeps the full scope
    home = client.get("/").content.decode()
    assert 'name="region"' in home and 'name="phase"' in home and 'name="filiere"' in home


def test_the_user_is_read_with_membership_and_organisation(client, validator, viewer):
    client.force_login(validator)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/strategie/mesures/")
    assert page.status_code == 200
    user_sql = [q["sql"] for q in queries.captured_queries if 'FROM "auth_user"' in q["sql"]]
    assert len(user_sql) == 1 and "artisanat_membership" in user_sql[0] and "artisanat_organisation" in user_sql[0]
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "artisanat_membership"')]
    assert validator.membership.organisation.acronym in page.content.decode()


def test_a_user_without_membership_or_deactivated_is_still_refused(client, django_user_model):
    lonely = django_user_model.objects.create_user(username="seul", password="x" * 16)
    client.force_login(lonely)
    assert client.get("/strategie/mesures/").status_code == 403
    lonely.is_active = False
    lonely.save()
    answer = client.get("/strategie/mesures/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))  # signed out: anonymous again


def test_execution_by_year_matches_the_sums(world):
    rows = Commitment.objects.all().execution_by_year(dt.date(2030, 1, 1))
    assert rows, "the world has commitments"
    for row in rows:
        committed = sum(c.amount for c in Commitment.objects.filter(year=row["year"]))
        disbursed = sum(
            d.amount for d in Disbursement.objects.filter(commitment__year=row["year"], date__lte="2030-01-01")
        )
        assert row["committed"] == committed
        assert row["disbursed"] == disbursed
    # Before any signing and any disbursement (design.md, Figures → Contracts): nothing
    # committed, nothing paid, so no year at all.
    assert Commitment.objects.all().execution_by_year(dt.date(2000, 1, 1)) == []
    # Signed (26/07/2021) but before the first payment: committed as at the end, paid 0.
    signed = Commitment.objects.all().execution_by_year(dt.date(2021, 7, 26))
    assert [r["disbursed"] for r in signed] == [0] * len(signed)
    assert [r["committed"] for r in signed] == [r["committed"] for r in rows]


def test_figures_by_scope_equals_one_query_per_scope(axis, programme, phases, region, other_region, org_a, ministry):
    scale = Scale(axis, programme, phases, [region, other_region], org_a, ministry)
    scale.grow(2)
    scopes = [(dt.date(2021, 6, 30), None), (dt.date(2022, 12, 31), None), (dt.date(2023, 6, 30), None)]
    scopes += [(dt.date(2023, 6, 30), phases[0].end_date), (dt.date(2023, 6, 30), phases[1].end_date)]
    with CaptureQueriesContext(connection) as queries:
        by_scope = figures_by_scope(Indicator.objects.all(), scopes)
    assert len(queries) == 1
    for day, end in scopes:
        reference = list(Indicator.objects.with_figures(day, target_date=end))
        assert [(i.pk, i.achieved, i.progress, i.status) for i in by_scope[(day, end)]] == [
            (i.pk, i.achieved, i.progress, i.status) for i in reference
        ]
    assert any(i.achieved for i in by_scope[scopes[2]])


def test_dashboard_figures_equal_the_separate_roll_ups(
    axis, programme, phases, region, other_region, org_a, ministry, validator
):
    scale = Scale(axis, programme, phases, [region, other_region], org_a, ministry)
    scale.grow(3)
    Axis.objects.create(strategy=axis.strategy, number=4, title="Autre axe")
    for indicator in Indicator.objects.all()[:4]:  # targets at the closed phases' ends
        for phase in phases[:2]:
            Target.objects.create(indicator=indicator, due_date=phase.end_date, value=D("100"))
    for as_of in (today(), dt.date(2022, 6, 30), dt.date(2024, 3, 1), dt.date(2031, 1, 1)):
        board = build_dashboard(validator, as_of)
        day = board.as_of
        axes = list(Axis.objects.visible_to(validator).with_rollup(day).select_related("strategy"))
        assert [a.rollup for a in axes] == [a.figures for a in board.axes]
        reference = list(Phase.objects.visible_to(validator).with_rollup(day))
        assert [(p.rollup, p.rollup_without_target) for p in reference] == [
            (p.rollup, p.rollup_without_target) for p in board.phases
        ]
        assert board.late_milestones == Milestone.objects.visible_to(validator).late(day).count()
    assert any(p.rollup.with_data for p in board.phases[:2])
    assert build_dashboard(validator, today()).late_milestones > 0
