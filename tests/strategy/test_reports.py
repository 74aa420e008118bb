"""The performance report (issue 13, item 5): written comments, CSV / XLSX exports, the
quarterly review, and publishing (freezing) a report — its figures, comments and PDF —
then reopening it beside what the same report says today.

The worked case: IND-FORM counts artisans trained since 2021 (sum, baseline 0 at
31/12/2020), targets 400 due 31/12/2024, 500 due 31/12/2025, 1 000 due 31/12/2030.
Validated: 100 for 2023 and 150 for 2024, so the 2024 report says 100 + 150 = 250,00
achieved, targets 400,00 (2024) and 500,00 (2025), none for 2026 and 2027. The 2024 Q3
review (as of 30/09/2024) counts 2023 only: 100,00. A 2022 value of 50 validated after
publication makes today's 2024 figure 300,00 while the publication keeps 250,00."""

import csv
import datetime as dt
import hashlib
import html
import io
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from strategy import services
from strategy.choices import MeasurementStatus as S
from strategy.choices import ReportKind
from strategy.models import Indicator, IndicatorComment, Measurement, ReportPublication, Target
from strategy.reports import ReportSpec
from tests.api_fixtures import last_history

REPORT = "/strategie/rapport/"
PUBLICATIONS = "/strategie/rapport/publications/"


def measurement(indicator, org, year, value, status=S.VALIDATED, **extra):
    return Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        value=D(value),
        organisation=org,
        status=status,
        **extra,
    )


@pytest.fixture
def case(indicator, org_a, phases):
    for due, value in ((dt.date(2024, 12, 31), "400"), (dt.date(2025, 12, 31), "500"), (dt.date(2030, 12, 31), "1000")):
        Target.objects.create(indicator=indicator, due_date=due, value=D(value))
    measurement(indicator, org_a, 2023, "100")
    measurement(indicator, org_a, 2024, "150")
    return indicator


def comment_url(indicator, year=2024):
    return reverse("strategy:indicator_comment", args=[indicator.pk, year])


def row_of(body, code="IND-FORM"):
    return body.split(f'data-indicator="{code}"')[1].split("</tr>")[0]


# ---------------------------------------------------------------- the report page


def test_report_shows_the_figures_and_says_when_no_comment_is_written(client, viewer, case):
    client.force_login(viewer)
    body = client.get(REPORT, {"year": "2024"}).content.decode()
    row = row_of(body)
    assert "250,00" in row and "400,00" in row and "500,00" in row
    assert "Aucun commentaire rédigé" in row
    assert "Rédiger le commentaire" not in row  # a viewer reads, does not write
    figures = Indicator.objects.with_figures(dt.date(2024, 12, 31)).get(pk=case.pk)
    assert figures.achieved == D("250")  # the same queryset the report reads


def test_editor_writes_the_comment_from_the_report_row_and_the_report_shows_it(client, editor, case):
    client.force_login(editor)
    row = row_of(client.get(REPORT, {"year": "2024"}).content.decode())
    assert "Rédiger le commentaire" in row and comment_url(case) in row
    response = client.post(
        comment_url(case), {"text": "Retard des sessions de Fès.", "text_ar": "", "reason": "Rapport 2024"}
    )
    assert response.status_code == 302
    comment = IndicatorComment.objects.get(indicator=case, year=2024)
    assert (comment.text, comment.version, comment.updated_by) == ("Retard des sessions de Fès.", 1, editor)
    assert last_history(comment).history_user == editor
    row = row_of(client.get(REPORT, {"year": "2024"}).content.decode())
    assert "Retard des sessions de Fès." in row and "Aucun commentaire rédigé" not in row
    assert "Historique" in row
    # Another year's report does not show it.
    assert "Aucun commentaire rédigé" in row_of(client.get(REPORT, {"year": "2023"}).content.decode())


