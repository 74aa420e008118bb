"""Documents clients upload — a measurement's evidence, a contract's signed copy — from
the moment they arrive to the moment someone reads them back.

- **What is accepted** is decided on the content, never on the name: PDF, PNG, JPEG,
  WebP, Word / Excel / PowerPoint (OOXML and the older binary format, without macros),
  OpenDocument text / spreadsheet / presentation, and CSV (UTF-8 or Windows-1252 text
  without NUL, control characters or HTML / SVG / script markup, sent under a ``.csv``
  name: text has no signature, so for text alone the name must agree). HTML, SVG,
  JavaScript and anything else are refused. The size (``DOCUMENT_MAX_BYTES``,
  ``ARTISANAT_DOCUMENT_MAX_BYTES``) is checked before a byte is read.
- **Where it is stored**: ``PrivateStorage``, rooted at ``PRIVATE_MEDIA_ROOT``
  (``ARTISANAT_PRIVATE_MEDIA_ROOT``), a folder no URL serves (settings.py refuses one
  inside a served folder), under a random name (``<folder>/<yyyy>/<mm>/<uuid>.<ext>``,
  the extension of the type found). The client's name, cleaned, is kept beside it for
  display and for the download (``DocumentField(name_field=…)``).
- **Who reads it**: only the download views (pages and API), after the row's own
  ``visible_to(user)``; ``document_response`` answers it as an attachment with
  ``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: default-src
  'none'; sandbox``, from the application or, behind a proxy, with ``X-Accel-Redirect``
  (nginx, ``ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT``) or ``X-Sendfile`` (Apache
  mod_xsendfile, lighttpd; ``ARTISANAT_DOCUMENT_X_SENDFILE``).

Every path refuses the same way: the field's validator runs in ``full_clean()`` (page
forms, the admin, the API through the services), and ``DocumentField.pre_save`` checks
again whatever saves the row (``bulk_create``, a shell), so nothing unchecked is stored.
"""

import contextlib
import os
import re
import struct
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import lazy
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

# The headers of every document answer: never rendered by the browser as a page of the
# portal's origin, whatever the file holds.
SANDBOX_POLICY = "default-src 'none'; sandbox"
DOCUMENT_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": SANDBOX_POLICY}


@dataclass(frozen=True)
class DocumentType:
    code: str
    extension: str  # of the stored file and, unless the client's name has another of ``extensions``, of the download
    content_type: str
    extensions: tuple = ()

    @property
    def accepted_extensions(self):
        return (self.extension, *self.extensions)


