"""Serializers of the strategy: structure with roll-ups, indicators with their figures,
targets and measurements (written through strategy.services)."""

import decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from artisanat import permissions
from artisanat.api.documents import DocumentLinkField
from artisanat.api.serializers import RelatedCodeField, ServiceModelSerializer
from artisanat.history import author_label
from artisanat.models import Organisation
from strategy import services
from strategy.choices import ProgressSource, TrajectoryStatus
from strategy.models import (
    Action,
    Axis,
    Indicator,
    IndicatorComment,
    Measurement,
    Phase,
    Programme,
    Strategy,
    Target,
)
from strategy.querysets import stored_breakdowns


class RollupSerializer(serializers.Serializer):
    progress = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    status = serializers.CharField()
    with_data = serializers.IntegerField()
    without_data = serializers.IntegerField()
    without_target = serializers.IntegerField()
    status_counts = serializers.DictField(child=serializers.IntegerField())
    data_late = serializers.IntegerField(help_text=_("Indicateurs dont le prochain rapport est en retard."))


def figure(decimal_places=4, **kwargs):
    """A computed Decimal, read-only, a string in JSON; null means "no data" (not 0)."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=decimal_places, read_only=True, allow_null=True, **kwargs
    )


def code_of(source):
    return serializers.CharField(source=source, read_only=True, allow_null=True, default=None)


@extend_schema_field({"type": "string", "nullable": True})
class AuthorField(serializers.Field):
    """Who entered or validated a value, as the reader may know it: the username for
    ministry roles and the reader's own organisation, the organisation's acronym for
    anybody else (a partner never reads another organisation's people)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, default=None, **kwargs)

    def to_representation(self, user):
        request = self.context.get("request")
        return author_label(user, getattr(request, "user", None), full_name=False)


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


class ProgrammeSerializer(ServiceModelSerializer):
    """A programme with its roll-up; created and changed through
    strategy.services.save_programme (a reason, ``change_reason``, is required)."""

    service = staticmethod(services.save_programme)
    axis_number = serializers.IntegerField(source="axis.number", read_only=True)
    rollup = RollupSerializer(read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "axis",
            "axis_number",
            "code",
            "title",
            "title_ar",
            "objective",
            "rollup",
            "version",
            "change_reason",
        ]
        read_only_fields = ["version"]


class ActionSerializer(ServiceModelSerializer):
    """An action with its progress (strategy.figures.action_progress: from its linked
    indicators and milestones, or the value entered by hand when it has neither).
    Written through strategy.services.save_action: ``change_reason`` is required, and a
    manual progress that changes needs its own ``progress_reason``."""

    service = staticmethod(services.save_action)
    lead_organisation_acronym = RelatedCodeField("lead_organisation", "acronym")
    programme_code = serializers.CharField(source="programme.code", read_only=True)
    phase_code = serializers.CharField(source="phase.code", read_only=True)
    progress = figure(
        2,
        source="advancement.value",
        help_text=_("Avancement calculé, en % (voir progress_source) ; null = aucun avancement connu."),
    )
    progress_source = serializers.ChoiceField(
        source="advancement.source",
        choices=ProgressSource.choices,
        read_only=True,
        help_text=_("D'où vient l'avancement : indicators, milestones, both, manual (saisi à la main) ou none."),
    )
    indicators_progress = figure(2, source="advancement.indicators", help_text=_("Part des indicateurs liés, en %."))
    milestones_progress = figure(2, source="advancement.milestones", help_text=_("Part des jalons liés, en %."))
    manual_progress = serializers.DecimalField(
        source="progress",
        max_digits=5,
        decimal_places=2,
        min_value=decimal.Decimal(0),
        max_value=decimal.Decimal(100),
        required=False,
        allow_null=True,
        help_text=_(
            "Avancement saisi à la main, en % ; null = aucun. Ne compte qu'en l'absence d'indicateur et de jalon."
        ),
    )
    indicators = serializers.SerializerMethodField(
        help_text=_("Identifiants des indicateurs liés (rattachés depuis la page de l'action).")
    )

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
            "progress_source",
            "indicators_progress",
            "milestones_progress",
            "manual_progress",
            "progress_reason",
            "progress_date",
            "indicators",
            "note",
            "version",
            "change_reason",
        ]
        read_only_fields = ["version"]

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_indicators(self, action):
        return [indicator.pk for indicator in action.figure_indicators]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.progress_date is None:
            data["manual_progress"] = None  # nothing entered by hand (the column holds 0)
        return data

    def validate(self, attrs):
        if "progress" in attrs and attrs["progress"] is None:
            attrs["progress"] = decimal.Decimal(0)
        return attrs


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
    status_expected = figure(
        help_text=_("Valeur attendue à la fin de la dernière période validée : celle à laquelle le statut compare.")
    )
    status = serializers.ChoiceField(choices=TrajectoryStatus.choices, read_only=True)
    data_late = serializers.BooleanField(
        read_only=True, help_text=_("Le prochain rapport de l'indicateur est en retard à cette date.")
    )
    data_late_since = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("Date d'échéance du rapport en retard ; null sinon.")
    )
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
            "definition_ar",
            "axis",
            "axis_number",
            "programme",
            "programme_code",
            "action",
            "unit",
            "direction",
            "aggregation",
            "frequency",
            "report_delay_days",
            "baseline_value",
            "baseline_date",
            "baseline_source",
            "weight",
            "reporting_organisations",
            "reporting_organisation_acronyms",
            "public_from",
            "dimensions",
            "as_of",
            "achieved",
            "target_value",
            "target_date",
            "expected",
            "progress",
            "status_expected",
            "status",
            "data_late",
            "data_late_since",
            "forecast_date",
            "latest_period_end",
            "version",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reporting_organisation_acronyms(self, obj):
        return [o.acronym for o in obj.reporting_organisations.all()]


