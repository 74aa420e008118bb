"""A measurement's evidence (issue 12, items 1 and 2) on the pages and the API: uploaded
through the entry form or ``PUT /api/v1/measurements/{id}/evidence/``, refused by its
content when hostile, read back only through ``strategy:measurement_evidence`` or ``GET
…/evidence/`` by whoever sees the measurement (``Measurement.objects.visible_to``), as an
attachment the browser never renders; the validator finds the link in the queue and on
the measurement's page."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from strategy import services
from strategy.choices import MeasurementStatus
from strategy.models import Measurement
from tests import documents as samples
from tests.api_fixtures import etag, last_history

API = "/api/v1/measurements"
SANDBOX = "default-src 'none'; sandbox"


def stored_files():
    return sorted(p for p in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file())


def assert_attachment(response, name, content, content_type="application/pdf"):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX
    assert b"".join(response.streaming_content) == content


def with_evidence(measurement, name="releve.pdf", content=samples.PDF):
    measurement.evidence = samples.upload(name, content)
    measurement.save()
    return measurement


def entry(indicator, **extra):
    return {
        "indicator": indicator.pk,
        "period": "2024-01-01/2024-12-31",
        "value": "999999",
        **extra,
    }


# ---------------------------------------------------------------- pages


def test_a_partner_attaches_evidence_and_the_validator_opens_it(client, partner_a, validator, indicator):
    client.force_login(partner_a)
    response = client.post(
        reverse("strategy:measurement_create"),
        entry(indicator, action="submit", evidence=samples.upload("Relevé FCA 2024.pdf", samples.PDF)),
    )
    assert response.status_code == 302
    measurement = Measurement.objects.get()
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", measurement.evidence.name)
    assert measurement.evidence_name == "Relevé FCA 2024.pdf"
    assert last_history(measurement).evidence_name == "Relevé FCA 2024.pdf"
    link = reverse("strategy:measurement_evidence", args=[measurement.pk])

    client.force_login(validator)
    queue = client.get(reverse("strategy:validation_queue")).content.decode()
    assert f'<a href="{link}" data-evidence="{measurement.pk}" download>Relevé FCA 2024.pdf</a>' in queue
    page = client.get(reverse("strategy:measurement_update", args=[measurement.pk])).content.decode()
    assert f'href="{link}"' in page
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Relev%C3%A9%20FCA%202024.pdf"
    assert response["Content-Security-Policy"] == SANDBOX and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == samples.PDF


def test_the_form_shows_the_current_evidence_under_its_own_name(client, partner_a, draft_a):
    with_evidence(draft_a, "bilan.pdf")
    client.force_login(partner_a)
    page = client.get(reverse("strategy:measurement_update", args=[draft_a.pk])).content.decode()
    link = reverse("strategy:measurement_evidence", args=[draft_a.pk])
    assert f'<a href="{link}">bilan.pdf</a>' in page  # the file input's "currently"
    assert 'accept=".pdf,.png,.jpg' in page
    assert draft_a.evidence.name.rsplit("/", 1)[-1] not in page  # the stored name is never shown


def test_an_entry_without_evidence_has_no_link(client, validator, submitted_a):
    client.force_login(validator)
    queue = client.get(reverse("strategy:validation_queue")).content.decode()
    assert f'data-measurement="{submitted_a.pk}"' in queue and 'data-evidence=""' in queue
    assert client.get(reverse("strategy:measurement_evidence", args=[submitted_a.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "content"), samples.HOSTILE + samples.MACROS, ids=[s[0] for s in samples.HOSTILE + samples.MACROS]
)
def test_hostile_evidence_is_refused_beside_the_field(client, partner_a, indicator, name, content):
    client.force_login(partner_a)
    before = stored_files()
    response = client.post(
        reverse("strategy:measurement_create"), entry(indicator, evidence=samples.upload(name, content))
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["evidence"], errors
    assert "accepté" in errors["evidence"][0]
    assert not Measurement.objects.exists()
    assert stored_files() == before


@pytest.mark.parametrize(
    ("name", "content", "code", "extension"), samples.ACCEPTED, ids=[s[0] for s in samples.ACCEPTED]
)
def test_every_accepted_type_is_stored_and_read_back(client, partner_a, indicator, name, content, code, extension):
    client.force_login(partner_a)
    response = client.post(
        reverse("strategy:measurement_create"), entry(indicator, evidence=samples.upload(name, content))
    )
    assert response.status_code == 302, response.context["form"].errors
    measurement = Measurement.objects.get()
    assert measurement.evidence.name.endswith(f".{extension}")
    download = client.get(reverse("strategy:measurement_evidence", args=[measurement.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Disposition"].startswith("attachment; ")


def test_a_file_beyond_the_limit_is_refused_with_the_limit(client, partner_a, indicator, settings):
    settings.DOCUMENT_MAX_BYTES = 2048
    client.force_login(partner_a)
    response = client.post(
        reverse("strategy:measurement_create"),
        entry(indicator, evidence=samples.upload("gros.pdf", samples.PDF.ljust(2049, b"0"))),
    )
    assert response.status_code == 200
    assert "taille maximale de 2,0" in response.context["form"].errors["evidence"][0]
    assert not Measurement.objects.exists()


def test_evidence_is_removed_with_the_clear_box(client, partner_a, draft_a):
    with_evidence(draft_a)
    client.force_login(partner_a)
    data = entry(
        draft_a.indicator,
        period="2023-01-01/2023-12-31",
        version=draft_a.version,
        change_reason="Pièce erronée",
    )
    data["evidence-clear"] = "on"
    assert client.post(reverse("strategy:measurement_update", args=[draft_a.pk]), data).status_code == 302
    draft_a.refresh_from_db()
    assert (draft_a.evidence.name, draft_a.evidence_name) == ("", "")


def test_who_may_download(client, request, draft_a, validated_b, django_user_model):
    """The row's own visible_to: ministry roles every measurement; a partner its own
    organisation's in any state and other organisations' validated ones; never another
    organisation's draft; anonymous visitors go to the sign-in page."""
    with_evidence(draft_a, "brouillon.pdf")
    with_evidence(validated_b, "valide.pdf")
    draft = reverse("strategy:measurement_evidence", args=[draft_a.pk])
    validated = reverse("strategy:measurement_evidence", args=[validated_b.pk])
    anonymous = client.get(draft)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    for actor in ("viewer", "editor", "validator", "admin_user", "partner_a"):
        client.force_login(request.getfixturevalue(actor))
        assert_attachment(client.get(draft), "brouillon.pdf", samples.PDF)
    client.force_login(request.getfixturevalue("partner_b"))
    assert client.get(draft).status_code == 404  # another organisation's draft: as if it did not exist
    assert_attachment(client.get(validated), "valide.pdf", samples.PDF)
    client.force_login(django_user_model.objects.create_user("sans_role", password="x-long-password-123"))
    assert client.get(draft).status_code == 403
    client.force_login(request.getfixturevalue("validator"))
    assert client.get(reverse("strategy:measurement_evidence", args=[999999])).status_code == 404


