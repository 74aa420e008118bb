"""Contrats programmes and what they commit: parties, money, milestones, amendments."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Sum
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from artisanat.documents import DocumentField
from artisanat.figures import elapsed_share, rate
from artisanat.i18n import (
    localized,
    working_translation_constraint,
    working_translation_errors,
    working_translation_field,
)
from artisanat.models import Filiere, Organisation
from contracts import querysets
from contracts.choices import DATE_KINDS, ChangeKind, ContractKind, ContractStatus, MilestoneStatus, PartyRole
from strategy import figures
from strategy.models import FIGURE, Action, Axis, Indicator, Phase, Target

AMOUNT = {"max_digits": 18, "decimal_places": 2}

#: The dates a contract's rows may carry: wide enough for any real contract, narrow
#: enough that a typo (year 1, year 9999) is refused instead of stretching every grid,
#: timeline and figure built from them.
EARLIEST_DATE, LATEST_DATE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
DATE_RANGE_MESSAGE = _("Une date se situe entre le 01/01/2000 et le 31/12/2100.")


def dates_in_range(*fields, optional=()):
    """The CHECK condition: each of ``fields`` (and each of ``optional`` when filled)
    between EARLIEST_DATE and LATEST_DATE."""
    condition = Q()
    for name in fields:
        condition &= Q(**{f"{name}__gte": EARLIEST_DATE, f"{name}__lte": LATEST_DATE})
    for name in optional:
        condition &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": EARLIEST_DATE, f"{name}__lte": LATEST_DATE})
    return condition


def date_range_errors(instance, *fields):
    """{field: message} for the dates of ``instance`` outside the range (clean())."""
    return {
        name: DATE_RANGE_MESSAGE
        for name in fields
        if getattr(instance, name) is not None and not EARLIEST_DATE <= getattr(instance, name) <= LATEST_DATE
    }


class ContratProgramme(models.Model):
    """A signed contrat programme (or convention) that carries part of the strategy."""

    reference = models.CharField(_("référence"), max_length=40, unique=True)
    title = models.CharField(_("intitulé"), max_length=250)
    title_ar = models.CharField(_("intitulé (arabe)"), max_length=250, blank=True)
    arabic_is_working_translation = working_translation_field()
    kind = models.CharField(_("type"), max_length=20, choices=ContractKind.choices)
    filiere = models.ForeignKey(
        Filiere, verbose_name=_("filière"), on_delete=models.PROTECT, null=True, blank=True, related_name="contracts"
    )
    phase = models.ForeignKey(Phase, verbose_name=_("phase"), on_delete=models.PROTECT, related_name="contracts")
    axes = models.ManyToManyField(Axis, verbose_name=_("axes"), related_name="contracts", blank=True)
    signing_date = models.DateField(_("date de signature"), null=True, blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    status = models.CharField(_("statut"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    # Private: stored under a random name, read through contracts:contract_document only
    # (artisanat/documents.py); document_name keeps the name it was uploaded under.
    document = DocumentField(
        _("document signé"),
        upload_to="contracts",
        blank=True,
        name_field="document_name",
        download_view="contracts:contract_document",
    )
    document_name = models.CharField(_("nom du document signé"), max_length=200, blank=True, editable=False)
    indicators = models.ManyToManyField(
        Indicator, verbose_name=_("indicateurs liés"), related_name="contracts", blank=True
    )
    source = models.TextField(_("source"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[axes, indicators])

    objects = querysets.ContractQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name = _("contrat programme")
        verbose_name_plural = _("contrats programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="contract_end_after_start",
                violation_error_message=_("La fin du contrat doit être postérieure à son début."),
            ),
            models.CheckConstraint(
                condition=Q(kind=ContractKind.FILIERE, filiere__isnull=False)
                | Q(kind=ContractKind.TRANSVERSAL, filiere__isnull=True),
                name="contract_filiere_matches_kind",
                violation_error_message=_(
                    "Un contrat de filière désigne sa filière ; un contrat transversal n'en désigne aucune."
                ),
            ),
            models.CheckConstraint(condition=Q(status__in=ContractStatus.values), name="contract_status_valid"),
            models.CheckConstraint(
                condition=dates_in_range("start_date", "end_date", optional=("signing_date",)),
                name="contract_dates_in_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(signing_date__isnull=True) | ~Q(status=ContractStatus.DRAFT),
                name="contract_draft_not_signed",
                violation_error_message=_("Un contrat à l'état de projet n'a pas encore de date de signature."),
            ),
            working_translation_constraint("contract_working_translation_has_text", "title_ar"),
        ]

    def __str__(self):
        return f"{self.reference} — {localized(self, 'title')}"

    def clean(self):
        errors = date_range_errors(self, "start_date", "end_date", "signing_date")
        errors.update(working_translation_errors(self, "title_ar"))
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            errors["end_date"] = _("La fin du contrat doit être postérieure à son début.")
        if self.kind == ContractKind.FILIERE and not self.filiere_id:
            errors["filiere"] = _("Un contrat de filière doit désigner sa filière.")
        if self.kind == ContractKind.TRANSVERSAL and self.filiere_id:
            errors["filiere"] = _("Un contrat transversal ne désigne pas de filière.")
        if self.status == ContractStatus.DRAFT and self.signing_date:
            errors["signing_date"] = _("Un contrat à l'état de projet n'a pas encore de date de signature.")
        if errors:
            raise ValidationError(errors)

    # Figures, from ContractQuerySet.with_execution().
    @property
    def execution_rate(self):
        return rate(self.fig_disbursed, self.fig_committed)

    @property
    def milestone_completion(self):
        return figures.milestone_completion(
            self.fig_milestones_met, self.fig_milestones_partial, self.fig_milestones_counted
        )

    @property
    def time_elapsed(self):
        """Share of the contract's duration (start → end) elapsed at the figures' date, in
        %: read beside the execution rate."""
        return elapsed_share(self.start_date, self.end_date, self.fig_as_of)


class Party(models.Model):
    """An organisation's part in a contract, with its role and signer."""

    contract = models.ForeignKey(
        ContratProgramme, verbose_name=_("contrat"), on_delete=models.CASCADE, related_name="parties"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="parties"
    )
    role = models.CharField(_("rôle"), max_length=20, choices=PartyRole.choices)
    signer_name = models.CharField(_("nom du signataire"), max_length=150, blank=True)
    signer_title = models.CharField(_("qualité du signataire"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    objects = querysets.PartyQuerySet.as_manager()

    class Meta:
        ordering = ["contract__reference", "organisation__acronym", "role"]
        verbose_name = _("partie")
        verbose_name_plural = _("parties")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "organisation", "role"],
                name="party_unique_role_per_contract",
                violation_error_message=_("Cette organisation a déjà ce rôle dans ce contrat."),
            ),
            models.CheckConstraint(condition=Q(role__in=PartyRole.values), name="party_role_valid"),
        ]

    def __str__(self):
        return f"{self.contract.reference} · {self.organisation.acronym} ({self.get_role_display()})"

    @property
    def execution_rate(self):
        return rate(self.fig_disbursed, self.fig_committed)


