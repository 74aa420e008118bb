"""Bulk submission of measurements: rows from JSON, CSV or XLSX, every row checked
before anything is written, then all created in one transaction through
strategy.services (all or nothing).

Columns: strategy.exports.MEASUREMENT_IMPORT_COLUMNS (plus ``organisation``, an
acronym, for ministry users); an export of measurements can be edited and sent back,
its other columns are ignored. Rows are numbered from 1 (the first data row)."""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import parsers, serializers
from rest_framework.exceptions import ValidationError

from artisanat import permissions
from artisanat.api.exceptions import PayloadTooLarge, describe_integrity_error, django_validation_details
from artisanat.exceptions import TransitionNotAllowed
from artisanat.exports import CONTENT_TYPES
from artisanat.models import Filiere, Organisation, Region
from strategy import services
from strategy.choices import ActorType, Sex
from strategy.exports import MEASUREMENT_IMPORT_COLUMNS
from strategy.models import Indicator, Measurement

COLUMNS = [*MEASUREMENT_IMPORT_COLUMNS, "organisation"]
NULLABLE = {"value", "numerator", "denominator", "region", "filiere", "organisation"}


@dataclass
class Upload:
    """A spreadsheet received as the raw body or as the multipart field ``file``."""

    kind: str  # "csv" or "xlsx"
    content: bytes


def _read_limited(stream):
    limit = settings.API_BULK_MAX_BYTES
    content = stream.read(limit + 1) if stream is not None else b""
    if len(content) > limit:
        raise PayloadTooLarge(_("Fichier trop volumineux : %(n)d octets au plus.") % {"n": limit})
    return content


class CSVUploadParser(parsers.BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return Upload("csv", _read_limited(stream))


class XLSXUploadParser(parsers.BaseParser):
    media_type = CONTENT_TYPES["xlsx"]

    def parse(self, stream, media_type=None, parser_context=None):
        return Upload("xlsx", _read_limited(stream))


def upload_from_request_data(data):
    """The rows' container: a JSON list or {"rows": [...]}, or an Upload."""
    if isinstance(data, Upload):
        return data
    if hasattr(data, "getlist") and "file" in data:  # multipart
        files = data.getlist("file")
        upload = files[0] if files else None
        if not hasattr(upload, "read"):
            raise ValidationError({"file": [_("Joignez un fichier CSV ou XLSX dans le champ « file ».")]})
        if upload.size > settings.API_BULK_MAX_BYTES:
            raise PayloadTooLarge(
                _("Fichier trop volumineux : %(n)d octets au plus.") % {"n": settings.API_BULK_MAX_BYTES}
            )
        name = (upload.name or "").lower()
        kind = "xlsx" if name.endswith(".xlsx") or upload.content_type == CONTENT_TYPES["xlsx"] else "csv"
        return Upload(kind, upload.read())
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "rows" in data and isinstance(data["rows"], list):
        return data["rows"]
    raise ValidationError(
        {"rows": [_('Envoyez une liste de lignes, {"rows": [...]}, un CSV ou un XLSX (champ « file »).')]}
    )


def _too_many():
    return ValidationError(
        {
            "rows": [
                _("Trop de lignes : %(n)d au plus par envoi. Découpez le fichier.") % {"n": settings.API_BULK_MAX_ROWS}
            ]
        }
    )


def _cell(value):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return value


def _table_rows(header, body):
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    missing = [c for c in ("indicator", "period_start", "period_end") if c not in names]
    if missing:
        raise ValidationError({"file": [_("Colonnes manquantes : %(c)s.") % {"c": ", ".join(missing)}]})
    rows = []
    for values in body:
        row = {name: _cell(v) for name, v in zip(names, values, strict=False) if name}
        rows.append(row)
        if len(rows) > settings.API_BULK_MAX_ROWS:
            raise _too_many()
    # Trailing blank lines are not rows.
    while rows and all(v in (None, "") for v in rows[-1].values()):
        rows.pop()
    return rows


def rows_from_csv(content):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("Le CSV doit être encodé en UTF-8.")]}) from None
    if "\x00" in text:
        raise ValidationError({"file": [_("Caractère NUL interdit.")]})
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationError({"file": [_("Le fichier est vide.")]})
        return _table_rows(header, reader)
    except csv.Error as exc:
        raise ValidationError({"file": [_("CSV illisible : %(e)s") % {"e": exc}]}) from None


def rows_from_xlsx(content):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
        if header is None:
            raise ValidationError({"file": [_("Le fichier est vide.")]})
        rows = _table_rows(header, values)
        workbook.close()
        return rows
    except (ValidationError, PayloadTooLarge):
        raise
    except Exception:  # openpyxl raises many kinds of errors on a damaged file
        raise ValidationError({"file": [_("Fichier XLSX illisible.")]}) from None


