"""Issue 15, item 10 ("done when"): a partner downloads the spreadsheet of what its
organisation owes for a period, fills it, uploads it with one bad row (refused beside
its reason, nothing stored), fixes it and uploads again (all stored)."""

import io
import re
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from strategy.models import Measurement
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owed(make_indicator, org_a, partner_a, region, other_region):
    return make_indicator(
        code="IND-RS", name="Artisans formés par région", by_region=True, by_sex=True, reporters=[org_a]
    )


def test_a_partner_reports_a_whole_period_in_one_spreadsheet(browser_session, owed, tmp_path):
    session = browser_session("partner_a", PASSWORD)
    page = session.page
    session.goto("/strategie/mesures/tableur/?period=yearly:2024-01-01")
    with page.expect_download() as info:
        page.click("button[data-download]")
    path = tmp_path / "periode.xlsx"
    info.value.save_as(path)
    book = load_workbook(path)
    ws = book.active
    header = [c.value for c in ws[1]]
    assert ws.max_row == 5  # 2 regions × 2 sexes
    value = header.index("Valeur") + 1
    ws.cell(row=2, column=value).value = "1 234,5"  # French text
    ws.cell(row=3, column=value).value = 12
    ws.cell(row=4, column=value).value = "douze"  # the bad row
    ws.cell(row=5, column=value).value = 7.5
    book.save(path)

    before = Measurement.objects.count()
    page.set_input_files("#id_file", str(path))
    page.click("form[data-sheet-upload] button[type=submit]")
    page.wait_for_selector("[data-sheet-refused]")
    row = page.locator('tr[data-sheet-row="4"]')
    assert "douze" in row.inner_text()
    assert "illisible" in row.inner_text()
    assert page.locator("tr[data-sheet-row]").count() == 1
    assert Measurement.objects.count() == before  # nothing stored
    page.screenshot(path=str(SCREENSHOTS / "sheet-fr.png"), full_page=True)

    ws.cell(row=4, column=value).value = "8"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    page.set_input_files("#id_file", str(path))
    page.click("form[data-sheet-upload] button[type=submit]")
    page.wait_for_selector(".message-success")
    assert re.search(r"4 mesures créées", page.inner_text(".message-success"))
    stored = sorted(Measurement.objects.filter(indicator=owed).values_list("value", flat=True))
    assert stored == [D("7.5"), D("8"), D("12"), D("1234.5")]
    assert page.locator("[data-sheet-empty]").count() == 1  # nothing left to fill for 2024