def test_changing_a_comment_needs_a_reason_and_the_version_read(client, editor, validator, case):
    comment = services.save_indicator_comment(
        IndicatorComment(indicator=case, year=2024, text="Premier texte"), by=editor, reason="Saisie (test)"
    )
    client.force_login(validator)
    response = client.post(comment_url(case), {"text": "Second texte", "version": "1", "reason": ""})
    assert response.status_code == 400 and "Indiquez le motif" in response.content.decode()
    response = client.post(comment_url(case), {"text": "Second texte", "version": "1", "reason": "Chiffres revus"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.text, comment.version, comment.updated_by) == ("Second texte", 2, validator)
    assert [h.updated_by for h in comment.history.order_by("history_id")] == [editor, validator]
    assert last_history(comment).history_change_reason == "Chiffres revus"
    # A copy read at version 1 is now stale: refused, the newer text kept.
    response = client.post(comment_url(case), {"text": "Écrasé", "version": "1", "reason": "Ma version"})
    assert response.status_code == 409
    comment.refresh_from_db()
    assert comment.text == "Second texte"
    page = client.get(comment_url(case)).content.decode()
    assert "Chiffres revus" in page and "Premier texte" in page  # the history


def test_a_stale_comment_shows_the_stored_text_beside_the_typed_one(client, editor, validator, case):
    comment = services.save_indicator_comment(
        IndicatorComment(indicator=case, year=2024, text="Premier texte"), by=editor, reason="Premier jet"
    )
    comment.text = "Texte du valideur"
    services.save_indicator_comment(comment, by=validator, reason="Relecture", expected_version=1)
    client.force_login(editor)
    response = client.post(comment_url(case), {"text": "Mon texte", "version": "1", "reason": "Ma reprise"})
    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    stored = body.split('<tr data-field="text"')[1].split("</tr>")[0]
    assert "Texte du valideur" in stored and "Mon texte" in stored
    form = response.context["form"]
    assert form["text"].value() == "Mon texte" and str(form["version"].value()) == "2"
    assert response.context["comment"].text == "Texte du valideur"  # the page shows what is stored
    comment.refresh_from_db()
    assert (comment.text, comment.version) == ("Texte du valideur", 2)


@pytest.mark.parametrize("actor", ["viewer", "partner_a"])
def test_readers_read_a_comment_but_do_not_write_it(client, request, actor, editor, case):
    services.save_indicator_comment(
        IndicatorComment(indicator=case, year=2024, text="Texte"), by=editor, reason="Saisie (test)"
    )
    client.force_login(request.getfixturevalue(actor))
    page = client.get(comment_url(case))
    assert page.status_code == 200 and "Texte" in page.content.decode() and "<textarea" not in page.content.decode()
    assert (
        client.post(comment_url(case), {"text": "Autre", "version": "1", "reason": "Valeur à revoir"}).status_code
        == 403
    )
    assert IndicatorComment.objects.get().text == "Texte"


def test_comment_page_refuses_anonymous_and_role_less(client, case, django_user_model):
    assert client.get(comment_url(case)).status_code == 302
    assert client.post(comment_url(case), {"text": "x"}).status_code == 302
    client.force_login(django_user_model.objects.create_user("sans_role", password="x-long-password-123"))
    assert client.get(comment_url(case)).status_code == 403
    assert client.post(comment_url(case), {"text": "x"}).status_code == 403
    assert not IndicatorComment.objects.exists()


def test_a_comment_outside_the_strategy_years_is_not_found(client, editor, case):
    client.force_login(editor)
    assert client.get(comment_url(case, 2031)).status_code == 404
    assert client.post(comment_url(case, 2031), {"text": "x"}).status_code == 404


# ---------------------------------------------------------------- exports and parameters


def test_report_exports_the_same_rows_as_csv_and_xlsx(client, viewer, editor, case):
    services.save_indicator_comment(
        IndicatorComment(indicator=case, year=2024, text="Écart expliqué"), by=editor, reason="Saisie (test)"
    )
    client.force_login(viewer)
    response = client.get(REPORT, {"year": "2024", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="rapport-2024.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["programme"], row["indicator"], row["as_of"]) == ("P3.1", "IND-FORM", "2024-12-31")
    assert D(row["achieved"]) == D("250")
    assert (D(row["target_2024"]), D(row["target_2025"]), row["target_2026"], row["target_2027"]) == (
        D("400"),
        D("500"),
        "",
        "",
    )
    assert row["comment"] == "Écart expliqué"
    response = client.get(REPORT, {"year": "2024", "format": "xlsx"})
    assert response.status_code == 200 and 'filename="rapport-2024.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *values = list(sheet.values)
    assert len(values) == 1
    by_name = dict(zip(header, values[0], strict=True))
    assert by_name["indicator"] == "IND-FORM" and D(str(by_name["achieved"])) == D("250")
    assert D(str(by_name["target_2024"])) == D("400") and by_name["comment"] == "Écart expliqué"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"year": "abc"}, "year"),
        ({"year": "2031"}, "year"),  # the strategy runs 2021–2030
        ({"year": "2020", "format": "csv"}, "year"),  # an export never falls back to another year
        ({"quarter": "2025-Q5"}, "quarter"),
        ({"quarter": "2024-Q3", "year": "2025"}, "quarter"),
        ({"year": "2024", "format": "pdf"}, "format"),
    ],
)
def test_a_report_parameter_that_cannot_be_read_is_a_400_naming_it(client, viewer, case, settings, query, name):
    settings.DEBUG = False
    client.force_login(viewer)
    response = client.get(REPORT, query)
    assert response.status_code == 400
    assert f"« {name} »" in response.content.decode()


