"""A whole period in one spreadsheet, from the pages (docs/api.md, "Sans API").

- **What is owed** comes from the reporting calendar (``strategy.calendar``): the reports
  an organisation owes for one period, one per indicator (and region for a regional
  chamber). Each report is expanded into the rows of its indicator's breakdown
  (``Indicator.dimensions``: every region, filière, sex or actor type it is broken down
  by), less the rows the organisation already recorded for that period.
- **The download** is an XLSX: keys (codes and readable names), unit, previous value,
  empty value cells; headers in the reader's language; every cell locked but the ones
  to fill.
- **The upload** is read by the bulk API's reader (``strategy.api.bulk.rows_from_xlsx``:
  the archive checked by ``bulk_xlsx`` before openpyxl reads it) and saved by the bulk
  API's ``save_measurements``: all rows or none, the same checks and history rows.
  Numbers typed as text are read by ``artisanat.forms.french_decimal`` ("1 234,5")."""

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError as RequestInvalid

from artisanat import permissions
from artisanat.api.exceptions import PayloadTooLarge
from artisanat.dates import today
from artisanat.exports import cell as export_cell
from artisanat.forms import decimal_text, french_decimal
from artisanat.models import Filiere, Organisation, Region
from strategy import calendar, periods
from strategy.api import bulk
from strategy.choices import REPORTED_STATUSES, ActorType, Aggregation, Sex
from strategy.models import Indicator, Measurement

NUMBER_FIELDS = ("value", "numerator", "denominator")

#: The sheet's columns: the bulk column each one feeds (None: shown, not read back), its
#: header (translated when the sheet is written and, in every language, when it is read).
COLUMNS = [
    ("indicator", gettext_lazy("Indicateur (code)")),
    (None, gettext_lazy("Indicateur")),
    (None, gettext_lazy("Unité")),
    ("period_start", gettext_lazy("Début de période")),
    ("period_end", gettext_lazy("Fin de période")),
    (None, gettext_lazy("Période")),
    ("organisation", gettext_lazy("Organisation (sigle)")),
    ("region", gettext_lazy("Région (code)")),
    (None, gettext_lazy("Région")),
    ("filiere", gettext_lazy("Filière (code)")),
    (None, gettext_lazy("Filière")),
    ("sex", gettext_lazy("Sexe (code)")),
    (None, gettext_lazy("Sexe")),
    ("actor_type", gettext_lazy("Type d'acteur (code)")),
    (None, gettext_lazy("Type d'acteur")),
    (None, gettext_lazy("Valeur précédente")),
    ("value", gettext_lazy("Valeur")),
    ("numerator", gettext_lazy("Numérateur")),
    ("denominator", gettext_lazy("Dénominateur")),
    ("source", gettext_lazy("Source")),
]
PREVIOUS = 15  # the previous value's column, its header names the period
#: The cells a reporter fills (unlocked in the sheet).
INPUT_COLUMNS = {"value", "numerator", "denominator", "source"}


def header_aliases():
    """Every header of the sheet in every language (lower case) → its bulk column, "" for
    a column shown only: a sheet downloaded in Arabic reads back on a French page. The
    bulk column names themselves are accepted too (a file made for the API)."""
    aliases = {name: name for name in bulk.COLUMNS}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for name, label in COLUMNS:  # shown-only first: a code column's word wins
                if name is None:
                    aliases[str(label).strip().lower()] = ""
            for name, label in COLUMNS:
                if name is not None:
                    aliases[str(label).strip().lower()] = name
    return aliases


# ---------------------------------------------------------------- what is owed


def period_key(period):
    return f"{period.frequency}:{period.start:%Y-%m-%d}"


def period_from_key(key):
    """The Period a ``period_key`` names, or None when it names none."""
    frequency, _sep, start = (key or "").partition(":")
    try:
        day = dt.date.fromisoformat(start)
        period = periods.period_containing(frequency, day)
    except ValueError:
        return None
    return period if period.start == day else None


