"""The guided entry form (issue 15, items 1 and 2): numbers typed the French or the
Arabic way, the indicator's periods to pick, only its breakdown fields, the previous
value and the confirmation of a jump, Arabic names in the choices, the error summary
and the fields' descriptions; each page with its forbidden case."""

import datetime as dt
import html
import json
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from artisanat.models import Filiere
from strategy import forms as strategy_forms
from strategy import services
from strategy.choices import Aggregation, Frequency, MeasurementStatus, Unit
from strategy.forms import entry_periods, figure_text, is_jump
from strategy.models import Measurement

URL = reverse("strategy:measurement_create")
TODAY = dt.date(2025, 6, 15)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """The periods offered end with the one under way on 15/06/2025."""
    monkeypatch.setattr(strategy_forms, "today", lambda: TODAY)


@pytest.fixture
def money(make_indicator, org_a):
    """A yearly amount in MDH reported by organisation A."""
    return make_indicator(
        code="IND-MDH", name="Chiffre d'affaires", name_ar="رقم المعاملات", unit=Unit.MDH, reporters=[org_a]
    )


@pytest.fixture
def regional(make_indicator, org_a):
    """A quarterly count broken down by region and sex."""
    return make_indicator(
        code="IND-REG",
        name="Artisans inscrits",
        frequency=Frequency.QUARTERLY,
        by_region=True,
        by_sex=True,
        reporters=[org_a],
    )


def row(indicator, org, by, *, year, value, status=MeasurementStatus.VALIDATED, validator=None, **extra):
    m = services.save_measurement(
        Measurement(
            indicator=indicator,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            value=D(value),
            organisation=org,
            **extra,
        ),
        by=by,
        reason="Saisie (test)",
    )
    if status != MeasurementStatus.DRAFT:
        services.submit_measurement(m, by=by)
    if status == MeasurementStatus.VALIDATED:
        services.validate_measurement(m, by=validator)
    m.refresh_from_db()
    return m


def post(client, indicator, **fields):
    data = {"indicator": indicator.pk, "period": "2024-01-01/2024-12-31", "source": "Registre", **fields}
    return client.post(URL, data)


def block(body, name):
    """The HTML of the form field ``name`` (partials/field.html), its errors included."""
    blocks = [b for b in body.split('<div class="field') if f'name="{name}"' in b]
    assert len(blocks) == 1, name
    return html.unescape(blocks[0])


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1 234,5", D("1234.5")), ("١٢٣٤٫٥", D("1234.5")), ("1234.5", D("1234.5")), ("1.234,5", D("1234.5"))],
)
def test_a_value_typed_the_french_or_arabic_way_is_stored_exactly(client, partner_a, money, typed, stored):
    client.force_login(partner_a)
    response = post(client, money, value=typed, action="save")
    assert response.status_code == 302, response.context["form"].errors
    assert Measurement.objects.get().value == stored
    # The confirmation repeats the stored value the way it is read, with its unit.
    page = client.get(response["Location"]).content.decode()
    assert "Mesure enregistrée comme brouillon : 1\u00a0234,50\u00a0MDH." in html.unescape(page)


@pytest.mark.parametrize("typed", ["1.234", "1,234", "1.234,5,6", "12 34", "1e5"])
def test_an_ambiguous_or_unreadable_value_is_refused_and_nothing_stored(client, partner_a, money, typed):
    client.force_login(partner_a)
    response = post(client, money, value=typed, action="save")
    assert response.status_code == 200
    shown = block(response.content.decode(), "value")
    assert "Valeur ambiguë" in shown or "Valeur illisible" in shown
    assert not Measurement.objects.exists()


def test_the_value_is_a_text_field_with_a_decimal_keypad_and_its_unit(client, partner_a, money):
    client.force_login(partner_a)
    body = client.get(URL, {"indicator": money.pk}).content.decode()
    field = block(body, "value")
    assert 'type="text"' in field and 'inputmode="decimal"' in field and 'type="number"' not in body
    assert '<span class="unit" aria-hidden="true">MDH</span>' in field
    assert "Unité : MDH (millions de DH)" in field


