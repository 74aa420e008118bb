"""Serializers of reference data, auth and the dashboard, and the base of every writable
serializer: it checks the shape of the input, builds the unsaved instance and hands it
to a service function (full_clean + save + history)."""

import contextlib

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from artisanat.models import Filiere, Organisation, Region
from artisanat.services import reason_message, require_reason

# Decimals the API accepts hold at most 15 significant digits (amounts up to
# 9,999,999,999,999.99, figures up to 99,999,999,999.9999): SQLite keeps a decimal
# column as a double, exact to 15 digits only, and a longer number came back altered or
# not at all (a 500 when read). The same limit on PostgreSQL keeps one API contract.
PORTABLE_DIGITS = 15


@extend_schema_field(OpenApiTypes.STR)
class RelatedCodeField(serializers.Field):
    """The code (or acronym) of a relation, beside its id: read, and writable as an
    alternative to the id (``indicator_code`` for ``indicator``). The serializer
    (:class:`ServiceModelSerializer`) resolves it; null or "" is blank."""

    def __init__(self, relation, lookup, **kwargs):
        self.relation, self.lookup = relation, lookup
        kwargs.update(source="*", required=False, allow_null=True)
        kwargs.setdefault(
            "help_text",
            _("Code de « %(relation)s » : à la place de son id, ou avec (ils doivent s'accorder).")
            % {"relation": relation},
        )
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None:
            return (True, {self.field_name: None})
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return {self.field_name: data.strip() or None}

    def to_representation(self, instance):
        related = getattr(instance, self.relation, None)
        return getattr(related, self.lookup) if related is not None else None

    default_error_messages = {"invalid": _("Code attendu (texte).")}


class ServiceModelSerializer(serializers.ModelSerializer):
    """``service(instance, *, by, reason, expected_version)`` performs the write.

    A :class:`RelatedCodeField` (``indicator_code = RelatedCodeField("indicator",
    "code")``) lets the relation be written by its id or by its code: one of the two is
    needed where the relation is, both given must name the same row, an unknown code is
    a 400 naming the field. The row found goes where the id would, so the same checks
    (a partner writing for another organisation) refuse it.

    ``blank_as_null``: choice fields whose blank is answered ``null`` (never ``""``)
    and read from null or "".

    ``change_reason`` is required (artisanat.services.require_reason) to create, change
    or replace a row; ``reason_optional_on_create`` lets a resource's creations come
    without one (measurements: the partners' monthly routine records "Création")."""

    reason_optional_on_create = False
    blank_as_null = ()

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.DecimalField) and (kwargs.get("max_digits") or 0) > PORTABLE_DIGITS:
            kwargs["max_digits"] = PORTABLE_DIGITS
        return field_class, kwargs

    service = None
    change_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        # The history's column (simple_history's history_change_reason) holds 100
        # characters: a longer reason is refused here rather than cut there.
        max_length=100,
        error_messages={"required": lazy(reason_message, str)()},
        help_text=_(
            "Motif du changement, gardé dans l'historique (obligatoire, au moins 5 caractères). "
            "/ Reason for the change, kept in history (required, at least 5 characters)."
        ),
    )

    def reason_required(self):
        return self.instance is not None or not self.reason_optional_on_create

    def get_fields(self):
        fields = super().get_fields()
        if "change_reason" in fields and self.reason_required():
            fields["change_reason"].required = True
        self._code_required = {}
        for field in fields.values():
            if isinstance(field, RelatedCodeField):
                self._code_required[field.relation] = fields[field.relation].required
                fields[field.relation].required = False  # its code may come instead (resolve_codes)
        for name in self.blank_as_null:
            fields[name].allow_null = True
        return fields

    def resolve_codes(self, value):
        errors = {}
        sent = self.initial_data_keys()
        codes = [f for f in self.fields.values() if isinstance(f, RelatedCodeField)]
        for relation, name, lookup in ((f.relation, f.field_name, f.lookup) for f in codes):
            field = self.fields[relation]
            code = value.pop(name, None)
            if code is not None:
                found = field.get_queryset().filter(**{lookup: code}).first()
                if found is None:
                    errors[name] = [_("Code inconnu : %(code)s.") % {"code": code}]
                elif relation in value and value[relation] != found:
                    errors[name] = [
                        _("Ne désigne pas la même ligne que « %(relation)s » (id) : donnez l'un ou l'autre.")
                        % {"relation": relation}
                    ]
                else:
                    value[relation] = found
            elif name in sent and relation not in value and field.allow_null:
                value[relation] = None  # "region_code": null or "": no region
            elif relation not in value and not self.partial and self._code_required[relation]:
                errors[relation] = [_("Ce champ est obligatoire (ou « %(name)s »).") % {"name": name}]
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def initial_data_keys(self):
        data = getattr(self, "initial_data", None)
        return set(data) if hasattr(data, "keys") else set()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name in self.blank_as_null:
            if data.get(name) == "":
                data[name] = None
        return data

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        value = self.resolve_codes(value)
        for name in self.blank_as_null:
            if name in value and value[name] is None:
                value[name] = ""
        if self.reason_required():
            try:
                value["change_reason"] = require_reason(value.get("change_reason"))
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.message_dict) from None
        return value

    def create(self, validated_data):
        return self._apply(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._apply(instance, validated_data)

    def prepare(self, instance, validated_data):
        """Hook: set what the client may not choose (e.g. the reporting organisation)."""

    def _apply(self, instance, data):
        by = self.context["request"].user
        reason = data.pop("change_reason", "")
        expected_version = data.pop("expected_version", None)
        many = {name: data.pop(name) for name in list(data) if self._is_m2m(name)}
        for name, value in data.items():
            setattr(instance, name, value)
        self.prepare(instance, data)
        # The service is atomic; a second transaction around it only when the many-to-many
        # relations are set after it (one SAVEPOINT pair fewer on every plain write).
        with transaction.atomic() if many else contextlib.nullcontext():
            instance = type(self).service(instance, by=by, reason=reason, expected_version=expected_version)
            for name, value in many.items():
                getattr(instance, name).set(value)
        return instance

    def _is_m2m(self, name):
        try:
            return self.Meta.model._meta.get_field(name).many_to_many
        except Exception:
            return False


# ---------------------------------------------------------------- reference data


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_ar"]


class FiliereSerializer(serializers.ModelSerializer):
    class Meta:
        model = Filiere
        fields = ["id", "code", "name", "name_ar", "priority"]


class OrganisationSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Organisation
        fields = ["id", "acronym", "name", "name_ar", "kind", "region", "region_code", "active"]


# ---------------------------------------------------------------- auth


# Component "TokenCredentials" (as a request: "TokenCredentialsRequest"), not
# "TokenRequestRequest".
@extend_schema_serializer(component_name="TokenCredentials")
class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text=_(
            "Code de double authentification (application ou code de secours) : obligatoire pour les "
            "administrateurs, les valideurs et les comptes qui l'ont activée."
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=_(
            "À envoyer dans « Authorization: Bearer <jeton> » (ou « Token <jeton> »). Affiché une seule fois : il est conservé haché."
        )
    )
    expiry = serializers.DateTimeField(
        help_text=_("Date d'expiration du jeton ; ensuite, demandez-en un nouveau avec vos identifiants.")
    )
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    organisation = serializers.CharField(allow_null=True, help_text=_("Sigle de l'organisation."))
