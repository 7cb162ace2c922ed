"""The monitoring room's panel of public legal services (registered by the analytics app, which
stands above this one): questions by level, answer time, ratings, referrals, escalations, each
row linking to the list behind it. Scoped like every other query (workflow rules)."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from .figures import figures, questions_for


def panel(request: HttpRequest) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    qs = questions_for(user)
    if not qs.exists():
        return None
    f = figures(qs)
    url = reverse("legal:list")
    rows = [
        {"text": f"{r['label']}: {r['count']}", "url": f"{url}?{r['query']}", "tag": _("level")}
        for r in f["by_level"]
    ]
    rows += [
        {"text": _("Waiting for an answer: %(n)s") % {"n": f["waiting"]},
         "url": f"{url}?state=open", "tag": _("waiting")},
        {"text": _("Escalated: %(n)s") % {"n": f["escalated"]}, "url": f"{url}?escalated=1",
         "tag": _("escalated")},
        {"text": _("Average time to the first answer: %(h)s h") % {"h": f["answer_hours"] or "—"},
         "url": reverse("legal:figures"), "tag": _("answer time")},
        {"text": _("Average rating: %(r)s (%(n)s rated)") % {"r": f["rating"] or "—", "n": f["rated"]},
         "url": f"{url}?rated=1", "tag": _("rating")},
    ]  # fmt: skip
    rows += [
        {"text": f"{r['label']}: {r['count']}", "url": f"{url}?{r['query']}", "tag": _("referral")}
        for r in f["referrals"]
    ]
    return {"title": _("Public legal services"), "empty": _("No questions."), "rows": rows}
