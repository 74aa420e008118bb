"""The API's indicator list reads ``values()`` rows through the read-only
IndicatorListSerializer: the JSON must stay byte for byte what IndicatorSerializer
(model instances, DRF's field machinery) answered, for every filter, ordering, page,
``as_of`` and kind of figure; detail, export and the OpenAPI schema keep
IndicatorSerializer."""

import datetime as dt
import io
import json
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from artisanat.api.viewsets import ReadOnlyViewSet
from artisanat.choices import OrganisationKind
from artisanat.models import Organisation
from strategy import services
from strategy.api import serializers as s
from strategy.api.views import IndicatorViewSet
from strategy.choices import Aggregation, Direction, MeasurementStatus, Unit
from strategy.models import Indicator, Measurement, Target


def _validated(indicator, organisation, by, validator, year, **values):
    m = Measurement(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        organisation=organisation,
        **values,
    )
    services.save_measurement(m, by=by, reason="Saisie (test)")
    services.submit_measurement(m, by=by)
    services.validate_measurement(m, by=validator)
    assert Measurement.objects.get(pk=m.pk).status == MeasurementStatus.VALIDATED
    return m


@pytest.fixture
def varied(make_indicator, indicator, indicator_b, org_a, org_b, partner_a, validator, editor, validated_b, target):
    """Every kind of row: sums with and without data, an average whose figures need
    rounding, a decreasing "latest" without programme (Arabic name, odd baseline and
    weight), a ratio, several reporters out of acronym order, breakdown dimensions."""
    early = Organisation.objects.create(acronym="AAA", name="Première", kind=OrganisationKind.FEDERATION)
    _validated(indicator, org_a, partner_a, validator, 2022, value=D("7"))
    _validated(indicator, org_a, partner_a, validator, 2023, value=D("5"))
    average = make_indicator(code="IND-AVG", aggregation=Aggregation.AVERAGE, reporters=[org_a, early])
    for year, value in ((2021, "1"), (2022, "2"), (2023, "2")):
        _validated(average, org_a, partner_a, validator, year, value=D(value))
    services.save_target(
        Target(indicator=average, due_date=dt.date(2030, 12, 31), value=D("7")), by=editor, reason="Saisie (test)"
    )
    services.save_target(
        Target(indicator=average, due_date=dt.date(2024, 12, 31), value=D("3")), by=editor, reason="Saisie (test)"
    )
    latest = make_indicator(
        code="IND-LVL",
        name="Taux d'abandon",
        name_ar="معدل الانقطاع",
        definition="Part des artisans qui cessent leur activité",
        programme=None,
        aggregation=Aggregation.LATEST,
        direction=Direction.DECREASE,
        unit=Unit.PERCENT,
        baseline_value=D("100.1235"),
        weight=D("2.50"),
        reporters=[org_a],
    )
    _validated(latest, org_a, partner_a, validator, 2022, value=D("90.3333"))
    services.save_target(
        Target(indicator=latest, due_date=dt.date(2030, 12, 31), value=D("33.3333")),
        by=editor,
        reason="Saisie (test)",
    )
    ratio = make_indicator(code="IND-RAT", aggregation=Aggregation.RATIO, unit=Unit.PERCENT, reporters=[org_a])
    _validated(ratio, org_a, partner_a, validator, 2023, numerator=D("1"), denominator=D("3"))
    services.save_target(
        Target(indicator=ratio, due_date=dt.date(2030, 12, 31), value=D("0.9")), by=editor, reason="Saisie (test)"
    )
    make_indicator(code="IND-DIM", by_region=True, by_sex=True, by_actor_type=True, reporters=[org_b, org_a, early])