PDF = DocumentType("pdf", "pdf", "application/pdf")
PNG = DocumentType("png", "png", "image/png")
JPEG = DocumentType("jpeg", "jpg", "image/jpeg", ("jpeg", "jpe"))
WEBP = DocumentType("webp", "webp", "image/webp")
DOCX = DocumentType("docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = DocumentType("xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PPTX = DocumentType("pptx", "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation")
DOC = DocumentType("doc", "doc", "application/msword")
XLS = DocumentType("xls", "xls", "application/vnd.ms-excel")
PPT = DocumentType("ppt", "ppt", "application/vnd.ms-powerpoint")
ODT = DocumentType("odt", "odt", "application/vnd.oasis.opendocument.text")
ODS = DocumentType("ods", "ods", "application/vnd.oasis.opendocument.spreadsheet")
ODP = DocumentType("odp", "odp", "application/vnd.oasis.opendocument.presentation")
CSV = DocumentType("csv", "csv", "text/csv")

TYPES = (PDF, PNG, JPEG, WEBP, DOCX, XLSX, PPTX, DOC, XLS, PPT, ODT, ODS, ODP, CSV)
BY_EXTENSION = {t.extension: t for t in TYPES}
#: Every Content-Type a download may carry (the API schema lists them).
CONTENT_TYPES = tuple(dict.fromkeys(t.content_type for t in TYPES))
#: The file input's ``accept`` attribute: a hint for the browser's file picker only.
ACCEPT = ",".join(f".{ext}" for t in TYPES for ext in t.accepted_extensions)

_HEAD = 8192
_PNG = b"\x89PNG\r\n\x1a\n"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF = {
    "application/vnd.oasis.opendocument.text": ODT,
    "application/vnd.oasis.opendocument.spreadsheet": ODS,
    "application/vnd.oasis.opendocument.presentation": ODP,
}
_OOXML = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
# Streams of the older binary office format (OLE2 / CFB) that say which program wrote it.
_OLE2_STREAMS = (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS), ("PowerPoint Document", PPT))
_OLE2_MACROS = {"macros", "_vba_project_cur", "vba", "_vba_project"}
# Markup a browser could run or render: refused in text, whatever the name says.
# (A browser opens a tag only where a letter, "!", "?" or "/" follows "<" at once.)
_MARKUP = re.compile(
    rb"<(?:script|html|svg|!doctype|iframe|frame|object|embed|body|head|meta|link|style|img|a[\s>]|form|base|math"
    rb"|\?xml|\?php|%|!\[cdata)|javascript\s*:|vbscript\s*:|data\s*:\s*text/html",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _too_large_message(size, limit):
    return _("Le fichier dépasse la taille maximale de %(max)s (il fait %(size)s).") % {
        "max": filesizeformat(limit),
        "size": filesizeformat(size),
    }


def _refused():
    return ValidationError(
        _(
            "Type de fichier non accepté : déposez un PDF, une image PNG, JPEG ou WebP, un document Word, Excel, "
            "PowerPoint ou OpenDocument, ou un fichier CSV."
        ),
        code="document_type",
    )


def _help_text():
    return _(
        "PDF, PNG, JPEG, WebP, Word, Excel, PowerPoint, OpenDocument ou CSV ; %(max)s au plus. "
        "Le fichier n'est lisible que par les personnes qui voient la mesure ou le contrat."
    ) % {"max": filesizeformat(settings.DOCUMENT_MAX_BYTES)}


help_text = lazy(_help_text, str)


# ---------------------------------------------------------------- what a file is


def _size_of(file):
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(position)
    return size


def sniff(file, name="", *, limit=None):
    """The DocumentType of ``file`` (a file object, read from its start), or
    ValidationError. The size is checked first (against ``limit``, by default
    ``DOCUMENT_MAX_BYTES``), before anything is read; the result is remembered on the
    file object, so the checks of a form, a service and the save cost one reading."""
    known = getattr(file, "_artisanat_document_type", None)
    if known is not None:
        return known
    size = _size_of(file)
    limit = settings.DOCUMENT_MAX_BYTES if limit is None else limit
    if size > limit:
        raise ValidationError(_too_large_message(size, limit), code="document_too_large", params={"max": limit})
    if size == 0:
        raise ValidationError(_("Le fichier est vide."), code="document_empty")
    file.seek(0)
    try:
        head = file.read(_HEAD)
        if head.startswith(b"%PDF-"):
            kind = PDF
        elif head.startswith(_PNG):
            kind = PNG
        elif head.startswith(b"\xff\xd8\xff"):
            kind = JPEG
        elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            kind = WEBP
        elif head.startswith(b"PK\x03\x04"):
            file.seek(0)
            kind = _zip_office(file)
        elif head.startswith(_OLE2):
            file.seek(0)
            kind = _ole2_office(file.read(limit + 1))
        else:
            file.seek(0)
            kind = _csv(file.read(limit + 1), name)
    finally:
        file.seek(0)
    with contextlib.suppress(AttributeError):  # a file object without attributes: checked again next time
        file._artisanat_document_type = kind
    return kind


def _zip_office(file):
    """OpenDocument (its first member ``mimetype`` names the kind) or OOXML
    (``[Content_Types].xml`` and a word/, xl/ or ppt/ folder), without macros."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = {info.filename: info for info in archive.infolist()}
            mimetype = members.get("mimetype")
            if mimetype is not None and mimetype.file_size <= 100:
                kind = _ODF.get(archive.read(mimetype).decode("ascii", "replace").strip())
                if kind is None:
                    raise _refused()
                return kind
            types = members.get("[Content_Types].xml")
            if types is None or types.file_size > 1024 * 1024:
                raise _refused()
            lowered = [name.lower() for name in members]
            if any(name.endswith("vbaproject.bin") for name in lowered) or b"macroenabled" in (
                archive.read(types).lower()
            ):
                raise ValidationError(
                    _("Les documents contenant des macros ne sont pas acceptés."), code="document_macros"
                )
            for folder, kind in _OOXML:
                if any(name.startswith(folder) for name in lowered):
                    return kind
    except ValidationError:
        raise
    except Exception:  # a damaged, encrypted or otherwise unreadable archive
        pass
    raise _refused()


def _ole2_office(data):
    """Word, Excel or PowerPoint in the older binary format: the stream names of the
    compound file's directory say which (MS-CFB). Other compound files (installers,
    Outlook messages…) and files with macros are refused."""
    names = _ole2_names(data)
    if names is None:
        raise _refused()
    if {n.lower() for n in names} & _OLE2_MACROS:
        raise ValidationError(_("Les documents contenant des macros ne sont pas acceptés."), code="document_macros")
    for stream, kind in _OLE2_STREAMS:
        if stream in names:
            return kind
    raise _refused()


_END = 0xFFFFFFFA  # sector numbers from here on are markers (end of chain, free…)


def _ole2_names(data):
    """The names in a compound file's directory, or None when it cannot be read."""
    try:
        if len(data) < 512:
            return None
        shift = struct.unpack_from("<H", data, 30)[0]
        if shift not in (9, 12):
            return None
        size = 1 << shift
        fat_count, first_directory = struct.unpack_from("<I", data, 44)[0], struct.unpack_from("<I", data, 48)[0]
        first_difat, difat_count = struct.unpack_from("<I", data, 68)[0], struct.unpack_from("<I", data, 72)[0]
        sectors = len(data) // size  # a bound for every chain below
        if fat_count > sectors or difat_count > sectors:
            return None

        def sector(number):
            start = (number + 1) * size
            return data[start : start + size] if number < _END and start + size <= len(data) else None

        fat_sectors = [n for n in struct.unpack_from("<109I", data, 76) if n < _END]
        number, seen = first_difat, set()
        while number < _END and len(fat_sectors) < fat_count and number not in seen:
            seen.add(number)
            block = sector(number)
            if block is None:
                return None
            entries = struct.unpack(f"<{size // 4}I", block)
            fat_sectors += [n for n in entries[:-1] if n < _END]
            number = entries[-1]
        fat = []
        for number in fat_sectors[:fat_count]:
            block = sector(number)
            if block is None:
                return None
            fat += struct.unpack(f"<{size // 4}I", block)
        names, number, seen = set(), first_directory, set()
        while number < _END and number not in seen and len(seen) <= sectors:
            seen.add(number)
            block = sector(number)
            if block is None:
                return None
            for offset in range(0, size, 128):
                length, kind = struct.unpack_from("<HB", block, offset + 64)
                if kind in (1, 2) and 2 <= length <= 64 and length % 2 == 0:
                    names.add(block[offset : offset + length - 2].decode("utf-16-le", "replace"))
            number = fat[number] if number < len(fat) else _END
        return names
    except (struct.error, IndexError, ValueError):
        return None


