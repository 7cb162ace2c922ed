"""Demo mediators of every mediation committee and the demo routing rules.

Mediators join through `fengqiao.mediation.actions.add_mediator` (so the 3–9 rule of the
People's Mediation Law art. 8 is checked by the service, not here); routing rules are plain
reference data an administrator edits afterwards.
"""

import random
from collections import Counter
from datetime import datetime, time, timedelta

from django.utils import timezone

from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import Role
from fengqiao.cases.models import Category, Channel, RoutingRule
from fengqiao.demo import data
from fengqiao.demo.clock import Clock
from fengqiao.demo.people import chinese_names, mobile_numbers
from fengqiao.mediation import actions as mediation
from fengqiao.mediation.models import CommitteeSetting, Mediator
from fengqiao.org.models import EmploymentType, Unit, UnitKind
from fengqiao.territory.models import Region

DEMO_MEDIATOR = "demo_mediator"
DEMO_COMMITTEE = "桃西街道人民调解委员会"


def committees(district: Region) -> list[Unit]:
    """Every mediation committee of the district, in a stable order."""
    return list(
        Unit.objects.filter(
            kind=UnitKind.MEDIATION_COMMITTEE, region__path__startswith=district.path
        )
        .select_related("region")
        .order_by("region__code", "name")
    )


def load_mediators(
    district: Region,
    admin: User,
    password: str,
    created: Counter,
    hashed: list[str],
    clock: Clock,
) -> None:
    """3–5 mediators per committee; demo_mediator is the first of 桃西街道's committee."""
    from fengqiao.demo.loader import _ensure_users  # the shared-hash user helper

    rng = random.Random(data.SEED + 3)
    units = committees(district)
    low, high = data.MEDIATORS_PER_COMMITTEE
    sizes = [rng.randint(low, high) for _ in units]
    demo = User.objects.get(username=DEMO_MEDIATOR)
    taken = set(User.objects.exclude(username__startswith="med").values_list("name", flat=True))
    phones = set(User.objects.exclude(username__startswith="med").values_list("phone", flat=True))
    names = chinese_names(sum(sizes), rng, exclude=taken)
    numbers = mobile_numbers(sum(sizes), rng, exclude=phones)
    # (username or None for demo_mediator, committee, row for a new account)
    seats: list[tuple[str, Unit, dict | None]] = []
    i = 0
    for unit, size in zip(units, sizes, strict=True):
        for seat in range(size):
            if unit.name == DEMO_COMMITTEE and seat == 0:
                seats.append((DEMO_MEDIATOR, unit, None))
            else:
                surname, given = names[i]
                username = f"med{i + 1:03d}"
                seats.append(
                    (
                        username,
                        unit,
                        {
                            "username": username,
                            "name": surname + given,
                            "last_name": surname,
                            "first_name": given,
                            "phone": numbers[i],
                            "unit": unit,
                        },
                    )
                )
            i += 1
    _document_prefixes(units, created)
    users = _ensure_users([row for _u, _c, row in seats if row], password, created, hashed)
    users[DEMO_MEDIATOR] = demo
    today = timezone.localtime(clock.real).date()
    members = set(Mediator.objects.filter(active=True).values_list("user_id", "committee_id"))
    for index, (username, unit, _row) in enumerate(seats):
        user = users[username]
        if (user.pk, unit.pk) in members:
            continue
        if mediation.members(unit).count() >= mediation.MAX_MEMBERS:
            continue  # an administrator filled the committee: leave it as it is
        town = unit.region.kind == Region.Kind.TOWN or unit.region.kind == Region.Kind.VILLAGE
        pool = data.TOWN_SPECIALTIES if town else data.STREET_SPECIALTIES
        if username == DEMO_MEDIATOR:
            specialties = ["construction", "neighbours"]
        else:
            specialties = rng.sample(pool, rng.randint(1, 2))
        first = index == 0 or seats[index - 1][1] != unit
        employment = (
            EmploymentType.FULL_TIME if first or rng.random() < 0.3 else EmploymentType.PART_TIME
        )
        joined = timezone.make_aware(
            datetime.combine(today - timedelta(days=rng.randrange(200, 6 * 365)), time(9))
        )
        clock.set(joined)
        mediation.add_mediator(
            admin,
            unit,
            user=user,
            employment_type=employment,
            specialties=specialties,
            phone=user.phone,
        )
        created["mediator"] += 1
    clock.reset()
    with_role = set(
        RoleAssignment.objects.filter(role=Role.MEDIATOR, scope_type=ScopeType.UNIT).values_list(
            "user_id", "unit_id"
        )
    )
    new = [
        RoleAssignment(user=users[u], role=Role.MEDIATOR, scope_type=ScopeType.UNIT, unit=unit)
        for u, unit, _row in seats
        if (users[u].pk, unit.pk) not in with_role
    ]
    if new:
        RoleAssignment.objects.bulk_create(new)
        created["role assignment"] += len(new)


def _document_prefixes(units: list[Unit], created: Counter) -> None:
    """Distinct document-number prefixes: the default one (the place's name less 街道/社区)
    gives 桃源街道's and 桃源社区's committees the same numbers. Streets keep their short
    name (桃西调字…), community and village committees use the place's full name."""
    existing = set(CommitteeSetting.objects.values_list("committee_id", flat=True))
    shorts = {s.name: s.short for s in data.STREETS}
    new = [
        CommitteeSetting(
            committee=u,
            doc_prefix=shorts.get(u.region.name, u.region.name)[:10],
        )
        for u in units
        if u.pk not in existing
    ]
    if new:
        CommitteeSetting.objects.bulk_create(new)
        created["committee setting"] += len(new)


def load_routing_rules(district: Region, created: Counter) -> None:
    """The district's routing rules (data.ROUTING_RULES), created when missing by name."""
    existing = set(RoutingRule.objects.values_list("name", flat=True))
    categories = {c.code: c for c in Category.objects.all()}
    channels = {c.code: c for c in Channel.objects.all()}
    new = [
        RoutingRule(
            order=order,
            name=name,
            category=categories[category] if category else None,
            channel=channels[channel] if channel else None,
            min_risk=min_risk,
            region=district,
            target_level=level,
        )
        for order, name, category, channel, min_risk, level in data.ROUTING_RULES
        if name not in existing
    ]
    if new:
        RoutingRule.objects.bulk_create(new)
        created["routing rule"] += len(new)
