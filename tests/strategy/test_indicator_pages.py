"""Indicator pages: create and change an indicator (editors, validators, administrators),
with a reason; a change the recorded measurements do not follow is refused naming the
rows; a change made from an outdated copy is refused (409) beside the stored values."""

import datetime as dt
import html
from decimal import Decimal as D

import pytest
from django.urls import reverse

from strategy.choices import Aggregation, Frequency
from strategy.models import Indicator, Measurement
from tests.conftest import VerifiedClient

CREATE = reverse("strategy:indicator_create")


def update_url(indicator):
    return reverse("strategy:indicator_update", args=[indicator.pk])


def signed_in(user):
    client = VerifiedClient()
    client.force_login(user)
    return client


def form_data(indicator=None, **changes):
    """What the page's form sends for ``indicator`` (or a new one), with ``changes``."""
    data = {
        "code": "IND-NEW",
        "name": "Coopératives créées",
        "name_ar": "",
        "definition": "Nombre de coopératives d'artisans créées.",
        "definition_ar": "عدد التعاونيات",
        "axis": "",
        "programme": "",
        "action": "",
        "unit": "count",
        "direction": "increase",
        "aggregation": "sum",
        "baseline_value": "0",
        "baseline_date": "2020-12-31",
        "baseline_source": "ODCO",
        "frequency": "yearly",
        "report_delay_days": "90",
        "weight": "1",
        "reporting_organisations": [],
        "change_reason": "Nouvel indicateur du programme",
    }
    if indicator is not None:
        data.update(
            code=indicator.code,
            name=indicator.name,
            definition=indicator.definition,
            axis=indicator.axis_id,
            programme=indicator.programme_id or "",
            action=indicator.action_id or "",
            unit=indicator.unit,
            direction=indicator.direction,
            aggregation=indicator.aggregation,
            baseline_value=str(indicator.baseline_value),
            baseline_date=indicator.baseline_date.isoformat(),
            baseline_source=indicator.baseline_source,
            frequency=indicator.frequency,
            report_delay_days=indicator.report_delay_days,
            weight=str(indicator.weight),
            reporting_organisations=[o.pk for o in indicator.reporting_organisations.all()],
            expected_version=indicator.version,
            change_reason="Correction de la fiche",
        )
        for flag in ("by_region", "by_filiere", "by_sex", "by_actor_type"):
            if getattr(indicator, flag):
                data[flag] = "on"
    data.update(changes)
    return data


# ---------------------------------------------------------------- create


