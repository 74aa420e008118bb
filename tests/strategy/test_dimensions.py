"""Figures by every declared dimension (issue 13, item 6): the stored totals by sex and
by actor type, the scopes ``?sex=`` / ``?actor_type=`` (and ``?region=`` on the API) on
the indicator list and page, the API, the roll-ups and the dashboard, the breakdowns by
sex and actor type, and the 400 answers for a value or a combination that cannot be read.

Worked by hand (whole years, the reporting rule):

- IND-SEX, a level (``latest``) by sex, baseline 80 on 31/12/2020, national target 120 on
  31/12/2030. 2024: women 40, men 60; 2025: women 50, men 50. National: 100 as of
  31/12/2024, 100 as of 31/12/2025, progress (100 − 80) ÷ (120 − 80) = 50.00 %. Women:
  40 then 50, men: 60 then 50; no target by sex, so no progress and no status.
- IND-ACT, a count since the start (``sum``) by actor type, baseline 0, national target
  150 on 31/12/2030. 2024: artisans 30, cooperatives 10; 2025: artisans 20, cooperatives
  15. National as of 31/12/2025: 30 + 10 + 20 + 15 = 75, progress 75 ÷ 150 = 50.00 %.
  Artisans 30 + 20 = 50, cooperatives 10 + 15 = 25.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.dashboard import build_dashboard
from strategy import services
from strategy.choices import ActorType, Aggregation, MeasurementStatus, Sex, TrajectoryStatus
from strategy.models import Indicator, Measurement, PeriodTotal, Target
from strategy.querysets import stored_breakdowns, stored_period_totals

END_2024, END_2025 = dt.date(2024, 12, 31), dt.date(2025, 12, 31)
V = "/api/v1/"


def year_row(indicator, org, year, value, **breakdown):
    return Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        value=D(value),
        organisation=org,
        status=MeasurementStatus.VALIDATED,
        **breakdown,
    )


@pytest.fixture
def by_sex(make_indicator, org_a):
    ind = make_indicator(
        code="IND-SEX",
        aggregation=Aggregation.LATEST,
        baseline_value=D("80"),
        by_sex=True,
        reporters=[org_a],
    )
    Target.objects.create(indicator=ind, due_date=dt.date(2030, 12, 31), value=D("120"))
    for year, women, men in ((2024, "40", "60"), (2025, "50", "50")):
        year_row(ind, org_a, year, women, sex=Sex.FEMALE)
        year_row(ind, org_a, year, men, sex=Sex.MALE)
    return ind


@pytest.fixture
def by_actor(make_indicator, org_a):
    ind = make_indicator(code="IND-ACT", by_actor_type=True, reporters=[org_a])
    Target.objects.create(indicator=ind, due_date=dt.date(2030, 12, 31), value=D("150"))
    for year, artisans, cooperatives in ((2024, "30", "10"), (2025, "20", "15")):
        year_row(ind, org_a, year, artisans, actor_type=ActorType.ARTISAN)
        year_row(ind, org_a, year, cooperatives, actor_type=ActorType.COOPERATIVE)
    return ind


def figures_of(indicator, as_of, **scope):
    return Indicator.objects.with_figures(as_of, **scope).get(pk=indicator.pk)


# ---------------------------------------------------------------- the stored totals


def test_stored_totals_by_sex_worked_by_hand(by_sex):
    rows = PeriodTotal.objects.filter(indicator=by_sex, region_key=0, filiere_key=0, actor_key="")
    got = sorted((r.sex_key, r.period_end.year, r.total, r.cum_total, r.cum_periods) for r in rows)
    assert got == [
        ("", 2024, D("100"), D("100"), 1),
        ("", 2025, D("100"), D("200"), 2),
        ("F", 2024, D("40"), D("40"), 1),
        ("F", 2025, D("50"), D("90"), 2),
        ("M", 2024, D("60"), D("60"), 1),
        ("M", 2025, D("50"), D("110"), 2),
    ]
    # No row of another scope: the indicator has no region, filière or actor type.
    assert PeriodTotal.objects.filter(indicator=by_sex).count() == 6


def test_figures_by_sex_worked_by_hand(by_sex):
    national_2024, national_2025 = figures_of(by_sex, END_2024), figures_of(by_sex, END_2025)
    assert (national_2024.achieved, national_2025.achieved) == (D("100"), D("100"))
    assert national_2025.progress == D("50.00")
    women_2024 = figures_of(by_sex, END_2024, sex=Sex.FEMALE)
    women_2025 = figures_of(by_sex, END_2025, sex=Sex.FEMALE)
    men_2025 = figures_of(by_sex, END_2025, sex=Sex.MALE)
    assert (women_2024.achieved, women_2025.achieved, men_2025.achieved) == (D("40"), D("50"), D("50"))
    # No target by sex: values without progress (the national target is not the women's).
    assert women_2025.target_value is None and women_2025.figure_baseline is None
    assert women_2025.progress is None and women_2025.expected is None
    assert women_2025.status == TrajectoryStatus.NO_DATA and women_2025.forecast_date is None
    assert [row["total"] for row in stored_period_totals(by_sex, END_2025, sex=Sex.FEMALE)] == [D("40"), D("50")]


def test_figures_by_actor_type_worked_by_hand(by_actor):
    national = figures_of(by_actor, END_2025)
    assert (national.achieved, national.progress) == (D("75"), D("50.00"))
    artisans = figures_of(by_actor, END_2025, actor_type=ActorType.ARTISAN)
    cooperatives = figures_of(by_actor, END_2025, actor_type=ActorType.COOPERATIVE)
    assert (artisans.achieved, cooperatives.achieved) == (D("50"), D("25"))
    # A count from zero would have a baseline in a region; by actor type there is no target.
    assert artisans.progress is None and artisans.figure_baseline is None
    assert figures_of(by_actor, END_2024, actor_type=ActorType.ARTISAN).achieved == D("30")
    assert figures_of(by_actor, END_2025, actor_type=ActorType.COMPANY).achieved is None  # no row: no data, not 0


def test_region_and_sex_together(make_indicator, org_a, region, other_region):
    """Region × sex is stored: women of one region, 2025: 12 in the region, 30 elsewhere."""
    ind = make_indicator(by_region=True, by_sex=True)
    year_row(ind, org_a, 2025, "12", region=region, sex=Sex.FEMALE)
    year_row(ind, org_a, 2025, "30", region=other_region, sex=Sex.FEMALE)
    year_row(ind, org_a, 2025, "8", region=region, sex=Sex.MALE)
    assert figures_of(ind, END_2025, region=region, sex=Sex.FEMALE).achieved == D("12")
    assert figures_of(ind, END_2025, region=region).achieved == D("20")
    assert figures_of(ind, END_2025, sex=Sex.FEMALE).achieved == D("42")
    with pytest.raises(ValueError):  # not stored: the edges refuse it first (below)
        figures_of(ind, END_2025, actor_type=ActorType.ARTISAN, sex=Sex.FEMALE)


def test_a_reopened_row_leaves_its_sex_scope(by_sex, validator):
    from strategy import services

    row = Measurement.objects.get(indicator=by_sex, sex=Sex.FEMALE, period_start__year=2025)
    services.reopen_measurement(row, by=validator, reason="Chiffre à vérifier")
    assert figures_of(by_sex, END_2025, sex=Sex.FEMALE).achieved == D("40")  # back to 2024's level
    assert figures_of(by_sex, END_2025).achieved == D("50")  # 2025 has the men's 50 only


# ---------------------------------------------------------------- breakdowns


def test_breakdowns_by_sex_and_actor_type_in_one_query(by_sex, by_actor):
    with CaptureQueriesContext(connection) as queries:
        sex = stored_breakdowns(by_sex, ["sex"], END_2024)["sex"]
    assert len(queries) == 1
    # ``latest``: the rows of the latest national period (2024 here).
    assert [(r["code"], r["name"], r["achieved"]) for r in sex] == [("F", "Femmes", D("40")), ("M", "Hommes", D("60"))]
    assert [(r["code"], r["achieved"]) for r in stored_breakdowns(by_sex, ["sex"], END_2025)["sex"]] == [
        ("F", D("50")),
        ("M", D("50")),
    ]
    actors = stored_breakdowns(by_actor, ["actor_type"], END_2025)["actor_type"]
    # ``sum``: all periods; in the choices' order (artisan before cooperative).
    assert [(r["code"], r["achieved"]) for r in actors] == [("artisan", D("50")), ("cooperative", D("25"))]


def test_every_declared_breakdown_is_one_query(make_indicator, org_a, region, filiere):
    ind = make_indicator(by_region=True, by_filiere=True, by_sex=True, by_actor_type=True)
    year_row(ind, org_a, 2025, "7", region=region, filiere=filiere, sex=Sex.FEMALE, actor_type=ActorType.ARTISAN)
    year_row(ind, org_a, 2025, "5", region=region, filiere=filiere, sex=Sex.MALE, actor_type=ActorType.COMPANY)
    with CaptureQueriesContext(connection) as queries:
        found = stored_breakdowns(ind, ind.dimensions, END_2025)
    assert len(queries) == 1
    assert {d: [(r["code"], r["achieved"]) for r in rows] for d, rows in found.items()} == {
        "region": [("07", D("12"))],
        "filiere": [("poterie-ceramique", D("12"))],
        "sex": [("F", D("7")), ("M", D("5"))],
        "actor_type": [("artisan", D("7")), ("entreprise", D("5"))],
    }


# ---------------------------------------------------------------- pages


def test_indicator_list_page_by_sex(client, viewer, by_sex, by_actor):
    client.force_login(viewer)
    url = reverse("strategy:indicator_list")
    body = client.get(url, {"as_of": "2025-12-31", "sex": "F"}).content.decode()
    row = body.split('data-indicator="IND-SEX"')[1].split("</tr>")[0]
    assert ">50,00<" in row  # the women's 50, not the national 100
    assert "sex=F" in row  # the indicator page in the same scope
    assert 'data-note="scope-without-target"' in body
    national = client.get(url, {"as_of": "2025-12-31"}).content.decode()
    assert ">100,00<" in national.split('data-indicator="IND-SEX"')[1].split("</tr>")[0]
    assert 'data-note="scope-without-target"' not in national
    actor = client.get(url, {"as_of": "2025-12-31", "actor_type": "artisan"}).content.decode()
    assert ">50,00<" in actor.split('data-indicator="IND-ACT"')[1].split("</tr>")[0]


def test_indicator_page_by_sex_with_breakdowns(client, viewer, by_sex):
    client.force_login(viewer)
    url = reverse("strategy:indicator_detail", args=[by_sex.pk])
    body = client.get(url, {"as_of": "2025-12-31", "sex": "F"}).content.decode()
    achieved = body.split('data-figure="achieved">')[1].split("<")[0]
    assert achieved == "50,00"
    assert "Pas de cible pour ce périmètre : valeurs sans avancement." in body
    breakdown = body.split('data-breakdown="sex"')[1].split("</section>")[0]
    assert "Femmes" in breakdown and "Hommes" in breakdown and "50,00" in breakdown
    national = client.get(url, {"as_of": "2025-12-31"}).content.decode()
    assert national.split('data-figure="achieved">')[1].split("<")[0] == "100,00"
    assert "Pas de cible pour ce périmètre" not in national


def test_indicator_page_by_actor_type(client, viewer, by_actor):
    client.force_login(viewer)
    url = reverse("strategy:indicator_detail", args=[by_actor.pk])
    body = client.get(url, {"as_of": "2025-12-31", "actor_type": "cooperative"}).content.decode()
    assert body.split('data-figure="achieved">')[1].split("<")[0] == "25,00"
    breakdown = body.split('data-breakdown="actor_type"')[1].split("</section>")[0]
    assert "Artisan" in breakdown and "Coopérative" in breakdown


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"sex": "X"}, "sex"),
        ({"actor_type": "potier"}, "actor_type"),
        ({"sex": "F", "actor_type": "artisan"}, "actor_type"),  # not stored together
    ],
)
@pytest.mark.parametrize("page", ["strategy:indicator_list", "home", "strategy:strategy_tree"])
def test_a_scope_that_cannot_be_read_is_a_400_page_naming_it(client, viewer, by_sex, page, params, parameter):
    client.force_login(viewer)
    response = client.get(reverse(page), params)
    assert response.status_code == 400
    assert f"Le paramètre « {parameter} » ne peut pas être lu" in response.content.decode()


def test_filiere_with_sex_is_refused_on_the_indicator_page(client, viewer, by_sex, filiere):
    client.force_login(viewer)
    url = reverse("strategy:indicator_detail", args=[by_sex.pk])
    response = client.get(url, {"filiere": filiere.pk, "sex": "F"})
    assert response.status_code == 400 and "« sex »" in response.content.decode()
    assert client.get(url, {"sex": "F"}).status_code == 200


@pytest.mark.parametrize(("actor", "expected"), [("anonymous", 302), ("viewer", 200), ("partner_a", 200)])
def test_scoped_pages_keep_their_access(client, request, by_sex, actor, expected):
    if actor != "anonymous":
        client.force_login(request.getfixturevalue(actor))
    for url in (reverse("strategy:indicator_list"), reverse("strategy:indicator_detail", args=[by_sex.pk])):
        assert client.get(url, {"sex": "F"}).status_code == expected


def test_role_less_user_is_refused_the_scoped_list(client, django_user_model, by_sex):
    nobody = django_user_model.objects.create_user("sans-role", password="x")
    client.force_login(nobody)
    assert client.get(reverse("strategy:indicator_list"), {"sex": "F"}).status_code == 403


# ---------------------------------------------------------------- dashboard


def test_dashboard_by_sex(client, viewer, by_sex, phases):
    national = build_dashboard(viewer, END_2025)
    women = build_dashboard(viewer, END_2025, sex=Sex.FEMALE)
    (axis,) = national.axes
    (women_axis,) = women.axes
    assert axis.figures.progress == D("50.00") and axis.figures.with_data == 1
    # By sex: the value is there, no target: counted "without target", no progress.
    assert women_axis.figures.progress is None
    assert (women_axis.figures.with_data, women_axis.figures.without_target) == (0, 1)
    assert [i.achieved for i in women_axis.figure_indicators] == [D("50")]
    assert "sex=F" in women.links["indicators"]
    client.force_login(viewer)
    body = client.get(reverse("home"), {"as_of": "2025-12-31", "sex": "F"}).content.decode()
    assert 'data-note="scope-without-target"' in body


def test_dashboard_waiting_measurements_by_actor_type(viewer, by_actor, org_a, phases):
    Measurement.objects.create(
        indicator=by_actor,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        value=D("4"),
        actor_type=ActorType.COMPANY,
        organisation=org_a,
        status=MeasurementStatus.SUBMITTED,
    )
    assert build_dashboard(viewer, END_2025).waiting_validation == 1
    assert build_dashboard(viewer, END_2025, actor_type=ActorType.COMPANY).waiting_validation == 1
    assert build_dashboard(viewer, END_2025, actor_type=ActorType.ARTISAN).waiting_validation == 0


# ---------------------------------------------------------------- API


def test_api_indicator_list_and_detail_by_sex(as_viewer, by_sex):
    listed = as_viewer.get(f"{V}indicators/", {"as_of": "2025-12-31", "sex": "F", "code": "IND-SEX"}).json()
    (row,) = listed["results"]
    assert (row["achieved"], row["progress"], row["target_value"], row["status"]) == ("50.0000", None, None, "no_data")
    detail = as_viewer.get(f"{V}indicators/{by_sex.pk}/", {"as_of": "2025-12-31", "sex": "F"}).json()
    assert detail["achieved"] == "50.0000"
    assert detail["breakdowns"] == {
        "sex": [
            {"id": None, "code": "F", "name": "Femmes", "name_ar": "", "achieved": "50.0000"},
            {"id": None, "code": "M", "name": "Hommes", "name_ar": "", "achieved": "50.0000"},
        ]
    }
    national = as_viewer.get(f"{V}indicators/{by_sex.pk}/", {"as_of": "2025-12-31"}).json()
    assert (national["achieved"], national["progress"]) == ("100.0000", "50.00")


def test_api_honours_region_on_indicator_figures(as_viewer, make_indicator, org_a, region, other_region):
    """It used to ignore ?region=: 60 in the region, 40 elsewhere, regional target 120."""
    ind = make_indicator(code="IND-REG", by_region=True)
    Target.objects.create(indicator=ind, due_date=dt.date(2030, 12, 31), value=D("120"), region=region)
    year_row(ind, org_a, 2025, "60", region=region)
    year_row(ind, org_a, 2025, "40", region=other_region)
    params = {"as_of": "2025-12-31", "region": region.pk}
    (row,) = as_viewer.get(f"{V}indicators/", {**params, "code": "IND-REG"}).json()["results"]
    assert (row["achieved"], row["target_value"], row["progress"]) == ("60.0000", "120.0000", "50.00")
    detail = as_viewer.get(f"{V}indicators/{ind.pk}/", params).json()
    assert detail["achieved"] == "60.0000"
    assert detail["breakdowns"]["region"] == [
        {"id": other_region.pk, "code": "03", "name": "Fès-Meknès", "name_ar": "فاس-مكناس", "achieved": "40.0000"},
        {"id": region.pk, "code": "07", "name": "Marrakech-Safi", "name_ar": "مراكش-آسفي", "achieved": "60.0000"},
    ]
    (national,) = as_viewer.get(f"{V}indicators/", {"as_of": "2025-12-31", "code": "IND-REG"}).json()["results"]
    assert national["achieved"] == "100.0000"


def test_api_actor_type_on_indicators_axes_programmes_and_dashboard(as_viewer, by_actor, phases):
    params = {"as_of": "2025-12-31", "actor_type": "artisan"}
    (row,) = as_viewer.get(f"{V}indicators/", params).json()["results"]
    assert (row["achieved"], row["progress"]) == ("50.0000", None)
    (axis,) = as_viewer.get(f"{V}axes/", params).json()["results"]
    assert (axis["rollup"]["progress"], axis["rollup"]["without_target"]) == (None, 1)
    (programme,) = as_viewer.get(f"{V}programmes/", params).json()["results"]
    assert programme["rollup"]["without_target"] == 1
    (national_axis,) = as_viewer.get(f"{V}axes/", {"as_of": "2025-12-31"}).json()["results"]
    assert national_axis["rollup"]["progress"] == "50.00"
    dashboard = as_viewer.get(f"{V}dashboard/", params).json()
    assert dashboard["axes"][0]["rollup"]["without_target"] == 1
    assert as_viewer.get(f"{V}dashboard/", {"as_of": "2025-12-31"}).json()["axes"][0]["rollup"]["progress"] == "50.00"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"sex": "X"}, "sex"),
        ({"sex": ""}, "sex"),
        ({"actor_type": "potier"}, "actor_type"),
        ({"region": "abc"}, "region"),
        ({"region": "99999999999999999999"}, "region"),
        ({"region": "999999"}, "region"),
        ({"phase": "-1"}, "phase"),
        ({"sex": "F", "actor_type": "artisan"}, "actor_type"),
    ],
)
@pytest.mark.parametrize("endpoint", ["indicators/", "axes/", "programmes/", "dashboard/"])
def test_api_scope_that_cannot_be_read_is_a_400_naming_it(as_viewer, by_sex, endpoint, params, parameter):
    response = as_viewer.get(f"{V}{endpoint}", params)
    assert response.status_code == 400, response.content
    assert parameter in response.json()["details"]


def test_api_scoped_figures_keep_their_access(api, by_sex, partner_a):
    assert api().get(f"{V}indicators/", {"sex": "F"}).status_code in (401, 403)
    assert api(partner_a).get(f"{V}indicators/{by_sex.pk}/", {"sex": "F"}).status_code == 200


def test_data_late_is_the_indicators_next_report_whatever_the_scope(indicator, org_a, validator, editor):
    """The review: under ?sex=F every indicator not broken down by sex read "data late
    since its first period" (no rows in that scope). Late or not is the indicator's next
    report: the same in every scope."""
    for year in range(2021, 2025):
        m = Measurement(
            indicator=indicator,
            organisation=org_a,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            value=10,
        )
        services.save_measurement(m, by=editor, reason="Saisie (test)")
        services.submit_measurement(m, by=editor)
        services.validate_measurement(m, by=validator)
    as_of = dt.date(2025, 6, 30)  # the 2024 report was due 31/03/2025 and is in: not late
    national = Indicator.objects.with_figures(as_of).get(pk=indicator.pk)
    by_sex = Indicator.objects.with_figures(as_of, sex="F").get(pk=indicator.pk)
    assert national.data_late is False and by_sex.data_late is False
    later = dt.date(2026, 4, 1)  # the 2025 report, due 31/03/2026, is missing
    assert Indicator.objects.with_figures(later, sex="F").get(pk=indicator.pk).data_late_since == dt.date(2026, 3, 31)
