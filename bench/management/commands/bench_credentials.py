"""``manage.py bench_credentials``: what bench/run.py sends — API tokens and a signed-in
session (marked as having passed the second factor, as a sign-in would) — printed as
JSON. Only under bench/settings.py (the bench app is installed nowhere else): it signs
users in without their password."""

import datetime as dt
import json
import time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils.module_loading import import_string

from artisanat.accounts.services import issue_token
from artisanat.models import Region
from contracts.models import ContratProgramme
from strategy.choices import Aggregation, Frequency, Unit
from strategy.models import Axis, Indicator, Measurement
from strategy.services import release_open_data


def signed_in_session(user):
    """A session as the sign-in view leaves it, second factor included when installed."""
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the password backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    now = int(time.time())
    store["_auth_started"] = store["_auth_seen"] = now
    if "django_otp" in settings.INSTALLED_APPS:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _created = TOTPDevice.objects.get_or_create(user=user, name="banc d'essai", confirmed=True)
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store["_otp_enrolled"] = True
    store.create()
    return store.session_key


WRITE_CODE = "SYN-BANC-ECRITURE"


def write_indicator(organisation):
    """The indicator the bench's writes go to: monthly, by region, sex and actor type,
    reported by ``organisation``, synthetic (its name says so); created once, never
    seeded, so a write never meets a row seed_scale wrote."""
    axis = Axis.objects.order_by("strategy__start_date", "number").first()
    if axis is None:
        return None
    indicator, _created = Indicator.objects.get_or_create(
        code=WRITE_CODE,
        defaults={
            "name": "Indicateur synthétique du banc d'essai (écritures) : aucune donnée réelle",
            "axis": axis,
            "unit": Unit.COUNT,
            "aggregation": Aggregation.SUM,
            "baseline_value": Decimal(0),
            "baseline_date": dt.date(2020, 12, 31),
            "baseline_source": "banc d'essai",
            "frequency": Frequency.MONTHLY,
            "by_region": True,
            "by_sex": True,
            "by_actor_type": True,
        },
    )
    indicator.reporting_organisations.add(organisation)
    return indicator


def publish_for_the_bench(indicator, validator):
    """The public indicator page the bench reads (/donnees/fr/indicateurs/<code>/): the
    busy synthetic indicator, marked public and released (seed_demo's release came
    before seed_scale wrote it). Released once: a second call finds it published."""
    if indicator is None:
        return None
    from strategy.services import release_open_data

    if not Indicator.objects.published(dt.date.today()).filter(pk=indicator.pk).exists():
        Indicator.objects.filter(pk=indicator.pk).update(public_from=dt.date(2021, 1, 1))
        release_open_data(by=validator, reason="Banc d'essai : la page publique d'un indicateur ventilé")
    return indicator.code


def open_data(validator):
    """The public API's rows (bench/run.py's api_public_* endpoints): the seeded
    indicators marked public and released once (strategy.services.release_open_data),
    as the ministry would. Done once: later calls find them released (seed_demo's own
    release, made before seed_scale wrote them, does not hold them)."""
    if Indicator.objects.published(dt.date.today()).filter(code__startswith="SYN-").exists():
        return
    Indicator.objects.filter(code__startswith="SYN-").exclude(code=WRITE_CODE).update(public_from=dt.date(2021, 1, 1))
    release_open_data(by=validator, reason="Publication du banc d'essai")


class Command(BaseCommand):
    help = "Jetons et session pour le banc d'essai (bench/settings.py seulement), en JSON."

    def handle(self, *args, **options):
        if not getattr(settings, "ARTISANAT_BENCH", False):
            raise CommandError("Réservé au banc d'essai : DJANGO_SETTINGS_MODULE=bench.settings.")
        users = {
            u.username: u for u in get_user_model().objects.filter(username__in=["viewer", "validator", "partner_fca"])
        }
        if len(users) != 3:
            raise CommandError("Comptes de démonstration manquants : lancez « manage.py seed_demo ».")
        indicator = write_indicator(users["partner_fca"].membership.organisation)
        open_data(users["validator"])
        # The measurement list is read filtered by one (indicator, region) pair: the pair
        # with the most rows, so that its first page is as full as the data allows at
        # every size — a half-empty page at the small size against a full one at the
        # large size would measure the page's length, not the list's cost. seed_scale
        # shares N evenly between its ~500 indicators and puts each one's rows in as few
        # breakdown cells as it can (120 months a cell), so the busiest pair has 21 rows
        # at 10 000 measurements — fewer than the API's 50 a page, so the bench reads
        # 20-row pages (bench/run.py), full at every size — and 214 at 100 000. One grouped count over the (indicator, region, id)
        # index; ties go to the first codes. The writes use another indicator
        # (write_indicator), so they never change the pages read here.
        busiest = (
            Measurement.objects.filter(indicator__code__startswith="SYN-", region__isnull=False)
            .values("indicator_id", "region_id")
            .annotate(rows=Count("id"))
            .order_by("-rows", "indicator__code", "region__code")
            .first()
        )
        listed, region = (busiest["indicator_id"], busiest["region_id"]) if busiest else (None, None)
        contract = ContratProgramme.objects.filter(reference__startswith="SYN-").order_by("reference").first()
        busy = (
            Indicator.objects.filter(code__startswith="SYN-", by_region=True, by_filiere=True, by_sex=True)
            .order_by("code")
            .first()
        )
        public = publish_for_the_bench(busy, users["validator"])
        payload = {
            "read_token": issue_token(users["viewer"])[1],
            "write_token": issue_token(users["partner_fca"])[1],
            "session": signed_in_session(users["validator"]),
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "indicator": listed,
            "write_indicator": indicator.pk if indicator else None,
            "write_indicator_code": indicator.code if indicator else None,
            "regions": [[r.pk, r.code] for r in Region.objects.order_by("code")],
            "busy_indicator": busy.pk if busy else None,
            "region": region,
            "contract": contract.pk if contract else None,
            "public_indicator": public,
        }
        self.stdout.write(json.dumps(payload))
