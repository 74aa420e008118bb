"""Strategy pages: tree, indicators, measurement entry and validation, report, history.
Figures are checked against the querysets; each page has its forbidden case."""

import datetime as dt
import html
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from artisanat.templatetags.artisanat_format import number, pct
from strategy import services
from strategy.choices import MeasurementStatus as S
from strategy.models import Action, Axis, Indicator, Measurement, Programme, Target
from tests.oracle import raw_breakdown

AS_OF = dt.date(2022, 6, 30)


def count_queries(client, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.status_code
    return len(ctx)


def measurement(indicator, org, status=S.VALIDATED, year=2021, value="250", **extra):
    return Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        value=D(value),
        organisation=org,
        status=status,
        **extra,
    )


@pytest.fixture
def data(indicator, org_a, org_b, phases, ministry):
    Target.objects.create(indicator=indicator, due_date=dt.date(2022, 12, 31), value=D("500"))
    Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("1000"))
    measurement(indicator, org_a)
    Action.objects.create(
        programme=indicator.programme,
        code="A3.1.1",
        title="Former les maîtres artisans",
        lead_organisation=ministry,
        phase=phases[0],
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2022, 12, 31),
        progress=D("30"),
        progress_reason="Comité de pilotage",
        progress_date=dt.date(2024, 6, 30),
    )
    return indicator


# Strategy tree ----------------------------------------------------------------------------


def test_tree_shows_axes_programmes_actions_indicators_with_progress(client, viewer, data):
    client.force_login(viewer)
    body = client.get(reverse("strategy:strategy_tree"), {"as_of": AS_OF.isoformat()}).content.decode()
    axis = Axis.objects.with_rollup(AS_OF).get()
    programme = Programme.objects.with_rollup(AS_OF).get()
    assert pct(axis.rollup.progress) == pct(D("25.00")) and pct(axis.rollup.progress) in body
    assert pct(programme.rollup.progress) in body
    assert "<details" in body and "<summary>" in body and "<meter" in body
    assert 'data-action="A3.1.1"' in body and 'data-indicator="IND-FORM"' in body


def test_tree_query_count_is_constant(client, viewer, axis, programme, make_indicator, ministry, phases):
    client.force_login(viewer)
    counts = []
    for n in (1, 50):
        while Indicator.objects.count() < n:
            i = Indicator.objects.count()
            p = Programme.objects.create(axis=axis, code=f"P-{i}", title="p")
            make_indicator(programme=p)
            Action.objects.create(
                programme=p,
                code=f"A-{i}",
                title="a",
                lead_organisation=ministry,
                phase=phases[0],
                start_date=dt.date(2021, 1, 1),
                end_date=dt.date(2021, 2, 1),
            )
        counts.append(count_queries(client, reverse("strategy:strategy_tree")))
    assert counts[0] == counts[1], counts


# Indicators -------------------------------------------------------------------------------


def test_indicator_list_figures_status_filter_and_export(client, viewer, data, make_indicator):
    make_indicator(code="IND-EMPTY")
    client.force_login(viewer)
    url = reverse("strategy:indicator_list")
    body = client.get(url, {"as_of": AS_OF.isoformat()}).content.decode()
    ind = Indicator.objects.with_figures(AS_OF).get(pk=data.pk)
    assert pct(ind.progress) in body and number(ind.achieved, 2) in body
    body = client.get(url, {"as_of": AS_OF.isoformat(), "status": "no_data"}).content.decode()
    assert "IND-EMPTY" in body and 'data-indicator="IND-FORM"' not in body
    text = client.get(url, {"as_of": AS_OF.isoformat(), "code": "IND-FORM", "format": "csv"}).content.decode(
        "utf-8-sig"
    )
    lines = text.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith('"IND-FORM",')  # every field quoted
    assert ',"250.0000",' in lines[1]  # achieved, exact Decimal


