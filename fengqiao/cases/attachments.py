"""Attachments: the type comes from the first bytes of the content, never from the name; the file
is stored under a random name and leaves only through a view that checked who asks (the staff case
page, the API, the mediation page, the resident's tracking page: see `serve`)."""

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.utils.translation import gettext as _

from fengqiao.cases.errors import InvalidInput
from fengqiao.core import files

# (content type, extension, test on the first 16 bytes)
SIGNATURES: list[tuple[str, str, Callable[[bytes], bool]]] = [
    ("image/jpeg", ".jpg", lambda h: h.startswith(b"\xff\xd8\xff")),
    ("image/png", ".png", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/gif", ".gif", lambda h: h[:6] in (b"GIF87a", b"GIF89a")),
    ("image/webp", ".webp", lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP"),
    ("application/pdf", ".pdf", lambda h: h.startswith(b"%PDF-")),
]


def detect(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG, PNG, GIF, WebP or PDF; None for anything else."""
    for content_type, ext, test in SIGNATURES:
        if test(head):
            return content_type, ext
    return None


def check_upload(upload: UploadedFile[Any], field: str = "attachments") -> tuple[str, str]:
    """Refuse oversized or non-image/PDF content; return (content type, storage name)."""
    limit = settings.ATTACHMENT_MAX_BYTES
    size = upload.size if upload.size is not None else len(upload.read())
    if size > limit:
        raise InvalidInput(
            field,
            "too_large",
            _("%(name)s is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"name": upload.name, "size": size / 1048576, "limit": limit / 1048576},
        )
    if size == 0:
        raise InvalidInput(field, "empty", _("%(name)s is empty.") % {"name": upload.name})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = detect(head)
    if found is None:
        raise InvalidInput(
            field,
            "file_type",
            _("%(name)s is not a JPEG, PNG, GIF or WebP image or a PDF document.")
            % {"name": upload.name},
        )
    content_type, ext = found
    # Stored under a random name with the extension of the detected type.
    return content_type, f"{uuid.uuid4().hex}{ext}"


def serve(attachment: Any) -> HttpResponse:
    """The file of an attachment the caller has already found in the asker's scope (images shown
    in the browser, PDFs downloaded)."""
    ext = {ct: e for ct, e, _t in SIGNATURES}.get(attachment.content_type, "")
    return files.serve(
        attachment.file,
        filename=attachment.original_name or f"attachment-{attachment.pk}{ext}",
        content_type=attachment.content_type,
        inline=attachment.content_type.startswith("image/"),
    )


def public_attachments(case: Any) -> list[dict[str, Any]]:
    """The files staff chose to show the reporter (`public`), as the tracking page lists them."""
    rows = case.attachments.filter(public=True).order_by("uploaded_at", "id")
    return [
        {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size}
        for a in rows
    ]
