"""Early-warning rules at work: on intake (cheap kinds in the intake's transaction, the rest
in the background just after), on the schedule (surge, deadline), and as a dry run over past
days that shows what a rule would have raised without raising anything.

Each `check_*` returns the evidence (a dict) when the rule fires for its subject, else None;
`as_of` lets the dry run ask as if it were then.
"""

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases.models import Case, CaseState, Party
from fengqiao.core import refdata
from fengqiao.core.background import enqueue_with_transaction
from fengqiao.search.text import tokenizer

from .models import BACKGROUND_KINDS, SYNC_KINDS, RuleKind, WarningRule

OPEN_CASE_STATES = [
    s for s in CaseState.values if s not in ("resolved", "closed", "diverted", "cancelled")
]


def _int(params: dict, name: str, default: int, low: int = 1, high: int = 10_000) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(low, min(high, value))


def _applies(rule: WarningRule, case: Case) -> bool:
    return (case.region_path or "").startswith(rule.region.path)


def check_repeat(rule: WarningRule, case: Case, as_of: datetime | None = None) -> dict | None:
    """The same reporter phone (or address) reported `count` cases or more within `days`."""
    field = "reporter_phone" if rule.kind == RuleKind.REPEAT_REPORTER else "address"
    value = (getattr(case, field) or "").strip()
    if not value:
        return None
    days, count = _int(rule.params, "days", 30), _int(rule.params, "count", 3, 2)
    at = as_of or case.created_at
    ids = list(
        Case.objects.filter(
            **{field: value}, created_at__gt=at - timedelta(days=days), created_at__lte=at
        )
        .order_by("-created_at")
        .values_list("tracking_number", flat=True)[:count]
    )
    if len(ids) < count:
        return None
    return {"field": field, "days": days, "count": count, "cases": ids}


def check_group(rule: WarningRule, case: Case, as_of: datetime | None = None) -> dict | None:
    people = _int(rule.params, "people", 5, 2)
    if case.people_involved >= people:
        return {"people_involved": case.people_involved, "threshold": people}
    return None


def keyword_hits(keywords: list[str], text: str) -> list[str]:
    """Keywords found in `text`: a keyword of two characters or more must be a word of jieba's
    segmentation or, when longer than two characters, appear as it is (a one-character keyword
    such as 砍 would hit 砍价: it must be a segmented word)."""
    words = set(tokenizer().lcut(text))
    return [k for k in keywords if k in words or (len(k) > 2 and k in text)]


def check_keywords(rule: WarningRule, case: Case, as_of: datetime | None = None) -> dict | None:
    keywords = [k for k in rule.params.get("keywords", []) if isinstance(k, str) and k.strip()]
    hits = keyword_hits(keywords, f"{case.title} {case.description}") if keywords else []
    return {"keywords": hits} if hits else None


def check_key_person(rule: WarningRule, case: Case, as_of: datetime | None = None) -> dict | None:
    """A party of the case is an active key person (found by the keyed hash of the ID number:
    the registry never decrypts for this). Evidence names the kinds, not the people."""
    from fengqiao.registry.crypto import id_hash
    from fengqiao.registry.models import KeyPerson

    hashes = {id_hash(n) for n in case.parties.values_list("id_number", flat=True) if n}
    hashes.discard("")
    if not hashes:
        return None
    kinds = sorted(
        set(
            KeyPerson.objects.filter(active=True, resident__id_hash__in=sorted(hashes)).values_list(
                "kind__name", flat=True
            )
        )
    )
    return {"key_person_kinds": kinds} if kinds else None


CASE_CHECKS: dict[str, Callable[[WarningRule, Case, datetime | None], dict | None]] = {
    RuleKind.REPEAT_REPORTER: check_repeat,
    RuleKind.REPEAT_ADDRESS: check_repeat,
    RuleKind.GROUP_DISPUTE: check_group,
    RuleKind.KEYWORDS: check_keywords,
    RuleKind.KEY_PERSON: check_key_person,
}


def _raise_for_case(
    rule: WarningRule, case: Case, evidence: dict, *, new_case: bool = False
) -> None:
    from .actions import raise_warning

    raise_warning(
        kind=rule.kind,
        level=rule.level,
        title=f"{rule.name}: {case.tracking_number} {case.title}",
        evidence={"case": case.tracking_number, **evidence},
        rule=rule,
        case=case,
        region_path=case.region_path,
        grid=case.grid,
        target_unit=rule.target_unit or case.handling_unit,
        dedupe_key=f"case:{case.pk}",
        new_subject=new_case,
    )


