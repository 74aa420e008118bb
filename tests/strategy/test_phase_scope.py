"""Scoped to a phase (strategy.querysets.phase_scope, docs/figures.md): the four
reported faults of the phase filter (issue 14, item 7), each with numbers worked out by
hand, on the home page, the indicator page and the API.

The world: strategy 2021–2030, Relance ends 31/12/2022. Indicator A (axis 3, sum,
baseline 0 on 31/12/2020) has targets 1 000 (31/12/2022) and 10 000 (31/12/2030) and
validated values 500 (2021), 300 (2022), 100 (2023), 100 (2024). Indicator C (axis 4,
sum) has 50 in 2021 and only a 2030 target. The date read: 30/06/2025.

Scoped to Relance, A is read as of min(30/06/2025, 31/12/2022) = 31/12/2022:
achieved 500 + 300 = 800; progress 800 / 1 000 = 80,0 %; expected at 31/12/2022 (the
latest period's end) = the 2022 target, 1 000; performance 0,8 → at risk (0,75 ≤ 0,8
< 0,95). Before the fix the values were today's (1 000: "100,0 %") while the status
came from the 2030 trajectory: expected at 31/12/2024 = 1 000 + 9 000 × 731 / 2 922 =
3 251,54, performance 1 000 / 3 251,54 = 0,31 → off track."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from artisanat.templatetags.artisanat_format import pct
from strategy.choices import TrajectoryStatus
from strategy.models import Axis, Indicator
from strategy.querysets import phase_scope
from tests.strategy.test_figures import add, target

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def scoped(make_indicator, axis, org_a, phases):
    a = make_indicator(code="IND-A", reporters=[org_a])
    target(a, dt.date(2022, 12, 31), 1000)
    target(a, dt.date(2030, 12, 31), 10000)
    for y, value in ((2021, 500), (2022, 300), (2023, 100), (2024, 100)):
        add(a, org_a, y, value)
    axis4 = Axis.objects.create(strategy=axis.strategy, number=4, title="Amélioration du cadre sectoriel")
    c = make_indicator(code="IND-C", axis=axis4, programme=None, reporters=[org_a])
    target(c, dt.date(2030, 12, 31), 500)
    add(c, org_a, 2021, 50)
    return {"a": a, "c": c, "axis4": axis4, "relance": phases[0]}


def test_phase_scope_reads_values_at_the_phase_end_and_measures_progress_and_status_against_its_target(scoped):
    a = Indicator.objects.with_figures(AS_OF, **phase_scope(scoped["relance"])).get(pk=scoped["a"].pk)
    assert a.fig_as_of == dt.date(2022, 12, 31)
    assert a.achieved == D("800")
    assert a.target_value == D("1000")
    assert a.progress == D("80.00")
    assert a.expected == D("1000")
    assert a.status_expected == D("1000")
    assert a.status == TrajectoryStatus.AT_RISK
    # Unscoped, the same date: 1 000 achieved, 10 % of the 2030 target, off track (0,31).
    whole = Indicator.objects.with_figures(AS_OF).get(pk=scoped["a"].pk)
    assert (whole.achieved, whole.progress, whole.status) == (D("1000"), D("10.00"), TrajectoryStatus.OFF_TRACK)


def test_an_open_phase_reads_its_values_as_of_the_date(scoped, phases):
    # Transformation (to 31/12/2025) has no target for A: no progress, and no status from another target.
    a = Indicator.objects.with_figures(AS_OF, **phase_scope(phases[1])).get(pk=scoped["a"].pk)
    assert a.fig_as_of == AS_OF
    assert a.achieved == D("1000")
    assert a.without_phase_target
    assert a.progress is None
    assert a.status == TrajectoryStatus.NO_DATA


def test_bug_home_axis_shows_the_phase_progress_with_the_phase_status(client, viewer, scoped):
    """'?phase=1: axis 2 shows 100,0 % À risque': the axis reads 80,0 % at risk."""
    client.force_login(viewer)
    body = client.get(reverse("home"), {"as_of": AS_OF.isoformat(), "phase": scoped["relance"].pk}).content.decode()
    row = body[body.index('<tr data-axis="3">') :]
    row = row[: row.index("</tr>")]
    assert pct(D("80.00")) in row
    assert 'status-at_risk"' in row
    assert pct(D("100.00")) not in row
    axis = Axis.objects.with_rollup(AS_OF, **phase_scope(scoped["relance"])).get(number=3)
    assert (axis.rollup.progress, axis.rollup.status) == (D("80.00"), TrajectoryStatus.AT_RISK)


def test_bug_indicator_page_progress_and_status_against_the_same_target(client, viewer, scoped):
    """'/strategie/indicateurs/8/?phase=1 shows 274,3 % against the 2022 target, status
    from 2030': 80,0 % and at risk, both against the 1 000 due on 31/12/2022, as of then."""
    client.force_login(viewer)
    url = reverse("strategy:indicator_detail", args=[scoped["a"].pk])
    body = client.get(url, {"as_of": AS_OF.isoformat(), "phase": scoped["relance"].pk}).content.decode()
    assert "Situation au 31/12/2022" in body
    assert pct(D("80.00")) in body
    assert 'status-at_risk"' in body
    assert pct(D("100.00")) not in body


