"""Contract figures (execution rate, milestone completion, late milestones), one
definition each, used by pages, API and exports."""

from django.apps import apps
from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from artisanat import permissions
from artisanat.figures import rate
from artisanat.querysets import scalar
from contracts.choices import ContractStatus, MilestoneStatus


def _model(name):
    return apps.get_model("contracts", name)


def _total(field="amount"):
    """Sum of amounts as a wider decimal: a column holds 18 digits, a sum of several
    may need more (SQLite quantizes to the output field's digits and would fail)."""
    return Sum(field, output_field=models.DecimalField(max_digits=30, decimal_places=2))


AMOUNT_TOTAL = models.DecimalField(max_digits=30, decimal_places=2)


def signed_by(as_of, contract_path="party__contract"):
    """The commitment's contract was signed on or before ``as_of`` (a contract without a
    signing date commits nothing)."""
    return Q(**{f"{contract_path}__signing_date__lte": as_of})


def commitment_amount_at(as_of, commitment_ref="pk"):
    """The one definition of a commitment's amount as of ``as_of`` (an SQL expression
    over the commitment row ``commitment_ref``): 0 unless its contract was signed on or
    before ``as_of``; then the amount set by the latest amendment dated on or before
    ``as_of`` (by date, then number), else the amount first committed."""
    amended = (
        _model("AmendedCommitment")
        .objects.filter(commitment=OuterRef(commitment_ref), amendment__date__lte=as_of)
        .order_by("-amendment__date", "-amendment__number", "-pk")
        .values("new_amount")[:1]
    )
    return Case(
        When(signed_by(as_of), then=Coalesce(Subquery(amended), F("amount"), output_field=AMOUNT_TOTAL)),
        default=Value(0),
        output_field=AMOUNT_TOTAL,
    )


def _committed(commitment_path, as_of):
    commitments = _model("Commitment").objects.filter(**{commitment_path: OuterRef("pk")})
    return scalar(commitments, _total(commitment_amount_at(as_of)))


def _disbursed(commitment_path, as_of):
    disbursements = _model("Disbursement").objects.filter(
        **{f"commitment__{commitment_path}": OuterRef("pk")}, date__lte=as_of
    )
    return scalar(disbursements, _total())


def execution_inputs(commitment_path, as_of):
    """The inputs of every execution rate, one spelling for contracts, parties and years:
    ``fig_committed`` (every commitment reached from the row through
    ``commitment_path``, e.g. ``party__contract`` for a contract, at its amount as of
    ``as_of``: ``commitment_amount_at``) and ``fig_disbursed`` (their disbursements dated
    on or before ``as_of``)."""
    return {
        "fig_committed": _committed(commitment_path, as_of),
        "fig_disbursed": _disbursed(commitment_path, as_of),
    }


def milestone_counts(milestones, as_of):
    """The counts behind a milestone completion (strategy.figures.milestone_completion),
    one spelling for a contract's milestones and an action's: ``fig_milestones_counted``
    (not cancelled), ``fig_milestones_met`` (met on or before ``as_of``) and
    ``fig_milestones_partial`` (partially met, judged at a due date on or before
    ``as_of``), each a subquery over ``milestones`` (filtered on ``OuterRef``)."""
    return {
        "fig_milestones_counted": scalar(milestones.exclude(status=MilestoneStatus.CANCELLED), Count("pk")),
        "fig_milestones_met": scalar(milestones.met(as_of), Count("pk")),
        "fig_milestones_partial": scalar(milestones.partially_met(as_of), Count("pk")),
    }


