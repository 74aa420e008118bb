"""The dashboard's answer: progress per axis and phase, contract execution, late
milestones and measurements waiting for validation."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from strategy.api.serializers import RollupSerializer


class DashboardAxisSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    rollup = RollupSerializer()


class DashboardPhaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    rollup = RollupSerializer()
    without_target = serializers.IntegerField(source="rollup_without_target")


class DashboardContractSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    committed = serializers.DecimalField(source="fig_committed", max_digits=None, decimal_places=2, allow_null=True)
    disbursed = serializers.DecimalField(source="fig_disbursed", max_digits=None, decimal_places=2, allow_null=True)
    execution_rate = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    milestone_completion = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    milestones_late = serializers.IntegerField(source="fig_milestones_late", allow_null=True)


class DashboardSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    axes = DashboardAxisSerializer(many=True)
    phases = DashboardPhaseSerializer(many=True)
    current_phase = serializers.SerializerMethodField()
    contracts = DashboardContractSerializer(many=True)
    late_milestones = serializers.IntegerField()
    waiting_validation = serializers.IntegerField()
    data_late = serializers.IntegerField(
        help_text=_("Indicateurs dont le prochain rapport est en retard (somme des axes).")
    )

    @extend_schema_field(serializers.CharField(allow_null=True, help_text=_("Code de la phase en cours.")))
    def get_current_phase(self, obj):
        return obj.current_phase.code if obj.current_phase is not None else None
