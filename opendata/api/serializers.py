"""What the public API answers: only what the ministry published, named by stable codes
(indicator code, region code, contract reference, axis number, phase code), never a
database id. Decimals are strings with a decimal point ("1250.0000"), dates ISO 8601,
choices their codes ("on_track", "signatory"): the same in every language.

The contracts' public summary holds parties, amounts, execution and milestones, and
nothing else: never the signed document, the sources, the notes, the signers."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.choices import ContractKind, ContractStatus, MilestoneStatus, PartyRole
from strategy.choices import Aggregation, Direction, Frequency, TrajectoryStatus, Unit


def figure(decimal_places=4, **kwargs):
    """A computed figure: a string, null when there is no data (which is not 0)."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=decimal_places, read_only=True, allow_null=True, **kwargs
    )


def text(**kwargs):
    return serializers.CharField(read_only=True, **kwargs)


class PublicReleaseSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text=_("Numéro de la publication des données ouvertes."))
    date = serializers.DateField(help_text=_("Date de la publication (AAAA-MM-JJ)."))


class PublicTargetSerializer(serializers.Serializer):
    due_date = serializers.DateField()
    value = figure()


class PublicIndicatorSerializer(serializers.Serializer):
    """A published indicator with its published figures as of ``as_of``."""

    code = text(help_text=_("Code de l'indicateur : son identifiant stable."))
    name = text()
    name_ar = text()
    definition = text()
    definition_ar = text()
    unit = serializers.ChoiceField(choices=Unit.choices, read_only=True)
    direction = serializers.ChoiceField(choices=Direction.choices, read_only=True)
    aggregation = serializers.ChoiceField(choices=Aggregation.choices, read_only=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices, read_only=True)
    axis = serializers.IntegerField(source="axis.number", read_only=True, help_text=_("Numéro de l'axe."))
    programme = serializers.CharField(
        source="programme.code", read_only=True, allow_null=True, default=None, help_text=_("Code du programme.")
    )
    baseline_value = figure()
    baseline_date = serializers.DateField(read_only=True)
    targets = PublicTargetSerializer(
        source="public_targets", many=True, read_only=True, help_text=_("Cibles nationales.")
    )
    dimensions = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("Ventilations : region, filiere, sex, actor_type.")
    )
    as_of = serializers.DateField(source="fig_as_of", read_only=True)
    achieved = figure(help_text=_("Valeur atteinte publiée ; null = pas de données."))
    target_value = figure()
    target_date = serializers.DateField(source="fig_target_date", read_only=True, allow_null=True)
    progress = figure(2, help_text=_("Avancement vers la cible, en %."))
    status = serializers.ChoiceField(choices=TrajectoryStatus.choices, read_only=True)
    latest_period_end = serializers.DateField(source="fig_latest_end", read_only=True, allow_null=True)
    public_from = serializers.DateField(read_only=True)
    release = PublicReleaseSerializer(read_only=True, allow_null=True)


class PublicRegionalIndicatorSerializer(serializers.Serializer):
    """A published indicator broken down by region, with its figures in one region."""

    region = serializers.CharField(read_only=True, help_text=_("Code de la région."))
    code = text()
    name = text()
    name_ar = text()
    unit = serializers.ChoiceField(choices=Unit.choices, read_only=True)
    direction = serializers.ChoiceField(choices=Direction.choices, read_only=True)
    aggregation = serializers.ChoiceField(choices=Aggregation.choices, read_only=True)
    as_of = serializers.DateField(source="fig_as_of", read_only=True)
    achieved = figure()
    target_value = figure()
    target_date = serializers.DateField(source="fig_target_date", read_only=True, allow_null=True)
    progress = figure(2)
    status = serializers.ChoiceField(choices=TrajectoryStatus.choices, read_only=True)
    latest_period_end = serializers.DateField(source="fig_latest_end", read_only=True, allow_null=True)


class PublicSeriesRowSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = figure(help_text=_("Valeur de la période (pour un ratio : en %) ; null = pas de valeur."))
    numerator = figure()
    denominator = figure()


class PublicBreakdownRowSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=["region", "filiere", "sex", "actor_type"])
    code = serializers.CharField(help_text=_("Code de la région, de la filière, du sexe ou du type d'acteur."))
    name = serializers.CharField()
    name_ar = serializers.CharField(allow_blank=True)
    achieved = figure()


class PublicRollupSerializer(serializers.Serializer):
    progress = figure(2)
    status = serializers.CharField()
    with_data = serializers.IntegerField()
    without_data = serializers.IntegerField()
    without_target = serializers.IntegerField()
    status_counts = serializers.DictField(child=serializers.IntegerField())


class PublicAxisSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True)
    title = text()
    title_ar = text()
    description = text()
    rollup = PublicRollupSerializer(read_only=True, help_text=_("Avancement de ses indicateurs publiés."))
    indicators = serializers.SerializerMethodField(help_text=_("Codes de ses indicateurs publiés."))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_indicators(self, axis):
        return [i.code for i in axis.figure_indicators]


class PublicPhaseSerializer(serializers.Serializer):
    code = text()
    name = text()
    name_ar = text()
    order = serializers.IntegerField(read_only=True)
    start_date = serializers.DateField(read_only=True)
    end_date = serializers.DateField(read_only=True)
    rollup = PublicRollupSerializer(
        read_only=True, help_text=_("Avancement des indicateurs publiés au regard des cibles de fin de phase.")
    )
    without_target = serializers.IntegerField(
        source="rollup_without_target",
        read_only=True,
        help_text=_("Indicateurs publiés sans cible due à la fin de la phase."),
    )


class PublicRegionSerializer(serializers.Serializer):
    code = text(help_text=_("Code de la région (01 à 12)."))
    name = text()
    name_ar = text()


class PublicPartySerializer(serializers.Serializer):
    organisation = serializers.CharField(source="organisation.acronym", help_text=_("Sigle de l'organisation."))
    organisation_name = serializers.CharField(source="organisation.name")
    organisation_name_ar = serializers.CharField(source="organisation.name_ar")
    role = serializers.ChoiceField(choices=PartyRole.choices)


class PublicMilestoneSerializer(serializers.Serializer):
    title = serializers.CharField()
    title_ar = serializers.CharField()
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=MilestoneStatus.choices)


class PublicContractSerializer(serializers.Serializer):
    """A signed contract's public summary."""

    reference = text(help_text=_("Référence du contrat : son identifiant stable."))
    title = text()
    title_ar = text()
    kind = serializers.ChoiceField(choices=ContractKind.choices, read_only=True)
    phase = serializers.CharField(source="phase.code", read_only=True)
    filiere = serializers.CharField(source="filiere.code", read_only=True, allow_null=True, default=None)
    signing_date = serializers.DateField(read_only=True)
    start_date = serializers.DateField(read_only=True)
    end_date = serializers.DateField(read_only=True)
    status = serializers.ChoiceField(choices=ContractStatus.choices, read_only=True)
    parties = PublicPartySerializer(source="public_parties", many=True, read_only=True)
    as_of = serializers.DateField(source="fig_as_of", read_only=True)
    committed = figure(2, source="fig_committed", help_text=_("Montant engagé (DH) à la date."))
    disbursed = figure(2, source="fig_disbursed", help_text=_("Montant décaissé (DH) à la date."))
    execution_rate = figure(2, help_text=_("Décaissé ÷ engagé, en %."))
    time_elapsed = figure(2, help_text=_("Part de la durée du contrat écoulée à la date, en %."))
    milestones = PublicMilestoneSerializer(source="public_milestones", many=True, read_only=True)
