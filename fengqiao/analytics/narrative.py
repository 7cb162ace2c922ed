"""The words of the periodic report: what the figures say, in sentences a leader reads.

Every sentence is computed from the same indicators as the dashboard (`indicators.evaluate`),
so a number in the text is the number on the screen; the appendix table in `reports` keeps
the formulas beside them.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from fengqiao.analytics import indicators as ind
from fengqiao.analytics.indicators import INDICATORS, Figure, Filters, Value
from fengqiao.analytics.periods import Period, shift_months

# Categories named in the text; more would read as a list, not a sentence.
TOP_CATEGORIES = 5
# A category whose disputes grew by this share or more on the previous period is a point to watch.
RISE_TO_WATCH = Decimal("50")
TREND_MONTHS = 12


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)  # first row: headers


@dataclass
class Narrative:
    sections: list[Section]
    ranking_chart: list[tuple[str, Decimal | None]]  # area, resolution rate
    trend_chart: list[tuple[str, int, int]]  # month label, cases registered, disputes screened


def _show(fig: Figure | Value | None, style: str = ind.COUNT) -> str:
    if fig is None:
        return "—"
    if isinstance(fig, Figure):
        return fig.display
    return fig.display(style)


def change_phrase(current: Value, before: Value | None, style: str) -> str:
    """'rose 12.5% (from 40)', 'fell 3 points (from 95.00%)', 'was unchanged' or 'no data'."""
    if before is None or before.value is None or current.value is None:
        return _("cannot be compared (no figures for that period)")
    cur, old = Decimal(current.value), Decimal(before.value)
    was = before.display(style)
    if cur == old:
        return _("was unchanged (%(was)s)") % {"was": was}
    if style == ind.PERCENT:
        diff = abs(cur - old).quantize(Decimal("0.01"))
        key = _("rose %(diff)s percentage points (from %(was)s)")
        if cur < old:
            key = _("fell %(diff)s percentage points (from %(was)s)")
        return key % {"diff": diff, "was": was}
    if old == 0:
        return _("rose from %(was)s") % {"was": was}
    pct = (abs(cur - old) * 100 / old).quantize(Decimal("0.1"))
    key = _("rose %(pct)s%% (from %(was)s)") if cur > old else _("fell %(pct)s%% (from %(was)s)")
    return key % {"pct": pct, "was": was}


def _compare(fig: Figure) -> str:
    style = fig.indicator.style
    return _(
        "compared with the previous period it %(mom)s; with the same period last year it %(yoy)s"
    ) % {
        "mom": change_phrase(fig.current, fig.previous, style),
        "yoy": change_phrase(fig.current, fig.last_year, style),
    }


def _overview(place: str, period: Period, f: dict[str, Figure]) -> Section:
    s = Section(_("1. Overview"))
    s.paragraphs.append(
        _(
            "In %(period)s, %(place)s registered %(registered)s cases of every kind, of which "
            "%(screened)s were disputes screened; %(resolved)s of these disputes are resolved, a "
            "resolution rate of %(rate)s."
        )
        % {
            "period": period.label,
            "place": place,
            "registered": _show(f["registered"]),
            "screened": _show(f["screened"]),
            "resolved": _show(f["resolved"]),
            "rate": _show(f["resolution_rate"]),
        }
    )
    s.paragraphs.append(
        _("Disputes screened: %(compare)s. Resolution rate: %(rate_compare)s.")
        % {"compare": _compare(f["screened"]), "rate_compare": _compare(f["resolution_rate"])}
    )
    return s


def _mediation_and_handling(f: dict[str, Figure]) -> Section:
    s = Section(_("2. Mediation and case handling"))
    s.paragraphs.append(
        _(
            "People's mediation committees accepted %(accepted)s disputes; %(successful)s were "
            "mediated successfully and %(failed)s failed, a mediation success rate of %(rate)s "
            "(%(compare)s)."
        )
        % {
            "accepted": _show(f["mediation_accepted"]),
            "successful": _show(f["mediation_successful"]),
            "failed": _show(f["mediation_failed"]),
            "rate": _show(f["mediation_success_rate"]),
            "compare": _compare(f["mediation_success_rate"]),
        }
    )
    s.paragraphs.append(
        _(
            "%(concluded)s cases were concluded, with an on-time rate of %(on_time)s and an "
            "average handling time of %(days)s days; %(overdue)s cases are still open past their "
            "deadline; %(yellow)s yellow and %(red)s red supervision cards were raised."
        )
        % {
            "concluded": _show(f["concluded"]),
            "on_time": _show(f["on_time_rate"]),
            "days": _show(f["avg_handling_days"]),
            "overdue": _show(f["open_overdue"]),
            "yellow": _show(f["yellow_cards"]),
            "red": _show(f["red_cards"]),
        }
    )
    s.paragraphs.append(
        _(
            "Residents' satisfaction rate was %(satisfaction)s (%(compare)s); the reopen rate was "
            "%(reopen)s and %(repeat)s repeat reports were merged into earlier cases."
        )
        % {
            "satisfaction": _show(f["satisfaction_rate"]),
            "compare": _compare(f["satisfaction_rate"]),
            "reopen": _show(f["reopen_rate"]),
            "repeat": _show(f["repeat_reports"]),
        }
    )
    return s


RANK_CODES = ("screened", "resolved", "resolution_rate", "on_time_rate", "open_overdue")


def _ranking(filters: Filters) -> tuple[Section | None, list[tuple[str, Decimal | None]]]:
    """Areas one level down ranked by resolution rate (most disputes first on a tie)."""
    if filters.region is None or filters.grid is not None:
        return None, []
    rows = ind.breakdown_by_place(RANK_CODES, filters, filters.region)
    if not rows:
        return None, []

    def key(row: tuple[Any, dict[str, Value]]) -> tuple[int, Decimal, int]:
        rate = row[1]["resolution_rate"].value
        screened = int(row[1]["screened"].value or 0)
        return (rate is None, -Decimal(rate or 0), -screened)

    ranked = sorted(rows, key=key)
    s = Section(_("3. Ranking of areas"))
    s.table.append([_("Rank"), _("Area")] + [str(INDICATORS[c].name) for c in RANK_CODES])
    for n, (area, vals) in enumerate(ranked, 1):
        s.table.append(
            [str(n), area.name] + [vals[c].display(INDICATORS[c].style) for c in RANK_CODES]
        )
    rated = [(a, v) for a, v in ranked if v["resolution_rate"].value is not None]
    if len(rated) >= 2:
        best, worst = rated[0], rated[-1]
        s.paragraphs.append(
            _(
                "Ranked by dispute resolution rate, %(best)s leads with %(best_rate)s and "
                "%(worst)s is last with %(worst_rate)s."
            )
            % {
                "best": best[0].name,
                "best_rate": best[1]["resolution_rate"].display(ind.PERCENT),
                "worst": worst[0].name,
                "worst_rate": worst[1]["resolution_rate"].display(ind.PERCENT),
            }
        )
    elif not rated:
        s.paragraphs.append(_("No area screened a dispute in the period."))
    chart = [(a.name, v["resolution_rate"].value) for a, v in ranked]
    return s, [(n, Decimal(v) if v is not None else None) for n, v in chart]


def _categories(filters: Filters) -> tuple[Section, list[str]]:
    """The most frequent categories and those that rose most: (section, points to watch)."""
    s = Section(_("4. Disputes by category"))
    # The first level where the disputes split (breakdown_by_category), and the same categories
    # a period before: a category's row then compares with itself.
    now = ind.breakdown_by_category(("screened",), filters)
    before = {
        row.category.pk: row.values["screened"].value or 0
        for row in ind.breakdown_by_category(
            ("screened",),
            filters.with_period(filters.period.previous()),
            nodes=[row.category for row in now],
        )
    }
    total = sum(int(row.values["screened"].value or 0) for row in now)
    ranked = sorted(now, key=lambda r: -int(r.values["screened"].value or 0))
    watch: list[str] = []
    if not total:
        s.paragraphs.append(_("No dispute was screened in the period."))
        return s, watch
    named: list[str] = []
    s.table.append([_("Category"), _("Disputes screened"), _("Share"), _("Previous period")])
    for row in ranked:
        name, n = row.label, int(row.values["screened"].value or 0)
        share = (Decimal(n) * 100 / total).quantize(Decimal("0.1"))
        old = int(before.get(row.category.pk, 0))
        s.table.append([name, str(n), f"{share}%", str(old)])
        if len(named) < TOP_CATEGORIES:
            named.append(_("%(name)s %(n)s (%(share)s%%)") % {"name": name, "n": n, "share": share})
        if old and Decimal(n - old) * 100 / old >= RISE_TO_WATCH:
            watch.append(
                _("%(name)s disputes rose from %(old)s to %(n)s on the previous period.")
                % {"name": name, "old": old, "n": n}
            )
    s.paragraphs.append(
        _("The most frequent categories were: %(list)s.") % {"list": _("; ").join(named)}
    )
    return s, watch


def _trend(filters: Filters) -> list[tuple[str, int, int]]:
    end = filters.period.end
    extra = max(0, TREND_MONTHS - len(filters.period.months()))
    start = shift_months(filters.period.start, -extra)
    f = filters.with_period(Period("custom", start, end))
    return [
        (p.label, int(v["registered"].value or 0), int(v["screened"].value or 0))
        for p, v in ind.trend(("registered", "screened"), f)
    ]


def _attention(f: dict[str, Figure], ranking: Section | None, watch: list[str]) -> Section:
    s = Section(_("5. Points needing attention"))
    overdue = int(f["open_overdue"].current.value or 0)
    if overdue:
        s.paragraphs.append(
            _("%(n)s cases are open past their deadline: supervise them to conclusion.")
            % {"n": overdue}
        )
    red = int(f["red_cards"].current.value or 0)
    if red:
        s.paragraphs.append(
            _("%(n)s red supervision cards were raised: the units concerned should report.")
            % {"n": red}
        )
    s.paragraphs.extend(watch)
    if not s.paragraphs:
        s.paragraphs.append(_("No figure of the period calls for particular attention."))
    return s


NARRATIVE_CODES = tuple(
    dict.fromkeys(
        (
            *ind.DASHBOARD,
            "registered",
            "concluded",
        )
    )
)


def compose(filters: Filters, place: str) -> Narrative:
    figures = ind.evaluate(NARRATIVE_CODES, filters)
    ranking, ranking_chart = _ranking(filters)
    categories, watch = _categories(filters)
    sections = [_overview(place, filters.period, figures), _mediation_and_handling(figures)]
    if ranking is not None:
        sections.append(ranking)
    sections += [categories, _attention(figures, ranking, watch)]
    return Narrative(sections, ranking_chart, _trend(filters))
