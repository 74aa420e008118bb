"""A contract's signed document (issue 12, item 2): stored privately, read only through
``contracts:contract_document`` or ``GET /api/v1/contracts/{id}/document/`` by whoever
sees the contract (``ContratProgramme.objects.visible_to``: a partner only the contracts
its organisation is party to), uploaded by the roles that edit contracts, refused by its
content when hostile."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from contracts.models import ContratProgramme
from tests import documents as samples
from tests.api_fixtures import etag, last_history

API = "/api/v1/contracts"
SANDBOX = "default-src 'none'; sandbox"


def attach(contract, name="CP-A signé.pdf", content=samples.PDF):
    contract.document = samples.upload(name, content)
    contract.save()
    return contract


def put_document(client, contract, name="contrat.pdf", content=samples.PDF):
    contract.refresh_from_db()
    return client.put(
        f"{API}/{contract.pk}/document/",
        {"file": samples.upload(name, content), "change_reason": "Contrat signé reçu"},
        format="multipart",
        HTTP_IF_MATCH=f'"{contract.version}"',
    )


def test_the_contract_page_links_the_signed_document(client, validator, contract_a):
    attach(contract_a, "convention.pdf")
    client.force_login(validator)
    page = client.get(reverse("contracts:contract_detail", args=[contract_a.pk])).content.decode()
    link = reverse("contracts:contract_document", args=[contract_a.pk])
    assert f'<a href="{link}" data-document download>convention.pdf</a>' in page
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="convention.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX
    assert b"".join(response.streaming_content) == samples.PDF


def test_who_may_download_the_signed_document(client, request, contract_a, contract_b, django_user_model):
    attach(contract_a)
    url = reverse("contracts:contract_document", args=[contract_a.pk])
    assert client.get(url).status_code == 302  # anonymous → sign in
    for actor in ("viewer", "editor", "validator", "admin_user", "partner_a"):  # partner A is party to CP-A
        client.force_login(request.getfixturevalue(actor))
        assert client.get(url).status_code == 200, actor
    client.force_login(request.getfixturevalue("partner_b"))
    assert client.get(url).status_code == 404  # not party: the contract does not exist for it
    client.force_login(django_user_model.objects.create_user("sans_role", password="x-long-password-123"))
    assert client.get(url).status_code == 403
    client.force_login(request.getfixturevalue("viewer"))
    assert client.get(reverse("contracts:contract_document", args=[contract_b.pk])).status_code == 404  # none


def test_api_upload_download_and_remove(as_editor, contract_a):
    response = put_document(as_editor, contract_a, "Convention signée.pdf")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["document"] == f"http://testserver{API}/{contract_a.pk}/document/"
    assert body["document_name"] == "Convention signée.pdf"
    assert etag(response) == f'"{body["version"]}"'
    contract_a.refresh_from_db()
    assert re.fullmatch(r"contracts/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", contract_a.document.name)
    assert Path(contract_a.document.path).resolve().is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert last_history(contract_a).history_change_reason == "Contrat signé reçu"

    download = as_editor.get(f"{API}/{contract_a.pk}/document/")
    assert download.status_code == 200
    assert download["Content-Security-Policy"] == SANDBOX and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == samples.PDF

    removed = as_editor.delete(
        f"{API}/{contract_a.pk}/document/?change_reason=Version%20non%20sign%C3%A9e", HTTP_IF_MATCH=etag(response)
    )
    assert removed.status_code == 200 and removed.json()["document"] is None
    assert as_editor.get(f"{API}/{contract_a.pk}/document/").status_code == 404


def test_api_access_to_the_signed_document(api, request, contract_a):
    attach(contract_a)
    url = f"{API}/{contract_a.pk}/document/"
    assert api().get(url).status_code == 401
    assert api(request.getfixturevalue("partner_a")).get(url).status_code == 200
    assert api(request.getfixturevalue("partner_b")).get(url).status_code == 404
    # Partners and viewers read; the roles that edit contracts upload.
    assert put_document(api(request.getfixturevalue("partner_a")), contract_a).status_code == 403
    assert put_document(api(request.getfixturevalue("partner_b")), contract_a).status_code == 403
    assert put_document(api(request.getfixturevalue("viewer")), contract_a).status_code == 403
    assert put_document(api(request.getfixturevalue("validator")), contract_a).status_code == 200
    listed = api(request.getfixturevalue("partner_a")).get(f"{API}/").json()["results"]
    assert [c["document_name"] for c in listed] == ["contrat.pdf"]


@pytest.mark.parametrize(("name", "content"), samples.HOSTILE, ids=[n for n, _c in samples.HOSTILE])
def test_api_refuses_a_hostile_signed_document(as_editor, contract_a, name, content):
    response = put_document(as_editor, contract_a, name, content)
    assert response.status_code == 400 and "file" in response.json()["details"]
    assert not ContratProgramme.objects.get(pk=contract_a.pk).document


def test_the_schema_documents_the_document_operations(as_viewer):
    schema = as_viewer.get("/api/schema/?format=json").json()
    operations = schema["paths"]["/api/v1/contracts/{id}/document/"]
    assert set(operations) >= {"get", "put", "delete"}
    assert "application/pdf" in operations["get"]["responses"]["200"]["content"]
    assert "multipart/form-data" in operations["put"]["requestBody"]["content"]
    contract = schema["components"]["schemas"]["Contract"]["properties"]
    assert contract["document"]["format"] == "uri" and contract["document_name"]["readOnly"]
