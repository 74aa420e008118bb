"""Serializers of the strategy: structure with roll-ups, indicators with their figures,
targets and measurements (written through strategy.services)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from artisanat import permissions
from artisanat.api.serializers import RollupSerializer, ServiceModelSerializer
from strategy import services
from strategy.choices import TrajectoryStatus
from strategy.models import Action, Axis, Indicator, Measurement, Phase, Programme, Strategy, Target


def figure(decimal_places=4, **kwargs):
    """A computed Decimal, read-only, a string in JSON; null means "no data" (not 0)."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=decimal_places, read_only=True, allow_null=True, **kwargs
    )


def code_of(source):
    return serializers.CharField(source=source, read_only=True, allow_null=True, default=None)


class StrategySerializer(serializers.ModelSerializer):
    class Meta:
        model = Strategy
        fields = ["id", "name", "name_ar", "start_date", "end_date", "source"]


class PhaseSerializer(serializers.ModelSerializer):
    rollup = RollupSerializer(
        read_only=True, help_text=_("Avancement des indicateurs au regard des cibles de fin de phase.")
    )
    without_target = serializers.IntegerField(source="rollup_without_target", read_only=True)

    class Meta:
        model = Phase
        fields = [
            "id",
            "strategy",
            "code",
            "name",
            "name_ar",
            "order",
            "start_date",
            "end_date",
            "source",
            "rollup",
            "without_target",
        ]


class AxisSerializer(serializers.ModelSerializer):
    rollup = RollupSerializer(read_only=True)

    class Meta:
        model = Axis
        fields = ["id", "strategy", "number", "title", "title_ar", "description", "rollup"]


class ProgrammeSerializer(serializers.ModelSerializer):
    axis_number = serializers.IntegerField(source="axis.number", read_only=True)
    rollup = RollupSerializer(read_only=True)

    class Meta:
        model = Programme
        fields = ["id", "axis", "axis_number", "code", "title", "title_ar", "objective", "rollup"]


class ActionSerializer(serializers.ModelSerializer):
    programme_code = serializers.CharField(source="programme.code", read_only=True)
    phase_code = serializers.CharField(source="phase.code", read_only=True)
    lead_organisation_acronym = serializers.CharField(source="lead_organisation.acronym", read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "programme",
            "programme_code",
            "code",
            "title",
            "lead_organisation",
            "lead_organisation_acronym",
            "phase",
            "phase_code",
            "start_date",
            "end_date",
            "budget",
            "status",
            "progress",
            "note",
        ]


class IndicatorSerializer(serializers.ModelSerializer):
    axis_number = serializers.IntegerField(source="axis.number", read_only=True)
    programme_code = code_of("programme.code")
    reporting_organisation_acronyms = serializers.SerializerMethodField()
    dimensions = serializers.ListField(child=serializers.CharField(), read_only=True)
    as_of = serializers.DateField(source="fig_as_of", read_only=True)
    achieved = figure(help_text=_("Valeur atteinte (mesures validées) ; null = pas de données."))
    target_value = figure()
    target_date = serializers.DateField(source="fig_target_date", read_only=True, allow_null=True)
    expected = figure()
    progress = figure(2, help_text=_("Avancement vers la cible, en %, non borné."))
    status = serializers.ChoiceField(choices=TrajectoryStatus.choices, read_only=True)
    forecast_date = serializers.DateField(read_only=True, allow_null=True)
    latest_period_end = serializers.DateField(source="fig_latest_end", read_only=True, allow_null=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name",
            "name_ar",
            "definition",
            "axis",
            "axis_number",
            "programme",
            "programme_code",
            "unit",
            "direction",
            "aggregation",
            "baseline_value",
            "baseline_date",
            "baseline_source",
            "weight",
            "reporting_organisations",
            "reporting_organisation_acronyms",
            "dimensions",
            "as_of",
            "achieved",
            "target_value",
            "target_date",
            "expected",
            "progress",
            "status",
            "forecast_date",
            "latest_period_end",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reporting_organisation_acronyms(self, obj):
        return [o.acronym for o in obj.reporting_organisations.all()]


class TargetSerializer(ServiceModelSerializer):
    service = staticmethod(services.save_target)
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    region_code = code_of("region.code")
    filiere_code = code_of("filiere.code")

    class Meta:
        model = Target
        fields = [
            "id",
            "indicator",
            "indicator_code",
            "due_date",
            "value",
            "region",
            "region_code",
            "filiere",
            "filiere_code",
            "source",
            "version",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["version", "updated_at"]


class MeasurementSerializer(ServiceModelSerializer):
    """A reported value. ``status`` moves only through the workflow actions; a partner's
    ``organisation`` is its own (set from its membership)."""

    service = staticmethod(services.save_measurement)
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    region_code = code_of("region.code")
    filiere_code = code_of("filiere.code")
    organisation_acronym = serializers.CharField(source="organisation.acronym", read_only=True)
    reported_by = serializers.CharField(source="reported_by.username", read_only=True, allow_null=True, default=None)
    validated_by = serializers.CharField(source="validated_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "indicator",
            "indicator_code",
            "period_start",
            "period_end",
            "value",
            "numerator",
            "denominator",
            "region",
            "region_code",
            "filiere",
            "filiere_code",
            "sex",
            "actor_type",
            "source",
            "organisation",
            "organisation_acronym",
            "reported_by",
            "status",
            "status_reason",
            "validated_by",
            "validated_at",
            "version",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["status", "status_reason", "validated_at", "version", "created_at", "updated_at"]
        extra_kwargs = {
            # With what Measurement.clean() reads (its strategy's dates): no query per relation.
            "indicator": {"queryset": Indicator.objects.select_related("axis__strategy")},
            "organisation": {
                "required": False,
                "help_text": _("Obligatoire pour le ministère ; un partenaire rapporte pour sa propre organisation."),
            },
        }

    def validate(self, attrs):
        user = self.context["request"].user
        if self.instance is None and "organisation" not in attrs:
            if permissions.is_reporter(user):
                attrs["organisation"] = permissions.membership_of(user).organisation  # loaded with the user
            else:
                raise serializers.ValidationError({"organisation": [_("Indiquez l'organisation rapporteuse.")]})
        return attrs


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=True, help_text=_("Motif (obligatoire)."))


class OptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BulkValidateSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62), min_length=1, max_length=1000
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    status = serializers.CharField()
    ids = serializers.ListField(child=serializers.IntegerField())
