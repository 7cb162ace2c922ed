"""Computed assessment indicators: a registry of named providers.

A provider measures one subject (a member unit's unit, or a street) over a scheme's period and
says how: value, numerator, denominator and formula. A scheme's indicator names its provider
(data); apps that bring new figures (visits, campaigns) add theirs with `register()` in their
AppConfig.ready. The ones here read the monitoring room's indicators (one definition of every
figure: fengqiao.analytics.indicators) and the letters' own tasks.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import Scope
from fengqiao.analytics import indicators as ind
from fengqiao.analytics.periods import Period

UNIT, STREET = "unit", "street"


@dataclass(frozen=True)
class Measured:
    value: Decimal | None  # percent, 2 decimals; None when there is nothing to measure
    numerator: int | Decimal
    denominator: int | Decimal
    formula: str


@dataclass(frozen=True)
class Provider:
    name: str
    label: Promise
    formula: Promise
    subjects: frozenset[str]
    measure: Callable[[Any, Any, Any], Measured]  # (scheme, unit or None, street or None)


PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    PROVIDERS[provider.name] = provider


def percent(num: Decimal | int, den: Decimal | int) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _filters(scheme, unit, street) -> ind.Filters:
    scope = Scope(region_paths=(scheme.group.region.path,))
    period = Period("custom", scheme.period_start, scheme.period_end)
    return ind.Filters(scope, period, region=street, unit=unit)


def _mediation_success(scheme, unit, street) -> Measured:
    v = ind.evaluate(["mediation_success_rate"], _filters(scheme, unit, street), compare=False)
    cur = v["mediation_success_rate"].current
    num, den = cur.numerator or 0, cur.denominator or 0
    return Measured(percent(num, den), num, den, f"{num} / {den}")


def _overdue_rate(scheme, unit, street) -> Measured:
    v = ind.evaluate(["on_time_rate"], _filters(scheme, unit, street), compare=False)
    cur = v["on_time_rate"].current
    den = cur.denominator or 0
    late = den - (cur.numerator or 0)
    return Measured(percent(late, den), late, den, f"{late} / {den}")


def _letter_tasks(scheme, unit, street) -> Measured:
    from .models import LetterTask, TaskState

    tasks = LetterTask.objects.filter(
        letter__member_unit__group=scheme.group, letter__member_unit__unit=unit
    )
    total = tasks.aggregate(s=Sum("weight"))["s"] or Decimal(0)
    done = tasks.filter(state=TaskState.DONE, done_at__date__lte=scheme.period_end).aggregate(
        s=Sum("weight")
    )["s"] or Decimal(0)
    # Weights have two decimals; SQLite sums them as plain numbers.
    done, total = Decimal(done).quantize(Decimal("0.01")), Decimal(total).quantize(Decimal("0.01"))
    return Measured(percent(done, total), done, total, f"{done} / {total}")


register(Provider(
    "mediation_success_rate", _("mediation success rate"),
    _("successful mediations ÷ mediations accepted × 100% (committees of the subject)"),
    frozenset({UNIT, STREET}), _mediation_success,
))  # fmt: skip
register(Provider(
    "case_overdue_rate", _("case overdue rate"),
    _("(cases concluded late + open overdue) ÷ (cases concluded + open overdue) × 100%"),
    frozenset({UNIT, STREET}), _overdue_rate,
))  # fmt: skip
register(Provider(
    "letter_task_completion", _("responsibility letter completion"),
    _("weight of the letter's tasks accepted as done ÷ weight of all its tasks × 100%"),
    frozenset({UNIT}), _letter_tasks,
))  # fmt: skip
