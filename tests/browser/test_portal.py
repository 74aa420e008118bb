"""End to end in a real browser: the measurement workflow moves the dashboard figure,
the Arabic dashboard is right-to-left and fully translated, the indicator chart renders,
and no page logs a console error."""

import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest

from strategy.models import Measurement, Target
from tests.browser.conftest import SCREENSHOTS, Session
from tests.browser.pages import PAGES, demo_scene
from tests.conftest import PASSWORD
from tests.test_translations import ROOT, parse_po

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AS_OF = "2025-01-15"


@pytest.fixture
def scene(editor, validator, viewer, indicator, phases, ministry):
    for phase, arabic in zip(phases, ("الإقلاع", "التحول", "التسريع"), strict=True):
        phase.name_ar = arabic
        phase.save()
    indicator.axis.title_ar = "تثمين العنصر البشري"
    indicator.axis.save()
    indicator.name_ar = "الصناع المكونون"
    indicator.save()
    Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("1000"))
    return indicator


def axis_progress(session):
    session.goto(f"/?as_of={AS_OF}")
    return session.page.inner_text('tr[data-axis="3"] td >> nth=0').strip()


def test_measurement_workflow_moves_the_dashboard(browser_session, scene):
    editor = browser_session("editor", PASSWORD)
    assert axis_progress(editor) == "sans données"

    # The editor records a value and submits it.
    editor.goto(f"/strategie/mesures/nouvelle/?indicator={scene.pk}")
    editor.page.select_option("#id_period", "2024-01-01/2024-12-31")
    editor.page.fill("#id_value", "200")
    editor.page.fill("#id_source", "Registre des formations")
    editor.page.click("button[name=action][value=submit]")
    editor.page.wait_for_selector("[data-status=submitted]")
    m = Measurement.objects.get()
    assert m.status == "submitted"

    # The validator returns it with a reason.
    validator = browser_session("validator", PASSWORD)
    validator.goto("/strategie/validation/")
    validator.page.check(f"#select-{m.pk}")
    validator.page.fill("#id_bulk_comment", "Joindre la liste d'émargement")
    validator.page.click("button[name=action][value=return]")
    validator.page.wait_for_selector(".message-success")
    m.refresh_from_db()
    assert (m.status, m.status_reason) == ("returned", "Joindre la liste d'émargement")

    # The editor reads the reason, corrects and resubmits.
    editor.goto(f"/strategie/mesures/{m.pk}/")
    assert editor.page.inner_text("[data-reason]") == "Joindre la liste d'émargement"
    editor.page.fill("#id_value", "250")
    editor.page.fill("#id_change_reason", "Liste d'émargement jointe")
    editor.page.click("button[name=action][value=submit]")
    editor.page.wait_for_selector("[data-status=submitted]")
    assert axis_progress(editor) == "sans données"  # submitted values do not count

    # The validator validates; the dashboard now shows 250 / 1 000 = 25,0 %.
    validator.goto("/strategie/validation/")
    validator.page.check(f"#select-{m.pk}")
    validator.page.click("button[name=action][value=validate]")
    validator.page.wait_for_selector(".message-success")
    m.refresh_from_db()
    assert (m.status, m.value) == ("validated", D("250"))
    assert re.sub(r"\s", " ", axis_progress(editor)) == "25,0 %"


def test_arabic_dashboard_is_right_to_left_and_translated(browser_session, scene):
    session = browser_session("viewer", PASSWORD, locale="ar")
    session.goto(f"/?as_of={AS_OF}")
    assert session.page.get_attribute("html", "dir") == "rtl"
    assert session.page.get_attribute("html", "lang") == "ar"
    text = session.page.inner_text("body")
    french = [
        msgid
        for (_ctx, msgid, _plural), (msgstrs, _f) in parse_po(
            ROOT / "locale" / "ar" / "LC_MESSAGES" / "django.po"
        ).items()
        if len(msgid) >= 6 and msgstrs.get(0) != msgid and "%" not in msgid
    ]
    leftovers = [msgid for msgid in french if msgid in text]
    assert not leftovers, f"untranslated strings on the Arabic dashboard: {leftovers}"
    SCREENSHOTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / "dashboard-ar.png"), full_page=True)


def test_french_dashboard_screenshot_and_indicator_chart(browser_session, scene, org_a):
    Measurement.objects.create(
        indicator=scene,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        value=D("180"),
        organisation=org_a,
        status="validated",
    )
    session = browser_session("viewer", PASSWORD)
    session.goto(f"/?as_of={AS_OF}")
    assert session.page.get_attribute("html", "dir") == "ltr"
    SCREENSHOTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / "dashboard-fr.png"), full_page=True)
    session.goto(f"/strategie/indicateurs/{scene.pk}/?as_of={AS_OF}")
    chart = session.page.locator("svg.line")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    assert session.page.locator("svg.line polyline.trajectory").count() == 1
    assert session.page.locator("svg.line circle.dot.achieved").count() == 1
    assert "180,00" in session.page.inner_text('[data-table="achieved"]')


