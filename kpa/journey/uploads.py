"""What an uploaded piece may be: a PDF or a photo, 10 MB at most, recognised by its first bytes
(never by its name or the browser's word, which anyone can fake)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# First bytes → MIME type. WebP needs its RIFF header and the WEBP tag at offset 8.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def sniff_type(content: bytes) -> str | None:
    for signature, mime in _SIGNATURES:
        if content.startswith(signature):
            return mime
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_upload(content: bytes, *, field: str = "file") -> CheckedUpload:
    """The upload as accepted, or a French ValidationError saying what to send instead."""
    if not content:
        raise ValidationError({field: _("Le fichier est vide : choisissez un autre fichier.")})
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError({field: _(
            "Ce fichier fait %(size)s Mo : 10 Mo au plus. Prenez une photo moins grande ou "
            "scannez en qualité « document »."
        ) % {"size": round(len(content) / 1024 / 1024)}})
    mime = sniff_type(content)
    if mime is None:
        raise ValidationError({field: _(
            "Ce fichier n'est ni un PDF ni une photo (JPEG, PNG, WebP). Envoyez un PDF ou une "
            "photo de la pièce."
        )})
    return CheckedUpload(content=content, content_type=mime,
                         sha256=hashlib.sha256(content).hexdigest())
