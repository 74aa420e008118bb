"""Contrats programmes and what they commit: parties, money, milestones, amendments."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Sum
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from artisanat.documents import DocumentField
from artisanat.figures import rate
from artisanat.models import Filiere, Organisation
from contracts import querysets
from contracts.choices import ContractKind, ContractStatus, MilestoneStatus, PartyRole
from strategy import figures
from strategy.models import Action, Axis, Indicator, Phase

AMOUNT = {"max_digits": 18, "decimal_places": 2}


class ContratProgramme(models.Model):
    """A signed contrat programme (or convention) that carries part of the strategy."""

    reference = models.CharField(_("référence"), max_length=40, unique=True)
    title = models.CharField(_("intitulé"), max_length=250)
    title_ar = models.CharField(_("intitulé (arabe)"), max_length=250, blank=True)
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
                condition=Q(signing_date__isnull=True) | ~Q(status=ContractStatus.DRAFT),
                name="contract_draft_not_signed",
                violation_error_message=_("Un contrat à l'état de projet n'a pas encore de date de signature."),
            ),
        ]

    def __str__(self):
        return f"{self.reference} — {self.title}"

    def clean(self):
        errors = {}
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
        return querysets.elapsed_share(self.start_date, self.end_date, self.fig_as_of)


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
        if self.pk and self.amount is not None and self.amount < self.disbursed_total():
            errors["amount"] = _(
                "Le montant engagé ne peut pas descendre sous ce qui a déjà été décaissé (%(total)s DH)."
            ) % {"total": self.disbursed_total()}
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
        ]

    def __str__(self):
        return f"{self.commitment} · {self.date:%d/%m/%Y} · {self.amount}"

    def clean(self):
        errors = {}
        if self.amount is not None and self.amount <= 0:
            errors["amount"] = _("Le montant décaissé doit être strictement positif.")
        if self.commitment_id and self.amount is not None:
            already = self.commitment.disbursed_total(exclude_pk=self.pk)
            if already + self.amount > self.commitment.amount:
                errors["amount"] = _(
                    "Ce décaissement porterait le total décaissé à %(total)s DH, au-delà des %(committed)s DH engagés."
                ) % {"total": already + self.amount, "committed": self.commitment.amount}
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
        ]

    def __str__(self):
        return f"{self.contract.reference} · avenant n° {self.number}"

    def clean(self):
        if not (self.changes_targets or self.changes_amounts or self.changes_dates):
            raise ValidationError(_("Un avenant modifie au moins les cibles, les montants ou les dates."))


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
