"""The intake's fast paths give the same answers as the slow ones they replace.

- The 201 answer of an intake is built from the rows in memory; it must equal what a GET of
  the same case answers afterwards, for every persona (masking, history, allowed actions).
- `in_scope_known` decides scope without a query; it must agree with `in_scope`.
- Reference data comes from per-process snapshots; a change must be seen at once in the
  process that made it, within REFDATA_CHECK_SECONDS elsewhere, and never survive a rollback.
- Output through one bound serializer equals the serializer's own `.data`.
- Sensitive reads are logged in one INSERT; background tasks follow the transaction.
"""

import json

import pytest
from django.db import connection, transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import ROLE_PERMISSIONS, Perm
from fengqiao.api.models import IdempotencyRecord
from fengqiao.api.output import represent
from fengqiao.cases import actions, reference
from fengqiao.cases.actions import registration as intake_module
from fengqiao.cases.models import Case, Category, HandlingLevel, RoutingRule
from fengqiao.cases.serializers import CaseCoreSerializer, CaseListItemSerializer
from fengqiao.cases.workflow import in_scope_known
from fengqiao.core import refdata
from fengqiao.core.background import enqueue_with_transaction
from fengqiao.core.masking import batched_sensitive_reads, log_sensitive_read
from fengqiao.core.models import RefDataState, SensitiveAccess
from fengqiao.territory.models import Region
from tests.case_factories import (
    HEPAN_POINT,
    HUAYUAN_POINT,
    OUTSIDE_POINT,
    SONGSHAN_POINT,
    VALID_ID,
    make_case_world,
    report,
)
from tests.factories import make_personas

BASE = "/api/v1/cases/"
ALL_PERMS = sorted({p for perms in ROLE_PERMISSIONS.values() for p in perms})


@pytest.fixture
def cw(world):
    return make_case_world(world)


def _body(point=HUAYUAN_POINT, **over) -> dict:
    data = {
        "channel": "walk_in",
        "kind": "dispute",
        "category": "construction_disturbance",
        "title": "工地夜间施工噪音",
        "description": "工地夜里施工，噪音很大",
        "reporter_name": "王女士",
        "reporter_phone": "13904641234",
        "parties": [{"name": "李四", "id_number": VALID_ID, "phone": "13904645678"}],
    }
    if point is not None:
        data["lon"], data["lat"] = point
    data.update(over)
    return data


