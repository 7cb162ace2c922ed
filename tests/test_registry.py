"""Basic data (issue 18): encryption and search, extensions, scope and masking, key persons,
visits (due list, record, case in one step, overdue sweep), retention, pages and API."""

import base64
import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from fengqiao.cases.errors import InvalidInput, NotPermitted
from fengqiao.cases.models import Case, Party
from fengqiao.core import caches
from fengqiao.core.models import SensitiveAccess
from fengqiao.core.validators import id_check_char
from fengqiao.org.models import GridWorker
from fengqiao.registry import crypto, retention, services, visits
from fengqiao.registry.models import (
    Base,
    FieldType,
    KeyPerson,
    KeyPersonKind,
    RegistryField,
    RegistryKind,
    Resident,
    VisitEscalation,
)

HUAYUAN_1 = "230903013001001"
HUAYUAN_2 = "230903013001002"
SONGSHAN_1 = "230903013002001"


def citizen_id(seq: int) -> str:
    first = f"23090319800101{seq:03d}"
    return first + id_check_char(first)


def key(n: int) -> str:
    return base64.b64encode(bytes([n]) * 16).decode()


@pytest.fixture
def reg(world, personas):
    gw = personas.grid_worker
    a = services.save_resident(
        personas.street_clerk,
        {
            "grid": world.grids[HUAYUAN_1].pk,
            "kind": "registered",
            "name": "张建国",
            "id_number": citizen_id(1),
            "phone": "13900001111",
            "health": "高血压",
            "current_address": "花园小区1号楼",
        },
    )
    b = services.save_resident(
        personas.street_clerk,
        {
            "grid": world.grids[SONGSHAN_1].pk,
            "kind": "floating",
            "name": "李红",
            "id_number": citizen_id(2),
        },
    )
    smd = KeyPersonKind.objects.get(code="serious_mental_disorder")
    kp = services.save_key_person(
        personas.street_clerk,
        {
            "resident": a.pk,
            "kind": smd.pk,
            "risk_level": 3,
            "started_on": date.today() - timedelta(days=30),
        },
    )
    assert kp.responsible == GridWorker.objects.get(user=gw)
    return a, b, kp


# -- encryption and search --------------------------------------------------------------------


@pytest.mark.parametrize("cipher", ["sm4gcm", "aesgcm"])
def test_encrypts_with_key_id_and_detects_tampering(settings, cipher):
    settings.REGISTRY_KEYS = f"k1={key(1)}"
    settings.REGISTRY_CIPHER = cipher
    caches.clear_all()
    token = crypto.encrypt("230903198001010011")
    assert token.startswith(f"k1${cipher}$") and "2309031980" not in token
    assert crypto.decrypt(token) == "230903198001010011"
    blob = bytearray(base64.b64decode(token.split("$")[2]))
    blob[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"k1${cipher}${base64.b64encode(bytes(blob)).decode()}")


def test_plain_values_never_reach_the_database(reg):
    a, _, _ = reg
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id_number_ct, phone_ct, health_ct FROM registry_resident WHERE id = %s", [a.pk]
        )
        row = " ".join(cur.fetchone())
    assert citizen_id(1) not in row and "13900001111" not in row and "高血压" not in row
    assert Resident.objects.get(pk=a.pk).id_number == citizen_id(1)


def test_exact_id_search_through_the_keyed_hash(reg, personas):
    a, _, _ = reg
    qs = services.visible(personas.street_clerk, Resident)
    assert list(services.search_residents(qs, citizen_id(1).lower())) == [a]
    assert list(services.search_residents(qs, citizen_id(3))) == []
    assert list(services.search_residents(qs, "张")) == [a]
    assert crypto.HASH_NAME in ("sm3", "sha256")


@pytest.fixture
def k1(settings):
    settings.REGISTRY_KEYS = f"k1={key(1)}"
    caches.clear_all()


