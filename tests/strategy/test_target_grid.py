"""The target grid of an indicator (issue 14, item 2): scopes × due dates in one form,
saved atomically with one reason, each changed cell versioned; a stale cell is refused
and shown, never overwritten; an unreadable value is refused on its cell."""

import datetime as dt
import html
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from artisanat.forms import decimal_text, french_decimal
from strategy import services
from strategy.models import Target
from tests.conftest import VerifiedClient

END_2025 = dt.date(2025, 12, 31)
END_2026 = dt.date(2026, 12, 31)
END_2030 = dt.date(2030, 12, 31)


def grid_url(indicator):
    return reverse("strategy:target_grid", args=[indicator.pk])


def signed_in(user):
    client = VerifiedClient()
    client.force_login(user)
    return client


def name(due_date, region=None, filiere=None):
    return f"{region.pk if region else 0}-{filiere.pk if filiere else 0}-{due_date:%Y%m%d}"


def read_form(response):
    """Every input of the grid's form as the browser would send it back."""
    body = response.content.decode()
    data = {}
    for match in re.finditer(r'<input type="(?:text|hidden)"[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', body):
        data[match[1]] = html.unescape(match[2])
    for match in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body):
        data[match[1]] = html.unescape(match[2])
    data.pop("csrfmiddlewaretoken", None)
    return data


@pytest.fixture
def regional(make_indicator, org_a, region, other_region, filiere):
    return make_indicator(code="IND-REG", name="Artisans par région", by_region=True, reporters=[org_a])


@pytest.fixture
def stored(regional, editor, region):
    """A national target for 2030 and a regional one for 2025."""
    return {
        "national": services.save_target(
            Target(indicator=regional, due_date=END_2030, value=D("1000")), by=editor, reason="Cible initiale"
        ),
        "region": services.save_target(
            Target(indicator=regional, due_date=END_2025, value=D("300"), region=region),
            by=editor,
            reason="Cible initiale",
        ),
    }


# ---------------------------------------------------------------- the grid's shape


def test_rows_are_the_scopes_and_columns_the_due_dates(client, editor, regional, stored, phases, region, other_region):
    client.force_login(editor)
    response = client.get(grid_url(regional))
    assert response.status_code == 200
    labels = [row["label"] for row in response.context["rows"]]
    assert labels == ["National", "Fès-Meknès", "Marrakech-Safi"]  # regions by code, no filière rows
    dates = [d for d, _phases in response.context["columns"]]
    assert dates == [dt.date(year, 12, 31) for year in range(2021, 2031)]  # the phases end on 31/12 too
    phases_of = dict(response.context["columns"])
    assert phases_of[dt.date(2022, 12, 31)] == ["Relance"] and phases_of[dt.date(2023, 12, 31)] == []
    form = read_form(response)
    assert form[f"cell-{name(END_2030)}"] == "1 000" and form[f"version-{name(END_2030)}"] == "1"
    assert form[f"cell-{name(END_2025, region)}"] == "300"
    assert form[f"cell-{name(END_2025, other_region)}"] == "" and form[f"version-{name(END_2025, other_region)}"] == ""


def test_a_target_at_another_date_or_for_a_filiere_gets_its_column_and_row(
    client, editor, indicator, filiere, phases, strategy
):
    Target.objects.create(indicator=indicator, due_date=dt.date(2024, 6, 30), value=D("5"), filiere=filiere)
    phases[1].end_date = dt.date(2025, 6, 30)
    phases[1].save()
    client.force_login(editor)
    response = client.get(grid_url(indicator))
    dates = [d for d, _phases in response.context["columns"]]
    assert dt.date(2024, 6, 30) in dates and dt.date(2025, 6, 30) in dates
    assert [row["label"] for row in response.context["rows"]] == ["National", "Poterie-céramique"]


# ---------------------------------------------------------------- who


@pytest.mark.parametrize("role", ["viewer", "partner_a"])
def test_viewers_and_partners_may_not_open_or_send_the_grid(role, request, regional, stored):
    client = signed_in(request.getfixturevalue(role))
    assert client.get(grid_url(regional)).status_code == 403
    data = {f"cell-{name(END_2030)}": "5", f"version-{name(END_2030)}": "1", "change_reason": "Tentative"}
    assert client.post(grid_url(regional), data).status_code == 403
    assert Target.objects.get(pk=stored["national"].pk).value == D("1000")


def test_anonymous_visitors_are_sent_to_sign_in(client, regional):
    response = client.get(grid_url(regional))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_service_refuses_a_role_that_may_not_edit(viewer, regional):
    with pytest.raises(PermissionDenied):
        services.save_target_grid(regional, [], by=viewer, reason="Une raison valable")


# ---------------------------------------------------------------- saving


