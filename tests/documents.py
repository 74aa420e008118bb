"""Sample documents for the upload tests: one of every accepted type, built here from
their formats' own structure, and the hostile files of issue 12 (an HTML page renamed
.pdf, an SVG with a script, JavaScript, an .htaccess, x.php00.pdf holding HTML…)."""

import io
import struct
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _zip(members, *, stored_first=None):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first[0]), stored_first[1], compress_type=zipfile.ZIP_STORED)
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)


def docx():
    return _zip({"[Content_Types].xml": CONTENT_TYPES_XML, "word/document.xml": "<w:document/>"})


def pptx():
    return _zip({"[Content_Types].xml": CONTENT_TYPES_XML, "ppt/presentation.xml": "<p:presentation/>"})


def xlsx():
    book = Workbook()
    book.active.append(["indicateur", "valeur"])
    book.active.append(["IND-FORM", 120])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def odf(kind):
    return _zip(
        {"content.xml": "<office:document-content/>", "META-INF/manifest.xml": "<manifest/>"},
        stored_first=("mimetype", f"application/vnd.oasis.opendocument.{kind}"),
    )


def ole2(*streams):
    """A minimal compound file (MS-CFB, version 3): a header, one FAT sector, one
    directory sector with the root entry and ``streams`` (at most three)."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # the directory starts in sector 1
    struct.pack_into("<III", header, 56, 4096, 0xFFFFFFFE, 0)
    struct.pack_into("<II", header, 68, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 76, 0, *[0xFFFFFFFF] * 108)
    fat = struct.pack("<128I", 0xFFFFFFFD, 0xFFFFFFFE, *[0xFFFFFFFF] * 126)

    def entry(name, kind):
        raw = name.encode("utf-16-le") + b"\0\0"
        block = bytearray(128)
        block[: len(raw)] = raw
        struct.pack_into("<HB", block, 64, len(raw), kind)
        return bytes(block)

    directory = b"".join([entry("Root Entry", 5), *(entry(name, 2) for name in streams)]).ljust(512, b"\0")
    return bytes(header) + fat + directory


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
CSV = "indicateur;période;valeur\nIND-FORM;2024;999 999\nIND-FORM;2025;1 200\n".encode()

# (client's name, content, type found, extension stored)
ACCEPTED = [
    ("rapport.pdf", PDF, "pdf", "pdf"),
    ("photo.png", PNG, "png", "png"),
    ("scan.jpeg", JPEG, "jpeg", "jpg"),
    ("capture.webp", WEBP, "webp", "webp"),
    ("note.docx", docx(), "docx", "docx"),
    ("tableau.xlsx", xlsx(), "xlsx", "xlsx"),
    ("diaporama.pptx", pptx(), "pptx", "pptx"),
    ("ancien.doc", ole2("WordDocument", "\x05SummaryInformation"), "doc", "doc"),
    ("ancien.xls", ole2("Workbook"), "xls", "xls"),
    ("ancien.ppt", ole2("PowerPoint Document", "Current User"), "ppt", "ppt"),
    ("texte.odt", odf("text"), "odt", "odt"),
    ("classeur.ods", odf("spreadsheet"), "ods", "ods"),
    ("presentation.odp", odf("presentation"), "odp", "odp"),
    ("releve.csv", CSV, "csv", "csv"),
    ("releve-bom.csv", "\ufeff".encode() + CSV, "csv", "csv"),
    ("releve-windows.csv", "région;valeur\nFès-Meknès;12\n".encode("cp1252"), "csv", "csv"),
    # The content decides: a PDF under a misleading name is a PDF (stored and offered as .pdf).
    ("rapport.txt", PDF, "pdf", "pdf"),
]

HTML = b"<!DOCTYPE html><html><body><script src='/media/evidence/2026/12/x.js'></script>999 999</body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><text>1</text></svg>'
)
JS = b"fetch('/api/v1/measurements/validate/', {method: 'POST', body: JSON.stringify({ids: [1]})});\n"
HTACCESS = b"AddHandler application/x-httpd-php .pdf\nOptions +ExecCGI\n"
PHP_HTML = b"<?php system($_GET['c']); ?>\n<html><body><script>alert(1)</script></body></html>\n"

# (client's name, content): every one refused for its content.
HOSTILE = [
    ("x.html", HTML),
    ("x.pdf", HTML),  # an HTML page renamed .pdf
    ("x.svg", SVG),
    ("x.csv", SVG),  # SVG under a CSV name: markup
    ("x.js", JS),  # text, but not a CSV
    (".htaccess", HTACCESS),
    ("x.php00.pdf", PHP_HTML),
    ("x.csv", b"valeur\n<script>alert(1)</script>\n"),
    ("x.csv", b"valeur\n<img src=x onerror=alert(1)>\n"),
    ("x.csv", "valeur\n12\n".encode("utf-16")),  # NUL bytes
    ("x.csv", b"valeur\x1b[31m\n"),  # control characters
    ("x.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"),
    ("x.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"),
    ("x.zip", _zip({"notes.txt": "bonjour"})),  # a zip that is no office document
    ("x.docx", b"PK\x03\x04" + b"\x00" * 60),  # a damaged archive
    ("x.odg", odf("graphics")),  # OpenDocument, but not text, spreadsheet or presentation
    ("x.msi", ole2("\x05SummaryInformation", "\x05DocumentSummaryInformation")),  # a compound file, not office
    ("x.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 600),  # an unreadable compound file
]
MACROS = [
    (
        "macro.docm",
        _zip(
            {
                "[Content_Types].xml": CONTENT_TYPES_XML.replace(
                    "</Types>",
                    '<Override PartName="/word/document.xml" ContentType="application/'
                    'vnd.ms-word.document.macroEnabled.main+xml"/></Types>',
                ),
                "word/document.xml": "<w:document/>",
                "word/vbaProject.bin": "\x00" * 16,
            }
        ),
    ),
    ("macro.doc", ole2("WordDocument", "Macros")),
    ("macro.xls", ole2("Workbook", "_VBA_PROJECT_CUR")),
]