class Commitment(models.Model):
    """A party's financial commitment for one year, in MAD."""

    party = models.ForeignKey(Party, verbose_name=_("partie"), on_delete=models.CASCADE, related_name="commitments")
    year = models.PositiveSmallIntegerField(_("année"))
    amount = models.DecimalField(_("montant (DH)"), **AMOUNT)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    history = HistoricalRecords()

    objects = querysets.CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["party__contract__reference", "year", "pk"]
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="commitment_amount_not_negative",
                violation_error_message=_("Le montant engagé ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="commitment_year_plausible",
                violation_error_message=_("L'année doit être comprise entre 2000 et 2100."),
            ),
            models.UniqueConstraint(
                fields=["party", "year"],
                name="commitment_unique_per_party_year",
                violation_error_message=_("Cette partie a déjà un engagement pour cette année."),
            ),
        ]

    def __str__(self):
        return f"{self.party} · {self.year}"

    def disbursed_total(self, exclude_pk=None):
        qs = self.disbursements.all()
        if exclude_pk:
            qs = qs.exclude(pk=exclude_pk)
        # Wider than a column: several 18-digit amounts may add up to more (SQLite would fail).
        total = Sum("amount", output_field=models.DecimalField(max_digits=30, decimal_places=2))
        return qs.aggregate(total=total)["total"] or Decimal(0)

    def disbursed_before_amendments(self):
        """What was paid before the first amendment that changed this commitment (all
        that was paid when no amendment did)."""
        first = self.amendments.order_by("amendment__date").values_list("amendment__date", flat=True).first()
        qs = self.disbursements.all() if first is None else self.disbursements.filter(date__lt=first)
        total = Sum("amount", output_field=models.DecimalField(max_digits=30, decimal_places=2))
        return qs.aggregate(total=total)["total"] or Decimal(0)

    def amount_at(self, day):
        """The amount in force on ``day``: set by the latest amendment dated on or before
        it (by date, then number), else the amount first committed (the signing date
        aside: ``querysets.commitment_amount_at`` is the figures' definition)."""
        amended = (
            self.amendments.filter(amendment__date__lte=day)
            .order_by("-amendment__date", "-amendment__number", "-pk")
            .values_list("new_amount", flat=True)
            .first()
        )
        return self.amount if amended is None else amended

    def ceiling_breach(self, extra=None, exclude_pk=None, step=None):
        """The first disbursement or amendment date at which the total paid to that day
        would exceed the amount in force that day (``amount_at``), with ``extra`` (an unsaved or
        changed disbursement) counted and ``exclude_pk`` left out: (date, paid, in
        force), or None when every payment stays within the commitment. ``step``
        (date, number, new amount): an amendment not saved yet, counted too."""
        payments = [(d.date, d.amount) for d in self.disbursements.all() if exclude_pk is None or d.pk != exclude_pk]
        if extra is not None:
            payments.append(extra)
        steps = list(self.amendments.values_list("amendment__date", "amendment__number", "new_amount"))
        if step is not None:
            steps.append(step)
        steps = [(date, new_amount) for date, _number, new_amount in sorted(steps, key=lambda s: s[:2])]

        def in_force(day):
            amount = self.amount
            for date, new_amount in steps:
                if date <= day:
                    amount = new_amount
            return amount

        # The days to check: each payment's, and each amendment's (what was paid by then
        # must fit the amount it sets).
        for day in sorted({p[0] for p in payments} | {date for date, _amount in steps}):
            paid = sum((amount for date, amount in payments if date <= day), Decimal(0))
            if paid > in_force(day):
                return day, paid, in_force(day)
        return None

    def clean(self):
        errors = {}
        if self.amount is not None and self.amount < 0:
            errors["amount"] = _("Le montant engagé ne peut pas être négatif.")
        if self.party_id and self.year:
            contract = self.party.contract
            if not (contract.start_date.year <= self.year <= contract.end_date.year):
                errors["year"] = _("L'année doit tomber dans la durée du contrat (%(start)s–%(end)s).") % {
                    "start": contract.start_date.year,
                    "end": contract.end_date.year,
                }
        if self.pk and self.amount is not None:
            # The amount first committed covers what was paid before the first amendment
            # that changed it; after that, the amended amounts do (ceiling_breach).
            paid = self.disbursed_before_amendments()
            if self.amount < paid:
                errors["amount"] = _(
                    "Le montant engagé ne peut pas descendre sous ce qui a déjà été décaissé (%(total)s DH)."
                ) % {"total": paid}
        if errors:
            raise ValidationError(errors)