def owed_reports(user, organisation_id, as_of=None):
    """The reports ``organisation_id`` owes as of ``as_of`` (today), due or pending,
    as ``user`` may read them (``calendar.calendar_visible_to``: a partner only its own)."""
    if organisation_id is None:
        return []
    return calendar.calendar_visible_to(user, as_of or today(), organisation=organisation_id, with_pending=True)


def period_choices(reports):
    """One choice per period owed, the latest first: (key, label, reports)."""
    by_period = defaultdict(list)
    for report in reports:
        by_period[report.period].append(report)
    return [(period_key(p), p, by_period[p]) for p in sorted(by_period, key=lambda p: (p.end, p.start), reverse=True)]


@dataclass
class SheetRow:
    indicator: Indicator
    period: periods.Period
    organisation: Organisation
    region: Region | None = None
    filiere: Filiere | None = None
    sex: str = ""
    actor_type: str = ""
    previous: object = None  # the previous period's value (Decimal or "n / d"), or None


@dataclass
class Sheet:
    organisation: Organisation
    period: periods.Period
    previous_period: periods.Period
    rows: list = field(default_factory=list)
    recorded: int = 0  # rows of the period already recorded (left out of the sheet)
    indicators: list = field(default_factory=list)  # (indicator, rows to fill, rows recorded)


def _name(obj, language):
    if obj is None:
        return ""
    if language == "ar" and getattr(obj, "name_ar", ""):
        return obj.name_ar
    return obj.name


def build_sheet(user, organisation, period, reports):
    """The rows ``organisation`` still owes for ``period`` (``reports``: the calendar's
    reports of that period). A fixed number of queries whatever the number of rows: the
    indicators, the regions and filières, the rows already recorded (this period and the
    previous one)."""
    previous = periods.period_containing(period.frequency, period.start - dt.timedelta(days=1))
    sheet = Sheet(organisation=organisation, period=period, previous_period=previous)
    reports = [r for r in reports if r.period == period and r.organisation_id == organisation.pk]
    if not reports:
        return sheet
    indicators = Indicator.objects.visible_to(user).in_bulk({r.indicator_id for r in reports})
    regions = {r.pk: r for r in Region.objects.order_by("code")}
    filieres = sorted(Filiere.objects.all(), key=lambda f: f.code)
    recorded = defaultdict(dict)  # period start → {key: amount}
    existing = Measurement.objects.visible_to(user).filter(
        indicator_id__in=list(indicators),
        organisation_id=organisation.pk,
        period_start__in=[period.start, previous.start],
        period_end__in=[period.end, previous.end],
    )
    for row in existing.values(
        "indicator_id",
        "period_start",
        "region_id",
        "filiere_id",
        "sex",
        "actor_type",
        "value",
        "numerator",
        "denominator",
        "status",
    ):
        if row["period_start"] == previous.start and row["status"] not in REPORTED_STATUSES:
            continue  # a draft of the previous period is not a reported value (the entry form's rule)
        key = (row["indicator_id"], row["region_id"], row["filiere_id"], row["sex"], row["actor_type"])
        amount = row["value"]
        if amount is None and row["numerator"] is not None:
            amount = f"{decimal_text(row['numerator'])} / {decimal_text(row['denominator'])}"
        recorded[row["period_start"]][key] = amount
    for report in sorted(reports, key=lambda r: (r.indicator_code, r.region_id or 0)):
        indicator = indicators.get(report.indicator_id)
        if indicator is None:
            continue
        dims = indicator.dimensions
        if report.region_id is not None:
            region_options = [regions.get(report.region_id)]
        else:
            region_options = list(regions.values()) if "region" in dims else [None]
        filiere_options = filieres if "filiere" in dims else [None]
        sex_options = Sex.values if "sex" in dims else [""]
        actor_options = ActorType.values if "actor_type" in dims else [""]
        to_fill = done = 0
        for region in region_options:
            for filiere in filiere_options:
                for sex in sex_options:
                    for actor in actor_options:
                        key = (indicator.pk, getattr(region, "pk", None), getattr(filiere, "pk", None), sex, actor)
                        if key in recorded[period.start]:
                            done += 1
                            continue
                        to_fill += 1
                        sheet.rows.append(
                            SheetRow(
                                indicator,
                                period,
                                organisation,
                                region,
                                filiere,
                                sex,
                                actor,
                                previous=recorded[previous.start].get(key),
                            )
                        )
        sheet.recorded += done
        sheet.indicators.append((indicator, to_fill, done))
    return sheet


