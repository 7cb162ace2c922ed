"""Writing regions and grids through the services: validation, audit, index, permissions."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from shapely.geometry import Polygon, box, mapping

from fengqiao.core.models import AuditEntry
from fengqiao.territory import locate, services
from fengqiao.territory.models import Grid, GridKind, Region

L, K = Region.Level, Region.Kind


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {f: [e.code for e in errs] for f, errs in exc.error_dict.items()}


def new_grid(world, actor=None, code="230903013001003", geom=None, **extra):
    geom = geom if geom is not None else box(131.0, 45.76, 131.01, 45.77)  # south of 花园社区
    return services.create_grid(
        actor,
        code=code,
        name="新网格",
        community=world.huayuan,
        boundary=mapping(geom),
        **extra,
    )


def test_create_grid_audits_and_refreshes_index(
    world, personas, django_capture_on_commit_callbacks
):
    assert locate.locate(131.005, 45.765) is None
    with django_capture_on_commit_callbacks(execute=True):
        g = new_grid(world, personas.admin)
    assert (g.min_lon, g.min_lat, g.max_lon, g.max_lat) == pytest.approx(
        (131.0, 45.76, 131.01, 45.77)
    )
    assert locate.locate(131.005, 45.765).code == "230903013001003"
    entry = AuditEntry.objects.get(object_type="territory.grid", object_id=str(g.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == personas.admin
    assert entry.changes["code"] == [None, "230903013001003"]


def test_update_and_delete_grid(world, personas, django_capture_on_commit_callbacks):
    g = world.grids["230903013001002"]
    with django_capture_on_commit_callbacks(execute=True):
        services.update_grid(personas.admin, g, name="改名网格", kind=GridKind.DEDICATED)
    entry = AuditEntry.objects.filter(object_id=str(g.pk), action="update").get()
    assert entry.changes["name"] == ["花园社区第2网格", "改名网格"]
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_grid(personas.admin, g)
    assert not Grid.objects.filter(pk=g.pk).exists()
    assert AuditEntry.objects.filter(object_id=str(g.pk), action="delete").count() == 1
    assert locate.locate(131.0075, 45.775) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("23090301300103", "grid_code_format"),
        ("23090301300100A", "grid_code_format"),
        ("230903013001000", "grid_code_sequence"),
        ("230903013002003", "grid_code_prefix"),
        ("230903013001001", "grid_code_taken"),
    ],
)
def test_bad_grid_codes(world, code, expected):
    with pytest.raises(ValidationError) as exc:
        new_grid(world, code=code)
    assert expected in codes(exc.value)["code"]
    assert Grid.objects.count() == 8


def test_grid_community_must_be_community_level(world):
    with pytest.raises(ValidationError) as exc:
        services.create_grid(
            None,
            code="230903013000001",
            name="x",
            community=world.taoxi,
            boundary=mapping(box(131.0, 45.76, 131.01, 45.77)),
        )
    assert "grid_community_level" in codes(exc.value)["community"]


def test_bowtie_is_rejected_with_reason(world):
    bowtie = Polygon([(131.0, 45.76), (131.01, 45.77), (131.01, 45.76), (131.0, 45.77)])
    with pytest.raises(ValidationError) as exc:
        new_grid(world, geom=bowtie)
    err = exc.value.error_dict["boundary"][0]
    assert err.code == "geometry_invalid"
    assert "Self-intersection" in err.messages[0]


@pytest.mark.parametrize(
    "boundary",
    [
        {"type": "Polygon"},
        {"type": "Polygon", "coordinates": [[[131.0, 45.7], [131.1]]]},
        {"type": "Point", "coordinates": [131.0, 45.7]},
        {"type": "Polygon", "coordinates": [[[200, 45], [201, 45], [201, 46], [200, 45]]]},
        "not json",
    ],
)
def test_malformed_boundaries(world, boundary):
    with pytest.raises(ValidationError) as exc:
        services.create_grid(
            None, code="230903013001003", name="x", community=world.huayuan, boundary=boundary
        )
    assert "boundary" in exc.value.error_dict


def test_overlap_with_grid_of_other_community_rejected(world):
    # Half inside 松山社区's first grid.
    with pytest.raises(ValidationError) as exc:
        new_grid(world, geom=box(131.0075, 45.765, 131.0125, 45.775))
    messages = " ".join(exc.value.error_dict["boundary"][0].messages)
    assert "230903013002001" in messages or "230903013001002" in messages


def test_shared_edges_and_slivers_are_fine(world):
    # Touches 花园社区 grids along y=45.77, and overlaps by a sliver far below the tolerance.
    g = new_grid(world, geom=box(131.0, 45.76, 131.01, 45.77 + 1e-9))
    assert g.pk


def test_outsider_and_other_scope_cannot_edit(world, personas):
    with pytest.raises(PermissionDenied):
        new_grid(world, personas.outsider)
    with pytest.raises(PermissionDenied):
        new_grid(world, personas.street_clerk)  # may view, not edit
    assert Grid.objects.count() == 8
    assert not AuditEntry.objects.exists()


def test_create_region_and_prefix_rules(world, personas):
    r = services.create_region(
        personas.admin,
        code="230903013003",
        name="新兴社区",
        level=L.COMMUNITY,
        kind=K.COMMUNITY,
        parent=world.taoxi,
    )
    assert r.path == world.taoxi.path + f"{r.pk}/"
    assert AuditEntry.objects.filter(object_type="territory.region", action="create").count() == 1
    bad = [
        ("230903012003", world.taoxi, L.COMMUNITY, K.COMMUNITY, "code", "region_code_prefix"),
        ("230903013000", world.taoxi, L.COMMUNITY, K.COMMUNITY, "code", "region_code_own"),
        ("230903017001", world.district, L.COMMUNITY, K.COMMUNITY, "parent", "region_parent_level"),
        ("230903017000", world.district, L.STREET, K.COMMUNITY, "kind", "region_kind_level"),
        ("230903017010", world.district, L.STREET, K.SUBDISTRICT, "code", "region_code_tail"),
        ("2309030170", world.district, L.STREET, K.SUBDISTRICT, "code", "region_code"),
    ]
    for code, parent, level, kind, field, expected in bad:
        with pytest.raises(ValidationError) as exc:
            services.create_region(
                personas.admin, code=code, name="x", level=level, kind=kind, parent=parent
            )
        assert expected in codes(exc.value).get(field, []), (code, codes(exc.value))


def test_region_dates_and_versions(world):
    with pytest.raises(ValidationError) as exc:
        services.create_region(
            None,
            code="230903014000",
            name="桃北街道",
            level=L.STREET,
            kind=K.SUBDISTRICT,
            parent=world.district,
            valid_from=date(2024, 1, 1),
            valid_to=date(2023, 1, 1),
        )
    assert codes(exc.value) == {"valid_to": ["region_dates"]}
    old = services.create_region(
        None,
        code="230903015000",
        name="兴岗街道",
        level=L.STREET,
        kind=K.SUBDISTRICT,
        parent=world.district,
        valid_from=date(2010, 1, 1),
    )
    new = services.create_region(
        None,
        code="230903015000",
        name="桃源街道",
        level=L.STREET,
        kind=K.SUBDISTRICT,
        parent=world.district,
        valid_from=date(2023, 6, 1),
    )
    old.refresh_from_db()
    assert old.valid_to == date(2023, 5, 31)
    assert list(Region.objects.filter(code="230903015000").current(date(2024, 1, 1))) == [new]
    assert list(Region.objects.filter(code="230903015000").current(date(2020, 1, 1))) == [old]
    # Versions are added in date order; an existing code needs a date.
    for when in (date(2023, 6, 1), date(2015, 1, 1), None):
        with pytest.raises(ValidationError) as exc:
            services.create_region(
                None,
                code="230903015000",
                name="x",
                level=L.STREET,
                kind=K.SUBDISTRICT,
                parent=world.district,
                valid_from=when,
            )
        assert "valid_from" in exc.value.error_dict


def test_region_delete_protected_and_admin_scope(world, personas):
    with pytest.raises(ValidationError):
        services.delete_region(personas.admin, world.huayuan)  # it has grids
    assert Region.objects.filter(pk=world.huayuan.pk).exists()
    with pytest.raises(PermissionDenied):
        services.update_region(personas.admin, world.province, name="x")
    services.update_region(personas.admin, world.huayuan, name="花园新社区")
    world.huayuan.refresh_from_db()
    assert world.huayuan.name == "花园新社区"


def test_messages_are_translated_to_chinese(world):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        new_grid(world, code="230903013001001")
    with translation.override("zh-hans"):
        messages = dict(services.error_messages(exc.value.error_dict))
    assert messages["code"] == "网格代码 230903013001001 已被使用。"
