"""What a bulk XLSX file may unpack to, checked before openpyxl reads it.

An XLSX is a zip of XML parts. A 256 KB file held a 5-million-cell header (a worker
grew to 3.2 GB) or shared strings of 100 MB (the worker was killed): openpyxl, even in
read-only mode, parses a whole row at once, keeps every shared string, and builds a
full tree of the workbook's other parts. So, from the zip's directory first (nothing
unpacked), then by streaming each XML part through defusedxml (no DTD, no entity),
each by what its root element says it is, whatever the part's name:

- at most ``MAX_MEMBERS`` parts; each part's and the total's unpacked size at most
  ``API_BULK_XLSX_MAX_UNPACKED_BYTES``, the shared strings at most
  ``API_BULK_XLSX_MAX_SHARED_STRINGS_BYTES`` (Python's zip reader never unpacks more
  than a part's declared size: a part that lies about it is a damaged file);
- every worksheet: at most ``API_BULK_MAX_ROWS`` + 1 rows (its header),
  ``API_BULK_MAX_COLUMNS`` cells per row, ``MAX_ELEMENTS_PER_CELL`` elements per cell,
  ``MAX_OTHER_ELEMENTS`` elements outside the rows; row and column numbers (``r``)
  inside the same bounds (openpyxl fills the gaps);
- shared strings: at most one per cell of the largest sheet allowed, and
  ``MAX_ELEMENTS_PER_CELL`` elements each;
- every other XML part: ``MAX_OTHER_ELEMENTS`` elements.

Each refusal is a 400 on ``file`` naming the limit."""

import re

from defusedxml.ElementTree import ParseError, iterparse
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

MAX_MEMBERS = 500
MAX_ELEMENTS_PER_CELL = 200
MAX_OTHER_ELEMENTS = 50_000
SHARED_STRINGS = re.compile(r"(^|/)sharedStrings\d*\.xml$", re.IGNORECASE)
XML_PART = re.compile(r"\.(xml|rels)$", re.IGNORECASE)
#: What an XML part starts with, whatever its name (openpyxl finds a sheet through the
#: workbook's relationships, not by its name: ``xl/worksheets/sheet1.bin`` is read too).
XML_START = re.compile(rb"^(\xef\xbb\xbf)?\s*<")
CELL_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


class TooLarge(Exception):
    """Internal: a limit was crossed; ``message`` names it."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def refuse(message):
    return ValidationError({"file": [message]})


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _column_number(reference):
    match = CELL_REFERENCE.match(reference or "")
    if not match:
        return None
    number = 0
    for letter in match.group(1).upper():
        number = number * 26 + ord(letter) - 64
    return number


def _too_many_rows(max_rows):
    return TooLarge(
        _("Trop de lignes dans le fichier XLSX : %(n)d lignes de données au plus, plus l'en-tête.") % {"n": max_rows}
    )


def _too_many_columns(max_columns):
    return TooLarge(_("Trop de colonnes dans le fichier XLSX : %(n)d au plus.") % {"n": max_columns})


def _too_complex():
    return TooLarge(
        _("Fichier XLSX trop complexe : %(n)d éléments XML au plus hors des cellules, %(c)d par cellule.")
        % {"n": MAX_OTHER_ELEMENTS, "c": MAX_ELEMENTS_PER_CELL}
    )


def _check_sheet(events, max_rows, max_columns):
    """A worksheet's rows, cells per row, elements per cell and elsewhere."""
    rows = row_number = cells = column = cell_elements = other = 0
    in_row = in_cell = False
    for event, element in events:
        tag = _local(element.tag)
        if event == "end":
            if tag == "c" and in_cell:
                in_cell = False
            elif tag == "row" and in_row:
                in_row = False
                element.clear()  # the row's cells are no longer needed
            continue
        if in_cell:
            cell_elements += 1
            if cell_elements > MAX_ELEMENTS_PER_CELL:
                raise _too_complex()
        elif in_row and tag == "c":
            in_cell, cell_elements = True, 0
            cells += 1
            column = _column_number(element.get("r")) or column + 1
            if cells > max_columns or column > max_columns:
                raise _too_many_columns(max_columns)
        elif tag == "row" and not in_row:
            in_row, cells, column = True, 0, 0
            rows += 1
            declared = element.get("r", "")
            row_number = int(declared) if declared.isdigit() else row_number + 1
            if rows > max_rows + 1 or row_number > max_rows + 1:
                raise _too_many_rows(max_rows)
        else:
            other += 1
            if other > MAX_OTHER_ELEMENTS:
                raise _too_complex()


