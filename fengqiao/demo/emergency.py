"""Demo rows of emergency command (S5): the district's public-health emergency plan with a drill
and follow-up tasks; the epidemic-prevention event "桃山区疫情防控" with its command, "1 office,
9 groups, 8 task forces" (one per street first, then the key places), activated at level II, the
door-to-door screening campaign linked, a few incidents on the map, tasks to groups and grids in
calendar hours (one given yesterday and overdue), and check-ins. Idempotent: nothing is added when
the event exists."""

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.campaigns.models import Campaign
from fengqiao.cases.models import Case
from fengqiao.emergency import actions
from fengqiao.emergency.models import Event, Task
from fengqiao.org.models import GridWorker
from fengqiao.territory.models import Region

EVENT = "桃山区疫情防控"
GROUPS = [
    ("综合协调组", "统筹调度、会议组织、督导检查"),
    ("疫情防控组", "流调溯源、隔离管控、消毒消杀"),
    ("医疗救治组", "核酸检测、发热门诊、患者救治"),
    ("物资保障组", "防护物资、生活物资调配"),
    ("社区防控组", "网格化入户排查、重点人员管控"),
    ("交通管控组", "卡口设置、车辆人员查验"),
    ("宣传引导组", "信息发布、舆情监测"),
    ("社会稳定组", "矛盾纠纷排查化解、治安巡逻"),
    ("督查问责组", "落实情况督查、追责问责"),
]
EXTRA_FORCES = ["学校防控专班", "商超市场专班", "养老机构专班", "交通场站专班",
                "建筑工地专班", "医疗机构专班", "企业复工专班", "冷链食品专班"]  # fmt: skip