def test_a_returned_row_shows_its_value_the_french_way(client, partner_a, validator, money, org_a):
    m = row(money, org_a, partner_a, year=2024, value="546", status=MeasurementStatus.SUBMITTED)
    services.return_measurement(m, by=validator, reason="Source manquante")
    client.force_login(partner_a)
    body = client.get(reverse("strategy:measurement_update", args=[m.pk])).content.decode()
    assert "546.0000" not in body and 'value="546"' in body
    # The page a validator reads (no form): the stored value, the French way, with its unit.
    client.force_login(validator)
    services.submit_measurement(Measurement.objects.get(pk=m.pk), by=partner_a)
    body = html.unescape(client.get(reverse("strategy:measurement_update", args=[m.pk])).content.decode())
    assert "546,00\u00a0MDH" in body and "546.0000" not in body


def test_the_page_shows_no_version_number(client, partner_a, money, org_a):
    m = row(money, org_a, partner_a, year=2024, value="5", status=MeasurementStatus.DRAFT)
    client.force_login(partner_a)
    body = client.get(reverse("strategy:measurement_update", args=[m.pk])).content.decode()
    assert not re.search(r"[Vv]ersion\s+\d", re.sub(r"<[^>]+>", " ", body).split("Historique")[0])
    assert f'name="version" value="{m.version}"' in body  # the hidden version stays


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("frequency", "first", "last", "count"),
    [
        (Frequency.YEARLY, "2025", "2021", 5),
        (Frequency.HALF_YEARLY, "S1 2025", "S1 2021", 9),
        (Frequency.QUARTERLY, "T2 2025", "T1 2021", 18),
        (Frequency.MONTHLY, "juin 2025", "janvier 2021", 54),
    ],
)
def test_the_periods_offered_follow_the_frequency(make_indicator, frequency, first, last, count):
    offered = entry_periods(make_indicator(frequency=frequency), TODAY)
    labels = [p.label for p in offered]
    assert (labels[0], labels[-1], len(labels)) == (first, last, count)
    assert offered == sorted(offered, reverse=True)


def test_the_page_offers_the_indicators_periods_and_derives_the_dates(client, partner_a, regional, region):
    client.force_login(partner_a)
    body = client.get(URL, {"indicator": regional.pk}).content.decode()
    period = block(body, "period")
    assert '<option value="2025-04-01/2025-06-30">T2 2025</option>' in period
    assert 'value="2025-01-01/2025-03-31" selected' in period  # the last period ended
    assert "trimestrielle" in period and 'name="period_start"' not in body
    response = post(
        client, regional, period="2024-07-01/2024-09-30", value="12", region=region.pk, sex="F", action="save"
    )
    assert response.status_code == 302
    m = Measurement.objects.get()
    assert (m.period_start, m.period_end) == (dt.date(2024, 7, 1), dt.date(2024, 9, 30))


# ---------------------------------------------------------------- breakdown


def test_only_the_breakdown_fields_the_indicator_needs_are_shown_and_required(client, partner_a, regional):
    client.force_login(partner_a)
    body = client.get(URL, {"indicator": regional.pk}).content.decode()
    assert 'name="region"' in body and 'name="sex"' in body
    assert 'name="filiere"' not in body and 'name="actor_type"' not in body
    assert "Obligatoire : cet indicateur est ventilé par la région." in html.unescape(block(body, "region"))
    response = post(client, regional, period="2024-07-01/2024-09-30", value="12", sex="F", action="save")
    assert response.status_code == 200
    assert "errorlist" in block(response.content.decode(), "region")
    assert not Measurement.objects.exists()