def _csv(data, name):
    """Text a spreadsheet can open: UTF-8 (with or without its mark) or Windows-1252,
    without NUL, control characters or markup; and the client called it ``.csv``."""
    if not name.lower().endswith(".csv") or b"\x00" in data or _MARKUP.search(data):
        raise _refused()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise _refused() from None
    if _CONTROL.search(text):
        raise _refused()
    return CSV


def validate_document(value):
    """The field validator (run by ``full_clean()``): a file just received is sniffed;
    one already stored was checked when it came in."""
    if not value or getattr(value, "_committed", False):
        return
    sniff(getattr(value, "file", value), getattr(value, "name", "") or "")


def display_name(client_name, kind):
    """The client's file name made safe to show and to offer for download: no folder,
    no control or invisible formatting characters (a right-to-left override could
    disguise the extension), none of ``<>:"/\\|?*;``, at most 150 characters, and the
    extension of the type found (the client's if it is one of that type's)."""
    base = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if unicodedata.category(c) not in {"Cc", "Cf", "Zl", "Zp"})
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem.strip(" ._-"):  # no extension, or only one (".htaccess")
        stem, extension = base, ""
    stem = re.sub(r'[<>:"/\\|?*;]+', "_", stem).strip(" ._-")[:150].strip(" ._-") or _("document")
    extension = extension.lower() if extension.lower() in kind.accepted_extensions else kind.extension
    return f"{stem}.{extension}"