def enabled_rules(kinds: frozenset[str]) -> list[WarningRule]:
    return list(
        WarningRule.objects.filter(enabled=True, kind__in=sorted(kinds)).select_related("region")
    )


def _intake_rules() -> list[WarningRule]:
    return enabled_rules(SYNC_KINDS | BACKGROUND_KINDS)


def on_intake(case: Case) -> None:
    """The intake hook (fengqiao.cases.hooks): cheap rules now, the others in the background.
    The enabled rules come from the process's reference-data snapshot (WarningRule is watched):
    no query unless a rule fires or needs one (repeat counts)."""
    rules = refdata.get("risk.intake_rules", _intake_rules)
    later = False
    for rule in rules:
        if not _applies(rule, case):
            continue
        if rule.kind in BACKGROUND_KINDS:
            later = True
            continue
        evidence = CASE_CHECKS[rule.kind](rule, case, None)
        if evidence:
            # The case was created in this transaction: no warning names it yet.
            _raise_for_case(rule, case, evidence, new_case=True)
    if later:
        from .tasks import evaluate_case_task

        enqueue_with_transaction(evaluate_case_task, case.pk)


def evaluate_background(case_id: int) -> int:
    """The background kinds for one new case; returns how many warnings were raised."""
    case = Case.objects.filter(pk=case_id).select_related("handling_unit", "grid").first()
    if case is None:
        return 0
    raised = 0
    with transaction.atomic():
        for rule in enabled_rules(BACKGROUND_KINDS):
            if _applies(rule, case):
                evidence = CASE_CHECKS[rule.kind](rule, case, None)
                if evidence:
                    _raise_for_case(rule, case, evidence)
                    raised += 1
    return raised


# -- periodic kinds ---------------------------------------------------------------------------


def surge_findings(rule: WarningRule, as_of: datetime) -> list[dict]:
    """Grids (or categories) whose cases of the last 7 days exceed the mean of the `weeks`
    weeks before by more than k standard deviations (and at least `min_count`)."""
    weeks = _int(rule.params, "weeks", 8, 2, 52)
    k = rule.params.get("k", 3)
    k = float(k) if isinstance(k, int | float) and not isinstance(k, bool) and 0 < k <= 10 else 3.0
    min_count = _int(rule.params, "min_count", 5)
    dim = "category_id" if rule.params.get("dimension") == "category" else "grid_id"
    start = as_of - timedelta(weeks=weeks + 1)
    rows = (
        Case.objects.filter(
            region_path__startswith=rule.region.path, created_at__gt=start, created_at__lte=as_of
        )
        .exclude(**{f"{dim}__isnull": True})
        .values_list(dim, "created_at")
    )
    counts: dict[Any, list[int]] = {}
    for key, at in rows.iterator():
        week = int((as_of - at) / timedelta(weeks=1))  # 0 = the last 7 days
        counts.setdefault(key, [0] * (weeks + 1))[min(week, weeks)] += 1
    found = []
    for key, per_week in counts.items():
        current, base = per_week[0], per_week[1:]
        mean = sum(base) / weeks
        sd = math.sqrt(sum((c - mean) ** 2 for c in base) / weeks)
        if current >= min_count and current > mean + k * sd:
            found.append(
                {
                    "dimension": dim[:-3],
                    "id": key,
                    "count": current,
                    "mean": round(mean, 2),
                    "sd": round(sd, 2),
                    "k": k,
                    "weeks": weeks,
                }
            )
    return found


def deadline_findings(rule: WarningRule, as_of: datetime) -> list[Case]:
    """Open sensitive cases (by risk level) whose handling deadline falls within `hours`."""
    hours = _int(rule.params, "hours", 24, 1, 24 * 30)
    levels = [x for x in rule.params.get("risk_levels", ["high", "critical"]) if isinstance(x, str)]
    return list(
        Case.objects.filter(
            region_path__startswith=rule.region.path,
            state__in=OPEN_CASE_STATES,
            risk_level__in=levels,
            is_overdue=False,
            handle_due__gt=as_of,
            handle_due__lte=as_of + timedelta(hours=hours),
        ).select_related("handling_unit", "grid")[:1000]
    )


