"""The reporting calendar's surfaces (portal/calendar.py): the page, its exports, the
API list and rates, the home and organisation cards — one definition
(strategy/calendar.py), the same numbers everywhere, on a case worked out by hand.

The case, as of 09/08/2021. IND-Q is quarterly, due 30 days after the quarter, reported
by FCA and MDA:

    T1 2021 (due 30/04/2021): FCA first submitted 20/04 → on time;
                              MDA first submitted 10/05 → late (10 days)
    T2 2021 (due 30/07/2021): FCA has a draft only, MDA nothing → both overdue, 10 days
    T3 2021 ends 30/09: not ended, not listed.

IND-Y is yearly, due 90 days after the year, reported by FCA: 2020 is before the
strategy; 2021 has not ended → nothing.

Expected 4, received 2, on time 1: completeness 2 ÷ 4 = 50 %, timeliness 1 ÷ 4 = 25 %.
By organisation: FCA 1 ÷ 2 = 50 % and 50 %; MDA 1 ÷ 2 = 50 % and 0 %.
By period: T1 2 ÷ 2 = 100 % and 1 ÷ 2 = 50 %; T2 0 % and 0 %."""

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.utils import timezone

from strategy.choices import Frequency
from strategy.models import Indicator, Measurement

AS_OF = "2021-08-09"
Q1 = (dt.date(2021, 1, 1), dt.date(2021, 3, 31))
Q2 = (dt.date(2021, 4, 1), dt.date(2021, 6, 30))