def read_rows(data):
    """Rows as dicts of plain values; 400 if unreadable, 413 if too many."""
    source = upload_from_request_data(data)
    if isinstance(source, Upload):
        rows = rows_from_csv(source.content) if source.kind == "csv" else rows_from_xlsx(source.content)
    else:
        rows = source
        if len(rows) > settings.API_BULK_MAX_ROWS:
            raise _too_many()
    if not rows:
        raise ValidationError({"rows": [_("Aucune ligne à importer.")]})
    return rows


# ---------------------------------------------------------------- row checks


class BulkRowSerializer(serializers.Serializer):
    """One row's shape; the codes are looked up afterwards, all rows at once."""

    indicator = serializers.CharField(max_length=30)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4, required=False, allow_null=True)
    numerator = serializers.DecimalField(max_digits=20, decimal_places=4, required=False, allow_null=True)
    denominator = serializers.DecimalField(max_digits=20, decimal_places=4, required=False, allow_null=True)
    region = serializers.CharField(max_length=2, required=False, allow_null=True, allow_blank=True)
    filiere = serializers.CharField(max_length=40, required=False, allow_null=True, allow_blank=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    actor_type = serializers.ChoiceField(choices=ActorType.choices, required=False, allow_blank=True)
    source = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    organisation = serializers.CharField(
        max_length=30, required=False, allow_null=True, allow_blank=True, help_text=gettext_lazy("Sigle (ministère).")
    )


# French spreadsheets write 1 234 567,50: a decimal comma, groups of three separated by a
# space, a no-break space or a narrow no-break space.
DECIMAL_COMMA = re.compile(r"^-?(\d+|\d{1,3}([ \u00a0\u202f]\d{3})+)(,\d+)?$")
GROUP_SEPARATORS = re.compile(r"[ \u00a0\u202f]")


def _normalise(raw):
    row = {}
    for name in COLUMNS:
        value = raw.get(name)
        if isinstance(value, str):
            value = value.strip()
            if value == "" and name in NULLABLE:
                value = None
            elif name in {"value", "numerator", "denominator"} and DECIMAL_COMMA.match(value):
                value = GROUP_SEPARATORS.sub("", value).replace(",", ".")
        if value is None and name not in NULLABLE:
            continue
        row[name] = value
    return row


class RowErrors:
    def __init__(self):
        self.items = []

    def add(self, row, field, reasons):
        for reason in reasons if isinstance(reasons, (list, tuple)) else [reasons]:
            self.items.append({"row": row, "field": field, "reason": str(reason)})

    def add_django(self, row, exc):
        for field, messages in django_validation_details(exc).items():
            self.add(row, field, messages)

    def raise_if_any(self):
        if self.items:
            raise BulkRowsInvalid(self.items)


class BulkRowsInvalid(ValidationError):
    def __init__(self, items):
        self.bulk_rows = sorted(items, key=lambda e: e["row"])
        rows = len({e["row"] for e in self.bulk_rows})
        self.message = _("%(n)d ligne(s) invalide(s) : rien n'a été enregistré.") % {"n": rows}
        super().__init__({"rows": self.bulk_rows})


def _lookup(model, field, values, queryset=None):
    values = {v for v in values if v}
    if not values:
        return {}
    queryset = queryset if queryset is not None else model.objects.all()
    return {getattr(o, field): o for o in queryset.filter(**{f"{field}__in": values})}


def build_measurements(rows, user):
    """Check every row and build unsaved measurements; BulkRowsInvalid lists every
    bad row. Lookups are one query per kind of code, whatever the number of rows."""
    errors = RowErrors()
    shaped = []
    for number, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            errors.add(number, "non_field_errors", _("Chaque ligne doit être un objet JSON."))
            continue
        serializer = BulkRowSerializer(data=_normalise({str(k).strip().lower(): v for k, v in raw.items()}))
        if serializer.is_valid():
            shaped.append((number, serializer.validated_data))
        else:
            for field, messages in serializer.errors.items():
                errors.add(number, field, messages)

    indicators = _lookup(
        Indicator,
        "code",
        [d["indicator"] for _, d in shaped],
        Indicator.objects.visible_to(user).select_related("axis__strategy"),
    )
    reportable = set(
        Indicator.objects.reportable_by(user)
        .filter(pk__in=[i.pk for i in indicators.values()])
        .values_list("pk", flat=True)
    )
    regions = _lookup(Region, "code", [d.get("region") for _, d in shaped])
    filieres = _lookup(Filiere, "code", [d.get("filiere") for _, d in shaped])
    reporter = permissions.is_reporter(user)
    organisations = {} if reporter else _lookup(Organisation, "acronym", [d.get("organisation") for _, d in shaped])
    own_organisation = permissions.organisation_id_of(user)

    built, seen = [], {}
    for number, data in shaped:
        indicator = indicators.get(data["indicator"])
        row_ok = True
        if indicator is None:
            errors.add(number, "indicator", _("Indicateur inconnu : %(c)s.") % {"c": data["indicator"]})
            row_ok = False
        elif indicator.pk not in reportable:
            errors.add(number, "indicator", _("Votre organisation ne rapporte pas cet indicateur."))
            row_ok = False
        related = {}
        for field, table in (("region", regions), ("filiere", filieres)):
            code = data.get(field)
            related[field] = table.get(code) if code else None
            if code and related[field] is None:
                errors.add(number, field, _("Code inconnu : %(c)s.") % {"c": code})
                row_ok = False
        if reporter:
            organisation_id = own_organisation
            if data.get("organisation") and data["organisation"] != getattr(
                user.membership.organisation, "acronym", None
            ):
                errors.add(number, "organisation", _("Vous ne pouvez saisir que les mesures de votre organisation."))
                row_ok = False
        else:
            organisation = organisations.get(data.get("organisation") or "")
            organisation_id = organisation.pk if organisation else None
            if organisation is None:
                errors.add(number, "organisation", _("Indiquez le sigle d'une organisation connue."))
                row_ok = False
        if not row_ok:
            continue
        measurement = Measurement(
            indicator=indicator,
            period_start=data["period_start"],
            period_end=data["period_end"],
            value=data.get("value"),
            numerator=data.get("numerator"),
            denominator=data.get("denominator"),
            region=related["region"],
            filiere=related["filiere"],
            sex=data.get("sex", ""),
            actor_type=data.get("actor_type", ""),
            source=data.get("source", ""),
            organisation_id=organisation_id,
            reported_by=user,
        )
        try:
            # The model's rules (clean) with their messages; the service runs the full
            # full_clean (database constraints included) when it saves.
            measurement.clean_fields(exclude=RELATIONS)
            measurement.clean()
        except DjangoValidationError as exc:
            errors.add_django(number, exc)
            continue
        key = _breakdown_key(measurement)
        if key in seen:
            errors.add(
                number,
                "non_field_errors",
                _("Ligne en double avec la ligne %(n)d (même indicateur, période et ventilation).") % {"n": seen[key]},
            )
            continue
        seen[key] = number
        built.append((number, measurement))
    existing = _existing_keys([m for _, m in built])
    for number, measurement in built:
        if _breakdown_key(measurement) in existing:
            errors.add(number, "non_field_errors", UNIQUE_MESSAGE)
    errors.raise_if_any()
    return built


UNIQUE_MESSAGE = next(
    c.violation_error_message for c in Measurement._meta.constraints if c.name == "measurement_unique_per_breakdown"
)
RELATIONS = ["indicator", "region", "filiere", "organisation", "reported_by", "validated_by", "evidence"]


def _breakdown_key(m):
    return (m.indicator_id, m.period_start, m.period_end, m.region_id, m.filiere_id, m.sex, m.actor_type)


def _existing_keys(measurements):
    """Breakdown keys already in the database among the rows' periods, in one query."""
    if not measurements:
        return set()
    return set(
        Measurement.objects.filter(
            indicator_id__in={m.indicator_id for m in measurements},
            period_start__in={m.period_start for m in measurements},
            period_end__in={m.period_end for m in measurements},
        ).values_list("indicator_id", "period_start", "period_end", "region_id", "filiere_id", "sex", "actor_type")
    )


def save_measurements(built, user, *, submit=False):
    """Create them all (and submit them) through the services, or nothing."""
    reason = _("Envoi groupé (API)")
    with transaction.atomic():
        for number, measurement in built:
            try:
                services.save_measurement(measurement, by=user, reason=reason)
                if submit:
                    services.submit_measurement(measurement, by=user, reason=reason)
            except DjangoValidationError as exc:
                errors = RowErrors()
                errors.add_django(number, exc)
                errors.raise_if_any()
            except (PermissionDenied, TransitionNotAllowed) as exc:
                raise BulkRowsInvalid([{"row": number, "field": "non_field_errors", "reason": str(exc)}]) from None
            except IntegrityError as exc:
                described = describe_integrity_error(exc)
                if described is None:
                    raise
                raise BulkRowsInvalid([{"row": number, "field": "non_field_errors", "reason": described[2]}]) from None
    return [m.pk for _, m in built]
