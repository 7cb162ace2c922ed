"""Spreadsheet imports as background jobs (a 50,000-row file takes minutes: too long for a
request).

`start_import` (the upload page's action) refuses a file that cannot be imported at all before
anything is stored, then stores the file under a random name and creates an `ImportJob`; the
task is enqueued with the transaction (core.background). The worker's `run_job` runs the
engine on the file with the job's owner as the actor, so scope, validation, all-or-nothing and
the audit entry are those of the engine; the job gets the progress (a plain UPDATE every
engine.PROGRESS_EVERY rows) and then the outcome: the row report, the dry run's masked preview
or the count imported. A failure of the job itself (not of the file's rows) marks it failed
with a reason in the user's language and keeps the upload for its owner.
"""

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import CaseError, NotPermitted
from fengqiao.core import files
from fengqiao.core.background import enqueue_with_transaction
from fengqiao.registry.importing.engine import (
    ImportReport,
    Layout,
    RowError,
    check_file,
    run_import,
)
from fengqiao.registry.models import ImportJob

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class BadFile(Exception):
    """The file cannot be imported at all (type, encoding, header): nothing stored or queued."""

    def __init__(self, errors: list[RowError]):
        super().__init__(errors[0].reason)
        self.errors = errors


def extension(name: str) -> str:
    return ".xlsx" if name.lower().endswith(".xlsx") else ".csv"


def start_import(
    actor: Any, layout: Layout, name: str, content: bytes, *, dry_run: bool = False
) -> ImportJob:
    """Queue the import of the file `name` into the registry of `layout` (raises NotPermitted,
    or BadFile with the reasons)."""
    from fengqiao.registry.tasks import import_task  # the tasks module imports this one

    if not access_for(actor).has_perm(Perm.REGISTRY_EDIT):
        raise NotPermitted("", "permission", _("You may not change the registries."))
    errors = check_file(layout, name, content)
    if errors:
        raise BadFile(errors)
    job = ImportJob(
        owner=actor,
        kind=layout.slug,
        dry_run=dry_run,
        name=name[-255:],
        language=translation.get_language() or "",
    )
    # Unguessable; handed out to the owner alone (import_job_file) and deleted once run.
    stored = files.random_name("imports", extension(name))
    job.file.name = job.file.storage.save(stored, ContentFile(content))
    try:
        with transaction.atomic():
            job.save()
            enqueue_with_transaction(import_task, job.pk)
    except BaseException:
        job.file.delete(save=False)
        raise
    return job


def job_of(actor: Any, pk: int) -> ImportJob | None:
    """The job `pk` if `actor` started it; nobody else sees it, whatever their role."""
    if not getattr(actor, "is_authenticated", False):
        return None
    return ImportJob.objects.filter(pk=pk, owner=actor).first()


def report_of(job: ImportJob) -> ImportReport:
    """The outcome of a job that is done, as the engine reported it."""
    return ImportReport(
        rows=job.rows,
        created=job.imported,
        dry_run=job.dry_run,
        errors=[RowError(**e) for e in job.report],
        header=list(job.header),
        preview=[(number, cells) for number, cells in job.preview],
    )


def run_job(job_id: int) -> None:
    """Run the job (the task). Delivery is at least once: a finished job is left alone; one
    whose worker died runs again from the start (its one transaction had saved nothing)."""
    from fengqiao.registry.importing import LAYOUTS

    job = ImportJob.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or job.finished:
        return
    row = ImportJob.objects.filter(pk=job.pk)
    row.update(status=ImportJob.Status.RUNNING, rows_done=0, saving=False)
    language = job.language or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            with job.file.open("rb") as f:
                content = f.read()
            report = run_import(
                LAYOUTS[job.kind],
                job.owner,
                job.name,
                content,
                dry_run=job.dry_run,
                progress=lambda done, total: row.update(rows_done=done, rows_total=total),
                saving=lambda: row.update(saving=True),
            )
    except Exception as e:  # the job records why; the upload stays for its owner
        with translation.override(language):
            if isinstance(e, CaseError):
                reason = e.message
            else:
                reason = _(
                    "The import stopped because of an error and nothing was saved. Upload "
                    "the file again; if it fails again, tell the administrator."
                )
        row.update(status=ImportJob.Status.FAILED, error=reason, finished_at=timezone.now())
        if isinstance(e, CaseError):
            return  # the owner may no longer import: an answer, not a fault
        log.exception("import job %s failed", job.pk)
        raise
    job.file.delete(save=False)  # personal data in clear: not kept once read
    row.update(
        status=ImportJob.Status.DONE,
        saving=False,
        rows=report.rows,
        imported=report.created,
        report=[dataclasses.asdict(e) for e in report.errors],
        header=report.header,
        preview=[[number, cells] for number, cells in report.preview],
        file="",
        finished_at=timezone.now(),
    )


def purge_uploads(now: datetime | None = None) -> int:
    """Delete the uploads failed jobs kept past IMPORT_UPLOAD_HOURS (a periodic task); returns
    how many. A file already gone is no error."""
    cutoff = (now or timezone.now()) - timedelta(hours=float(settings.IMPORT_UPLOAD_HOURS))
    due = ImportJob.objects.filter(status=ImportJob.Status.FAILED, finished_at__lte=cutoff)
    deleted = 0
    for job in due.exclude(file=""):
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        deleted += 1
    return deleted