class Disbursement(models.Model):
    """Money paid against a commitment. The total paid never exceeds the commitment."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("engagement"), on_delete=models.PROTECT, related_name="disbursements"
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("montant (DH)"), **AMOUNT)
    reference = models.CharField(_("référence du paiement"), max_length=60, blank=True)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    history = HistoricalRecords()

    objects = querysets.DisbursementQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "pk"]
        verbose_name = _("décaissement")
        verbose_name_plural = _("décaissements")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="disbursement_amount_positive",
                violation_error_message=_("Le montant décaissé doit être strictement positif."),
            ),
            models.CheckConstraint(
                condition=dates_in_range("date"),
                name="disbursement_date_in_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
        ]

    def __str__(self):
        return f"{self.commitment} · {self.date:%d/%m/%Y} · {self.amount}"

    def clean(self):
        errors = date_range_errors(self, "date")
        if self.amount is not None and self.amount <= 0:
            errors["amount"] = _("Le montant décaissé doit être strictement positif.")
        if self.commitment_id and self.amount is not None and self.date:
            # The ceiling is the amount in force at each payment's date: an amendment that
            # raises the commitment allows paying up to the new amount from its date.
            breach = self.commitment.ceiling_breach(extra=(self.date, self.amount), exclude_pk=self.pk)
            if breach:
                day, paid, committed = breach
                errors["amount"] = _(
                    "Ce décaissement porterait le total décaissé au %(day)s à %(total)s DH, au-delà des "
                    "%(committed)s DH engagés à cette date."
                ) % {"day": f"{day:%d/%m/%Y}", "total": paid, "committed": committed}
        if errors:
            raise ValidationError(errors)


class Milestone(models.Model):
    """A deliverable of a contract, with its due date; late when due and not met."""

    contract = models.ForeignKey(
        ContratProgramme, verbose_name=_("contrat"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("intitulé"), max_length=250)
    title_ar = models.CharField(_("intitulé (arabe)"), max_length=250, blank=True)
    responsible = models.ForeignKey(
        Organisation, verbose_name=_("organisation responsable"), on_delete=models.PROTECT, related_name="milestones"
    )
    due_date = models.DateField(_("échéance"))
    date_met = models.DateField(_("date d'atteinte"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=MilestoneStatus.choices, default=MilestoneStatus.SCHEDULED
    )
    note = models.TextField(_("note"), blank=True)
    action = models.ForeignKey(
        Action,
        verbose_name=_("action"),
        on_delete=models.PROTECT,
        related_name="milestones",
        null=True,
        blank=True,
        help_text=_("L'action de la stratégie dont ce jalon montre l'avancement, le cas échéant."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    history = HistoricalRecords()

    objects = querysets.MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("jalon")
        verbose_name_plural = _("jalons")
        constraints = [
            models.CheckConstraint(
                condition=Q(status=MilestoneStatus.MET, date_met__isnull=False)
                | (~Q(status=MilestoneStatus.MET) & Q(date_met__isnull=True)),
                name="milestone_date_met_only_when_met",
                violation_error_message=_(
                    "La date d'atteinte est renseignée si, et seulement si, le jalon est atteint."
                ),
            ),
            models.CheckConstraint(condition=Q(status__in=MilestoneStatus.values), name="milestone_status_valid"),
            models.CheckConstraint(
                condition=dates_in_range("due_date", optional=("date_met",)),
                name="milestone_dates_in_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="milestone_status_due")]

    def __str__(self):
        return f"{self.contract.reference} · {self.title}"

    @property
    def days_late(self):
        """Days late (from ``MilestoneQuerySet.with_late``): as of the date for a late
        milestone, on the day it was met for one met late; None otherwise."""
        return None if self.delay is None else self.delay.days

    def clean(self):
        errors = date_range_errors(self, "due_date", "date_met")
        if errors:
            raise ValidationError(errors)
        if self.status == MilestoneStatus.MET and not self.date_met:
            raise ValidationError({"date_met": _("Un jalon atteint doit porter sa date d'atteinte.")})
        if self.status != MilestoneStatus.MET and self.date_met:
            raise ValidationError({"date_met": _("La date d'atteinte ne se renseigne que pour un jalon atteint.")})


class Amendment(models.Model):
    """An avenant: a dated change to a contract, with its reason and what it changed."""

    contract = models.ForeignKey(
        ContratProgramme, verbose_name=_("contrat"), on_delete=models.CASCADE, related_name="amendments"
    )
    number = models.PositiveSmallIntegerField(_("numéro"))
    date = models.DateField(_("date"))
    reason = models.TextField(_("motif"))
    changes_targets = models.BooleanField(_("modifie les cibles"), default=False)
    changes_amounts = models.BooleanField(_("modifie les montants"), default=False)
    changes_dates = models.BooleanField(_("modifie les dates"), default=False)
    summary = models.TextField(_("ce qui change"))
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    objects = querysets.AmendmentQuerySet.as_manager()

    class Meta:
        ordering = ["contract__reference", "date", "number"]
        verbose_name = _("avenant")
        verbose_name_plural = _("avenants")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"],
                name="amendment_number_unique_per_contract",
                violation_error_message=_("Ce contrat a déjà un avenant portant ce numéro."),
            ),
            models.CheckConstraint(
                condition=Q(changes_targets=True) | Q(changes_amounts=True) | Q(changes_dates=True),
                name="amendment_changes_something",
                violation_error_message=_("Un avenant modifie au moins les cibles, les montants ou les dates."),
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="amendment_reason_required"),
            models.CheckConstraint(
                condition=dates_in_range("date"),
                name="amendment_date_in_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
        ]

    def __str__(self):
        return f"{self.contract.reference} · avenant n° {self.number}"

    def clean(self):
        errors = date_range_errors(self, "date")
        if errors:
            raise ValidationError(errors)
        if not (self.changes_targets or self.changes_amounts or self.changes_dates):
            raise ValidationError(_("Un avenant modifie au moins les cibles, les montants ou les dates."))

    def change_list(self):
        """What the amendment changed, old → new, as ``Change`` rows: its commitments'
        amounts (AmendedCommitment) then its dates and targets (AmendmentChange), from
        what was read with it (prefetch ``amended_commitments`` and ``changes``)."""
        rows = [
            Change(
                ChangeKind.COMMITMENT_AMOUNT,
                ac.commitment_id,
                ac.commitment,
                ac.old_amount if ac.old_amount is not None else ac.commitment.amount,
                ac.new_amount,
            )
            for ac in self.amended_commitments.all()
        ]
        for change in self.changes.all():
            obj = {
                ChangeKind.MILESTONE_DUE: change.milestone,
                ChangeKind.TARGET_VALUE: change.target,
            }.get(change.kind, self.contract)
            rows.append(Change(change.kind, obj.pk, obj, change.old, change.new))
        return rows


class Change:
    """One change of an amendment, whichever table holds it: ``kind`` (ChangeKind),
    ``object_id`` and ``object`` (the commitment, contract, milestone or target),
    ``old_value`` → ``new_value`` (an amount, a date or a target value)."""

    def __init__(self, kind, object_id, obj, old_value, new_value):
        self.kind, self.object_id, self.object = kind, object_id, obj
        self.old_value, self.new_value = old_value, new_value

    def get_kind_display(self):
        return ChangeKind(self.kind).label

    @property
    def is_date(self):
        return self.kind in DATE_KINDS


class AmendedCommitment(models.Model):
    """What an amendment does to one commitment: from the amendment's date, the
    commitment's amount is ``new_amount`` (the latest such amendment in force wins;
    ``querysets.commitment_amount_at``)."""

    amendment = models.ForeignKey(
        Amendment, verbose_name=_("avenant"), on_delete=models.CASCADE, related_name="amended_commitments"
    )
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("engagement"), on_delete=models.CASCADE, related_name="amendments"
    )
    new_amount = models.DecimalField(_("nouveau montant (DH)"), **AMOUNT)
    # The amount in force just before the amendment (set by the service; empty on rows
    # recorded before it was kept: the amount first committed then).
    old_amount = models.DecimalField(_("ancien montant (DH)"), **AMOUNT, null=True, blank=True, editable=False)
    history = HistoricalRecords()

    objects = querysets.AmendedCommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["amendment__date", "amendment__number", "pk"]
        verbose_name = _("engagement modifié par avenant")
        verbose_name_plural = _("engagements modifiés par avenant")
        constraints = [
            models.CheckConstraint(
                condition=Q(new_amount__gte=0),
                name="amended_commitment_amount_not_negative",
                violation_error_message=_("Le nouveau montant engagé ne peut pas être négatif."),
            ),
            models.UniqueConstraint(
                fields=["amendment", "commitment"],
                name="amended_commitment_unique_per_amendment",
                violation_error_message=_("Cet avenant modifie déjà cet engagement."),
            ),
            models.CheckConstraint(
                condition=Q(old_amount__isnull=True) | Q(old_amount__gte=0),
                name="amended_commitment_old_amount_not_negative",
                violation_error_message=_("L'ancien montant engagé ne peut pas être négatif."),
            ),
        ]

    def __str__(self):
        return f"{self.amendment} · {self.commitment}"

    def clean(self):
        errors = {}
        if self.new_amount is not None and self.new_amount < 0:
            errors["new_amount"] = _("Le nouveau montant engagé ne peut pas être négatif.")
        same_contract = (
            not (self.amendment_id and self.commitment_id)
            or self.amendment.contract_id == self.commitment.party.contract_id
        )
        if not same_contract:
            errors["commitment"] = _("L'engagement modifié doit appartenir au contrat de l'avenant.")
        if errors:
            raise ValidationError(errors)


class AmendmentChange(models.Model):
    """What an amendment changes besides the commitments' amounts: the contract's start
    or end date, a milestone's due date, the value of a target of one of the contract's
    linked indicators — old → new. The service (``contracts.services.save_amendment``)
    changes the row itself in the same transaction, with a history row naming the
    amendment; this row keeps what it was and what it became."""

    amendment = models.ForeignKey(
        Amendment, verbose_name=_("avenant"), on_delete=models.CASCADE, related_name="changes"
    )
    kind = models.CharField(_("nature"), max_length=20, choices=ChangeKind.choices)
    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("jalon"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendment_changes",
    )
    target = models.ForeignKey(
        Target,
        verbose_name=_("cible"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendment_changes",
    )
    old_date = models.DateField(_("ancienne date"), null=True, blank=True)
    new_date = models.DateField(_("nouvelle date"), null=True, blank=True)
    old_value = models.DecimalField(_("ancienne valeur"), **FIGURE, null=True, blank=True)
    new_value = models.DecimalField(_("nouvelle valeur"), **FIGURE, null=True, blank=True)
    history = HistoricalRecords()

    objects = querysets.AmendmentChangeQuerySet.as_manager()

    class Meta:
        ordering = ["amendment", "kind", "pk"]
        verbose_name = _("changement apporté par avenant")
        verbose_name_plural = _("changements apportés par avenant")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[ChangeKind.CONTRACT_START, ChangeKind.CONTRACT_END],
                    milestone__isnull=True,
                    target__isnull=True,
                )
                | Q(kind=ChangeKind.MILESTONE_DUE, milestone__isnull=False, target__isnull=True)
                | Q(kind=ChangeKind.TARGET_VALUE, milestone__isnull=True, target__isnull=False),
                name="amendment_change_object_matches_kind",
                violation_error_message=_(
                    "Un changement de date du contrat ne désigne rien d'autre ; celui d'un jalon désigne le jalon, "
                    "celui d'une cible la cible."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=DATE_KINDS,
                    old_date__isnull=False,
                    new_date__isnull=False,
                    old_value__isnull=True,
                    new_value__isnull=True,
                )
                | Q(
                    kind=ChangeKind.TARGET_VALUE,
                    old_date__isnull=True,
                    new_date__isnull=True,
                    old_value__isnull=False,
                    new_value__isnull=False,
                ),
                name="amendment_change_values_match_kind",
                violation_error_message=_(
                    "Un changement de date porte l'ancienne et la nouvelle date ; celui d'une cible, l'ancienne "
                    "et la nouvelle valeur."
                ),
            ),
            models.UniqueConstraint(
                fields=["amendment", "kind"],
                condition=Q(kind__in=[ChangeKind.CONTRACT_START, ChangeKind.CONTRACT_END]),
                name="amendment_change_contract_date_once",
                violation_error_message=_("Cet avenant modifie déjà cette date du contrat."),
            ),
            models.UniqueConstraint(
                fields=["amendment", "milestone"],
                condition=Q(milestone__isnull=False),
                name="amendment_change_milestone_once",
                violation_error_message=_("Cet avenant modifie déjà ce jalon."),
            ),
            models.UniqueConstraint(
                fields=["amendment", "target"],
                condition=Q(target__isnull=False),
                name="amendment_change_target_once",
                violation_error_message=_("Cet avenant modifie déjà cette cible."),
            ),
        ]

    def __str__(self):
        return f"{self.amendment} · {self.get_kind_display()}"

    @property
    def old(self):
        return self.old_date if self.kind in DATE_KINDS else self.old_value

    @property
    def new(self):
        return self.new_date if self.kind in DATE_KINDS else self.new_value

    def clean(self):
        errors = {}
        dated = self.kind in DATE_KINDS
        if self.kind == ChangeKind.MILESTONE_DUE and not self.milestone_id:
            errors["milestone"] = _("Indiquez le jalon dont l'avenant change l'échéance.")
        if self.kind == ChangeKind.TARGET_VALUE and not self.target_id:
            errors["target"] = _("Indiquez la cible dont l'avenant change la valeur.")
        if self.kind != ChangeKind.MILESTONE_DUE and self.milestone_id:
            errors["milestone"] = _("Seul un changement d'échéance désigne un jalon.")
        if self.kind != ChangeKind.TARGET_VALUE and self.target_id:
            errors["target"] = _("Seul un changement de cible désigne une cible.")
        if dated and (self.old_date is None or self.new_date is None):
            errors["new_date"] = _("Un changement de date porte l'ancienne et la nouvelle date.")
        if not dated and (self.old_value is None or self.new_value is None):
            errors["new_value"] = _("Un changement de cible porte l'ancienne et la nouvelle valeur.")
        if self.amendment_id and self.milestone_id and self.milestone.contract_id != self.amendment.contract_id:
            errors["milestone"] = _("Le jalon modifié doit appartenir au contrat de l'avenant.")
        if (
            self.amendment_id
            and self.target_id
            and not self.amendment.contract.indicators.filter(pk=self.target.indicator_id).exists()
        ):
            errors["target"] = _("La cible modifiée doit être celle d'un indicateur lié au contrat de l'avenant.")
        if errors:
            raise ValidationError(errors)
