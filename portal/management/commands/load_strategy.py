"""``manage.py load_strategy``: the real strategy, territory, filières, organisations,
the three contrats programmes of 26 July 2021 and the indicators with their baselines.

Idempotent: every row is found by its natural key and written only when a value
differs, so a second run changes nothing (not even a history row). The Arabic texts are
written only where they are empty or hold what this command loaded (the current
reference text or one it replaced, ``reference_data.FORMER_ARABIC``): a text a person
typed stays, with its working-translation flag. The history rows it
writes name the account given with ``--user``, by default the system account
(``systeme``, artisanat/system_account.py), and the reason ``load_strategy``."""

from collections import Counter
from functools import partial

from django.core.management.base import BaseCommand
from django.db import models, transaction

from artisanat.i18n import WORKING_TRANSLATION
from artisanat.models import Filiere, Organisation, Region
from artisanat.system_account import SYSTEM_USERNAME, command_user, system_account
from contracts.models import ContratProgramme, Party
from portal import reference_data as ref
from strategy.models import Axis, Indicator, Phase, Programme, Strategy

REASON = "load_strategy"


class Stats:
    """Rows created / updated / unchanged, per model."""

    def __init__(self):
        self.created = Counter()
        self.updated = Counter()
        self.unchanged = Counter()

    def line(self):
        return f"{sum(self.created.values())} créées, {sum(self.updated.values())} modifiées, " + (
            f"{sum(self.unchanged.values())} inchangées"
        )


def _differs(instance, name, value):
    field = instance._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        return getattr(instance, field.attname) != (value.pk if value is not None else None)
    return getattr(instance, name) != value


def upsert(model, lookup, values, stats=None, reason=REASON, user=None):
    """update_or_create on the natural key ``lookup``, but save (full_clean first) only
    when a value differs, so that re-running writes nothing and adds no history row.
    History rows (this save's and those of a many-to-many set after it) name ``user``
    and ``reason``."""
    instance = model.objects.filter(**lookup).first()
    label = model._meta.model_name
    if instance is None:
        instance = model(**lookup, **values)
        action = "created"
    else:
        changed = [name for name, value in values.items() if _differs(instance, name, value)]
        instance._history_user = user
        instance._change_reason = reason
        if not changed:
            if stats:
                stats.unchanged[label] += 1
            return instance
        for name in changed:
            setattr(instance, name, values[name])
        action = "updated"
    instance.full_clean()
    instance._history_user = user
    instance._change_reason = reason
    instance.save()
    if stats:
        getattr(stats, action)[label] += 1
    return instance


_upsert = upsert


def arabic(model, lookup, field, text, source=None):
    """The values to write for the Arabic ``field`` of the row at ``lookup``: ``text``
    and, when the model has the flag (``source`` given), whether it is a working
    translation. Nothing when the stored text is a person's (neither empty, nor
    ``text``, nor a text this command loaded before)."""
    values = {field: text}
    if source is not None:
        values[WORKING_TRANSLATION] = source == ref.WORKING
    stored = model.objects.filter(**lookup).values_list(field, flat=True).first()
    if stored is None or stored in ("", text, *ref.FORMER_ARABIC.get(text, ())):
        return values
    return {}


def set_m2m(manager, objects):
    """Set a many-to-many relation only when it differs (no history row otherwise)."""
    wanted = {obj.pk for obj in objects}
    if set(manager.values_list("pk", flat=True)) != wanted:
        manager.set(objects)


