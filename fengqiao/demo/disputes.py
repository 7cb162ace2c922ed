"""Open disputes for demo_mediator's 我的调解: one mediation assigned to demo_mediator and under
way (a session held this week), one dispute dispatched to the committee that nobody has
opened a mediation for yet. Loaded once (DemoState key "open_disputes"), through the case and
mediation services like every demo case.
"""

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.cases import actions
from fengqiao.cases.models import Case
from fengqiao.demo.cases import Actors, Places, _Loader
from fengqiao.demo.clock import Clock
from fengqiao.demo.mediators import DEMO_COMMITTEE, DEMO_MEDIATOR
from fengqiao.demo.models import DemoState
from fengqiao.mediation import actions as mediation
from fengqiao.mediation.models import RightsNotice, StartMode
from fengqiao.territory.models import Grid, Region

STATE_KEY = "open_disputes"


def _grid_in(places: Places, street: Region) -> Grid | None:
    return next((g for g in places.grids if places.street(g).pk == street.pk), None)


def _actors() -> Actors:
    names = ["demo_station", "demo_center", "demo_district", "demo_police", DEMO_MEDIATOR]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    return Actors(*(users[n] for n in names))


def load_open_disputes(district: Region, clock: Clock, created: Counter) -> None:
    if DemoState.objects.filter(key=STATE_KEY).exists():
        return
    actors = _actors()
    places = Places(district)
    committee = next((u for u in places.unit_by_pk.values() if u.name == DEMO_COMMITTEE), None)
    grid = _grid_in(places, places.taoxi)
    members = places.mediators.get(committee.pk, []) if committee else []
    lead = next((m for m in members if m.user.username == DEMO_MEDIATOR), None)
    second = next((m for m in members if m is not lead), None)
    if committee is None or grid is None or lead is None or second is None:
        return
    loader = _Loader(places, actors, clock)
    categories = loader.categories
    real = timezone.localtime(clock.real)
    numbers = []
    for code, assigned, days_ago in (("neighbourhood", True, 3), ("property_management", False, 1)):
        category = categories.get(code)
        if category is None:
            continue
        clock.set(real - timedelta(days=days_ago, hours=2))
        case = actions.intake(actors.district, loader._intake_data(category, grid, public=False),
                              "hotline_12345").case  # fmt: skip
        clock.set(real - timedelta(days=days_ago, hours=1))
        case = actions.accept(loader.handler(case), case, expected_version=case.version)
        case = actions.dispatch(loader.triager(case), case, lead_unit=committee,
                                instructions="请组织人民调解。",
                                expected_version=case.version)  # fmt: skip
        created["case"] += 1
        numbers.append(case.tracking_number)
        if not assigned:
            continue
        clock.set(real - timedelta(days=days_ago, minutes=30))
        m = mediation.start(lead.user, case, committee=committee, mode=StartMode.APPLICATION,
                            application_text="申请人请求调解委员会主持调解。")  # fmt: skip
        created["mediation"] += 1
        mediation.accept(lead.user, m)
        mediation.assign(lead.user, m, mediators=[lead, second], lead=lead)
        for party in Case.objects.get(pk=case.pk).parties.all():
            mediation.deliver_notice(lead.user, m, party=party,
                                     method=RightsNotice.Method.IN_PERSON)  # fmt: skip
        clock.set(real - timedelta(hours=20))
        mediation.record_session(lead.user, m, place=f"{committee.name}调解室",
                                 participants="双方当事人、调解员",
                                 minutes="听取双方陈述，双方同意下周再次协商。")  # fmt: skip
    clock.reset()
    DemoState.objects.create(key=STATE_KEY, data={"cases": numbers}, loaded_at=clock.real)
