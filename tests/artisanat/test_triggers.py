"""The one registry of database triggers (artisanat/triggers.py): every app declares its
sets in ready(), one post_migrate receiver installs them all, and each set can be
dropped and put back."""

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_migrate

from artisanat import data_version, history_guard, triggers
from artisanat.api.throttling import create_cache_table
from artisanat.db_rules import RULES as ARTISANAT_RULES
from contracts.db_rules import RULES as CONTRACT_RULES
from strategy import stored_figures
from strategy.db_rules import RULES as STRATEGY_RULES

APPS = ("artisanat", "strategy", "contracts", "portal")


def test_every_app_registers_its_sets_in_one_registry():
    names = [s.name for s in triggers.registered()]
    assert names == [
        "history_append_only",
        "data_version",
        "artisanat_rules",
        "strategy_rules",
        "stored_figures",
        "report_publication_frozen",
        "contracts_rules",
    ]
    assert {r.name for r in triggers.rules()} == {r.name for r in (*ARTISANAT_RULES, *STRATEGY_RULES, *CONTRACT_RULES)}
    messages = triggers.rule_messages()
    assert (
        str(messages["disbursement_within_commitment"]) == "Le total décaissé ne peut pas dépasser le montant engagé."
    )


def test_one_post_migrate_receiver_installs_every_set():
    ours = set()
    for label in APPS:
        sync_receivers, async_receivers = post_migrate._live_receivers(apps.get_app_config(label))
        ours |= {r for r in [*sync_receivers, *async_receivers] if r.__module__.split(".")[0] in APPS}
    # The other receiver creates the database cache's table (artisanat/api/throttling.py), no trigger.
    assert ours == {triggers.install_after_migrate, create_cache_table}


@pytest.mark.django_db
def test_every_registered_set_is_present_after_migrate():
    assert triggers.installed_rules(connection) == {r.name for r in triggers.rules()}
    assert history_guard.guarded_tables(connection) == set(history_guard.history_tables())
    assert data_version.installed_tables(connection) == set(data_version.source_tables())
    assert stored_figures.installed_triggers(connection) == set(stored_figures.TRIGGERS)


def _overpay(disbursement):
    """A raw UPDATE beyond the commitment: no clean() on the way, only the database."""
    type(disbursement).objects.filter(pk=disbursement.pk).update(amount=disbursement.commitment.amount * 2)


@pytest.mark.django_db(transaction=True)
def test_a_set_drops_and_comes_back_with_install_all(disbursement_a):
    """Dropped, a rule set no longer refuses and the other sets stay; install_all()
    puts every set back exactly as it was, and the rule refuses again."""
    rule_set = next(s for s in triggers.registered() if s.name == "contracts_rules")
    before = triggers.present_triggers(connection)
    try:
        rule_set.drop(connection)
        stored_figures.STORED_FIGURES.drop(connection)
        assert not {r.name for r in CONTRACT_RULES} & triggers.installed_rules(connection)
        assert stored_figures.installed_triggers(connection) == set()
        assert {r.name for r in STRATEGY_RULES} <= triggers.installed_rules(connection)
        with transaction.atomic():
            _overpay(disbursement_a)  # nothing refuses it now
            transaction.set_rollback(True)
    finally:
        triggers.install_all(connection)
    assert triggers.present_triggers(connection) == before
    with pytest.raises(IntegrityError, match="disbursement_within_commitment"), transaction.atomic():
        _overpay(disbursement_a)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite: one trigger per event")
def test_a_rule_counts_as_installed_only_with_both_of_its_sqlite_triggers():
    name = CONTRACT_RULES[0].name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {name}_update")
    try:
        assert name not in triggers.installed_rules(connection)
    finally:
        triggers.install_all(connection)
    assert name in triggers.installed_rules(connection)


def test_an_unknown_set_cannot_be_dropped():
    never = triggers.TriggerSet("never_dropped", sqlite=lambda c, t: [], postgresql=lambda c, t: [])
    with pytest.raises(NotImplementedError):
        never.drop(connection)
