"""Demo cases: the stories S1 and S2 and a few hundred sample cases, through the real actions.

Nothing is inserted directly: every case is reported with `cases.actions.intake` and moved on
by the same services a clerk's click calls (accept, dispatch, tasks, resolve, close, visits,
diversion …), and mediations by `mediation.actions`. The services stamp the current time, so
each step runs with the demo clock (fengqiao.demo.clock) set to when it happened, spread over
the last six months. The deadline sweep then runs at the real time, so the cases left open too
long turn overdue and get their supervision cards, and the analytics aggregates are refreshed.

Loading is remembered in a DemoState row ("cases"): a second run creates nothing.
"""

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.cases import actions
from fengqiao.cases.models import (
    Case,
    CaseKind,
    Category,
    Diversion,
    FollowUpVisit,
    HandlingLevel,
    Party,
    Priority,
    RiskLevel,
    Satisfaction,
    Task,
)
from fengqiao.demo import data
from fengqiao.demo.clock import Clock
from fengqiao.demo.models import DemoState
from fengqiao.demo.people import chinese_names, mobile_numbers
from fengqiao.mediation import actions as mediation
from fengqiao.mediation.models import Agreement, Mediator, RightsNotice, StartMode
from fengqiao.org.models import GridWorker, Unit, UnitKind
from fengqiao.territory.models import Grid, Region

STATE_KEY = "cases"
SONGLIN_GRID = "230903013001001"
S2_GRID = "230903013001003"

# Final state of a sample case → weight. "overdue" stays in progress far past its deadline.
FATES = {
    "registered": 12,
    "accepted": 10,
    "dispatched": 8,
    "in_progress": 22,
    "suspended": 3,
    "resolved": 16,
    "closed": 110,
    "reopened": 3,
    "diverted": 8,
    "overdue": 8,
    "cancelled": 4,
}
# Kinds whose default limit is short (3–5 working days): they are never left open for long.
SHORT_KINDS = {
    CaseKind.INCIDENT,
    CaseKind.HAZARD,
    CaseKind.HELP_REQUEST,
    CaseKind.CONSULTATION,
}
OUTCOMES = {
    CaseKind.DISPUTE: "经调解双方达成一致，已当场履行，矛盾化解。",
    CaseKind.INCIDENT: "民警到场处置，当事人已批评教育，现场秩序恢复。",
    CaseKind.HELP_REQUEST: "已协调民政部门落实临时救助，并纳入社区重点关注。",
    CaseKind.HAZARD: "隐患已整改完毕，网格员复查确认。",
    CaseKind.COMPLAINT: "相关部门已现场整改，投诉人认可处理结果。",
    CaseKind.CONSULTATION: "已由法律顾问当面解答，并告知后续办理途径。",
    CaseKind.SUGGESTION: "建议已转交相关部门研究采纳，已向建议人反馈。",
}


@dataclass
class CasesResult:
    created: Counter = field(default_factory=Counter)
    s1: str = ""
    s2: str = ""
    total: int = 0  # demo cases, also when already loaded


@dataclass
class Actors:
    station: User  # demo_station, 花园社区 service station
    center: User  # demo_center, 桃西街道 governance center
    district: User  # demo_district, 桃山区 governance center
    police: User  # demo_police, 桃西派出所
    mediator: User  # demo_mediator, 桃西街道 people's mediation committee


