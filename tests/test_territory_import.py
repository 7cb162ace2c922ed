"""Importing regions (CSV) and grids (GeoJSON): all or nothing, every bad row named."""

import json

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import Polygon, box, mapping

from fengqiao.core.models import AuditEntry
from fengqiao.territory import locate
from fengqiao.territory.imports import import_grids, import_regions
from fengqiao.territory.models import Grid, Region, SiteType

REGIONS_CSV = """code,name,level,parent_code,valid_from,valid_to
230903014000,桃北街道,4,230903000000,,
230903014001,北山社区,5,230903014000,,
230903014201,北岗村,5,230903014000,,
230903013003,新兴社区,5,230903013000,,
"""


def feature(code, geom, community=None, **props):
    return {
        "type": "Feature",
        "geometry": mapping(geom) if not isinstance(geom, dict) else geom,
        "properties": {
            "code": code,
            "name": f"网格{code[-3:]}",
            "community_code": community or code[:12],
            **props,
        },
    }


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


# Free space south of the test world (y < 45.77) belongs to nobody yet.
def south(i: int) -> Polygon:
    return box(131.0 + i * 0.002, 45.76, 131.002 + i * 0.002, 45.77)


def good_grids() -> bytes:
    return collection(*(feature(f"230903013001{i + 3:03d}", south(i)) for i in range(3)))


def test_region_import_creates_tree_and_one_audit_entry(world):
    report = import_regions(("\ufeff" + REGIONS_CSV).encode(), filename="r.csv")
    assert report.ok, report.issues
    assert (report.total, report.created) == (4, 4)
    street = Region.objects.get(code="230903014000")
    village = Region.objects.get(code="230903014201")
    assert village.parent == street and village.is_within(world.district)
    assert village.kind == Region.Kind.COMMUNITY
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT)
    assert entries.count() == 1
    assert entries.get().changes["created"] == [None, 4]
    # Importing the same file again changes nothing.
    again = import_regions(REGIONS_CSV)
    assert again.ok and (again.created, again.unchanged) == (0, 4)


def test_region_import_versions_close_previous(world):
    csv = (
        "code,name,kind,parent_code,valid_from,valid_to\n"
        "230903015000,兴岗街道,subdistrict,230903000000,2010-01-01,\n"
        "230903015000,桃源街道,subdistrict,230903000000,2023-06-01,\n"
    )
    assert import_regions(csv).ok
    old, new = Region.objects.filter(code="230903015000").order_by("valid_from")
    assert str(old.valid_to) == "2023-05-31" and new.valid_to is None


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("230903014001,北山社区,5,230903099000,,", "parent_code"),  # unknown parent
        ("23090301400,北山社区,5,230903013000,,", "code"),  # 11 digits
        ("230903012009,北山社区,5,230903013000,,", "code"),  # prefix of another street
        ("230903014001,北山社区,5,230903000000,,", "parent"),  # two levels up
        ("230903014001,北山社区,9,230903013000,,", "level"),
        ("230903013009,北山社区,5,230903013000,2024-13-01,", "valid_from"),
        ("230903013009,北山社区,5,230903013000,2024-02-01,2023-01-01", "valid_to"),
        ("230903013009,,5,230903013000,,", "name"),
    ],
)
def test_bad_region_rows_name_the_row_and_import_nothing(world, line, field):
    csv = (
        "code,name,level,parent_code,valid_from,valid_to\n230903013004,好社区,5,230903013000,,\n"
        + line
        + "\n"
    )
    before = Region.objects.count()
    report = import_regions(csv)
    assert not report.ok
    assert [(i.row, i.field) for i in report.issues] == [(3, field)], report.issues
    assert Region.objects.count() == before
    assert not AuditEntry.objects.exists()


def test_region_csv_missing_column_and_duplicates(world):
    report = import_regions("code,name,parent_code\n230903013004,x,230903013000\n")
    assert report.issues[0].field == "file"
    report = import_regions(
        "code,name,level,parent_code\n230903013004,x,5,230903013000\n230903013004,y,5,230903013000\n"
    )
    assert [i.row for i in report.issues] == [2, 3]