# ---------------------------------------------------------------- the download


def write_sheet(sheet):
    """The XLSX bytes of ``sheet``, in the active language."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    language = translation.get_language() or settings.LANGUAGE_CODE
    workbook = Workbook()
    ws = workbook.active
    ws.title = str(sheet.period.label)[:31]
    if language == "ar":
        ws.sheet_view.rightToLeft = True
    headers = [str(label) for _name, label in COLUMNS]
    headers[PREVIOUS] = f"{headers[PREVIOUS]} ({sheet.previous_period.label})"
    ws.append(headers)
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="EEEEEE")
    for column, _header in enumerate(headers, start=1):
        ws.cell(row=1, column=column).font = bold
    unlocked = Protection(locked=False)
    for row in sheet.rows:
        ratio = row.indicator.aggregation == Aggregation.RATIO
        values = {
            0: row.indicator.code,
            1: _name(row.indicator, language),
            2: row.indicator.get_unit_display(),
            3: row.period.start,
            4: row.period.end,
            5: str(row.period.label),
            6: row.organisation.acronym,
            7: row.region.code if row.region else None,
            8: _name(row.region, language),
            9: row.filiere.code if row.filiere else None,
            10: _name(row.filiere, language),
            11: row.sex or None,
            12: str(Sex(row.sex).label) if row.sex else None,
            13: row.actor_type or None,
            14: str(ActorType(row.actor_type).label) if row.actor_type else None,
            15: row.previous,
        }
        ws.append(
            [export_cell(values[i]) if i in values and values[i] is not None else None for i in range(len(COLUMNS))]
        )
        number = ws.max_row
        for index, (name, _label) in enumerate(COLUMNS, start=1):
            target = ws.cell(row=number, column=index)
            if index in (4, 5):
                target.number_format = "DD/MM/YYYY"
            fillable = name in INPUT_COLUMNS and (name == "source" or (name == "value") != ratio)
            if fillable:
                target.protection = unlocked
            else:
                target.fill = grey
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(12, min(45, len(header) + 4))
        ws.cell(row=1, column=index).alignment = Alignment(wrap_text=True)
    ws.freeze_panes = "B2"
    # Locked keys: the sheet is protected without a password (it guards against a slip,
    # not against anyone: the upload checks every key again).
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.autoFilter = False
    ws.protection.sort = False
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filename(sheet):
    return f"mesures-{sheet.organisation.acronym}-{period_key(sheet.period).replace(':', '-')}.xlsx"


# ---------------------------------------------------------------- the upload


@dataclass
class RefusedRow:
    """A row of the sheet that cannot be saved: its number in the sheet (the header is
    row 1), its keys, what was typed, and every reason."""

    number: int
    keys: dict
    typed: dict
    reasons: list = field(default_factory=list)  # (field label, message)


@dataclass
class UploadResult:
    created: int = 0
    skipped: int = 0  # rows without any value, not sent
    refused: list = field(default_factory=list)  # RefusedRow, by sheet row
    file_error: str = ""


def _keep_numbers(value):
    """A cell as the bulk reader reads it, numbers kept as numbers (a number cell is not
    French text; a text cell is read by french_decimal)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return bulk._cell(value)


def _field_label(name):
    if name in ("non_field_errors", "__all__", "rows"):
        return ""
    try:
        return str(Measurement._meta.get_field(name).verbose_name)
    except Exception:
        return name