def test_rotate_keys_reencrypts_and_old_key_can_go(k1, reg, settings):
    a, _, _kp = reg
    assert Resident.objects.get(pk=a.pk).id_number_ct.startswith("k1$")
    settings.REGISTRY_KEYS = f"k2={key(2)},k1={key(1)}"
    caches.clear_all()
    call_command("registry", "rotate_keys", "--dry-run")
    assert Resident.objects.get(pk=a.pk).id_number_ct.startswith("k1$")
    call_command("registry", "rotate_keys")
    settings.REGISTRY_KEYS = f"k2={key(2)}"
    caches.clear_all()
    fresh = Resident.objects.get(pk=a.pk)
    assert fresh.id_number_ct.startswith("k2$") and fresh.phone_ct.startswith("k2$")
    assert fresh.id_number == citizen_id(1) and fresh.health == "高血压"
    # The hash key changes: --rehash keeps exact search working.
    settings.REGISTRY_HASH_KEY = key(9)
    caches.clear_all()
    call_command("registry", "rotate_keys", "--rehash")
    assert Resident.objects.get(id_hash=crypto.id_hash(citizen_id(1))).pk == a.pk


def test_unknown_key_is_an_error_not_garbage(reg, settings):
    settings.REGISTRY_KEYS = f"k5={key(5)}"
    caches.clear_all()
    with pytest.raises(crypto.DecryptionError):
        assert Resident.objects.get(pk=reg[0].pk).id_number


# -- extensions and validation ------------------------------------------------------------------


def test_extension_fields_are_validated_and_nothing_saved_on_error(world, personas):
    kind = RegistryKind.objects.create(code="rental", name="出租屋信息", base=Base.RESIDENT)
    RegistryField.objects.create(
        kind=kind, code="rooms", label="房间数", type=FieldType.NUMBER, required=True
    )
    RegistryField.objects.create(kind=kind, code="since", label="起租日期", type=FieldType.DATE)
    RegistryField.objects.create(
        kind=kind, code="use", label="用途", type=FieldType.CHOICE, choices=["居住", "经营"]
    )
    data = {"grid": world.grids[HUAYUAN_1].pk, "kind": "floating", "name": "王五"}
    with pytest.raises(InvalidInput) as e:
        services.save_resident(
            personas.street_clerk,
            {
                **data,
                "id_number": "123",
                "extra": {"rooms": "三", "since": "2024-13-01", "use": "仓储", "x": 1},
            },
        )
    fields = {x.field for x in e.value.errors}
    assert fields == {"id_number", "extra.rooms", "extra.since", "extra.use", "extra.x"}
    assert not Resident.objects.filter(name="王五").exists()
    r = services.save_resident(
        personas.street_clerk,
        {**data, "extra": {"rooms": "3", "since": "2024-03-01", "use": "居住"}},
    )
    assert r.extra == {"rooms": 3, "since": "2024-03-01", "use": "居住"}


def test_grid_outside_scope_is_refused(world, personas):
    with pytest.raises(InvalidInput) as e:
        services.save_resident(
            personas.station_clerk,
            {"grid": world.grids[HUAYUAN_1].pk, "kind": "registered", "name": "赵六"},
        )
    assert e.value.field == "grid"
    with pytest.raises(NotPermitted):
        services.save_resident(
            personas.leader,
            {"grid": world.grids[HUAYUAN_1].pk, "kind": "registered", "name": "赵六"},
        )


# -- scope and masking --------------------------------------------------------------------------


def test_scope_by_grid_and_subtree(reg, personas):
    a, b, _ = reg
    assert list(services.visible(personas.grid_worker, Resident)) == [a]
    assert list(services.visible(personas.station_clerk, Resident)) == [b]
    assert set(services.visible(personas.street_clerk, Resident)) == {a, b}
    assert not services.visible(personas.outsider, Resident).exists()
    assert not services.visible(personas.liaison, Resident).exists()


def test_grid_worker_sees_masked_id_and_station_sees_it_logged(reg, personas, client_for):
    a, _, _ = reg
    page = client_for(personas.grid_worker).get(f"/registry/residents/{a.pk}/").content.decode()
    assert citizen_id(1) not in page and "高血压" not in page
    assert "230***********" in page
    # The grid worker visits this key person: the phone is shown to reach them, and logged.
    assert "13900001111" in page
    assert SensitiveAccess.objects.filter(actor=personas.grid_worker, field="phone").exists()
    page = client_for(personas.street_clerk).get(f"/registry/residents/{a.pk}/").content.decode()
    assert citizen_id(1) in page and "高血压" in page
    logged = set(
        SensitiveAccess.objects.filter(actor=personas.street_clerk).values_list("field", flat=True)
    )
    assert logged == {"id_number", "phone", "health"}


