"""CSV and XLSX exports of any list, with the list's filters and access rules already
applied to the queryset handed in. One writer for the pages and the API.

Cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) are neutralised with a leading apostrophe.

CSV files are opened by spreadsheets that split lines on ``,`` or, in French, on ``;``
(and some on tabs): a text ``Registre;=1+1;fin`` written as one field became three
cells there, the middle one a formula. So every CSV field is quoted (``QUOTE_ALL``:
a separator inside quotes never splits a cell), and inside a text every piece that a
separator or a line break could turn into a cell of its own is neutralised as well
(``Registre;'=1+1;fin``), for the readers that split without honouring quotes."""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    """A column: its header (also the import's column name) and how to read it off a row."""

    name: str
    getter: object  # callable(row) -> value

    def value(self, row):
        return self.getter(row)


def neutralise(value):
    """Text that a spreadsheet would evaluate is prefixed with an apostrophe; numbers
    and dates keep their type (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# A separator (",", ";", tab) or a line break, then quotes, before a formula start: the
# place where a reader splitting the line would begin a cell with a formula.
CELL_BREAK_BEFORE_FORMULA = re.compile(
    r'([,;\t\r\n]"*)(?=[' + "".join(re.escape(start) for start in FORMULA_STARTS) + "])"
)


def neutralise_csv(value):
    """``neutralise`` for a CSV field: its start and every piece after a separator."""
    value = neutralise(value)
    if isinstance(value, str):
        return CELL_BREAK_BEFORE_FORMULA.sub(r"\1'", value)
    return value


# Control characters that XML (so XLSX) cannot hold; tab, newline and carriage return are fine.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        # The portal's local time, without its zone: Excel has no time zones (an aware
        # datetime made an XLSX export a 500), and the CSV reads the same.
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, (Decimal, int, float, dt.date)):
        return value
    return neutralise(CONTROL_CHARACTERS.sub("", str(value)))


def write_csv(rows, columns):
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that spreadsheet programs read UTF-8 (Arabic names)
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([_csv_text(cell(c.value(row))) for c in columns])
    return buffer.getvalue().encode("utf-8")


def _csv_text(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise_csv(value)


def write_xlsx(rows, columns, title="export"):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([c.name for c in columns])
    for row in rows:
        values = []
        for c in columns:
            v = cell(c.value(row))
            if isinstance(v, str) and v.startswith("="):  # belt and braces: never a formula
                v = "'" + v
            values.append(v)
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_response(rows, columns, fmt, filename):
    """An attachment response in ``fmt`` (csv or xlsx)."""
    if fmt == "csv":
        content = write_csv(rows, columns)
    elif fmt == "xlsx":
        content = write_xlsx(rows, columns, title=filename)
    else:
        raise ValueError(_("Format d'export inconnu : %(f)s") % {"f": fmt})
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


ORGANISATION_COLUMNS = [
    Column("id", lambda o: o.pk),
    Column("acronym", lambda o: o.acronym),
    Column("name", lambda o: o.name),
    Column("name_ar", lambda o: o.name_ar),
    Column("kind", lambda o: o.kind),
    Column("region", lambda o: o.region.code if o.region_id else ""),
    Column("active", lambda o: o.active),
    Column("contracts", lambda o: getattr(o, "contract_count", None) or 0),
    Column("indicators", lambda o: getattr(o, "indicator_count", None) or 0),
]


# Columns of the reference lists.
REGION_COLUMNS = [
    Column("id", lambda r: r.pk),
    Column("code", lambda r: r.code),
    Column("name", lambda r: r.name),
    Column("name_ar", lambda r: r.name_ar),
]
FILIERE_COLUMNS = [
    Column("id", lambda f: f.pk),
    Column("code", lambda f: f.code),
    Column("name", lambda f: f.name),
    Column("name_ar", lambda f: f.name_ar),
    Column("priority", lambda f: f.priority),
]


def _membership(user):
    return getattr(user, "membership", None)  # RelatedObjectDoesNotExist is an AttributeError


PEOPLE_COLUMNS = [
    Column("id", lambda u: u.pk),
    Column("username", lambda u: u.username),
    Column("first_name", lambda u: u.first_name),
    Column("last_name", lambda u: u.last_name),
    Column("email", lambda u: u.email),
    Column("organisation", lambda u: _membership(u).organisation.acronym if _membership(u) else ""),
    Column("role", lambda u: _membership(u).role if _membership(u) else ""),
    Column("focal_point", lambda u: bool(_membership(u) and _membership(u).is_focal_point)),
    Column("two_factor", lambda u: bool(getattr(u, "has_two_factor", False))),
    Column("active", lambda u: u.is_active),
    Column("invitation_pending", lambda u: not u.has_usable_password()),
    Column("last_login", lambda u: u.last_login),
]
