"""The uniform ledgers ("五统一": one layout for every center), exported to Excel.

Rows stream from one `values_list(...).iterator(chunk_size=CHUNK)` query (related names by
join, choice labels and the time zone looked up once) into the lean streaming writer of
xlsx_stream, so a ledger of any size never sits in memory. The screening ledger lists exactly the cases the
"disputes screened" indicator counts (same definition, via indicators.drill_case_ids), and its
header carries the figures with their formulas.
"""

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Field, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.analytics import indicators as ind
from fengqiao.analytics.filters import cases_in_scope
from fengqiao.analytics.indicators import Filters
from fengqiao.analytics.models import ExportJob
from fengqiao.analytics.xlsx_stream import SheetWriter
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


def _local_minutes() -> Callable[[datetime | None], str]:
    """`_t` with the current time zone looked up once (the ledgers format millions of times)."""
    tz = timezone.get_current_timezone()

    def fmt(dt: datetime | None) -> str:
        return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else ""

    return fmt


def _labels(model: type[Model], name: str) -> dict[Any, Any]:
    """The display labels of a choices field, translated once: what get_<name>_display gives."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return {value: str(label) for value, label in field.flatchoices}


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
    """The ledger's records in ledger order (read them through `rows`)."""
    if ledger == "screening":
        ids = ind.drill_case_ids(ind.INDICATORS["screened"], filters)
        return (
            access_for(user)
            .visible(Case.objects.all(), Perm.CASE_VIEW)
            .filter(pk__in=ids)
            .order_by("created_at", "id")
        )
    cases = cases_in_scope(user, filters)
    start, end = _bounds(filters)
    if ledger == "visits":
        return FollowUpVisit.objects.filter(
            case__in=cases, visited_at__gte=start, visited_at__lt=end
        ).order_by("visited_at", "id")
    return SupervisionCard.objects.filter(
        case__in=cases, raised_at__gte=start, raised_at__lt=end
    ).order_by("raised_at", "id")


def _bounds(filters: Filters) -> tuple[datetime, datetime]:
    from fengqiao.analytics.recount import _bounds as bounds

    return bounds(filters)


# The columns each ledger reads, as one values_list: the related names come from the joins, so
# a row is a tuple, not a case with six related objects.
FIELDS = {
    "screening": (
        "tracking_number", "created_at", "category__name", "channel__name", "street__name",
        "community__name", "grid__name", "title", "people_involved", "risk_level",
        "handling_unit__name", "state", "resolved_at", "closed_at", "outcome",
    ),
    "visits": (
        "case__tracking_number", "visited_at", "method", "satisfaction", "reopened",
        "case__category__name", "case__community__name", "case__title", "note",
    ),
    "supervision": (
        "case__tracking_number", "level", "raised_at", "reason", "to_unit__name", "resolved_at",
        "case__category__name", "case__community__name", "case__title", "case__state",
    ),
}  # fmt: skip


def rows(
    ledger: str, qs: QuerySet, *, offset: int = 0, limit: int | None = None
) -> Iterator[list[Any]]:
    """The ledger's lines for `qs` (from `queryset`), numbered from offset + 1; `limit` rows at
    most. Labels of choices and the time zone are looked up once, not per row."""
    values = qs.values_list(*FIELDS[ledger])
    if limit is not None:
        values = values[offset : offset + limit]
    elif offset:
        values = values[offset:]
    t = _local_minutes()
    lines = enumerate(values.iterator(chunk_size=CHUNK), start=offset + 1)
    if ledger == "screening":
        risk, state = _labels(Case, "risk_level"), _labels(Case, "state")
        for i, (
            number,
            created,
            category,
            channel,
            street,
            community,
            grid,
            title,
            people,
            risk_level,
            unit,
            state_value,
            resolved,
            closed,
            outcome,
        ) in lines:
            yield [i, number, t(created), category, channel, street or "", community or "",
                   grid or "", title, people, risk.get(risk_level, risk_level), unit or "",
                   state.get(state_value, state_value), t(resolved or closed), outcome]  # fmt: skip
    elif ledger == "visits":
        method, satisfaction = (
            _labels(FollowUpVisit, "method"),
            _labels(FollowUpVisit, "satisfaction"),
        )
        yes, no = _("yes"), _("no")
        for i, (
            number,
            visited,
            method_value,
            satisfaction_value,
            reopened,
            category,
            community,
            title,
            note,
        ) in lines:
            yield [i, number, t(visited), method.get(method_value, method_value),
                   satisfaction.get(satisfaction_value, satisfaction_value),
                   yes if reopened else no, category, community or "", title, note]  # fmt: skip
    else:
        level, state = _labels(SupervisionCard, "level"), _labels(Case, "state")
        for i, (
            number,
            level_value,
            raised,
            reason,
            unit,
            resolved,
            category,
            community,
            title,
            state_value,
        ) in lines:
            yield [i, number, level.get(level_value, level_value), t(raised), reason, unit or "",
                   t(resolved), category, community or "", title,
                   state.get(state_value, state_value)]  # fmt: skip


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
    """Write the ledger to `path`; `progress(done)` is called every CHUNK rows. Returns rows.

    The rows stream from one values_list query into xlsx_stream.SheetWriter (constant memory)."""
    qs = queryset(ledger, user, filters)
    done = 0
    with SheetWriter(path, str(LEDGERS[ledger])) as sheet:
        for number, line in enumerate(header_lines(ledger, filters)):
            sheet.write_row([line], bold=number == 0)
        sheet.write_row([str(name) for name in columns(ledger)], bold=True)
        for row in rows(ledger, qs):
            sheet.write_row(row)
            done += 1
            if progress and done % CHUNK == 0:
                progress(done)
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