def test_resident_page_lists_cases_by_id_number(reg, personas, client_for, world):
    a, _, _ = reg
    from fengqiao.cases.actions import intake
    from fengqiao.cases.models import Category

    cat = Category.objects.filter(children__isnull=True, kind="dispute").first()
    case = intake(
        personas.street_clerk,
        {
            "category": cat.code,
            "title": "邻里纠纷",
            "description": "吵闹",
            "address": "花园小区",
            "parties": [
                {
                    "name": "张建国",
                    "id_type": "citizen_id",
                    "id_number": citizen_id(1),
                    "role": "other",
                }
            ],
        },
        "walk_in",
    ).case
    assert Party.objects.filter(case=case, id_number=citizen_id(1)).exists()
    page = client_for(personas.street_clerk).get(f"/registry/residents/{a.pk}/").content.decode()
    assert case.tracking_number in page


# -- key persons and visits ---------------------------------------------------------------------


def test_schedule_by_risk_level_and_due_list(reg, personas):
    _, _, kp = reg
    assert kp.next_visit_due == kp.started_on + timedelta(days=14)  # level 3: every 14 days
    rows = visits.visits_due_for(personas.grid_worker, date.today())
    assert [r.key_person for r in rows] == [kp] and rows[0].state == "overdue"
    assert visits.visits_due_for(personas.station_clerk, date.today()) == []
    assert visits.visits_due_for(personas.outsider, date.today()) == []


def test_visit_reschedules_and_closes_escalation(reg, personas):
    _, _, kp = reg
    assert visits.sweep_overdue() == 1
    assert visits.sweep_overdue() == 0  # once per missed due date
    esc = VisitEscalation.objects.get(key_person=kp)
    assert esc.due_on == kp.next_visit_due
    v = visits.record_visit(
        personas.grid_worker, kp, {"findings": "情绪稳定，按时服药", "risk_level_after": 1}
    )
    kp.refresh_from_db()
    assert kp.risk_level == 1 and kp.last_visit_on == v.visited_on
    assert kp.next_visit_due == v.visited_on + timedelta(days=90)
    esc.refresh_from_db()
    assert esc.resolved_at is not None


def test_visit_errors_change_nothing(reg, personas):
    _, _, kp = reg
    with pytest.raises(InvalidInput) as e:
        visits.record_visit(
            personas.grid_worker,
            kp,
            {
                "findings": "",
                "visited_on": (date.today() + timedelta(days=2)).isoformat(),
                "risk_level_after": 9,
            },
        )
    assert {x.field for x in e.value.errors} == {"findings", "visited_on", "risk_level_after"}
    assert not kp.visits.exists()
    with pytest.raises(services.RecordNotFound):
        visits.record_visit(personas.station_clerk, kp, {"findings": "x"})


def test_visit_that_finds_a_risk_creates_a_case_in_one_step(reg, personas):
    _, _, kp = reg
    from fengqiao.cases.models import Category

    cat = Category.objects.filter(children__isnull=True, kind="dispute").first()
    with pytest.raises(InvalidInput) as e:
        visits.record_visit(
            personas.grid_worker,
            kp,
            {"findings": "与邻居争吵", "risk_found": True, "case": {"category": "nope"}},
        )
    assert e.value.field.startswith("case.")
    assert not kp.visits.exists() and not Case.objects.exists()
    v = visits.record_visit(
        personas.grid_worker,
        kp,
        {"findings": "与邻居争吵", "risk_found": True, "case": {"category": cat.code}},
    )
    assert v.case is not None and v.case.channel.code == "grid_patrol"