def test_grid_import_good(world, django_capture_on_commit_callbacks):
    SiteType.objects.create(code="school", name="学校")
    data = collection(
        feature("230903013001003", south(0)),
        feature("230903013001004", south(1), kind="dedicated", site_type="school"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = import_grids(data, filename="g.geojson")
    assert report.ok, report.issues
    assert report.created == 2
    g = Grid.objects.get(code="230903013001004")
    assert g.site_type.code == "school" and g.kind == "dedicated"
    assert (g.min_lon, g.max_lat) == pytest.approx((131.002, 45.77))
    assert g.boundary["type"] == "Polygon"
    assert locate.locate(131.001, 45.765).code == "230903013001003"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert entry.object_type == "territory.grid" and entry.changes["rows"] == [None, 2]


BOWTIE = Polygon([(131.0, 45.76), (131.002, 45.77), (131.002, 45.76), (131.0, 45.77)])

BAD_GRIDS = {
    "unknown community": (
        feature("230903013009001", south(0), community="230903013009"),
        "community_code",
    ),
    "malformed geometry": (
        feature("230903013001003", {"type": "Polygon", "coordinates": [[[131.0, 45.7], [1]]]}),
        "boundary",
    ),
    "missing geometry": (feature("230903013001003", {"type": "Polygon"}), "boundary"),
    "bowtie": (feature("230903013001003", BOWTIE), "boundary"),
    "overlaps stored grid": (
        feature("230903013001003", box(131.004, 45.769, 131.006, 45.771)),
        "geometry",
    ),
    "stored duplicate code": (feature("230903013001001", south(0)), "code"),
    "bad code format": (feature("2309030130010X3", south(0)), "code"),
    "code of another community": (
        feature("230903013002003", south(0), community="230903013001"),
        "code",
    ),
    "bad kind": (feature("230903013001003", south(0), kind="special"), "kind"),
}


@pytest.mark.parametrize("case", sorted(BAD_GRIDS))
def test_bad_grid_rejected_row_named_nothing_imported(world, case):
    bad, field = BAD_GRIDS[case]
    data = collection(
        feature("230903013001008", south(4)), bad, feature("230903013001009", south(3))
    )
    report = import_grids(data)
    assert not report.ok
    assert {(i.row, i.field) for i in report.issues} == {(2, field)}, report.issues
    assert Grid.objects.count() == 8
    assert not AuditEntry.objects.exists()


def test_bowtie_reason_is_given(world):
    report = import_grids(collection(feature("230903013001003", BOWTIE)))
    assert "Self-intersection" in report.issues[0].message


def test_duplicates_and_overlaps_within_the_file(world):
    data = collection(
        feature("230903013001003", south(0)),
        feature("230903013001004", box(131.001, 45.761, 131.003, 45.769)),  # overlaps 1 and 3
        feature("230903013001005", south(1)),  # touches 1 along an edge: fine
        feature("230903013001005", south(2)),  # duplicate code
    )
    report = import_grids(data)
    got = sorted((i.row, i.field) for i in report.issues)
    assert got == [
        (1, "geometry"),
        (2, "geometry"),
        (2, "geometry"),
        (3, "code"),
        (3, "geometry"),
        (4, "code"),
    ]
    assert Grid.objects.count() == 8


def test_not_a_feature_collection(world):
    assert import_grids(b"{}").issues[0].field == "file"
    assert import_grids(b"not json").issues[0].field == "file"
    assert import_grids(b"\xff\xfe").issues[0].field == "file"


def test_admin_scope_is_enforced(world, personas):
    # The district administrator may not add grids outside the district.
    other = Region.objects.create(
        code="230902000000", name="新兴区", level=3, kind="district", parent=world.city
    )
    st = Region.objects.create(
        code="230902001000", name="x街道", level=4, kind="subdistrict", parent=other
    )
    Region.objects.create(code="230902001001", name="x社区", level=5, kind="community", parent=st)
    report = import_grids(collection(feature("230902001001001", south(0))), actor=personas.admin)
    assert [(i.row, i.field) for i in report.issues] == [(1, "community_code")]
    assert import_grids(good_grids(), actor=personas.admin).ok


def test_dry_run_imports_nothing(world):
    report = import_grids(good_grids(), dry_run=True)
    assert report.ok and report.created == 3
    assert Grid.objects.count() == 8


def test_management_commands(world, tmp_path, capsys):
    path = tmp_path / "g.geojson"
    path.write_bytes(good_grids())
    call_command("import_grids", str(path), "--dry-run")
    assert Grid.objects.count() == 8
    call_command("import_grids", str(path))
    assert Grid.objects.count() == 11
    with pytest.raises(CommandError):
        call_command("import_grids", str(path))  # the codes are taken now
    out = capsys.readouterr().out
    assert "230903013001003" in out
    csv_path = tmp_path / "r.csv"
    csv_path.write_text(
        REGIONS_CSV.replace(
            "230903014000,桃北街道,4,230903000000", "230903014000,桃北街道,4,230999000000"
        )
    )
    with pytest.raises(CommandError):
        call_command("import_regions", str(csv_path))
    assert not Region.objects.filter(code__startswith="230903014").exists()


def test_thousands_of_grids_import(world):
    # 3,000 adjacent cells, 750 in each of the four communities, in one all-or-nothing import.
    communities = [world.huayuan, world.songshan, world.hepan, world.xinjian]
    features = []
    for k in range(3000):
        ix, iy = divmod(k, 50)
        cell = box(130.0 + ix * 0.001, 45.0 + iy * 0.001, 130.001 + ix * 0.001, 45.001 + iy * 0.001)
        community = communities[k // 750]
        features.append(feature(f"{community.code}{k % 750 + 10:03d}", cell, community.code))
    report = import_grids(collection(*features))
    assert report.ok, report.issues[:3]
    assert Grid.objects.count() == 3008
    assert locate.locate(130.0005, 45.0005).code == "230903013001010"


# The admin upload pages -------------------------------------------------------------------------


@pytest.fixture
def admin_client(personas, client_for):
    # The Django admin site lets in staff accounts; the territory pages need the admin role too.
    personas.admin.is_staff = True
    personas.admin.save()
    return client_for(personas.admin)


def upload(client, url, name, data, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"file": SimpleUploadedFile(name, data), **extra})


def test_admin_upload_grids(admin_client):
    url = "/admin/territory/grid/import/"
    page = admin_client.get("/admin/territory/grid/")
    assert page.status_code == 200
    assert url in page.content.decode()
    assert admin_client.get(url).status_code == 200
    assert admin_client.get("/admin/territory/grid/add/").status_code == 200
    regions = admin_client.get("/admin/territory/region/")
    assert (
        regions.status_code == 200 and "/admin/territory/region/import/" in regions.content.decode()
    )
    resp = upload(admin_client, url, "g.geojson", good_grids())
    assert resp.status_code == 302 and resp["Location"] == "/admin/territory/grid/"
    assert Grid.objects.count() == 11
    assert AuditEntry.objects.get(action="import").actor.username == "admin_district"


def test_admin_upload_bad_file_shows_report(admin_client):
    data = collection(feature("230903013001003", south(0)), feature("230903013001004", BOWTIE))
    resp = upload(admin_client, "/admin/territory/grid/import/", "g.geojson", data)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="import-report"' in html
    assert "230903013001004" in html and "Self-intersection" in html
    assert Grid.objects.count() == 8


def test_admin_upload_regions_dry_run(admin_client):
    resp = upload(
        admin_client,
        "/admin/territory/region/import/",
        "r.csv",
        REGIONS_CSV.encode(),
        dry_run="on",
    )
    assert resp.status_code == 200
    assert 'id="import-summary"' in resp.content.decode()
    assert not Region.objects.filter(code="230903014000").exists()
    resp = upload(admin_client, "/admin/territory/region/import/", "r.csv", REGIONS_CSV.encode())
    assert resp.status_code == 302
    assert Region.objects.filter(code__startswith="230903014").count() == 3


def test_non_admins_cannot_upload(personas, client_for):
    # One test over the personas (setting the world up is the slow part).
    for persona in ["outsider", "street_clerk", "grid_worker"]:
        user = getattr(personas, persona)
        for staff in (False, True):
            user.is_staff = staff
            user.save()
            client = client_for(user)
            for url, name, data in [
                ("/admin/territory/grid/import/", "g.geojson", good_grids()),
                ("/admin/territory/region/import/", "r.csv", REGIONS_CSV.encode()),
            ]:
                assert client.get(url).status_code in (302, 403), (persona, staff)
                assert upload(client, url, name, data).status_code in (302, 403), (persona, staff)
            assert client.get("/admin/territory/grid/").status_code in (302, 403)
    assert Grid.objects.count() == 8
    assert not Region.objects.filter(code__startswith="230903014").exists()
    assert not AuditEntry.objects.exists()


def test_admin_grid_form_validates_and_audits(admin_client, django_capture_on_commit_callbacks):
    g = Grid.objects.get(code="230903013001002")
    url = f"/admin/territory/grid/{g.pk}/change/"
    form = {
        "code": g.code,
        "name": "改名",
        "community": g.community_id,
        "kind": "basic",
        "site_type": "",
        "boundary": json.dumps(mapping(BOWTIE)),
        "active": "on",
    }
    resp = admin_client.post(url, form)
    assert resp.status_code == 200 and "Self-intersection" in resp.content.decode()
    form["boundary"] = json.dumps(mapping(box(131.004, 45.77, 131.01, 45.78)))  # into grid 001
    resp = admin_client.post(url, form)
    assert resp.status_code == 200 and "230903013001001" in resp.content.decode()
    g.refresh_from_db()
    assert g.name != "改名"
    form["boundary"] = json.dumps(mapping(box(131.005, 45.77, 131.01, 45.775)))  # shrink it
    with django_capture_on_commit_callbacks(execute=True):
        resp = admin_client.post(url, form)
    assert resp.status_code == 302
    g.refresh_from_db()
    assert g.name == "改名" and g.max_lat == pytest.approx(45.775)
    assert AuditEntry.objects.get(action="update", object_id=str(g.pk)).changes["name"][1] == "改名"
    assert locate.locate(131.0075, 45.778) is None
