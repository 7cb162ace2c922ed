"""Demo basic data: households, residents, places, organisations and key persons in the grid
of the first demo grid worker (the one `fengqiao demo` prints), with visits falling due."""

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from fengqiao.core.validators import id_check_char
from fengqiao.org.models import GridWorker, Unit
from fengqiao.registry.models import (
    Household,
    KeyPerson,
    KeyPersonKind,
    Organisation,
    Place,
    PlaceKind,
    Resident,
)

# (household, name, sex, birth, relation, kind, left-behind, phone, health)
PEOPLE = [
    (0, "王建华", "male", "19650312", "户主", "registered", "", "13904671201", "高血压"),
    (0, "刘淑芬", "female", "19670825", "配偶", "registered", "", "13904671202", ""),
    (0, "王磊", "male", "19920107", "子", "registered", "", "13904671203", "精神分裂症(在治)"),
    (1, "赵凤兰", "female", "19480602", "户主", "registered", "elderly", "", "糖尿病"),
    (1, "赵子涵", "female", "20150914", "孙女", "registered", "child", "", ""),
    (None, "孙立军", "male", "19800418", "", "registered", "", "13604675521", ""),
    (None, "陈晓东", "male", "19950220", "", "floating", "", "15846721130", ""),
]
# (person index, kind code, risk level, days since the last visit)
KEY = [
    (2, "serious_mental_disorder", 2, 40),
    (5, "released_prisoner", None, 26),
    (6, "drug_user", None, 10),
]


def citizen_id(birth: str, seq: int, sex: str) -> str:
    last = seq * 2 + (1 if sex == "male" else 0)
    first = f"230903{birth}{last:03d}"
    return first + id_check_char(first)


def load_registry(created: Counter) -> None:
    worker = (
        GridWorker.objects.filter(active=True, grids__isnull=False)
        .select_related("station")
        .order_by("user_id")
        .first()
    )
    if worker is None:
        return
    grid = worker.grids.order_by("code").first()
    if grid is None or Resident.objects.filter(grid=grid).exists():
        return
    today = timezone.localdate()
    households = [
        Household.objects.create(
            grid=grid, number="H0001", address="桃山区花园小区3号楼2单元401", head_name="王建华"
        ),
        Household.objects.create(
            grid=grid, number="H0002", address="桃山区花园小区5号楼1单元102", head_name="赵凤兰"
        ),
    ]
    residents = []
    for i, (hh, name, sex, birth, rel, kind, left, phone, health) in enumerate(PEOPLE):
        r = Resident(
            grid=grid,
            name=name,
            sex=sex,
            kind=kind,
            left_behind=left,
            ethnicity="汉族",
            birth_date=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
            relation_to_head=rel,
            household=households[hh] if hh is not None else None,
            current_address=households[hh].address if hh is not None else "桃山区花园小区7号楼",
            registered_address="黑龙江省七台河市桃山区"
            if kind == "registered"
            else "黑龙江省勃利县",
        )
        r.id_number = citizen_id(birth, i + 1, sex)
        r.phone = phone
        r.health = health
        if kind == "floating":
            r.inflow_reason = "务工"
            r.arrived_on = today - timedelta(days=200)
        r.save()
        residents.append(r)
    created["resident"] += len(residents)
    police = Unit.objects.filter(sector__code="police", active=True).order_by("id").first()
    for index, code, level, since in KEY:
        kp_kind = KeyPersonKind.objects.get(code=code)
        last = today - timedelta(days=since)
        kp = KeyPerson(
            resident=residents[index],
            kind=kp_kind,
            grid=grid,
            risk_level=level,
            responsible=worker,
            helping_unit=police if code == "drug_user" else worker.station,
            started_on=today - timedelta(days=400),
            last_visit_on=last,
        )
        kp.next_visit_due = kp.schedule_from(last)
        kp.save()
    created["key person"] += len(KEY)
    shop, school = PlaceKind.objects.get(code="shop"), PlaceKind.objects.get(code="school")
    Place.objects.create(
        grid=grid, name="花园便民超市", kind=shop, address="桃山区花园小区1号门", principal="李桂芝"
    )
    Place.objects.create(
        grid=grid, name="桃山区第三小学", kind=school, address="桃山区花园路12号", key_place=True
    )
    Organisation.objects.create(
        grid=grid,
        name="七台河市恒达物业服务有限公司",
        kind="non_public",
        address="桃山区花园小区物业楼",
        employees=36,
        has_union=True,
    )
    created["place"] += 2
    created["organisation"] += 1