def test_indicator_page_chart_tables_breakdown_and_reporters(
    client, viewer, make_indicator, org_a, region, other_region
):
    ind = make_indicator(code="IND-REG", by_region=True, reporters=[org_a])
    Target.objects.create(indicator=ind, due_date=dt.date(2030, 12, 31), value=D("1000"))
    measurement(ind, org_a, value="40", region=region)
    measurement(ind, org_a, value="90", region=other_region)
    measurement(ind, org_a, year=2022, value="7", region=region, status=S.DRAFT)
    client.force_login(viewer)
    body = client.get(
        reverse("strategy:indicator_detail", args=[ind.pk]), {"as_of": AS_OF.isoformat()}
    ).content.decode()
    assert "<svg" in body and 'class="trajectory"' in body and 'class="achieved"' in body
    assert 'data-table="targets"' in body and 'data-table="achieved"' in body
    rows = raw_breakdown(ind, "region", AS_OF)
    assert [(r["code"], r["achieved"]) for r in rows] == [("03", D("90.0000")), ("07", D("40.0000"))]
    assert 'data-breakdown="region"' in body and "Fès-Meknès" in body and "90,00" in body
    assert 'href="/organisations/' in body and ">FCA</a>" in body
    assert "Brouillon" in body  # ministry sees the draft with its state


def test_indicator_page_states_frequency_and_delay(client, viewer, make_indicator):
    yearly = make_indicator(code="IND-AN")
    quarterly = make_indicator(code="IND-TRI", frequency="quarterly", report_delay_days=1)
    client.force_login(viewer)

    def fact(ind):
        body = client.get(reverse("strategy:indicator_detail", args=[ind.pk])).content.decode()
        return html.unescape(body.split('data-fact="frequency">', 1)[1].split("</dd>", 1)[0])

    assert fact(yearly) == "annuelle · rapport dû 90 jours après la fin de période"
    assert fact(quarterly) == "trimestrielle · rapport dû 1 jour après la fin de période"


def test_indicator_list_export_has_frequency_and_delay(client, viewer, make_indicator):
    make_indicator(code="IND-SEM", frequency="half_yearly", report_delay_days=60)
    client.force_login(viewer)
    text = client.get(reverse("strategy:indicator_list"), {"code": "IND-SEM", "format": "csv"}).content
    header, row = text.decode("utf-8-sig").strip().splitlines()
    columns = dict(zip(header.replace('"', "").split(","), row.replace('"', "").split(","), strict=True))
    assert (columns["frequency"], columns["report_delay_days"]) == ("half_yearly", "60")