def test_a_breakdown_the_indicator_does_not_use_is_ignored(client, partner_a, money, region):
    filiere = Filiere.objects.create(code="tapis", name="Tapis")
    client.force_login(partner_a)
    response = post(client, money, value="10", region=region.pk, filiere=filiere.pk, sex="F", action="save")
    assert response.status_code == 302
    m = Measurement.objects.get()
    assert (m.region_id, m.filiere_id, m.sex, m.actor_type) == (None, None, "", "")


def test_a_ratio_asks_for_its_numerator_and_denominator(client, partner_a, make_indicator, org_a):
    ratio = make_indicator(code="IND-RATIO", unit=Unit.PERCENT, aggregation=Aggregation.RATIO, reporters=[org_a])
    client.force_login(partner_a)
    body = client.get(URL, {"indicator": ratio.pk}).content.decode()
    assert 'name="numerator"' in body and 'name="denominator"' in body and 'name="value"' not in body
    response = post(client, ratio, numerator="1 097", denominator="2 822", action="save")
    assert response.status_code == 302
    m = Measurement.objects.get()
    assert (m.value, m.numerator, m.denominator) == (None, D("1097"), D("2822"))


# ---------------------------------------------------------------- previous value and jumps


def test_the_previous_value_of_the_series_is_shown_beside_the_value(client, partner_a, validator, money, org_a):
    row(money, org_a, partner_a, year=2022, value="80", validator=validator)
    row(money, org_a, partner_a, year=2023, value="100", validator=validator)
    row(money, org_a, partner_a, year=2024, value="999", status=MeasurementStatus.DRAFT)  # a draft: not reported
    client.force_login(partner_a)
    body = html.unescape(client.get(URL, {"indicator": money.pk}).content.decode())
    # Default period 2024 (the last one ended on 15/06/2025): the previous is 2023's.
    assert "Période précédente : <bdi data-previous-value>100,00\u00a0MDH (2023)</bdi>" in body
    data = json.loads(body.split('id="entry-data" type="application/json">')[1].split("</script>")[0])
    assert {r["end"] for r in data["previous"]} == {"2022-12-31", "2023-12-31"}


def test_a_jump_asks_for_confirmation_and_nothing_is_stored_until_confirmed(client, partner_a, validator, money, org_a):
    row(money, org_a, partner_a, year=2023, value="100", validator=validator)
    client.force_login(partner_a)
    response = post(client, money, value="400", action="save")
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert "s'écarte fortement de celle de la période précédente (100,00\u00a0MDH (2023))" in body
    assert '<input type="checkbox" name="confirm_jump" id="id_confirm_jump" value="400">' in body
    assert Measurement.objects.filter(period_start__year=2024).count() == 0
    # Ticked for another value: asked again.
    assert post(client, money, value="500", confirm_jump="400", action="save").status_code == 200
    assert Measurement.objects.filter(period_start__year=2024).count() == 0
    # Confirmed for this very value: stored.
    assert post(client, money, value="400", confirm_jump="400", action="save").status_code == 302
    assert Measurement.objects.get(period_start__year=2024).value == D("400")


def test_a_value_within_the_ratio_needs_no_confirmation(client, partner_a, validator, money, org_a, settings):
    row(money, org_a, partner_a, year=2023, value="100", validator=validator)
    client.force_login(partner_a)
    assert post(client, money, value="40", action="save").status_code == 302  # ÷ 2.5
    Measurement.objects.filter(period_start__year=2024).delete()
    settings.ENTRY_JUMP_RATIO = D("10")
    assert post(client, money, value="900", action="save").status_code == 302


@pytest.mark.parametrize(
    ("amount", "previous", "jump"),
    [
        ("301", "100", True),
        ("300", "100", False),
        ("33", "100", True),
        ("34", "100", False),
        ("0", "5", True),
        ("5", "0", True),
        ("0", "0", False),
        ("-400", "100", True),
    ],
)
def test_what_counts_as_a_jump(amount, previous, jump):
    assert is_jump(D(amount), D(previous), D("3")) is jump


# ---------------------------------------------------------------- language, errors, access


