"""Stored files leave only through views that checked who asks; `/media/` is never served.

Every file kept under MEDIA_ROOT (case attachments, mediation evidence, ledger exports, scheduled
reports) is stored under a random name (`random_name`) and handed out by a view of the app it
belongs to, after the same scope check as the record it belongs to. The view answers with
`serve()`:

- without FILE_ACCEL_REDIRECT_PREFIX (development, tests): the file itself, streamed by Django's
  FileResponse;
- with it (production behind nginx): an empty answer whose `X-Accel-Redirect` header names the
  file under that internal location; nginx sends the file. The location must be `internal;` so
  that nobody can ask nginx for it directly, e.g.

      location /protected-media/ { internal; alias /srv/fengqiao/var/media/; }

  with FILE_ACCEL_REDIRECT_PREFIX=/protected-media/.
"""

import secrets
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

# Files are never rendered as a page of this site: no scripts, no plugins, no same-origin access.
SANDBOX = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def random_name(folder: str, ext: str) -> str:
    """A storage name nobody can guess: `folder/<32 random hex digits><ext>`."""
    return f"{folder}/{secrets.token_hex(16)}{ext}"


def serve(
    stored: FieldFile, *, filename: str, content_type: str, inline: bool = False
) -> HttpResponse:
    """The answer that hands `stored` to a user the caller has already checked.

    `filename` is what the browser saves it as; `inline` shows it in the browser (images)."""
    if not stored or not stored.name:
        raise Http404
    disposition = content_disposition_header(not inline, filename)
    prefix = getattr(settings, "FILE_ACCEL_REDIRECT_PREFIX", "")
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(stored.name)
    else:
        try:
            handle = stored.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, content_type=content_type)
    if disposition:
        response["Content-Disposition"] = disposition
    response["Content-Security-Policy"] = SANDBOX
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