def load(stats=None, user=None):
    """Write the reference data; returns the strategy. History rows name ``user`` (the
    system account when None)."""
    stats = stats or Stats()
    user = user or system_account()
    upsert = partial(_upsert, user=user)

    strategy = upsert(
        Strategy, {"name": ref.STRATEGY["name"]}, {k: v for k, v in ref.STRATEGY.items() if k != "name"}, stats
    )
    phases = {}
    for code, name, name_ar, order, start, end, source in ref.PHASES:
        phases[code] = upsert(
            Phase,
            {"strategy": strategy, "code": code},
            {"name": name, "name_ar": name_ar, "order": order, "start_date": start, "end_date": end, "source": source},
            stats,
        )
    axes = {}
    for number, title, title_ar, description in ref.AXES:
        lookup = {"strategy": strategy, "number": number}
        axes[number] = upsert(
            Axis,
            lookup,
            {"title": title, "description": description, **arabic(Axis, lookup, "title_ar", title_ar, ref.AXES_ARABIC)},
            stats,
        )
    programmes = {}
    for code, axis_number, title, title_ar, objective in ref.PROGRAMMES:
        programmes[code] = upsert(
            Programme,
            {"code": code},
            {
                "axis": axes[axis_number],
                "title": title,
                "objective": objective + ref.PROGRAMME_NOTE,
                **arabic(Programme, {"code": code}, "title_ar", title_ar, ref.PROGRAMMES_ARABIC),
            },
            stats,
        )

    regions = {}
    for code, name, name_ar in ref.REGIONS:
        regions[code] = upsert(
            Region, {"code": code}, {"name": name, **arabic(Region, {"code": code}, "name_ar", name_ar)}, stats
        )
    filieres = {}
    for code, name, name_ar, priority in ref.FILIERES:
        filieres[code] = upsert(
            Filiere,
            {"code": code},
            {
                "name": name,
                "priority": priority,
                **arabic(Filiere, {"code": code}, "name_ar", name_ar, ref.FILIERES_ARABIC),
            },
            stats,
        )
    organisations = {}
    for acronym, name, name_ar, kind, region_code, source in [*ref.ORGANISATIONS, *ref.chambers()]:
        organisations[acronym] = upsert(
            Organisation,
            {"acronym": acronym},
            {
                "name": name,
                **arabic(Organisation, {"acronym": acronym}, "name_ar", name_ar, source),
                "kind": kind,
                "region": regions[region_code] if region_code else None,
                "active": True,
            },
            stats,
        )

    indicators = {}
    for spec in ref.INDICATORS:
        values = {k: v for k, v in spec.items() if k not in {"code", "axis", "programme", "reporters", "name_ar"}}
        values.update(arabic(Indicator, {"code": spec["code"]}, "name_ar", spec["name_ar"], ref.INDICATORS_ARABIC))
        values.setdefault("weight", 1)
        for name, value in ref.REPORTING.items():
            values.setdefault(name, value)
        for dim in ("by_region", "by_filiere", "by_sex", "by_actor_type"):
            values.setdefault(dim, False)
        values["axis"] = axes[spec["axis"]]
        values["programme"] = programmes[spec["programme"]] if spec["programme"] else None
        indicator = upsert(Indicator, {"code": spec["code"]}, values, stats)
        set_m2m(indicator.reporting_organisations, [organisations[a] for a in spec["reporters"]])
        indicators[spec["code"]] = indicator

    for spec in ref.CONTRACTS:
        dates = ref.CONTRACT_DATES_2021
        contract = upsert(
            ContratProgramme,
            {"reference": spec["reference"]},
            {
                "title": spec["title"],
                **arabic(
                    ContratProgramme,
                    {"reference": spec["reference"]},
                    "title_ar",
                    spec["title_ar"],
                    ref.CONTRACTS_ARABIC,
                ),
                "kind": spec["kind"],
                "filiere": filieres[spec["filiere"]] if spec["filiere"] else None,
                "phase": phases[dates["phase"]],
                "signing_date": dates["signing_date"],
                "start_date": dates["start_date"],
                "end_date": dates["end_date"],
                "status": dates["status"],
                "source": ref.CONTRACT_SOURCE_2021,
            },
            stats,
        )
        set_m2m(contract.axes, [axes[n] for n in spec["axes"]])
        set_m2m(contract.indicators, [indicators[c] for c in spec["indicators"]])
        for acronym, role in spec["parties"]:
            upsert(Party, {"contract": contract, "organisation": organisations[acronym], "role": role}, {}, stats)
    return strategy


class Command(BaseCommand):
    help = "Charge la stratégie 2021–2030 et ses données de référence (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--user",
            help=f"compte auquel l'historique attribue les changements (défaut : {SYSTEM_USERNAME}, le compte système)",
        )

    def handle(self, *args, **options):
        stats = Stats()
        with transaction.atomic():
            strategy = load(stats, user=command_user(options.get("user")))
        counts = {
            "phases": strategy.phases.count(),
            "axes": strategy.axes.count(),
            "programmes": Programme.objects.filter(axis__strategy=strategy).count(),
            "indicateurs": Indicator.objects.filter(axis__strategy=strategy).count(),
            "régions": Region.objects.count(),
            "filières": Filiere.objects.count(),
            "organisations": Organisation.objects.count(),
            "contrats": ContratProgramme.objects.count(),
            "parties": Party.objects.count(),
        }
        summary = ", ".join(f"{n} {label}" for label, n in counts.items())
        self.stdout.write(f"load_strategy : 1 stratégie, {summary} — lignes {stats.line()}.")
