"""Export columns of the contracts' lists (CSV / XLSX through artisanat.exports)."""

from artisanat.exports import Column

# Contract list: the figures of ContratProgramme.objects.with_execution() as of the page's date.
CONTRACT_COLUMNS = [
    Column("id", lambda c: c.pk),
    Column("reference", lambda c: c.reference),
    Column("title", lambda c: c.title),
    Column("kind", lambda c: c.kind),
    Column("filiere", lambda c: c.filiere.code if c.filiere_id else ""),
    Column("phase", lambda c: c.phase.code),
    Column("status", lambda c: c.status),
    Column("signing_date", lambda c: c.signing_date),
    Column("start_date", lambda c: c.start_date),
    Column("end_date", lambda c: c.end_date),
    Column("committed", lambda c: c.fig_committed),
    Column("disbursed", lambda c: c.fig_disbursed),
    Column("execution_rate_pct", lambda c: c.execution_rate),
    Column("time_elapsed_pct", lambda c: c.time_elapsed),
    Column("milestone_completion_pct", lambda c: c.milestone_completion),
    Column("late_milestones", lambda c: c.fig_milestones_late or 0),
    Column("milestones_met_late", lambda c: c.fig_milestones_met_late or 0),
]
CONTRACT_RELATED = ("phase", "filiere")

MILESTONE_COLUMNS = [
    Column("id", lambda m: m.pk),
    Column("contract", lambda m: m.contract.reference),
    Column("title", lambda m: m.title),
    Column("responsible", lambda m: m.responsible.acronym),
    Column("due_date", lambda m: m.due_date),
    Column("date_met", lambda m: m.date_met),
    Column("status", lambda m: m.status),
    Column("late", lambda m: m.late),
    Column("met_late", lambda m: m.met_late),
    Column("days_late", lambda m: m.days_late),
]
MILESTONE_RELATED = ("contract", "responsible")


# Columns of the other contract lists (API ``?format=csv|xlsx``).
PARTY_COLUMNS = [
    Column("id", lambda p: p.pk),
    Column("contract", lambda p: p.contract.reference),
    Column("organisation", lambda p: p.organisation.acronym),
    Column("role", lambda p: p.role),
    Column("signer_name", lambda p: p.signer_name),
    Column("signer_title", lambda p: p.signer_title),
    Column("committed", lambda p: p.fig_committed),
    Column("disbursed", lambda p: p.fig_disbursed),
    Column("execution_rate_pct", lambda p: p.execution_rate),
]
COMMITMENT_COLUMNS = [
    Column("id", lambda c: c.pk),
    Column("contract", lambda c: c.party.contract.reference),
    Column("organisation", lambda c: c.party.organisation.acronym),
    Column("role", lambda c: c.party.role),
    Column("year", lambda c: c.year),
    Column("amount", lambda c: c.amount),
    Column("note", lambda c: c.note),
    Column("version", lambda c: c.version),
]
DISBURSEMENT_COLUMNS = [
    Column("id", lambda d: d.pk),
    Column("contract", lambda d: d.commitment.party.contract.reference),
    Column("organisation", lambda d: d.commitment.party.organisation.acronym),
    Column("commitment_year", lambda d: d.commitment.year),
    Column("date", lambda d: d.date),
    Column("amount", lambda d: d.amount),
    Column("reference", lambda d: d.reference),
    Column("note", lambda d: d.note),
    Column("version", lambda d: d.version),
]
AMENDMENT_COLUMNS = [
    Column("id", lambda a: a.pk),
    Column("contract", lambda a: a.contract.reference),
    Column("number", lambda a: a.number),
    Column("date", lambda a: a.date),
    Column("reason", lambda a: a.reason),
    Column("changes_targets", lambda a: a.changes_targets),
    Column("changes_amounts", lambda a: a.changes_amounts),
    Column("changes_dates", lambda a: a.changes_dates),
    Column("summary", lambda a: a.summary),
    Column("in_force", lambda a: a.in_force),
    # "MTAESS 2023: 12000000.00; …": the commitments it sets a new amount for.
    Column(
        "amended_commitments",
        lambda a: "; ".join(
            f"{ac.commitment.party.organisation.acronym} {ac.commitment.year}: {ac.new_amount}"
            for ac in a.amended_commitments.all()
        ),
    ),
]