def test_choices_show_arabic_names_in_arabic(client, partner_a, money, regional, region):
    client.force_login(partner_a)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "IND-MDH — رقم المعاملات" in body and "IND-REG — Artisans inscrits" in body
    body = client.get(URL, {"indicator": regional.pk}, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert f'<option value="{region.pk}">مراكش-آسفي</option>' in body
    body = client.get(URL, {"indicator": regional.pk}, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f'<option value="{region.pk}">Marrakech-Safi</option>' in body


def test_the_first_step_asks_for_the_indicator_only(client, partner_a, money):
    client.force_login(partner_a)
    body = client.get(URL).content.decode()
    assert 'method="get"' in body and 'name="indicator"' in body
    assert 'name="value"' not in body and 'name="period"' not in body


def test_errors_are_summarised_at_the_top_and_linked_to_their_fields(client, partner_a, regional):
    client.force_login(partner_a)
    response = post(client, regional, period="2024-07-01/2024-09-30", value="1.234", action="save")
    body = response.content.decode()
    summary = body.split("data-error-summary")[1].split("</div>")[0]
    assert 'role="alert" tabindex="-1"' in body.split("data-error-summary")[0][-40:]
    assert 'href="#id_value"' in summary and 'href="#id_region"' in summary and 'href="#id_sex"' in summary
    assert_descriptions_exist(body)


def assert_descriptions_exist(body):
    """Every id an aria-describedby names is on the page (axe: aria-valid-attr-value)."""
    ids = set(re.findall(r'\sid="([^"]+)"', body))
    named = [i for attr in re.findall(r'aria-describedby="([^"]+)"', body) for i in attr.split()]
    assert named, "no description linked"
    assert not [i for i in named if i not in ids]


def test_help_texts_are_linked_to_their_fields(client, partner_a, editor, regional):
    client.force_login(partner_a)
    body = client.get(URL, {"indicator": regional.pk}).content.decode()
    assert 'aria-describedby="id_region_helptext"' in body
    assert_descriptions_exist(body)
    client.force_login(editor)  # another form through the same partial
    assert_descriptions_exist(client.get(reverse("strategy:indicator_create")).content.decode())


def test_one_primary_action(client, partner_a, money):
    client.force_login(partner_a)
    body = client.get(URL, {"indicator": money.pk}).content.decode()
    buttons = re.findall(r'<button class="([^"]+)" type="submit" name="action"', body)
    assert buttons == ["btn", "btn secondary"]


def test_viewers_and_anonymous_are_refused(client, viewer, money):
    response = client.get(URL, {"indicator": money.pk})
    assert response.status_code == 302 and "/connexion/" in response["Location"]
    client.force_login(viewer)
    assert client.get(URL, {"indicator": money.pk}).status_code == 403
    assert post(client, money, value="1", action="save").status_code == 403
    assert not Measurement.objects.exists()


def test_a_partner_of_another_organisation_can_neither_choose_nor_post_the_indicator(
    client, partner_a, partner_b, validator, money, org_a
):
    row(money, org_a, partner_a, year=2023, value="100", validator=validator)
    client.force_login(partner_b)
    body = client.get(URL, {"indicator": money.pk}).content.decode()
    assert 'name="value"' not in body and "IND-MDH" not in body and "entry-data" not in body
    response = post(client, money, value="1", action="save")
    assert response.status_code == 200 and "errorlist" in block(response.content.decode(), "indicator")
    assert Measurement.objects.count() == 1


def test_the_partner_of_the_organisation_may(client, partner_a, money):
    client.force_login(partner_a)
    assert client.get(URL, {"indicator": money.pk}).status_code == 200
    assert post(client, money, value="1", action="submit").status_code == 302
    assert Measurement.objects.get().status == MeasurementStatus.SUBMITTED


def test_figure_text_keeps_the_stored_decimals():
    assert figure_text(D("1234.5"), "MDH") == "1\u00a0234,50\u00a0MDH"
    assert figure_text(D("0.1255")) == "0,1255"