@pytest.mark.parametrize("role", ["editor", "validator", "admin_user"])
def test_create_change_and_delete_cells_at_once_with_one_reason(role, request, regional, stored, region, other_region):
    user = request.getfixturevalue(role)
    client = signed_in(user)
    form = read_form(client.get(grid_url(regional)))
    form[f"cell-{name(END_2030)}"] = "1 234,5"  # changed
    form[f"cell-{name(END_2025, region)}"] = ""  # deleted
    form[f"cell-{name(END_2025, other_region)}"] = "250.75"  # created
    form["change_reason"] = "Révision à mi-parcours"
    response = client.post(grid_url(regional), form)
    assert response.status_code == 302, html.unescape(response.content.decode())[:3000]
    assert response["Location"] == reverse("strategy:indicator_detail", args=[regional.pk])
    national = Target.objects.get(pk=stored["national"].pk)
    assert (national.value, national.version) == (D("1234.5"), 2)
    assert not Target.objects.filter(pk=stored["region"].pk).exists()
    created = Target.objects.get(indicator=regional, region=other_region)
    assert (created.due_date, created.value, created.version) == (END_2025, D("250.75"), 1)
    # Nothing else was written: every untouched cell stays empty.
    assert Target.objects.filter(indicator=regional).count() == 2
    # One history row per target, each with the reason and the author.
    rows = {
        row.id: row
        for row in Target.history.filter(indicator_id=regional.pk, history_change_reason="Révision à mi-parcours")
    }
    assert {(row.id, row.history_type) for row in rows.values()} == {
        (national.pk, "~"),
        (stored["region"].pk, "-"),
        (created.pk, "+"),
    }
    assert {row.history_user for row in rows.values()} == {user}


def test_nothing_changed_saves_nothing(client, editor, regional, stored):
    client.force_login(editor)
    form = read_form(client.get(grid_url(regional)))
    form["change_reason"] = "Relecture sans changement"
    response = client.post(grid_url(regional), form)
    assert response.status_code == 302
    assert Target.history.filter(indicator_id=regional.pk).count() == 2


def test_a_missing_reason_is_refused_and_nothing_saved(client, editor, regional, stored):
    client.force_login(editor)
    form = read_form(client.get(grid_url(regional)))
    form[f"cell-{name(END_2030)}"] = "2000"
    form["change_reason"] = ""
    response = client.post(grid_url(regional), form)
    assert response.status_code == 400
    assert "change_reason" in response.context["form"].errors
    assert 'value="2000"' in response.content.decode()  # the typed value is kept
    assert Target.objects.get(pk=stored["national"].pk).value == D("1000")


@pytest.mark.parametrize("typed", ["abc", "1,234", "1.234", "12,5.3", "1 23,5", "1,23456", "1234567890123456"])
def test_an_unreadable_or_ambiguous_value_is_refused_on_its_cell(client, editor, regional, stored, region, typed):
    client.force_login(editor)
    form = read_form(client.get(grid_url(regional)))
    form[f"cell-{name(END_2030)}"] = typed
    form[f"cell-{name(END_2025, region)}"] = "400"  # a good change beside it: not saved either
    form["change_reason"] = "Révision des cibles"
    response = client.post(grid_url(regional), form)
    assert response.status_code == 400
    cell = next(c for row in response.context["rows"] for c in row["cells"] if c["name"] == name(END_2030))
    assert cell["error"] and cell["text"] == typed
    body = html.unescape(response.content.decode())
    marked = re.search(rf'<td class="num has-error" data-cell="{name(END_2030)}">(.*?)</td>', body, re.S)
    assert marked and cell["error"] in marked.group(1)
    assert Target.objects.get(pk=stored["national"].pk).value == D("1000")
    assert Target.objects.get(pk=stored["region"].pk).value == D("300")


def test_a_cell_before_the_baseline_is_refused(client, editor, make_indicator, phases):
    """A due date on or before the baseline is no column; a cell posted for one is refused
    (a cell the grid never offered), and nothing is saved."""
    late = make_indicator(code="IND-LATE", baseline_date=dt.date(2023, 12, 31))
    client.force_login(editor)
    response = client.get(grid_url(late))
    assert [d for d, _p in response.context["columns"]][0] == dt.date(2024, 12, 31)
    forged = {f"cell-{name(dt.date(2022, 12, 31))}": "5", "change_reason": "Cible ancienne"}
    response = client.post(grid_url(late), forged)
    assert response.status_code == 409
    assert "inconnue" in " ".join(response.context["form"].non_field_errors())
    assert not Target.objects.filter(indicator=late).exists()