def test_partner_never_sees_another_organisation_draft(client, partner_a, partner_b, org_a, org_b, make_indicator):
    ind = make_indicator(code="IND-SHARED", reporters=[org_a, org_b])
    draft_b = measurement(ind, org_b, status=S.DRAFT, value="777")
    measurement(ind, org_b, status=S.SUBMITTED, year=2022, value="888")
    client.force_login(partner_a)
    for url in (
        reverse("strategy:indicator_detail", args=[ind.pk]),
        reverse("strategy:measurement_list"),
        reverse("strategy:indicator_history", args=[ind.pk]),
        reverse("home"),
    ):
        body = client.get(url).content.decode()
        assert "777" not in body and "888" not in body, url
    export = client.get(reverse("strategy:measurement_list"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "777" not in export and "888" not in export
    assert client.get(reverse("strategy:measurement_update", args=[draft_b.pk])).status_code == 404
    client.force_login(partner_b)
    assert "777" in client.get(reverse("strategy:measurement_list")).content.decode()


def test_indicator_history_shows_who_when_what_and_why(client, viewer, indicator, org_a, partner_a, validator):
    m = services.save_measurement(
        Measurement(
            indicator=indicator,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            value=D("120"),
            organisation=org_a,
        ),
        by=partner_a,
        reason="Saisie (test)",
    )
    services.submit_measurement(m, by=partner_a)
    services.return_measurement(m, by=validator, reason="Source manquante")
    m.refresh_from_db()
    m.value = D("125")
    services.save_measurement(m, by=partner_a, reason="Source ajoutée")
    client.force_login(viewer)
    body = client.get(reverse("strategy:indicator_history", args=[indicator.pk])).content.decode()
    assert "Source manquante" in body and "Source ajoutée" in body
    assert "<strong>valeur</strong> : <del>120</del> → <ins>125</ins>" in body
    assert "validator" in body and "partner_a" in body


# Entry and validation ---------------------------------------------------------------------


def entry(indicator, **extra):
    data = {
        "indicator": indicator.pk,
        "period": "2024-01-01/2024-12-31",
        "value": "120",
        "numerator": "",
        "denominator": "",
        "region": "",
        "filiere": "",
        "sex": "",
        "actor_type": "",
        "source": "Registre",
    }
    data.update(extra)
    return data


def test_editor_records_and_submits(client, editor, indicator, ministry):
    client.force_login(editor)
    url = reverse("strategy:measurement_create")
    response = client.post(url, entry(indicator, organisation=ministry.pk, action="submit"))
    assert response.status_code == 302
    m = Measurement.objects.get()
    assert (m.status, m.value, m.reported_by, m.organisation) == (S.SUBMITTED, D("120"), editor, ministry)
    assert [h.history_user for h in m.history.all()] == [editor, editor]


def test_entry_errors_are_french_and_beside_the_field(client, editor, indicator, ministry):
    client.force_login(editor)
    response = client.post(reverse("strategy:measurement_create"), entry(indicator, organisation=ministry.pk, value=""))
    body = response.content.decode()
    assert response.status_code == 200
    assert "La valeur est obligatoire." in body
    assert Measurement.objects.count() == 0
    response = client.post(
        reverse("strategy:measurement_create"),
        entry(indicator, organisation=ministry.pk, period="2024-12-31/2024-01-01"),
    )
    assert "Choisissez une des périodes proposées" in html.unescape(_field_block(response.content.decode(), "period"))
    assert Measurement.objects.count() == 0


def _field_block(body, name):
    """The HTML of the form field ``name`` (partials/field.html), its errors included."""
    blocks = [b for b in body.split('<div class="field') if f'name="{name}"' in b]
    assert len(blocks) == 1, name
    return html.unescape(blocks[0])


def test_entry_page_refuses_a_quarter_on_a_yearly_indicator_beside_the_period(client, editor, indicator, ministry):
    """The period is picked among the indicator's own (a yearly one offers years); a
    quarter forged into the post is refused beside the period, naming the frequency."""
    client.force_login(editor)
    page = client.get(reverse("strategy:measurement_create"), {"indicator": indicator.pk}).content.decode()
    assert 'value="2024-01-01/2024-12-31"' in page and "2024-04-01" not in page
    response = client.post(
        reverse("strategy:measurement_create"),
        entry(indicator, organisation=ministry.pk, period="2024-04-01/2024-06-30"),
    )
    assert response.status_code == 200
    block = _field_block(response.content.decode(), "period")
    assert block.startswith(" has-error")
    assert "périodicité annuelle" in block
    assert Measurement.objects.count() == 0
    # The same on the edit page of a draft.
    m = services.save_measurement(
        Measurement(
            indicator=indicator,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            value=D("100"),
            organisation=ministry,
        ),
        by=editor,
        reason="Saisie (test)",
    )
    response = client.post(
        reverse("strategy:measurement_update", args=[m.pk]),
        entry(
            indicator,
            organisation=ministry.pk,
            period="2024-01-01/2024-03-31",
            version=m.version,
            action="save",
            change_reason="Période corrigée",
        ),
    )
    assert response.status_code == 200
    assert "périodicité annuelle" in _field_block(response.content.decode(), "period")
    m.refresh_from_db()
    assert (m.period_end, m.version) == (dt.date(2024, 12, 31), 1)


def test_stale_version_is_refused_and_nothing_is_overwritten(client, editor, validator, indicator, ministry):
    m = services.save_measurement(
        Measurement(
            indicator=indicator,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            value=D("100"),
            organisation=ministry,
        ),
        by=editor,
        reason="Saisie (test)",
    )
    read_version = m.version
    m.value = D("110")
    services.save_measurement(m, by=validator, reason="Saisie (test)")  # someone else saves meanwhile
    client.force_login(editor)
    response = client.post(
        reverse("strategy:measurement_update", args=[m.pk]),
        entry(
            indicator,
            organisation=ministry.pk,
            value="999",
            version=read_version,
            action="save",
            change_reason="Valeur corrigée",
        ),
    )
    assert response.status_code == 409
    assert "modifié par quelqu'un d'autre" in html.unescape(response.content.decode())
    m.refresh_from_db()
    assert m.value == D("110")


def _conflict_rows(body):
    """{field: (stored, typed)} of the conflict panel (templates/partials/conflict.html)."""
    rows = {}
    for chunk in body.split('<tr data-field="')[1:]:
        name = chunk.split('"')[0]
        stored = chunk.split("<td data-stored><bdi>")[1].split("</bdi>")[0]
        typed = chunk.split("<td data-typed><bdi>")[1].split("</bdi>")[0]
        rows[name] = (html.unescape(stored), html.unescape(typed))
    return rows


def _draft(indicator, ministry, editor, value="100"):
    return services.save_measurement(
        Measurement(
            indicator=indicator,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            value=D(value),
            organisation=ministry,
            source="Registre",
        ),
        by=editor,
        reason="Saisie (test)",
    )


def test_a_change_needs_its_reason_and_records_it(client, editor, indicator, ministry):
    m = _draft(indicator, ministry, editor)
    client.force_login(editor)
    url = reverse("strategy:measurement_update", args=[m.pk])
    response = client.post(url, entry(indicator, organisation=ministry.pk, value="130", version=m.version))
    assert response.status_code == 200  # the form again, with the error
    assert "Indiquez le motif de ce changement" in html.unescape(response.content.decode())
    m.refresh_from_db()
    assert (m.value, m.version) == (D("100"), 1)
    response = client.post(
        url,
        entry(indicator, organisation=ministry.pk, value="130", version=m.version, change_reason="Rapport corrigé"),
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.value, m.version) == (D("130"), 2)
    assert m.history.order_by("-history_id").first().history_change_reason == "Rapport corrigé"


def test_a_stale_change_shows_the_stored_values_beside_the_typed_ones(client, editor, validator, indicator, ministry):
    m = _draft(indicator, ministry, editor)
    read_version = m.version
    m.value = D("110")
    services.save_measurement(m, by=validator, reason="Valeur du registre")  # someone else, meanwhile
    client.force_login(editor)
    response = client.post(
        reverse("strategy:measurement_update", args=[m.pk]),
        entry(
            indicator,
            organisation=ministry.pk,
            value="999",
            source="Ma source",
            version=read_version,
            change_reason="Ma correction",
        ),
    )
    assert response.status_code == 409
    body = response.content.decode()
    rows = _conflict_rows(body)
    assert rows["value"] == ("110", "999") and rows["source"] == ("Registre", "Ma source")
    form = response.context["form"]
    # The form keeps what was typed and now carries the current version; the page shows the stored row.
    assert form["value"].value() == "999" and str(form["version"].value()) == "2"
    assert form["change_reason"].value() == "Ma correction"
    assert response.context["measurement"].value == D("110") and "version 2" in body
    m.refresh_from_db()
    assert (m.value, m.version) == (D("110"), 2)  # nothing saved
    # Sending the form again (the current version) is a deliberate overwrite.
    again = entry(indicator, organisation=ministry.pk, value="999", version=2, change_reason="Ma correction")
    assert client.post(reverse("strategy:measurement_update", args=[m.pk]), again).status_code == 302
    m.refresh_from_db()
    assert (m.value, m.version) == (D("999"), 3)


def test_a_change_of_a_locked_row_shows_the_stored_values_beside_the_typed_ones(
    client, editor, validator, indicator, ministry
):
    m = _draft(indicator, ministry, editor)
    services.submit_measurement(m, by=editor)
    services.validate_measurement(m, by=validator)  # the period is validated meanwhile
    client.force_login(editor)
    response = client.post(
        reverse("strategy:measurement_update", args=[m.pk]),
        entry(indicator, organisation=ministry.pk, value="999", version=m.version, change_reason="Ma correction"),
    )
    assert response.status_code == 409
    assert _conflict_rows(response.content.decode())["value"] == ("100", "999")
    assert response.context["measurement"].status == S.VALIDATED
    m.refresh_from_db()
    assert (m.value, m.status) == (D("100"), S.VALIDATED)


def test_partner_form_offers_only_its_indicators(client, partner_a, indicator, make_indicator, org_b):
    foreign = make_indicator(code="IND-MDA", reporters=[org_b])
    client.force_login(partner_a)
    body = client.get(reverse("strategy:measurement_create")).content.decode()
    assert f'<option value="{indicator.pk}"' in body and f'<option value="{foreign.pk}"' not in body
    assert 'name="organisation"' not in body
    response = client.post(reverse("strategy:measurement_create"), entry(foreign))
    assert response.status_code == 200 and Measurement.objects.count() == 0


def test_entry_form_is_forbidden_to_viewers(client, viewer, indicator):
    client.force_login(viewer)
    assert client.get(reverse("strategy:measurement_create")).status_code == 403
    assert client.post(reverse("strategy:measurement_create"), entry(indicator)).status_code == 403


def test_validator_returns_with_reason_then_validates(client, partner_a, validator, indicator, org_a):
    m = measurement(indicator, org_a, status=S.SUBMITTED, year=2024)
    client.force_login(validator)
    queue = reverse("strategy:validation_queue")
    assert f'data-measurement="{m.pk}"' in client.get(queue).content.decode()
    response = client.post(reverse("strategy:measurement_return", args=[m.pk]), {"reason": "", "version": m.version})
    m.refresh_from_db()
    assert m.status == S.SUBMITTED  # a reason is required
    client.post(
        reverse("strategy:measurement_return", args=[m.pk]), {"reason": "Chiffre à vérifier", "version": m.version}
    )
    m.refresh_from_db()
    assert (m.status, m.status_reason) == (S.RETURNED, "Chiffre à vérifier")
    # The partner reads the reason, corrects and resubmits.
    client.force_login(partner_a)
    body = client.get(reverse("strategy:measurement_update", args=[m.pk])).content.decode()
    assert "Chiffre à vérifier" in body
    response = client.post(
        reverse("strategy:measurement_update", args=[m.pk]),
        entry(indicator, value="260", version=m.version, action="submit", change_reason="Chiffre vérifié"),
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.status, m.value) == (S.SUBMITTED, D("260"))
    # Validating twice: the second is refused with a message, not a 500.
    client.force_login(validator)
    client.post(reverse("strategy:measurement_validate", args=[m.pk]), {"version": m.version})
    response = client.post(reverse("strategy:measurement_validate", args=[m.pk]), {}, follow=True)
    assert response.status_code == 200
    assert "impossible" in response.content.decode()
    m.refresh_from_db()
    assert m.status == S.VALIDATED and m.validated_by == validator


def test_bulk_validation(client, validator, indicator, org_a):
    rows = [measurement(indicator, org_a, status=S.SUBMITTED, year=y) for y in (2022, 2023, 2024)]
    client.force_login(validator)
    response = client.post(
        reverse("strategy:validation_queue"),
        {"ids": [f"{rows[0].pk}:{rows[0].version}", f"{rows[1].pk}:{rows[1].version}"]},
    )
    assert response.status_code == 302
    assert [Measurement.objects.get(pk=r.pk).status for r in rows] == [S.VALIDATED, S.VALIDATED, S.SUBMITTED]


@pytest.mark.parametrize("actor", ["viewer", "editor", "partner_a"])
def test_validation_queue_and_actions_are_validators_only(client, request, actor, indicator, org_a):
    m = measurement(indicator, org_a, status=S.SUBMITTED)
    client.force_login(request.getfixturevalue(actor))
    assert client.get(reverse("strategy:validation_queue")).status_code == 403
    assert client.post(reverse("strategy:measurement_validate", args=[m.pk])).status_code == 403
    assert (
        client.post(reverse("strategy:measurement_return", args=[m.pk]), {"reason": "Valeur à revoir"}).status_code
        == 403
    )
    m.refresh_from_db()
    assert m.status == S.SUBMITTED


def test_list_pages_query_count_is_constant(client, validator, make_indicator, org_a):
    client.force_login(validator)
    urls = [
        reverse("strategy:indicator_list"),
        reverse("strategy:measurement_list"),
        reverse("strategy:validation_queue"),
        reverse("strategy:report"),
    ]
    counts = {url: [] for url in urls}
    for n in (1, 50):
        while Indicator.objects.count() < n:
            ind = make_indicator(reporters=[org_a])
            Target.objects.create(indicator=ind, due_date=dt.date(2025, 12, 31), value=D("100"))
            measurement(ind, org_a, status=S.SUBMITTED)
        for url in urls:
            counts[url].append(count_queries(client, url, {"year": "2024"}))
    for url, (one, fifty) in counts.items():
        assert one == fifty, (url, one, fifty)


# Yearly report ----------------------------------------------------------------------------


def test_yearly_report_follows_lof_structure(client, viewer, data):
    for year, value in ((2025, "700"), (2026, "750"), (2028, "850")):
        Target.objects.create(indicator=data, due_date=dt.date(year, 12, 31), value=D(value))
    client.force_login(viewer)
    body = client.get(reverse("strategy:report"), {"year": "2025"}).content.decode()
    assert "Rapport de performance 2025" in body
    assert 'data-programme="P3.1"' in body and "Programme P3.1" in body and "Objectif" in body
    assert "Réalisé au 31/12/2025" in body and "Cible 2028" in body
    ind = Indicator.objects.with_figures(dt.date(2025, 12, 31)).get(pk=data.pk)
    row = body.split('data-indicator="IND-FORM"')[1].split("</tr>")[0]
    assert number(ind.achieved, 2) in row
    assert "700,00" in row and "750,00" in row and "850,00" in row
    assert "@media print" in Path("static/css/portal.css").read_text(encoding="utf-8")
    arabic = client.get(reverse("strategy:report"), {"year": "2025"}, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'dir="rtl"' in arabic


# Access -----------------------------------------------------------------------------------


PAGES = [
    ("strategy:strategy_tree", False),
    ("strategy:indicator_list", False),
    ("strategy:indicator_detail", True),
    ("strategy:indicator_history", True),
    ("strategy:measurement_list", False),
    ("strategy:report", False),
]


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_read_pages_by_role(client, request, name, with_pk, data, django_user_model):
    url = reverse(name, args=[data.pk]) if with_pk else reverse(name)
    assert client.get(url).status_code == 302  # anonymous → login
    for actor in ("viewer", "editor", "validator", "admin_user", "partner_a"):
        client.force_login(request.getfixturevalue(actor))
        assert client.get(url).status_code == 200, actor
    client.force_login(django_user_model.objects.create_user("sans_role", password="x-long-password-123"))
    assert client.get(url).status_code == 403
