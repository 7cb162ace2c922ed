"""Issue 18 (scale): the key-person and resident searches keep their results and scope with the
order and plans made for 1 M residents; the overdue sweep reads values in a fixed number of
queries whatever the number of key persons."""

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fengqiao.core.validators import id_check_char
from fengqiao.org.models import GridWorker
from fengqiao.registry import services, visits
from fengqiao.registry.models import KeyPerson, KeyPersonKind, VisitEscalation

HUAYUAN_1 = "230903013001001"
SONGSHAN_1 = "230903013002001"


def citizen_id(seq: int) -> str:
    first = f"23090319800101{seq:03d}"
    return first + id_check_char(first)


def _people(world, personas, names_grids_due):
    kind = KeyPersonKind.objects.get(code="serious_mental_disorder")
    made = []
    for i, (name, grid, due) in enumerate(names_grids_due):
        r = services.save_resident(
            personas.street_clerk,
            {
                "grid": world.grids[grid].pk,
                "kind": "registered",
                "name": name,
                "id_number": citizen_id(100 + i),
            },
        )
        kp = services.save_key_person(
            personas.street_clerk,
            {"resident": r.pk, "kind": kind.pk, "risk_level": 3, "started_on": date.today()},
        )
        KeyPerson.objects.filter(pk=kp.pk).update(next_visit_due=due)
        made.append(KeyPerson.objects.get(pk=kp.pk))
    return made


@pytest.fixture
def crowd(world, personas):
    today = date.today()
    return _people(
        world,
        personas,
        [
            ("王伟", HUAYUAN_1, today + timedelta(days=3)),
            ("王伟明", HUAYUAN_1, None),
            ("王伟", SONGSHAN_1, today - timedelta(days=5)),
            ("王丽", HUAYUAN_1, today - timedelta(days=9)),
            ("李伟", SONGSHAN_1, today - timedelta(days=1)),
            ("王伟强", HUAYUAN_1, today - timedelta(days=5)),
        ],
    )


def _expected(people, prefix):
    found = [kp for kp in people if kp.resident.name.startswith(prefix)]
    return [kp.pk for kp in sorted(found, key=lambda k: (k.next_visit_due or date.max, k.pk))]


def test_search_order_is_due_date_then_id_with_none_last(crowd, personas):
    qs = services.visible(personas.street_clerk, KeyPerson).filter(active=True)
    searched = qs.filter(
        resident__in=services.search_residents(services.Resident.objects.all(), "王伟")
    )
    assert [kp.pk for kp in services.by_due_date(searched, True)] == _expected(crowd, "王伟")
    # Without a search, the same rows in the same order where every row has a due date.
    dated = qs.exclude(next_visit_due=None)
    assert list(services.by_due_date(dated, True)) == list(services.by_due_date(dated, False))


def test_api_search_same_rows_scope_kept(crowd, personas, client_for):
    street = client_for(personas.street_clerk)
    body = street.get("/api/v1/registry/key-persons/", {"q": "王伟"}).json()
    assert [r["id"] for r in body["results"]] == _expected(crowd, "王伟")
    assert body["count"] == 4
    # The grid worker of 花园 grid 001 finds only its own grid's people.
    gw = client_for(personas.grid_worker).get("/api/v1/registry/key-persons/", {"q": "王伟"})
    huayuan = [kp for kp in crowd if kp.grid.code == HUAYUAN_1]
    assert [r["id"] for r in gw.json()["results"]] == _expected(huayuan, "王伟")
    # The station of 松山 sees only 松山's.
    st = client_for(personas.station_clerk).get("/api/v1/registry/key-persons/", {"q": "王"})
    songshan = [kp for kp in crowd if kp.grid.code == SONGSHAN_1]
    assert [r["id"] for r in st.json()["results"]] == _expected(songshan, "王")
    assert client_for(personas.outsider).get(
        "/api/v1/registry/key-persons/", {"q": "王伟"}
    ).status_code in (403, 404)
    rows = street.get("/api/v1/registry/residents/", {"q": "王伟"}).json()["results"]
    assert sorted(r["name"] for r in rows) == ["王伟", "王伟", "王伟强", "王伟明"]
    assert client_for(personas.outsider).get(
        "/api/v1/registry/residents/", {"q": "王伟"}
    ).status_code in (403, 404)