def test_quarterly_review_is_the_report_as_of_the_quarters_end(client, viewer, case):
    client.force_login(viewer)
    body = client.get(REPORT, {"quarter": "2024-Q3"}).content.decode()
    assert "Revue trimestrielle T3 2024" in body and "30/09/2024" in body
    row = row_of(body)
    assert "100,00" in row and "250,00" not in row  # the 2024 value ends after 30/09/2024
    response = client.get(REPORT, {"quarter": "2024-Q3", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (rows[0]["as_of"], D(rows[0]["achieved"])) == ("2024-09-30", D("100"))


# ---------------------------------------------------------------- publishing


def test_published_report_keeps_its_figures_beside_today_with_the_difference_marked(
    client, validator, editor, partner_a, case, org_a
):
    services.save_indicator_comment(
        IndicatorComment(indicator=case, year=2024, text="Avant publication"), by=editor, reason="Saisie (test)"
    )
    published_status = Indicator.objects.with_figures(dt.date(2024, 12, 31)).get(pk=case.pk).status
    client.force_login(validator)
    response = client.post(reverse("strategy:report_publish"), {"year": "2024", "reason": "Envoi au ministre"})
    assert response.status_code == 302
    publication = ReportPublication.objects.get()
    assert response["Location"] == reverse("strategy:publication_detail", args=[publication.pk])
    assert (publication.kind, publication.year, publication.quarter, publication.edition) == ("yearly", 2024, None, 1)
    assert (publication.as_of, publication.published_by, publication.reason) == (
        dt.date(2024, 12, 31),
        validator,
        "Envoi au ministre",
    )
    frozen = publication.figures["sections"][0]["rows"][0]
    assert (frozen["code"], frozen["achieved"], frozen["targets"][:2]) == (
        "IND-FORM",
        "250.0000",
        ["400.0000", "500.0000"],
    )
    assert (frozen["status"], frozen["comment"]) == (published_status, "Avant publication")

    # Later: a 2022 value arrives and is validated, the comment is rewritten.
    late = measurement(case, org_a, 2022, "50", status=S.SUBMITTED, reported_by=partner_a)
    services.validate_measurement(late, by=validator)
    comment = IndicatorComment.objects.get()
    comment.text = "Après publication"
    services.save_indicator_comment(comment, by=editor, reason="Mise à jour", expected_version=1)
    assert Indicator.objects.with_figures(dt.date(2024, 12, 31)).get(pk=case.pk).achieved == D("300")

    page = client.get(reverse("strategy:publication_detail", args=[publication.pk]))
    assert page.status_code == 200
    row = row_of(page.content.decode())
    achieved_cell = row.split("<td")[2]  # indicator th, unit, achieved
    assert 'data-changed="1"' in achieved_cell
    assert '<span class="published">250,00</span>' in achieved_cell and "300,00" in achieved_cell
    target_cell = row.split("<td")[3]
    assert "400,00" in target_cell and "data-changed" not in target_cell  # unchanged: shown once
    assert "Avant publication" in row and "Après publication" in row
    # Changed: achieved 250 → 300, progress toward the final 1 000 from 25 % to 30 %, the
    # comment, and the status if the new value moved it (judged by the queryset's rule).
    today_status = Indicator.objects.with_figures(dt.date(2024, 12, 31)).get(pk=case.pk).status
    assert page.context["comparison"]["changes"] == 3 + (today_status != published_status)
    cells = page.context["comparison"]["sections"][0]["rows"][0]["cells"]
    assert (cells["progress"]["published"], cells["progress"]["today"]) == (D("25"), D("30"))
    assert page.context["comparison"]["sections"][0]["rows"][0]["cells"]["achieved"] == {
        "published": D("250"),
        "today": D("300"),
        "changed": True,
    }
    # The frozen row did not move.
    publication.refresh_from_db()
    assert publication.figures["sections"][0]["rows"][0]["achieved"] == "250.0000"

    pdf = client.get(reverse("strategy:publication_pdf", args=[publication.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Disposition"].startswith("attachment")
    assert "rapport-2024-edition-1.pdf" in pdf["Content-Disposition"]
    content = b"".join(pdf.streaming_content)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == publication.sha256


def test_publishing_again_makes_a_new_edition_and_keeps_the_first(validator, case):
    first = services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=validator, reason="Première")
    second = services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=validator, reason="Corrigée")
    quarter = services.publish_report(ReportSpec(ReportKind.QUARTERLY, 2024, 3), by=validator, reason="Revue")
    assert (first.edition, second.edition, quarter.edition) == (1, 2, 1)
    assert ReportPublication.objects.count() == 3
    assert quarter.as_of == dt.date(2024, 9, 30)
    assert quarter.figures["sections"][0]["rows"][0]["achieved"] == "100.0000"
    assert first.pdf.name != second.pdf.name and first.pdf.storage.exists(first.pdf.name)


@pytest.mark.parametrize("actor", ["editor", "viewer", "partner_a"])
def test_only_validators_and_administrators_publish(client, request, actor, case):
    user = request.getfixturevalue(actor)
    client.force_login(user)
    response = client.post(reverse("strategy:report_publish"), {"year": "2024", "reason": "Valeur à revoir"})
    assert response.status_code == 403
    with pytest.raises(Exception, match="valideurs"):
        services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=user, reason="Valeur à revoir")
    assert not ReportPublication.objects.exists()


def test_administrator_publishes_and_a_publication_needs_a_reason(client, admin_user, case):
    client.force_login(admin_user)
    response = client.post(reverse("strategy:report_publish"), {"year": "2024", "reason": "   "})
    assert response.status_code == 302 and not ReportPublication.objects.exists()
    response = client.post(reverse("strategy:report_publish"), {"quarter": "2024-Q3", "reason": "Revue T3"})
    assert response.status_code == 302
    assert ReportPublication.objects.get().quarter == 3


def test_anonymous_visitors_go_to_login_for_every_report_page(client, validator, case):
    publication = services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=validator, reason="Valeur à revoir")
    for url in (
        PUBLICATIONS,
        reverse("strategy:publication_detail", args=[publication.pk]),
        reverse("strategy:publication_pdf", args=[publication.pk]),
    ):
        assert client.get(url).status_code == 302, url
    assert (
        client.post(reverse("strategy:report_publish"), {"year": "2024", "reason": "Valeur à revoir"}).status_code
        == 302
    )
    assert ReportPublication.objects.count() == 1


@pytest.mark.parametrize("actor", ["viewer", "editor", "partner_a", "admin_user"])
def test_every_role_reads_published_reports_a_role_less_user_none(
    client, request, actor, validator, case, django_user_model
):
    publication = services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=validator, reason="Envoi")
    urls = [
        PUBLICATIONS,
        reverse("strategy:publication_detail", args=[publication.pk]),
        reverse("strategy:publication_pdf", args=[publication.pk]),
    ]
    client.force_login(request.getfixturevalue(actor))
    listing = client.get(PUBLICATIONS).content.decode()
    assert f'data-publication="{publication.pk}"' in listing and "Rapport de performance 2024" in listing
    for url in urls:
        assert client.get(url).status_code == 200, url
    client.force_login(django_user_model.objects.create_user("sans_role", password="x-long-password-123"))
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_partner_reads_the_publisher_as_an_organisation(client, validator, partner_a, case):
    services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=validator, reason="Envoi")
    client.force_login(partner_a)
    listing = client.get(PUBLICATIONS).content.decode()
    assert "MTAESS" in listing and "validator" not in listing


