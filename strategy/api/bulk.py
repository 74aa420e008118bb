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
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import parsers, serializers
from rest_framework.exceptions import ValidationError

from artisanat import permissions
from artisanat.api.exceptions import PayloadTooLarge, describe_integrity_error, django_validation_details
from artisanat.api.parsers import JSONParser
from artisanat.api.schema import ErrorDetailsField
from artisanat.api.serializers import PORTABLE_DIGITS
from artisanat.exports import CONTENT_TYPES
from artisanat.models import OFFICIAL_REGION_CODES, Filiere, Organisation, Region
from strategy import services
from strategy.api import bulk_xlsx
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


def _too_large():
    limit = settings.API_BULK_MAX_BYTES
    return PayloadTooLarge(_("Fichier trop volumineux : %(n)d octets au plus.") % {"n": limit}, max_bytes=limit)


def _read_limited(stream):
    limit = settings.API_BULK_MAX_BYTES
    content = stream.read(limit + 1) if stream is not None else b""
    if len(content) > limit:
        raise _too_large()
    return content


class BulkJSONParser(JSONParser):
    """JSON rows within the same limit as a file (ARTISANAT_API_BULK_MAX_BYTES)."""

    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(io.BytesIO(_read_limited(stream)), media_type, parser_context)


class CSVUploadParser(parsers.BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return Upload("csv", _read_limited(stream))


class XLSXUploadParser(parsers.BaseParser):
    media_type = CONTENT_TYPES["xlsx"]

    def parse(self, stream, media_type=None, parser_context=None):
        return Upload("xlsx", _read_limited(stream))


class CSVOctetStreamParser(parsers.BaseParser):
    """The CSV variant's body as generated clients send a file (application/octet-stream):
    read as a CSV, its content checked as any CSV's."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        return Upload("csv", _read_limited(stream))


class XLSXOctetStreamParser(parsers.BaseParser):
    """The XLSX variant's body as generated clients send a file: read as an XLSX (the
    archive checks of bulk_xlsx.py first, as for any XLSX)."""

    media_type = "application/octet-stream"

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
            raise _too_large()
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


def _too_many_columns():
    return ValidationError({"file": [_("Trop de colonnes : %(n)d au plus.") % {"n": settings.API_BULK_MAX_COLUMNS}]})


def _table_rows(header, body, *, aliases=None, cell=_cell):
    """``aliases``: headers (lower case) to column names, for a sheet whose headers are
    words in the reader's language (strategy/sheet.py); any other header is then
    dropped. ``cell``: how a cell's value is read (default: as text, as a CSV would)."""
    max_columns = settings.API_BULK_MAX_COLUMNS
    if len(header) > max_columns:
        raise _too_many_columns()
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    if aliases is not None:
        names = [aliases.get(name, "") for name in names]
    # Two columns feeding the same one ("indicator" twice, "Valeur" and "value"): which
    # one to read would be a guess. (Columns nobody reads may repeat.)
    read = set(COLUMNS) if aliases is None else {n for n in names if n}
    doubled = next((n for n in names if n in read and names.count(n) > 1), None)
    if doubled:
        typed = dict.fromkeys(str(h).strip() for h, n in zip(header, names, strict=True) if n == doubled)
        raise ValidationError(
            {
                "file": [
                    _("Colonne en double : %(c)s. Gardez-en une seule.") % {"c": ", ".join(f"« {h} »" for h in typed)}
                ]
            }
        )
    missing = [c for c in ("indicator", "period_start", "period_end") if c not in names]
    if missing:
        raise ValidationError({"file": [_("Colonnes manquantes : %(c)s.") % {"c": ", ".join(missing)}]})
    rows = []
    for values in body:
        if len(values) > max_columns:
            raise _too_many_columns()
        row = {name: cell(v) for name, v in zip(names, values, strict=False) if name}
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