def test_french_calendar_screenshot_with_the_demo_data(browser_session, monkeypatch):
    """The reporting calendar on the demo data (issue 13's artefact:
    tests/browser/screenshots/calendar-fr.png): the grid says each state in words, and
    the page's rates are those of the API's rates (one definition)."""
    from django.core.management import call_command

    from portal.calendar import calendar_reports
    from strategy.calendar import rates

    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("seed_demo", stdout=io.StringIO())
    session = browser_session("viewer", PASSWORD)
    session.goto("/calendrier/?as_of=2026-06-30")
    assert session.page.locator("main h1").inner_text() == "Calendrier de rapportage"
    cells = session.page.locator("table.calendar td.cal")
    assert cells.count() > 0
    states = set(session.page.locator("table.calendar td.cal").all_inner_texts())
    assert any(text.startswith("Reçu à temps") for text in states), states
    from django.contrib.auth import get_user_model

    viewer = get_user_model().objects.get(username="viewer")
    _as_of, reports = calendar_reports(viewer, {"as_of": dt.date(2026, 6, 30)})
    expected = rates(reports)
    shown = session.page.inner_text('[data-card="calendar-overall"] [data-figure="completeness"]')
    assert re.sub(r"\s", " ", shown) == f"{expected.completeness:.1f} %".replace(".", ",")
    SCREENSHOTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / "calendar-fr.png"), full_page=True)


def test_no_console_error_on_any_page(browser_session, chromium, live_server, settings):
    """Every page of tests/browser/pages.py (the demo data), opened by the account the
    list names, logs no console error and has a heading; the error pages answer their
    status (400, 404) in the portal's layout."""
    settings.DEBUG = False  # the error pages as served in production
    ids = demo_scene()
    sessions = {}
    anonymous = Session(chromium, live_server.url)
    try:
        for page in PAGES:
            if page.role is None:
                session = anonymous
            elif page.role not in sessions:
                session = sessions[page.role] = browser_session(page.role, PASSWORD)
            else:
                session = sessions[page.role]
            path = page.url(ids)
            response = session.page.goto(session.base_url + path)
            assert response is not None and response.status == page.status, (page.name, path, response.status)
            assert session.page.locator("main h1").count() >= 1, (page.name, path)
            if page.status >= 400:  # the browser reports the expected error status itself as a failed load
                session.errors[:] = [e for e in session.errors if f"status of {page.status}" not in e]
        assert not anonymous.errors, f"console errors signed out: {anonymous.errors}"
    finally:
        anonymous.close()


def test_a_parameter_the_page_cannot_read_gets_a_page_that_says_which_and_leads_back(browser_session, scene, settings):
    """The 400 page (a bad ?as_of=) in the portal's layout: its heading, the parameter
    and the reason, a way back to the same page without it; nothing else fails."""
    settings.DEBUG = False
    session = browser_session("viewer", PASSWORD)
    response = session.page.goto(session.base_url + "/strategie/indicateurs/?as_of=hier")
    assert response.status == 400
    assert session.page.locator("main h1").inner_text() == "Requête invalide"
    assert "« as_of »" in session.page.locator("main").inner_text()
    session.page.click("text=Revenir à la page sans ce paramètre")
    session.page.wait_for_url(session.base_url + "/strategie/indicateurs/")
    assert session.page.locator("main h1").count() == 1
    # The browser reports the 400 itself as a failed load: that one is expected.
    session.errors[:] = [e for e in session.errors if "status of 400" not in e]


def test_a_publication_reopened_after_a_later_validation_marks_the_changed_figure(
    browser_session, scene, org_a, validator, partner_a
):
    """In the browser: the 2024 report published with 180,00 achieved; a 2022 value of
    20 validated afterwards makes today's 200,00; the publication's page shows 180,00
    as published, highlighted, with 200,00 beside it (screenshot publication-fr.png)."""
    from strategy import services
    from strategy.choices import ReportKind
    from strategy.reports import ReportSpec

    Measurement.objects.create(
        indicator=scene,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        value=D("180"),
        organisation=org_a,
        status="validated",
    )
    publication = services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=validator, reason="Envoi")
    late = Measurement.objects.create(
        indicator=scene,
        period_start=dt.date(2022, 1, 1),
        period_end=dt.date(2022, 12, 31),
        value=D("20"),
        organisation=org_a,
        status="submitted",
        reported_by=partner_a,
    )
    services.validate_measurement(late, by=validator)
    session = browser_session("viewer", PASSWORD)
    session.goto(f"/strategie/rapport/publications/{publication.pk}/")
    cell = session.page.locator(f'tr[data-indicator="{scene.code}"] td.changed').first
    assert cell.locator(".published").inner_text().strip() == "180,00"
    assert "200,00" in cell.locator("ins.today").inner_text()
    assert cell.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    SCREENSHOTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / "publication-fr.png"), full_page=True)


def _action(indicator, phases, organisation, by):
    """An action of the indicator's programme, measured by the indicator."""
    from strategy import services
    from strategy.models import Action

    action = Action(
        programme=indicator.programme,
        code="A3.1.1",
        title="Former les artisans",
        lead_organisation=organisation,
        phase=phases[0],
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    return services.save_action(action, by=by, reason="Action de test", indicators=[indicator])


def test_the_strategy_tree_expands_and_collapses_everything(browser_session, scene, phases, org_a, editor):
    _action(scene, phases, org_a, editor)
    session = browser_session("editor", PASSWORD)
    session.goto("/strategie/")
    page = session.page
    states = "() => Array.from(document.querySelectorAll('[data-tree] details')).map((d) => d.open)"
    assert page.evaluate(states) == [True, False, False]  # the axis open, its programme and action closed
    assert not page.locator('[data-action="A3.1.1"] [data-indicator="IND-FORM"]').is_visible()
    page.click("[data-tree-toggle=open]")
    assert page.evaluate(states) == [True, True, True]
    assert page.locator('[data-action="A3.1.1"] [data-indicator="IND-FORM"]').is_visible()
    page.click("[data-tree-toggle=close]")
    assert page.evaluate(states) == [False, False, False]
    assert not page.locator('[data-action="A3.1.1"]').is_visible()