def test_with_debug_off_the_same_view_serves_the_file(client, settings, validator, draft_a):
    """Production: nothing serves /media/; the download view does, as under make run."""
    settings.DEBUG = False
    with_evidence(draft_a, "prod.pdf")
    client.force_login(validator)
    assert_attachment(
        client.get(reverse("strategy:measurement_evidence", args=[draft_a.pk]), secure=True), "prod.pdf", samples.PDF
    )
    assert client.get(f"/media/{draft_a.evidence.name}", secure=True).status_code == 404


def test_behind_nginx_the_view_answers_x_accel_redirect(client, settings, validator, draft_a):
    settings.DOCUMENT_X_ACCEL_REDIRECT = "/protected/"
    with_evidence(draft_a, "nginx.pdf")
    client.force_login(validator)
    response = client.get(reverse("strategy:measurement_evidence", args=[draft_a.pk]))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected/{draft_a.evidence.name}"
    assert response["Content-Disposition"] == 'attachment; filename="nginx.pdf"'
    assert response["Content-Security-Policy"] == SANDBOX and response["X-Content-Type-Options"] == "nosniff"
    client.force_login(Measurement.objects.get(pk=draft_a.pk).reported_by)  # partner A: its own draft
    assert client.get(reverse("strategy:measurement_evidence", args=[draft_a.pk])).status_code == 200


