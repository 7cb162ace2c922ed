"""The intake's write path: what it writes, and that it writes all of it or nothing.

- The intake's duplicate query, written once per process, returns what the QuerySet returns.
- The case points at its first history row.
- Over the API the case, its history and the log of the sensitive fields its answer shows
  commit together: an answer that cannot be built leaves no case behind.
- The notification's task row is the library's own (django-tasks-db), in the same transaction.
- A write the database refuses fails the whole intake.
"""

import json
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from fengqiao.cases import duplicates
from fengqiao.cases.models import Case, CaseHistory, CaseState, Category, Party
from fengqiao.core.models import SensitiveAccess
from tests.case_factories import (
    HUAYUAN_POINT,
    HUAYUAN_POINT_2,
    SONGSHAN_POINT,
    make_case_world,
    report,
)


@pytest.fixture
def cw(world):
    return make_case_world(world)


def _fields(obj, skip=("id",)) -> dict:
    return {k: v for k, v in model_to_dict(obj).items() if k not in skip}


def test_the_duplicate_query_returns_what_the_queryset_returns(cw):
    noise = Category.objects.get(code="construction_disturbance")
    other = Category.objects.exclude(pk=noise.pk).filter(kind=noise.kind).first()
    text = {"title": "工地夜间施工噪音", "description": "工地夜里施工，噪音很大"}
    made = []
    for point in (HUAYUAN_POINT, HUAYUAN_POINT, HUAYUAN_POINT_2, SONGSHAN_POINT, None):
        at = {"lon": point[0], "lat": point[1]} if point else {"lon": None, "lat": None}
        made.append(report(None, **at, **text).case)
    if other is not None:
        made.append(report(None, category=other.code, **text).case)
    # One cancelled, one too old: neither may be suggested by either path.
    Case.objects.filter(pk=made[1].pk).update(state=CaseState.CANCELLED)
    Case.objects.filter(pk=made[2].pk).update(
        created_at=timezone.now() - timedelta(days=duplicates.DAYS + 1)
    )
    grid = made[0].grid
    probes = [
        {"grid": grid, "lon": HUAYUAN_POINT[0], "lat": HUAYUAN_POINT[1]},
        {"grid": grid, "lon": None, "lat": None},
        {"grid": None, "lon": HUAYUAN_POINT[0] + 0.001, "lat": HUAYUAN_POINT[1]},
        {"grid": None, "lon": SONGSHAN_POINT[0], "lat": SONGSHAN_POINT[1]},
    ]
    compared = 0
    for probe in probes:
        data = {"category": noise, **text, **probe}
        fast = duplicates.suggest_duplicates(data)
        slow = duplicates.suggest_duplicates(data, qs=Case.objects.all())
        assert [(c.case.pk, c.score, c.reasons) for c in fast] == [
            (c.case.pk, c.score, c.reasons) for c in slow
        ]
        compared += len(fast)
    assert compared >= 3  # the probes do find candidates
    assert made[1].pk not in {c.case.pk for p in probes for c in duplicates.suggest_duplicates(
        {"category": noise, **text, **p})}  # fmt: skip


def test_the_case_points_at_its_first_history_row(cw):
    case = report(None).case
    stored = Case.objects.get(pk=case.pk)
    assert stored.current_history_id == CaseHistory.objects.get(case=case).pk
    assert stored.version == 1


def test_an_answer_that_cannot_be_built_leaves_no_case(cw, client_for, monkeypatch):
    from fengqiao.cases import api

    c = client_for(cw.huayuan_clerk)
    body = {
        "channel": "walk_in",
        "category": "construction_disturbance",
        "description": "工地夜里施工，噪音很大",
        "reporter_phone": "13904641234",
        "lon": HUAYUAN_POINT[0],
        "lat": HUAYUAN_POINT[1],
    }
    before = (Case.objects.count(), SensitiveAccess.objects.count())

    def broken(*args, **kwargs):
        raise RuntimeError("answer failed")

    monkeypatch.setattr(api, "_detail", broken)
    c.raise_request_exception = False
    r = c.post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert r.status_code == 500
    assert (Case.objects.count(), SensitiveAccess.objects.count()) == before
    monkeypatch.undo()
    r = c.post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert r.status_code == 201
    case = Case.objects.get(pk=r.json()["id"])
    assert SensitiveAccess.objects.filter(object_id=str(case.pk)).exists()


def test_the_default_task_backend_is_the_librarys(cw, settings):
    from django.conf import settings as live
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    assert live.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert type(task_backends["default"]) is DatabaseBackend
    before = DBTaskResult.objects.count()
    report(None)  # queues the reporter's notification inside the intake's transaction
    row = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert DBTaskResult.objects.count() == before + 1
    assert row.task_path == "fengqiao.cases.tasks.deliver_notification"


def test_a_write_refused_by_the_database_fails_the_whole_intake(cw, monkeypatch):
    from django.db import IntegrityError

    from fengqiao.cases.actions import registration as intake_module

    first = report(None).case
    before = (Case.objects.count(), CaseHistory.objects.count(), Party.objects.count())

    def same_number(district_code, year):
        return first.tracking_number  # unique: refused by the database

    monkeypatch.setattr(intake_module, "allocate_tracking_number", same_number)
    with pytest.raises(IntegrityError):
        report(None, parties=[{"name": "甲"}])
    monkeypatch.undo()
    assert (Case.objects.count(), CaseHistory.objects.count(), Party.objects.count()) == before
    assert report(None).case.pk