class Places:
    """Lookups of the demo district's regions, grids and units."""

    def __init__(self, district: Region) -> None:
        self.district = district
        self.regions = {r.pk: r for r in Region.objects.filter(path__startswith=district.path)}
        self.taoxi = next(r for r in self.regions.values() if r.name == "桃西街道")
        self.huayuan = next(r for r in self.regions.values() if r.name == "花园社区")
        self.songshan = next(r for r in self.regions.values() if r.name == "松山社区")
        self.grids = list(
            Grid.objects.filter(community__path__startswith=district.path).order_by("code")
        )
        self.grid_by_code = {g.code: g for g in self.grids}
        units = list(Unit.objects.filter(region__path__startswith=district.path, active=True))
        self.units = {(u.region_id, u.kind, u.name): u for u in units}
        self.by_region_kind: dict[tuple[int, str], list[Unit]] = {}
        for u in sorted(units, key=lambda u: u.pk):
            self.by_region_kind.setdefault((u.region_id, u.kind), []).append(u)
        self.sector_units = {
            u.sector_id: u
            for u in units
            if u.region_id == district.pk and u.kind == UnitKind.MEMBER_UNIT and u.sector_id
        }
        self.sector_codes = dict(
            Unit.objects.filter(pk__in=[u.pk for u in self.sector_units.values()]).values_list(
                "sector__code", "pk"
            )
        )
        self.unit_by_pk = {u.pk: u for u in units}
        self.workers: dict[int, User] = {}
        for gw in GridWorker.objects.select_related("user").prefetch_related("grids"):
            for g in gw.grids.all():
                self.workers.setdefault(g.pk, gw.user)
        self.mediators: dict[int, list[Mediator]] = {}
        for m in Mediator.objects.filter(active=True).select_related("user").order_by("id"):
            self.mediators.setdefault(m.committee_id, []).append(m)

    def community(self, grid: Grid) -> Region:
        return self.regions[grid.community_id]

    def street(self, grid: Grid) -> Region:
        return self.regions[self.community(grid).parent_id]

    def one(self, region: Region, kind: str) -> Unit | None:
        found = self.by_region_kind.get((region.pk, kind))
        return found[0] if found else None

    def named(self, region: Region, kind: str, name: str) -> Unit:
        return self.units[region.pk, kind, name]

    def member_unit(self, sector: str, street: Region) -> Unit | None:
        """The unit of a sector for a place: the street's police station, else the bureau."""
        if sector == "police":
            for u in self.by_region_kind.get((street.pk, UnitKind.MEMBER_UNIT), []):
                if u.name.endswith("派出所"):
                    return u
        pk = self.sector_codes.get(sector)
        return self.unit_by_pk.get(pk) if pk else None

    def judicial_office(self, street: Region) -> Unit | None:
        for u in self.by_region_kind.get((street.pk, UnitKind.MEMBER_UNIT), []):
            if u.name.endswith("司法所"):
                return u
        return None

    def committee_for(self, grid: Grid) -> Unit | None:
        """The community's own committee if it has one, else the street's."""
        return self.one(self.community(grid), UnitKind.MEDIATION_COMMITTEE) or self.one(
            self.street(grid), UnitKind.MEDIATION_COMMITTEE
        )


class Runner:
    """Runs the steps of one case at increasing demo times."""

    def __init__(self, clock: Clock, start: datetime, span: timedelta) -> None:
        self.clock, self.start, self.span = clock, start, span

    def at(self, fraction: float) -> datetime:
        return self.clock.set(self.start + self.span * fraction)


def _fresh(case: Case) -> Case:
    case.refresh_from_db()
    return case


def _v(case: Case) -> int:
    return Case.objects.values_list("version", flat=True).get(pk=case.pk)


def load_cases(district: Region, clock: Clock) -> CasesResult:
    """S1, S2 and the sample cases, unless already loaded (see DemoState)."""
    result = CasesResult()
    state = DemoState.objects.filter(key=STATE_KEY).first()
    if state is not None:
        result.s1, result.s2 = state.data.get("s1", ""), state.data.get("s2", "")
        result.total = state.data.get("cases", 0)
        return result
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "demo_station",
                "demo_center",
                "demo_district",
                "demo_police",
                "demo_mediator",
            ]
        )
    }
    actors = Actors(
        users["demo_station"],
        users["demo_center"],
        users["demo_district"],
        users["demo_police"],
        users["demo_mediator"],
    )
    places = Places(district)
    loader = _Loader(places, actors, clock)
    real = timezone.localtime(clock.real)
    stories = {
        "s1": ((real - timedelta(days=48)).replace(hour=9, minute=20), loader.story_s1),
        "s2": ((real - timedelta(days=5)).replace(hour=23, minute=40), loader.story_s2),
    }
    told = loader.sample_cases(stories)
    s1, s2 = told["s1"], told["s2"]
    clock.reset()
    report = actions.sweep_deadlines(now=clock.real)
    result.created["case"] = loader.count
    result.created["mediation"] = loader.mediations
    result.created["supervision card"] = report.yellow + report.red
    result.s1, result.s2, result.total = s1.tracking_number, s2.tracking_number, loader.count
    DemoState.objects.create(
        key=STATE_KEY,
        data={"s1": result.s1, "s2": result.s2, "cases": loader.count},
        loaded_at=clock.real,
    )
    return result