# ---------------------------------------------------------------- API


def put_evidence(client, measurement, name="releve.pdf", content=samples.PDF, **extra):
    measurement.refresh_from_db()
    headers = {"HTTP_IF_MATCH": f'"{measurement.version}"', **extra}
    return client.put(
        f"{API}/{measurement.pk}/evidence/",
        {"file": samples.upload(name, content), "change_reason": "Relevé signé"},
        format="multipart",
        **headers,
    )


def test_api_upload_then_download(as_partner_a, draft_a):
    response = put_evidence(as_partner_a, draft_a, "Relevé 2023.pdf")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["evidence"] == f"http://testserver{API}/{draft_a.pk}/evidence/"
    assert body["evidence_name"] == "Relevé 2023.pdf"
    assert body["version"] == draft_a.version + 1 and etag(response) == f'"{draft_a.version + 1}"'
    draft_a.refresh_from_db()
    history = last_history(draft_a)
    assert history.history_change_reason == "Relevé signé" and history.evidence_name == "Relevé 2023.pdf"

    download = as_partner_a.get(f"{API}/{draft_a.pk}/evidence/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == "attachment; filename*=utf-8''Relev%C3%A9%202023.pdf"
    assert download["Content-Security-Policy"] == SANDBOX and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == samples.PDF
    # Whatever the client accepts: a document is the type it is.
    assert as_partner_a.get(f"{API}/{draft_a.pk}/evidence/", HTTP_ACCEPT="application/pdf").status_code == 200
    listed = as_partner_a.get(f"{API}/?indicator={draft_a.indicator_id}").json()["results"]
    assert [(m["evidence"], m["evidence_name"]) for m in listed] == [(body["evidence"], "Relevé 2023.pdf")]


def test_api_remove(as_partner_a, draft_a):
    with_evidence(draft_a)
    draft_a.refresh_from_db()
    url = f"{API}/{draft_a.pk}/evidence/?change_reason=Mauvais%20fichier"
    response = as_partner_a.delete(url, HTTP_IF_MATCH=f'"{draft_a.version}"')
    assert response.status_code == 200
    assert response.json()["evidence"] is None and response.json()["evidence_name"] == ""
    assert as_partner_a.get(f"{API}/{draft_a.pk}/evidence/").status_code == 404
    draft_a.refresh_from_db()
    assert last_history(draft_a).history_change_reason == "Mauvais fichier"
    response = as_partner_a.delete(url, HTTP_IF_MATCH=f'"{draft_a.version}"')
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("name", "content"), samples.HOSTILE + samples.MACROS, ids=[s[0] for s in samples.HOSTILE + samples.MACROS]
)
def test_api_refuses_hostile_evidence(as_partner_a, draft_a, name, content):
    before = stored_files()
    response = put_evidence(as_partner_a, draft_a, name, content)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "accepté" in response.json()["details"]["file"][0]
    draft_a.refresh_from_db()
    assert not draft_a.evidence and stored_files() == before


def test_api_refuses_a_file_beyond_the_limit_with_413(as_partner_a, draft_a, settings):
    settings.DOCUMENT_MAX_BYTES = 2048
    response = put_evidence(as_partner_a, draft_a, "gros.pdf", samples.PDF.ljust(4096, b"0"))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large" and "taille maximale" in response.json()["message"]