def at(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def row(indicator, org, period, submitted):
    m = Measurement.objects.create(
        indicator=indicator, organisation=org, period_start=period[0], period_end=period[1], value=D(1)
    )
    Measurement.objects.filter(pk=m.pk).update(submitted_at=submitted, status="submitted" if submitted else "draft")
    return m


@pytest.fixture
def case(make_indicator, org_a, org_b):
    quarterly = make_indicator(code="IND-Q", reporters=[org_a, org_b])
    Indicator.objects.filter(pk=quarterly.pk).update(frequency=Frequency.QUARTERLY, report_delay_days=30)
    make_indicator(code="IND-Y", reporters=[org_a])
    row(quarterly, org_a, Q1, at(dt.date(2021, 4, 20)))
    row(quarterly, org_b, Q1, at(dt.date(2021, 5, 10)))
    row(quarterly, org_a, Q2, None)
    return quarterly


def figure(html, name):
    """The text of the first ``data-figure="name"`` element of a page."""
    start = html.index(f'data-figure="{name}"')
    return html[html.index(">", start) + 1 : html.index("<", start)].strip()


def rates_of_rows(rows):
    """Completeness and timeliness from an export's lines, by their definition."""
    due = [r for r in rows if r["state"] != "pending"]
    received = [r for r in due if r["state"] in ("on_time", "late")]
    on_time = [r for r in due if r["state"] == "on_time"]
    return len(due), len(received), len(on_time)


# ---------------------------------------------------------------- one definition, checked


def test_page_api_and_export_give_the_same_numbers(case, client, api, validator, org_a, org_b):
    client.force_login(validator)
    page = client.get(f"/calendrier/?as_of={AS_OF}").content.decode()
    assert figure(page, "expected") == "4"
    assert figure(page, "received") == "2"
    assert figure(page, "on-time") == "1"
    assert figure(page, "completeness") == "50,0\xa0%"
    assert figure(page, "timeliness") == "25,0\xa0%"
    assert figure(page, "overdue") == "2"

    token = api(validator)
    listed = token.get(f"/api/v1/reporting-calendar/?as_of={AS_OF}").json()
    assert listed["count"] == 4
    states = {(r["organisation_acronym"], r["period"]): (r["state"], r["days_late"]) for r in listed["results"]}
    assert states == {
        ("FCA", "T1 2021"): ("on_time", 0),
        ("MDA", "T1 2021"): ("late", 10),
        ("FCA", "T2 2021"): ("overdue", 10),
        ("MDA", "T2 2021"): ("overdue", 10),
    }

    answer = token.get(f"/api/v1/reporting-calendar/rates/?as_of={AS_OF}").json()
    assert answer["overall"] == {
        "expected": 4,
        "received": 2,
        "on_time": 1,
        "completeness": "50.00",
        "timeliness": "25.00",
    }
    by_org = {r["label"]: (r["key"], r["completeness"], r["timeliness"]) for r in answer["results"]}
    assert by_org == {"FCA": (str(org_a.pk), "50.00", "50.00"), "MDA": (str(org_b.pk), "50.00", "0.00")}
    by_period = token.get(f"/api/v1/reporting-calendar/rates/?as_of={AS_OF}&by=period").json()["results"]
    assert [(r["key"], r["label"], r["completeness"], r["timeliness"]) for r in by_period] == [
        ("2021-01-01/2021-03-31", "T1 2021", "100.00", "50.00"),
        ("2021-04-01/2021-06-30", "T2 2021", "0.00", "0.00"),
    ]

    export = client.get(f"/calendrier/?as_of={AS_OF}&format=csv")
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rates_of_rows(rows) == (4, 2, 1)
    assert {(r["organisation"], r["period"], r["state"], r["days_late"], r["due_date"]) for r in rows} == {
        ("FCA", "T1 2021", "on_time", "0", "2021-04-30"),
        ("MDA", "T1 2021", "late", "10", "2021-04-30"),
        ("FCA", "T2 2021", "overdue", "10", "2021-07-30"),
        ("MDA", "T2 2021", "overdue", "10", "2021-07-30"),
    }
    api_export = token.get(f"/api/v1/reporting-calendar/?as_of={AS_OF}&format=csv")
    assert api_export.content == export.content


def test_the_grid_rows_columns_and_overdue_list(case, client, validator):
    client.force_login(validator)
    page = client.get(f"/calendrier/?as_of={AS_OF}&year=2021").content.decode()
    # Columns: the quarters of 2021 that have ended (T1, T2); each cell says its state in words.
    assert '<th scope="col" class="num">T1 2021</th>' in page and "T3 2021</th>" not in page
    fca = page[page.index('data-organisation="FCA"') : page.index("</tr>", page.index('data-organisation="FCA"'))]
    assert 'data-state="on_time">Reçu à temps' in fca and 'data-state="overdue">Manquant (échu)' in fca
    assert figure(fca, "completeness") == "50,0\xa0%" and figure(fca, "timeliness") == "50,0\xa0%"
    mda = page[page.index('data-organisation="MDA"') : page.index("</tr>", page.index('data-organisation="MDA"'))]
    assert 'data-state="late">Reçu en retard' in mda
    assert figure(mda, "completeness") == "50,0\xa0%" and figure(mda, "timeliness") == "0,0\xa0%"
    # Per column: T1 100 % and 50 %, T2 0 % and 0 %.
    footer = page[page.index('data-row="completeness"') : page.index("</tfoot>")]
    assert footer.count("100,0\xa0%") == 1 and "50,0\xa0%" in footer
    overdue = page[page.index('data-table="overdue"') :]
    assert overdue.count("30/07/2021") == 2 and "<td>FCA</td><td>T2 2021</td>" in overdue


def test_a_report_not_due_yet_is_pending_and_counts_nowhere(case, api, validator):
    # As of 15/07/2021, T2 has ended but is due on 30/07: pending, outside the rates.
    answer = api(validator).get("/api/v1/reporting-calendar/?as_of=2021-07-15&state=pending").json()
    assert [(r["organisation_acronym"], r["period"], r["due_date"]) for r in answer["results"]] == [
        ("FCA", "T2 2021", "2021-07-30"),
        ("MDA", "T2 2021", "2021-07-30"),
    ]
    overall = api(validator).get("/api/v1/reporting-calendar/rates/?as_of=2021-07-15").json()["overall"]
    assert (overall["expected"], overall["received"], overall["on_time"]) == (2, 2, 1)


def test_filters_narrow_every_surface_alike(case, client, api, validator, org_b):
    client.force_login(validator)
    page = client.get(f"/calendrier/?as_of={AS_OF}&organisation={org_b.pk}").content.decode()
    assert figure(page, "completeness") == "50,0\xa0%" and figure(page, "timeliness") == "0,0\xa0%"
    assert 'data-indicator="IND-Q"' in page  # an organisation chosen: one row per indicator
    overall = api(validator).get(f"/api/v1/reporting-calendar/rates/?as_of={AS_OF}&organisation={org_b.pk}").json()
    assert overall["overall"]["timeliness"] == "0.00"
    overdue = api(validator).get(f"/api/v1/reporting-calendar/?as_of={AS_OF}&state=overdue&year=2021").json()
    assert overdue["count"] == 2
    none = api(validator).get(f"/api/v1/reporting-calendar/?as_of={AS_OF}&year=2022").json()
    assert none["count"] == 0


# ---------------------------------------------------------------- access


def test_a_partner_reads_its_own_organisation_only(case, client, api, partner_b, org_a):
    client.force_login(partner_b)
    page = client.get(f"/calendrier/?as_of={AS_OF}").content.decode()
    assert 'data-organisation="MDA"' in page and 'data-organisation="FCA"' not in page
    assert figure(page, "expected") == "2" and figure(page, "timeliness") == "0,0\xa0%"
    asked_other = client.get(f"/calendrier/?as_of={AS_OF}&organisation={org_a.pk}").content.decode()
    assert figure(asked_other, "expected") == "0"
    listed = api(partner_b).get(f"/api/v1/reporting-calendar/?as_of={AS_OF}").json()
    assert {r["organisation_acronym"] for r in listed["results"]} == {"MDA"} and listed["count"] == 2
    other = api(partner_b).get(f"/api/v1/reporting-calendar/rates/?as_of={AS_OF}&organisation={org_a.pk}").json()
    assert other["overall"]["expected"] == 0 and other["results"] == []
    export = client.get(f"/calendrier/?as_of={AS_OF}&format=csv").content.decode("utf-8-sig")
    assert "FCA" not in export and export.count("MDA") == 2


def test_anonymous_goes_to_login_and_a_user_without_role_is_refused(case, client, api, django_user_model):
    assert client.get("/calendrier/")["Location"].startswith("/connexion/")
    assert api().get("/api/v1/reporting-calendar/").status_code == 401
    assert api().get("/api/v1/reporting-calendar/rates/").status_code == 401
    nobody = django_user_model.objects.create_user(username="nobody", password="x-Long-Enough-1")
    client.force_login(nobody)
    assert client.get("/calendrier/").status_code == 403
    assert api(nobody).get("/api/v1/reporting-calendar/").status_code == 403
    assert api(nobody).get("/api/v1/reporting-calendar/rates/").status_code == 403


@pytest.mark.parametrize(
    "query, field",
    [
        ("as_of=hier", "as_of"),
        ("year=deux", "year"),
        ("organisation=1.0", "organisation"),
        ("indicator=-3", "indicator"),
        ("state=late-ish", "state"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(case, client, api, viewer, query, field):
    client.force_login(viewer)
    response = client.get(f"/calendrier/?{query}")
    assert response.status_code == 400 and f"« {field} »" in response.content.decode()
    answer = api(viewer).get(f"/api/v1/reporting-calendar/?{query}")
    assert answer.status_code == 400 and field in answer.json()["details"]


def test_the_api_refuses_an_empty_value_and_an_unknown_grouping(case, api, viewer):
    assert "state" in api(viewer).get("/api/v1/reporting-calendar/?state=").json()["details"]
    assert "by" in api(viewer).get("/api/v1/reporting-calendar/rates/?by=semaine").json()["details"]


# ---------------------------------------------------------------- cards


def test_home_card_and_dashboard_api_carry_the_overall_rates(case, client, api, viewer):
    client.force_login(viewer)
    home = client.get(f"/?as_of={AS_OF}").content.decode()
    card = home[home.index('data-card="reporting"') :]
    assert figure(card, "completeness").startswith("50,0\xa0%") and figure(card, "timeliness").startswith("25,0\xa0%")
    assert f"/calendrier/?as_of={AS_OF}&amp;state=overdue" in card and "2 rapports échus non reçus" in card
    reporting = api(viewer).get(f"/api/v1/dashboard/?as_of={AS_OF}").json()["reporting"]
    assert reporting == {
        "expected": 4,
        "received": 2,
        "on_time": 1,
        "completeness": "50.00",
        "timeliness": "25.00",
        "overdue": 2,
    }


def test_organisation_card_is_the_organisation_s_row(case, client, viewer, partner_a, org_b):
    client.force_login(viewer)
    page = client.get(f"/organisations/{org_b.pk}/?as_of={AS_OF}").content.decode()
    card = page[page.index('data-card="reporting"') :]
    assert figure(card, "completeness").startswith("50,0\xa0%") and figure(card, "timeliness").startswith("0,0\xa0%")
    assert f"/calendrier/?as_of={AS_OF}&amp;organisation={org_b.pk}&amp;state=overdue" in card
    # A partner does not read another organisation's calendar, not even its card.
    client.force_login(partner_a)
    other = client.get(f"/organisations/{org_b.pk}/?as_of={AS_OF}")
    assert other.status_code == 200 and 'data-card="reporting"' not in other.content.decode()


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_any_date_is_answered_without_error_and_the_calendar_stays_bounded(case, client, api, viewer, as_of):
    """Found by `make fuzz`: 0001-01-01 overflowed the due dates; 9999-12-31 would list
    reports for eight thousand years. The list stops at the periods ended by 31/12/2100
    (those of its last quarter and year, due in 2101, as pending)."""
    answer = api(viewer).get(f"/api/v1/reporting-calendar/?as_of={as_of}")
    assert answer.status_code == 200
    count = answer.json()["count"]
    if as_of.startswith("0001"):
        assert count == 0
    else:  # IND-Q: 2 organisations × 80 years (2021–2100) × 4 quarters; IND-Y: FCA × 80 years
        assert count == 2 * 80 * 4 + 80
    client.force_login(viewer)
    assert client.get(f"/?as_of={as_of}").status_code == 200
    assert api(viewer).get(f"/api/v1/dashboard/?as_of={as_of}").status_code == 200


def test_options_with_an_export_format_answers_json(case, api, viewer):
    """Found by `make fuzz`: OPTIONS …?format=csv reached the CSV renderer (a 500)."""
    answer = api(viewer).options("/api/v1/reporting-calendar/?format=csv")
    assert answer.status_code in (200, 400) and answer["Content-Type"].startswith("application/json")
