"""The registry desk: detail and edit pages of residents, houses, households (members),
places, organisations and local registry records; scoped, masked, bad values change nothing;
the resident export (XLSX, the import layout) imports back as it is."""

import io

import pytest
from openpyxl import load_workbook

from fengqiao.core.models import SensitiveAccess
from fengqiao.registry import importing, records, services
from fengqiao.registry.models import (
    ExtraRecord,
    House,
    Household,
    Organisation,
    Place,
    PlaceKind,
    RegistryField,
    RegistryKind,
    Resident,
)
from tests.test_registry import HUAYUAN_1, SONGSHAN_1, citizen_id


@pytest.fixture
def desk(world, personas):
    clerk = personas.street_clerk
    g1, g2 = world.grids[HUAYUAN_1], world.grids[SONGSHAN_1]
    kind = PlaceKind.objects.get_or_create(code="shop", defaults={"name": "商铺"})[0]
    local = RegistryKind.objects.create(code="wells", name="水井台账")
    RegistryField.objects.create(kind=local, code="depth", label="深度", type="number")
    house = records.save_record(
        clerk, records.SPECS["houses"], {"grid": g1.pk, "address": "花园小区1号楼", "extra": {}}
    )
    hh = records.save_record(
        clerk,
        records.SPECS["households"],
        {"grid": g1.pk, "address": "花园小区1号楼101", "head_name": "张建国", "house": house.pk},
    )
    place = records.save_record(
        clerk,
        records.SPECS["places"],
        {"grid": g1.pk, "name": "花园超市", "kind": kind.pk, "principal_phone": "13900002222"},
    )
    org = records.save_record(
        clerk,
        records.SPECS["organisations"],
        {"grid": g1.pk, "name": "花园物业", "kind": "non_public", "phone": "13900003333"},
    )
    rec = records.save_record(
        clerk,
        records.SPECS["records"],
        {"grid": g1.pk, "kind": local.pk, "name": "1号井", "extra": {"depth": "12"}},
    )
    far = records.save_record(
        clerk, records.SPECS["households"], {"grid": g2.pk, "address": "松山小区9号"}
    )
    member = services.save_resident(
        clerk,
        {
            "grid": g1.pk,
            "kind": "registered",
            "name": "张建国",
            "id_number": citizen_id(41),
            "phone": "13900001111",
            "household": hh.pk,
            "relation_to_head": "户主",
        },
    )
    return {
        "houses": house,
        "households": hh,
        "places": place,
        "organisations": org,
        "records": rec,
        "far": far,
        "member": member,
        "local": local,
        "kind": kind,
    }


def _urls(d):
    out = []
    for slug in ("houses", "households", "places", "organisations", "records"):
        pk = d[slug].pk
        out += [f"/registry/{slug}/", f"/registry/{slug}/{pk}/", f"/registry/{slug}/{pk}/edit/"]
        out.append(f"/registry/{slug}/new/")
    m = d["member"].pk
    return [
        *out,
        "/registry/residents/new/",
        f"/registry/residents/{m}/edit/",
        "/registry/residents/export/",
    ]


def test_outsider_and_leader_get_nothing(desk, personas, client_for):
    out = client_for(personas.outsider)
    for url in _urls(desk):
        assert out.get(url).status_code in (403, 404), url
    r = out.post(f"/registry/households/{desk['households'].pk}/edit/", {"address": "x"})
    assert r.status_code in (403, 404)
    # The leader views the registries but edits nothing.
    lead = client_for(personas.leader)
    assert lead.get(f"/registry/households/{desk['households'].pk}/edit/").status_code == 403
    assert Household.objects.get(pk=desk["households"].pk).address == "花园小区1号楼101"


def test_grid_worker_sees_own_grid_only_and_masked(desk, personas, client_for):
    gw = client_for(personas.grid_worker)
    far = desk["far"].pk
    assert gw.get(f"/registry/households/{far}/").status_code == 404
    assert "松山小区9号" not in gw.get("/registry/households/").content.decode()
    page = gw.get(f"/registry/places/{desk['places'].pk}/").content.decode()
    assert "13900002222" not in page and "139****2222" in page
    assert not SensitiveAccess.objects.filter(field="principal_phone").exists()
    hh = gw.get(f"/registry/households/{desk['households'].pk}/").content.decode()
    assert "张建国" in hh and "户主" in hh  # the members
    assert gw.get("/registry/unknown/1/").status_code == 404


