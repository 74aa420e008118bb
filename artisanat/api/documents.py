"""A row's document on the API (artisanat/documents.py): ``GET`` downloads it, ``PUT``
(multipart, fields ``file`` and ``change_reason``, ``If-Match``) replaces it, ``DELETE``
(``If-Match``, ``?change_reason=``) removes it — ``/api/v1/measurements/{id}/evidence/``, ``/api/v1/contracts/{id}/document/``.

The row is found through the viewset's ``get_object()`` (its ``visible_to(user)``, and
for a change the role and the reporter's organisation); the change goes through the
app's service (version, workflow state, permission, history), like any other write."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError

from artisanat import documents
from artisanat.api.exceptions import PayloadTooLarge
from artisanat.api.schema import CHANGE_REASON_PARAMETER, IF_MATCH, text
from artisanat.api.viewsets import query_reason
from artisanat.services import reason_message, require_reason


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=text(
            "PDF, PNG, JPEG, WebP, Word, Excel, PowerPoint, OpenDocument ou CSV (type reconnu au contenu, "
            "pas au nom) ; ARTISANAT_DOCUMENT_MAX_BYTES au plus (8 Mo par défaut).",
            "PDF, PNG, JPEG, WebP, Word, Excel, PowerPoint, OpenDocument or CSV (recognised by its content, "
            "not its name); at most ARTISANAT_DOCUMENT_MAX_BYTES (8 MB by default).",
        )
    )
    change_reason = serializers.CharField(
        max_length=100,
        error_messages={"required": lazy(reason_message, str)(), "blank": lazy(reason_message, str)()},
        help_text=text(
            "Motif, gardé dans l'historique (obligatoire, au moins 5 caractères).",
            "Reason, kept in history (required, at least 5 characters).",
        ),
    )

    def validate_change_reason(self, value):
        try:
            return require_reason(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["change_reason"]) from None


@extend_schema_field({"type": "string", "format": "uri", "nullable": True, "readOnly": True})
class DocumentLinkField(serializers.Field):
    """The absolute address of the row's document on the API (``url_name``), or null."""

    def __init__(self, url_name, field_name, **kwargs):
        self.url_name, self.document_field = url_name, field_name
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, obj):
        if not getattr(obj, self.document_field):
            return None
        from rest_framework.reverse import reverse

        return reverse(self.url_name, args=[obj.pk], request=self.context.get("request"))


def document_schema(serializer, fr_what, en_what):
    """The OpenAPI description of a document action's three methods (a decorator, above
    ``@action``)."""
    downloads = {(200, content_type): OpenApiTypes.BINARY for content_type in documents.CONTENT_TYPES}
    schemas = [
        extend_schema(
            methods=["GET"],
            description=text(
                f"Télécharge {fr_what} (pièce jointe, sous son nom d'origine) ; 404 s'il n'y en a pas.",
                f"Download {en_what} (as an attachment, under its original name); 404 when there is none.",
            ),
            request=None,
            responses=downloads,
        ),
        extend_schema(
            methods=["PUT"],
            description=text(
                f"Dépose ou remplace {fr_what} : multipart, champ « file » ; type reconnu au contenu. "
                "413 au-delà de la taille permise.",
                f'Upload or replace {en_what}: multipart, field "file"; the type is recognised from the content. '
                "413 beyond the size allowed.",
            ),
            parameters=[IF_MATCH],
            request={"multipart/form-data": DocumentUploadSerializer},
            responses={(200, "application/json"): serializer},
        ),
        extend_schema(
            methods=["DELETE"],
            description=text(
                f"Retire {fr_what} ; motif dans ?change_reason=.", f"Remove {en_what}; reason in ?change_reason=."
            ),
            parameters=[IF_MATCH, CHANGE_REASON_PARAMETER],
            request=None,
            responses={(200, "application/json"): serializer},
        ),
    ]

    def decorate(view):
        for schema in schemas:
            view = schema(view)
        return view

    return decorate


class DocumentActionMixin:
    """For a VersionedViewSet: ``document_endpoint(request, field=…)`` serves the
    three methods of a document action. ``document_actions`` names the actions, whose
    downloads ignore ``Accept`` (a document is the type it is; errors are JSON)."""

    document_actions = ()

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(
            request, force=force or getattr(self, "action", None) in self.document_actions
        )

    def document_endpoint(self, request, *, field):
        obj = self.get_object()
        name_field = obj._meta.get_field(field).name_field
        if request.method == "GET":
            return documents.document_response(getattr(obj, field), getattr(obj, name_field))
        if request.method == "PUT":
            payload = DocumentUploadSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            upload = payload.validated_data["file"]
            try:
                documents.sniff(upload, upload.name or "")
            except DjangoValidationError as error:
                if error.code == "document_too_large":
                    raise PayloadTooLarge(error.messages[0]) from None
                raise ValidationError({"file": error.messages}) from None
            setattr(obj, field, upload)
            change_reason = payload.validated_data["change_reason"]
        else:
            request.data  # noqa: B018 -- a body it cannot read is still refused (400 parse_error)
            change_reason = query_reason(request)
            if not getattr(obj, field):
                raise Http404(_("Aucun document."))
            setattr(obj, field, "")
        type(self).document_service(
            obj, by=request.user, reason=change_reason, expected_version=getattr(self, "_expected_version", None)
        )
        return self.respond_with(obj, status.HTTP_200_OK)