def load_emergency(district: Region, created: Counter) -> None:
    if Event.objects.filter(name=EVENT, region=district).exists():
        first_worker_task(district, created)
        return
    users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
    leader, office = users.get("demo_leader"), users.get("demo_district")
    if leader is None or office is None:
        return
    center, station = users.get("demo_center"), users.get("demo_station")
    today = timezone.localdate()
    plan = actions.create_plan(
        leader, region=district.pk, title="桃山区突发公共卫生事件应急预案", version=f"{today.year}版",
        levels=[
            {"level": "I", "name": "一级响应", "measures": "全区进入战时状态，实行最严格管控"},
            {"level": "II", "name": "二级响应", "measures": "启动“1办9组8专班”，全员入户排查"},
            {"level": "III", "name": "三级响应", "measures": "重点区域管控，重点人员健康监测"},
            {"level": "IV", "name": "四级响应", "measures": "加强监测预警，做好物资储备"},
        ],
        text="第一章 总则\n一、编制目的：有效预防、及时控制和消除突发公共卫生事件的危害……\n"
             "第二章 组织体系\n区应急指挥部下设办公室（设在区卫健局）、9个工作组和8个工作专班……",
    )  # fmt: skip
    actions.record_drill(
        leader, plan, held_on=today - timedelta(days=40), scenario="某小学发现聚集性发热病例",
        participants="区卫健局、区教育局、桃西街道、桃南街道、各社区网格员",
        findings="转运车辆调度用时偏长；个别社区物资储备不足",
        follow_ups=["修订转运车辆调度方案", "各社区补足两周防护物资", "组织网格员流调培训"],
    )  # fmt: skip
    event = actions.create_event(
        leader, name=EVENT, kind="疫情防控", level="II", region=district.pk, plan=plan.pk,
        description="落实“外防输入、内防反弹”，开展全员入户排查、核酸检测和重点人员管控。",
    )  # fmt: skip
    actions.add_body(leader, event, kind="command", name="区疫情防控指挥部",
                     duties="统一领导、指挥、协调全区疫情防控工作", leader=leader.pk,
                     contacts="0464-8221000", sort=0)  # fmt: skip
    actions.add_body(leader, event, kind="office", name="指挥部办公室",
                     duties="综合协调、信息汇总、日报报送", leader=office.pk,
                     contacts="0464-8221001", sort=1)  # fmt: skip
    bodies = {}
    for i, (name, duties) in enumerate(GROUPS, start=2):
        members = [u.pk for u in (station,) if u is not None and name == "社区防控组"]
        bodies[name] = actions.add_body(leader, event, kind="group", name=name, duties=duties,
                                        members=members, sort=i)  # fmt: skip
    streets = list(Region.objects.filter(parent=district).order_by("code"))
    forces = [f"{s.name}专班" for s in streets][:8]
    forces += EXTRA_FORCES[: 8 - len(forces)]
    for i, name in enumerate(forces, start=20):
        lead = center.pk if center is not None and name.startswith("桃西") else None
        actions.add_body(leader, event, kind="task_force", name=name,
                         duties="本街道/领域的排查管控和力量调度", leader=lead, sort=i)  # fmt: skip
    created["emergency body"] += 2 + len(GROUPS) + len(forces)
    actions.activate(leader, event, note="启动二级应急响应")
    campaign = Campaign.objects.filter(name="疫情防控入户排查").first()
    if campaign is not None:
        actions.link_campaign(leader, event, campaign.pk)
    for case in Case.objects.filter(lat__isnull=False, community__path__startswith=district.path,
                                    state__in=("registered", "accepted", "in_progress")
                                    ).order_by("-pk")[:3]:  # fmt: skip
        actions.link_case(leader, event, case.pk)
    actions.assign_task(office, event, title="设置全员核酸检测点", hours=24,
                        body=bodies["医疗救治组"].pk, detail="每个社区至少1个采样点")  # fmt: skip
    actions.assign_task(office, event, title="调拨防护物资至各社区", hours=48,
                        body=bodies["物资保障组"].pk)  # fmt: skip
    workers = list(GridWorker.objects.filter(grids__community__path__startswith=district.path)
                   .select_related("user").prefetch_related("grids").distinct()[:3])  # fmt: skip
    for n, gw in enumerate(workers):
        grid = gw.grids.first()
        if grid is None:
            continue
        task = actions.assign_task(office, event, title=f"{grid.name}全员入户排查", hours=12,
                                   grid=grid.pk)  # fmt: skip
        if n == 0:
            actions.accept_task(gw.user, task)
            actions.check_in(gw.user, event, note="已到岗，开始入户", place=grid.name, task=task.pk)
            actions.complete_task(gw.user, task, result="入户126户，未发现发热人员")
        elif n == 1:
            actions.accept_task(gw.user, task)
            actions.check_in(gw.user, event, note="排查中", place=grid.name)
            # Given yesterday (demo history): past its 12 hours, shown overdue.
            given = timezone.now() - timedelta(hours=20)
            Task.objects.filter(pk=task.pk).update(
                assigned_at=given, deadline=given + timedelta(hours=12)
            )
    created["emergency task"] += Task.objects.filter(event=event).count()
    first_worker_task(district, created)


def first_worker_task(district: Region, created: Counter) -> None:
    """The demo grid worker gw001 has an open emergency task for its grid (shown on 应急任务 of
    the phone app). Idempotent: nothing is added while one is open."""
    event = Event.objects.filter(name=EVENT, region=district, state="active").first()
    gw = GridWorker.objects.filter(user__username="gw001").prefetch_related("grids").first()
    office = User.objects.filter(username="demo_district").first()
    grid = gw.grids.order_by("code").first() if gw is not None else None
    if event is None or grid is None or office is None:
        return
    if Task.objects.filter(event=event, grid=grid).exclude(state="done").exists():
        return
    actions.assign_task(office, event, title=f"{grid.name}重点人员健康监测", hours=8, grid=grid.pk,
                        detail="逐户核对居家健康监测人员，每日两次测温并登记")  # fmt: skip
    created["emergency task"] += 1