def type_of_stored(name):
    """The type of a stored file, from the extension the storage name was given."""
    return BY_EXTENSION.get((name or "").rsplit(".", 1)[-1].lower())


# ---------------------------------------------------------------- storage and field


class PrivateStorage(FileSystemStorage):
    """Files that no URL serves: rooted at ``settings.PRIVATE_MEDIA_ROOT`` (read at each
    use, so a test can point it elsewhere), without a base URL."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Private documents have no URL of their own: use the download view.")


_private_storage = PrivateStorage()


def private_storage():
    """The storage of every DocumentField (a callable, so migrations name it, not a path)."""
    return _private_storage


class DocumentFieldFile(FieldFile):
    @property
    def url(self):
        """The download view of the row (which checks who may read it), never the file's place."""
        self._require_file()
        if not self.field.download_view or self.instance.pk is None:
            raise AttributeError("A document is downloaded through its row's view, once the row is saved.")
        return reverse(self.field.download_view, args=[self.instance.pk])

    @property
    def display_name(self):
        if self.field.name_field:
            return getattr(self.instance, self.field.name_field) or self.name.rsplit("/", 1)[-1]
        return self.name.rsplit("/", 1)[-1]


class _Shown:
    """A stored document as a file input shows it: its original name, linked to its view."""

    def __init__(self, value):
        self.url = value.url
        self.name = value.display_name

    def __str__(self):
        return self.name


class DocumentInput(forms.ClearableFileInput):
    """The file input of a document: the accepted types as a hint to the file picker;
    the current document shown under the client's name, linked to its download view."""

    def __init__(self, attrs=None):
        super().__init__({"accept": ACCEPT, **(attrs or {})})

    def format_value(self, value):
        if self.is_initial(value):
            return _Shown(value)
        return None


