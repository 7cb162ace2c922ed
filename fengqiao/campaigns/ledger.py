"""A campaign's ledger in the uniform layout of the monitoring room's ledgers (analytics
ledgers.py): a title line (ledger · place · period), the figures with their formulas, the
column headers, then one numbered row per household or place screened. Scoped like the
roll-up; written row by row (constant memory) and streamed (registry.xlsx)."""

from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.campaigns import screening
from fengqiao.campaigns.models import Campaign, ScreeningRecord

CHUNK = 2000


def columns(c: Campaign) -> list[str]:
    return [
        _("No."), _("Street / town"), _("Community / village"), _("Grid"),
        _("Household or place"), _("Household number"), _("Screened"), _("Screened by"),
        *[str(f.get("label") or f["name"]) for f in c.form_fields],
        _("Finding"), _("Case"), _("Warning level"),
    ]  # fmt: skip


def header_lines(actor: Any, c: Campaign) -> list[str]:
    roll = screening.rollup(actor, c)
    top = roll["district"] or roll["street"] or roll["community"]
    target = sum(r.target for r in roll["grid"])
    screened = sum(r.screened for r in roll["grid"])
    findings = sum(r.findings for r in roll["grid"])
    waiting = sum(r.not_screened for r in roll["grid"])
    rate = f"{100.0 * screened / target:.1f}%" if target else "—"
    place = "、".join(r.name for r in top) if top else ""
    period = f"{c.starts_on:%Y-%m-%d}–{c.ends_on:%Y-%m-%d}"
    return [
        f"{_('Screening ledger')}: {c.name} · {place} · {period}",
        f"{_('Completion')}: {rate} ({screened} / {target}) · {_('Formula')}: "
        f"{_('households or places screened / households or places to screen')}",
        f"{_('Findings')}: {findings} · {_('Registry households not screened yet')}: {waiting}",
    ]


def records(actor: Any, c: Campaign) -> Any:
    access = access_for(actor)
    qs = screening._scoped(access, c, ScreeningRecord.objects.filter(campaign=c))
    return qs.select_related(
        "grid", "grid__community", "grid__community__parent", "household", "screened_by",
        "case", "warning",
    ).order_by("screened_at", "id")  # fmt: skip


def _answer(value: Any) -> Any:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return "" if value is None else value


def rows(actor: Any, c: Campaign) -> Iterator[list[Any]]:
    """The whole sheet: header lines, the column headers, the numbered rows."""
    for line in header_lines(actor, c):
        yield [line]
    yield columns(c)
    names = [f["name"] for f in c.form_fields]
    for i, r in enumerate(records(actor, c).iterator(chunk_size=CHUNK), start=1):
        community = r.grid.community
        street = community.parent if community else None
        by = r.screened_by
        yield [
            i, street.name if street else "", community.name if community else "", r.grid.name,
            r.address, r.household.number if r.household else "",
            timezone.localtime(r.screened_at).strftime("%Y-%m-%d %H:%M"),
            (by.get_full_name() or by.username) if by else "",
            *[_answer((r.answers or {}).get(n)) for n in names],
            r.finding, r.case.tracking_number if r.case else "",
            r.warning.get_level_display() if r.warning else "",
        ]  # fmt: skip
