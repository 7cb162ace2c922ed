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
from django.db.models import QuerySet
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


REPEAT_FIELDS: dict[str, str] = {
    RuleKind.REPEAT_REPORTER: "reporter_phone",
    RuleKind.REPEAT_ADDRESS: "address",
}


class CaseFacts:
    """What the rules judging one case share, each read or computed once however many rules
    ask: the words of its text (jieba) and, per repeat field, the newest cases with the same
    value within the widest window of those rules (one query on the (field, created_at) index).
    `rules`: the rules that will ask (the widest window and count are taken over them)."""

    def __init__(self, case: Case, as_of: datetime | None, rules: list[WarningRule]) -> None:
        self.case = case
        self.at = as_of or case.created_at
        self.rules = rules
        self._words: set[str] | None = None
        self._recent: dict[str, list[tuple[str, datetime]]] = {}

    def words(self) -> set[str]:
        if self._words is None:
            self._words = set(tokenizer().lcut(f"{self.case.title} {self.case.description}"))
        return self._words

    def recent(self, field: str, value: str) -> list[tuple[str, datetime]]:
        """(tracking number, created) of the newest cases with `field` = `value` within the
        widest window, newest first, at most the largest count."""
        if field not in self._recent:
            asking = [r for r in self.rules if REPEAT_FIELDS.get(r.kind) == field]
            days = max((_int(r.params, "days", 30) for r in asking), default=30)
            count = max((_int(r.params, "count", 3, 2) for r in asking), default=3)
            since = self.at - timedelta(days=days)
            self._recent[field] = list(recent_cases(field, value, since, self.at, count))
        return self._recent[field]


def recent_cases(
    field: str, value: str, since: datetime, until: datetime, count: int
) -> "QuerySet[Case, tuple[str, datetime]]":
    """(tracking number, created) of the newest `count` cases with `field` = `value` created in
    (since, until], newest first: read from the end of the (field, created_at) index."""
    return (
        Case.objects.filter(**{field: value}, created_at__gt=since, created_at__lte=until)
        .order_by("-created_at")
        .values_list("tracking_number", "created_at")[:count]
    )


def _repeat(rule: WarningRule, facts: CaseFacts) -> dict | None:
    """The same reporter phone (or address) reported `count` cases or more within `days`."""
    field = REPEAT_FIELDS[rule.kind]
    value = (getattr(facts.case, field) or "").strip()
    if not value:
        return None
    days, count = _int(rule.params, "days", 30), _int(rule.params, "count", 3, 2)
    since = facts.at - timedelta(days=days)
    # Newest first, so this rule's window is a prefix of the widest one.
    ids = [number for number, at in facts.recent(field, value) if at > since][:count]
    if len(ids) < count:
        return None
    return {"field": field, "days": days, "count": count, "cases": ids}


def _group(rule: WarningRule, facts: CaseFacts) -> dict | None:
    people = _int(rule.params, "people", 5, 2)
    if facts.case.people_involved >= people:
        return {"people_involved": facts.case.people_involved, "threshold": people}
    return None


def keyword_hits(keywords: list[str], text: str, words: set[str] | None = None) -> list[str]:
    """Keywords found in `text`: a keyword of two characters or more must be a word of jieba's
    segmentation or, when longer than two characters, appear as it is (a one-character keyword
    such as 砍 would hit 砍价: it must be a segmented word). `words`: the segmentation, when
    already made."""
    if words is None:
        words = set(tokenizer().lcut(text))
    return [k for k in keywords if k in words or (len(k) > 2 and k in text)]


def _keywords(rule: WarningRule, facts: CaseFacts) -> dict | None:
    keywords = [k for k in rule.params.get("keywords", []) if isinstance(k, str) and k.strip()]
    if not keywords:
        return None
    text = f"{facts.case.title} {facts.case.description}"
    hits = keyword_hits(keywords, text, facts.words())
    return {"keywords": hits} if hits else None


def _key_person(rule: WarningRule, facts: CaseFacts) -> dict | None:
    """A party of the case is an active key person (found by the keyed hash of the ID number:
    the registry never decrypts for this). Evidence names the kinds, not the people."""
    from fengqiao.registry.crypto import id_hash
    from fengqiao.registry.models import KeyPerson

    numbers = facts.case.parties.values_list("id_number", flat=True)
    hashes = {id_hash(n) for n in numbers if n}
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


