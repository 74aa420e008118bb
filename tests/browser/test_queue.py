"""The validation queue in a real browser (issue 15, item 3): select all, validate the
selection, the rows leave the queue; a validator's own row cannot be ticked; the
measurement page's "next in the queue" link and its move to the next row after a
decision. Screenshots: queue-fr.png, queue-ar.png, queue-phone.png (390×844)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from strategy import services
from strategy.choices import Aggregation, Unit
from strategy.choices import MeasurementStatus as S
from strategy.models import Measurement, Target
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE = "/strategie/validation/"


def submitted(indicator, org, year, days_ago, **values):
    m = Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        organisation=org,
        status=S.SUBMITTED,
        **(values or {"value": D("250")}),
    )
    Measurement.objects.filter(pk=m.pk).update(submitted_at=timezone.now() - dt.timedelta(days=days_ago))
    return m


@pytest.fixture
def queue(indicator, make_indicator, org_a, validator, partner_a):
    """Three partner rows (a count with its previous value and target, a ratio) and one
    the validator entered themselves."""
    indicator.name_ar = "الصناع المكونون"
    indicator.save()
    Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        value=D("2000"),
        organisation=org_a,
        status=S.VALIDATED,
    )
    Target.objects.create(indicator=indicator, due_date=dt.date(2024, 12, 31), value=D("3000"))
    ratio = make_indicator(
        code="IND-TAUX", name="Taux d'insertion", unit=Unit.PERCENT, aggregation=Aggregation.RATIO, reporters=[org_a]
    )
    rows = [
        submitted(indicator, org_a, 2024, 9, value=D("2500")),
        submitted(ratio, org_a, 2024, 6, numerator=D("2194"), denominator=D("5644")),
        submitted(indicator, org_a, 2022, 3, value=D("1800")),
    ]
    own = Measurement(
        indicator=ratio,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        numerator=D("10"),
        denominator=D("40"),
        organisation=org_a,
    )
    services.save_measurement(own, by=validator, reason="Saisie du validateur")
    services.submit_measurement(own, by=validator)
    return rows, own


def test_select_all_validate_and_next(browser_session, queue):
    rows, own = queue
    session = browser_session("validator", PASSWORD)
    page = session.page
    session.goto(QUEUE)
    assert page.inner_text(f'tr[data-measurement="{rows[1].pk}"] [data-value]').replace("\u00a0", " ") == "38,9 %"
    assert page.is_disabled(f"#select-{own.pk}")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "queue-fr.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    session.goto(QUEUE)
    page.screenshot(path=str(SCREENSHOTS / "queue-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The measurement page: its context, and "next" follows the queue's order.
    session.goto(f"/strategie/mesures/{rows[0].pk}/")
    assert page.is_visible("[data-validation-context]")
    page.screenshot(path=str(SCREENSHOTS / "queue-measurement-fr.png"), full_page=True)
    page.click("[data-queue-next]")
    page.wait_for_url(f"**/strategie/mesures/{rows[1].pk}/")
    # Returning it from its page goes on to the next row.
    page.fill(f"#id_reason_{rows[1].pk}", "Joindre le relevé du trimestre")
    page.click("form.return button.danger")
    page.wait_for_url(f"**/strategie/mesures/{rows[2].pk}/")
    assert Measurement.objects.get(pk=rows[1].pk).status == S.RETURNED

    # Select all ticks every row but the validator's own, then validate the selection.
    session.goto(QUEUE)
    page.check("[data-select-all]")
    assert page.is_checked(f"#select-{rows[0].pk}") and page.is_checked(f"#select-{rows[2].pk}")
    assert not page.is_checked(f"#select-{own.pk}")
    page.click("button[name=action][value=validate]")
    page.wait_for_selector(".message-success")
    assert page.locator(f'tr[data-measurement="{rows[0].pk}"]').count() == 0
    assert page.locator(f'tr[data-measurement="{rows[2].pk}"]').count() == 0
    assert page.locator(f'tr[data-measurement="{own.pk}"]').count() == 1
    statuses = dict(Measurement.objects.values_list("pk", "status"))
    assert [statuses[m.pk] for m in (*rows, own)] == [S.VALIDATED, S.RETURNED, S.VALIDATED, S.SUBMITTED]


def test_one_row_returned_in_arabic(browser_session, queue):
    rows, _own = queue
    session = browser_session("validator", PASSWORD, locale="ar")
    page = session.page
    session.goto(QUEUE)
    assert page.get_attribute("html", "dir") == "rtl"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "queue-ar.png"), full_page=True)
    page.check(f"#select-{rows[2].pk}")
    page.fill("#id_bulk_comment", "Chiffre à justifier")
    page.click("button[name=action][value=return]")
    page.wait_for_selector(".message-success")
    assert Measurement.objects.get(pk=rows[2].pk).status == S.RETURNED
    assert page.locator(f'tr[data-measurement="{rows[2].pk}"]').count() == 0