# ---------------------------------------------------------------- frozen for good


def test_the_database_refuses_to_change_or_delete_a_publication(validator, case):
    publication = services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=validator, reason="Envoi")
    for attempt in (
        lambda: ReportPublication.objects.filter(pk=publication.pk).update(figures={"sections": []}),
        lambda: ReportPublication.objects.filter(pk=publication.pk).update(pdf="reports/autre.pdf"),
        lambda: ReportPublication.objects.filter(pk=publication.pk).delete(),
    ):
        with pytest.raises(IntegrityError, match="report_publication_frozen"), transaction.atomic():
            attempt()
    publication.refresh_from_db()
    assert publication.figures["sections"][0]["rows"][0]["achieved"] == "250.0000"


def test_admin_reads_a_publication_and_never_changes_or_deletes_it(client, admin_user, validator, case):
    publication = services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=validator, reason="Envoi")
    client.force_login(admin_user)
    change = reverse("admin:strategy_reportpublication_change", args=[publication.pk])
    assert client.get(change).status_code == 200
    assert client.get(reverse("admin:strategy_reportpublication_add")).status_code == 403
    assert client.get(reverse("admin:strategy_reportpublication_delete", args=[publication.pk])).status_code == 403
    client.post(change, {"reason": "autre"})
    publication.refresh_from_db()
    assert publication.reason == "Envoi"