class _Loader:
    def __init__(self, places: Places, actors: Actors, clock: Clock) -> None:
        self.p, self.a, self.clock = places, actors, clock
        self.rng = random.Random(data.SEED + 4)
        self.categories = {c.code: c for c in Category.objects.all()}
        self.count = 0
        self.mediations = 0
        # Parties never share a name with staff: a mediator named like a party is conflicted.
        staff = set(User.objects.values_list("name", flat=True))
        names = chinese_names(3 * data.TOTAL_SAMPLE_CASES + 20, self.rng, exclude=staff)
        phones = mobile_numbers(3 * data.TOTAL_SAMPLE_CASES + 20, self.rng)
        self.people = iter(zip(names, phones, strict=True))

    def person(self) -> tuple[str, str]:
        (surname, given), phone = next(self.people)
        return surname + given, phone

    # -- who does what ---------------------------------------------------------------------

    def handler(self, case: Case) -> User:
        """A clerk who may register and handle at the case's handling unit."""
        unit = case.handling_unit
        if unit is None or unit.region_id == self.p.district.pk:
            return self.a.district
        if unit.region_id == self.p.huayuan.pk:
            return self.a.station
        if unit.region.path.startswith(self.p.taoxi.path):
            return self.a.center
        return self.a.district

    def triager(self, case: Case) -> User:
        """Who dispatches: the 桃西 street center in its street, else the district center."""
        if case.street_id == self.p.taoxi.pk and case.handling_level != HandlingLevel.DISTRICT:
            return self.a.center
        return self.a.district

    def for_unit(self, unit: Unit) -> User:
        """Someone who acts for a unit's task."""
        if unit.name == "桃西派出所":
            return self.a.police
        if unit.region_id == self.p.huayuan.pk:
            return self.a.station
        if self.p.regions[unit.region_id].path.startswith(self.p.taoxi.path):
            return self.a.center
        return self.a.district

    # -- sample cases ----------------------------------------------------------------------

    def sample_cases(
        self, stories: dict[str, tuple[datetime, Callable[[datetime], Case]]]
    ) -> dict[str, Case]:
        """The sample cases and the stories, reported in time order (so tracking numbers rise
        with the dates); returns the stories' cases."""
        rng = self.rng
        codes = list(data.CATEGORY_WEIGHTS)
        weights = list(data.CATEGORY_WEIGHTS.values())
        channels = list(data.CHANNEL_WEIGHTS)
        channel_weights = list(data.CHANNEL_WEIGHTS.values())
        fates = list(FATES)
        fate_weights = list(FATES.values())
        villages = [g for g in self.p.grids if self.p.community(g).kind == Region.Kind.VILLAGE]
        urban = [g for g in self.p.grids if self.p.community(g).kind != Region.Kind.VILLAGE]
        plans = []
        for i in range(data.TOTAL_SAMPLE_CASES):
            # The first cases take every fate once (a neighbours' dispute fits them all), the
            # next every category once, so each state and category shows up whatever the draws.
            forced = fates[i] if i < len(fates) else None
            j = i - len(fates)
            if forced:
                code = "neighbourhood"
            elif j < len(codes):
                code = codes[j]
            else:
                code = rng.choices(codes, weights)[0]
            rural = code in data.RURAL_CATEGORIES or rng.random() < 0.12
            grid = rng.choice(villages if rural else urban)
            category = self.categories[code]
            fate = forced or rng.choices(fates, fate_weights)[0]
            kind = category.kind
            if fate == "suspended" and kind in SHORT_KINDS:
                fate = "in_progress"
            if kind in (CaseKind.CONSULTATION, CaseKind.SUGGESTION) and fate in (
                "dispatched",
                "diverted",
                "suspended",
            ):
                fate = "closed"
            age = self._age(fate, kind)
            created = self.clock.real - age
            plans.append((created, code, grid, rng.choices(channels, channel_weights)[0], fate))
        told: dict[str, Case] = {}
        waiting = sorted(stories.items(), key=lambda s: s[1][0])
        for created, code, grid, channel, fate in sorted(plans, key=lambda p: p[0]):
            while waiting and waiting[0][1][0] <= created:
                key, (at, story) = waiting.pop(0)
                told[key] = story(at)
            self.sample_case(created, self.categories[code], grid, channel, fate)
        for key, (at, story) in waiting:
            told[key] = story(at)
        return told

    def _age(self, fate: str, kind: str) -> timedelta:
        rng = self.rng
        short = kind in SHORT_KINDS
        days = {
            "registered": (0.05, 1.2),
            "accepted": (0.1, 1.5),
            "dispatched": (0.2, 2.0),
            "in_progress": (0.3, 2.5) if short else (1.0, 14.0),
            "suspended": (2.0, 10.0),
            "resolved": (1.0, 3.0) if short else (2.0, 12.0),
            "closed": (6.0, 180.0),
            "reopened": (5.0, 15.0),
            "diverted": (3.0, 150.0),
            "overdue": (10.0, 20.0) if short else (32.0, 75.0),
            "cancelled": (1.0, 120.0),
        }[fate]
        return timedelta(days=rng.uniform(*days))

    def _intake_data(self, category: Category, grid: Grid, *, public: bool) -> dict:
        rng = self.rng
        titles, description = data.CASE_TEMPLATES[category.code]
        community, street = self.p.community(grid), self.p.street(grid)
        name, phone = self.person()
        kind = category.kind
        parties = []
        if kind == CaseKind.DISPUTE:
            parties.append({"name": name, "phone": phone, "role": Party.PartyRole.APPLICANT})
            if category.code in ("labour", "labour_wages", "construction_disturbance",
                                 "property_management", "contract"):  # fmt: skip
                parties.append(
                    {
                        "name": rng.choice(data.COMPANIES),
                        "party_type": Party.PartyType.ORGANISATION,
                        "role": Party.PartyRole.RESPONDENT,
                    }
                )
            else:
                other, other_phone = self.person()
                parties.append(
                    {"name": other, "phone": other_phone, "role": Party.PartyRole.RESPONDENT}
                )
        risk = rng.choices(
            [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH],
            [65, 28, 7 if kind == "dispute" else 2],
        )[0]
        people = rng.randint(5, 30) if category.code == "labour_wages" else rng.randint(1, 4)
        return {
            "category": category,
            "kind": kind,
            "title": rng.choice(titles),
            "description": f"{description}（{community.name}）",
            "address": f"{data.ADDRESS_PREFIX}{street.name}{community.name}"
            f"{rng.randint(1, 40)}号楼附近",
            "lon": grid.center_lon,
            "lat": grid.center_lat,
            "reporter_name": name,
            "reporter_phone": phone if public or rng.random() < 0.6 else "",
            "people_involved": max(people, len(parties)),
            "risk_level": risk,
            "priority": Priority.NORMAL,
            "parties": parties,
        }

    def sample_case(
        self, created: datetime, category: Category, grid: Grid, channel: str, fate: str
    ) -> Case:
        rng = self.rng
        clock = self.clock
        clock.set(created)
        public = channel == "resident_report"
        payload = self._intake_data(category, grid, public=public)
        if fate in ("closed", "resolved") and rng.random() < 0.08:
            payload["priority"] = Priority.URGENT
        if channel == "grid_patrol":
            reporter = self.p.workers.get(grid.pk)
        elif channel == "police_110":
            reporter = self.a.police
        elif public:
            reporter = None
        else:
            reporter = self.a.district
        case = actions.intake(reporter, payload, channel).case
        self.count += 1
        age = clock.real - created
        short = category.kind in SHORT_KINDS or case.priority == Priority.URGENT
        if fate in ("closed", "reopened", "diverted", "cancelled"):
            typical = timedelta(days=rng.uniform(0.3, 3.5) if short else rng.uniform(2, 24))
            # One in ten takes longer than allowed: on-time rates are not all 100 %.
            if rng.random() < 0.1:
                typical *= 2.5
            span = min(typical, age * 0.7)
        else:
            span = age * rng.uniform(0.3, 0.8)
        run = Runner(clock, created, span)
        if fate == "registered":
            return case
        if fate == "cancelled":
            run.at(0.2)
            actions.cancel(self.handler(case), case, reason="经核实系重复反映，已并入原件办理。",
                            expected_version=case.version)  # fmt: skip
            return case
        run.at(0.05)
        clerk = self.handler(case)
        case = actions.accept(clerk, case, expected_version=case.version)
        if fate == "accepted":
            return case
        if fate == "diverted":
            return self._divert(case, run, clerk)
        mediate = (
            category.kind == CaseKind.DISPUTE
            and fate in ("in_progress", "resolved", "closed", "reopened")
            and rng.random() < 0.3
            and self.p.committee_for(grid) is not None
        )
        if mediate:
            case = self._mediate(case, grid, run, fate)
        else:
            sector = data.DISPATCH_SECTORS.get(category.code)
            lead = self.p.member_unit(sector, self.p.street(grid)) if sector else None
            if lead is None and fate == "dispatched":
                # Nobody in particular: the street's judicial office takes disputes, the
                # community's station anything else.
                lead = self.p.judicial_office(self.p.street(grid))
                if category.kind != CaseKind.DISPUTE or lead is None:
                    lead = self.p.one(self.p.community(grid), UnitKind.SERVICE_STATION)
            if lead is not None and (fate == "dispatched" or rng.random() < 0.5):
                case = self._dispatched(case, lead, run, fate)
            else:
                case = self._self_handled(case, clerk, run, fate)
        if fate in ("in_progress", "dispatched", "suspended", "overdue", "resolved"):
            return case
        run.at(1.0)
        case = actions.close(clerk, _fresh(case), expected_version=_v(case))
        if rng.random() < 0.85 or fate == "reopened":
            self._visit(case, grid, created, fate)
        return case

    def _divert(self, case: Case, run: Runner, clerk: User) -> Case:
        rng = self.rng
        run.at(0.4)
        target = rng.choice(list(Diversion.Target.values))
        diversion = actions.divert(clerk, case, target=target,
                                    reference=f"转{rng.randint(100, 999)}号",
                                    note="不属于本级调处范围，依法引导至相应渠道。",
                                    expected_version=_v(case))  # fmt: skip
        if rng.random() < 0.5:
            run.at(0.9)
            actions.update_diversion(clerk, diversion, status=Diversion.Status.RECEIVED,
                                      result="对方已接收。", expected_version=_v(case))  # fmt: skip
        return _fresh(case)

    def _self_handled(self, case: Case, clerk: User, run: Runner, fate: str) -> Case:
        run.at(0.15)
        case = actions.start(clerk, _fresh(case), expected_version=_v(case))
        run.at(0.3)
        actions.add_progress(clerk, case, text="已联系当事人并到现场核实情况。",
                              expected_version=_v(case))  # fmt: skip
        if fate == "suspended":
            run.at(0.5)
            return actions.suspend(clerk, _fresh(case), reason="等待当事人外地返回后继续处理。",
                                    expected_version=_v(case))  # fmt: skip
        if fate in ("in_progress", "overdue"):
            return _fresh(case)
        run.at(0.8)
        success = self.rng.random() > 0.06
        outcome = (
            OUTCOMES[case.kind] if success else "经多次协调未能达成一致，已告知当事人其他救济途径。"
        )
        return actions.resolve(clerk, _fresh(case), outcome=outcome, success=success,
                                expected_version=_v(case))  # fmt: skip

    def _dispatched(self, case: Case, lead: Unit, run: Runner, fate: str) -> Case:
        run.at(0.1)
        dispatcher = self.triager(case)
        case = actions.dispatch(dispatcher, _fresh(case), lead_unit=lead,
                                 instructions="请牵头核实处置，按期反馈结果。",
                                 expected_version=_v(case))  # fmt: skip
        task = case.tasks.get(active=True, role=Task.Role.LEAD)
        worker = self.for_unit(lead)
        if fate == "dispatched" and self.rng.random() < 0.5:
            return case
        run.at(0.2)
        actions.acknowledge_task(worker, task, expected_version=_v(case))
        if fate == "dispatched":
            return _fresh(case)
        run.at(0.3)
        actions.start_task(worker, task, expected_version=_v(case))
        if fate in ("in_progress", "overdue"):
            return _fresh(case)
        if fate == "suspended":
            run.at(0.5)
            return actions.suspend(worker, _fresh(case), reason="等待有关部门出具鉴定意见。",
                                    expected_version=_v(case))  # fmt: skip
        run.at(0.7)
        actions.complete_task(worker, task, result=OUTCOMES[case.kind],
                               expected_version=_v(case))  # fmt: skip
        run.at(0.8)
        return actions.resolve(dispatcher, _fresh(case), expected_version=_v(case))

    def _mediate(self, case: Case, grid: Grid, run: Runner, fate: str) -> Case:
        """Dispatch to the committee, which mediates: an oral agreement resolves the case."""
        committee = self.p.committee_for(grid)
        members = self.p.mediators[committee.pk]
        lead, second = members[0], members[1]
        run.at(0.1)
        case = actions.dispatch(self.triager(case), _fresh(case), lead_unit=committee,
                                 instructions="请组织人民调解。", expected_version=_v(case))  # fmt: skip
        actor = lead.user
        run.at(0.15)
        m = mediation.start(actor, case, committee=committee, mode=StartMode.APPLICATION,
                            application_text="申请人请求调解委员会主持调解。")  # fmt: skip
        self.mediations += 1
        mediation.accept(actor, m)
        mediation.assign(actor, m, mediators=[lead, second], lead=lead)
        for party in case.parties.all():
            mediation.deliver_notice(actor, m, party=party, method=RightsNotice.Method.IN_PERSON)
        run.at(0.4)
        mediation.record_session(actor, m, place=f"{committee.name}调解室",
                                 participants="双方当事人、调解员",
                                 minutes="听取双方陈述，释法明理，双方同意继续协商。")  # fmt: skip
        if fate == "in_progress":
            return _fresh(case)
        run.at(0.8)
        mediation.record_agreement(actor, m, form=Agreement.Form.ORAL,
                                   agreed_items="双方互谅互让，当场达成口头协议并即时履行。")  # fmt: skip
        return _fresh(case)

    def _visit(self, case: Case, grid: Grid, created: datetime, fate: str) -> None:
        rng = self.rng
        when = case.closed_at + timedelta(days=rng.uniform(0.5, 4))
        self.clock.set(min(when, self.clock.real - timedelta(minutes=5)))
        worker = self.p.workers.get(grid.pk)
        visitor = worker if worker is not None and rng.random() < 0.5 else self.handler(case)
        if fate == "reopened":
            actions.record_visit(visitor, case, method=FollowUpVisit.Method.PHONE,
                                  satisfaction=Satisfaction.UNSATISFIED,
                                  note="当事人反映问题反弹，要求重新处理。", reopen_case=True,
                                  expected_version=_v(case))  # fmt: skip
            return
        satisfaction = rng.choices(
            [Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED], [80, 17, 3]
        )[0]
        method = rng.choice([FollowUpVisit.Method.PHONE, FollowUpVisit.Method.IN_PERSON])
        actions.record_visit(visitor, case, method=method, satisfaction=satisfaction,
                              note="电话回访当事人。" if method == "phone" else "上门回访当事人。",
                              expected_version=_v(case))  # fmt: skip

    # -- S1: construction noise and a damaged road ----------------------------------------

    def story_s1(self, t0: datetime) -> Case:
        p, a, clock = self.p, self.a, self.clock
        grid = p.grid_by_code[SONGLIN_GRID]
        station = p.named(p.huayuan, UnitKind.SERVICE_STATION, "花园社区综治服务站")
        committee = p.named(p.taoxi, UnitKind.MEDIATION_COMMITTEE, "桃西街道人民调解委员会")
        members = p.mediators[committee.pk]
        lead = next(m for m in members if m.user_id == a.mediator.pk)
        second = next(m for m in members if m.pk != lead.pk)

        def at(days: float) -> datetime:
            return clock.set(t0 + timedelta(days=days))

        at(0)
        case = actions.intake(
            None,
            {
                "category": self.categories["construction_disturbance"],
                "title": "松林小区旁棚改工地24小时施工噪音扰民、道路损坏",
                "description": (
                    "松林小区东侧棚户区改造工地昼夜施工，夜间噪音严重影响居民休息；"
                    "渣土车进出致小区东侧道路破损约50米，老人孩子出行不便。"
                ),
                "address": f"{data.ADDRESS_PREFIX}桃西街道花园社区松林小区东侧",
                "lon": grid.center_lon,
                "lat": grid.center_lat,
                "reporter_name": "王秀兰",
                "reporter_phone": "13945120368",
                "people_involved": 36,
                "risk_level": RiskLevel.MEDIUM,
                "parties": [
                    {
                        "name": "王秀兰",
                        "phone": "13945120368",
                        "sex": Party.Sex.FEMALE,
                        "address": "松林小区3号楼",
                        "role": Party.PartyRole.APPLICANT,
                    },
                    {
                        "name": "七台河市宏达建筑工程有限公司",
                        "role": Party.PartyRole.RESPONDENT,
                        "party_type": Party.PartyType.ORGANISATION,
                    },
                ],
            },
            "resident_report",
        ).case
        self.count += 1
        at(0.05)
        case = actions.accept(a.station, case, expected_version=case.version,
                               note="花园社区综治服务站受理。")  # fmt: skip
        at(0.9)
        actions.add_progress(
            a.station, case, public=True, expected_version=_v(case),
            text="现场调查：工地夜间22时后仍在施工，噪音明显；小区东侧道路破损约50米，有积水坑洼。"
            "已拍照取证，约施工方负责人面谈。",
        )  # fmt: skip
        at(1.1)
        case = actions.dispatch(
            a.center, _fresh(case), lead_unit=committee, co_units=[station],
            instructions="请桃西街道人民调解委员会组织居民与施工方调解，花园社区综治服务站配合。",
            expected_version=_v(case),
        )  # fmt: skip
        co_task = case.tasks.get(active=True, unit=station)
        at(1.15)
        actions.acknowledge_task(a.station, co_task, expected_version=_v(case))
        actions.start_task(a.station, co_task, expected_version=_v(case))
        at(1.2)
        m = mediation.start(
            a.mediator, case, committee=committee, mode=StartMode.APPLICATION,
            application_text="松林小区居民代表申请调解：施工方调整作业时间、修复损坏道路。",
            summary="棚改工地夜间施工噪音扰民、渣土车压坏小区道路。",
        )  # fmt: skip
        self.mediations += 1
        mediation.accept(a.mediator, m)
        mediation.assign(a.mediator, m, mediators=[lead, second], lead=lead)
        at(1.9)
        for party in case.parties.all():
            mediation.deliver_notice(a.mediator, m, party=party,
                                     method=RightsNotice.Method.IN_PERSON)  # fmt: skip
        at(2.1)
        mediation.record_investigation(
            a.mediator, m, place="松林小区东侧施工现场", persons="王秀兰、施工方项目经理、网格员",
            findings="夜间施工属实，未办理夜间施工许可；道路破损约50米，系渣土车碾压所致。",
        )  # fmt: skip
        at(3.2)
        mediation.record_session(
            a.mediator, m, place="花园社区综治服务站调解室",
            participants="居民代表王秀兰等5人、施工方项目经理、调解员",
            minutes="第一次调解：居民要求停止夜间施工并修路；施工方称工期紧，同意研究调整作业时间。",
        )  # fmt: skip
        at(7.1)
        mediation.record_session(
            a.mediator, m, place="花园社区综治服务站调解室",
            participants="居民代表王秀兰等5人、施工方项目经理、调解员",
            minutes="第二次调解：施工方同意每日22时至次日6时停止施工，并负责修复道路，双方达成协议。",
        )  # fmt: skip
        at(7.2)
        actions.complete_task(a.station, co_task, expected_version=_v(case),
                               result="组织居民代表参加两次调解，核实道路破损情况。")  # fmt: skip
        at(7.3)
        day = timezone.localtime(t0).date()
        agreement = mediation.record_agreement(
            a.mediator, m, form=Agreement.Form.WRITTEN,
            parties_facts="申请人：王秀兰，松林小区居民代表；被申请人：七台河市宏达建筑工程有限公司。",
            main_facts="被申请人承建的棚改项目昼夜施工，渣土车碾压致松林小区东侧道路破损。",
            disputed_points="夜间施工时间；道路修复责任和期限。",
            responsibilities="被申请人夜间施工扰民、损坏道路，应承担整改和修复责任。",
            agreed_items="一、被申请人自协议生效之日起每日22时至次日6时停止施工；"
            "二、被申请人负责修复松林小区东侧损坏道路。",
            performance_method="停工自次日起执行；道路于约定日期前修复完毕，由社区验收。",
            items=[
                {"obligor": case.parties.get(role=Party.PartyRole.RESPONDENT),
                 "what": "每日22时至次日6时停止施工", "due_date": day + timedelta(days=8)},
                {"obligor": case.parties.get(role=Party.PartyRole.RESPONDENT),
                 "what": "修复松林小区东侧道路约50米", "due_date": day + timedelta(days=30)},
            ],
        )  # fmt: skip
        at(7.35)
        for party in case.parties.all():
            mediation.sign(a.mediator, agreement, who="party", party=party)
        mediation.sign(a.mediator, agreement, who="mediator")
        mediation.sign(a.mediator, agreement, who="seal")  # in effect: the case is resolved
        items = list(agreement.items.order_by("due_date"))
        at(10.0)
        mediation.mark_performance(a.mediator, items[0],
                                   proof_note="网格员连续三晚夜查，22时后已无施工。")  # fmt: skip
        at(26.0)
        mediation.mark_performance(a.mediator, items[1],
                                   proof_note="道路已修复，社区现场验收合格。")  # fmt: skip
        mediation.record_followup(
            a.mediator, m, visit_date=timezone.localdate(), way="on_site",
            visited="居民代表王秀兰、施工方项目经理", performance="performed",
            performance_note="夜间已停工，道路已修复并经社区验收。",
            opinions="居民对调解结果满意，施工方表示继续遵守约定。",
            note="回访居民，夜间未再施工，道路已修好。",
        )  # fmt: skip
        at(27.0)
        case = actions.close(a.station, _fresh(case), expected_version=_v(case))
        at(29.0)
        actions.record_visit(a.station, case, method=FollowUpVisit.Method.IN_PERSON,
                              satisfaction=Satisfaction.SATISFIED,
                              note="上门回访居民代表，对处理结果满意。",
                              expected_version=_v(case))  # fmt: skip
        return _fresh(case)

    # -- S2: shouting at night, a joint case ----------------------------------------------

    def story_s2(self, t0: datetime) -> Case:
        p, a, clock = self.p, self.a, self.clock
        grid = p.grid_by_code[S2_GRID]
        police = p.named(p.taoxi, UnitKind.MEMBER_UNIT, "桃西派出所")
        huayuan = p.named(p.huayuan, UnitKind.SERVICE_STATION, "花园社区综治服务站")
        songshan = p.named(p.songshan, UnitKind.SERVICE_STATION, "松山社区综治服务站")
        civil = p.named(p.district, UnitKind.MEMBER_UNIT, "桃山区民政局")
        charity = p.named(p.district, UnitKind.MEMBER_UNIT, "桃山区慈善总会")

        def at(hours: float) -> datetime:
            return clock.set(t0 + timedelta(hours=hours))

        at(0)
        case = actions.intake(
            a.police,
            {
                "category": self.categories["neighbourhood"],
                "title": "邻居夜间大声喊叫扰民（110警情移交）",
                "description": (
                    "报警人称楼下住户连续多日深夜大声喊叫。民警出警发现该户儿子长期患病，"
                    "家庭困难无力就医，病情发作时喊叫。移交综治中心联合处置。"
                ),
                "address": f"{data.ADDRESS_PREFIX}桃西街道花园社区7号楼",
                "lon": grid.center_lon,
                "lat": grid.center_lat,
                "reporter_name": "刘桂芳",
                "reporter_phone": "13604647215",
                "people_involved": 4,
                "risk_level": RiskLevel.MEDIUM,
                "parties": [
                    {"name": "刘桂芳", "phone": "13604647215", "role": Party.PartyRole.APPLICANT},
                    {
                        "name": "孙立新",
                        "role": Party.PartyRole.OTHER,
                        "sex": Party.Sex.MALE,
                        "is_vulnerable": True,
                        "notes": "长期患精神疾病未规范治疗；父亲去世，母亲无固定收入，无力支付住院费用。",
                    },
                    {
                        "name": "赵秀英",
                        "role": Party.PartyRole.OTHER,
                        "sex": Party.Sex.FEMALE,
                        "notes": "孙立新之母，低收入。",
                    },
                ],
            },
            "police_110",
        ).case
        self.count += 1
        at(9.0)
        case = actions.accept(a.district, case, expected_version=case.version)
        at(9.5)
        case = actions.update_details(a.district, case, changes={"risk_level": RiskLevel.HIGH},
                                       expected_version=_v(case))  # fmt: skip
        actions.add_progress(
            a.district, case, expected_version=_v(case),
            text="风险评估：高。患者病情发作时有过激行为，邻里矛盾易激化；家庭无力就医。"
            "建议公安牵头，社区、民政、慈善联合救助送医。",
        )  # fmt: skip
        at(10.0)
        case = actions.dispatch(
            a.district, _fresh(case), lead_unit=police,
            co_units=[huayuan, songshan, civil, charity],
            instructions="桃西派出所牵头稳控；花园、松山社区摸清家庭情况并做好邻里工作；"
            "区民政局落实临时救助；区慈善总会募集医疗费用。",
            expected_version=_v(case),
        )  # fmt: skip
        tasks = {t.unit_id: t for t in case.tasks.filter(active=True)}
        at(10.5)
        actions.acknowledge_task(a.police, tasks[police.pk], expected_version=_v(case))
        actions.start_task(a.police, tasks[police.pk], expected_version=_v(case))
        at(11.0)
        actions.start_task(a.station, tasks[huayuan.pk], expected_version=_v(case))
        actions.acknowledge_task(a.center, tasks[songshan.pk], expected_version=_v(case))
        at(26.0)
        actions.start_task(a.district, tasks[civil.pk], expected_version=_v(case))
        actions.start_task(a.district, tasks[charity.pk], expected_version=_v(case))
        at(30.0)
        actions.add_progress(
            a.police, case, task=tasks[police.pk], expected_version=_v(case),
            text="民警会同社区上门走访，安抚邻里情绪，患者情绪暂时稳定。",
        )  # fmt: skip
        at(75.0)
        actions.complete_task(a.district, tasks[charity.pk], expected_version=_v(case),
                               result="区慈善总会募集医疗救助金2.3万元，已拨付医院。")  # fmt: skip
        return _fresh(case)