class IndicatorWriteSerializer(ServiceModelSerializer):
    """Create or change an indicator (strategy.services.save_indicator, with a reason;
    If-Match to change one). The axis, programme, action and reporting organisations
    are ids, as everywhere in this API; the answer is the indicator with its figures
    (IndicatorSerializer). A change its recorded measurements do not follow (breakdown,
    aggregation, frequency) is refused, the rows named."""

    service = staticmethod(services.save_indicator)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name",
            "name_ar",
            "definition",
            "definition_ar",
            "axis",
            "programme",
            "action",
            "unit",
            "direction",
            "aggregation",
            "frequency",
            "report_delay_days",
            "baseline_value",
            "baseline_date",
            "baseline_source",
            "weight",
            "reporting_organisations",
            "by_region",
            "by_filiere",
            "by_sex",
            "by_actor_type",
            "version",
            "change_reason",
        ]
        read_only_fields = ["version"]
        extra_kwargs = {
            # With what Indicator.clean() reads (the axis's strategy, the programme's axis,
            # the action's programme): no query per relation.
            "axis": {"queryset": Axis.objects.select_related("strategy")},
        }


class BreakdownRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text=_("Région ou filière (id) ; null pour le sexe et le type d'acteur.")
    )
    code = serializers.CharField(help_text=_("Code de la région ou de la filière, valeur du sexe ou du type d'acteur."))
    name = serializers.CharField()
    name_ar = serializers.CharField(allow_blank=True)
    achieved = figure()


class BreakdownsSerializer(serializers.Serializer):
    region = BreakdownRowSerializer(many=True, required=False)
    filiere = BreakdownRowSerializer(many=True, required=False)
    sex = BreakdownRowSerializer(many=True, required=False)
    actor_type = BreakdownRowSerializer(many=True, required=False)


class IndicatorDetailSerializer(IndicatorSerializer):
    """One indicator: its figures in the scope asked, and the achieved value by each
    declared dimension (``breakdowns``, keyed by dimension, national, as of ``as_of``:
    strategy.querysets.stored_breakdowns, one query)."""

    breakdowns = serializers.SerializerMethodField()

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "breakdowns"]

    @extend_schema_field(BreakdownsSerializer)
    def get_breakdowns(self, obj):
        stored = stored_breakdowns(obj, obj.dimensions, obj.fig_as_of)
        return {
            dimension: BreakdownRowSerializer(
                [{**row, "id": row["key"] if dimension in ("region", "filiere") else None} for row in rows],
                many=True,
            ).data
            for dimension, rows in stored.items()
        }