@pytest.mark.parametrize("role", ["editor", "validator", "admin_user"])
def test_staff_who_edit_the_strategy_create_an_indicator(role, request, axis, programme, action, org_a, org_b):
    user = request.getfixturevalue(role)
    client = signed_in(user)
    assert client.get(CREATE).status_code == 200
    data = form_data(
        axis=axis.pk, programme=programme.pk, action=action.pk, reporting_organisations=[org_a.pk, org_b.pk]
    )
    data.update(by_region="on")
    response = client.post(CREATE, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    indicator = Indicator.objects.get(code="IND-NEW")
    assert response["Location"] == reverse("strategy:indicator_detail", args=[indicator.pk])
    assert (indicator.axis, indicator.programme, indicator.action) == (axis, programme, action)
    assert indicator.definition_ar == "عدد التعاونيات" and indicator.by_region and indicator.version == 1
    assert set(indicator.reporting_organisations.all()) == {org_a, org_b}
    # The creation, then the reporting organisations set in the same transaction: both
    # rows by the same person, with the reason.
    rows = list(indicator.history.order_by("history_id"))
    assert [r.history_type for r in rows] == ["+", "~"]
    assert {(r.history_user, r.history_change_reason) for r in rows} == {(user, "Nouvel indicateur du programme")}


@pytest.mark.parametrize("role", ["viewer", "partner_a"])
def test_viewers_and_partners_may_not_create_an_indicator(role, request, axis):
    client = signed_in(request.getfixturevalue(role))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, form_data(axis=axis.pk)).status_code == 403
    assert not Indicator.objects.filter(code="IND-NEW").exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, indicator, axis):
    for url in (CREATE, update_url(indicator)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = client.post(CREATE, form_data(axis=axis.pk))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Indicator.objects.filter(code="IND-NEW").exists()


def test_creation_without_a_reason_is_refused_beside_the_field(editor, axis):
    response = signed_in(editor).post(CREATE, form_data(axis=axis.pk, change_reason="ok"))
    assert response.status_code == 400
    assert "au moins 5 caractères" in html.unescape(response.content.decode())
    assert not Indicator.objects.filter(code="IND-NEW").exists()


def test_a_programme_of_another_axis_or_an_action_of_another_programme_is_refused(editor, strategy, axis, action):
    other_axis = axis.__class__.objects.create(strategy=strategy, number=4, title="Autre axe")
    other = other_axis.programmes.create(code="P4.1", title="Autre programme")
    client = signed_in(editor)
    response = client.post(CREATE, form_data(axis=axis.pk, programme=other.pk))
    assert response.status_code == 400
    assert "n'appartient pas à l'axe" in html.unescape(response.content.decode())
    # The actions offered are the programme's: another programme's action is not a choice.
    response = client.post(CREATE, form_data(axis=other_axis.pk, programme=other.pk, action=action.pk))
    assert response.status_code == 400 and "action" in response.context["form"].errors
    assert not Indicator.objects.filter(code="IND-NEW").exists()


# ---------------------------------------------------------------- change


@pytest.mark.parametrize("role", ["editor", "validator", "admin_user"])
def test_staff_who_edit_the_strategy_change_an_indicator(role, request, indicator, org_b):
    user = request.getfixturevalue(role)
    client = signed_in(user)
    before = indicator.history.count()
    page = client.get(update_url(indicator))
    assert page.status_code == 200
    assert f'name="expected_version" value="{indicator.version}"' in page.content.decode()
    data = form_data(indicator, name="Artisans formés (certifiés)", reporting_organisations=[org_b.pk])
    response = client.post(update_url(indicator), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    indicator.refresh_from_db()
    assert indicator.name == "Artisans formés (certifiés)" and indicator.version == 2
    assert list(indicator.reporting_organisations.all()) == [org_b]
    rows = list(indicator.history.order_by("history_id"))[before:]
    assert rows and {(r.history_type, r.history_user, r.history_change_reason) for r in rows} == {
        ("~", user, "Correction de la fiche")
    }
    assert rows[-1].name == "Artisans formés (certifiés)"


@pytest.mark.parametrize("role", ["viewer", "partner_a"])
def test_viewers_and_partners_may_not_change_an_indicator(role, request, indicator):
    client = signed_in(request.getfixturevalue(role))
    assert client.get(update_url(indicator)).status_code == 403
    assert client.post(update_url(indicator), form_data(indicator, name="Piraté")).status_code == 403
    indicator.refresh_from_db()
    assert indicator.name == "Artisans formés" and indicator.version == 1


def test_the_indicator_page_links_to_editing_for_those_who_may(client, indicator, editor, viewer):
    client.force_login(editor)
    body = client.get(reverse("strategy:indicator_detail", args=[indicator.pk])).content.decode()
    assert update_url(indicator) in body and reverse("strategy:target_grid", args=[indicator.pk]) in body
    client.force_login(viewer)
    body = client.get(reverse("strategy:indicator_detail", args=[indicator.pk])).content.decode()
    assert update_url(indicator) not in body and reverse("strategy:target_grid", args=[indicator.pk]) not in body


def test_a_change_the_measurements_do_not_follow_is_refused_naming_them(editor, indicator, org_a):
    rows = [
        Measurement.objects.create(
            indicator=indicator,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            value=D("10"),
            organisation=org_a,
        )
        for year in (2022, 2023)
    ]
    client = signed_in(editor)
    # Broken down by region: the national rows have no region.
    response = client.post(update_url(indicator), form_data(indicator, by_region="on"))
    assert response.status_code == 400
    errors = response.context["form"].errors["by_region"][0]
    for row in rows:
        assert f"n° {row.pk} ({row.period_start:%d/%m/%Y}–{row.period_end:%d/%m/%Y})" in errors
    # A ratio: the rows carry values.
    response = client.post(update_url(indicator), form_data(indicator, aggregation=Aggregation.RATIO))
    assert response.status_code == 400 and f"n° {rows[0].pk}" in response.context["form"].errors["aggregation"][0]
    # Monthly: the rows are years.
    response = client.post(update_url(indicator), form_data(indicator, frequency=Frequency.MONTHLY))
    assert response.status_code == 400 and f"n° {rows[1].pk}" in response.context["form"].errors["frequency"][0]
    indicator.refresh_from_db()
    assert (indicator.by_region, indicator.aggregation, indicator.frequency, indicator.version) == (
        False,
        Aggregation.SUM,
        Frequency.YEARLY,
        1,
    )


def test_a_stale_change_is_refused_with_both_values_and_nothing_saved(editor, validator, indicator):
    client = signed_in(editor)
    read = form_data(indicator)  # the page read at version 1
    before = indicator.history.count() + 1  # and the validator's change
    # Meanwhile the validator renames it.
    signed_in(validator).post(update_url(indicator), form_data(indicator, name="Artisans formés et certifiés"))
    indicator.refresh_from_db()
    assert indicator.version == 2
    response = client.post(update_url(indicator), {**read, "name": "Artisans qualifiés"})
    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert "data-conflict" in body
    rows = {row["name"]: row for row in response.context["conflict"]}
    assert rows["name"]["stored"] == "Artisans formés et certifiés" and rows["name"]["typed"] == "Artisans qualifiés"
    assert rows["name"]["differs"] and not rows["code"]["differs"]
    # The typed values are kept, the form now carries the current version.
    assert 'value="Artisans qualifiés"' in body and 'name="expected_version" value="2"' in body
    indicator.refresh_from_db()
    assert indicator.name == "Artisans formés et certifiés" and indicator.version == 2
    assert indicator.history.count() == before
    # Sending it again is a deliberate overwrite.
    response = client.post(update_url(indicator), {**read, "name": "Artisans qualifiés", "expected_version": 2})
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.name == "Artisans qualifiés" and indicator.version == 3


def test_an_invisible_or_unknown_indicator_is_not_found(editor):
    assert signed_in(editor).get(reverse("strategy:indicator_update", args=[999999])).status_code == 404