def rows_from_xlsx(content, *, aliases=None, cell=_cell):
    """The rows of the first sheet (``aliases``, ``cell``: see ``_table_rows``)."""
    from openpyxl import load_workbook

    try:
        # What the file unpacks to, before openpyxl reads any of it (bulk_xlsx.py).
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            bulk_xlsx.check_archive(archive)
        # data_only=False: a formula cell reads as its text ("=2*3"), never as the value a
        # spreadsheet last cached for it (absent from files no spreadsheet has opened).
        # A formula is then refused where a number or a date is expected and kept as
        # inert text elsewhere (neutralised again by every export), as in a CSV.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        # Rows as they are in the file: the <dimension> a file declares would pad every
        # row (and add empty ones) up to whatever it claims.
        sheet.reset_dimensions()
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
        if header is None:
            raise ValidationError({"file": [_("Le fichier est vide.")]})
        rows = _table_rows(header, values, aliases=aliases, cell=cell)
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

# What the schema says of the codes (the rows are checked against the tables, these
# patterns only tell a client what a code looks like): a region is one of the official
# two-digit codes, a filière a slug (SlugField), an indicator and an organisation's
# acronym any non-blank text. Blank or null: no region / filière / organisation (blank
# is read as null before the serializer: _normalise; hence allow_blank=False below, which
# keeps drf-spectacular from wrapping the pattern in a oneOf with a blank string).
REGION_CODE_PATTERN = "^(" + "|".join(OFFICIAL_REGION_CODES) + ")?$"


@extend_schema_field({"type": "string", "maxLength": 30, "minLength": 1, "pattern": r"\S", "example": "IND-1.1"})
class IndicatorCodeField(serializers.CharField):
    pass


@extend_schema_field(
    {"type": "string", "maxLength": 2, "pattern": REGION_CODE_PATTERN, "nullable": True, "example": "01"}
)
class RegionCodeField(serializers.CharField):
    pass


@extend_schema_field(
    {"type": "string", "maxLength": 40, "pattern": "^[-a-zA-Z0-9_]*$", "nullable": True, "example": "tissage"}
)
class FiliereCodeField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "maxLength": 30, "nullable": True, "example": "FCA"})
class OrganisationAcronymField(serializers.CharField):
    pass


