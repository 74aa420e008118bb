"""The dashboard's answer: progress per axis and phase, contract execution, late
milestones and measurements waiting for validation."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from strategy.api.serializers import RollupSerializer
from strategy.choices import ReportState


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


class DashboardOffTrackSerializer(serializers.Serializer):
    """One of the indicators furthest off track (the lowest performance first)."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    progress = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    performance = serializers.DecimalField(max_digits=None, decimal_places=4, allow_null=True)


class DashboardLateMilestoneSerializer(serializers.Serializer):
    """One of the milestones late the longest (the oldest due date first)."""

    id = serializers.IntegerField()
    contract = serializers.IntegerField(source="contract_id")
    contract_reference = serializers.CharField(source="contract.reference")
    title = serializers.CharField()
    due_date = serializers.DateField()
    days_late = serializers.IntegerField(min_value=0)


# ---------------------------------------------------------------- reporting calendar


class RatesSerializer(serializers.Serializer):
    """Completeness and timeliness of the due reports (strategy/calendar.py ``Rates``)."""

    expected = serializers.IntegerField(help_text=_("Rapports attendus (échus à la date)."))
    received = serializers.IntegerField(help_text=_("Rapports reçus (première soumission au plus tard à la date)."))
    on_time = serializers.IntegerField(help_text=_("Rapports reçus au plus tard à leur échéance."))
    completeness = serializers.DecimalField(
        max_digits=None, decimal_places=2, allow_null=True, help_text=_("Reçus ÷ attendus, en %.")
    )
    timeliness = serializers.DecimalField(
        max_digits=None, decimal_places=2, allow_null=True, help_text=_("Reçus à temps ÷ attendus, en %.")
    )


class ReportingSummarySerializer(serializers.Serializer):
    """The dashboard's reporting figures (portal.calendar.Summary): the rates and the
    reports overdue."""

    expected = serializers.IntegerField(source="rates.expected")
    received = serializers.IntegerField(source="rates.received")
    on_time = serializers.IntegerField(source="rates.on_time")
    completeness = serializers.DecimalField(
        source="rates.completeness", max_digits=None, decimal_places=2, allow_null=True
    )
    timeliness = serializers.DecimalField(source="rates.timeliness", max_digits=None, decimal_places=2, allow_null=True)
    overdue = serializers.IntegerField(help_text=_("Rapports échus et non reçus."))


class ExpectedReportSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(source="indicator_id")
    indicator_code = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_acronym = serializers.CharField()
    region = serializers.IntegerField(source="region_id", allow_null=True)
    period = serializers.CharField(source="period.label")
    period_start = serializers.DateField(source="period.start")
    period_end = serializers.DateField(source="period.end")
    frequency = serializers.CharField(source="period.frequency")
    due_date = serializers.DateField()
    submitted_on = serializers.DateField(allow_null=True)
    state = serializers.ChoiceField(choices=ReportState.choices)
    days_late = serializers.IntegerField(min_value=0)


class RatesRowSerializer(RatesSerializer):
    key = serializers.CharField(
        allow_null=True,
        help_text=_("L'id de l'organisation, de l'indicateur ou de la région, ou la période (début/fin)."),
    )
    label = serializers.CharField()


class RatesAnswerSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    by = serializers.ChoiceField(choices=["organisation", "indicator", "region", "period"])
    overall = RatesSerializer()
    results = RatesRowSerializer(many=True)


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
    reporting = ReportingSummarySerializer(help_text=_("Complétude et ponctualité du calendrier de rapportage."))
    strategy = RollupSerializer(
        source="overall", help_text=_("Avancement de la stratégie : le cumul de tous les indicateurs du périmètre.")
    )
    off_track = DashboardOffTrackSerializer(many=True, help_text=_("Les indicateurs les plus en retard."))
    oldest_late_milestones = DashboardLateMilestoneSerializer(
        many=True, help_text=_("Les jalons en retard depuis le plus longtemps.")
    )

    @extend_schema_field(serializers.CharField(allow_null=True, help_text=_("Code de la phase en cours.")))
    def get_current_phase(self, obj):
        return obj.current_phase.code if obj.current_phase is not None else None
