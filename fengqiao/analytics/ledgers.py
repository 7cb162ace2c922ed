"""The uniform ledgers ("五统一": one layout for every center), exported to Excel.

Rows stream from `.iterator(chunk_size=2000)` into xlsxwriter in constant_memory mode, so a
ledger of any size never sits in memory. The screening ledger lists exactly the cases the
"disputes screened" indicator counts (same definition, via indicators.drill_case_ids), and its
header carries the figures with their formulas.
"""

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import xlsxwriter
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.analytics import indicators as ind
from fengqiao.analytics.filters import cases_in_scope
from fengqiao.analytics.indicators import Filters
from fengqiao.analytics.models import ExportJob
from fengqiao.cases.models import Case, FollowUpVisit, SupervisionCard
from fengqiao.core import files

CHUNK = 2000

LEDGERS = {
    "screening": gettext_lazy("dispute screening ledger"),
    "visits": gettext_lazy("follow-up visit ledger"),
    "supervision": gettext_lazy("supervision ledger"),
}
HEADER_CODES = {
    "screening": ("screened", "resolved", "resolution_rate"),
    "visits": ("satisfaction_rate",),
    "supervision": ("yellow_cards", "red_cards", "open_overdue"),
}


def _t(dt: datetime | None) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def columns(ledger: str) -> list[str]:
    if ledger == "screening":
        return [_("No."), _("Tracking number"), _("Registered"), _("Category"), _("Channel"),
                _("Street / town"), _("Community / village"), _("Grid"), _("Title"),
                _("People involved"), _("Risk level"), _("Handling unit"), _("State"),
                _("Resolved"), _("Outcome")]  # fmt: skip
    if ledger == "visits":
        return [_("No."), _("Tracking number"), _("Visited"), pgettext("follow-up visit", "Method"), _("Satisfaction"),
                _("Case reopened"), _("Category"), _("Community / village"), _("Title"),
                _("Note")]  # fmt: skip
    return [_("No."), _("Tracking number"), pgettext("supervision card level", "Card"), _("Raised"), _("Reason"), _("To unit"),
            _("Card resolved"), _("Category"), _("Community / village"), _("Title"),
            _("State")]  # fmt: skip


def queryset(ledger: str, user: Any, filters: Filters) -> QuerySet:
    if ledger == "screening":
        ids = ind.drill_case_ids(ind.INDICATORS["screened"], filters)
        return (
            access_for(user)
            .visible(Case.objects.all(), Perm.CASE_VIEW)
            .filter(pk__in=ids)
            .select_related("category", "channel", "street", "community", "grid", "handling_unit")
            .order_by("created_at", "id")
        )
    cases = cases_in_scope(user, filters)
    start, end = _bounds(filters)
    if ledger == "visits":
        return (
            FollowUpVisit.objects.filter(case__in=cases, visited_at__gte=start, visited_at__lt=end)
            .select_related("case", "case__category", "case__community")
            .order_by("visited_at", "id")
        )
    return (
        SupervisionCard.objects.filter(case__in=cases, raised_at__gte=start, raised_at__lt=end)
        .select_related("case", "case__category", "case__community", "to_unit")
        .order_by("raised_at", "id")
    )


def _bounds(filters: Filters) -> tuple[datetime, datetime]:
    from fengqiao.analytics.recount import _bounds as bounds

    return bounds(filters)


def rows(ledger: str, qs: QuerySet) -> Iterator[list[Any]]:
    for i, obj in enumerate(qs.iterator(chunk_size=CHUNK), start=1):
        if ledger == "screening":
            c: Case = obj
            yield [i, c.tracking_number, _t(c.created_at), c.category.name, c.channel.name,
                   c.street.name if c.street else "", c.community.name if c.community else "",
                   c.grid.name if c.grid else "", c.title, c.people_involved,
                   c.get_risk_level_display(), c.handling_unit.name if c.handling_unit else "",
                   c.get_state_display(), _t(c.resolved_at or c.closed_at), c.outcome]  # fmt: skip
        elif ledger == "visits":
            v: FollowUpVisit = obj
            yield [i, v.case.tracking_number, _t(v.visited_at), v.get_method_display(),
                   v.get_satisfaction_display(), _("yes") if v.reopened else _("no"),
                   v.case.category.name, v.case.community.name if v.case.community else "",
                   v.case.title, v.note]  # fmt: skip
        else:
            s: SupervisionCard = obj
            yield [i, s.case.tracking_number, s.get_level_display(), _t(s.raised_at), s.reason,
                   s.to_unit.name if s.to_unit else "", _t(s.resolved_at), s.case.category.name,
                   s.case.community.name if s.case.community else "", s.case.title,
                   s.case.get_state_display()]  # fmt: skip