def _post(client, body, **headers):
    return client.post(BASE, json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize("point", [HUAYUAN_POINT, SONGSHAN_POINT, HEPAN_POINT, OUTSIDE_POINT, None])
def test_the_intake_answer_equals_the_case_read_back(world, cw, client_for, point):
    personas = make_personas(world)
    for user in (cw.huayuan_clerk, cw.district_clerk, personas.grid_worker, personas.street_clerk):
        if not access_for(user).has_perm(Perm.CASE_REPORT) and not access_for(user).has_perm(
            Perm.CASE_REGISTER
        ):
            continue
        c = client_for(user)
        channel = "grid_patrol" if user == personas.grid_worker else "walk_in"
        created = _post(c, _body(point, channel=channel))
        assert created.status_code == 201, created.content
        body = created.json()
        again = c.get(f"{BASE}{body['id']}/")
        if again.status_code == 404:
            # Reported outside what the reporter may see: the answer must not show more than
            # a reader with the same scope would get (no history beyond the public entry).
            assert body["allowed_transitions"] == []
            continue
        assert again.status_code == 200
        assert again.json() == body, user.username


def test_in_scope_known_agrees_with_the_query(world, cw):
    personas = make_personas(world)
    users = [
        cw.huayuan_clerk,
        cw.district_clerk,
        cw.civil_liaison,
        *(getattr(personas, n) for n in ("grid_worker", "station_clerk", "street_clerk")),
        *(getattr(personas, n) for n in ("leader", "liaison", "admin", "outsider")),
    ]
    cases = [
        report(None, **({"lon": p[0], "lat": p[1]} if p else {"lon": None, "lat": None})).case
        for p in (HUAYUAN_POINT, SONGSHAN_POINT, HEPAN_POINT, OUTSIDE_POINT, None)
    ]
    compared = 0
    for case in cases:
        case.refresh_from_db()
        for user in users:
            access = access_for(user)
            for perm in ALL_PERMS:
                known = in_scope_known(case, access, perm)
                assert known == access.holds(case, perm), (user.username, perm, case.pk)
                compared += 1
    assert compared > 100


def test_intake_over_the_api_keeps_its_query_budget(cw, client_for, django_assert_max_num_queries):
    c = client_for(cw.huayuan_clerk)
    assert _post(c, _body(), HTTP_IDEMPOTENCY_KEY="warm").status_code == 201  # snapshots load
    # Session auth, the idempotency claim and its commit, roles, duplicates, the number, five
    # inserts (and on SQLite a pointer update), the task row, the sensitive-read log, the stored
    # answer; and the hash chains (issue 13): the case history's anchor, the read log's chain
    # head and anchor.
    with django_assert_max_num_queries(31):
        assert _post(c, _body(), HTTP_IDEMPOTENCY_KEY="measured").status_code == 201


# -- reference snapshots ---------------------------------------------------------------------


def test_a_saved_change_is_seen_at_once_in_this_process(cw, settings):
    settings.REFDATA_CHECK_SECONDS = 3600
    assert report(None).case.handling_level == HandlingLevel.COMMUNITY  # cw's rule matches
    rule = RoutingRule.objects.get(pk=cw.noise_rule.pk)
    rule.active = False
    rule.save()
    assert report(None).case.handling_level == HandlingLevel.DISTRICT  # triage now


def test_a_change_made_elsewhere_is_seen_after_the_check_interval(cw, settings):
    settings.REFDATA_CHECK_SECONDS = 3600
    assert report(None).case.handling_level == HandlingLevel.COMMUNITY
    # Another process: a bulk write and the generation bump, no signal reaches this process.
    RoutingRule.objects.filter(pk=cw.noise_rule.pk).update(active=False)
    RefDataState.objects.update_or_create(pk=1, defaults={"generation": 99})
    assert report(None).case.handling_level == HandlingLevel.COMMUNITY  # not checked yet
    settings.REFDATA_CHECK_SECONDS = 0
    assert report(None).case.handling_level == HandlingLevel.DISTRICT


def test_a_snapshot_read_in_a_rolled_back_transaction_does_not_survive(cw, settings):
    settings.REFDATA_CHECK_SECONDS = 0
    noise = Category.objects.get(code="construction_disturbance")
    with transaction.atomic():
        noise.name = "改过的名字"
        noise.save()
        assert reference.category("construction_disturbance").name == "改过的名字"
        transaction.set_rollback(True)
    assert (
        reference.category("construction_disturbance").name
        == noise.__class__.objects.get(pk=noise.pk).name
    )
    assert reference.category("construction_disturbance").name != "改过的名字"


def test_bulk_writers_call_changed(cw, settings):
    settings.REFDATA_CHECK_SECONDS = 3600
    assert reference.region(cw.huayuan_clerk.unit.region_id).name
    before = refdata.current_generation()
    Region.objects.filter(pk=cw.huayuan_clerk.unit.region_id).update(name="新名")
    refdata.changed()
    assert refdata.current_generation() != before
    assert reference.region(cw.huayuan_clerk.unit.region_id).name == "新名"


# -- tracking numbers ------------------------------------------------------------------------


def test_numbers_continue_after_the_numbers_already_used(cw):
    from fengqiao.cases.models import TrackingCounter

    TrackingCounter.objects.create(district_code="230903", year=2031, last=41)
    assert actions.allocate_tracking_number("230903", 2031) == "230903-2031-000042"
    assert actions.allocate_tracking_number("230903", 2031) == "230903-2031-000043"


def test_a_new_counter_starts_after_the_highest_number_cases_carry(cw):
    # Cases numbered before the counter row existed (imported, or an earlier numbering).
    case = report(None).case
    Case.objects.filter(pk=case.pk).update(tracking_number="230903-2032-000107")
    assert actions.allocate_tracking_number("230903", 2032) == "230903-2032-000108"


# -- output, sensitive reads, tasks ----------------------------------------------------------


def test_bound_output_equals_the_serializer(cw):
    cases = [report(None).case, report(None, lon=None, lat=None).case]
    for case in Case.objects.filter(pk__in=[c.pk for c in cases]).select_related(
        "category", "channel", "handling_unit", "community", "grid"
    ):
        assert represent(CaseCoreSerializer, case) == dict(CaseCoreSerializer(case).data)
        assert represent(CaseListItemSerializer, case) == dict(CaseListItemSerializer(case).data)


def test_sensitive_reads_in_a_batch_are_one_insert(cw, django_assert_num_queries):
    case = report(None).case
    # One insert of the rows, whatever their number, with the chain's head read before it and
    # its anchor written after (issue 13); PostgreSQL first picks a free shard (advisory lock).
    queries = 4 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(queries), batched_sensitive_reads():
        log_sensitive_read(cw.huayuan_clerk, case, "reporter_phone", "test")
        log_sensitive_read(cw.huayuan_clerk, case, "reporter_email", "test")
        log_sensitive_read(cw.huayuan_clerk, case, "reporter_name", "test")
    assert SensitiveAccess.objects.filter(object_id=str(case.pk)).count() == 3
    with pytest.raises(RuntimeError), batched_sensitive_reads():
        log_sensitive_read(cw.huayuan_clerk, case, "reporter_phone", "test")
        raise RuntimeError("the page was not shown")
    assert SensitiveAccess.objects.filter(object_id=str(case.pk)).count() == 3


def test_a_task_on_the_database_backend_commits_with_the_work(db, settings):
    from fengqiao.cases.tasks import deliver_notification

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    before = DBTaskResult.objects.count()
    with transaction.atomic():
        enqueue_with_transaction(deliver_notification, {"email": "a@example.org"}, "s", "b")
        assert DBTaskResult.objects.count() == before + 1  # in the transaction, not after it
        transaction.set_rollback(True)
    assert DBTaskResult.objects.count() == before


def test_a_task_on_another_backend_waits_for_the_commit(
    db, settings, django_capture_on_commit_callbacks
):
    from fengqiao.cases.tasks import deliver_notification

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue_with_transaction(deliver_notification, {"email": "a@example.org"}, "s", "b")
    assert len(callbacks) == 1


# -- idempotent writes -----------------------------------------------------------------------


def test_a_server_error_rolls_the_write_back_and_frees_the_key(cw, monkeypatch):
    c = Client(raise_request_exception=False)
    c.force_login(cw.huayuan_clerk, backend="django.contrib.auth.backends.ModelBackend")

    def broken(case):
        raise RuntimeError("after the case was written")

    monkeypatch.setattr(intake_module, "notify_registered", broken)
    failed = _post(c, _body(), HTTP_IDEMPOTENCY_KEY="k-500")
    assert failed.status_code == 500
    assert not Case.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    ok = _post(c, _body(), HTTP_IDEMPOTENCY_KEY="k-500")
    assert ok.status_code == 201 and Case.objects.count() == 1


def test_community_scopes_compare_paths_by_equality(world, cw):
    from fengqiao.accounts.access import LOWEST_LEVEL
    from fengqiao.territory.models import Region

    # Nothing lies below a community: equality is the same set as the prefix.
    assert LOWEST_LEVEL == Region.Level.COMMUNITY == max(Region.Level.values)
    scope = access_for(cw.huayuan_clerk).scope(Perm.CASE_VIEW)
    assert scope.leaf_paths == {world.huayuan.path}
    assert "region_path__startswith" not in str(scope.q(path="region_path"))
    district = access_for(cw.district_clerk).scope(Perm.CASE_VIEW)
    assert not district.leaf_paths
    assert "region_path__startswith" in str(district.q(path="region_path"))


# The statements of one intake over the API with an API token, a party and a warning rule that
# fires, once the process's snapshots are loaded: token and access key; the duplicate
# candidates, the tracking counter, the case, its party, history row and pointer, inbox item and
# search document; the repeat-reporter count; the warning (no duplicate look-up for a case made
# in this transaction), its history (its chain starts there: no head look-up) and audit rows; the reporter's and the warning's task rows;
# the answer's read log; every chain's anchor in one INSERT. PostgreSQL adds BEGIN/COMMIT and the
# audit and read-log shard locks; SQLite writes the search document in four statements.
INTAKE_STATEMENTS = {"postgresql": 27, "sqlite": 28}


def test_intake_over_the_api_has_a_fixed_number_of_statements(world, cw, django_assert_num_queries):
    from fengqiao.api.tokens import issue_token
    from fengqiao.risk.models import Level, RuleKind, Warning, WarningRule

    WarningRule.objects.create(
        name="group", kind=RuleKind.GROUP_DISPUTE, params={"people": 5}, level=Level.HIGH,
        region=world.district, enabled=True,
    )  # fmt: skip
    WarningRule.objects.create(
        name="repeat", kind=RuleKind.REPEAT_REPORTER, params={"days": 30, "count": 3},
        level=Level.MEDIUM, region=world.district, enabled=True,
    )  # fmt: skip
    token = issue_token(cw.huayuan_clerk, actor=None, name="budget").secret
    c = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert _post(c, _body(people_involved=9)).status_code == 201  # snapshots load
    with django_assert_num_queries(INTAKE_STATEMENTS[connection.vendor]):
        answer = _post(c, _body(people_involved=9, reporter_phone="13904649999"))
    assert answer.status_code == 201, answer.content
    assert Warning.objects.filter(case_id=answer.json()["id"]).count() == 1