class DocumentField(models.FileField):
    """A FileField for uploaded documents: private storage, random names, content checked.

    ``upload_to`` is the folder (``"evidence"``): the stored name is
    ``<folder>/<yyyy>/<mm>/<uuid>.<ext>`` whatever the client called the file.
    ``name_field`` names the CharField that keeps the client's name (cleaned);
    ``download_view`` the URL name of the view serving the row's document (``url``)."""

    attr_class = DocumentFieldFile
    default_validators = [validate_document]
    non_db_attrs = (*models.FileField.non_db_attrs, "upload_to", "storage", "name_field", "download_view")

    def __init__(self, verbose_name=None, name=None, *, name_field=None, download_view=None, **kwargs):
        kwargs["storage"] = private_storage
        self.name_field, self.download_view = name_field, download_view
        super().__init__(verbose_name, name, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("storage", None)  # always the private storage
        if self.name_field:
            kwargs["name_field"] = self.name_field
        if self.download_view:
            kwargs["download_view"] = self.download_view
        return name, path, args, kwargs

    def generate_filename(self, instance, filename):
        extension = filename.rsplit(".", 1)[-1]
        folder = str(self.upload_to).strip("/")
        name = f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"
        return self.storage.generate_filename(name)

    def pre_save(self, instance, add):
        file = models.Field.pre_save(self, instance, add)
        if file and not file._committed:
            kind = sniff(file.file, file.name or "")  # whatever path saves the row
            if self.name_field:
                setattr(instance, self.name_field, display_name(file.name, kind))
            file.save(f"document.{kind.extension}", file.file, save=False)
        elif not file and self.name_field:
            setattr(instance, self.name_field, "")
        return file

    def formfield(self, **kwargs):
        kwargs.setdefault("widget", DocumentInput)
        kwargs.setdefault("help_text", help_text())
        return super().formfield(**kwargs)


# ---------------------------------------------------------------- reading it back


def document_response(fieldfile, name=""):
    """The answer of a download view, once it has found the row through its
    ``visible_to(user)``: the document as an attachment under its original name, with
    ``nosniff`` and a sandboxing Content-Security-Policy, sent by the application or, when
    configured, by the proxy in front of it (``X-Accel-Redirect`` / ``X-Sendfile``).
    404 when the row has no document or its file is missing."""
    if not fieldfile or not fieldfile.storage.exists(fieldfile.name):
        raise Http404(_("Aucun document."))
    stored = fieldfile.name
    kind = type_of_stored(stored)
    content_type = kind.content_type if kind else "application/octet-stream"
    download = name or stored.rsplit("/", 1)[-1]
    accel = settings.DOCUMENT_X_ACCEL_REDIRECT
    if accel or settings.DOCUMENT_X_SENDFILE:
        response = HttpResponse(b"", content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, download)
        if accel:
            response["X-Accel-Redirect"] = accel + quote(stored)
        else:
            response["X-Sendfile"] = fieldfile.storage.path(stored)
    else:
        response = FileResponse(
            fieldfile.storage.open(stored, "rb"), as_attachment=True, filename=download, content_type=content_type
        )
    for header, value in DOCUMENT_HEADERS.items():
        response[header] = value
    patch_cache_control(response, private=True, no_store=True)
    return response


# ---------------------------------------------------------------- files of older versions


def move_to_private(model, field_name, out=None):
    """Data migrations (strategy 0006, contracts 0002): the files an older version kept
    under ``MEDIA_ROOT`` (served as they were named) move to the private storage.

    A file of an accepted type gets a random name there and its row the new name, with
    the old file name (cleaned) as display name. A file refused by the checks of today
    (HTML, SVG, script, an unknown type) is not served again: it moves to
    ``<private>/quarantine/<its old path>`` and its row loses it. A row whose file is
    missing loses it too. The size limit of uploads does not apply: these were accepted
    then. Old files are deleted once the migration has committed. Every row that lost its
    file is written to ``out``. The history keeps the old names (it is append-only)."""
    field = model._meta.get_field(field_name)
    legacy = FileSystemStorage(location=settings.MEDIA_ROOT)
    private = private_storage()
    notes = []
    rows = model.objects.exclude(**{field_name: ""}).values_list("pk", field_name)
    for pk, old in list(rows):
        if private.exists(old):  # already moved
            continue
        if not legacy.exists(old):
            model.objects.filter(pk=pk).update(**{field_name: "", field.name_field: ""})
            notes.append(
                f"{model.__name__} {pk}: {field_name} {old!r} is missing from MEDIA_ROOT; removed from the row."
            )
            continue
        with legacy.open(old, "rb") as handle:
            try:
                kind = sniff(handle, old, limit=legacy.size(old))
            except ValidationError as error:
                kept = private.save(f"quarantine/{old}", handle)
                model.objects.filter(pk=pk).update(**{field_name: "", field.name_field: ""})
                notes.append(
                    f"{model.__name__} {pk}: {field_name} {old!r} refused ({' '.join(error.messages)}); "
                    f"kept unserved in {kept!r} of ARTISANAT_PRIVATE_MEDIA_ROOT, removed from the row."
                )
            else:
                new = private.save(field.generate_filename(None, f"document.{kind.extension}"), handle)
                model.objects.filter(pk=pk).update(**{field_name: new, field.name_field: display_name(old, kind)})
        transaction.on_commit(lambda old=old: legacy.delete(old))
    if notes and out is not None:
        out.write("".join(f"\n  {note}" for note in notes) + "\n")
    return notes


def move_to_media(model, field_name, out=None):
    """The reverse of ``move_to_private``: the private files go back under
    ``MEDIA_ROOT`` as ``<folder>/<yyyy>/<mm>/<display name>`` (quarantined files stay)."""
    field = model._meta.get_field(field_name)
    legacy = FileSystemStorage(location=settings.MEDIA_ROOT)
    private = private_storage()
    rows = model.objects.exclude(**{field_name: ""}).values_list("pk", field_name, field.name_field)
    for pk, name, shown in list(rows):
        if not private.exists(name):
            continue
        folder = name.rsplit("/", 1)[0]
        with private.open(name, "rb") as handle:
            back = legacy.save(f"{folder}/{shown or name.rsplit('/', 1)[-1]}", handle)
        model.objects.filter(pk=pk).update(**{field_name: back})
        transaction.on_commit(lambda name=name: private.delete(name))
