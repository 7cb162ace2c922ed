"""The administrator's grid editor on the map: only those who may edit the territory open it
(everyone else 404); boundaries and new grids go through territory.services (validated,
audited); a bad polygon answers 400 with the reason and changes nothing."""

import json

import pytest
from django.urls import reverse
from shapely.geometry import box, mapping

from fengqiao.core.models import AuditEntry
from fengqiao.territory.models import Grid

CODE_1 = "230903013001001"  # 花园社区 grid 1: box(131.00, 45.77, 131.005, 45.78)


def _poly(*bounds) -> str:
    return json.dumps(mapping(box(*bounds)))


@pytest.fixture
def grid(world):
    return world.grids[CODE_1]


def test_only_administrators_open_the_editor(world, personas, client_for, grid):
    admin = client_for(personas.admin)
    page = admin.get(reverse("territory:edit") + f"?community={world.huayuan.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="admin-map"' in body and grid.name in body
    assert "leaflet-geoman.min.js" in body
    for user in (personas.outsider, personas.street_clerk, personas.leader, personas.grid_worker):
        client = client_for(user)
        assert client.get(reverse("territory:edit")).status_code == 404
        assert client.post(reverse("territory:edit_grid", args=[grid.pk]),
                           {"boundary": _poly(131.0, 45.77, 131.004, 45.78)}).status_code == 404  # fmt: skip
        assert client.post(reverse("territory:edit_new_grid"),
                           {"community": world.huayuan.pk, "code": "230903013001009",
                            "name": "新网格", "kind": "basic",
                            "boundary": _poly(131.0, 45.76, 131.005, 45.765)}).status_code == 404  # fmt: skip
    assert Grid.objects.get(pk=grid.pk).boundary == grid.boundary
    assert not Grid.objects.filter(code="230903013001009").exists()


def test_boundary_edited_on_the_map_is_saved_and_audited(world, personas, client_for, grid):
    client = client_for(personas.admin)
    response = client.post(
        reverse("territory:edit_grid", args=[grid.pk]),
        {"boundary": _poly(131.0, 45.77, 131.004, 45.78)},
    )
    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.max_lon == pytest.approx(131.004)
    assert AuditEntry.objects.filter(
        object_type__contains="grid", action=AuditEntry.Action.UPDATE
    ).exists()


@pytest.mark.parametrize(
    "boundary",
    [
        "",
        "not json",
        '{"type": "Point", "coordinates": [131.0, 45.77]}',
        # Overlaps the neighbouring grid 2 of 花园社区.
        _poly(131.0, 45.77, 131.008, 45.78),
    ],
)
def test_bad_boundary_is_refused_with_the_reason(world, personas, client_for, grid, boundary):
    before = Grid.objects.get(pk=grid.pk).boundary
    response = client_for(personas.admin).post(
        reverse("territory:edit_grid", args=[grid.pk]), {"boundary": boundary}
    )
    assert response.status_code == 400
    assert 'class="msg msg-error"' in response.content.decode()
    assert Grid.objects.get(pk=grid.pk).boundary == before


def test_new_grid_drawn_on_the_map(world, personas, client_for):
    client = client_for(personas.admin)
    data = {
        "community": world.huayuan.pk,
        "code": "230903013001003",
        "name": "花园社区第3网格",
        "kind": "basic",
        "boundary": _poly(131.0, 45.76, 131.005, 45.7695),
    }
    response = client.post(reverse("territory:edit_new_grid"), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    made = Grid.objects.get(code="230903013001003")
    assert made.community == world.huayuan and made.name == "花园社区第3网格"
    again = client.post(reverse("territory:edit_new_grid"), {**data, "name": "重复"})
    assert again.status_code == 400 and Grid.objects.filter(name="重复").count() == 0
    # A community outside the administrator's scope does not exist for them.
    response = client.post(
        reverse("territory:edit_new_grid"), {**data, "community": 999999, "code": "x"}
    )
    assert response.status_code == 404
