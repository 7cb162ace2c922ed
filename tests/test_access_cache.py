"""The per-process memory of Access parts, and the token authentication (ORM, two queries).

Every change below is made the way another process, a loader or a raw SQL statement would make
it: straight in the database, with no call that could tell this process. The caches are left
as they are (warm), and the very next request must see the change.
"""

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.accounts import access as access_module
from fengqiao.accounts.access import access_for
from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import Perm, Role
from fengqiao.api.models import ApiToken
from fengqiao.api.tokens import find_token, issue_token
from fengqiao.core import refdata
from fengqiao.core.models import RefDataState
from fengqiao.org.models import Unit, UnitKind
from fengqiao.territory.models import Region

GRIDS = "/api/v1/territory/grids/"
UNITS = "/api/v1/org/units/"
ME = "/api/v1/me/"


def token_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {issue_token(user, actor=None).secret}")


def grid_codes(client: Client) -> list[str]:
    resp = client.get(GRIDS)
    assert resp.status_code == 200
    return sorted(g["code"] for g in resp.json()["results"])


def remembered(user) -> bool:
    return user.pk in access_module._grants


def bump_generation() -> None:
    """What refdata.changed() commits in another process: the generation only (a new value)."""
    if not RefDataState.objects.filter(pk=1).update(generation=F("generation") + 7919):
        RefDataState.objects.create(pk=1, generation=1)


def test_warm_request_reads_token_and_user_then_the_roles(personas, world):
    client = token_client(personas.street_clerk)
    assert len(grid_codes(client)) == 4  # cold: the Access is built and remembered
    assert remembered(personas.street_clerk)
    with CaptureQueriesContext(connection) as ctx:
        assert len(grid_codes(client)) == 4
    tables = [q["sql"] for q in ctx.captured_queries]
    # One query for the token and its user, one for the access key; then the count and page.
    assert len(tables) == 4, tables
    assert "api_apitoken" in tables[0] and "accounts_user" in tables[0]
    assert "accounts_roleassignment" in tables[1]
    assert not any("accounts_roleassignment" in sql for sql in tables[2:])


@pytest.mark.parametrize(
    ("persona", "queries"),
    # Without the memory: 4 (token and user, role assignments, count, page), 5 for a unit role
    # (and the units below it), 6 for a grid role (and its grids, and their communities' paths).
    [("street_clerk", 4), ("liaison", 4), ("grid_worker", 5)],
)
def test_authenticated_request_costs_fewer_queries(
    personas, persona, queries, django_assert_num_queries
):
    """Two queries before the view's own once the process has seen the user: the token with
    its user, and the access key. (A grid role's unit list also reads its grids' communities.)"""
    client = token_client(getattr(personas, persona))
    client.get(UNITS)
    with django_assert_num_queries(queries):
        assert client.get(UNITS).status_code == 200


def test_revoked_token_is_refused_at_once(personas):
    client = token_client(personas.station_clerk)
    assert grid_codes(client) == ["230903013002001", "230903013002002"]
    assert remembered(personas.station_clerk)
    ApiToken.objects.filter(user=personas.station_clerk).update(revoked_at=timezone.now())
    assert client.get(GRIDS).status_code == 401


def test_deactivated_account_is_refused_at_once(personas):
    client = token_client(personas.station_clerk)
    assert client.get(GRIDS).status_code == 200
    User.objects.filter(pk=personas.station_clerk.pk).update(is_active=False)
    assert client.get(GRIDS).status_code == 401


def test_role_deactivated_or_removed_is_seen_at_once(personas):
    client = token_client(personas.street_clerk)
    other = token_client(personas.station_clerk)
    assert len(grid_codes(client)) == 4 and len(grid_codes(other)) == 2
    RoleAssignment.objects.filter(user=personas.street_clerk).update(active=False)
    assert grid_codes(client) == []
    RoleAssignment.objects.filter(user=personas.street_clerk).update(active=True)
    assert len(grid_codes(client)) == 4
    RoleAssignment.objects.filter(user=personas.street_clerk).delete()
    assert grid_codes(client) == []
    # The other account's remembered Access is untouched and still its own.
    assert grid_codes(other) == ["230903013002001", "230903013002002"]


def test_role_changed_is_seen_at_once(personas, world):
    client = token_client(personas.station_clerk)
    assert grid_codes(client) == ["230903013002001", "230903013002002"]
    # The same row becomes a role without the permission the endpoint asks for: STAFF_VIEW.
    assert client.get("/api/v1/org/staff/").json()["count"] > 0
    RoleAssignment.objects.filter(user=personas.station_clerk).update(role=Role.GRID_WORKER)
    assert client.get("/api/v1/org/staff/").json()["count"] == 0
    assert [r["role"] for r in client.get(ME).json()["roles"]] == [Role.GRID_WORKER]
    # The same row now names another community.
    RoleAssignment.objects.filter(user=personas.station_clerk).update(region=world.huayuan)
    assert grid_codes(client) == ["230903013001001", "230903013001002"]


