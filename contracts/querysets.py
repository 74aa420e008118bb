"""Contract figures (execution rate, milestone completion, late milestones), one
definition each, used by pages, API and exports."""

from django.apps import apps
from django.db import models
from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Q, Sum, Value, When

from artisanat import permissions
from artisanat.figures import rate
from artisanat.querysets import scalar
from contracts.choices import MilestoneStatus


def _model(name):
    return apps.get_model("contracts", name)


def _total(field="amount"):
    """Sum of amounts as a wider decimal: a column holds 18 digits, a sum of several
    may need more (SQLite quantizes to the output field's digits and would fail)."""
    return Sum(field, output_field=models.DecimalField(max_digits=30, decimal_places=2))


def _committed(commitment_path):
    return scalar(_model("Commitment").objects.filter(**{commitment_path: OuterRef("pk")}), _total())


def _disbursed(commitment_path, as_of):
    disbursements = _model("Disbursement").objects.filter(
        **{f"commitment__{commitment_path}": OuterRef("pk")}, date__lte=as_of
    )
    return scalar(disbursements, _total())


def execution_inputs(commitment_path, as_of):
    """The inputs of every execution rate, one spelling for contracts, parties and years:
    ``fig_committed`` (every commitment reached from the row through
    ``commitment_path``, e.g. ``party__contract`` for a contract) and ``fig_disbursed``
    (their disbursements dated on or before ``as_of``)."""
    return {"fig_committed": _committed(commitment_path), "fig_disbursed": _disbursed(commitment_path, as_of)}


class ContractQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Ministry roles see every contract; a reporter those its organisation is party to."""
        if permissions.is_ministry(user):
            return self
        if permissions.is_reporter(user):
            Party = _model("Party")
            return self.filter(
                Exists(
                    Party.objects.filter(contract=OuterRef("pk"), organisation_id=permissions.organisation_id_of(user))
                )
            )
        return self.none()

    def with_execution(self, as_of):
        """Committed and disbursed totals (disbursements dated on or before ``as_of``) and
        milestone counts; ``execution_rate`` and ``milestone_completion`` read them."""
        milestones = _model("Milestone").objects.filter(contract=OuterRef("pk"))
        return self.annotate(
            **execution_inputs("party__contract", as_of),
            fig_milestones_counted=scalar(milestones.exclude(status=MilestoneStatus.CANCELLED), Count("pk")),
            fig_milestones_met=scalar(milestones.met(as_of), Count("pk")),
            fig_milestones_partial=scalar(milestones.filter(status=MilestoneStatus.PARTIALLY_MET), Count("pk")),
            fig_milestones_late=scalar(milestones.late(as_of), Count("pk")),
        )


class _ThroughContractQuerySet(models.QuerySet):
    """Rows of a contract are visible exactly when their contract is."""

    contract_path = "contract"

    def visible_to(self, user):
        Contract = _model("ContratProgramme")
        return self.filter(**{f"{self.contract_path}__in": Contract.objects.visible_to(user).values("pk")})


class PartyQuerySet(_ThroughContractQuerySet):
    def with_execution(self, as_of):
        """Each party's committed and disbursed totals (see ``execution_inputs``)."""
        return self.annotate(**execution_inputs("party", as_of))


class CommitmentQuerySet(_ThroughContractQuerySet):
    contract_path = "party__contract"

    def execution_by_year(self, as_of):
        """[{year, committed, disbursed, rate}] over these commitments, by commitment year."""
        # One query: each commitment's disbursements to date (a scalar subquery) summed
        # by year beside the amounts committed.
        disbursed_to_date = _disbursed("pk", as_of)
        committed, disbursed = {}, {}
        for year, committed_total, disbursed_total in (
            self.order_by()
            .values_list("year")
            .annotate(committed=_total(), disbursed=_total(disbursed_to_date))
            .values_list("year", "committed", "disbursed")
        ):
            committed[year] = committed_total
            if disbursed_total is not None:
                disbursed[year] = disbursed_total
        return [
            {
                "year": year,
                "committed": committed[year],
                "disbursed": disbursed.get(year, 0),
                "rate": rate(disbursed.get(year, 0), committed[year]),
            }
            for year in sorted(committed)
        ]


class DisbursementQuerySet(_ThroughContractQuerySet):
    contract_path = "commitment__party__contract"


class AmendmentQuerySet(_ThroughContractQuerySet):
    pass


class MilestoneQuerySet(_ThroughContractQuerySet):
    def met(self, as_of):
        """Met on or before ``as_of`` (a milestone met later was not met yet then)."""
        return self.filter(status=MilestoneStatus.MET, date_met__lte=as_of)

    def late(self, as_of):
        """Due before ``as_of``, not cancelled, and not met by then."""
        return self.filter(late_condition(as_of))

    def with_late(self, as_of):
        """Each milestone with ``late`` (True / False) as of ``as_of``: the same rule as
        ``late()``, for pages, API and admin that show every row with its flag."""
        return self.annotate(
            late=Case(When(late_condition(as_of), then=Value(True)), default=Value(False), output_field=BooleanField())
        )


def late_condition(as_of):
    """The one definition of a late milestone: due before ``as_of``, not cancelled, and
    not met on or before ``as_of``."""
    return (
        Q(due_date__lt=as_of)
        & ~Q(status=MilestoneStatus.CANCELLED)
        & ~Q(status=MilestoneStatus.MET, date_met__lte=as_of)
    )