def test_station_sees_phone_unmasked_and_logged(desk, personas, client_for):
    st = client_for(personas.street_clerk)
    page = st.get(f"/registry/organisations/{desk['organisations'].pk}/").content.decode()
    assert "13900003333" in page
    assert SensitiveAccess.objects.filter(field="phone").exists()
    for url in _urls(desk):
        assert st.get(url).status_code == 200, url


def test_edit_forms_save_and_bad_values_change_nothing(desk, personas, client_for, world):
    st = client_for(personas.street_clerk)
    g1 = world.grids[HUAYUAN_1].pk
    org = desk["organisations"]
    r = st.post(
        f"/registry/organisations/{org.pk}/edit/",
        {"grid": g1, "name": "花园物业公司", "kind": "social", "employees": "-3", "phone": ""},
    )
    assert (r.status_code == 200 and "nothing was saved" in r.content.decode().lower()) or (
        "未保存" in r.content.decode()
    )
    org.refresh_from_db()
    assert org.name == "花园物业" and org.version == 1
    r = st.post(
        f"/registry/organisations/{org.pk}/edit/",
        {"grid": g1, "name": "花园物业公司", "kind": "social", "employees": "12", "phone": ""},
    )
    assert r.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.employees, org.version) == ("花园物业公司", 12, 2)
    assert org.phone == "13900003333"  # left empty: kept
    # A local registry's typed fields.
    rec = desk["records"]
    r = st.post(
        f"/registry/records/{rec.pk}/edit/", {"grid": g1, "name": "1号井", "extra.depth": "深"}
    )
    assert r.status_code == 200
    assert ExtraRecord.objects.get(pk=rec.pk).extra == {"depth": 12}
    # A new place: grid outside the area and a bad coordinate are refused.
    r = st.post(
        "/registry/places/new/",
        {"grid": "999999", "name": "新店", "kind": desk["kind"].pk, "lon": "500"},
    )
    assert r.status_code == 200 and not Place.objects.filter(name="新店").exists()
    body = r.content.decode()
    assert body.count('class="error"') >= 3
    r = st.post("/registry/places/new/", {"grid": g1, "name": "新店", "kind": desk["kind"].pk})
    assert r.status_code == 302 and Place.objects.filter(name="新店").exists()
    # A house of another grid cannot be linked to a household.
    far_house = records.save_record(
        personas.street_clerk,
        records.SPECS["houses"],
        {"grid": world.grids[SONGSHAN_1].pk, "address": "松山1号"},
    )
    r = st.post(
        f"/registry/households/{desk['households'].pk}/edit/",
        {"grid": g1, "address": "花园小区1号楼101", "house": far_house.pk},
    )
    assert r.status_code == 200
    assert Household.objects.get(pk=desk["households"].pk).house_id == desk["houses"].pk


def test_resident_form_creates_a_member_and_keeps_secrets(desk, personas, client_for, world):
    st = client_for(personas.street_clerk)
    g1 = world.grids[HUAYUAN_1].pk
    hh = desk["households"]
    form = st.get(f"/registry/residents/new/?grid={g1}&household={hh.pk}").content.decode()
    assert f'value="{hh.pk}" selected' in form
    bad = st.post(
        "/registry/residents/new/",
        {
            "grid": g1,
            "name": "张小明",
            "kind": "registered",
            "id_number": "123",
            "household": hh.pk,
        },
    )
    assert bad.status_code == 200 and not Resident.objects.filter(name="张小明").exists()
    ok = st.post(
        "/registry/residents/new/",
        {
            "grid": g1,
            "name": "张小明",
            "kind": "registered",
            "sex": "male",
            "household": hh.pk,
            "relation_to_head": "子",
        },
    )
    assert ok.status_code == 302
    kid = Resident.objects.get(name="张小明")
    assert kid.household_id == hh.pk
    assert "张小明" in st.get(f"/registry/households/{hh.pk}/").content.decode()
    member = desk["member"]
    edit = st.get(f"/registry/residents/{member.pk}/edit/").content.decode()
    assert citizen_id(41) not in edit  # never in the form in clear
    r = st.post(
        f"/registry/residents/{member.pk}/edit/",
        {"grid": g1, "name": "张建国", "kind": "floating", "sex": "male", "household": hh.pk},
    )
    assert r.status_code == 302
    member.refresh_from_db()
    assert member.kind == "floating" and member.id_number == citizen_id(41)
    # The grid worker edits in their own grid only.
    gw = client_for(personas.grid_worker)
    assert gw.get(f"/registry/residents/{member.pk}/edit/").status_code == 200
    assert gw.get(f"/registry/households/{desk['far'].pk}/edit/").status_code == 404
    r = gw.post(f"/registry/households/{desk['far'].pk}/edit/", {"address": "x"})
    assert r.status_code == 404