def test_role_added_and_grids_changed_are_seen_at_once(personas, world):
    client = token_client(personas.grid_worker)
    assert grid_codes(client) == ["230903013001001"]
    (assignment,) = RoleAssignment.objects.filter(user=personas.grid_worker)
    through = RoleAssignment.grids.through
    through.objects.filter(roleassignment=assignment).update(grid=world.grids["230903012001002"])
    assert grid_codes(client) == ["230903012001002"]
    through.objects.create(roleassignment=assignment, grid=world.grids["230903012001001"])
    assert grid_codes(client) == ["230903012001001", "230903012001002"]
    # bulk_create sends no signal: a loader's way of adding a role.
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(
                user=personas.grid_worker,
                role=Role.CENTER_STAFF,
                scope_type=ScopeType.REGION,
                region=world.taoxi,
            )
        ]
    )
    assert len(grid_codes(client)) == 6


def test_unit_tree_changed_elsewhere_is_seen_at_once(personas, world):
    client = token_client(personas.liaison)
    police = world.police_taoxi
    first = client.get(UNITS).json()
    assert [u["id"] for u in first["results"]] == [police.pk]
    # Another process files a unit under the police station, without a signal here; its
    # transaction raises the reference data generation, as refdata.changed() does.
    post = Unit.objects.create(
        name="桃西派出所花园警务室", kind=UnitKind.MEMBER_UNIT, region=world.huayuan
    )
    assert client.get(UNITS).json()["count"] == 1
    assert remembered(personas.liaison)
    Unit.objects.filter(pk=post.pk).update(parent=police)
    bump_generation()
    assert {u["id"] for u in client.get(UNITS).json()["results"]} == {police.pk, post.pk}


def test_region_renamed_elsewhere_is_seen_at_once(personas, world):
    client = token_client(personas.station_clerk)
    assert grid_codes(client) == ["230903013002001", "230903013002002"]
    me = client.get(ME).json()
    assert me["roles"][0]["region"]["name"] == world.songshan.name
    Region.objects.filter(pk=world.songshan.pk).update(name="松山新区")
    bump_generation()
    assert client.get(ME).json()["roles"][0]["region"]["name"] == "松山新区"


def test_web_session_reads_roles_in_one_query(personas, client_for):
    """A session's user is loaded by Django; its Access then costs one query."""
    user = personas.street_clerk
    access_for(user)
    fresh = User.objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as ctx:
        access = access_for(fresh)
        assert len(access.scope(Perm.CASE_VIEW).region_paths) == 1
    assert len(ctx) == 1
    RoleAssignment.objects.filter(user=user).update(active=False)
    again = User.objects.get(pk=user.pk)
    assert access_for(again).scope(Perm.CASE_VIEW).empty
    # The web UI sees it too.
    assert client_for(user).get(GRIDS).json()["count"] == 0


def test_stale_user_object_of_a_deactivated_account_gets_nothing(personas):
    user = personas.leader
    assert not access_for(user).scope(Perm.CASE_VIEW).empty
    User.objects.filter(pk=user.pk).update(is_active=False)
    stale = User.objects.get(pk=user.pk)
    stale.is_active = True  # loaded before the change, e.g. by a subscription query
    assert access_for(stale).scope(Perm.CASE_VIEW).empty


def test_remembered_parts_are_per_user(personas, world):
    a = token_client(personas.station_clerk)
    b = token_client(personas.street_clerk)
    for _ in range(2):
        assert grid_codes(a) == ["230903013002001", "230903013002002"]
        assert len(grid_codes(b)) == 4
    ga = access_module._grants[personas.station_clerk.pk][1]
    gb = access_module._grants[personas.street_clerk.pk][1]
    assert {x.user_id for x in ga.assignments} == {personas.station_clerk.pk}
    assert {x.user_id for x in gb.assignments} == {personas.street_clerk.pk}
    # The user object is never shared: each request's Access carries its own.
    first, second = (
        User.objects.get(pk=personas.street_clerk.pk),
        User.objects.get(pk=personas.street_clerk.pk),
    )
    assert access_for(first).user is first and access_for(second).user is second
    assert access_for(first).assignments is access_for(second).assignments


def test_part_built_on_a_rolled_back_change_is_not_used(personas, world):
    """Another process may commit other data under the generation a rollback gave back."""
    client = token_client(personas.station_clerk)
    assert client.get(ME).json()["roles"][0]["region"]["name"] == world.songshan.name
    with pytest.raises(RuntimeError), transaction.atomic():
        Region.objects.filter(pk=world.songshan.pk).update(name="松山新区")
        refdata.changed()
        assert client.get(ME).json()["roles"][0]["region"]["name"] == "松山新区"
        assert remembered(personas.station_clerk)  # for this transaction only
        raise RuntimeError("roll back")
    bump_generation()  # elsewhere: the same generation number, the old name
    assert client.get(ME).json()["roles"][0]["region"]["name"] == world.songshan.name


def test_find_token_loads_the_token_with_its_user(personas):
    issued = issue_token(personas.liaison, actor=personas.security, name="app", read_only=True)
    found = find_token(issued.secret)
    assert found == issued.token and found.user == personas.liaison and found.read_only
    assert find_token("fq_unknown") is None and find_token("") is None
    assert find_token("x" * 201) is None
