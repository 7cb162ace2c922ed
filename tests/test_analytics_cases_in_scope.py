"""`cases_in_scope` (the dashboard's lists, the ledgers) takes a shortcut when both of the user's
scopes hold the whole region asked for: it must select exactly the cases the full rule selects
(visible to the user ∩ statistics scope ∩ region, grid, unit, category, channel), for every
persona, region and filter, including the users for whom the shortcut does not apply."""

from django.core.exceptions import PermissionDenied

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.analytics.errors import BadFilter
from fengqiao.analytics.filters import cases_in_scope, parse_filters
from fengqiao.cases import actions
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import case_scope_q
from tests.case_factories import (
    HEPAN_POINT,
    HUAYUAN_POINT,
    SONGSHAN_POINT,
    make_case_world,
    report,
)
from tests.factories import make_personas


def _full_rule(user, filters) -> set[int]:
    access = access_for(user)
    qs = access.visible(Case.objects.all(), Perm.CASE_VIEW).filter(case_scope_q(filters.scope))
    if filters.region is not None:
        qs = qs.filter(region_path__startswith=filters.region.path)
    if filters.grid is not None:
        qs = qs.filter(grid_id=filters.grid.pk)
    if filters.unit is not None:
        qs = qs.filter(handling_unit_id=filters.unit.pk)
    if filters.category is not None:
        qs = qs.filter(category__path__startswith=filters.category.path)
    return set(qs.values_list("id", flat=True))


def test_the_shortcut_selects_what_the_full_rule_selects(world):
    cw = make_case_world(world)
    personas = make_personas(world)
    for point in (HUAYUAN_POINT, SONGSHAN_POINT, HEPAN_POINT, None):
        at = {"lon": point[0], "lat": point[1]} if point else {"lon": None, "lat": None}
        report(None, **at)
        report(None, category="neighbourhood", kind="dispute", **at)
    # A case handled by the police station: its liaison sees it through the unit, not the place.
    handled = report(None, lon=HEPAN_POINT[0], lat=HEPAN_POINT[1]).case
    Case.objects.filter(pk=handled.pk).update(handling_unit=world.police_taoxi)
    actions.intake(cw.huayuan_clerk, {**_data(), "title": "站员登记"}, "walk_in")

    users = [*personas.__dict__.values(), cw.huayuan_clerk, cw.district_clerk, cw.civil_liaison]
    regions = [None, world.district, world.taoxi, world.taonan, world.huayuan, world.hepan]
    compared = shortcut_used = 0
    for user in users:
        for region in regions:
            for extra in ({}, {"category": "neighbourhood"}, {"unit": world.police_taoxi.pk}):
                params = {"region": str(region.pk)} if region else {}
                params.update({k: str(v) for k, v in extra.items()})
                try:
                    filters = parse_filters(user, params)
                except (PermissionDenied, BadFilter):
                    continue
                got = set(cases_in_scope(user, filters).values_list("id", flat=True))
                assert got == _full_rule(user, filters), (user.username, params)
                compared += 1
                access = access_for(user)
                if filters.region is not None and access.scope(Perm.CASE_VIEW).covers_path(
                    filters.region.path
                ):
                    shortcut_used += 1
    assert compared > 20 and shortcut_used > 5 and compared > shortcut_used


def _data() -> dict:
    from tests.case_factories import case_data

    return case_data()


def test_no_shortcut_when_the_user_may_not_see_every_case_of_the_region(world, monkeypatch):
    # A role that reads statistics district-wide but no cases (none is defined so today), held
    # beside a station role that sees one community's cases: the lists show only those.
    from fengqiao.accounts import access as access_module
    from fengqiao.accounts import roles
    from fengqiao.accounts.roles import Role
    from tests.factories import assign, make_user

    patched = dict(roles.ROLE_PERMISSIONS)
    patched[Role.LEADER] = frozenset(p for p in patched[Role.LEADER] if p != Perm.CASE_VIEW)
    monkeypatch.setattr(roles, "ROLE_PERMISSIONS", patched)
    monkeypatch.setattr(access_module, "ROLE_PERMISSIONS", patched)
    make_case_world(world)
    for point in (HUAYUAN_POINT, SONGSHAN_POINT, HEPAN_POINT):
        report(None, lon=point[0], lat=point[1])
    user = make_user("stats_reader", "统计甲")
    assign(user, Role.LEADER, region=world.district)
    assign(user, Role.STATION_STAFF, region=world.huayuan)
    access = access_for(user)
    assert access.scope(Perm.STATS_VIEW).covers_path(world.district.path)
    assert not access.scope(Perm.CASE_VIEW).covers_path(world.district.path)
    filters = parse_filters(user, {"region": str(world.district.pk)})
    got = set(cases_in_scope(user, filters).values_list("id", flat=True))
    assert got == _full_rule(user, filters)
    assert got == set(
        Case.objects.filter(region_path__startswith=world.huayuan.path).values_list("id", flat=True)
    )
    assert got and got != set(Case.objects.values_list("id", flat=True))