def test_page_search_same_rows_and_queries_do_not_grow(crowd, personas, client_for, world):
    street = client_for(personas.street_clerk)
    page = street.get("/registry/key-persons/", {"q": "王伟"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "王伟明" in html and "王伟强" in html and "王丽" not in html and "李伟" not in html
    assert client_for(personas.outsider).get(
        "/registry/key-persons/", {"q": "王伟"}
    ).status_code in (
        403,
        404,
    )
    with CaptureQueriesContext(connection) as few:
        street.get("/api/v1/registry/key-persons/", {"q": "王伟"})
    _people(world, personas, [(f"王伟{c}", HUAYUAN_1, date.today()) for c in "甲乙丙丁戊"])
    with CaptureQueriesContext(connection) as more:
        body = street.get("/api/v1/registry/key-persons/", {"q": "王伟"}).json()
    assert body["count"] == 9
    assert len(more.captured_queries) == len(few.captured_queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plan cache")
@pytest.mark.django_db(transaction=True)
def test_searches_get_plans_for_their_own_values_on_postgresql():
    def mode():
        with connection.cursor() as cur:
            cur.execute("SHOW plan_cache_mode")
            return cur.fetchone()[0]

    before = mode()
    with services.planned_per_search():
        assert transaction.get_connection().in_atomic_block
        assert mode() == "force_custom_plan"
    assert mode() == before  # SET LOCAL ended with its transaction


def test_planned_per_search_keeps_results(crowd, personas):
    qs = services.visible(personas.street_clerk, KeyPerson)
    with services.planned_per_search():
        inside = sorted(qs.values_list("pk", flat=True))
    assert inside == sorted(kp.pk for kp in crowd if kp.grid.code in (HUAYUAN_1, SONGSHAN_1))
    assert inside == sorted(qs.values_list("pk", flat=True))


def test_sweep_reads_values_in_fixed_queries(world, personas, settings):
    from django.test import TestCase

    from tests.case_factories import use_immediate_tasks

    use_immediate_tasks(settings)
    past = date.today() - timedelta(days=3)
    first = _people(world, personas, [("赵一", HUAYUAN_1, past), ("赵二", SONGSHAN_1, past)])
    GridWorker.objects.update(station=world.huayuan_station)
    personas.station_clerk.unit = world.huayuan_station
    personas.station_clerk.email = "station@example.org"
    personas.station_clerk.save()
    with CaptureQueriesContext(connection) as two, TestCase.captureOnCommitCallbacks(execute=True):
        assert visits.sweep_overdue() == len(first)
    more = _people(
        world, personas, [(f"钱{i}", HUAYUAN_1, past - timedelta(days=i)) for i in range(6)]
    )
    KeyPerson.objects.filter(pk__in=[kp.pk for kp in more]).update(
        responsible=GridWorker.objects.get(user=personas.grid_worker)
    )
    with CaptureQueriesContext(connection) as six:
        assert visits.sweep_overdue() == 6
    assert len(six.captured_queries) <= len(two.captured_queries)
    esc = {e.key_person_id: e for e in VisitEscalation.objects.all()}
    for kp in more:
        assert esc[kp.pk].due_on == KeyPerson.objects.get(pk=kp.pk).next_visit_due
        assert esc[kp.pk].station_id == world.huayuan_station.pk
        assert KeyPerson.objects.get(pk=kp.pk).escalated_due == esc[kp.pk].due_on
    assert visits.sweep_overdue() == 0
