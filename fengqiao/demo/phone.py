"""Demo rows for the grid worker's phone app (/m/): the first demo grid worker (the one
`fengqiao demo` prints) gets tasks their station handed them (one overdue, one accepted, one
new), a few reports of their own (one resolved on the spot) and more households in their grid,
so that 今日, 我上报的 and 我的网格 show a working day. Runs once (DemoState "phone")."""

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.cases import actions
from fengqiao.cases.models import Task
from fengqiao.demo.clock import Clock
from fengqiao.demo.models import DemoState
from fengqiao.org.models import GridWorker
from fengqiao.registry.models import Household, Resident

STATE_KEY = "phone"

# (category, title, description, days ago dispatched, days allowed, what the worker did so far)
TASKS = [
    ("neighbourhood", "楼上漏水殃及楼下", "5号楼3单元602漏水，楼下住户多次敲门无人应答，请网格员上门核实协调。", 6, 3, ""),
    ("property_management", "小区垃圾清运不及时", "7号楼旁垃圾点连续三天未清运，居民反映异味大。", 1, 4, "acknowledge"),
    ("safety_hazard", "楼道电动车充电", "2号楼1单元楼道内有电动车飞线充电，请上门劝导并拍照留存。", 0, 2, ""),
]  # fmt: skip
# (category, title, description, what was done on the spot or "")
REPORTS = [
    ("neighbourhood", "两户因楼道堆物争吵", "3号楼2单元两户因楼道堆放杂物发生口角。", "当场协调清理楼道杂物，双方握手言和。"),
    ("safety_hazard", "消防通道被私家车占用", "花园小区北门消防通道长期停放私家车。", ""),
    ("governance_other", "路灯损坏", "花园小区6号楼前三盏路灯不亮，夜间出行不便。", ""),
]  # fmt: skip
# (number, address, head, [(name, sex, birth, relation)])
HOUSEHOLDS = [
    ("H0003", "桃山区花园小区3号楼1单元201", "周国庆",
     [("周国庆", "male", "1958-04-11", "户主"), ("吴桂兰", "female", "1960-09-23", "配偶")]),
    ("H0004", "桃山区花园小区6号楼2单元502", "郑海燕",
     [("郑海燕", "female", "1983-02-17", "户主"), ("郑雨轩", "male", "2012-06-30", "子")]),
    ("H0005", "桃山区花园小区7号楼1单元101", "冯德胜", [("冯德胜", "male", "1949-12-05", "户主")]),
]  # fmt: skip


def load_phone(created: Counter, clock: Clock) -> None:
    if DemoState.objects.filter(key=STATE_KEY).exists():
        return
    worker = (
        GridWorker.objects.filter(active=True, grids__isnull=False, station__isnull=False)
        .select_related("station", "user")
        .order_by("user_id")
        .first()
    )
    station_user = User.objects.filter(username="demo_station").first()
    center_user = User.objects.filter(username="demo_center").first()
    if worker is None or station_user is None or center_user is None:
        return
    grid = worker.grids.order_by("code").first()
    station = worker.station
    if grid is None or grid.center_lon is None or station is None:
        return
    now = clock.real
    point = {"lon": grid.center_lon, "lat": grid.center_lat, "address": "桃山区花园小区"}
    for code, title, description, ago, allowed, step in TASKS:
        clock.set(now - timedelta(days=ago, hours=2))
        case = actions.intake(
            center_user,
            {"category": code, "title": title, "description": description, **point},
            "hotline_12345",
        ).case
        case = actions.accept(center_user, case, expected_version=case.version)
        case = actions.dispatch(
            center_user,
            case,
            lead_unit=station,
            instructions="请安排网格员上门核实处置，按期反馈。",
            lead_due=clock.now + timedelta(days=allowed),
            expected_version=case.version,
        )
        task = case.tasks.get(active=True, role=Task.Role.LEAD)
        case.refresh_from_db()
        actions.assign_task(station_user, task, assignee=worker.user, expected_version=case.version)
        if step == "acknowledge":
            case.refresh_from_db()
            actions.acknowledge_task(worker.user, task, expected_version=case.version)
        created["phone task"] += 1
    for i, (code, title, description, outcome) in enumerate(REPORTS):
        clock.set(now - timedelta(days=3 - i, hours=5))
        data = {"category": code, "title": title, "description": description, **point}
        if outcome:
            actions.resolve_on_the_spot(worker.user, data, "grid_patrol", outcome=outcome)
        else:
            actions.intake(worker.user, data, "grid_patrol")
        created["phone report"] += 1
    clock.reset()
    for number, address, head, members in HOUSEHOLDS:
        if Household.objects.filter(grid=grid, number=number).exists():
            continue
        household = Household.objects.create(
            grid=grid, number=number, address=address, head_name=head
        )
        for name, sex, birth, relation in members:
            Resident.objects.create(
                grid=grid,
                household=household,
                name=name,
                sex=sex,
                birth_date=birth,
                kind=Resident.Kind.REGISTERED,
                relation_to_head=relation,
                current_address=address,
                ethnicity="汉族",
            )
        created["household"] += 1
    DemoState.objects.create(key=STATE_KEY, loaded_at=timezone.now())
