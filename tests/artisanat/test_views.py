"""The first face: login page and home dashboard, allowed and forbidden."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from contracts.choices import ContractKind, PartyRole
from contracts.models import Commitment, ContratProgramme, Disbursement, Party
from strategy.choices import MeasurementStatus
from strategy.models import Axis, Measurement, Target
from tests.conftest import PASSWORD, POTTERY_CONTRACT


def test_login_page_is_french_by_default(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in body
    assert "Mot de passe" in body


def test_login_then_home(client, viewer):
    response = client.post(reverse("login"), {"username": "viewer", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_shows_a_french_error(client, viewer):
    response = client.post(reverse("login"), {"username": "viewer", "password": "faux"})
    assert response.status_code == 200
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in response.content.decode()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_role_is_forbidden(client, db):
    user = get_user_model().objects.create_user("sans_role", password=PASSWORD)
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 403


def test_arabic_is_right_to_left(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ar")
    assert '<html lang="ar" dir="rtl">' in response.content.decode()


@pytest.fixture
def contract(contract_fields, ministry, org_b):
    c = ContratProgramme.objects.create(**{**contract_fields, **POTTERY_CONTRACT})
    party = Party.objects.create(contract=c, organisation=ministry, role=PartyRole.FUNDER)
    Party.objects.create(contract=c, organisation=org_b, role=PartyRole.IMPLEMENTER)
    commitment = Commitment.objects.create(party=party, year=2021, amount=D("1234567.50"))
    Disbursement.objects.create(commitment=commitment, date=dt.date(2021, 9, 1), amount=D("617283.75"))
    return c


def test_home_shows_axes_phases_and_contracts_with_their_figures(client, viewer, indicator, org_a, phases, contract):
    Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("1000"))
    Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(2021, 1, 1),
        period_end=dt.date(2021, 12, 31),
        value=D("250"),
        organisation=org_a,
        status=MeasurementStatus.VALIDATED,
    )
    client.force_login(viewer)
    body = client.get(reverse("home"), {"as_of": "2022-01-01"}).content.decode()
    axis = Axis.objects.with_rollup(dt.date(2022, 1, 1)).get()
    assert axis.rollup.progress == D("25.00")
    assert "25,0\u00a0%" in body
    assert "Relance" in body and "Transformation" in body and "Accélération" in body
    assert "1\u00a0234\u00a0567,50\u00a0DH" in body  # committed, French format
    assert "50,0\u00a0%" in body  # execution rate 617 283,75 / 1 234 567,50
    assert "signé le 26/07/2021" in body


def test_partner_sees_only_contracts_its_organisation_is_party_to(client, partner_a, partner_b, contract):
    client.force_login(partner_b)  # MDA is a party
    assert "CP-2021-02" in client.get(reverse("home")).content.decode()
    client.force_login(partner_a)  # FCA is not
    assert "CP-2021-02" not in client.get(reverse("home")).content.decode()


def test_home_query_count_does_not_grow_with_rows(
    client, viewer, make_indicator, phases, ministry, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(viewer)
    counts = []
    for n in (1, 20):
        while ContratProgramme.objects.count() < n:
            i = ContratProgramme.objects.count()
            make_indicator()
            ContratProgramme.objects.create(
                reference=f"CP-{i}",
                title="x",
                kind=ContractKind.TRANSVERSAL,
                phase=phases[0],
                start_date=dt.date(2021, 1, 1),
                end_date=dt.date(2022, 1, 1),
            )
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    # session, membership, scope selects (3), axis roll-up, phases (one indicator query per
    # distinct date: closed phases are scored at their end), execution, counts
    assert counts[0] <= 20
