"""Scoring a scheme: every subject's points per indicator, bonuses, deductions and vetoes, the
total and the rank, each part written out (value, formula, points) in the score's breakdown.

- computed indicator: the provider's value v, scored linearly: weight × (v − zero_at) ÷
  (full_at − zero_at), kept between 0 and the weight (full_at below zero_at: lower is better);
  no value (nothing to measure) gives no points and says so;
- reviewed indicator: the latest reviewer score (0 … weight); none yet gives no points;
- bonus / deduction: points × occurrences in the period, at most the rule's cap;
- one-vote veto: any occurrence in the period makes the total 0 and ranks the subject last;
- total = indicators + bonuses − deductions, never below 0; two decimals, half up.
Ranks: by total, highest first; equal totals share a rank (1, 2, 2, 4).
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet

from fengqiao.territory.models import Region

from .models import (
    IndicatorKind,
    MemberUnit,
    Occurrence,
    ReviewScore,
    RuleKind,
    Run,
    Scheme,
    Score,
    SubjectKind,
)
from .providers import PROVIDERS

CENT = Decimal("0.01")


def q(d: Decimal) -> Decimal:
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def streets(scheme: Scheme) -> QuerySet[Region]:
    return Region.objects.filter(parent=scheme.group.region, level=Region.Level.STREET).order_by(
        "code"
    )


def subjects(scheme: Scheme) -> list[tuple[Any, Any, str]]:
    """(unit, street, name) of everyone the scheme assesses."""
    if scheme.subject_kind == SubjectKind.UNIT:
        units = MemberUnit.objects.filter(group=scheme.group).select_related("unit")
        return [(mu.unit, None, mu.unit.name) for mu in units]
    return [(None, s, s.name) for s in streets(scheme)]


def linear(weight: Decimal, value: Decimal, full_at: Decimal, zero_at: Decimal) -> Decimal:
    frac = (value - zero_at) / (full_at - zero_at)
    frac = max(Decimal(0), min(Decimal(1), frac))
    return q(weight * frac)


def _mine(qs: QuerySet, unit: Any, street: Any) -> QuerySet:
    return qs.filter(unit=unit) if unit is not None else qs.filter(street=street)


def score_subject(scheme: Scheme, unit: Any, street: Any) -> tuple[Decimal, bool, list[dict]]:
    parts: list[dict] = []
    points = Decimal(0)
    for ind in scheme.indicators.all():
        part: dict[str, Any] = {"part": "indicator", "code": ind.code, "name": ind.name,
                                "kind": ind.kind, "weight": str(ind.weight)}  # fmt: skip
        if ind.kind == IndicatorKind.COMPUTED:
            provider = PROVIDERS.get(ind.provider)
            m = provider.measure(scheme, unit, street) if provider else None
            part["formula"] = str(provider.formula) if provider else ""
            if m is None or m.value is None or ind.full_at is None or ind.zero_at is None:
                got = Decimal(0)
                part |= {"value": None, "note": "no data"}
            else:
                got = linear(ind.weight, m.value, ind.full_at, ind.zero_at)
                part |= {"value": str(m.value), "numerator": str(m.numerator),
                         "denominator": str(m.denominator), "full_at": str(ind.full_at),
                         "zero_at": str(ind.zero_at)}  # fmt: skip
        else:
            latest = (
                _mine(ReviewScore.objects.filter(indicator=ind), unit, street)
                .order_by("-at", "-id")
                .first()
            )
            got = min(latest.score, ind.weight) if latest else Decimal(0)
            part |= {"value": str(latest.score) if latest else None,
                     "note": latest.note if latest else "not scored"}  # fmt: skip
        part["score"] = str(q(got))
        points += got
        parts.append(part)
    vetoed = False
    for rule in scheme.rules.all():
        n = _mine(
            Occurrence.objects.filter(
                rule=rule, happened_on__gte=scheme.period_start, happened_on__lte=scheme.period_end
            ),
            unit,
            street,
        ).count()
        if not n:
            continue
        part = {"part": rule.kind, "name": rule.name, "occurrences": n}
        if rule.kind == RuleKind.VETO:
            vetoed = True
            part["score"] = "0"
        else:
            amount = rule.points * n
            if rule.cap is not None:
                amount = min(amount, rule.cap)
            signed = amount if rule.kind == RuleKind.BONUS else -amount
            points += signed
            part["score"] = str(q(signed))
        parts.append(part)
    total = max(Decimal(0), q(points))
    if vetoed:
        parts.append({"part": "veto_total", "score_before_veto": str(total)})
        total = Decimal(0)
    return total, vetoed, parts


def store(run: Run) -> list[Score]:
    scheme = run.scheme
    rows = []
    for unit, street, name in subjects(scheme):
        total, vetoed, parts = score_subject(scheme, unit, street)
        rows.append((vetoed, -total, name, unit, street, total, parts))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    scores = []
    rank, last = 0, None
    for i, (vetoed, _neg, _name, unit, street, total, parts) in enumerate(rows, start=1):
        key = (vetoed, total)
        if key != last:
            rank, last = i, key
        scores.append(Score(run=run, unit=unit, street=street, total=total, rank=rank,
                            vetoed=vetoed, breakdown=parts))  # fmt: skip
    return Score.objects.bulk_create(scores)