# ------------------------------------------------- the indicator list, read-only


class IndicatorRow:
    """One ``values()`` row of ``Indicator.objects.with_figures()`` answering the
    Indicator's figure properties with the model's own functions (the same formulas,
    strategy.figures), without building a model instance."""

    def __init__(self, row):
        self.__dict__.update(row)


for _name in (
    "_need_figures",
    "achieved",
    "has_data",
    "without_phase_target",
    "target_value",
    "figure_baseline",
    "progress",
    "expected",
    "status_expected",
    "performance",
    "status",
    "data_late_since",
    "data_late",
    "forecast_date",
    "dimensions",
):
    setattr(IndicatorRow, _name, Indicator.__dict__[_name])


def _decimal_text(field):
    """``field.to_representation`` of a DecimalField (a string, never localised), with
    its options read once instead of on every value."""
    if (
        field.decimal_places is None
        or field.localize
        or field.normalize_output
        or not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    ):
        return field.to_representation
    exponent = decimal.Decimal(".1") ** field.decimal_places
    max_digits, rounding = field.max_digits, field.rounding

    def text(value):
        if not isinstance(value, decimal.Decimal):
            value = decimal.Decimal(str(value).strip())
        context = decimal.getcontext().copy()
        if max_digits is not None:
            context.prec = max_digits
        return f"{value.quantize(exponent, rounding=rounding, context=context):f}"

    return text


def _date_text(field):
    """``field.to_representation`` of a DateField in ISO 8601, without the per-value lookups."""
    if getattr(field, "format", api_settings.DATE_FORMAT) != ISO_8601:
        return field.to_representation
    return lambda value: value if isinstance(value, str) else value.isoformat()


class IndicatorListSerializer(serializers.BaseSerializer):
    """The indicator list's page, read-only: the same JSON as
    ``IndicatorSerializer(many=True)`` (the OpenAPI schema keeps describing that one),
    built from the ``values()`` rows of the same queryset (``rows()``) with each field's
    source and format resolved once per process, not per row; the reporting
    organisations of the page in one query (as the prefetch did). Detail and export keep
    IndicatorSerializer."""

    # output key → the values() key it reads, or a property of IndicatorRow (None)
    SOURCES = {
        "id": "id",
        "code": "code",
        "name": "name",
        "name_ar": "name_ar",
        "definition": "definition",
        "definition_ar": "definition_ar",
        "axis": "axis",
        "axis_number": "axis__number",
        "programme": "programme",
        "programme_code": "programme__code",
        "action": "action",
        "unit": "unit",
        "direction": "direction",
        "aggregation": "aggregation",
        "frequency": "frequency",
        "report_delay_days": "report_delay_days",
        "baseline_value": "baseline_value",
        "baseline_date": "baseline_date",
        "public_from": "public_from",
        "baseline_source": "baseline_source",
        "weight": "weight",
        "reporting_organisations": None,
        "reporting_organisation_acronyms": None,
        "dimensions": None,
        "as_of": "fig_as_of",
        "achieved": None,
        "target_value": None,
        "target_date": "fig_target_date",
        "expected": None,
        "progress": None,
        "status_expected": None,
        "status": None,
        "data_late": None,
        "data_late_since": None,
        "forecast_date": None,
        "latest_period_end": "fig_latest_end",
        "version": "version",
    }
    ROW_FIELDS = [
        *(name for name in SOURCES.values() if name and not name.startswith("fig_")),
        "by_region",
        "by_filiere",
        "by_sex",
        "by_actor_type",
        "frequency",
        "report_delay_days",
    ]
    _formats = None

    @classmethod
    def rows(cls, queryset):
        """The ``values()`` rows of ``queryset`` (filtered, ordered, with figures) that the
        page is read from: the model's columns, the codes of axis and programme, and
        every figure annotation."""
        figure_names = [name for name in queryset.query.annotations if name.startswith("fig_")]
        return queryset.prefetch_related(None).values(*cls.ROW_FIELDS, *figure_names)

    @classmethod
    def formats(cls):
        """``[(key, source, format)]`` in IndicatorSerializer's order, from its own fields:
        decimals and dates formatted as it does; plain values (strings, numbers, ids,
        lists) as they are."""
        if cls._formats is None:
            fields = IndicatorSerializer().fields
            formats = []
            for key, field in fields.items():
                if field.write_only:
                    continue
                if isinstance(field, serializers.DecimalField):
                    fmt = _decimal_text(field)
                elif isinstance(field, serializers.DateField):
                    fmt = _date_text(field)
                elif isinstance(field, serializers.ChoiceField):
                    fmt = field.to_representation
                else:
                    fmt = None
                formats.append((key, cls.SOURCES[key], fmt))
            cls._formats = formats
        return cls._formats

    def to_representation(self, rows):
        rows = list(rows)
        organisations, acronyms = {}, {}
        if rows:
            through = Indicator.reporting_organisations.through
            ordering = [
                f"-organisation__{name[1:]}" if name.startswith("-") else f"organisation__{name}"
                for name in Organisation._meta.ordering
            ]
            links = (
                through.objects.filter(indicator_id__in=[row["id"] for row in rows])
                .order_by(*ordering)
                .values_list("indicator_id", "organisation_id", "organisation__acronym")
            )
            for indicator_id, organisation_id, acronym in links:
                organisations.setdefault(indicator_id, []).append(organisation_id)
                acronyms.setdefault(indicator_id, []).append(acronym)
        formats = self.formats()
        results = []
        for row in rows:
            figures = IndicatorRow(row)
            computed = {
                "reporting_organisations": organisations.get(row["id"], []),
                "reporting_organisation_acronyms": acronyms.get(row["id"], []),
            }
            item = {}
            for key, source, fmt in formats:
                if source is not None:
                    value = row[source]
                elif key in computed:
                    value = computed[key]
                else:
                    value = getattr(figures, key)
                item[key] = value if value is None or fmt is None else fmt(value)
            results.append(item)
        return results


