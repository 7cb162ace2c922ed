"""REST writes of houses, households, places and organisations (issue 18): the desk's action
through /api/v1/registry/<registry>/ — create, change, scope (404 outside it, 403 without the
permission), phones masked for grid workers, an Idempotency-Key replay saves once, bad values
get a 400 naming the field in Chinese and change nothing."""

import json

import pytest

from fengqiao.core.models import AuditEntry, SensitiveAccess
from fengqiao.registry import records, services
from fengqiao.registry.models import PlaceKind, Resident
from tests.test_registry import HUAYUAN_1, SONGSHAN_1, citizen_id

KINDS = ["houses", "households", "places", "organisations"]
PHONES = {"houses": "owner_phone", "places": "principal_phone", "organisations": "phone"}


def _body(kind: str, grid: int, place_kind: int) -> dict:
    return {
        "houses": {"grid": grid, "address": "花园小区3号楼", "area": "88.50", "use": "mixed"},
        "households": {"grid": grid, "address": "花园小区3号楼201", "head_name": "王五"},
        "places": {"grid": grid, "name": "花园书店", "kind": place_kind, "lon": 126.9},
        "organisations": {"grid": grid, "name": "花园合作社", "kind": "social", "employees": 12},
    }[kind]


# One bad value per registry, with the field it must be reported on.
BAD = {
    "houses": ("area", "-1"),
    "households": ("kind", "tribe"),
    "places": ("lat", 91),
    "organisations": ("employees", -3),
}


@pytest.fixture
def g(world):
    kind = PlaceKind.objects.get_or_create(code="shop", defaults={"name": "商铺"})[0]
    return world.grids[HUAYUAN_1].pk, world.grids[SONGSHAN_1].pk, kind.pk


