"""The figures of public legal services (monitoring room, figures page, API): questions by
level and topic, answer time, ratings, referrals, per room and per lawyer. Each count comes
with the filter of the list behind it (`filter_questions`), so every figure drills down."""

from collections import defaultdict
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from .models import Level, Question, QuestionState, ReferralKind

# List filters: query parameter → lookup (values are ids or codes, checked before use).
FILTERS = {
    "level": "point__level",
    "topic": "topic_id",
    "point": "point_id",
    "lawyer": "answered_by_id",
    "referral": "referral__kind",
    "state": "state",
}


def filter_questions(qs: QuerySet, params: Any) -> tuple[QuerySet, dict[str, str]]:
    """Narrow the (already scoped) questions by the list's filters; unknown values match
    nothing rather than everything. The filters applied, for the page to show."""
    applied: dict[str, str] = {}
    for name, lookup in FILTERS.items():
        value = params.get(name, "")
        if not isinstance(value, str) or not value:
            continue
        if lookup.endswith("_id"):
            if not value.isdigit() or len(value) > 12:
                return qs.none(), {name: value}
            qs = qs.filter(**{lookup: int(value)})
        else:
            qs = qs.filter(**{lookup: value[:20]})
        applied[name] = value
    if params.get("rated") == "1":
        qs, applied["rated"] = qs.filter(rating__isnull=False), "1"
    if params.get("escalated") == "1":
        qs, applied["escalated"] = qs.filter(escalations__gt=0), "1"
    return qs, applied


def _hours(rows: list[tuple[Any, Any]]) -> float | None:
    spans = [(b - a).total_seconds() / 3600 for a, b in rows if a and b]
    return round(sum(spans) / len(spans), 1) if spans else None


def figures(qs: QuerySet) -> dict[str, Any]:
    qs = qs.order_by()
    total = qs.count()
    levels = dict(qs.values_list("point__level").annotate(n=Count("id")))
    by_level = [
        {"key": v, "label": str(label), "count": levels.get(v, 0), "query": f"level={v}"}
        for v, label in Level.choices
    ]
    by_topic = [
        {"key": r["topic_id"], "label": r["topic__name"], "count": r["n"],
         "query": f"topic={r['topic_id']}"}
        for r in qs.values("topic_id", "topic__name").annotate(n=Count("id")).order_by("-n", "topic_id")
    ]  # fmt: skip
    answered = list(
        qs.filter(first_answered_at__isnull=False).values_list("asked_at", "first_answered_at")
    )
    rated = qs.filter(rating__isnull=False)
    rating_avg = rated.aggregate(a=Avg("rating"))["a"]
    referrals = dict(
        qs.filter(referral__isnull=False).values_list("referral__kind").annotate(n=Count("id"))
    )
    per_point = [
        {"key": r["point_id"], "label": r["point__name"], "count": r["n"],
         "answered": r["answered"], "rating": _round(r["rating"]), "query": f"point={r['point_id']}"}
        for r in qs.values("point_id", "point__name")
        .annotate(n=Count("id"), answered=Count("id", filter=Q(first_answered_at__isnull=False)),
                  rating=Avg("rating"))
        .order_by("-n", "point_id")
    ]  # fmt: skip
    lawyer_rows = qs.filter(answered_by__isnull=False).values_list(
        "answered_by_id", "answered_by__name", "answered_by__point__name", "asked_at",
        "first_answered_at", "rating",
    )  # fmt: skip
    per: dict[int, dict[str, Any]] = defaultdict(lambda: {"spans": [], "ratings": []})
    for lid, name, point, asked, first, rating in lawyer_rows:
        row = per[lid]
        row.update(key=lid, label=f"{name} · {point}", query=f"lawyer={lid}")
        row["spans"].append((asked, first))
        if rating is not None:
            row["ratings"].append(rating)
    per_lawyer = sorted(
        (
            {"key": r["key"], "label": r["label"], "count": len(r["spans"]),
             "hours": _hours(r["spans"]), "query": r["query"],
             "rating": _round(sum(r["ratings"]) / len(r["ratings"])) if r["ratings"] else None}
            for r in per.values()
        ),
        key=lambda r: (-r["count"], r["key"]),
    )  # fmt: skip
    return {
        "total": total,
        "waiting": qs.filter(state__in=[QuestionState.OPEN, QuestionState.FOLLOW_UP]).count(),
        "escalated": qs.filter(escalations__gt=0).count(),
        "by_level": by_level,
        "by_topic": by_topic,
        "answered": len(answered),
        "answer_hours": _hours(answered),
        "rated": rated.count(),
        "rating": _round(rating_avg),
        "referrals": [
            {"key": v, "label": str(label), "count": referrals.get(v, 0), "query": f"referral={v}"}
            for v, label in ReferralKind.choices
        ],
        "per_point": per_point,
        "per_lawyer": per_lawyer,
    }


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def questions_for(user: Any) -> QuerySet:
    from .actions import visible

    return visible(user, Question.objects.all())
