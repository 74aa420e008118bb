"""Shared fixtures: a small strategy and the named actors of every test.

Actors: ``admin_user`` (administrator), ``editor``, ``validator``, ``viewer`` (ministry),
``partner_a`` and ``partner_b`` (reporters of two organisations), ``anonymous``.

Administrators and validators must use two-factor authentication: their fixtures come
with a confirmed TOTP device (secret ``TOTP_KEY``), ``totp_code(user)`` gives the code
their app would show now, and the ``client`` fixture's ``force_login`` / ``login`` mark
the session verified with that device, as the verification page does
(``django_otp.login``). Two-factor stays on in every test.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from artisanat.choices import OrganisationKind, Role
from artisanat.models import Filiere, Membership, Organisation, Region
from contracts.choices import ContractKind, ContractStatus
from contracts.models import ContratProgramme
from strategy.choices import Aggregation, Direction, PhaseCode, Unit
from strategy.models import Axis, Indicator, Phase, Programme, Strategy

# The API tests' fixtures (authenticated clients, contracts with money, measurements in
# every state), available to every test without an import.
pytest_plugins = ["tests.api_fixtures"]

PASSWORD = "un-mot-de-passe-de-test-assez-long"
TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex


def add_totp_device(user, key=TOTP_KEY):
    return TOTPDevice.objects.create(user=user, name="default", key=key, confirmed=True)


def totp_code(user=None, device=None):
    """The code the user's authenticator (or ``device``) shows now: the next time step if
    this one was already used (django-otp refuses a replayed code, accepts one step of drift)."""
    device = device or TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if totp.t() <= device.last_t:
        totp.time += device.step
    return f"{totp.token():0{device.digits}d}"


class VerifiedClient(Client):
    """Django's test client whose sign-in also marks the session verified with the
    user's confirmed TOTP device, if any (what the verification page does)."""

    def _verify(self, user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        self._verify(user)

    def login(self, **credentials):
        signed_in = super().login(**credentials)
        if signed_in:
            self._verify(get_user_model().objects.get(username=credentials["username"]))
        return signed_in


@pytest.fixture
def client():
    return VerifiedClient()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; a fast hasher keeps the suite quick (production keeps PBKDF2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _private_documents(tmp_path_factory):
    """Uploaded documents (artisanat/documents.py) go to a temporary folder of this
    session (one per pytest-xdist worker), never to the project's private/ folder."""
    from django.test import override_settings

    with override_settings(PRIVATE_MEDIA_ROOT=tmp_path_factory.mktemp("private")):
        yield


@pytest.fixture
def ministry(db):
    return Organisation.objects.create(
        name="Ministère du Tourisme, de l'Artisanat et de l'Économie sociale et solidaire",
        acronym="MTAESS",
        kind=OrganisationKind.MINISTRY,
    )


@pytest.fixture
def org_a(db):
    return Organisation.objects.create(
        name="Fédération des Chambres d'Artisanat", acronym="FCA", kind=OrganisationKind.FEDERATION
    )


@pytest.fixture
def org_b(db):
    return Organisation.objects.create(name="Maison de l'Artisan", acronym="MDA", kind=OrganisationKind.PUBLIC_BODY)


def _user(username, organisation, role, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    if role in (Role.ADMINISTRATOR, Role.VALIDATOR):
        add_totp_device(user)
    return user


@pytest.fixture
def admin_user(ministry):
    return _user("admin", ministry, Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def editor(ministry):
    return _user("editor", ministry, Role.EDITOR)


@pytest.fixture
def validator(ministry):
    return _user("validator", ministry, Role.VALIDATOR)


@pytest.fixture
def viewer(ministry):
    return _user("viewer", ministry, Role.VIEWER)


@pytest.fixture
def partner_a(org_a):
    return _user("partner_a", org_a, Role.REPORTER)


@pytest.fixture
def partner_b(org_b):
    return _user("partner_b", org_b, Role.REPORTER)


@pytest.fixture
def anonymous():
    return AnonymousUser()


@pytest.fixture
def strategy(db):
    return Strategy.objects.create(
        name="Stratégie de développement du secteur de l'artisanat 2021–2030",
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2030, 12, 31),
    )


@pytest.fixture
def phases(strategy):
    rows = [
        (PhaseCode.RELANCE, "Relance", 1, dt.date(2021, 1, 1), dt.date(2022, 12, 31)),
        (PhaseCode.TRANSFORMATION, "Transformation", 2, dt.date(2023, 1, 1), dt.date(2025, 12, 31)),
        (PhaseCode.ACCELERATION, "Accélération", 3, dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
    ]
    return [
        Phase.objects.create(strategy=strategy, code=c, name=n, order=o, start_date=s, end_date=e)
        for c, n, o, s, e in rows
    ]


@pytest.fixture
def axis(strategy):
    return Axis.objects.create(strategy=strategy, number=3, title="Valorisation de l'humain")


@pytest.fixture
def programme(axis):
    return Programme.objects.create(axis=axis, code="P3.1", title="Formation des artisans")


@pytest.fixture
def region(db):
    return Region.objects.create(code="07", name="Marrakech-Safi", name_ar="مراكش-آسفي")


@pytest.fixture
def other_region(db):
    return Region.objects.create(code="03", name="Fès-Meknès", name_ar="فاس-مكناس")


@pytest.fixture
def filiere(db):
    return Filiere.objects.create(code="poterie-ceramique", name="Poterie-céramique", priority=True)


@pytest.fixture
def make_indicator(axis, programme):
    """Factory: an indicator of the fixture programme, overridable field by field."""
    counter = {"n": 0}

    def make(**fields):
        counter["n"] += 1
        values = {
            "code": f"IND-{counter['n']:03d}",
            "name": f"Indicateur {counter['n']}",
            "axis": axis,
            "programme": programme,
            "unit": Unit.COUNT,
            "direction": Direction.INCREASE,
            "aggregation": Aggregation.SUM,
            "baseline_value": Decimal("0"),
            "baseline_date": dt.date(2020, 12, 31),
            "baseline_source": "test",
        }
        values.update(fields)
        reporters = values.pop("reporters", [])
        indicator = Indicator.objects.create(**values)
        indicator.reporting_organisations.set(reporters)
        return indicator

    return make


@pytest.fixture
def indicator(make_indicator, org_a):
    """Artisans trained since 2021 (sum), reported by organisation A."""
    return make_indicator(code="IND-FORM", name="Artisans formés", reporters=[org_a])


@pytest.fixture
def keep_test_connection():
    """For tests that call the WSGI application directly (schemathesis, raw WSGI
    requests): at the end of each request Django would close the database connection
    that holds the test's transaction (on PostgreSQL). Django's own test client
    disconnects the same two signals."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# -- the contract every contract test starts from (one definition) -----------------------
# A transversal contrat programme of the Relance phase, signed 26/07/2021. Tests that
# need another one build it from ``contract_fields`` with their differences.


#: The second contract of the page tests: the pottery filière's recovery plan (its differences).
POTTERY_CONTRACT = {
    "reference": "CP-2021-02",
    "title": "Plan de relance de la filière poterie-céramique",
    "end_date": dt.date(2022, 12, 31),
}


@pytest.fixture
def contract_fields(phases):
    return {
        "reference": "CP-2021-01",
        "title": "Plan d'appui à la compétitivité des acteurs de l'artisanat",
        "kind": ContractKind.TRANSVERSAL,
        "phase": phases[0],
        "signing_date": dt.date(2021, 7, 26),
        "start_date": dt.date(2021, 7, 26),
        "end_date": dt.date(2023, 12, 31),
        "status": ContractStatus.IN_EXECUTION,
    }


@pytest.fixture
def contract(contract_fields):
    return ContratProgramme.objects.create(**contract_fields)