def test_export_is_xlsx_in_the_import_layout_and_round_trips(desk, personas, client_for, world):
    st = client_for(personas.street_clerk)
    services.save_resident(
        personas.street_clerk,
        {
            "grid": world.grids[SONGSHAN_1].pk,
            "kind": "floating",
            "left_behind": "elderly",
            "sex": "female",
            "name": "李红",
            "id_number": citizen_id(42),
            "birth_date": "1950-02-03",
            "health": "糖尿病",
            "current_address": "松山小区9号",
        },
    )
    r = st.get("/registry/residents/export/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    content = b"".join(r.streaming_content)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == [h for h, _f in importing.COLUMNS]
    fields = [f for _h, f in importing.COLUMNS if f != "grid"]

    def state():
        return sorted(
            (r.grid.code, *[str(getattr(r, f) or "") for f in fields])
            for r in Resident.objects.select_related("grid")
        )

    before = state()
    assert len(before) == 2
    # Round trip: the exported file imports back into an empty registry as the same rows.
    Resident.objects.all().delete()
    report = importing.import_residents(personas.street_clerk, "residents.xlsx", content)
    assert report.ok, report.errors
    assert report.created == 2 and state() == before
    # A second import of the same file: every row a clear error, nothing saved.
    again = importing.import_residents(personas.street_clerk, "residents.xlsx", content)
    assert not again.ok and {e.column for e in again.errors} == {"公民身份号码"}
    assert Resident.objects.count() == 2
    # Scoped: the grid worker's export holds only their grid, masked.
    gw = b"".join(
        client_for(personas.grid_worker).get("/registry/residents/export/").streaming_content
    )
    gw_rows = list(load_workbook(io.BytesIO(gw)).active.iter_rows(values_only=True))
    assert [r[1] for r in gw_rows[1:]] == ["张建国"]
    assert citizen_id(41) not in str(gw_rows)
    csv_body = b"".join(st.get("/registry/residents/export/?format=csv").streaming_content)
    assert csv_body.decode("utf-8-sig").startswith("网格编码,姓名")


def test_bad_record_values_raise_named_errors(desk, personas):
    from fengqiao.cases.errors import InvalidInput

    with pytest.raises(InvalidInput) as e:
        records.save_record(
            personas.street_clerk,
            records.SPECS["houses"],
            {"grid": "", "address": "", "area": "abc", "extra": {"nope": 1}},
        )
    assert {x.field for x in e.value.errors} == {"grid", "address", "area", "extra.nope"}
    assert House.objects.count() == 1
    assert Organisation.objects.count() == 1


def test_visit_form_creates_a_case_in_one_step_and_offers_an_assessment(
    world, personas, client_for
):
    from datetime import date, timedelta

    from fengqiao.cases.models import Case, Category
    from fengqiao.registry.models import KeyPersonKind, Visit

    r = services.save_resident(
        personas.street_clerk,
        {"grid": world.grids[HUAYUAN_1].pk, "kind": "registered", "name": "赵六"},
    )
    kp = services.save_key_person(
        personas.street_clerk,
        {
            "resident": r.pk,
            "kind": KeyPersonKind.objects.get(code="serious_mental_disorder").pk,
            "risk_level": 2,
            "started_on": date.today() - timedelta(days=3),
        },
    )
    cat = Category.objects.filter(children__isnull=True, kind="dispute").first()
    gw = client_for(personas.grid_worker)
    form = {"findings": "与邻居争吵升级", "method": "home", "risk_found": "on",
            "create_case": "1", "case_description": "邻里纠纷有激化苗头"}  # fmt: skip
    bad = gw.post(f"/registry/key-persons/{kp.pk}/", {**form, "category": "nope"})
    assert bad.status_code == 200 and not Visit.objects.exists() and not Case.objects.exists()
    ok = gw.post(f"/registry/key-persons/{kp.pk}/", {**form, "category": cat.code})
    assert ok.status_code == 302
    visit = Visit.objects.get()
    assert visit.case is not None and visit.case.channel.code == "grid_patrol"
    done = gw.get(ok["Location"]).content.decode()
    assert visit.case.tracking_number in done
    assert f"/risk/assessments/new/?visit={visit.pk}" in done