def test_a_stale_cell_is_refused_shown_and_nothing_saved(client, editor, validator, regional, stored, region):
    client.force_login(editor)
    form = read_form(client.get(grid_url(regional)))
    # Meanwhile the validator changes the national 2030 target and the regional 2025 one.
    for key, value in (("national", "1100"), ("region", "320")):
        target = Target.objects.get(pk=stored[key].pk)
        target.value = D(value)
        services.save_target(target, by=validator, reason="Arbitrage", expected_version=target.version)
    form[f"cell-{name(END_2030)}"] = "1 500"  # changed by the editor too: stale
    form[f"cell-{name(END_2026)}"] = "600"  # a new cell: fine, but not saved
    # The regional 2025 cell is left as read: not the editor's change, not a conflict.
    form["change_reason"] = "Révision des cibles"
    response = client.post(grid_url(regional), form)
    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert "data-conflict" in body
    assert [row["label"] for row in response.context["conflict"]] == ["National · 31/12/2030"]
    assert (response.context["conflict"][0]["stored"], response.context["conflict"][0]["typed"]) == ("1 100", "1 500")
    cells = {c["name"]: c for row in response.context["rows"] for c in row["cells"]}
    stale = cells[name(END_2030)]
    assert stale["stale"] and stale["text"] == "1 500" and stale["stored"] == "1 100" and stale["version"] == 2
    assert cells[name(END_2026)]["text"] == "600"  # typed values kept
    assert cells[name(END_2025, region)]["text"] == "320"  # untouched: the stored value now
    assert re.search(rf'data-cell="{name(END_2030)}">.*?data-stored>enregistré : <bdi>1 100</bdi>', body, re.S)
    # Nothing saved.
    assert Target.objects.get(pk=stored["national"].pk).value == D("1100")
    assert not Target.objects.filter(indicator=regional, due_date=END_2026).exists()
    # Sending the refreshed form again overwrites deliberately.
    again = read_form(response)
    again["change_reason"] = "Révision des cibles, confirmée"
    response = client.post(grid_url(regional), again)
    assert response.status_code == 302
    assert Target.objects.get(pk=stored["national"].pk).value == D("1500")
    assert Target.objects.get(indicator=regional, due_date=END_2026, region=None).value == D("600")
    assert Target.objects.get(pk=stored["region"].pk).value == D("320")  # the validator's value stays


def test_a_cell_created_or_deleted_meanwhile_is_stale(client, editor, validator, regional, stored, other_region):
    client.force_login(editor)
    form = read_form(client.get(grid_url(regional)))
    services.save_target(
        Target(indicator=regional, due_date=END_2025, value=D("90"), region=other_region), by=validator, reason="Ajout"
    )
    services.delete_target(stored["national"], by=validator, reason="Retrait")
    form[f"cell-{name(END_2025, other_region)}"] = "80"
    form[f"cell-{name(END_2030)}"] = "1200"
    form["change_reason"] = "Révision des cibles"
    response = client.post(grid_url(regional), form)
    assert response.status_code == 409
    assert {row["stored"] for row in response.context["conflict"]} == {"90", "—"}
    assert Target.objects.get(indicator=regional, region=other_region).value == D("90")
    assert not Target.objects.filter(indicator=regional, region=None).exists()


# ---------------------------------------------------------------- values typed the French way


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1 234,5", D("1234.5")),
        ("1\u00a0234\u00a0567,25", D("1234567.25")),
        ("1\u202f234", D("1234")),
        ("1234.5", D("1234.5")),
        ("0,125", D("0.125")),
        ("-12,5", D("-12.5")),
        ("12,50", D("12.50")),
        ("1 234.5", D("1234.5")),
        ("  42 ", D("42")),
        ("", None),
    ],
)
def test_french_decimals_are_read(typed, value):
    assert french_decimal(typed) == value


@pytest.mark.parametrize("value", [D("1000"), D("1234.5000"), D("0.1250"), D("-12.5"), D("0"), D("1234567.25")])
def test_a_cell_shows_what_it_reads_back(value):
    assert french_decimal(decimal_text(value)) == value


# ---------------------------------------------------------------- hostile posts (review of issue 14)


def test_a_cell_the_grid_never_offered_is_refused_and_nothing_saved(client, editor, regional, stored):
    """Any date inside the strategy used to become a column: one POST of 3 000 made-up
    days created 2 900 targets. Only the grid's own cells are read now."""
    client.force_login(editor)
    form = read_form(client.get(grid_url(regional)))
    form[f"cell-{name(dt.date(2024, 3, 5))}"] = "12"
    form[f"cell-{name(END_2030)}"] = "2000"
    form["change_reason"] = "Cibles intermédiaires"
    response = client.post(grid_url(regional), form)
    assert response.status_code == 409
    assert "inconnue" in " ".join(response.context["form"].non_field_errors())
    assert Target.objects.filter(indicator=regional).count() == 2
    assert Target.objects.get(pk=stored["national"].pk).value == D("1000")


@pytest.mark.parametrize("was", ["sNaN", "NaN", "Infinity", "1e999999"])
def test_a_forged_read_value_is_no_server_error(client, editor, regional, stored, was):
    client.force_login(editor)
    form = read_form(client.get(grid_url(regional)))
    form[f"was-{name(END_2030)}"] = was
    form[f"cell-{name(END_2030)}"] = "1000"
    form["change_reason"] = "Relecture des cibles"
    response = client.post(grid_url(regional), form)
    assert response.status_code in (302, 409)
    assert Target.objects.get(pk=stored["national"].pk).value == D("1000")


def test_a_reason_of_punctuation_only_is_no_reason(client, editor, regional, stored):
    client.force_login(editor)
    form = read_form(client.get(grid_url(regional)))
    form[f"cell-{name(END_2030)}"] = "2000"
    form["change_reason"] = "   .....  --- "
    response = client.post(grid_url(regional), form)
    assert response.status_code == 400 and "change_reason" in response.context["form"].errors
    assert Target.objects.get(pk=stored["national"].pk).value == D("1000")