class TargetSerializer(ServiceModelSerializer):
    service = staticmethod(services.save_target)
    indicator_code = RelatedCodeField("indicator", "code")
    region_code = RelatedCodeField("region", "code")
    filiere_code = RelatedCodeField("filiere", "code")

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
    reason_optional_on_create = True  # a new draft may come without one: "Création"
    indicator_code = RelatedCodeField("indicator", "code")
    region_code = RelatedCodeField("region", "code")
    filiere_code = RelatedCodeField("filiere", "code")
    organisation_acronym = RelatedCodeField("organisation", "acronym")
    blank_as_null = ("sex", "actor_type")
    reported_by = AuthorField()
    validated_by = AuthorField()
    evidence = DocumentLinkField(
        "api:measurement-evidence",
        "evidence",
        help_text="FR : adresse de la pièce justificative (GET ; PUT pour la déposer), null s'il n'y en a pas. "
        "/ EN: address of the evidence (GET; PUT to upload it), null when there is none.",
    )

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
            "evidence",
            "evidence_name",
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
        read_only_fields = [
            "status",
            "status_reason",
            "evidence_name",
            "validated_at",
            "version",
            "created_at",
            "updated_at",
        ]
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
    dry_run = serializers.BooleanField(
        help_text=_("Vrai pour ?dry_run=1 : rien n'a été enregistré (ids vide), « created » dit ce qui le serait.")
    )


class IndicatorCommentSerializer(ServiceModelSerializer):
    """The comment written for an indicator and a reporting year, shown in the report.
    The indicator and the year are chosen at creation and never change."""

    service = staticmethod(services.save_indicator_comment)
    indicator_code = RelatedCodeField("indicator", "code")
    updated_by = AuthorField()

    class Meta:
        model = IndicatorComment
        fields = [
            "id",
            "indicator",
            "indicator_code",
            "year",
            "text",
            "text_ar",
            "version",
            "updated_by",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["version", "updated_at"]

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("indicator", "year"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: [_("L'indicateur et l'année d'un commentaire ne changent pas.")]}
                    )
        return super().validate(attrs)