def test_retention_anonymises_what_ended(reg, personas):
    a, b, kp = reg
    Resident.objects.filter(pk=b.pk).update(ended_on=date.today() - timedelta(days=4 * 365))
    KeyPerson.objects.filter(pk=kp.pk).update(
        active=False, ended_on=date.today() - timedelta(days=10)
    )
    assert retention.apply_rules() == 1
    b.refresh_from_db()
    assert b.name == "已匿名" and b.id_number_ct == "" and b.id_hash == "" and b.anonymised_at
    a.refresh_from_db()
    assert a.anonymised_at is None and a.id_number == citizen_id(1)
    assert retention.apply_rules() == 0


# -- pages and API: every one refuses outsiders --------------------------------------------------

PAGES = [
    "/registry/",
    "/registry/households/",
    "/registry/places/",
    "/registry/organisations/",
    "/registry/key-persons/",
    "/registry/visits/due/",
]


def test_pages_for_grid_worker_and_outsider(reg, personas, client_for):
    a, b, kp = reg
    gw, out = client_for(personas.grid_worker), client_for(personas.outsider)
    for url in [*PAGES, f"/registry/residents/{a.pk}/", f"/registry/key-persons/{kp.pk}/"]:
        assert gw.get(url).status_code == 200, url
        assert out.get(url).status_code == 403, url
    assert gw.get(f"/registry/residents/{b.pk}/").status_code == 404
    assert "张建国" in gw.get("/registry/visits/due/").content.decode()
    assert client_for(personas.liaison).get("/registry/").status_code == 403


def test_visit_form_posts_and_shows_errors(reg, personas, client_for):
    _, _, kp = reg
    c = client_for(personas.grid_worker)
    r = c.post(f"/registry/key-persons/{kp.pk}/", {"findings": "", "method": "home"})
    assert r.status_code == 200 and not kp.visits.exists()
    r = c.post(f"/registry/key-persons/{kp.pk}/", {"findings": "正常", "method": "phone"})
    assert r.status_code == 302 and kp.visits.count() == 1
    assert (
        client_for(personas.station_clerk)
        .post(f"/registry/key-persons/{kp.pk}/", {"findings": "x"})
        .status_code
        == 404
    )


API = [
    "/api/v1/registry/residents/",
    "/api/v1/registry/key-persons/",
    "/api/v1/registry/key-person-kinds/",
    "/api/v1/registry/visits/due/",
    "/api/v1/registry/households/",
    "/api/v1/registry/houses/",
    "/api/v1/registry/places/",
    "/api/v1/registry/organisations/",
]


def test_api_scope_masking_and_outsider(reg, personas, client_for):
    a, b, kp = reg
    out = client_for(personas.outsider)
    for url in [
        *API,
        f"/api/v1/registry/residents/{a.pk}/",
        f"/api/v1/registry/key-persons/{kp.pk}/",
        f"/api/v1/registry/key-persons/{kp.pk}/visits/",
    ]:
        assert out.get(url).status_code == 403, url
    gw = client_for(personas.grid_worker)
    rows = gw.get("/api/v1/registry/residents/").json()["results"]
    assert [r["name"] for r in rows] == ["张建国"] and rows[0]["id_number"].startswith("230***")
    assert gw.get(f"/api/v1/registry/residents/{b.pk}/").status_code == 404
    found = (
        client_for(personas.street_clerk)
        .get("/api/v1/registry/residents/", {"q": citizen_id(2)})
        .json()
    )
    assert [r["id_number"] for r in found["results"]] == [citizen_id(2)]
    assert gw.get("/api/v1/registry/visits/due/").json()[0]["key_person"] == kp.pk