def _answers(client, url, monkeypatch):
    """(the read-only list's answer, the answer of IndicatorSerializer over model instances)."""
    fast = client.get(url)
    with monkeypatch.context() as patch:
        patch.setattr(IndicatorViewSet, "list", ReadOnlyViewSet.list)
        reference = client.get(url)
    return fast, reference


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?as_of=2022-12-31",
        "?as_of=2020-06-30",
        "?ordering=-code",
        "?ordering=programme__code,name",
        "?page_size=2",
        "?page_size=2&page=3",
        "?axis_number=1",
        "?reporting_organisation_acronym=AAA",
        "?q=IND-",
        "?aggregation=ratio",
        "?code=nothing-like-it",
    ],
)
def test_the_list_answers_the_same_bytes_as_the_model_serializer(varied, as_viewer, monkeypatch, query):
    fast, reference = _answers(as_viewer, f"/api/v1/indicators/{query}", monkeypatch)
    assert fast.status_code == reference.status_code == 200
    assert fast["Content-Type"] == reference["Content-Type"]
    assert fast.content == reference.content
    if query == "":
        rows = {row["code"]: row for row in fast.json()["results"]}
        assert len(rows) == 6
        # the cases the comparison is about are there: rounding, nulls, Arabic, order of reporters
        assert rows["IND-AVG"]["achieved"] == "1.6667"
        assert rows["IND-AVG"]["reporting_organisation_acronyms"] == ["AAA", "FCA"]  # by acronym, not insertion
        assert rows["IND-RAT"]["achieved"] == "33.3333"  # a ratio reads in %
        assert rows["IND-LVL"]["programme"] is None and rows["IND-LVL"]["programme_code"] is None
        assert rows["IND-LVL"]["baseline_value"] == "100.1235" and rows["IND-LVL"]["weight"] == "2.50"
        assert rows["IND-DIM"]["achieved"] is None and rows["IND-DIM"]["dimensions"] == ["region", "sex", "actor_type"]
        assert rows["IND-DIM"]["reporting_organisation_acronyms"] == sorted(
            rows["IND-DIM"]["reporting_organisation_acronyms"]
        )
        assert "معدل".encode() in fast.content  # not \\u-escaped


def test_a_partner_reads_the_same_list_and_a_stranger_none(varied, as_partner_a, anonymous, api, monkeypatch):
    fast, reference = _answers(as_partner_a, "/api/v1/indicators/", monkeypatch)
    assert fast.status_code == 200 and fast.content == reference.content and fast.json()["count"] == 6
    refused = api().get("/api/v1/indicators/")
    assert refused.status_code in (401, 403) and "results" not in refused.json()


