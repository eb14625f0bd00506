"""What may be attached to a proposal: a PDF, a photo (JPEG, PNG, WebP) or a text document
(ODT, DOCX), 10 MB at most, recognised by its content (never by its name or the browser's word,
which anyone can fake). Photos and PDFs are checked as receipts are (`kpa.journey.uploads`);
office documents are ZIP archives, told apart by what the archive declares itself to be."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from kpa.journey.uploads import MAX_UPLOAD_BYTES, sniff_type

ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

EXTENSIONS: dict[str, str] = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    ODT: ".odt",
    DOCX: ".docx",
}

_ZIP_MAGIC = b"PK\x03\x04"
# An ODT starts with an uncompressed "mimetype" member naming its type (OpenDocument §3.3).
_ODT_HEAD = b"mimetype" + ODT.encode()
# A DOCX declares its main part in [Content_Types].xml; a macro-enabled .docm declares another.
_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_CONTENT_TYPES_MAX = 1024 * 1024  # never inflate a big member to look at a type list


@dataclass(frozen=True)
class CheckedAttachment:
    content: bytes
    content_type: str
    sha256: str
    name: str  # as shown to people
    stored_name: str  # safe on disk, with the extension of what the file really is

    @property
    def size(self) -> int:
        return len(self.content)


def _office_type(content: bytes) -> str | None:
    if not content.startswith(_ZIP_MAGIC):
        return None
    if content[30:30 + len(_ODT_HEAD)] == _ODT_HEAD:
        return ODT
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX:
                return None
            declared = archive.read(info)
            names = set(archive.namelist())
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
        return None
    if _DOCX_MAIN in declared and "word/document.xml" in names:
        return DOCX
    return None


def sniff_attachment_type(content: bytes) -> str | None:
    """The MIME type of an accepted attachment, or None."""
    return sniff_type(content) or _office_type(content)


def _names(filename: str, content_type: str) -> tuple[str, str]:
    shown = os.path.basename(filename.replace("\\", "/")).strip() or _("piece-jointe")
    stem = os.path.splitext(shown)[0]
    try:
        safe = get_valid_filename(stem)[:80]
    except SuspiciousFileOperation:  # a name such as ".." leaves nothing usable
        safe = "piece-jointe"
    return shown[:200], f"{safe or 'piece-jointe'}{EXTENSIONS[content_type]}"


def check_attachment(content: bytes, *, filename: str, field: str = "upload") -> CheckedAttachment:
    """The attachment as accepted, or a French ValidationError saying what to send instead."""
    if not content:
        raise ValidationError({field: _("Le fichier est vide : choisis un autre fichier.")})
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError({field: _(
            "Ce fichier fait %(size)s Mo : 10 Mo au plus. Prends une photo moins grande ou "
            "enregistre le document en PDF."
        ) % {"size": round(len(content) / 1024 / 1024)}})
    content_type = sniff_attachment_type(content)
    if content_type is None:
        raise ValidationError({field: _(
            "Ce fichier n'est pas accepté. Envoie un PDF, une photo (JPEG, PNG, WebP) ou un "
            "texte (ODT, DOCX)."
        )})
    shown, stored = _names(filename, content_type)
    return CheckedAttachment(content=content, content_type=content_type,
                             sha256=hashlib.sha256(content).hexdigest(), name=shown,
                             stored_name=stored)


def read_upload(upload: IO[bytes], *, size: int | None = None, field: str = "upload") -> bytes:
    """The bytes of an upload, refusing before reading one announced as too big."""
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError({field: _(
            "Ce fichier fait %(size)s Mo : 10 Mo au plus. Prends une photo moins grande ou "
            "enregistre le document en PDF."
        ) % {"size": round(size / 1024 / 1024)}})
    upload.seek(0)
    return upload.read(MAX_UPLOAD_BYTES + 1)


def content_type_of(content: bytes) -> str:
    """The type to serve a stored attachment with (it was checked on upload); a file changed
    behind our back is served as bytes to download, never rendered."""
    return sniff_attachment_type(content) or "application/octet-stream"
