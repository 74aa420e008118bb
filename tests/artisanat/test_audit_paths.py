"""The audit trail on every path (issue 6, item 3).

Each create, update, delete and workflow transition of the nine tracked models —
measurements, targets, indicators, contracts, parties, commitments, disbursements,
milestones, amendments — is made here through every path the product offers for it:
staff pages, REST API, bulk submission (JSON, CSV, XLSX), Django admin (add, change,
delete, "delete selected", inline rows, workflow actions) and management commands.
Each leaves history rows naming the actor, dated within the request, of the right type,
with what changed (diffed against the previous row) and the reason.

``PATHS`` is the table: a new path is one line. The paths were enumerated from
config/urls.py (pages), the API routers and their @actions (strategy/api,
contracts/api; the document uploads included), the admin registrations, inlines and actions (*/admin.py) and the
commands in artisanat/management/commands.
"""

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal as D
from urllib.parse import urlencode

import pytest
from django import forms
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from artisanat.models import Membership
from artisanat.services import MIN_REASON_LENGTH
from artisanat.system_account import SYSTEM_USERNAME
from contracts import services as contract_services
from contracts.models import AmendedCommitment, Amendment, Commitment, ContratProgramme, Disbursement, Milestone, Party
from strategy import services as strategy_services
from strategy.choices import ReportKind
from strategy.models import Action, Indicator, IndicatorComment, Measurement, Programme, ReportPublication, Target
from strategy.reports import ReportSpec
from tests.conftest import VerifiedClient
from tests.documents import PDF
from tests.documents import upload as document_upload

V = "/api/v1/"
#: The beginning of artisanat.services.require_reason's message, on every surface.
REASON_MESSAGE = f"Indiquez le motif de ce changement (au moins {MIN_REASON_LENGTH} caractères)"
ANY = object()  # any reason, as long as there is one
NOISE = {"version", "updated_at", "created_at"}  # bookkeeping columns every save moves

CONTRACT_MODELS = (ContratProgramme, Party, Commitment, Disbursement, Milestone, Amendment)
# Edited in the admin only (the API reads them inside the amendment); seed_demo makes none.
ADMIN_ONLY_MODELS = (AmendedCommitment,)
PEOPLE_MODELS = (get_user_model(), Membership)


# ---------------------------------------------------------------- context of a path


class Ctx:
    """What a path needs: fixtures on demand, signed-in clients per actor."""

    def __init__(self, request):
        self.request = request
        self.saved = {}

    def get(self, name):
        return self.request.getfixturevalue(name)

    def user(self, actor):
        if actor == SYSTEM_USERNAME:
            from artisanat.system_account import system_account

            return system_account()
        return self.get(actor)

    def page(self, actor):
        client = VerifiedClient()  # signed in, two-factor verified when the actor has a device
        client.force_login(self.user(actor))
        return client

    def api(self, actor):
        return self.get("api")(self.user(actor))


def if_match(obj):
    obj.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{obj.version}"'} if hasattr(obj, "version") else {}


def ok(response, *codes):
    assert response.status_code in (codes or (200, 201, 204, 302)), getattr(response, "content", b"")[:2000]
    if response.status_code == 302 and getattr(response, "context", None):
        # An admin or page form that came back is not a save.
        assert "adminform" not in response.context, response.context["adminform"].form.errors
    return response


# ---------------------------------------------------------------- admin forms


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _value(bound):
    widget, value = bound.field.widget, bound.value()
    inner = getattr(widget, "widget", widget)  # the admin's RelatedFieldWidgetWrapper
    if isinstance(inner, forms.CheckboxInput):
        return "on" if value else None
    if isinstance(inner, forms.ClearableFileInput):
        return None
    if getattr(inner, "allow_multiple_selected", False):
        return [str(getattr(v, "pk", v)) for v in (value or [])]
    if value is None:
        return ""
    if isinstance(inner, (forms.DateInput, forms.DateTimeInput, forms.TimeInput)):
        return inner.format_value(value) or ""
    return str(getattr(value, "pk", value))


def _form_data(form, data):
    for bound in form:
        value = _value(bound)
        if value is not None:
            data[bound.html_name] = value


def admin_form(client, url):
    """The admin page's form as the browser would post it back (main form, management
    forms and inline rows), from the page's own context."""
    response = ok(client.get(url), 200)
    data = {}
    _form_data(response.context["adminform"].form, data)
    formsets = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        formsets[formset.prefix] = formset
        _form_data(formset.management_form, data)
        for row in formset.forms:
            _form_data(row, data)
    return data, formsets


def admin_save(actor, url, values, *, inline=None, delete_inline=None):
    """Post the admin form at ``url`` with ``values``; ``inline=(prefix, values)`` adds
    one inline row, ``delete_inline=(prefix, pk)`` ticks DELETE on a row."""

    def run(ctx):
        client = ctx.page(actor)
        data, formsets = admin_form(client, url(ctx))
        data.update(values(ctx))
        if inline:
            prefix, row_values = inline
            formset = formsets[prefix]
            n = int(data[f"{prefix}-TOTAL_FORMS"])
            empty = formset.empty_form
            row = {}
            _form_data(empty, row)
            for name, value in row.items():
                data[name.replace("__prefix__", str(n))] = value
            for name, value in row_values(ctx).items():
                data[f"{prefix}-{n}-{name}"] = value
            data[f"{prefix}-TOTAL_FORMS"] = str(n + 1)
        if delete_inline:
            prefix, pk_of = delete_inline
            pk = pk_of(ctx)
            index = next(
                i for i in range(int(data[f"{prefix}-TOTAL_FORMS"])) if data.get(f"{prefix}-{i}-id") == str(pk)
            )
            data[f"{prefix}-{index}-DELETE"] = "on"
        response = client.post(url(ctx), data)
        assert response.status_code == 302, _errors(response)
        return response

    return run


def _errors(response):
    if not response.context:
        return response.content[:2000]
    errors = [response.context["adminform"].form.errors] if "adminform" in response.context else []
    for inline in response.context.get("inline_admin_formsets", []):
        errors += [inline.formset.errors, inline.formset.non_form_errors()]
    return errors, [str(m) for m in response.context.get("messages", [])]


ADMIN_DELETE_REASON = "Ligne créée par erreur (administration)"


def admin_delete(actor, model, pk_of, reason=ADMIN_DELETE_REASON):
    def run(ctx):
        pk = pk_of(ctx)
        data = {"post": "yes", "change_reason": reason}
        version = model.objects.filter(pk=pk).values_list("version", flat=True).first() if _versioned(model) else None
        if version is not None:
            data["expected_version"] = version
        ok(ctx.page(actor).post(admin_url(model, "delete", pk), data), 302)
        return pk

    return run


def _versioned(model):
    return any(f.name == "version" for f in model._meta.concrete_fields)


def admin_action(actor, model, action, pk_of, **extra):
    def run(ctx):
        pk = pk_of(ctx)
        data = {"action": action, ACTION_CHECKBOX_NAME: [pk], "index": "0", **extra}
        ok(ctx.page(actor).post(admin_url(model, "changelist"), data), 302)
        return pk

    return run


# ---------------------------------------------------------------- the paths


@dataclass(frozen=True)
class Path:
    model: type
    surface: str
    op: str
    actor: str
    run: object  # run(ctx) → the object's pk, or a response/None with ``pk`` telling where
    types: tuple  # history types of the rows written, in order ("+", "~", "-")
    changed: frozenset = frozenset()  # fields changed by the operation (updates)
    reason: object = ANY
    pk: object = None  # pk(ctx) when ``run`` returns no pk
    setup: object = None  # setup(ctx), before the clock starts (its rows are not the path's)

    @property
    def id(self):
        return f"{self.model._meta.model_name}-{self.surface}-{self.op}"


def fx(name, attr="pk"):
    """pk of a fixture."""
    return lambda ctx: getattr(ctx.get(name), attr)


def by(model, **lookup):
    """pk of the row found by ``lookup`` (values may be callables of ctx)."""
    return lambda ctx: model.objects.get(**{k: (v(ctx) if callable(v) else v) for k, v in lookup.items()}).pk


def returning(pk_of, action):
    def run(ctx):
        action(ctx)
        return pk_of(ctx)

    return run


# -- staff pages (strategy/urls.py) -----------------------------------------------


def page_post(actor, url, data):
    def run(ctx):
        ok(ctx.page(actor).post(url(ctx), data(ctx)), 302)

    return run


def measurement_page_data(ctx, **extra):
    return {
        "indicator": ctx.get("indicator").pk,
        "period": "2024-01-01/2024-12-31",
        "value": "12",  # beside the 10 of 2022: no jump to confirm (strategy.forms.MeasurementForm)
        "source": "Rapport FCA",
        **extra,
    }


def evidence_file(name="releve.pdf"):
    return document_upload(name, PDF)


def api_document(actor, resource, action, fixture):
    """PUT /api/v1/<resource>/{id}/<action>/ (multipart) with the row's ETag."""

    def run(ctx):
        obj = ctx.get(fixture)
        body = {"file": evidence_file("signe.pdf"), "change_reason": "Pièce déposée"}
        ok(ctx.api(actor).put(f"{V}{resource}/{obj.pk}/{action}/", body, format="multipart", **if_match(obj)), 200)
        return obj.pk

    return run


def mpage(name, pk_of):
    return lambda ctx: reverse(f"strategy:{name}", args=[pk_of(ctx)])


def version_of(name):
    return lambda ctx: ctx.get(name).version


NEW_2024 = by(Measurement, period_start=dt.date(2024, 1, 1))