def action_milestone_counts(as_of):
    """``milestone_counts`` of each action's milestones (registered with
    strategy.querysets.register_milestone_counts: strategy cannot import contracts)."""
    return milestone_counts(_model("Milestone").objects.filter(action=OuterRef("pk")), as_of)


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

    def public(self):
        """The contracts the public reads (open-data pages and API): those signed — a
        draft (``Projet``) stays internal. The public sees their summary only: parties,
        amounts committed and disbursed, milestones; never the signed document, the
        sources or the notes."""
        return self.exclude(status=ContractStatus.DRAFT).filter(signing_date__isnull=False)

    def with_execution(self, as_of):
        """Committed and disbursed totals (disbursements dated on or before ``as_of``) and
        milestone counts; ``execution_rate`` and ``milestone_completion`` read them."""
        milestones = _model("Milestone").objects.filter(contract=OuterRef("pk"))
        return self.annotate(
            **execution_inputs("party__contract", as_of),
            fig_as_of=Value(as_of, output_field=models.DateField()),
            **milestone_counts(milestones, as_of),
            fig_milestones_late=scalar(milestones.late(as_of), Count("pk")),
            fig_milestones_met_late=scalar(milestones.filter(met_late_condition(as_of)), Count("pk")),
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
        """[{year, committed, disbursed, rate}] over these commitments, by commitment year,
        each commitment at its amount as of ``as_of`` (``commitment_amount_at``). A year
        appears when it has a commitment of a contract signed by then, or money paid."""
        # One query: each commitment's amount and disbursements to date (scalar
        # subqueries) summed by year.
        disbursed_to_date = _disbursed("pk", as_of)
        signed = Case(When(signed_by(as_of), then=Value(1)), default=Value(0))
        rows = []
        for year, committed, disbursed, signed_count in (
            self.order_by()
            .values_list("year")
            .annotate(
                committed=_total(commitment_amount_at(as_of)),
                disbursed=_total(disbursed_to_date),
                signed=Sum(signed),
            )
            .values_list("year", "committed", "disbursed", "signed")
            .order_by("year")
        ):
            if signed_count or disbursed:
                committed, disbursed = committed or 0, disbursed or 0
                rows.append(
                    {"year": year, "committed": committed, "disbursed": disbursed, "rate": rate(disbursed, committed)}
                )
        return rows

    def with_amount_now(self, as_of=None):
        """Each commitment with ``amount_now``: the amount set by its latest amendment
        (by date, then number; dated on or before ``as_of`` when given), else the amount
        first committed — the signing date aside (``commitment_amount_at`` is the
        figures' definition); ``amended``: an amendment in force changed it; and
        ``disbursed_to_date``: its disbursements (dated on or before ``as_of``)."""
        changes = _model("AmendedCommitment").objects.filter(commitment=OuterRef("pk"))
        disbursements = _model("Disbursement").objects.filter(commitment=OuterRef("pk"))
        if as_of is not None:
            changes = changes.filter(amendment__date__lte=as_of)
            disbursements = disbursements.filter(date__lte=as_of)
        latest = changes.order_by("-amendment__date", "-amendment__number", "-pk").values("new_amount")[:1]
        return self.annotate(
            amount_now=Coalesce(Subquery(latest), F("amount"), output_field=AMOUNT_TOTAL),
            amended=Exists(changes),
            disbursed_to_date=scalar(disbursements, _total()),
        )


class DisbursementQuerySet(_ThroughContractQuerySet):
    contract_path = "commitment__party__contract"


class AmendmentQuerySet(_ThroughContractQuerySet):
    def with_in_force(self, as_of):
        """Each amendment with ``in_force`` (True / False): dated on or before ``as_of``,
        so its changes count in the figures as of that date."""
        return self.annotate(
            in_force=Case(When(date__lte=as_of, then=Value(True)), default=Value(False), output_field=BooleanField())
        )

    def timeline(self, as_of):
        """These amendments in date order, each with ``in_force`` and
        ``changed_commitments`` ([{organisation, year, amount, new_amount}]: what it did
        to each commitment), in one query (a LEFT JOIN, one row per changed commitment)."""
        path = "amended_commitments__commitment"
        rows = (
            self.with_in_force(as_of)
            .annotate(
                ac_new_amount=F("amended_commitments__new_amount"),
                ac_year=F(f"{path}__year"),
                ac_amount=F(f"{path}__amount"),
                ac_organisation=F(f"{path}__party__organisation__acronym"),
            )
            .order_by("date", "number", "pk", f"{path}__party__organisation__acronym", f"{path}__year")
        )
        amendments = {}
        for row in rows:
            amendment = amendments.setdefault(row.pk, row)
            if amendment is row:
                amendment.changed_commitments = []
            if row.ac_new_amount is not None:
                amendment.changed_commitments.append(
                    {
                        "organisation": row.ac_organisation,
                        "year": row.ac_year,
                        "amount": row.ac_amount,
                        "new_amount": row.ac_new_amount,
                    }
                )
        return list(amendments.values())


class AmendedCommitmentQuerySet(_ThroughContractQuerySet):
    contract_path = "amendment__contract"


class AmendmentChangeQuerySet(_ThroughContractQuerySet):
    contract_path = "amendment__contract"


class MilestoneQuerySet(_ThroughContractQuerySet):
    def met(self, as_of):
        """Met on or before ``as_of`` (a milestone met later was not met yet then)."""
        return self.filter(status=MilestoneStatus.MET, date_met__lte=as_of)

    def partially_met(self, as_of):
        """Partially met as of ``as_of``: "partially met" carries no date, so it is the
        assessment at the milestone's due date — before that day it was not yet judged
        (counted as nothing, like a milestone still scheduled)."""
        return self.filter(status=MilestoneStatus.PARTIALLY_MET, due_date__lte=as_of)

    def late(self, as_of):
        """Due before ``as_of``, not cancelled, and not met by then."""
        return self.filter(late_condition(as_of))

    def with_late(self, as_of):
        """Each milestone with ``late`` (True / False) as of ``as_of``: the same rule as
        ``late()``, for pages, API and admin that show every row with its flag; with
        ``met_late`` (met by ``as_of`` but after its due date) and ``delay``: how late,
        as a duration (``Milestone.days_late``) — from the due date to the day met for
        one met late, to ``as_of`` for one late, none otherwise."""
        day = Value(as_of, output_field=models.DateField())
        return self.annotate(
            late=Case(When(late_condition(as_of), then=Value(True)), default=Value(False), output_field=BooleanField()),
            met_late=Case(
                When(met_late_condition(as_of), then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            delay=Case(
                When(late_condition(as_of), then=ExpressionWrapper(day - F("due_date"), output_field=DurationField())),
                When(
                    met_late_condition(as_of),
                    then=ExpressionWrapper(F("date_met") - F("due_date"), output_field=DurationField()),
                ),
                default=Value(None, output_field=DurationField()),
                output_field=DurationField(),
            ),
        )


def late_condition(as_of):
    """The one definition of a late milestone: due before ``as_of``, not cancelled, and
    not met on or before ``as_of``."""
    return (
        Q(due_date__lt=as_of)
        & ~Q(status=MilestoneStatus.CANCELLED)
        & ~Q(status=MilestoneStatus.MET, date_met__lte=as_of)
    )


def met_late_condition(as_of):
    """Met on or before ``as_of``, but after its due date ("met late")."""
    return Q(status=MilestoneStatus.MET, date_met__lte=as_of, date_met__gt=F("due_date"))