def test_api_writes_with_idempotency_and_400s(reg, personas, client_for, world):
    _, _, kp = reg
    c = client_for(personas.street_clerk)
    body = {
        "grid": world.grids[HUAYUAN_2].pk,
        "kind": "registered",
        "name": "周七",
        "id_number": citizen_id(7),
    }
    first = c.post(
        "/api/v1/registry/residents/",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="r-1",
    )
    again = c.post(
        "/api/v1/registry/residents/",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="r-1",
    )
    assert first.status_code == 201 and again.json() == first.json()
    assert Resident.objects.filter(name="周七").count() == 1
    bad = c.post(
        "/api/v1/registry/residents/",
        json.dumps({**body, "id_number": "1"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "id_number" in json.dumps(bad.json())
    v = client_for(personas.grid_worker).post(
        f"/api/v1/registry/key-persons/{kp.pk}/visits/",
        json.dumps({"findings": "在家"}),
        content_type="application/json",
    )
    assert v.status_code == 201
    denied = client_for(personas.leader).post(
        f"/api/v1/registry/key-persons/{kp.pk}/visits/",
        json.dumps({"findings": "在家"}),
        content_type="application/json",
    )
    assert denied.status_code == 403


def test_api_registry_lists_are_scoped(reg, personas, client_for, world):
    from fengqiao.registry.models import Household, Organisation, Place, PlaceKind

    _a, b, _ = reg
    hh = Household.objects.create(grid=world.grids[SONGSHAN_1], number="H1", address="松山小区")
    Resident.objects.filter(pk=b.pk).update(household=hh)
    Place.objects.create(
        grid=world.grids[HUAYUAN_1], name="超市", kind=PlaceKind.objects.get(code="shop")
    )
    Organisation.objects.create(grid=world.grids[SONGSHAN_1], name="物业公司", kind="non_public")
    gw, street = client_for(personas.grid_worker), client_for(personas.street_clerk)
    assert gw.get("/api/v1/registry/households/").json()["count"] == 0
    assert street.get("/api/v1/registry/households/").json()["results"][0]["members"] == [b.pk]
    assert [p["name"] for p in gw.get("/api/v1/registry/places/").json()["results"]] == ["超市"]
    assert gw.get("/api/v1/registry/organisations/").json()["count"] == 0
    assert (
        client_for(personas.station_clerk).get("/api/v1/registry/organisations/").json()["count"]
        == 1
    )
    assert "物业公司" in street.get("/registry/organisations/").content.decode()


# -- import and export ---------------------------------------------------------------------------


def _csv(rows: list[list[str]]) -> bytes:
    from fengqiao.registry.importing import COLUMNS

    header = ",".join(h for h, _f in COLUMNS)
    return ("\ufeff" + "\n".join([header, *(",".join(r) for r in rows)])).encode()


def _row(grid: str, name: str, kind: str = "户籍人口", idn: str = "", sex: str = "男") -> list[str]:
    return [grid, name, sex, kind, "", "居民身份证", idn, "", "汉族", "", "", "", "", "", "", ""]


def test_import_all_or_nothing_with_row_report_and_dry_run(world, personas):
    from fengqiao.registry.importing import import_residents

    good = [_row(HUAYUAN_1, "钱一", idn=citizen_id(11)), _row(HUAYUAN_2, "钱二", kind="流动人口")]
    bad = [
        *good,
        _row(SONGSHAN_1, "钱三"),
        _row(HUAYUAN_1, "", kind="外星人", idn="123"),
        _row(HUAYUAN_1, "钱五", idn=citizen_id(11)),
    ]
    report = import_residents(personas.grid_worker, "r.csv", _csv(bad))
    assert not report.ok and Resident.objects.count() == 0
    got = {(e.row, e.column) for e in report.errors}
    assert got == {
        (3, "网格编码"),  # the grid worker's scope is one grid
        (4, "网格编码"),
        (5, "人口类型"),
        (5, "姓名"),
        (5, "公民身份号码"),
        (6, "公民身份号码"),
    }
    assert report.errors[0].reason == "请选择您管辖范围内的网格。"
    dry = import_residents(personas.street_clerk, "r.csv", _csv(good), dry_run=True)
    assert dry.ok and dry.rows == 2 and Resident.objects.count() == 0
    done = import_residents(personas.street_clerk, "r.csv", _csv(good))
    assert (
        done.created == 2
        and services.find_resident_by_id(personas.street_clerk, citizen_id(11)).name == "钱一"
    )
    again = import_residents(personas.street_clerk, "r.csv", _csv(good[:1]))
    assert [(e.row, e.column) for e in again.errors] == [(2, "公民身份号码")]
    broken = import_residents(personas.street_clerk, "r.xlsx", b"not a workbook")
    assert not broken.ok


def test_import_xlsx_and_export_same_layout(
    world, personas, client_for, settings, django_capture_on_commit_callbacks
):
    from openpyxl import Workbook

    from fengqiao.registry.importing import COLUMNS, import_residents
    from tests.case_factories import use_immediate_tasks

    wb = Workbook()
    wb.active.append([h for h, _f in COLUMNS])
    wb.active.append(_row(HUAYUAN_1, "孙八", idn=citizen_id(12), sex="女"))
    buf = __import__("io").BytesIO()
    wb.save(buf)
    assert import_residents(personas.street_clerk, "r.xlsx", buf.getvalue()).created == 1
    body = b"".join(
        client_for(personas.street_clerk)
        .get("/registry/residents/export/?format=csv")
        .streaming_content
    )
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["网格编码", "姓名", "性别"]
    assert f"{HUAYUAN_1},孙八,女,户籍人口" in lines[1] and citizen_id(12) in lines[1]
    masked = b"".join(
        client_for(personas.grid_worker)
        .get("/registry/residents/export/?format=csv")
        .streaming_content
    )
    assert citizen_id(12) not in masked.decode("utf-8-sig")
    assert client_for(personas.outsider).get("/registry/residents/export/").status_code == 403
    assert client_for(personas.outsider).get("/registry/residents/import/").status_code == 403
    assert client_for(personas.leader).post("/registry/residents/import/").status_code == 403
    # The page runs the import in the background; its job page shows the row report.
    use_immediate_tasks(settings)
    clerk = client_for(personas.street_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        posted = clerk.post(
            "/registry/residents/import/",
            {
                "file": __import__(
                    "django.core.files.uploadedfile", fromlist=["x"]
                ).SimpleUploadedFile("r.csv", _csv([_row(HUAYUAN_1, "")])),
                "dry_run": "1",
            },
        )
    assert posted.status_code == 302 and posted["Location"].startswith("/registry/imports/")
    html = clerk.get(posted["Location"]).content.decode()
    assert "未保存任何数据" in html and "<td>2</td><td>姓名</td>" in html


def test_key_person_summary_with_drill_down(reg, personas, client_for):
    _, _, kp = reg
    page = client_for(personas.street_clerk).get("/registry/key-persons/").content.decode()
    assert "0.00 %" in page and f"kind={kp.kind_id}" in page and "state=overdue" in page
    visits.record_visit(personas.grid_worker, kp, {"findings": "正常"})
    page = client_for(personas.street_clerk).get("/registry/key-persons/").content.decode()
    assert "100.00 %" in page
    overdue = client_for(personas.street_clerk).get("/registry/key-persons/?state=overdue")
    assert "张建国" not in overdue.content.decode()


def test_overdue_sweep_notifies_the_station(reg, personas, world, settings):
    from django.core import mail

    from tests.case_factories import use_immediate_tasks

    use_immediate_tasks(settings)
    _, _, kp = reg
    GridWorker.objects.filter(pk=kp.responsible_id).update(station=world.huayuan_station)
    personas.station_clerk.unit = world.huayuan_station
    personas.station_clerk.email = "station@example.org"
    personas.station_clerk.save()
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert visits.sweep_overdue() == 1
    assert [m.to for m in mail.outbox] == [["station@example.org"]]
    assert "张建国" in mail.outbox[0].body
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert visits.sweep_overdue() == 0
    assert len(mail.outbox) == 1


def test_local_registry_records_validated_and_scoped(world, personas, client_for):
    kind = RegistryKind.objects.create(code="rental_rooms", name="出租房屋台账")
    RegistryField.objects.create(
        kind=kind, code="rooms", label="间数", type=FieldType.NUMBER, required=True
    )
    c = client_for(personas.street_clerk)
    url = "/api/v1/registry/records/"
    body = {"kind": kind.pk, "grid": world.grids[HUAYUAN_1].pk, "name": "花园路8号"}
    bad = c.post(
        url, json.dumps({**body, "extra": {"rooms": "many"}}), content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "extra.rooms"
    ok = c.post(url, json.dumps({**body, "extra": {"rooms": 4}}), content_type="application/json")
    assert ok.status_code == 201 and ok.json()["extra"] == {"rooms": 4}
    assert client_for(personas.grid_worker).get(url).json()["count"] == 1
    assert client_for(personas.station_clerk).get(url).json()["count"] == 0
    assert client_for(personas.outsider).get(url).status_code == 403