def test_api_access(api, request, draft_a, validated_b, submitted_a):
    with_evidence(draft_a)
    with_evidence(validated_b)
    url = f"{API}/{draft_a.pk}/evidence/"
    assert api().get(url).status_code == 401
    for actor in ("viewer", "editor", "validator", "admin_user", "partner_a"):
        assert api(request.getfixturevalue(actor)).get(url).status_code == 200, actor
    partner_b = api(request.getfixturevalue("partner_b"))
    assert partner_b.get(url).status_code == 404
    assert partner_b.get(f"{API}/{validated_b.pk}/evidence/").status_code == 200
    # Changes: the roles that record measurements, on what they may still change.
    assert put_evidence(api(request.getfixturevalue("viewer")), draft_a).status_code == 403
    assert put_evidence(partner_b, draft_a).status_code == 404
    partner_a = api(request.getfixturevalue("partner_a"))
    assert put_evidence(partner_a, validated_b).status_code == 403  # another organisation's, validated
    refused = put_evidence(partner_a, submitted_a)
    assert refused.status_code == 409 and refused.json()["code"] == "transition_not_allowed"
    assert put_evidence(api(request.getfixturevalue("editor")), draft_a).status_code == 200
    submitted_a.refresh_from_db()
    assert not submitted_a.evidence


def test_api_versions_are_checked(as_partner_a, draft_a):
    no_match = as_partner_a.put(
        f"{API}/{draft_a.pk}/evidence/", {"file": samples.upload("a.pdf", samples.PDF)}, format="multipart"
    )
    assert no_match.status_code == 428
    stale = put_evidence(as_partner_a, draft_a, HTTP_IF_MATCH='"99"')
    assert stale.status_code == 412 and stale.json()["current_version"] == draft_a.version
    missing = as_partner_a.put(f"{API}/{draft_a.pk}/evidence/", {}, format="multipart", HTTP_IF_MATCH='"1"')
    assert missing.status_code == 400 and "file" in missing.json()["details"]
    draft_a.refresh_from_db()
    assert not draft_a.evidence


def test_the_schema_documents_the_evidence_operations(as_viewer):
    schema = as_viewer.get("/api/schema/?format=json").json()
    operations = schema["paths"]["/api/v1/measurements/{id}/evidence/"]
    assert set(operations) >= {"get", "put", "delete"}
    assert "application/pdf" in operations["get"]["responses"]["200"]["content"]
    assert "text/csv" in operations["get"]["responses"]["200"]["content"]
    assert "text/html" not in operations["get"]["responses"]["200"]["content"]
    upload = operations["put"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["$ref"].endswith("DocumentUploadRequest")
    assert {"412", "413", "428"} <= set(operations["put"]["responses"])
    measurement = schema["components"]["schemas"]["Measurement"]["properties"]
    assert measurement["evidence"]["format"] == "uri" and measurement["evidence"]["readOnly"]


def test_a_submitted_measurement_keeps_its_evidence_through_the_workflow(partner_a, validator, draft_a):
    with_evidence(draft_a)
    services.submit_measurement(draft_a, by=partner_a)
    services.validate_measurement(draft_a, by=validator)
    draft_a.refresh_from_db()
    assert draft_a.status == MeasurementStatus.VALIDATED and draft_a.evidence_name == "releve.pdf"


# ---------------------------------------------------------------- admin


def admin_entry(indicator, organisation, **extra):
    return {
        "indicator": indicator.pk,
        "organisation": organisation.pk,
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "value": "12",
        "source": "Rapport",
        "sex": "",
        "actor_type": "",
        "change_reason": "Saisie depuis l'administration",
        "expected_version": "",
        **extra,
    }


def test_the_admin_refuses_hostile_evidence_and_links_the_accepted_one(client, admin_user, indicator, org_a):
    client.force_login(admin_user)
    add = reverse("admin:strategy_measurement_add")
    refused = client.post(add, admin_entry(indicator, org_a, evidence=samples.upload("x.pdf", samples.HTML)))
    assert refused.status_code == 200
    assert "accepté" in refused.context["adminform"].form.errors["evidence"][0]
    assert not Measurement.objects.exists()

    accepted = client.post(add, admin_entry(indicator, org_a, evidence=samples.upload("bilan.pdf", samples.PDF)))
    assert accepted.status_code == 302
    measurement = Measurement.objects.get()
    assert measurement.evidence_name == "bilan.pdf"
    page = client.get(reverse("admin:strategy_measurement_change", args=[measurement.pk])).content.decode()
    assert f'href="{reverse("strategy:measurement_evidence", args=[measurement.pk])}"' in page
    assert "/media/" not in page