FACT_CHECKS: dict[str, Callable[[WarningRule, CaseFacts], dict | None]] = {
    RuleKind.REPEAT_REPORTER: _repeat,
    RuleKind.REPEAT_ADDRESS: _repeat,
    RuleKind.GROUP_DISPUTE: _group,
    RuleKind.KEYWORDS: _keywords,
    RuleKind.KEY_PERSON: _key_person,
}


def _one_rule(
    check: Callable[[WarningRule, CaseFacts], dict | None],
) -> Callable[[WarningRule, Case, datetime | None], dict | None]:
    def run(rule: WarningRule, case: Case, as_of: datetime | None = None) -> dict | None:
        return check(rule, CaseFacts(case, as_of, [rule]))

    return run


# One rule on one case (the dry run, the bench): the evidence when it fires, else None.
CASE_CHECKS: dict[str, Callable[[WarningRule, Case, datetime | None], dict | None]] = {
    kind: _one_rule(check) for kind, check in FACT_CHECKS.items()
}


def evaluate(
    rules: list[WarningRule], case: Case, as_of: datetime | None = None
) -> list[tuple[WarningRule, dict]]:
    """The rules (of the case kinds) that fire for `case`, with their evidence, in order; the
    rules share the case's facts (one query per repeat field, one segmentation)."""
    rules = [r for r in rules if r.kind in FACT_CHECKS and _applies(r, case)]
    facts = CaseFacts(case, as_of, rules)
    fired = []
    for rule in rules:
        evidence = FACT_CHECKS[rule.kind](rule, facts)
        if evidence:
            fired.append((rule, evidence))
    return fired


def _raise_for_case(
    case: Case, fired: list[tuple[WarningRule, dict]], *, new_case: bool = False
) -> int:
    """Raise the warnings of the rules that fired for `case`, together; returns how many."""
    from .actions import NewWarning, raise_warnings

    items = [
        NewWarning(
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
        )
        for rule, evidence in fired
    ]
    return len(raise_warnings(items, new_subject=new_case)) if items else 0


def enabled_rules(kinds: frozenset[str]) -> list[WarningRule]:
    return list(
        WarningRule.objects.filter(enabled=True, kind__in=sorted(kinds)).select_related(
            "region", "target_unit"
        )
    )


def _intake_rules() -> list[WarningRule]:
    return enabled_rules(SYNC_KINDS | BACKGROUND_KINDS)


def on_intake(case: Case) -> None:
    """The intake hook (fengqiao.cases.hooks): cheap rules now, the others in the background.
    The enabled rules come from the process's reference-data snapshot (WarningRule is watched):
    no query unless a rule fires or needs one (one per repeat field); the warnings of the rules
    that fire are raised together."""
    rules = [r for r in refdata.get("risk.intake_rules", _intake_rules) if _applies(r, case)]
    # The case was created in this transaction: no warning names it yet.
    _raise_for_case(case, evaluate([r for r in rules if r.kind in SYNC_KINDS], case), new_case=True)
    if any(r.kind in BACKGROUND_KINDS for r in rules):
        from .tasks import evaluate_case_task

        enqueue_with_transaction(evaluate_case_task, case.pk)


def evaluate_background(case_id: int) -> int:
    """The background kinds for one new case; returns how many warnings were raised."""
    case = Case.objects.filter(pk=case_id).select_related("handling_unit", "grid").first()
    if case is None:
        return 0
    rules = [
        r for r in refdata.get("risk.intake_rules", _intake_rules) if r.kind in BACKGROUND_KINDS
    ]
    with transaction.atomic():
        return _raise_for_case(case, evaluate(rules, case))


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
    """Run the scheduled kinds once, raising what they find together; returns how many
    warnings were raised."""
    from fengqiao.territory.models import Grid

    from .actions import NewWarning, raise_warnings

    now = now or timezone.now()
    items: list[NewWarning] = []
    with transaction.atomic():
        for rule in enabled_rules(frozenset({RuleKind.SURGE, RuleKind.DEADLINE})):
            if rule.kind == RuleKind.DEADLINE:
                for case in deadline_findings(rule, now):
                    items.append(
                        NewWarning(
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
                items.append(
                    NewWarning(
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
        return len(raise_warnings(items)) if items else 0


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