def test_the_list_issues_the_same_queries_as_before_whatever_the_page(varied, as_viewer, monkeypatch, settings):
    # The throttle's shared counts (the same few statements on every API request,
    # tests/artisanat/test_throttling.py) stay out of this count of the list's own queries.
    settings.CACHES = {**settings.CACHES, "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    for url in ("/api/v1/indicators/", "/api/v1/indicators/?page_size=1"):
        with CaptureQueriesContext(connection) as fast:
            as_viewer.get(url)
        with monkeypatch.context() as patch, CaptureQueriesContext(connection) as reference:
            patch.setattr(IndicatorViewSet, "list", ReadOnlyViewSet.list)
            as_viewer.get(url)
        # the token, the count, the page's rows, the page's reporting organisations
        assert len(fast) == len(reference) == 4, [q["sql"][:60] for q in fast]


def test_detail_and_export_keep_the_model_serializer(varied, as_viewer, monkeypatch):
    listed = as_viewer.get("/api/v1/indicators/?code=IND-AVG").json()["results"][0]
    detail = as_viewer.get(f"/api/v1/indicators/{listed['id']}/")
    # The detail adds the breakdowns by each declared dimension (none here) to the list's fields.
    assert detail.status_code == 200 and detail.json() == {**listed, "breakdowns": {}}
    csv = as_viewer.get("/api/v1/indicators/?format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv") and b"IND-AVG" in csv.content


def test_the_read_only_serializer_follows_the_model_serializer_s_fields():
    keys = [key for key, _source, _format in s.IndicatorListSerializer.formats()]
    assert keys == s.IndicatorSerializer.Meta.fields
    assert set(s.IndicatorListSerializer.SOURCES) == set(s.IndicatorSerializer.Meta.fields)


def test_the_schema_still_describes_the_list_with_the_model_serializer():
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    document = json.loads(out.getvalue())
    listed = document["paths"]["/api/v1/indicators/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"]["$ref"] == "#/components/schemas/PaginatedIndicatorList"
    page = document["components"]["schemas"]["PaginatedIndicatorList"]["properties"]["results"]
    assert page["items"]["$ref"] == "#/components/schemas/Indicator"
    assert list(document["components"]["schemas"]["Indicator"]["properties"]) == s.IndicatorSerializer.Meta.fields


def _outcome(function, value):
    """What ``function(value)`` answers, or the class of what it raises (a figure too
    long for a field's max_digits fails in both)."""
    try:
        return function(value)
    except Exception as error:
        return type(error)


@pytest.mark.parametrize(
    "value",
    [D("1.23445"), D("1.23455"), D("-2.00005"), D("0"), D("-0.00001"), D("12345678901.99995"), D("1E+3"), 7, 2.675],
)
def test_decimals_and_dates_are_formatted_as_drf_formats_them(value):
    """The formats resolved once give what each IndicatorSerializer field's own
    to_representation gives (ties, signs, exponents, ints and floats included)."""
    fields = s.IndicatorSerializer().fields
    formats = {key: fmt for key, _source, fmt in s.IndicatorListSerializer.formats()}
    decimals = [key for key, field in fields.items() if field.__class__.__name__ == "DecimalField"]
    assert {"baseline_value", "weight", "achieved", "progress"} <= set(decimals)
    for key in decimals:
        assert _outcome(formats[key], value) == _outcome(fields[key].to_representation, value), key
    for key in ("baseline_date", "as_of", "forecast_date"):
        assert formats[key](dt.date(2030, 1, 9)) == fields[key].to_representation(dt.date(2030, 1, 9)) == "2030-01-09"
    assert formats["status"]("on_track") == fields["status"].to_representation("on_track")


def _direct(as_of):
    """The list's results computed here, from a queryset built afresh (no cache)."""
    queryset = (
        Indicator.objects.with_figures(as_of)
        .select_related("axis", "programme")
        .prefetch_related("reporting_organisations")
        .order_by("code")
    )
    return json.loads(JSONRenderer().render(s.IndicatorSerializer(queryset, many=True).data))


def test_figures_built_once_per_date_answer_each_date_and_new_rows(
    varied, as_viewer, make_indicator, org_a, partner_a, validator
):
    """The with_figures queryset is built once per as_of and process: each date still
    answers its own figures (not the first date's), and rows added later are read."""
    dates = [dt.date(2022, 12, 31), dt.date(2023, 12, 31), dt.date(2022, 12, 31), timezone.localdate()]
    seen = []
    for as_of in dates:
        results = as_viewer.get(f"/api/v1/indicators/?as_of={as_of.isoformat()}").json()["results"]
        assert results == _direct(as_of)
        seen.append({row["code"]: row["achieved"] for row in results})
    assert seen[0] == seen[2] != seen[1]
    assert seen[0]["IND-FORM"] == "7.0000" and seen[1]["IND-FORM"] == "12.0000"
    late = make_indicator(code="IND-NEW", reporters=[org_a])
    _validated(late, org_a, partner_a, validator, 2022, value=D("4"))
    results = as_viewer.get("/api/v1/indicators/?as_of=2022-12-31").json()["results"]
    assert results == _direct(dt.date(2022, 12, 31))
    assert {row["code"]: row["achieved"] for row in results}["IND-NEW"] == "4.0000"


def test_list_and_detail_give_frequency_and_report_delay(make_indicator, as_viewer):
    ind = make_indicator(code="IND-MOIS", frequency="monthly", report_delay_days=15)
    listed = as_viewer.get("/api/v1/indicators/", {"code": "IND-MOIS"}).json()["results"]
    assert [(i["code"], i["frequency"], i["report_delay_days"]) for i in listed] == [("IND-MOIS", "monthly", 15)]
    detail = as_viewer.get(f"/api/v1/indicators/{ind.pk}/").json()
    assert (detail["frequency"], detail["report_delay_days"]) == ("monthly", 15)