def header_lines(ledger: str, filters: Filters) -> list[str]:
    place = filters.grid.name if filters.grid else (filters.region.name if filters.region else "")
    lines = [f"{LEDGERS[ledger]} · {place} · {filters.period.label}"]
    figures = ind.evaluate(HEADER_CODES[ledger], filters, compare=False)
    for fig in figures.values():
        i = fig.indicator
        text = f"{i.name}: {fig.display}"
        if i.denominator:
            text += f" ({fig.current.numerator} / {fig.current.denominator})"
        lines.append(f"{text} · {_('Formula')}: {i.formula} · {_('Rounding')}: {i.rounding}")
    return lines


def write_xlsx(path: str, ledger: str, user: Any, filters: Filters, progress=None) -> int:
    """Write the ledger to `path`; `progress(done)` is called every CHUNK rows. Returns rows."""
    qs = queryset(ledger, user, filters)
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet(str(LEDGERS[ledger])[:31])
    bold = book.add_format({"bold": True})
    r = 0
    for line in header_lines(ledger, filters):
        sheet.write_string(r, 0, line, bold if r == 0 else None)
        r += 1
    for col, name in enumerate(columns(ledger)):
        sheet.write_string(r, col, name, bold)
    r += 1
    done = 0
    for row in rows(ledger, qs):
        for col, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value or ""))
        r += 1
        done += 1
        if progress and done % CHUNK == 0:
            progress(done)
    book.close()
    return done


def start_export(user: Any, ledger: str, params: dict[str, str]) -> ExportJob:
    """Queue a ledger export (validated first: bad filters raise BadFilter, nothing queued)."""
    from fengqiao.analytics.filters import parse_filters
    from fengqiao.analytics.tasks import export_ledger_task

    parse_filters(user, params)
    job = ExportJob.objects.create(user=user, ledger=ledger, params=params)
    from django.db import transaction

    transaction.on_commit(lambda: export_ledger_task.enqueue(job.pk))
    return job


def run_export(job_id: int) -> None:
    from fengqiao.analytics.filters import parse_filters

    job = ExportJob.objects.select_related("user").get(pk=job_id)
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING)
    try:
        filters = parse_filters(job.user, job.params)
        total = queryset(job.ledger, job.user, filters).count()
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
        os.makedirs(os.path.join(settings.MEDIA_ROOT, "exports"), exist_ok=True)
        name = files.random_name("exports", ".xlsx")  # unguessable; served to job.user only
        done = write_xlsx(
            os.path.join(settings.MEDIA_ROOT, name),
            job.ledger,
            job.user,
            filters,
            progress=lambda n: ExportJob.objects.filter(pk=job.pk).update(rows_done=n),
        )
        now = timezone.now()
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.DONE,
            rows_done=done,
            file=name,
            finished_at=now,
            expires_at=now + timedelta(hours=settings.EXPORT_EXPIRY_HOURS),
        )
    except Exception as e:  # the job records the failure; the worker goes on
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.FAILED, error=str(e)[:2000], finished_at=timezone.now()
        )
        raise


def purge_expired_exports(now: datetime | None = None) -> int:
    """Delete the files of exports past their time and mark the jobs expired (periodic task);
    returns how many files were deleted. Idempotent: a file already gone is no error."""
    now = now or timezone.now()
    due = ExportJob.objects.filter(expires_at__lte=now).exclude(state=ExportJob.State.EXPIRED)
    deleted = 0
    for job in due:
        if job.file:
            job.file.delete(save=False)  # a missing file is no error for the file system storage
            deleted += 1
        ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.EXPIRED, file="")
    return deleted