def test_bug_axis_without_phase_target_is_not_called_without_data(client, viewer, scoped):
    """'axis 4 shows sans données 0/2 although it has data': its indicator has data but
    no target due at Relance's end — the axis says so, it is not 'sans données'."""
    rollup = Axis.objects.with_rollup(AS_OF, **phase_scope(scoped["relance"])).get(number=4).rollup
    assert (rollup.with_data, rollup.without_data, rollup.without_target) == (0, 0, 1)
    assert rollup.only_without_target
    client.force_login(viewer)
    body = client.get(reverse("home"), {"as_of": AS_OF.isoformat(), "phase": scoped["relance"].pk}).content.decode()
    row = body[body.index('<tr data-axis="4">') :]
    row = row[: row.index("</tr>")]
    assert "sans cible à cette échéance (1 indicateur)" in row
    assert "Sans données" not in row and "sans données" not in row
    # Even without data in the phase, no target due at its end is "no target", not "no data".
    c_late = Indicator.objects.with_figures(dt.date(2021, 6, 30), **phase_scope(scoped["relance"])).get(
        pk=scoped["c"].pk
    )
    assert not c_late.has_data and c_late.without_phase_target
    axis4 = Axis.objects.with_rollup(dt.date(2021, 6, 30), **phase_scope(scoped["relance"])).get(number=4)
    assert (axis4.rollup.without_data, axis4.rollup.without_target) == (0, 1)


def test_bug_api_axes_programmes_indicators_and_dashboard_follow_the_phase(as_viewer, scoped):
    """'/api/v1/axes/?phase=1 ignores the filter': it answers the phase's figures."""
    query = {"as_of": AS_OF.isoformat(), "phase": scoped["relance"].pk}
    axes = {a["number"]: a["rollup"] for a in as_viewer.get("/api/v1/axes/", query).json()["results"]}
    assert (axes[3]["progress"], axes[3]["status"]) == ("80.00", "at_risk")
    assert (axes[4]["with_data"], axes[4]["without_target"]) == (0, 1)
    whole = {a["number"]: a["rollup"] for a in as_viewer.get("/api/v1/axes/", {"as_of": AS_OF}).json()["results"]}
    assert (whole[3]["progress"], whole[3]["status"]) == ("10.00", "off_track")
    programmes = as_viewer.get("/api/v1/programmes/", query).json()["results"]
    assert [(p["rollup"]["progress"], p["rollup"]["status"]) for p in programmes] == [("80.00", "at_risk")]
    a = as_viewer.get(f"/api/v1/indicators/{scoped['a'].pk}/", query).json()
    assert (a["achieved"], a["progress"], a["status"]) == ("800.0000", "80.00", "at_risk")
    listed = {i["code"]: i for i in as_viewer.get("/api/v1/indicators/", query).json()["results"]}
    assert (listed["IND-A"]["progress"], listed["IND-A"]["status"]) == ("80.00", "at_risk")
    assert (listed["IND-C"]["progress"], listed["IND-C"]["status"]) == (None, "no_data")
    board = as_viewer.get("/api/v1/dashboard/", query).json()
    assert {a["number"]: a["rollup"]["progress"] for a in board["axes"]}[3] == "80.00"


@pytest.mark.parametrize("resource", ["axes", "programmes", "indicators", "dashboard"])
def test_api_refuses_an_unknown_phase(as_viewer, scoped, resource):
    answer = as_viewer.get(f"/api/v1/{resource}/", {"phase": 999999})
    assert answer.status_code == 400
    assert "phase" in answer.json()["details"]