def test_admin_saves_a_comment_through_the_service(client, admin_user, case):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:strategy_indicatorcomment_add"),
        {
            "indicator": case.pk,
            "year": "2024",
            "text": "Depuis l'administration",
            "text_ar": "",
            "change_reason": "Rapport 2024",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    comment = IndicatorComment.objects.get()
    assert (comment.updated_by, comment.version) == (admin_user, 1)
    assert last_history(comment).history_user == admin_user


def test_a_comment_is_unique_per_indicator_and_year_in_the_database(case, editor):
    services.save_indicator_comment(
        IndicatorComment(indicator=case, year=2024, text="Un"), by=editor, reason="Saisie (test)"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorComment.objects.create(indicator=case, year=2024, text="Deux")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorComment.objects.create(indicator=case, year=2025, text="")


# ---------------------------------------------------------------- the API resource

COMMENTS = "/api/v1/indicator-comments/"


def test_api_editor_creates_then_changes_a_comment_with_if_match(as_editor, editor, case):
    response = as_editor.post(
        COMMENTS,
        {"indicator": case.pk, "year": 2024, "text": "Écart expliqué", "change_reason": "Rapport 2024"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["indicator_code"], body["year"], body["version"], body["updated_by"]) == (
        "IND-FORM",
        2024,
        1,
        "editor",
    )
    url = f"{COMMENTS}{body['id']}/"
    assert as_editor.patch(url, {"text": "Autre"}, format="json").status_code == 428
    stale = {"text": "Autre", "change_reason": "Point"}
    assert as_editor.patch(url, stale, format="json", HTTP_IF_MATCH='"7"').status_code == 412
    assert as_editor.patch(url, {"text": "Autre"}, format="json", HTTP_IF_MATCH='"1"').status_code == 400  # no reason
    response = as_editor.patch(
        url, {"text": "Sessions reprogrammées", "change_reason": "Point"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    comment = IndicatorComment.objects.get()
    assert (comment.text, comment.version) == ("Sessions reprogrammées", 2)
    assert last_history(comment).history_change_reason == "Point"
    # The indicator and the year never change; a second comment for the same year is refused.
    assert (
        as_editor.patch(url, {"year": 2025, "change_reason": "Année"}, format="json", HTTP_IF_MATCH='"2"').status_code
        == 400
    )
    again = as_editor.post(
        COMMENTS, {"indicator": case.pk, "year": 2024, "text": "Doublon", "change_reason": "Doublon"}, format="json"
    )
    assert again.status_code == 400
    outside = as_editor.post(
        COMMENTS,
        {"indicator": case.pk, "year": 2035, "text": "Hors stratégie", "change_reason": "Rapport"},
        format="json",
    )
    assert outside.status_code == 400 and "year" in outside.json()["details"]
    assert as_editor.delete(url, HTTP_IF_MATCH='"2"').status_code == 405
    assert IndicatorComment.objects.count() == 1


def test_api_lists_comments_by_indicator_and_year_for_every_reader(
    api, editor, partner_a, viewer, case, make_indicator
):
    other = make_indicator(code="IND-AUTRE")
    for indicator, year in ((case, 2023), (case, 2024), (other, 2024)):
        services.save_indicator_comment(
            IndicatorComment(indicator=indicator, year=year, text=f"{indicator.code} {year}"),
            by=editor,
            reason="Saisie (test)",
        )
    for reader in (viewer, partner_a):
        client = api(reader)
        rows = client.get(COMMENTS, {"year": 2024}).json()["results"]
        assert sorted(r["text"] for r in rows) == ["IND-AUTRE 2024", "IND-FORM 2024"]
        rows = client.get(COMMENTS, {"indicator": case.pk}).json()["results"]
        assert [r["year"] for r in rows] == [2024, 2023]
        rows = client.get(COMMENTS, {"indicator_code": "IND-FORM", "year": 2023}).json()["results"]
        assert [r["text"] for r in rows] == ["IND-FORM 2023"]
    assert api(viewer).get(COMMENTS, {"year": "deux"}).status_code == 400
    exported = api(viewer).get(COMMENTS, {"year": 2024, "format": "csv"})
    assert exported.status_code == 200 and "IND-AUTRE 2024" in exported.content.decode("utf-8-sig")
    # The XLSX too (its dates without a time zone: an aware datetime made it a 500).
    workbook = load_workbook(io.BytesIO(api(viewer).get(COMMENTS, {"year": 2024, "format": "xlsx"}).content))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    texts = sorted(row[header.index("text")] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert texts == ["IND-AUTRE 2024", "IND-FORM 2024"]
    assert all(
        isinstance(row[header.index("updated_at")], dt.datetime) for row in sheet.iter_rows(min_row=2, values_only=True)
    )


@pytest.mark.parametrize("actor", ["viewer", "partner_a"])
def test_api_readers_may_not_write_a_comment(api, request, actor, editor, case):
    client = api(request.getfixturevalue(actor))
    assert client.post(COMMENTS, {"indicator": case.pk, "year": 2024, "text": "x"}, format="json").status_code == 403
    comment = services.save_indicator_comment(
        IndicatorComment(indicator=case, year=2024, text="Texte"), by=editor, reason="Saisie (test)"
    )
    response = client.patch(f"{COMMENTS}{comment.pk}/", {"text": "y"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 403
    comment.refresh_from_db()
    assert (comment.text, comment.version) == ("Texte", 1)


def test_api_comments_refuse_anonymous_and_role_less(api, case, django_user_model):
    assert api().get(COMMENTS).status_code == 401
    role_less = django_user_model.objects.create_user("sans_role", password="x-long-password-123")
    assert api(role_less).get(COMMENTS).status_code == 403
    assert (
        api(role_less).post(COMMENTS, {"indicator": case.pk, "year": 2024, "text": "x"}, format="json").status_code
        == 403
    )