@extend_schema_serializer(component_name="BulkRow")
class BulkRowSerializer(serializers.Serializer):
    """One row's shape; the codes are looked up afterwards, all rows at once."""

    indicator = IndicatorCodeField(max_length=30)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=PORTABLE_DIGITS, decimal_places=4, required=False, allow_null=True)
    numerator = serializers.DecimalField(max_digits=PORTABLE_DIGITS, decimal_places=4, required=False, allow_null=True)
    denominator = serializers.DecimalField(
        max_digits=PORTABLE_DIGITS, decimal_places=4, required=False, allow_null=True
    )
    region = RegionCodeField(max_length=2, required=False, allow_null=True)
    filiere = FiliereCodeField(max_length=40, required=False, allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    actor_type = serializers.ChoiceField(choices=ActorType.choices, required=False, allow_blank=True)
    source = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    organisation = OrganisationAcronymField(
        max_length=30, required=False, allow_null=True, allow_blank=True, help_text=gettext_lazy("Sigle (ministère).")
    )


@extend_schema_serializer(component_name="BulkSubmission")
class BulkSubmissionSerializer(serializers.Serializer):
    """The JSON body of a bulk submission, as the schema declares it (a bare list of rows
    is accepted too)."""

    rows = BulkRowSerializer(many=True, max_length=1000, min_length=1)


class BulkErrorDetailsField(ErrorDetailsField):
    """``details`` of a bulk 400 (artisanat/api/schema.py): its ``rows`` items are one
    of a refused row or a message."""

    rows_composition = "oneOf"


class BulkErrorSerializer(serializers.Serializer):
    """The error shape of a bulk 400: for ``invalid_rows`` (every bad row listed, nothing
    saved) ``details.rows`` holds {row, field, reason} objects."""

    code = serializers.CharField(help_text="FR : invalid_rows, invalid, parse_error… / EN: stable error code.")
    message = serializers.CharField()
    details = BulkErrorDetailsField()


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


def build_measurements(rows, user, errors=None):
    """Read every row into an unsaved measurement: its shape (BulkRowSerializer) and
    its codes (one query per kind of code, whatever the number of rows). Returns
    [(row number, measurement)] and the RowErrors of the rows that could not be read;
    the rules (permission, clean(), uniqueness) are the service's."""
    errors = errors if errors is not None else RowErrors()
    shaped = []
    # One serializer validates every row (as ListSerializer does): building one per row
    # deep-copies its fields each time, a third of the time of a 500-row submission.
    row_serializer = BulkRowSerializer()
    for number, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            errors.add(number, "non_field_errors", _("Chaque ligne doit être un objet JSON."))
            continue
        try:
            data = row_serializer.run_validation(_normalise({str(k).strip().lower(): v for k, v in raw.items()}))
        except ValidationError as exc:
            for field, messages in serializers.as_serializer_error(exc).items():
                errors.add(number, field, messages)
        else:
            shaped.append((number, data))

    indicators = _lookup(
        Indicator, "code", [d["indicator"] for _, d in shaped], Indicator.objects.visible_to(user).only("pk", "code")
    )
    regions = _lookup(Region, "code", [d.get("region") for _, d in shaped], Region.objects.only("pk", "code"))
    filieres = _lookup(Filiere, "code", [d.get("filiere") for _, d in shaped], Filiere.objects.only("pk", "code"))
    reporter = permissions.is_reporter(user)
    organisations = (
        {}
        if reporter
        else _lookup(
            Organisation,
            "acronym",
            [d.get("organisation") for _, d in shaped],
            Organisation.objects.only("pk", "acronym"),
        )
    )
    own_organisation = permissions.organisation_id_of(user)

    built = []
    for number, data in shaped:
        indicator = indicators.get(data["indicator"])
        row_ok = True
        if indicator is None:
            errors.add(number, "indicator", _("Indicateur inconnu : %(c)s.") % {"c": data["indicator"]})
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
        built.append(
            (
                number,
                Measurement(
                    indicator_id=indicator.pk,
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    value=data.get("value"),
                    numerator=data.get("numerator"),
                    denominator=data.get("denominator"),
                    region_id=related["region"].pk if related["region"] else None,
                    filiere_id=related["filiere"].pk if related["filiere"] else None,
                    sex=data.get("sex", ""),
                    actor_type=data.get("actor_type", ""),
                    source=data.get("source", ""),
                    organisation_id=organisation_id,
                    reported_by=user,
                ),
            )
        )
    return built, errors


def save_measurements(rows, user, *, submit=False, reason=None, labels=None):
    """Check every row, then create them all (and submit them) through
    ``services.create_measurements``, or nothing: BulkRowsInvalid lists every bad row,
    whether it could not be read or breaks a rule. ``reason``: the history's, naming
    the surface (the API's by default; the pages' spreadsheet gives its own).
    ``labels``: one per row, how a message names another row (a duplicate's "ligne n");
    by default its number here. BulkRowsInvalid numbers rows from 1 either way."""
    built, errors = build_measurements(rows, user)
    numbers = [number for number, _m in built]
    named = numbers if labels is None else [labels[number - 1] for number in numbers]
    measurements = [m for _n, m in built]
    reason = reason or _("Envoi groupé (API)")
    if errors.items:
        # Some rows are unreadable: nothing is saved, but the others are still checked
        # so that the answer lists every bad row at once.
        rule_errors = services.check_new_measurements(measurements, by=user, labels=named)
    else:
        try:
            services.create_measurements(measurements, by=user, reason=reason, submit=submit, labels=named)
            return [m.pk for m in measurements]
        except services.MeasurementRowsInvalid as exc:
            rule_errors = exc.rows
        except IntegrityError as exc:  # a row recorded meanwhile by someone else
            described = describe_integrity_error(exc)
            if described is None:
                raise
            raise BulkRowsInvalid([{"row": numbers[0], "field": "non_field_errors", "reason": described[2]}]) from None
    for position, error in rule_errors.items():
        errors.add_django(numbers[position], error)
    errors.raise_if_any()
    return []  # not reached: a bad row raised above