def _typed_text(value):
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        try:
            return decimal_text(Decimal(repr(value)))
        except InvalidOperation:  # nan, inf
            return repr(value)
    return str(value)


def _key_text(value):
    """A key as typed, a date the French way (dd/mm/yyyy)."""
    if value in (None, ""):
        return ""
    try:
        return f"{dt.date.fromisoformat(str(value)):%d/%m/%Y}"
    except ValueError:
        return str(value)


def _number(value):
    """(text the bulk reader takes, error message or "") for one number cell."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, int):
        return str(value), ""
    if isinstance(value, float):
        return repr(value), ""
    try:
        number = french_decimal(str(value))
    except DjangoValidationError as error:
        return str(value), " ".join(error.messages)
    return (None if number is None else str(number)), ""


def read_upload(content, user, *, submit=False):
    """Save the uploaded sheet through the bulk API's path, all rows or none."""
    result = UploadResult()
    try:
        rows = bulk.rows_from_xlsx(content, aliases=header_aliases(), cell=_keep_numbers)
    except PayloadTooLarge as error:
        result.file_error = str(error.detail)
        return result
    except RequestInvalid as error:
        detail = error.detail.get("file") or error.detail.get("rows") if isinstance(error.detail, dict) else None
        result.file_error = " ".join(str(m) for m in (detail or [error.detail]))
        return result
    sent, numbers, number_errors, typed = [], [], {}, {}
    for index, raw in enumerate(rows):
        sheet_row = index + 2
        if all(raw.get(name) in (None, "") for name in NUMBER_FIELDS):
            if any(v not in (None, "") for v in raw.values()):
                result.skipped += 1
            continue
        row = dict(raw)
        typed[sheet_row] = {
            name: _typed_text(raw.get(name)) for name in NUMBER_FIELDS if raw.get(name) not in (None, "")
        }
        for name in NUMBER_FIELDS:
            row[name], problem = _number(raw.get(name))
            if problem:
                number_errors[(sheet_row, name)] = problem
        sent.append(row)
        numbers.append(sheet_row)
    if not sent:
        result.file_error = _(
            "Aucune valeur saisie : remplissez la colonne « Valeur » (ou numérateur et dénominateur)."
        )
        return result
    items = []
    with transaction.atomic():
        try:
            # labels: a message naming another row (a duplicate) names it by its sheet row.
            ids = bulk.save_measurements(sent, user, submit=submit, reason=_("Envoi groupé (tableur)"), labels=numbers)
        except bulk.BulkRowsInvalid as error:
            ids = []
            items = [
                {**item, "row": numbers[item["row"] - 1]}
                for item in error.bulk_rows
                if (numbers[item["row"] - 1], item["field"]) not in number_errors
            ]
        if number_errors:
            transaction.set_rollback(True)  # nothing is kept while one number is unreadable
            ids = []
    items += [{"row": row, "field": name, "reason": message} for (row, name), message in number_errors.items()]
    if not items:
        result.created = len(ids)
        return result
    by_row = {}
    for item in sorted(items, key=lambda i: i["row"]):
        raw = rows[item["row"] - 2]
        refused = by_row.setdefault(
            item["row"],
            RefusedRow(
                number=item["row"],
                keys={
                    name: _key_text(raw.get(name))
                    for name in (
                        "indicator",
                        "period_start",
                        "period_end",
                        "organisation",
                        "region",
                        "filiere",
                        "sex",
                        "actor_type",
                    )
                },
                typed=typed.get(item["row"], {}),
            ),
        )
        refused.reasons.append((_field_label(item["field"]), item["reason"]))
    result.refused = list(by_row.values())
    return result


def may_choose_organisation(user):
    """Ministry roles fill a sheet for any organisation (the bulk path lets them record on
    behalf of one); a partner only for its own."""
    return permissions.is_ministry(user)
