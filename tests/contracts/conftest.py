"""The contract every contracts test starts from (one definition): a transversal
contrat programme of the Relance phase, signed 26/07/2021."""

import datetime as dt

import pytest

from contracts.choices import ContractKind, ContractStatus
from contracts.models import ContratProgramme


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
