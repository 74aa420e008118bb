"""The data version and the figures cached on it (artisanat/data_version.py): every kind
of write to the sector's data changes the version in its own transaction, writes to
other tables do not, and the home and API dashboards show a write at the next request —
never another reader's, another language's or a rolled-back state's figures."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from artisanat import data_version
from artisanat.models import Membership, Region
from contracts.choices import MilestoneStatus
from contracts.models import Milestone
from strategy import services
from strategy.models import Measurement, Target

WAITING = re.compile(r'data-figure="waiting-validation"><a [^>]*><span class="big">(\d+)</span>')


def waiting_on_home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return int(WAITING.search(response.content.decode()).group(1))


def test_every_table_of_the_sector_carries_the_bump(db):
    tables = set(data_version.source_tables())
    # The figures' sources, named: a missing one would leave a stale figure.
    assert {
        "strategy_measurement",
        "strategy_target",
        "strategy_indicator",
        "strategy_axis",
        "strategy_phase",
        "contracts_contratprogramme",
        "contracts_commitment",
        "contracts_disbursement",
        "contracts_milestone",
        "artisanat_region",
        "artisanat_organisation",
    } <= tables
    assert not {t for t in tables if t.startswith(("strategy_historical", "contracts_historical"))}
    assert data_version.installed_tables() == tables


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda ind, org, by: Measurement.objects.create(**_row(ind, org)), id="orm-create"),
        pytest.param(
            lambda ind, org, by: services.save_measurement(
                Measurement(**_row(ind, org)), by=by, reason="Saisie (test)"
            ),
            id="service",
        ),
        pytest.param(lambda ind, org, by: Measurement.objects.bulk_create([Measurement(**_row(ind, org))]), id="bulk"),
        pytest.param(lambda ind, org, by: Target.objects.filter(indicator=ind).update(value=D("1")), id="raw-update"),
        pytest.param(lambda ind, org, by: Target.objects.filter(indicator=ind).delete(), id="delete"),
        pytest.param(
            lambda ind, org, by: Region.objects.create(code="12", name="Dakhla-Oued Ed-Dahab"), id="reference-data"
        ),
    ],
)
def test_every_kind_of_write_changes_the_version(write, indicator, org_a, partner_a):
    Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("100"))
    before = data_version.current()
    write(indicator, org_a, partner_a)
    assert data_version.current() != before


def _row(indicator, organisation):
    return {
        "indicator": indicator,
        "organisation": organisation,
        "period_start": dt.date(2024, 1, 1),
        "period_end": dt.date(2024, 12, 31),
        "value": D("12"),
    }


def test_writes_outside_the_sector_data_leave_the_version(validator, partner_a, org_b):
    before = data_version.current()
    Session.objects.all().delete()
    Membership.objects.filter(user=partner_a).update(organisation=org_b)
    validator.first_name = "Nadia"
    validator.save()
    assert data_version.current() == before


def test_a_rolled_back_write_brings_the_old_version_back(indicator, org_a):
    before = data_version.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        Measurement.objects.create(**_row(indicator, org_a))
        assert data_version.current() != before
        raise RuntimeError("rollback")
    assert data_version.current() == before


def test_a_bulk_load_bumps_once_and_puts_the_triggers_back(indicator, org_a):
    version = int(data_version.current().split("-")[0])
    with services.bulk_load_figures():
        assert data_version.installed_tables() == set()  # per-row bumps off during the load
        Measurement.objects.bulk_create(
            Measurement(
                **{**_row(indicator, org_a), "period_start": dt.date(y, 1, 1), "period_end": dt.date(y, 12, 31)}
            )
            for y in range(2021, 2026)
        )
    assert int(data_version.current().split("-")[0]) == version + 1
    assert data_version.installed_tables() == set(data_version.source_tables())


# ---------------------------------------------------------------- cached figures


def test_the_home_page_shows_a_write_at_the_next_request(client, validator, indicator, org_a, partner_a):
    client.force_login(validator)
    assert waiting_on_home(client) == 0
    with CaptureQueriesContext(connection) as warm:
        assert waiting_on_home(client) == 0
    m = Measurement(**_row(indicator, org_a))
    services.save_measurement(m, by=partner_a, reason="Saisie (test)")
    services.submit_measurement(m, by=partner_a)
    with CaptureQueriesContext(connection) as cold:
        assert waiting_on_home(client) == 1
    assert len(warm) < len(cold)  # the second read came from the cache; the write's did not
    services.return_measurement(m, by=validator, reason="Source manquante")
    assert waiting_on_home(client) == 0


def test_a_reader_never_gets_another_readers_figures(client, validator, partner_a, indicator_b, org_b, partner_b):
    """The validator sees organisation B's submitted value waiting; partner A, who may not
    see B's unvalidated values, must not get the validator's cached count."""
    m = Measurement(**_row(indicator_b, org_b))
    services.save_measurement(m, by=partner_b, reason="Saisie (test)")
    services.submit_measurement(m, by=partner_b)
    client.force_login(validator)
    assert waiting_on_home(client) == 1
    client.force_login(partner_a)
    assert waiting_on_home(client) == 0
    client.force_login(partner_b)
    assert waiting_on_home(client) == 1


def test_each_language_gets_its_own_figures(client, viewer, indicator):
    client.force_login(viewer)
    french = client.get(reverse("home")).content.decode()
    arabic = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "Indicateurs par statut" in french
    assert "Indicateurs par statut" not in arabic
    assert '<html lang="ar" dir="rtl">' in arabic


def test_the_scope_is_part_of_the_key(client, validator, indicator, org_a, partner_a):
    """The same reader at two dates: a value validated in 2024 counts as of 2025, not as
    of 2023, whichever was read first."""
    m = Measurement(**_row(indicator, org_a))
    services.save_measurement(m, by=partner_a, reason="Saisie (test)")
    services.submit_measurement(m, by=partner_a)
    services.validate_measurement(m, by=validator)
    client.force_login(validator)
    later = client.get(reverse("home"), {"as_of": "2025-06-30"}).content.decode()
    earlier = client.get(reverse("home"), {"as_of": "2023-06-30"}).content.decode()
    assert "30/06/2025" in later and "30/06/2023" in earlier
    assert later != earlier


def test_the_api_dashboard_shows_a_write_at_the_next_request(as_validator, as_partner_a, milestones_contract):
    first = as_validator.get("/api/v1/dashboard/").json()
    assert first["late_milestones"] == 1
    assert as_partner_a.get("/api/v1/dashboard/").json()["contracts"] == []  # B's contract: not visible to A
    milestone = Milestone.objects.get(contract=milestones_contract)
    Milestone.objects.filter(pk=milestone.pk).update(status=MilestoneStatus.MET, date_met=dt.date(2022, 1, 10))
    assert as_validator.get("/api/v1/dashboard/").json()["late_milestones"] == 0


@pytest.fixture
def milestones_contract(contract_b, ministry):
    Milestone.objects.create(
        contract=contract_b,
        title="Atelier de formation",
        responsible=ministry,
        due_date=dt.date(2022, 6, 30),
        status=MilestoneStatus.SCHEDULED,
    )
    return contract_b


def test_without_a_version_row_nothing_is_cached(client, validator, indicator, org_a, partner_a):
    from artisanat.models import DataVersion

    client.force_login(validator)
    DataVersion.objects.all().delete()
    assert data_version.current() is None
    assert waiting_on_home(client) == 0
    # The next write creates the row again.
    m = Measurement(**_row(indicator, org_a))
    services.save_measurement(m, by=partner_a, reason="Saisie (test)")
    services.submit_measurement(m, by=partner_a)
    assert data_version.current() is not None
    assert waiting_on_home(client) == 1