def _check_shared_strings(events, max_strings):
    strings = elements = 0
    for event, element in events:
        tag = _local(element.tag)
        if event == "end":
            if tag == "si":
                element.clear()
            continue
        if tag == "si":
            strings, elements = strings + 1, 0
            if strings > max_strings:
                raise TooLarge(_("Trop de textes partagés dans le fichier XLSX : %(n)d au plus.") % {"n": max_strings})
        else:
            elements += 1
            if elements > MAX_ELEMENTS_PER_CELL:
                raise _too_complex()


def _check_other(events):
    for elements, _item in enumerate(events, start=1):
        if elements > MAX_OTHER_ELEMENTS * 2:  # start and end events
            raise _too_complex()


SHEET_ROOTS = {"worksheet", "dialogsheet", "macrosheet"}


def check_part(stream, max_rows, max_columns, *, size=0, max_shared=None):
    """One XML part, by what its root element says it is (whatever its name); ``size``:
    its unpacked size, held against ``max_shared`` when it is the shared strings."""
    events = iterparse(stream, events=("start", "end"), forbid_dtd=True)
    root = next((element for _event, element in events), None)
    kind = _local(root.tag) if root is not None else ""
    if kind in SHEET_ROOTS:
        _check_sheet(events, max_rows, max_columns)
    elif kind == "sst":
        if max_shared is not None and size > max_shared:
            raise TooLarge(
                _("Textes partagés du fichier XLSX trop volumineux une fois décompressés : %(n)d octets au plus.")
                % {"n": max_shared}
            )
        _check_shared_strings(events, (max_rows + 1) * max_columns)
    else:
        _check_other(events)


def _looks_like_xml(archive, info):
    with archive.open(info) as stream:
        return bool(XML_START.match(stream.read(64)))


def check_archive(archive):
    """The zip's directory, then every XML part, worksheets included: openpyxl reads
    every sheet when it opens a workbook (to its ``<dimension>``, which may come after
    all the rows). Raises ValidationError (400 on ``file``)."""
    max_unpacked = settings.API_BULK_XLSX_MAX_UNPACKED_BYTES
    max_shared = settings.API_BULK_XLSX_MAX_SHARED_STRINGS_BYTES
    max_rows, max_columns = settings.API_BULK_MAX_ROWS, settings.API_BULK_MAX_COLUMNS
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise refuse(_("Fichier XLSX trop complexe : %(n)d parties au plus.") % {"n": MAX_MEMBERS})
    unpacked_message = _("Fichier XLSX trop volumineux une fois décompressé : %(n)d octets au plus.") % {
        "n": max_unpacked
    }
    for info in members:
        if SHARED_STRINGS.search(info.filename) and info.file_size > max_shared:
            raise refuse(
                _("Textes partagés du fichier XLSX trop volumineux une fois décompressés : %(n)d octets au plus.")
                % {"n": max_shared}
            )
    if sum(info.file_size for info in members) > max_unpacked:
        raise refuse(unpacked_message)
    try:
        for info in members:
            if info.is_dir() or not (XML_PART.search(info.filename) or _looks_like_xml(archive, info)):
                continue
            with archive.open(info) as stream:
                try:
                    check_part(stream, max_rows, max_columns, size=info.file_size, max_shared=max_shared)
                except ParseError:
                    # Not XML after all (a VML drawing may not be): openpyxl parses only what
                    # the workbook names, and refuses what it cannot read; every limit
                    # above was checked up to the point of the error.
                    if XML_PART.search(info.filename) and not info.filename.lower().endswith(".vml"):
                        raise
    except TooLarge as exc:
        raise refuse(exc.message) from None
