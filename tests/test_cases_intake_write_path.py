"""The intake's write path without the ORM's per-call compiling writes and finds the same rows.

- `core.fastinsert.insert` stores exactly what `Model.save()` / `bulk_create()` store.
- The intake's duplicate query, written once per process, returns what the QuerySet returns.
- On PostgreSQL the case is written once, already pointing at its first history row.
- Over the API the case, its history and the log of the sensitive fields its answer shows
  commit together: an answer that cannot be built leaves no case behind.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.cases import duplicates
from fengqiao.cases.models import Case, CaseHistory, CaseState, Category, Party
from fengqiao.core import fastinsert
from fengqiao.core.models import SensitiveAccess
from tests.case_factories import (
    HUAYUAN_POINT,
    HUAYUAN_POINT_2,
    SONGSHAN_POINT,
    VALID_ID,
    VALID_ID_2,
    make_case_world,
    report,
)


@pytest.fixture
def cw(world):
    return make_case_world(world)


def _fields(obj, skip=("id",)) -> dict:
    return {k: v for k, v in model_to_dict(obj).items() if k not in skip}


def test_fastinsert_stores_what_save_stores(cw):
    source = report(None).case
    saved = Case.objects.get(pk=source.pk)
    copy = Case.objects.get(pk=source.pk)
    copy.pk = None
    copy.tracking_number = "230903-2099-000001"
    copy.current_history = None
    fastinsert.insert([copy])
    assert copy.pk is not None and copy.pk != saved.pk
    assert not copy._state.adding
    again = Case.objects.get(pk=copy.pk)
    skip = ("id", "tracking_number", "current_history")
    assert _fields(again, skip) == _fields(saved, skip)


def test_fastinsert_many_rows_and_json(cw):
    case = report(None).case
    rows = [
        Party(case=case, name="甲", id_number=VALID_ID, phone="13904641234", notes="<b>x</b>"),
        Party(case=case, name="乙", id_number=VALID_ID_2, is_vulnerable=True),
        Party(case=case, name="丙", party_type=Party.PartyType.ORGANISATION),
    ]
    fastinsert.insert(rows)  # PostgreSQL: the multi-row UNNEST form
    assert all(p.pk for p in rows)
    assert len({p.pk for p in rows}) == 3
    for p in rows:
        assert _fields(Party.objects.get(pk=p.pk)) == _fields(p)
    entry = CaseHistory(
        case=case, action="note", data={"中文": ["列表", 1, None], "n": 2.5}, public=True
    )
    fastinsert.insert([entry])
    stored = CaseHistory.objects.get(pk=entry.pk)
    assert stored.data == {"中文": ["列表", 1, None], "n": 2.5}
    assert stored.at is not None and abs(stored.at - timezone.now()) < timedelta(minutes=1)


def test_fastinsert_refuses_mixed_rows(cw):
    case = report(None).case
    with pytest.raises(ValueError):
        fastinsert.insert([Party(case=case, name="甲"), Party(case=case, name="乙", pk=10**9)])


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


def test_the_case_is_written_once(cw):
    with CaptureQueriesContext(connection) as ctx:
        case = report(None).case
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "cases_case"')]
    if connection.vendor == "postgresql":
        assert updates == []
    else:
        assert len(updates) == 1  # SQLite: the pointer to the history row, set afterwards
    stored = Case.objects.get(pk=case.pk)
    assert stored.current_history_id == CaseHistory.objects.get(case=case).pk


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


def test_the_task_backend_writes_the_librarys_row(cw, settings):
    from django_tasks_db.models import DBTaskResult

    from fengqiao.cases.tasks import deliver_notification

    rows = []
    for backend in (
        "django_tasks_db.DatabaseBackend",
        "fengqiao.core.tasks_backend.DatabaseBackend",
    ):
        settings.TASKS = {"default": {"BACKEND": backend, "QUEUES": ["default"]}}
        from django_tasks import task_backends  # reset by the setting_changed signal

        result = deliver_notification.using(backend="default").enqueue(
            {"name": "王女士", "email": "a@example.org", "phone": "13904641234"}, "主题", "正文"
        )
        row = DBTaskResult.objects.get(pk=result.id)
        assert type(task_backends["default"]).__module__.startswith(backend.rsplit(".", 2)[0])
        rows.append(row)
    skip = ("id", "enqueued_at")
    assert _fields(rows[0], skip) == _fields(rows[1], skip)
    assert rows[1].task_result.args[1] == "主题"


@pytest.mark.parametrize("fallback", [False, True])
def test_fastinsert_sends_each_signal_once_on_both_paths(cw, monkeypatch, fallback):
    from django.db.models.signals import post_save, pre_save

    seen = []

    def pre(sender, instance, **kwargs):
        seen.append(("pre", instance.name))

    def post(sender, instance, created, **kwargs):
        seen.append(("post", instance.name, created, instance.pk is not None))

    pre_save.connect(pre, sender=Party)
    post_save.connect(post, sender=Party)
    try:
        case = report(None).case
        if fallback:  # what an INSERT this database cannot take in one statement gets
            monkeypatch.setattr(fastinsert, "_compile", lambda *args: None)
        rows = [Party(case=case, name="甲"), Party(case=case, name="乙")]
        fastinsert.insert(rows)
    finally:
        pre_save.disconnect(pre, sender=Party)
        post_save.disconnect(post, sender=Party)
    assert sorted(seen) == sorted(
        [("pre", "甲"), ("pre", "乙"), ("post", "甲", True, True), ("post", "乙", True, True)]
    )
    assert {p.name for p in Party.objects.filter(case=case)} == {"甲", "乙"}


def test_a_write_refused_by_the_database_fails_the_whole_intake(cw, monkeypatch):
    # Pipelined writes report their errors late: still Django's IntegrityError, nothing kept.
    from django.db import IntegrityError

    from fengqiao.cases import services

    first = report(None).case
    before = (Case.objects.count(), CaseHistory.objects.count(), Party.objects.count())
    real = services._take_numbers

    def same_number(district_code, year):
        _number, case_id, history_id = real(district_code, year)
        return first.tracking_number, case_id, history_id  # unique: refused by the database

    monkeypatch.setattr(services, "_take_numbers", same_number)
    with pytest.raises(IntegrityError):
        report(None, parties=[{"name": "甲"}])
    monkeypatch.undo()
    assert (Case.objects.count(), CaseHistory.objects.count(), Party.objects.count()) == before
    assert report(None).case.pk