PAGE_PATHS = [
    Path(
        Measurement,
        "page",
        "create",
        "partner_a",
        returning(
            NEW_2024, page_post("partner_a", lambda ctx: reverse("strategy:measurement_create"), measurement_page_data)
        ),
        ("+",),
        reason="Création",
    ),
    Path(
        Measurement,
        "page",
        "create-and-submit",
        "partner_a",
        returning(
            NEW_2024,
            page_post(
                "partner_a",
                lambda ctx: reverse("strategy:measurement_create"),
                lambda ctx: measurement_page_data(ctx, action="submit"),
            ),
        ),
        ("+", "~"),
        reason="Soumission",
    ),
    Path(
        Measurement,
        "page",
        "update",
        "partner_a",
        returning(
            fx("draft_a"),
            page_post(
                "partner_a",
                mpage("measurement_update", fx("draft_a")),
                lambda ctx: {
                    **measurement_page_data(ctx, value="11", source=ctx.get("draft_a").source),
                    "period": "2023-01-01/2023-12-31",
                    "version": ctx.get("draft_a").version,
                    "change_reason": "Valeur recopiée du rapport signé",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"value"}),
        reason="Valeur recopiée du rapport signé",
    ),
    Path(
        Measurement,
        "page",
        "update-evidence",
        "partner_a",
        returning(
            fx("draft_a"),
            page_post(
                "partner_a",
                mpage("measurement_update", fx("draft_a")),
                lambda ctx: {
                    **measurement_page_data(ctx, value="10", source=ctx.get("draft_a").source),
                    "period": "2023-01-01/2023-12-31",
                    "version": ctx.get("draft_a").version,
                    "evidence": evidence_file(),
                    "change_reason": "Relevé signé joint",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"evidence"}),  # evidence_name is not editable: diff_against skips it
        reason="Relevé signé joint",
    ),
    Path(
        Measurement,
        "page",
        "submit",
        "partner_a",
        returning(
            fx("draft_a"),
            page_post(
                "partner_a",
                mpage("measurement_submit", fx("draft_a")),
                lambda ctx: {"version": ctx.get("draft_a").version},
            ),
        ),
        ("~",),
        changed=frozenset({"status", "status_reason"}),
        reason="Soumission",
    ),
    Path(
        Measurement,
        "page",
        "validate",
        "validator",
        returning(
            fx("submitted_a"),
            page_post(
                "validator",
                mpage("measurement_validate", fx("submitted_a")),
                lambda ctx: {"version": ctx.get("submitted_a").version, "comment": "Conforme au rapport"},
            ),
        ),
        ("~",),
        changed=frozenset({"status", "status_reason", "validated_by", "validated_at"}),
        reason="Conforme au rapport",
    ),
    Path(
        Measurement,
        "page",
        "return",
        "validator",
        returning(
            fx("submitted_a"),
            page_post(
                "validator",
                mpage("measurement_return", fx("submitted_a")),
                lambda ctx: {"version": ctx.get("submitted_a").version, "reason": "Chiffre à justifier"},
            ),
        ),
        ("~",),
        changed=frozenset({"status", "status_reason"}),
        reason="Chiffre à justifier",
    ),
    Path(
        Measurement,
        "page",
        "reopen",
        "validator",
        returning(
            fx("validated_b"),
            page_post(
                "validator",
                mpage("measurement_reopen", fx("validated_b")),
                lambda ctx: {"version": ctx.get("validated_b").version, "reason": "Erreur de saisie signalée"},
            ),
        ),
        ("~",),
        changed=frozenset({"status", "status_reason", "validated_by", "validated_at"}),
        reason="Erreur de saisie signalée",
    ),
    Path(
        Measurement,
        "page",
        "validate-queue",
        "validator",
        returning(
            fx("submitted_a"),
            page_post(
                "validator",
                lambda ctx: reverse("strategy:validation_queue"),
                lambda ctx: {
                    "ids": [f"{ctx.get('submitted_a').pk}:{ctx.get('submitted_a').version}"],
                    "action": "validate",
                    "comment": "Lot de mars",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"status", "status_reason", "validated_by", "validated_at"}),
        reason="Lot de mars",
    ),
    # The queue's "Renvoyer la sélection" (services.return_measurements): the comment is the reason.
    Path(
        Measurement,
        "page",
        "return-queue",
        "validator",
        returning(
            fx("submitted_a"),
            page_post(
                "validator",
                lambda ctx: reverse("strategy:validation_queue"),
                lambda ctx: {
                    "ids": [f"{ctx.get('submitted_a').pk}:{ctx.get('submitted_a').version}"],
                    "action": "return",
                    "comment": "Relevé à joindre",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"status", "status_reason"}),
        reason="Relevé à joindre",
    ),
]


# -- REST API (config/api_urls.py, strategy/api, contracts/api) -----------------


def api_create(actor, resource, body, model, **lookup):
    def run(ctx):
        response = ok(ctx.api(actor).post(f"{V}{resource}/", body(ctx), format="json"), 201)
        return response.json()["id"]

    return run


def api_patch(actor, resource, fixture, body):
    def run(ctx):
        obj = ctx.get(fixture)
        ok(ctx.api(actor).patch(f"{V}{resource}/{obj.pk}/", body(ctx), format="json", **if_match(obj)), 200)
        return obj.pk

    return run


API_DELETE_REASON = "Doublon retiré (API)"


def api_delete(actor, resource, fixture, reason=API_DELETE_REASON):
    def run(ctx):
        obj = ctx.get(fixture)
        url = f"{V}{resource}/{obj.pk}/?{urlencode({'change_reason': reason})}"
        ok(ctx.api(actor).delete(url, **if_match(obj)), 204)
        return obj.pk

    return run


def api_move(actor, fixture, action, body):
    def run(ctx):
        obj = ctx.get(fixture)
        ok(ctx.api(actor).post(f"{V}measurements/{obj.pk}/{action}/", body, format="json", **if_match(obj)), 200)
        return obj.pk

    return run


def measurement_body(ctx, **extra):
    return {
        "indicator": ctx.get("indicator").pk,
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "value": "42",
        **extra,
    }


def bulk(actor, content, content_type, *, submit=False, variant=""):
    def run(ctx):
        url = f"{V}measurements/bulk/{variant}" + ("?submit=1" if submit else "")
        client = ctx.api(actor)
        payload = content(ctx)
        if content_type == "json":
            response = client.post(url, payload, format="json")
        else:
            response = client.generic("POST", url, payload, content_type=content_type)
        return ok(response, 201).json()["ids"][0]

    return run


BULK_ROW = ["IND-FORM", "2024-01-01", "2024-12-31", "42"]
BULK_HEAD = ["indicator", "period_start", "period_end", "value"]


def _xlsx(ctx):
    book = Workbook()
    for line in (BULK_HEAD, BULK_ROW):
        book.active.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet_upload(ctx, **extra):
    """The page's spreadsheet (strategy/sheet.py): French headers, same bulk path."""
    book = Workbook()
    for line in (["Indicateur (code)", "Début de période", "Fin de période", "Valeur"], BULK_ROW):
        book.active.append(line)
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("periode.xlsx", out.getvalue(), content_type=XLSX)
    return {"file": upload, **extra}


VALIDATION = frozenset({"status", "status_reason", "validated_by", "validated_at"})

API_MEASUREMENT_PATHS = [
    Path(
        Measurement,
        "api",
        "create",
        "partner_a",
        api_create(
            "partner_a", "measurements", lambda ctx: measurement_body(ctx, change_reason="Relevé 2024"), Measurement
        ),
        ("+",),
        reason="Relevé 2024",
    ),
    Path(
        Measurement,
        "api",
        "update",
        "partner_a",
        api_patch("partner_a", "measurements", "draft_a", lambda ctx: {"value": "43", "change_reason": "Coquille"}),
        ("~",),
        changed=frozenset({"value"}),
        reason="Coquille",
    ),
    Path(
        Measurement,
        "api",
        "delete",
        "partner_a",
        api_delete("partner_a", "measurements", "draft_a"),
        ("-",),
        reason=API_DELETE_REASON,
    ),
    Path(
        Measurement,
        "api",
        "evidence",
        "partner_a",
        api_document("partner_a", "measurements", "evidence", "draft_a"),
        ("~",),
        changed=frozenset({"evidence"}),  # evidence_name is not editable: diff_against skips it
        reason="Pièce déposée",
    ),
    Path(
        Measurement,
        "api",
        "submit",
        "partner_a",
        api_move("partner_a", "draft_a", "submit", {}),
        ("~",),
        changed=frozenset({"status", "status_reason"}),
        reason="Soumission",
    ),
    Path(
        Measurement,
        "api",
        "validate",
        "validator",
        api_move("validator", "submitted_a", "validate", {"comment": "Vu"}),
        ("~",),
        changed=VALIDATION,
        reason="Vu",
    ),
    Path(
        Measurement,
        "api",
        "return",
        "validator",
        api_move("validator", "submitted_a", "return", {"reason": "Source manquante"}),
        ("~",),
        changed=frozenset({"status", "status_reason"}),
        reason="Source manquante",
    ),
    Path(
        Measurement,
        "api",
        "reopen",
        "validator",
        api_move("validator", "validated_b", "reopen", {"reason": "Doublon découvert"}),
        ("~",),
        changed=VALIDATION,
        reason="Doublon découvert",
    ),
    Path(
        Measurement,
        "api",
        "validate-many",
        "validator",
        returning(
            fx("submitted_a"),
            lambda ctx: ok(
                ctx.api("validator").post(
                    f"{V}measurements/validate/", {"ids": [ctx.get("submitted_a").pk], "comment": "Lot"}, format="json"
                ),
                200,
            ),
        ),
        ("~",),
        changed=VALIDATION,
        reason="Lot",
    ),
    Path(
        Measurement,
        "bulk",
        "create-json",
        "partner_a",
        bulk("partner_a", lambda ctx: {"rows": [dict(zip(BULK_HEAD, BULK_ROW, strict=True))]}, "json"),
        ("+",),
        reason="Envoi groupé (API)",
    ),
    Path(
        Measurement,
        "bulk",
        "create-and-submit-json",
        "partner_a",
        bulk("partner_a", lambda ctx: [dict(zip(BULK_HEAD, BULK_ROW, strict=True))], "json", submit=True),
        ("+", "~"),
        reason="Envoi groupé (API)",
    ),
    Path(
        Measurement,
        "import",
        "create-csv",
        "partner_a",
        bulk("partner_a", lambda ctx: (",".join(BULK_HEAD) + "\n" + ",".join(BULK_ROW) + "\n").encode(), "text/csv"),
        ("+",),
        reason="Envoi groupé (API)",
    ),
    Path(
        Measurement,
        "import",
        "create-xlsx",
        "partner_a",
        bulk("partner_a", _xlsx, XLSX),
        ("+",),
        reason="Envoi groupé (API)",
    ),
    # The one-content-type variants (generated clients): the same service, the same reason.
    Path(
        Measurement,
        "import",
        "create-csv-variant",
        "partner_a",
        bulk(
            "partner_a",
            lambda ctx: (",".join(BULK_HEAD) + "\n" + ",".join(BULK_ROW) + "\n").encode(),
            "text/csv",
            variant="csv/",
        ),
        ("+",),
        reason="Envoi groupé (API)",
    ),
    Path(
        Measurement,
        "import",
        "create-xlsx-variant",
        "partner_a",
        bulk("partner_a", _xlsx, XLSX, variant="xlsx/"),
        ("+",),
        reason="Envoi groupé (API)",
    ),
    # The pages' spreadsheet of a period: the bulk path above, its own reason.
    Path(
        Measurement,
        "page",
        "sheet-upload",
        "partner_a",
        returning(NEW_2024, page_post("partner_a", lambda ctx: reverse("strategy:measurement_sheet"), _sheet_upload)),
        ("+",),
        reason="Envoi groupé (tableur)",
    ),
    Path(
        Measurement,
        "page",
        "sheet-upload-and-submit",
        "partner_a",
        returning(
            NEW_2024,
            page_post(
                "partner_a",
                lambda ctx: reverse("strategy:measurement_sheet"),
                lambda ctx: _sheet_upload(ctx, submit="on"),
            ),
        ),
        ("+", "~"),
        reason="Envoi groupé (tableur)",
    ),
]

API_TARGET_PATHS = [
    Path(
        Target,
        "api",
        "create",
        "editor",
        api_create(
            "editor",
            "targets",
            lambda ctx: {
                "indicator": ctx.get("indicator").pk,
                "due_date": "2026-12-31",
                "value": "500",
                "change_reason": "Cible 2026",
            },
            Target,
        ),
        ("+",),
        reason="Cible 2026",
    ),
    Path(
        Target,
        "api",
        "update",
        "editor",
        api_patch(
            "editor", "targets", "target", lambda ctx: {"value": "1200", "change_reason": "Révision à mi-parcours"}
        ),
        ("~",),
        changed=frozenset({"value"}),
        reason="Révision à mi-parcours",
    ),
    Path(
        Target,
        "api",
        "delete",
        "editor",
        api_delete("editor", "targets", "target"),
        ("-",),
        reason=API_DELETE_REASON,
    ),
]

# Rows nothing depends on (a contract with parties, a party with commitments, a
# commitment with disbursements or an indicator with targets is protected from deletion).
DELETABLE = {
    ContratProgramme: "lonely_contract",
    Party: "lonely_party",
    Commitment: "lonely_commitment",
    Indicator: "lonely_indicator",
}

# resource → (model, fixture of a row, body of a new row, a change)
CONTRACT_RESOURCES = {
    "contracts": (
        ContratProgramme,
        "contract_a",
        lambda ctx: {
            "reference": "CP-NEW",
            "title": "Nouveau",
            "kind": "transversal",
            "phase": ctx.get("phases")[1].pk,
            "start_date": "2023-01-01",
            "end_date": "2025-12-31",
            "status": "draft",
        },
        {"title": "Nouveau titre"},
    ),
    "parties": (
        Party,
        "party_a",
        lambda ctx: {"contract": ctx.get("contract_a").pk, "organisation": ctx.get("org_b").pk, "role": "funder"},
        {"signer_name": "M. Alaoui"},
    ),
    "commitments": (
        Commitment,
        "commitment_a",
        lambda ctx: {"party": ctx.get("party_a").pk, "year": 2023, "amount": "500000.00"},
        {"note": "Révisé"},
    ),
    "disbursements": (
        Disbursement,
        "disbursement_a",
        lambda ctx: {"commitment": ctx.get("commitment_a").pk, "date": "2022-06-01", "amount": "1000.00"},
        {"reference": "OV-42"},
    ),
    "milestones": (
        Milestone,
        "milestone_a",
        lambda ctx: {
            "contract": ctx.get("contract_a").pk,
            "title": "Étude",
            "responsible": ctx.get("org_a").pk,
            "due_date": "2024-01-01",
        },
        {"note": "En cours"},
    ),
    "amendments": (
        Amendment,
        "amendment_a",
        lambda ctx: {
            "contract": ctx.get("contract_a").pk,
            "number": 2,
            "date": "2023-03-01",
            "reason": "Rallonge",
            "summary": "Montants",
            "changes_amounts": True,
        },
        {"summary": "Dates et montants"},
    ),
}


def _contract_api_paths():
    paths = []
    for resource, (model, fixture, body, change) in CONTRACT_RESOURCES.items():
        paths += [
            Path(
                model,
                "api",
                "create",
                "editor",
                api_create("editor", resource, lambda ctx, body=body: {**body(ctx), "change_reason": "Saisie"}, model),
                ("+",),
                reason="Saisie",
            ),
            Path(
                model,
                "api",
                "update",
                "editor",
                api_patch(
                    "editor", resource, fixture, lambda ctx, change=change: {**change, "change_reason": "Mise à jour"}
                ),
                ("~",),
                changed=frozenset(change),
                reason="Mise à jour",
            ),
            Path(
                model,
                "api",
                "delete",
                "editor",
                api_delete("editor", resource, DELETABLE.get(model, fixture)),
                ("-",),
                reason=API_DELETE_REASON,
            ),
        ]
    paths.append(
        Path(
            ContratProgramme,
            "api",
            "document",
            "editor",
            api_document("editor", "contracts", "document", "contract_a"),
            ("~",),
            changed=frozenset({"document"}),
            reason="Pièce déposée",
        )
    )
    paths.append(
        Path(
            Milestone,
            "api",
            "update-by-partner",
            "partner_a",
            api_patch(
                "partner_a",
                "milestones",
                "milestone_a",
                lambda ctx: {"status": "met", "date_met": "2023-06-15", "change_reason": "Plateforme livrée"},
            ),
            ("~",),
            changed=frozenset({"status", "date_met"}),
            reason="Plateforme livrée",
        )
    )
    return paths


# -- Django admin (*/admin.py) ---------------------------------------------------------

ADMIN_ADD = {
    Measurement: lambda ctx: {
        "indicator": ctx.get("indicator").pk,
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "organisation": ctx.get("org_a").pk,
        "value": "42",
        "source": "Rapport",
    },
    Target: lambda ctx: {"indicator": ctx.get("indicator").pk, "due_date": "2026-12-31", "value": "500"},
    Indicator: lambda ctx: {
        "code": "IND-NEW",
        "name": "Coopératives créées",
        "axis": ctx.get("axis").pk,
        "unit": "count",
        "direction": "increase",
        "aggregation": "sum",
        "baseline_value": "0",
        "baseline_date": "2020-12-31",
        "baseline_source": "HCP",
        "weight": "1",
        "reporting_organisations": [str(ctx.get("org_a").pk)],
    },
    **{model: body for model, _fixture, body, _change in CONTRACT_RESOURCES.values()},
    AmendedCommitment: lambda ctx: {
        "amendment": ctx.get("amendment_a").pk,
        "commitment": ctx.get("lonely_commitment").pk,  # amended_commitment_a has commitment_a
        "new_amount": "1200000.00",
    },
}
ADMIN_CHANGE = {
    Measurement: ("draft_a", {"value": "12"}),
    Target: ("target", {"value": "1500"}),
    Indicator: ("indicator", {"name": "Artisans formés (cumul)"}),
    **{model: (fixture, change) for model, fixture, _body, change in CONTRACT_RESOURCES.values()},
    AmendedCommitment: ("amended_commitment_a", {"new_amount": "1300000.00"}),
}
# Amendment: ADMIN_ADD gives a boolean as True; the admin posts "on".
FOR_ADMIN = {True: "on", False: None}


def _admin_values(values):
    return {k: FOR_ADMIN.get(v, v) if isinstance(v, bool) else v for k, v in values.items()}


# model → (parent model, parent fixture, inline prefix, new row values, fixture of an existing row)
INLINES = {
    Target: (Indicator, "indicator", "targets", lambda ctx: {"due_date": "2027-12-31", "value": "700"}, "target"),
    Party: (
        ContratProgramme,
        "contract_a",
        "parties",
        lambda ctx: {"organisation": ctx.get("org_b").pk, "role": "funder"},
        None,
    ),
    Milestone: (
        ContratProgramme,
        "contract_a",
        "milestones",
        lambda ctx: {
            "title": "Salon",
            "responsible": ctx.get("org_a").pk,
            "due_date": "2024-05-01",
            "status": "scheduled",
        },
        "milestone_a",
    ),
    Amendment: (
        ContratProgramme,
        "contract_a",
        "amendments",
        lambda ctx: {
            "number": "3",
            "date": "2024-02-01",
            "reason": "Report",
            "summary": "Dates",
            "changes_dates": "on",
        },
        "amendment_a",
    ),
    Commitment: (Party, "party_a", "commitments", lambda ctx: {"year": "2024", "amount": "300000.00"}, None),
    AmendedCommitment: (
        Amendment,
        "amendment_a",
        "amended_commitments",
        lambda ctx: {"commitment": ctx.get("lonely_commitment").pk, "new_amount": "1200000.00"},
        "amended_commitment_a",
    ),
    Disbursement: (
        Commitment,
        "commitment_a",
        "disbursements",
        lambda ctx: {"date": "2022-09-01", "amount": "5000.00"},
        "disbursement_a",
    ),
}

ADMIN_REASON = "Saisie depuis l'administration (test)"
# An indicator is created, then its reporting organisations are set: a second row, the
# many-to-many snapshot, by the same user with the same reason.
WITH_REPORTERS = ("+", "~")


def _new_row(model):
    """pk of the single row of ``model`` created by the path (the highest pk)."""
    return lambda ctx: model.objects.order_by("-pk").values_list("pk", flat=True).first()


def _admin_paths():
    paths = []
    for model in (Measurement, Target, Indicator, *CONTRACT_MODELS, *ADMIN_ONLY_MODELS):
        add = ADMIN_ADD[model]
        fixture, change = ADMIN_CHANGE[model]
        deletable = DELETABLE.get(model, fixture)
        paths += [
            Path(
                model,
                "admin",
                "add",
                "admin_user",
                returning(
                    _new_row(model),
                    admin_save(
                        "admin_user",
                        lambda ctx, model=model: admin_url(model, "add"),
                        lambda ctx, add=add: {**_admin_values(add(ctx)), "change_reason": ADMIN_REASON},
                    ),
                ),
                WITH_REPORTERS if model is Indicator else ("+",),
                reason=ADMIN_REASON,
            ),
            Path(
                model,
                "admin",
                "change",
                "admin_user",
                returning(
                    fx(fixture),
                    admin_save(
                        "admin_user",
                        lambda ctx, model=model, fixture=fixture: admin_url(model, "change", ctx.get(fixture).pk),
                        lambda ctx, change=change: {**change, "change_reason": "Correction (test)"},
                    ),
                ),
                ("~",),
                changed=frozenset(change),
                reason="Correction (test)",
            ),
            Path(
                model,
                "admin",
                "delete",
                "admin_user",
                admin_delete("admin_user", model, fx(deletable)),
                ("-",),
                reason=ADMIN_DELETE_REASON,
            ),
        ]
        if model is not Measurement:  # measurements are deleted one by one (their admin drops the action)
            paths.append(
                Path(
                    model,
                    "admin_action",
                    "delete_selected",
                    "admin_user",
                    admin_action(
                        "admin_user",
                        model,
                        "delete_selected",
                        fx(deletable),
                        post="yes",
                        change_reason=ADMIN_DELETE_REASON,
                    ),
                    ("-",),
                    reason=ADMIN_DELETE_REASON,
                )
            )
        if model in INLINES:
            parent, parent_fixture, prefix, row, existing = INLINES[model]
            parent_url = lambda ctx, parent=parent, parent_fixture=parent_fixture: admin_url(  # noqa: E731
                parent, "change", ctx.get(parent_fixture).pk
            )
            paths.append(
                Path(
                    model,
                    "admin_inline",
                    "add",
                    "admin_user",
                    returning(
                        _new_row(model),
                        admin_save(
                            "admin_user",
                            parent_url,
                            lambda ctx: {"change_reason": "Ligne ajoutée"},
                            inline=(prefix, row),
                        ),
                    ),
                    ("+",),
                    reason="Ligne ajoutée",
                )
            )
            if existing:
                paths.append(
                    Path(
                        model,
                        "admin_inline",
                        "delete",
                        "admin_user",
                        returning(
                            fx(existing),
                            admin_save(
                                "admin_user",
                                parent_url,
                                lambda ctx: {"change_reason": "Ligne retirée"},
                                delete_inline=(prefix, fx(existing)),
                            ),
                        ),
                        ("-",),
                        reason="Ligne retirée",
                    )
                )
    return paths


def _reason_action(action, fixture, reason):
    return admin_action("admin_user", Measurement, action, fx(fixture), post="yes", reason=reason)


ADMIN_ACTION_PATHS = [
    Path(
        Measurement,
        "admin_action",
        "submit",
        "admin_user",
        admin_action("admin_user", Measurement, "submit_selected", fx("draft_a")),
        ("~",),
        changed=frozenset({"status", "status_reason"}),
        reason="Soumission",
    ),
    Path(
        Measurement,
        "admin_action",
        "validate",
        "admin_user",
        admin_action("admin_user", Measurement, "validate_selected", fx("submitted_a")),
        ("~",),
        changed=VALIDATION,
        reason="Validation",
    ),
    Path(
        Measurement,
        "admin_action",
        "return",
        "admin_user",
        _reason_action("return_selected", "submitted_a", "Total incohérent"),
        ("~",),
        changed=frozenset({"status", "status_reason"}),
        reason="Total incohérent",
    ),
    Path(
        Measurement,
        "admin_action",
        "reopen",
        "admin_user",
        _reason_action("reopen_selected", "validated_b", "Période à reprendre"),
        ("~",),
        changed=VALIDATION,
        reason="Période à reprendre",
    ),
]


# -- management commands (artisanat/management/commands) -------------------------------


def load_strategy(*args):
    def run(ctx):
        call_command("load_strategy", *args, stdout=io.StringIO())

    return run


def _first_indicator(ctx):
    return Indicator.objects.order_by("code").first().pk


def _load_then_alter(ctx):
    """load_strategy once, then a hand edit of the first indicator's name: the next run
    puts the reference name back (an update)."""
    editor = ctx.user("editor")
    call_command("load_strategy", stdout=io.StringIO())
    indicator = Indicator.objects.order_by("code").first()
    indicator.name = "Nom modifié à la main"
    indicator._history_user = editor
    indicator._change_reason = "Essai"
    indicator.save()


COMMAND_PATHS = [
    Path(
        Indicator,
        "command",
        "create",
        SYSTEM_USERNAME,
        load_strategy(),
        WITH_REPORTERS,
        reason="load_strategy",
        pk=_first_indicator,
    ),
    Path(
        ContratProgramme,
        "command",
        "create",
        SYSTEM_USERNAME,
        load_strategy(),
        ("+", "~", "~"),  # the row, then its axes and indicators (many-to-many snapshots)
        reason="load_strategy",
        pk=lambda ctx: ContratProgramme.objects.order_by("reference").first().pk,
    ),
    Path(
        Party,
        "command",
        "create",
        SYSTEM_USERNAME,
        load_strategy(),
        ("+",),
        reason="load_strategy",
        pk=lambda ctx: Party.objects.order_by("pk").first().pk,
    ),
    Path(
        Indicator,
        "command",
        "create-as-user",
        "editor",
        load_strategy("--user", "editor"),
        WITH_REPORTERS,
        reason="load_strategy",
        pk=_first_indicator,
    ),
    Path(
        Indicator,
        "command",
        "update",
        SYSTEM_USERNAME,
        load_strategy(),
        ("~",),
        changed=frozenset({"name"}),
        reason="load_strategy",
        pk=_first_indicator,
        setup=_load_then_alter,
    ),
]

# -- rows deleted with their parent (CASCADE) ---------------------------------------------


def _milestone_on_lonely_contract(ctx):
    contract = ctx.get("lonely_contract")
    ctx.saved["cascaded"] = Milestone.objects.create(
        contract=contract, title="Jalon du contrat", responsible=ctx.get("org_a"), due_date=dt.date(2024, 1, 1)
    ).pk


def _target_on_lonely_indicator(ctx):
    indicator = ctx.get("lonely_indicator")
    ctx.saved["cascaded"] = Target.objects.create(indicator=indicator, due_date=dt.date(2030, 12, 31), value=D("5")).pk


CASCADE_PATHS = [
    Path(
        Milestone,
        "api",
        "deleted-with-its-contract",
        "editor",
        api_delete("editor", "contracts", "lonely_contract"),
        ("-",),
        reason=API_DELETE_REASON,
        pk=lambda ctx: ctx.saved["cascaded"],
        setup=_milestone_on_lonely_contract,
    ),
    Path(
        Target,
        "admin",
        "deleted-with-its-indicator",
        "admin_user",
        admin_delete("admin_user", Indicator, fx("lonely_indicator")),
        ("-",),
        reason=ADMIN_DELETE_REASON,
        pk=lambda ctx: ctx.saved["cascaded"],
        setup=_target_on_lonely_indicator,
    ),
]

# -- the report's written comments (strategy pages, API, admin): created and changed, never
# deleted (a comment is rewritten, its history kept).


@pytest.fixture
def indicator_comment(indicator, editor):
    return strategy_services.save_indicator_comment(
        IndicatorComment(indicator=indicator, year=2024, text="Retard des sessions"), by=editor, reason="Rapport 2024"
    )


def comment_page(ctx, year=2024):
    return reverse("strategy:indicator_comment", args=[ctx.get("indicator").pk, year])


COMMENT_2025 = by(IndicatorComment, year=2025)

COMMENT_PATHS = [
    Path(
        IndicatorComment,
        "page",
        "create",
        "editor",
        returning(
            COMMENT_2025,
            page_post(
                "editor",
                lambda ctx: comment_page(ctx, 2025),
                lambda ctx: {"text": "Écart expliqué", "reason": "Premier jet du rapport"},
            ),
        ),
        ("+",),
        reason="Premier jet du rapport",
    ),
    Path(
        IndicatorComment,
        "page",
        "update",
        "validator",
        returning(
            fx("indicator_comment"),
            page_post(
                "validator",
                comment_page,
                lambda ctx: {
                    "text": "Sessions reprogrammées",
                    "version": ctx.get("indicator_comment").version,
                    "reason": "Point d'étape",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"text"}),
        reason="Point d'étape",
        setup=lambda ctx: ctx.get("indicator_comment"),
    ),
    Path(
        IndicatorComment,
        "api",
        "create",
        "editor",
        api_create(
            "editor",
            "indicator-comments",
            lambda ctx: {
                "indicator": ctx.get("indicator").pk,
                "year": 2025,
                "text": "Écart",
                "change_reason": "Rapport",
            },
            IndicatorComment,
        ),
        ("+",),
        reason="Rapport",
    ),
    Path(
        IndicatorComment,
        "api",
        "update",
        "admin_user",
        api_patch(
            "admin_user",
            "indicator-comments",
            "indicator_comment",
            lambda ctx: {"text_ar": "تأخر الدورات", "change_reason": "Version arabe"},
        ),
        ("~",),
        changed=frozenset({"text_ar"}),
        reason="Version arabe",
        setup=lambda ctx: ctx.get("indicator_comment"),
    ),
    Path(
        IndicatorComment,
        "admin",
        "create",
        "admin_user",
        returning(
            COMMENT_2025,
            admin_save(
                "admin_user",
                lambda ctx: admin_url(IndicatorComment, "add"),
                lambda ctx: {
                    "indicator": ctx.get("indicator").pk,
                    "year": "2025",
                    "text": "Depuis l'administration",
                    "change_reason": "Rédigé en comité",
                },
            ),
        ),
        ("+",),
        reason="Rédigé en comité",
    ),
    Path(
        IndicatorComment,
        "admin",
        "update",
        "admin_user",
        returning(
            fx("indicator_comment"),
            admin_save(
                "admin_user",
                lambda ctx: admin_url(IndicatorComment, "change", ctx.get("indicator_comment").pk),
                lambda ctx: {"text": "Corrigé", "change_reason": "Relecture"},
            ),
        ),
        ("~",),
        changed=frozenset({"text"}),
        reason="Relecture",
        setup=lambda ctx: ctx.get("indicator_comment"),
    ),
]

# -- people (artisanat/accounts: /compte/personnes/): invitation, membership, two-factor
# reset, deactivation and reactivation, each with its required reason. The account's own
# history (User.history) keeps neither the password hash nor the sign-in stamp.

INVITED = "invite@example.ma"


@pytest.fixture
def focal_point_a(org_a):
    from django.contrib.auth import get_user_model

    from artisanat.models import Membership

    user = get_user_model().objects.create_user(username="focal_point_a", password="x" * 16)
    Membership.objects.create(user=user, organisation=org_a, role="reporter", is_focal_point=True)
    return user


@pytest.fixture
def deactivated_b(partner_b, admin_user):
    from artisanat.accounts import people

    return people.deactivate_user(partner_b, by=admin_user, reason="Départ")


def people_page(name, pk_of=None):
    return lambda ctx: reverse(f"accounts:{name}", args=[pk_of(ctx)] if pk_of else [])


def invite_post(actor, organisation):
    return page_post(
        actor,
        people_page("people_invite"),
        lambda ctx: {
            "email": INVITED,
            "first_name": "Nadia",
            "last_name": "Alami",
            "organisation": ctx.get(organisation).pk,
            "role": "reporter",
            "reason": "Nouvelle correspondante",
        },
    )


# The admin's account form shows the date joined to the second (two inputs): the
# account's date joined is made whole seconds first, and posted back as it is.
JOINED = {"date_joined_0": "2026-01-15", "date_joined_1": "10:00:00"}


def joined_in_whole_seconds(ctx):
    user = ctx.get("partner_a")
    user.date_joined = timezone.make_aware(dt.datetime(2026, 1, 15, 10, 0, 0))
    user.save()


def _people_paths():
    from django.contrib.auth import get_user_model

    from artisanat.models import Membership

    User = get_user_model()
    invited_user = by(User, email=INVITED)
    invited_membership = by(Membership, user__email=INVITED)
    membership_of = lambda name: lambda ctx: ctx.get(name).membership.pk  # noqa: E731
    return [
        Path(
            User,
            "page",
            "invite",
            "admin_user",
            returning(invited_user, invite_post("admin_user", "org_a")),
            ("+",),
            reason="Nouvelle correspondante",
        ),
        Path(
            Membership,
            "page",
            "invite",
            "admin_user",
            returning(invited_membership, invite_post("admin_user", "org_a")),
            ("+",),
            reason="Nouvelle correspondante",
        ),
        Path(
            Membership,
            "page",
            "invite-by-focal-point",
            "focal_point_a",
            returning(invited_membership, invite_post("focal_point_a", "org_a")),
            ("+",),
            reason="Nouvelle correspondante",
        ),
        Path(
            Membership,
            "page",
            "change",
            "admin_user",
            returning(
                membership_of("partner_a"),
                page_post(
                    "admin_user",
                    people_page("person_membership", fx("partner_a")),
                    lambda ctx: {"organisation": ctx.get("org_a").pk, "role": "viewer", "reason": "Lecture seule"},
                ),
            ),
            ("~",),
            changed=frozenset({"role"}),
            reason="Lecture seule",
        ),
        Path(
            Membership,
            "page",
            "change-by-focal-point",
            "focal_point_a",
            returning(
                membership_of("partner_a"),
                page_post(
                    "focal_point_a",
                    people_page("person_membership", fx("partner_a")),
                    lambda ctx: {
                        "organisation": ctx.get("org_a").pk,
                        "role": "reporter",
                        "is_focal_point": "on",
                        "reason": "Suppléante",
                    },
                ),
            ),
            ("~",),
            changed=frozenset({"is_focal_point"}),
            reason="Suppléante",
            setup=lambda ctx: ctx.get("focal_point_a"),
        ),
        Path(
            User,
            "page",
            "reset-two-factor",
            "admin_user",
            returning(
                fx("validator"),
                page_post(
                    "admin_user",
                    people_page("person_reset_two_factor", fx("validator")),
                    lambda ctx: {"reset-reason": "Téléphone perdu"},
                ),
            ),
            ("~",),
            reason="Téléphone perdu",
        ),
        Path(
            User,
            "page",
            "deactivate",
            "focal_point_a",
            returning(
                fx("partner_a"),
                page_post(
                    "focal_point_a",
                    people_page("person_deactivate", fx("partner_a")),
                    lambda ctx: {"active-reason": "Fin de mission"},
                ),
            ),
            ("~",),
            changed=frozenset({"is_active"}),
            reason="Fin de mission",
            setup=lambda ctx: ctx.get("focal_point_a"),
        ),
        Path(
            User,
            "page",
            "reactivate",
            "admin_user",
            returning(
                fx("partner_b"),
                page_post(
                    "admin_user",
                    people_page("person_reactivate", fx("partner_b")),
                    lambda ctx: {"active-reason": "Retour de mission"},
                ),
            ),
            ("~",),
            changed=frozenset({"is_active"}),
            reason="Retour de mission",
            setup=lambda ctx: ctx.get("deactivated_b"),
        ),
        Path(
            User,
            "admin",
            "deactivate",
            "admin_user",
            returning(
                fx("partner_a"),
                admin_save(
                    "admin_user",
                    lambda ctx: admin_url(User, "change", ctx.get("partner_a").pk),
                    lambda ctx: {**JOINED, "is_active": "", "change_reason": "Départ du partenaire"},
                ),
            ),
            ("~",),
            changed=frozenset({"is_active"}),
            reason="Départ du partenaire",
            setup=joined_in_whole_seconds,
        ),
        Path(
            Membership,
            "admin_inline",
            "change",
            "admin_user",
            returning(
                membership_of("partner_a"),
                admin_save(
                    "admin_user",
                    lambda ctx: admin_url(User, "change", ctx.get("partner_a").pk),
                    lambda ctx: {**JOINED, "membership-0-role": "viewer", "change_reason": "Consultation seule"},
                ),
            ),
            ("~",),
            changed=frozenset({"role"}),
            reason="Consultation seule",
            setup=joined_in_whole_seconds,
        ),
        Path(
            Membership,
            "admin",
            "change",
            "admin_user",
            returning(
                membership_of("partner_a"),
                admin_save(
                    "admin_user",
                    lambda ctx: admin_url(Membership, "change", ctx.get("partner_a").membership.pk),
                    lambda ctx: {"is_focal_point": "on", "change_reason": "Point focal désigné"},
                ),
            ),
            ("~",),
            changed=frozenset({"is_focal_point"}),
            reason="Point focal désigné",
        ),
    ]


PEOPLE_PATHS = _people_paths()

# -- indicators and the target grid (issue 14, items 1-2) --------------------------


def indicator_page_data(ctx, indicator=None, **changes):
    """The indicator form as the page sends it: ``indicator``'s values, or a new one."""
    if indicator is None:
        data = {
            "code": "IND-PAGE",
            "name": "Coopératives créées",
            "axis": ctx.get("axis").pk,
            "programme": ctx.get("programme").pk,
            "unit": "count",
            "direction": "increase",
            "aggregation": "sum",
            "baseline_value": "0",
            "baseline_date": "2020-12-31",
            "baseline_source": "ODCO",
            "frequency": "yearly",
            "report_delay_days": "90",
            "weight": "1",
        }
    else:
        indicator.refresh_from_db()
        data = {
            field: getattr(indicator, field)
            for field in ("code", "name", "unit", "direction", "aggregation", "baseline_source", "frequency")
        }
        data.update(
            axis=indicator.axis_id,
            programme=indicator.programme_id or "",
            baseline_value=str(indicator.baseline_value),
            baseline_date=indicator.baseline_date.isoformat(),
            report_delay_days=indicator.report_delay_days,
            weight=str(indicator.weight),
            reporting_organisations=[o.pk for o in indicator.reporting_organisations.all()],
            expected_version=indicator.version,
        )
    return {**data, **changes}


def grid_post(actor, cells):
    """POST the target grid of the fixture indicator with ``cells(ctx)`` (name → value,
    version, read value) and one reason."""

    def run(ctx):
        data = {"change_reason": "Révision des cibles"}
        for name, (value, version, was) in cells(ctx).items():
            data.update({f"cell-{name}": value, f"version-{name}": version, f"was-{name}": was})
        url = reverse("strategy:target_grid", args=[ctx.get("indicator").pk])
        ok(ctx.page(actor).post(url, data), 302)

    return run


def _target_cell(ctx, value):
    target = ctx.get("target")
    target.refresh_from_db()
    return {"0-0-20301231": (value, target.version, "1000")}


INDICATOR_PATHS = [
    Path(
        Indicator,
        "page",
        "create",
        "editor",
        returning(
            by(Indicator, code="IND-PAGE"),
            page_post(
                "editor",
                lambda ctx: reverse("strategy:indicator_create"),
                lambda ctx: indicator_page_data(ctx, change_reason="Nouvel indicateur"),
            ),
        ),
        ("+",),
        reason="Nouvel indicateur",
    ),
    Path(
        Indicator,
        "page",
        "update",
        "editor",
        returning(
            fx("indicator"),
            page_post(
                "editor",
                lambda ctx: reverse("strategy:indicator_update", args=[ctx.get("indicator").pk]),
                lambda ctx: indicator_page_data(
                    ctx, ctx.get("indicator"), name="Artisans formés et certifiés", change_reason="Nouvel intitulé"
                ),
            ),
        ),
        ("~",),
        changed=frozenset({"name"}),
        reason="Nouvel intitulé",
    ),
    Path(
        Indicator,
        "api",
        "create",
        "editor",
        api_create(
            "editor",
            "indicators",
            lambda ctx: {
                **indicator_page_data(ctx),
                "code": "IND-API",
                "by_region": True,
                "change_reason": "Indicateur créé par l'API",
            },
            Indicator,
        ),
        ("+",),
        reason="Indicateur créé par l'API",
    ),
    Path(
        Indicator,
        "api",
        "update",
        "editor",
        api_patch(
            "editor",
            "indicators",
            "indicator",
            lambda ctx: {"report_delay_days": 60, "change_reason": "Délai raccourci"},
        ),
        ("~",),
        changed=frozenset({"report_delay_days"}),
        reason="Délai raccourci",
    ),
    Path(
        Indicator,
        "api",
        "delete",
        "editor",
        api_delete("editor", "indicators", "lonely_indicator"),
        ("-",),
        reason=API_DELETE_REASON,
    ),
    Path(
        Target,
        "page",
        "grid-create",
        "editor",
        returning(
            by(Target, due_date=dt.date(2026, 12, 31)),
            grid_post("editor", lambda ctx: {"0-0-20261231": ("1 250,5", "", "")}),
        ),
        ("+",),
        reason="Révision des cibles",
    ),
    Path(
        Target,
        "page",
        "grid-update",
        "editor",
        returning(fx("target"), grid_post("editor", lambda ctx: _target_cell(ctx, "1 200"))),
        ("~",),
        changed=frozenset({"value"}),
        reason="Révision des cibles",
    ),
    Path(
        Target,
        "page",
        "grid-delete",
        "editor",
        returning(fx("target"), grid_post("editor", lambda ctx: _target_cell(ctx, ""))),
        ("-",),
        reason="Révision des cibles",
    ),
]


# -- programmes and actions: pages, API, admin (issue 14, item 3) -----------------------


def programme_body(ctx, **extra):
    return {
        "axis": ctx.get("axis").pk,
        "code": "P3.9",
        "title": "Programme ajouté",
        "title_ar": "",
        "objective": "",
        **extra,
    }


def action_body(ctx, **extra):
    return {
        "programme": ctx.get("programme").pk,
        "code": "A3.1.9",
        "title": "Action ajoutée",
        "lead_organisation": ctx.get("org_a").pk,
        "phase": ctx.get("phases")[0].pk,
        "start_date": "2021-01-01",
        "end_date": "2022-12-31",
        "budget": "1000000",
        "status": "planned",
        **extra,
    }


def action_page_body(ctx, **extra):
    action = ctx.get("action")
    return {
        **action_body(ctx),
        "code": action.code,
        "title": action.title,
        "progress": "0",
        "progress_reason": "",
        "progress_date": "",
        "note": "",
        "expected_version": action.version,
        "linked_indicators": [],
        **extra,
    }


def spage(name, *pk_of):
    return lambda ctx: reverse(f"strategy:{name}", args=[pk(ctx) for pk in pk_of])


PROGRAMME_ACTION_PATHS = [
    Path(
        Programme,
        "page",
        "create",
        "editor",
        returning(
            by(Programme, code="P3.9"),
            page_post(
                "editor",
                spage("programme_create"),
                lambda ctx: {**programme_body(ctx), "change_reason": "Programme du plan 2024"},
            ),
        ),
        ("+",),
        reason="Programme du plan 2024",
    ),
    Path(
        Programme,
        "page",
        "update",
        "editor",
        returning(
            fx("programme"),
            page_post(
                "editor",
                spage("programme_update", fx("programme")),
                lambda ctx: {
                    **programme_body(ctx),
                    "code": "P3.1",
                    "title": "Formation et qualification",
                    "change_reason": "Intitulé officiel",
                    "expected_version": ctx.get("programme").version,
                },
            ),
        ),
        ("~",),
        changed=frozenset({"title"}),
        reason="Intitulé officiel",
    ),
    Path(
        Programme,
        "api",
        "create",
        "editor",
        api_create(
            "editor",
            "programmes",
            lambda ctx: {**programme_body(ctx), "change_reason": "Programme par l'API"},
            Programme,
        ),
        ("+",),
        reason="Programme par l'API",
    ),
    Path(
        Programme,
        "api",
        "update",
        "editor",
        api_patch(
            "editor", "programmes", "programme", lambda ctx: {"objective": "Former", "change_reason": "Objectif"}
        ),
        ("~",),
        changed=frozenset({"objective"}),
        reason="Objectif",
    ),
    Path(
        Action,
        "page",
        "create",
        "editor",
        returning(
            by(Action, code="A3.1.9"),
            page_post(
                "editor",
                spage("action_create"),
                lambda ctx: {**action_page_body(ctx), "code": "A3.1.9", "change_reason": "Action du plan"},
            ),
        ),
        ("+",),
        reason="Action du plan",
    ),
    Path(
        Action,
        "page",
        "update",
        "editor",
        returning(
            fx("action"),
            page_post(
                "editor",
                spage("action_update", fx("action")),
                lambda ctx: {**action_page_body(ctx), "status": "completed", "change_reason": "Action achevée"},
            ),
        ),
        ("~",),
        changed=frozenset({"status", "budget"}),
        reason="Action achevée",
    ),
    Path(
        Action,
        "page",
        "manual-progress",
        "editor",
        returning(
            fx("action"),
            page_post(
                "editor",
                spage("action_update", fx("action")),
                lambda ctx: {
                    **action_page_body(ctx),
                    "budget": "0",
                    "status": "ongoing",
                    "progress": "35",
                    "progress_reason": "Comité de pilotage",
                    "progress_date": "2024-06-30",
                    "change_reason": "Avancement du semestre",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"progress", "progress_reason", "progress_date"}),
        reason="Avancement du semestre",
    ),
    Path(
        Indicator,
        "page",
        "link-to-action",
        "editor",
        returning(
            fx("indicator"),
            page_post(
                "editor",
                spage("action_update", fx("action")),
                lambda ctx: {
                    **action_page_body(ctx),
                    "budget": "0",
                    "status": "ongoing",
                    "linked_indicators": [ctx.get("indicator").pk],
                    "change_reason": "Indicateur rattaché",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"action"}),
        reason="Indicateur rattaché",
    ),
    Path(
        Action,
        "page",
        "delete",
        "editor",
        returning(
            fx("action"),
            page_post(
                "editor",
                spage("action_delete", fx("action")),
                lambda ctx: {"change_reason": "Action abandonnée", "expected_version": ctx.get("action").version},
            ),
        ),
        ("-",),
        reason="Action abandonnée",
    ),
    Path(
        Action,
        "api",
        "create",
        "editor",
        api_create("editor", "actions", lambda ctx: {**action_body(ctx), "change_reason": "Action par l'API"}, Action),
        ("+",),
        reason="Action par l'API",
    ),
    Path(
        Action,
        "api",
        "update",
        "editor",
        api_patch(
            "editor",
            "actions",
            "action",
            lambda ctx: {"manual_progress": "20", "progress_reason": "Rapport", "change_reason": "Avancement"},
        ),
        ("~",),
        changed=frozenset({"progress", "progress_reason", "progress_date"}),
        reason="Avancement",
    ),
    Path(
        Action, "api", "delete", "editor", api_delete("editor", "actions", "action"), ("-",), reason=API_DELETE_REASON
    ),
    Path(
        Action,
        "admin",
        "add",
        "admin_user",
        returning(
            _new_row(Action),
            admin_save(
                "admin_user",
                lambda ctx: admin_url(Action, "add"),
                lambda ctx: {**action_body(ctx), "change_reason": ADMIN_REASON},
            ),
        ),
        ("+",),
        reason=ADMIN_REASON,
    ),
    Path(
        Action,
        "admin",
        "change",
        "admin_user",
        returning(
            fx("action"),
            admin_save(
                "admin_user",
                lambda ctx: admin_url(Action, "change", ctx.get("action").pk),
                lambda ctx: {"title": "Former (admin)", "change_reason": "Correction (test)"},
            ),
        ),
        ("~",),
        changed=frozenset({"title"}),
        reason="Correction (test)",
    ),
    Path(
        Action,
        "admin",
        "delete",
        "admin_user",
        admin_delete("admin_user", Action, fx("action")),
        ("-",),
        reason=ADMIN_DELETE_REASON,
    ),
    Path(
        Programme,
        "admin",
        "add",
        "admin_user",
        returning(
            _new_row(Programme),
            admin_save(
                "admin_user",
                lambda ctx: admin_url(Programme, "add"),
                lambda ctx: {**programme_body(ctx), "change_reason": ADMIN_REASON},
            ),
        ),
        ("+",),
        reason=ADMIN_REASON,
    ),
    Path(
        Programme,
        "admin",
        "change",
        "admin_user",
        returning(
            fx("programme"),
            admin_save(
                "admin_user",
                lambda ctx: admin_url(Programme, "change", ctx.get("programme").pk),
                lambda ctx: {"objective": "Former 10 000 artisans", "change_reason": "Correction (test)"},
            ),
        ),
        ("~",),
        changed=frozenset({"objective"}),
        reason="Correction (test)",
    ),
    Path(
        Programme,
        "admin",
        "delete",
        "admin_user",
        admin_delete("admin_user", Programme, fx("lonely_programme")),
        ("-",),
        reason=ADMIN_DELETE_REASON,
        setup=lambda ctx: ctx.get("lonely_programme"),
    ),
]

PATHS = [
    *PAGE_PATHS,
    *PEOPLE_PATHS,
    *INDICATOR_PATHS,
    *COMMENT_PATHS,
    *CASCADE_PATHS,
    *API_MEASUREMENT_PATHS,
    *API_TARGET_PATHS,
    *_contract_api_paths(),
    *_admin_paths(),
    *ADMIN_ACTION_PATHS,
    *COMMAND_PATHS,
    *PROGRAMME_ACTION_PATHS,
]


# -- contract editing pages and amendments that change things (contracts/urls.py, issue 14 item 4)


def cpage(name, pk_of):
    return lambda ctx: reverse(f"contracts:{name}", args=[pk_of(ctx)])


def _link_indicator(ctx):
    ctx.get("contract_a").indicators.add(ctx.get("indicator"))


AMENDMENT_REASON = "Avenant n° 2 du 01/03/2023"


def amendment_page(ctx):
    return {
        "number": 2,
        "date": "2023-03-01",
        "reason": "Rallonge et report",
        "summary": "Montant, échéance, fin et cible",
        "change_reason": "Avenant signé",
        f"commitment-{ctx.get('commitment_a').pk}": "1 500 000",
        f"milestone-{ctx.get('milestone_a').pk}": "2023-12-31",
        "contract-end": "2026-06-30",
        f"target-{ctx.get('target').pk}": "1 250",
    }


def _amend_by_page(ctx):
    ok(
        ctx.page("editor").post(
            reverse("contracts:amendment_create", args=[ctx.get("contract_a").pk]), amendment_page(ctx)
        ),
        302,
    )


def _amend_by_api(ctx):
    body = {
        "contract": ctx.get("contract_a").pk,
        "number": 2,
        "date": "2023-03-01",
        "reason": "Report",
        "summary": "Échéance",
        "change_reason": "Avenant signé",
        "changes": [{"kind": "milestone_due", "object_id": ctx.get("milestone_a").pk, "new_value": "2023-12-31"}],
    }
    ok(ctx.api("editor").post(f"{V}amendments/", body, format="json"), 201)


def _contract_page_data(ctx, **extra):
    c = ctx.get("contract_a")
    return {
        "reference": c.reference,
        "title": c.title,
        "kind": c.kind,
        "phase": c.phase_id,
        "signing_date": "2021-07-26",
        "start_date": "2021-07-26",
        "end_date": "2025-12-31",
        "status": c.status,
        "expected_version": c.version,
        "change_reason": "Titre corrigé",
        **extra,
    }


def _grid(ctx, amount, year=2022):
    party = ctx.get("party_a")
    commitment = Commitment.objects.filter(party=party, year=year).first()
    return {
        f"c-{party.pk}-{year}": amount,
        f"v-{party.pk}-{year}": commitment.version if commitment else "",
        "change_reason": "Convention de financement",
    }


def _party_page(ctx, **extra):
    return {"organisation": ctx.get("org_b").pk, "role": "funder", "signer_name": "M. Alaoui", **extra}


def _milestone_page(ctx, **extra):
    return {
        "title": "Salon régional",
        "title_ar": "المعرض الجهوي",
        "responsible": ctx.get("org_a").pk,
        "due_date": "2024-06-30",
        "status": "scheduled",
        **extra,
    }


CONTRACT_PAGE_PATHS = [
    Path(
        ContratProgramme,
        "page",
        "create",
        "editor",
        returning(
            by(ContratProgramme, reference="CP-PAGE"),
            page_post(
                "editor",
                lambda ctx: reverse("contracts:contract_create"),
                lambda ctx: {
                    "reference": "CP-PAGE",
                    "title": "Contrat saisi",
                    "kind": "transversal",
                    "phase": ctx.get("phases")[1].pk,
                    "start_date": "2023-01-01",
                    "end_date": "2025-12-31",
                    "status": "draft",
                    "change_reason": "Contrat reçu",
                },
            ),
        ),
        ("+",),
        reason="Contrat reçu",
    ),
    Path(
        ContratProgramme,
        "page",
        "update",
        "validator",
        returning(
            fx("contract_a"),
            page_post(
                "validator",
                cpage("contract_update", fx("contract_a")),
                lambda ctx: _contract_page_data(ctx, title="Titre corrigé"),
            ),
        ),
        ("~",),
        changed=frozenset({"title"}),
        reason="Titre corrigé",
    ),
    Path(
        ContratProgramme,
        "page",
        "document",
        "editor",
        returning(
            fx("contract_a"),
            page_post(
                "editor",
                cpage("contract_update", fx("contract_a")),
                lambda ctx: _contract_page_data(
                    ctx, document=evidence_file("signe.pdf"), change_reason="Pièce déposée"
                ),
            ),
        ),
        ("~",),
        changed=frozenset({"document"}),
        reason="Pièce déposée",
    ),
    Path(
        Party,
        "page",
        "create",
        "editor",
        returning(
            by(
                Party,
                organisation=lambda ctx: ctx.get("org_b").pk,
                contract=lambda ctx: ctx.get("contract_a").pk,
                role="funder",
            ),
            page_post(
                "editor",
                cpage("party_create", fx("contract_a")),
                lambda ctx: _party_page(ctx, change_reason="Nouveau bailleur"),
            ),
        ),
        ("+",),
        reason="Nouveau bailleur",
    ),
    Path(
        Party,
        "page",
        "update",
        "editor",
        returning(
            fx("party_a"),
            page_post(
                "editor",
                cpage("party_update", fx("party_a")),
                lambda ctx: {
                    "organisation": ctx.get("org_a").pk,
                    "role": "implementer",
                    "signer_name": "Mme Bennani",
                    "expected_version": ctx.get("party_a").version,
                    "change_reason": "Signataire",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"signer_name"}),
        reason="Signataire",
    ),
    Path(
        Party,
        "page",
        "delete",
        "editor",
        returning(
            fx("lonely_party"),
            page_post(
                "editor",
                cpage("party_delete", fx("lonely_party")),
                lambda ctx: {"expected_version": 1, "change_reason": "Partie retirée"},
            ),
        ),
        ("-",),
        reason="Partie retirée",
    ),
    Path(
        Commitment,
        "page",
        "grid-create",
        "editor",
        returning(
            by(Commitment, party=lambda ctx: ctx.get("party_a").pk, year=2024),
            page_post("editor", cpage("commitment_grid", fx("contract_a")), lambda ctx: _grid(ctx, "75 000", 2024)),
        ),
        ("+",),
        reason="Convention de financement",
    ),
    Path(
        Commitment,
        "page",
        "grid-update",
        "editor",
        returning(
            fx("commitment_a"),
            page_post("editor", cpage("commitment_grid", fx("contract_a")), lambda ctx: _grid(ctx, "1 100 000,50")),
        ),
        ("~",),
        changed=frozenset({"amount"}),
        reason="Convention de financement",
    ),
    Path(
        Commitment,
        "page",
        "grid-delete",
        "editor",
        returning(
            fx("lonely_commitment"),
            page_post("editor", cpage("commitment_grid", fx("contract_a")), lambda ctx: _grid(ctx, "", 2025)),
        ),
        ("-",),
        reason="Convention de financement",
    ),
    Path(
        Disbursement,
        "page",
        "create",
        "editor",
        returning(
            by(Disbursement, reference="OV-PAGE"),
            page_post(
                "editor",
                cpage("disbursement_create", fx("contract_a")),
                lambda ctx: {
                    "commitment": ctx.get("commitment_a").pk,
                    "date": "2022-06-01",
                    "amount": "1 000,00",
                    "reference": "OV-PAGE",
                    "change_reason": "Ordre de virement",
                },
            ),
        ),
        ("+",),
        reason="Ordre de virement",
    ),
    Path(
        Disbursement,
        "page",
        "update",
        "editor",
        returning(
            fx("disbursement_a"),
            page_post(
                "editor",
                cpage("disbursement_update", fx("disbursement_a")),
                lambda ctx: {
                    "commitment": ctx.get("commitment_a").pk,
                    "date": "2022-03-01",
                    "amount": "250000",
                    "reference": "OV-42",
                    "expected_version": ctx.get("disbursement_a").version,
                    "change_reason": "Référence du virement",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"reference"}),
        reason="Référence du virement",
    ),
    Path(
        Disbursement,
        "page",
        "delete",
        "editor",
        returning(
            fx("disbursement_a"),
            page_post(
                "editor",
                cpage("disbursement_delete", fx("disbursement_a")),
                lambda ctx: {"expected_version": ctx.get("disbursement_a").version, "change_reason": "Doublon"},
            ),
        ),
        ("-",),
        reason="Doublon",
    ),
    Path(
        Milestone,
        "page",
        "create",
        "editor",
        returning(
            by(Milestone, title="Salon régional"),
            page_post(
                "editor",
                cpage("milestone_create", fx("contract_a")),
                lambda ctx: _milestone_page(ctx, change_reason="Jalon ajouté"),
            ),
        ),
        ("+",),
        reason="Jalon ajouté",
    ),
    Path(
        Milestone,
        "page",
        "update",
        "editor",
        returning(
            fx("milestone_a"),
            page_post(
                "editor",
                cpage("milestone_update", fx("milestone_a")),
                lambda ctx: _milestone_page(
                    ctx,
                    title="Plateforme de formation",
                    title_ar="منصة التكوين",
                    due_date="2023-06-30",
                    expected_version=ctx.get("milestone_a").version,
                    change_reason="Titre arabe",
                ),
            ),
        ),
        ("~",),
        changed=frozenset({"title_ar"}),
        reason="Titre arabe",
    ),
    Path(
        Milestone,
        "page",
        "delete",
        "editor",
        returning(
            fx("milestone_a"),
            page_post(
                "editor",
                cpage("milestone_delete", fx("milestone_a")),
                lambda ctx: {"expected_version": ctx.get("milestone_a").version, "change_reason": "Jalon abandonné"},
            ),
        ),
        ("-",),
        reason="Jalon abandonné",
    ),
    Path(
        Amendment,
        "page",
        "create-with-changes",
        "editor",
        returning(by(Amendment, contract=lambda ctx: ctx.get("contract_a").pk, number=2), _amend_by_page),
        ("+",),
        reason="Avenant signé",
        setup=_link_indicator,
    ),
    Path(
        Milestone,
        "page",
        "changed-by-amendment",
        "editor",
        returning(fx("milestone_a"), _amend_by_page),
        ("~",),
        changed=frozenset({"due_date"}),
        reason=AMENDMENT_REASON,
        setup=_link_indicator,
    ),
    Path(
        ContratProgramme,
        "page",
        "changed-by-amendment",
        "editor",
        returning(fx("contract_a"), _amend_by_page),
        ("~",),
        changed=frozenset({"end_date"}),
        reason=AMENDMENT_REASON,
        setup=_link_indicator,
    ),
    Path(
        Target,
        "page",
        "changed-by-amendment",
        "editor",
        returning(fx("target"), _amend_by_page),
        ("~",),
        changed=frozenset({"value"}),
        reason=AMENDMENT_REASON,
        setup=_link_indicator,
    ),
    Path(
        AmendedCommitment,
        "page",
        "created-by-amendment",
        "editor",
        returning(by(AmendedCommitment, amendment__number=2), _amend_by_page),
        ("+",),
        reason=AMENDMENT_REASON,
        setup=_link_indicator,
    ),
    Path(
        Amendment,
        "page",
        "update-summary",
        "validator",
        returning(
            fx("amendment_a"),
            page_post(
                "validator",
                lambda ctx: reverse("contracts:amendment_update", args=[ctx.get("amendment_a").pk]),
                lambda ctx: {
                    "number": 1,
                    "date": "2023-01-15",
                    "reason": "Report",
                    "summary": "Dates décalées de trois mois",
                    "changes_dates": "on",
                    "expected_version": ctx.get("amendment_a").version,
                    "change_reason": "Résumé précisé",
                },
            ),
        ),
        ("~",),
        changed=frozenset({"summary"}),
        reason="Résumé précisé",
    ),
    Path(
        Amendment,
        "page",
        "delete",
        "editor",
        returning(
            fx("amendment_a"),
            page_post(
                "editor",
                lambda ctx: reverse("contracts:amendment_delete", args=[ctx.get("amendment_a").pk]),
                lambda ctx: {"expected_version": ctx.get("amendment_a").version, "change_reason": "Saisi par erreur"},
            ),
        ),
        ("-",),
        reason="Saisi par erreur",
    ),
    Path(
        Amendment,
        "api",
        "create-with-changes",
        "editor",
        returning(by(Amendment, contract=lambda ctx: ctx.get("contract_a").pk, number=2), _amend_by_api),
        ("+",),
        reason="Avenant signé",
    ),
    Path(
        Milestone,
        "api",
        "changed-by-amendment",
        "editor",
        returning(fx("milestone_a"), _amend_by_api),
        ("~",),
        changed=frozenset({"due_date"}),
        reason=AMENDMENT_REASON,
    ),
]
PATHS += CONTRACT_PAGE_PATHS


# ---------------------------------------------------------------- the test


def _history(model, pk):
    return list(model.history.filter(id=pk).order_by("history_date", "history_id"))


def _last_history_id(model):
    return model.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0


def test_the_table_covers_the_nine_models_and_every_surface():
    models = {p.model for p in PATHS}
    assert models == {
        Measurement,
        Target,
        Indicator,
        IndicatorComment,
        *CONTRACT_MODELS,
        *ADMIN_ONLY_MODELS,
        *PEOPLE_MODELS,
        Programme,
        Action,
        *CONTRACT_MODELS,
        *ADMIN_ONLY_MODELS,
    }
    assert {p.surface for p in PATHS} == {
        "page",
        "api",
        "bulk",
        "import",
        "admin",
        "admin_action",
        "admin_inline",
        "command",
    }
    for model in models:  # every model: created, changed and deleted somewhere (a comment is never deleted)
        # A comment is rewritten, never deleted; an account is deactivated, never deleted.
        expected = {"+", "~"} if model in (IndicatorComment, *PEOPLE_MODELS) else {"+", "~", "-"}
        assert expected <= {t for p in PATHS if p.model is model for t in p.types}, model
    assert len({p.id for p in PATHS}) == len(PATHS)
    # Every path says which reason it records: the one it sent, or the workflow's own.
    assert [p.id for p in PATHS if p.reason is ANY] == []


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.id)
def test_every_path_leaves_its_history_row(path, request, db):
    ctx = Ctx(request)
    actor = ctx.user(path.actor) if path.actor != SYSTEM_USERNAME else None
    # Fixtures first (they write history of their own), then the path alone.
    _prepare(ctx, path)
    before = _last_history_id(path.model)
    start = timezone.now()
    result = path.run(ctx)
    end = timezone.now()
    pk = path.pk(ctx) if path.pk else result
    assert isinstance(pk, int), f"{path.id}: no object"

    rows = _history(path.model, pk)
    new = [r for r in rows if r.history_id > before]
    assert [r.history_type for r in new] == list(path.types), f"{path.id}: history types"
    if actor is None:
        actor = ctx.user(SYSTEM_USERNAME)
    for row in new:
        assert row.history_user_id == actor.pk, f"{path.id}: history_user {row.history_user}"
        assert start <= row.history_date <= end
        if path.reason is ANY:
            assert (row.history_change_reason or "").strip(), f"{path.id}: no reason"
    last = new[-1]
    if path.reason is not ANY:
        assert last.history_change_reason == path.reason

    if path.types[0] == "~":
        previous = rows[rows.index(new[0]) - 1]
        changed = set(last.diff_against(previous).changed_fields) - NOISE
        assert changed == set(path.changed), f"{path.id}: changed {changed}"

    current = path.model.objects.filter(pk=pk).first()
    if path.types[-1] == "-":
        assert current is None
    else:
        # The last history row is the row as it is now (the columns the history keeps:
        # an account's history leaves the password hash and the sign-in stamp out).
        kept = {f.attname for f in path.model.history.model.tracked_fields}
        for f in path.model._meta.concrete_fields:
            if path.model in PEOPLE_MODELS and f.attname in {"password", "last_login"}:
                assert f.attname not in kept
                continue
            assert getattr(last, f.attname) == getattr(current, f.attname), f.name


def _prepare(ctx, path):
    """Evaluate the fixtures the path's closures use (they write history rows of their
    own), and the path's setup, before the clock starts."""
    ctx.get("db")
    if path.surface != "command":
        for name in ("world", *DELETABLE.values()):
            ctx.get(name)
    if path.model in ADMIN_ONLY_MODELS:
        ctx.get("amended_commitment_a")
    if path.setup:
        path.setup(ctx)


@pytest.fixture
def lonely_contract(phases):
    return ContratProgramme.objects.create(
        reference="CP-DEL",
        title="Contrat sans partie",
        kind="transversal",
        phase=phases[1],
        start_date=dt.date(2023, 1, 1),
        end_date=dt.date(2025, 12, 31),
        status="draft",
    )


@pytest.fixture
def lonely_party(contract_a, org_b):
    return Party.objects.create(contract=contract_a, organisation=org_b, role="implementer")


@pytest.fixture
def lonely_commitment(party_a):
    return Commitment.objects.create(party=party_a, year=2025, amount=D("1000.00"))


@pytest.fixture
def lonely_programme(axis):
    return Programme.objects.create(axis=axis, code="P3.8", title="Programme abandonné")


@pytest.fixture
def lonely_indicator(make_indicator, org_a):
    return make_indicator(code="IND-DEL", name="Indicateur abandonné", reporters=[org_a])


# ---------------------------------------------------------------- reasons longer than the column


def test_a_long_return_reason_is_kept_whole_on_the_row_and_shortened_in_the_history(request, validator):
    """history_change_reason is 100 characters; a validator's reason may be 2,000 (the
    measurement keeps it whole in status_reason, and so does that column's history)."""
    ctx = Ctx(request)
    submitted = ctx.get("submitted_a")
    reason = "Le total de la région ne correspond pas au rapport trimestriel signé ; " * 5
    response = ctx.page("validator").post(
        reverse("strategy:measurement_return", args=[submitted.pk]), {"version": submitted.version, "reason": reason}
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "returned" and submitted.status_reason == reason.strip()
    row = submitted.history.order_by("-history_id").first()
    assert row.history_user == validator and row.status_reason == reason.strip()
    assert len(row.history_change_reason) <= 100 and reason.startswith(row.history_change_reason.rstrip("…"))


# ---------------------------------------------------------------- seed_demo


@pytest.mark.django_db
def test_seed_demo_attributes_every_history_row_to_someone_with_a_reason():
    call_command("seed_demo", stdout=io.StringIO())
    for model in (Measurement, Target, Indicator, *CONTRACT_MODELS):
        rows = model.history.all()
        assert rows.exists(), model
        assert not rows.filter(history_user__isnull=True).exists(), model
        assert not rows.filter(history_change_reason__isnull=True).exists(), model
        assert not rows.filter(history_change_reason="").exists(), model


# ---------------------------------------------------------------- refused: no row at all


@dataclass(frozen=True)
class Refused:
    model: type
    fixture: str
    actor: str
    send: object  # send(ctx, obj) → response
    status: int
    why: str = ""
    field: str = ""  # the form or API field the refusal names ("" : not checked)

    @property
    def id(self):
        return "-".join(filter(None, (self.model._meta.model_name, self.actor, str(self.status), self.why)))


def _measurement_page_change(ctx, o, **extra):
    return ctx.page("partner_a").post(
        reverse("strategy:measurement_update", args=[o.pk]),
        {
            **measurement_page_data(ctx, value="99", source=o.source),
            "period": f"{o.period_start:%Y-%m-%d}/{o.period_end:%Y-%m-%d}",
            "version": o.version,
            **extra,
        },
    )


def _admin_change_without_reason(model, values):
    def send(ctx, o):
        client = ctx.page("admin_user")
        url = admin_url(model, "change", o.pk)
        data, _formsets = admin_form(client, url)
        data.update(values, change_reason="")
        return client.post(url, data)

    return send


NO_REASON = [
    Refused(
        Measurement,
        "draft_a",
        "partner_a",
        lambda ctx, o: _measurement_page_change(ctx, o),
        200,  # the form again, with the error (as for any invalid entry)
        "page-change-no-reason",
        "change_reason",
    ),
    Refused(
        Measurement,
        "draft_a",
        "partner_a",
        lambda ctx, o: _measurement_page_change(ctx, o, change_reason="ok"),
        200,  # the form again, with the error (as for any invalid entry)
        "page-change-short-reason",
        "change_reason",
    ),
    Refused(
        IndicatorComment,
        "indicator_comment",
        "editor",
        lambda ctx, o: ctx.page("editor").post(comment_page(ctx), {"text": "Autre texte", "version": o.version}),
        400,
        "page-comment-no-reason",
        "reason",
    ),
    Refused(
        Target,
        "target",
        "editor",
        lambda ctx, o: ctx.api("editor").patch(f"{V}targets/{o.pk}/", {"value": "7"}, format="json", **if_match(o)),
        400,
        "api-patch-no-reason",
        "change_reason",
    ),
    Refused(
        Measurement,
        "draft_a",
        "partner_a",
        lambda ctx, o: ctx.api("partner_a").patch(
            f"{V}measurements/{o.pk}/", {"value": "7", "change_reason": "  -  "}, format="json", **if_match(o)
        ),
        400,
        "api-patch-blank-reason",
        "change_reason",
    ),
    Refused(
        Party,
        "party_a",
        "editor",
        lambda ctx, o: ctx.api("editor").delete(f"{V}parties/{o.pk}/", **if_match(o)),
        400,
        "api-delete-no-reason",
        "change_reason",
    ),
    Refused(
        Measurement,
        "draft_a",
        "partner_a",
        lambda ctx, o: ctx.api("partner_a").delete(f"{V}measurements/{o.pk}/?change_reason=non", **if_match(o)),
        400,
        "api-delete-short-reason",
        "change_reason",
    ),
    Refused(
        Target,  # nothing new in the targets' history either
        "target",
        "editor",
        lambda ctx, o: ctx.api("editor").post(
            f"{V}targets/", {"indicator": o.indicator_id, "due_date": "2027-12-31", "value": "9"}, format="json"
        ),
        400,
        "api-post-no-reason",
        "change_reason",
    ),
    Refused(
        Measurement,
        "draft_a",
        "partner_a",
        lambda ctx, o: ctx.api("partner_a").put(
            f"{V}measurements/{o.pk}/evidence/", {"file": evidence_file()}, format="multipart", **if_match(o)
        ),
        400,
        "api-document-put-no-reason",
        "change_reason",
    ),
    Refused(
        ContratProgramme,
        "contract_with_document",
        "editor",
        lambda ctx, o: ctx.api("editor").delete(f"{V}contracts/{o.pk}/document/", **if_match(o)),
        400,
        "api-document-delete-no-reason",
        "change_reason",
    ),
    Refused(
        Target,
        "target",
        "admin_user",
        _admin_change_without_reason(Target, {"value": "1500"}),
        200,  # the admin shows its form again, with the error
        "admin-change-no-reason",
        "change_reason",
    ),
    Refused(
        Commitment,
        "lonely_commitment",
        "admin_user",
        lambda ctx, o: ctx.page("admin_user").post(
            admin_url(Commitment, "delete", o.pk), {"post": "yes", "expected_version": o.version}
        ),
        400,
        "admin-delete-no-reason",
        "change_reason",
    ),
    Refused(
        Commitment,
        "lonely_commitment",
        "admin_user",
        lambda ctx, o: ctx.page("admin_user").post(
            admin_url(Commitment, "changelist"),
            {"action": "delete_selected", ACTION_CHECKBOX_NAME: [o.pk], "index": "0", "post": "yes"},
        ),
        400,
        "admin-delete-selected-no-reason",
        "change_reason",
    ),
]


REFUSED = [
    Refused(
        Target,
        "target",
        "viewer",
        lambda ctx, o: ctx.api("viewer").patch(f"{V}targets/{o.pk}/", {"value": "1"}, format="json", **if_match(o)),
        403,
    ),
    Refused(
        Milestone,
        "milestone_a",
        "partner_a",
        lambda ctx, o: ctx.api("partner_a").delete(f"{V}milestones/{o.pk}/", **if_match(o)),
        403,
    ),
    Refused(
        Measurement,
        "submitted_a",
        "partner_a",
        lambda ctx, o: ctx.api("partner_a").post(
            f"{V}measurements/{o.pk}/return/", {"reason": "Valeur à revoir"}, format="json", **if_match(o)
        ),
        403,
    ),
    Refused(
        Measurement,
        "submitted_a",
        "validator",  # the reason is required: 400, nothing written
        lambda ctx, o: ctx.api("validator").post(
            f"{V}measurements/{o.pk}/return/", {"reason": " "}, format="json", **if_match(o)
        ),
        400,
    ),
    Refused(
        Measurement,
        "draft_a",
        "partner_a",  # hostile evidence (an HTML page named .pdf): 400, nothing written
        lambda ctx, o: ctx.api("partner_a").put(
            f"{V}measurements/{o.pk}/evidence/",
            {"file": document_upload("x.pdf", b"<html><script>1</script></html>"), "change_reason": "Relevé"},
            format="multipart",
            **if_match(o),
        ),
        400,
    ),
    Refused(
        Measurement,
        "validated_b",
        "partner_b",
        lambda ctx, o: ctx.page("partner_b").post(
            reverse("strategy:measurement_reopen", args=[o.pk]), {"reason": "Valeur à revoir", "version": o.version}
        ),
        403,
    ),
    Refused(
        IndicatorComment,
        "indicator_comment",
        "partner_a",
        lambda ctx, o: ctx.api("partner_a").patch(
            f"{V}indicator-comments/{o.pk}/", {"text": "x"}, format="json", **if_match(o)
        ),
        403,
    ),
    Refused(
        IndicatorComment,
        "indicator_comment",
        "editor",  # a stale copy: 412, nothing written
        lambda ctx, o: ctx.api("editor").patch(
            f"{V}indicator-comments/{o.pk}/",
            {"text": "x", "change_reason": "Relecture"},
            format="json",
            HTTP_IF_MATCH='"9"',
        ),
        412,
    ),
]


REFUSED += NO_REASON


@pytest.fixture
def contract_with_document(contract_a, editor):
    contract_a.document = evidence_file("signe.pdf")
    return contract_services.save_contract_object(contract_a, by=editor, reason="Contrat signé déposé")


def _named_field(response, field):
    """The refusal names ``field``: in the API's details, or on the page's form."""
    if response.get("Content-Type", "").startswith("application/json"):
        return field in response.json()["details"]
    context = response.context
    forms = [context["adminform"].form] if "adminform" in context else []
    forms += [context[name] for name in ("form", "reason_form") if context.get(name) is not None]
    return any(field in form.errors and REASON_MESSAGE in " ".join(form.errors[field]) for form in forms)


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_a_refused_change_leaves_no_history_row(case, request, db):
    ctx = Ctx(request)
    obj = ctx.get(case.fixture)
    ctx.user(case.actor)
    before = _last_history_id(case.model)
    snapshot = {f.attname: getattr(obj, f.attname) for f in case.model._meta.concrete_fields}

    response = case.send(ctx, obj)

    assert response.status_code == case.status, getattr(response, "content", b"")[:1000]
    assert _last_history_id(case.model) == before
    obj.refresh_from_db()
    assert {f.attname: getattr(obj, f.attname) for f in case.model._meta.concrete_fields} == snapshot
    if case.field:
        assert _named_field(response, case.field), response.content[:2000]


# ---------------------------------------------------------------- publishing a report


def test_publishing_a_report_records_who_when_and_why_on_the_frozen_row(client, validator, indicator, phases):
    """A publication is never changed, so it has no history of its own: the row itself
    is the record (publisher, time, reason), written once, by the page and by the
    service alike."""
    client.force_login(validator)
    start = timezone.now()
    ok(client.post(reverse("strategy:report_publish"), {"year": "2024", "reason": "Envoi au ministre"}), 302)
    again = strategy_services.publish_report(ReportSpec(ReportKind.YEARLY, 2024), by=validator, reason="Corrigée")
    end = timezone.now()
    rows = list(ReportPublication.objects.order_by("edition").values_list("published_by", "reason", "published_at"))
    assert [(who, why) for who, why, _when in rows] == [(validator.pk, "Envoi au ministre"), (validator.pk, "Corrigée")]
    assert all(start <= when <= end for _who, _why, when in rows)
    assert again.edition == 2


# ---------------------------------------------------------------- releasing the open data


def test_releasing_the_open_data_records_who_when_and_why_on_the_release(client, validator, indicator, phases):
    """An open-data release is never changed, so it has no history of its own: the row
    itself is the record (who, when, why, which indicators), written once, by the staff
    page (/strategie/donnees-ouvertes/) and by the service alike; the admin only reads
    it. seed_demo's first release goes through the same service (by the demo validator)."""
    from strategy.models import OpenDataRelease

    indicator.public_from = dt.date(2021, 1, 1)
    indicator.save()
    client.force_login(validator)
    start = timezone.now()
    ok(client.post(reverse("strategy:open_data"), {"reason": "Publication trimestrielle", "after": 0}), 302)
    again = strategy_services.release_open_data(by=validator, reason="Publication corrigée")
    end = timezone.now()
    rows = list(OpenDataRelease.objects.order_by("number").values_list("released_by", "reason", "released_at"))
    assert [(who, why) for who, why, _when in rows] == [
        (validator.pk, "Publication trimestrielle"),
        (validator.pk, "Publication corrigée"),
    ]
    assert all(start <= when <= end for _who, _why, when in rows)
    assert again.number == 2 and list(again.indicators.all()) == [indicator]


# ---------------------------------------------------------------- every writable API route


def _writable_routes():
    """(prefix, viewset) of every resource of the API's router that takes a write."""
    from config.api_urls import router

    routes = []
    for prefix, viewset, _basename in router.registry:
        methods = set(viewset.http_method_names)
        if methods & {"post", "put", "patch", "delete"} and hasattr(viewset, "create"):
            routes.append((prefix, viewset))
    return routes


def _row_of(viewset):
    model = viewset.serializer_class.Meta.model
    rows = model.objects.order_by("pk")
    if model is Measurement:
        rows = rows.filter(status="draft")  # a row that may still change: the reason is what is refused
    return rows.first()


def test_the_walk_finds_every_writable_resource():
    prefixes = {prefix for prefix, _viewset in _writable_routes()}
    assert {
        "targets",
        "indicator-comments",
        "measurements",
        "contracts",
        "parties",
        "commitments",
        "disbursements",
        "milestones",
        "amendments",
    } <= prefixes


@pytest.mark.parametrize("prefix", [prefix for prefix, _viewset in _writable_routes()])
def test_every_writable_api_route_wants_if_match_and_a_reason(prefix, request, db):
    """Walks the router: on every writable resource, a change, a replacement or a
    deletion without If-Match is a 428; with it but without change_reason, a 400 naming
    change_reason (a DELETE gives it as ?change_reason=); a creation without it too,
    except a measurement's. The row's document (upload, removal) likewise."""
    ctx = Ctx(request)
    ctx.get("world")
    ctx.get("indicator_comment")
    viewset = dict(_writable_routes())[prefix]
    client = ctx.api("admin_user")
    assert viewset.versioned, f"{prefix}: not versioned (no ETag, no If-Match)"
    obj = _row_of(viewset)
    assert obj is not None, prefix
    methods = set(viewset.http_method_names)
    detail = f"{V}{prefix}/{obj.pk}/"
    history = _last_history_id(type(obj))

    def refused(response, status, field=None):
        assert response.status_code == status, (prefix, response.status_code, response.content[:500])
        if field:
            assert field in response.json()["details"], (prefix, response.json())
            assert REASON_MESSAGE in " ".join(response.json()["details"][field]), response.json()

    etag = if_match(obj)
    for method in ("put", "patch"):
        if method in methods:
            refused(getattr(client, method)(detail, {}, format="json"), 428)
            refused(getattr(client, method)(detail, {}, format="json", **etag), 400, "change_reason")
    if "delete" in methods:
        refused(client.delete(detail), 428)
        refused(client.delete(detail, **etag), 400, "change_reason")
        refused(client.delete(f"{detail}?change_reason=%20%20", **etag), 400, "change_reason")
    for action in getattr(viewset, "document_actions", ()):
        url = f"{detail}{action}/"
        refused(client.put(url, {"file": evidence_file()}, format="multipart"), 428)
        refused(client.put(url, {"file": evidence_file()}, format="multipart", **etag), 400, "change_reason")
        refused(client.delete(url), 428)
        refused(client.delete(url, **etag), 400, "change_reason")
    if "post" in methods:
        response = client.post(f"{V}{prefix}/", {}, format="json")
        assert response.status_code == 400, (prefix, response.content[:500])
        if getattr(viewset, "write_serializer_class", viewset.serializer_class).reason_optional_on_create:
            assert "change_reason" not in response.json()["details"]
        else:
            assert "change_reason" in response.json()["details"], (prefix, response.json())
    assert _last_history_id(type(obj)) == history, f"{prefix}: a refused write left history"