def _post(c, kind, body, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return c.post(
        f"/api/v1/registry/{kind}/", json.dumps(body), content_type="application/json", **extra
    )


def _patch(c, kind, pk, body):
    return c.patch(
        f"/api/v1/registry/{kind}/{pk}/", json.dumps(body), content_type="application/json"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_create_update_and_replay_through_the_desk_action(kind, g, personas, client_for):
    h1, _s1, pk_kind = g
    model = records.SPECS[kind].model
    c = client_for(personas.grid_worker)
    body = _body(kind, h1, pk_kind)
    if kind in PHONES:
        body[PHONES[kind]] = "13900005555"
    first = _post(c, kind, body, key=f"{kind}-1")
    again = _post(c, kind, body, key=f"{kind}-1")
    assert first.status_code == 201, first.json()
    assert again.status_code == 201 and again.json() == first.json()
    assert model.objects.count() == 1
    obj = model.objects.get()
    made = first.json()
    assert made["id"] == obj.pk and made["grid"] == h1 and made["version"] == 1
    if kind in PHONES:
        # Stored in clear for those who may see it; the grid worker reads it masked.
        assert getattr(obj, PHONES[kind]) == "13900005555"
        assert made[PHONES[kind]] != "13900005555" and made[PHONES[kind]].startswith("139")
    assert AuditEntry.objects.filter(action="create", object_id=str(obj.pk)).exists()

    changed = _patch(c, kind, obj.pk, {"address": "花园小区4号楼"})
    assert changed.status_code == 200, changed.json()
    obj.refresh_from_db()
    assert obj.address == "花园小区4号楼" and obj.version == 2
    if kind in PHONES:
        # An absent (or empty) phone keeps the stored one, as on the desk form.
        assert getattr(obj, PHONES[kind]) == "13900005555"
    shown = client_for(personas.grid_worker).get(f"/api/v1/registry/{kind}/{obj.pk}/")
    assert shown.status_code == 200 and shown.json()["address"] == "花园小区4号楼"


@pytest.mark.parametrize("kind", KINDS)
def test_scope_outsider_and_view_only(kind, g, personas, client_for):
    h1, s1, pk_kind = g
    spec = records.SPECS[kind]
    mine = records.save_record(personas.street_clerk, spec, _body(kind, h1, pk_kind))
    far = records.save_record(personas.street_clerk, spec, _body(kind, s1, pk_kind))
    gw = client_for(personas.grid_worker)
    # Another grid's row: not found, for reading and for writing; nothing changes.
    assert gw.get(f"/api/v1/registry/{kind}/{far.pk}/").status_code == 404
    assert _patch(gw, kind, far.pk, {"address": "改"}).status_code == 404
    assert _post(gw, kind, _body(kind, s1, pk_kind)).status_code == 400
    far.refresh_from_db()
    assert far.address != "改" and far.version == 1
    out = client_for(personas.outsider)
    for resp in (
        out.get(f"/api/v1/registry/{kind}/{mine.pk}/"),
        _patch(out, kind, mine.pk, {"address": "改"}),
        _post(out, kind, _body(kind, h1, pk_kind)),
    ):
        assert resp.status_code == 403
    leader = client_for(personas.leader)
    assert leader.get(f"/api/v1/registry/{kind}/{mine.pk}/").status_code == 200
    assert _patch(leader, kind, mine.pk, {"address": "改"}).status_code == 403
    assert spec.model.objects.count() == 2
    # Station staff over the grid see the phone in clear (and the read is logged).
    if kind in PHONES:
        records.save_record(personas.street_clerk, spec, {PHONES[kind]: "13900006666"}, far)
        clear = client_for(personas.station_clerk).get(f"/api/v1/registry/{kind}/{far.pk}/")
        assert clear.json()[PHONES[kind]] == "13900006666"
        assert SensitiveAccess.objects.filter(field=PHONES[kind]).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_bad_values_name_the_field_in_chinese_and_save_nothing(kind, g, personas, client_for):
    h1, _s1, pk_kind = g
    model = records.SPECS[kind].model
    c = client_for(personas.street_clerk)
    field, value = BAD[kind]
    bad = _post(c, kind, {**_body(kind, h1, pk_kind), field: value})
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in errors[0]["message"]), errors
    assert model.objects.count() == 0
    # Unknown extension fields and a house of another grid come from the action itself.
    unknown = _post(c, kind, {**_body(kind, h1, pk_kind), "extra": {"nope": 1}})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "extra.nope"
    assert model.objects.count() == 0
    obj = records.save_record(personas.street_clerk, records.SPECS[kind], _body(kind, h1, pk_kind))
    assert _patch(c, kind, obj.pk, {field: value}).status_code == 400
    obj.refresh_from_db()
    assert obj.version == 1


def test_household_members_and_house_link(g, world, personas, client_for):
    h1, s1, _ = g
    c = client_for(personas.street_clerk)
    house = _post(c, "houses", {"grid": h1, "address": "花园小区5号楼"}).json()
    far_house = _post(c, "houses", {"grid": s1, "address": "松山小区1号楼"}).json()
    hh = _post(
        c, "households", {"grid": h1, "address": "花园小区5号楼101", "house": house["id"]}
    ).json()
    assert hh["house"] == house["id"] and hh["members"] == []
    wrong = _patch(c, "households", hh["id"], {"house": far_house["id"]})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "house"
    member = services.save_resident(
        personas.street_clerk,
        {"grid": h1, "kind": "registered", "name": "赵六", "id_number": citizen_id(61)},
    )
    # Members join through a resident's household (the resident endpoint).
    joined = c.patch(
        f"/api/v1/registry/residents/{member.pk}/",
        json.dumps({"household": hh["id"], "relation_to_head": "户主"}),
        content_type="application/json",
    )
    assert joined.status_code == 200 and joined.json()["household"] == hh["id"]
    got = c.get(f"/api/v1/registry/households/{hh['id']}/").json()
    assert got["members"] == [member.pk]
    cleared = _patch(c, "households", hh["id"], {"house": None})
    assert cleared.status_code == 200 and cleared.json()["house"] is None
    assert Resident.objects.get(pk=member.pk).household_id == hh["id"]
