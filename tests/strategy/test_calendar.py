"""The reporting calendar, worked out by hand (strategy/calendar.py)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from artisanat.models import Organisation, Region
from strategy.choices import Frequency
from strategy.models import Indicator, Measurement


def at(day, hour=10):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def quarterly(indicator, org_a, org_b):
    """Reported each quarter by two organisations, due 30 days after the quarter."""
    Indicator.objects.filter(pk=indicator.pk).update(frequency=Frequency.QUARTERLY, report_delay_days=30)
    indicator.refresh_from_db()
    indicator.reporting_organisations.set([org_a, org_b])
    return indicator


def row(indicator, org, start, end, submitted, **fields):
    m = Measurement.objects.create(
        indicator=indicator, organisation=org, period_start=start, period_end=end, value=D(1), **fields
    )
    Measurement.objects.filter(pk=m.pk).update(submitted_at=submitted, status="submitted" if submitted else "draft")
    return m


def test_a_case_worked_out_by_hand(quarterly, org_a, org_b):
    q1 = (dt.date(2021, 1, 1), dt.date(2021, 3, 31))  # due 30/04/2021
    q2 = (dt.date(2021, 4, 1), dt.date(2021, 6, 30))  # due 30/07/2021
    row(quarterly, org_a, *q1, at(dt.date(2021, 4, 20)))  # on time
    row(quarterly, org_b, *q1, at(dt.date(2021, 5, 10)))  # 10 days late
    row(quarterly, org_a, *q2, None)  # a draft is not received
    reports = Indicator.objects.filter(pk=quarterly.pk).expected_reports(dt.date(2021, 8, 9))
    states = {(r.organisation_acronym, r.period.label): (r.state, r.days_late) for r in reports}
    a, b = org_a.acronym, org_b.acronym
    assert states == {
        (a, "T1 2021"): ("on_time", 0),
        (b, "T1 2021"): ("late", 10),
        (a, "T2 2021"): ("overdue", 10),
        (b, "T2 2021"): ("overdue", 10),
    }
    from strategy.calendar import rates, rates_by

    overall = rates(reports)
    assert (overall.expected, overall.received, overall.on_time) == (4, 2, 1)
    assert overall.completeness == D("50.00") and overall.timeliness == D("25.00")
    by_org = rates_by(reports, lambda r: r.organisation_acronym)
    assert by_org[a].completeness == D("50.00") and by_org[a].timeliness == D("50.00")
    assert by_org[b].completeness == D("50.00") and by_org[b].timeliness == D("0.00")


def test_as_of_a_date_before_the_submission_the_report_was_missing(quarterly, org_a):
    row(quarterly, org_a, dt.date(2021, 1, 1), dt.date(2021, 3, 31), at(dt.date(2021, 5, 10)))
    before = Indicator.objects.filter(pk=quarterly.pk).expected_reports(dt.date(2021, 5, 9), organisation=org_a)
    assert [(r.state, r.days_late) for r in before] == [("overdue", 9)]
    after = Indicator.objects.filter(pk=quarterly.pk).expected_reports(dt.date(2021, 5, 10), organisation=org_a)
    assert [(r.state, r.days_late) for r in after] == [("late", 10)]


def test_not_yet_due_reports_only_with_until(quarterly, org_a):
    qs = Indicator.objects.filter(pk=quarterly.pk)
    assert qs.expected_reports(dt.date(2021, 4, 29), organisation=org_a) == []
    coming = qs.expected_reports(dt.date(2021, 4, 29), until=dt.date(2021, 5, 6), organisation=org_a)
    assert [(r.period.label, r.due_date, r.state) for r in coming] == [("T1 2021", dt.date(2021, 4, 30), "pending")]


def test_a_regional_organisation_owes_its_region_of_a_regional_indicator(quarterly, region, org_b):
    Indicator.objects.filter(pk=quarterly.pk).update(by_region=True)
    chamber = Organisation.objects.create(name="Chambre test", acronym="CHT", kind=org_b.kind, region=region)
    quarterly.reporting_organisations.set([chamber])
    other = Region.objects.create(code="12" if region.code != "12" else "11", name="Autre région")
    q1 = (dt.date(2021, 1, 1), dt.date(2021, 3, 31))
    row(quarterly, chamber, *q1, at(dt.date(2021, 4, 1)), region=other)  # another region's row
    reports = Indicator.objects.filter(pk=quarterly.pk).expected_reports(dt.date(2021, 5, 1))
    assert [(r.region_id, r.state) for r in reports] == [(region.pk, "overdue")]


def test_three_queries_whatever_the_length_of_the_calendar(quarterly, org_a, django_assert_num_queries):
    qs = Indicator.objects.filter(pk=quarterly.pk)
    with django_assert_num_queries(3):
        short = qs.expected_reports(dt.date(2021, 12, 31))
    with django_assert_num_queries(3):
        long = qs.expected_reports(dt.date(2030, 12, 31))
    assert len(short) == 2 * 3 and len(long) == 2 * 39


def test_calendar_visible_to_decides_whose_reports(
    quarterly, org_a, org_b, viewer, partner_a, django_user_model, django_assert_num_queries
):
    from strategy.calendar import calendar_visible_to

    as_of = dt.date(2021, 5, 1)  # T1 2021 due 30/04: one report each for FCA and MDA
    assert {r.organisation_acronym for r in calendar_visible_to(viewer, as_of)} == {org_a.acronym, org_b.acronym}
    assert {r.organisation_acronym for r in calendar_visible_to(partner_a, as_of)} == {org_a.acronym}
    with django_assert_num_queries(0):  # another organisation asked for: nothing, not even a query
        assert calendar_visible_to(partner_a, as_of, organisation=org_b) == []
    assert calendar_visible_to(django_user_model.objects.create_user(username="nobody"), as_of) == []