def run_periodic(now: datetime | None = None) -> int:
    """Run the scheduled kinds once; returns how many warnings were raised."""
    from fengqiao.territory.models import Grid

    from .actions import raise_warning

    now = now or timezone.now()
    raised = 0
    with transaction.atomic():
        for rule in enabled_rules(frozenset({RuleKind.SURGE, RuleKind.DEADLINE})):
            if rule.kind == RuleKind.DEADLINE:
                for case in deadline_findings(rule, now):
                    raised += bool(
                        raise_warning(
                            kind=rule.kind,
                            level=rule.level,
                            title=f"{rule.name}: {case.tracking_number} {case.title}",
                            evidence={
                                "case": case.tracking_number,
                                "handle_due": case.handle_due.isoformat()
                                if case.handle_due
                                else None,
                            },
                            rule=rule,
                            case=case,
                            region_path=case.region_path,
                            grid=case.grid,
                            target_unit=rule.target_unit or case.handling_unit,
                            dedupe_key=f"case:{case.pk}",
                        )
                    )
                continue
            week = now.isocalendar()
            for f in surge_findings(rule, now):
                grid = (
                    Grid.objects.filter(pk=f["id"]).select_related("community").first()
                    if f["dimension"] == "grid"
                    else None
                )
                raised += bool(
                    raise_warning(
                        kind=rule.kind,
                        level=rule.level,
                        title=_("%(rule)s: %(count)d cases in 7 days (usual %(mean)s)")
                        % {"rule": rule.name, "count": f["count"], "mean": f["mean"]},
                        evidence=f,
                        rule=rule,
                        region_path=grid.community.path if grid else rule.region.path,
                        grid=grid,
                        target_unit=rule.target_unit,
                        dedupe_key=f"{f['dimension']}:{f['id']}:{week[0]}-{week[1]}",
                    )
                )
    return raised


# -- dry run ----------------------------------------------------------------------------------


@dataclass
class Hit:
    at: datetime
    subject: str
    evidence: dict


MAX_DRY_RUN_DAYS = 90
MAX_HITS = 500


def dry_run(rule: WarningRule, days: int, now: datetime | None = None) -> list[Hit]:
    """What `rule` (enabled or not, saved or not) would have raised over the last `days` days,
    each case judged as of its intake; the scheduled kinds once a day. Raises nothing."""
    now = now or timezone.now()
    days = max(1, min(MAX_DRY_RUN_DAYS, days))
    since = now - timedelta(days=days)
    return list(_hits(rule, since, now))[:MAX_HITS]


def _hits(rule: WarningRule, since: datetime, now: datetime) -> Iterator[Hit]:
    if rule.kind in CASE_CHECKS:
        check = CASE_CHECKS[rule.kind]
        cases = Case.objects.filter(
            region_path__startswith=rule.region.path, created_at__gt=since, created_at__lte=now
        )
        if rule.kind == RuleKind.GROUP_DISPUTE:
            cases = cases.filter(people_involved__gte=_int(rule.params, "people", 5, 2))
        if rule.kind == RuleKind.KEY_PERSON:
            cases = cases.filter(pk__in=Party.objects.exclude(id_number="").values("case_id"))
        n = 0
        for case in cases.order_by("created_at", "id").iterator():
            evidence = check(rule, case, case.created_at)
            if evidence:
                n += 1
                yield Hit(case.created_at, f"{case.tracking_number} {case.title}", evidence)
                if n >= MAX_HITS:
                    return
        return
    day = since
    seen: set[str] = set()
    while day < now:
        day = min(day + timedelta(days=1), now)
        if rule.kind == RuleKind.SURGE:
            for f in surge_findings(rule, day):
                key = f"{f['dimension']}:{f['id']}:{day.isocalendar()[1]}"
                if key not in seen:
                    seen.add(key)
                    yield Hit(day, f"{f['dimension']} {f['id']}", f)
        else:
            for case in deadline_findings(rule, day):
                if case.tracking_number not in seen:
                    seen.add(case.tracking_number)
                    yield Hit(
                        day,
                        f"{case.tracking_number} {case.title}",
                        {"handle_due": case.handle_due.isoformat() if case.handle_due else None},
                    )
