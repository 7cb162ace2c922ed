"""Demo rows of public legal services (S7): 桃山区's centre, a station per street, rooms in 花园
社区, 松山社区, 河畔社区 and 万宝村, two legal advisers (花园社区's, with the demo account
`demo_lawyer`, and 桃西街道's station's), the district centre's demo account as centre staff, and
questions in every state: waiting, answered, rated, referred to legal aid, escalated.
Idempotent: nothing is added once the centre exists."""

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from fengqiao.accounts.models import User
from fengqiao.legalservices import actions
from fengqiao.legalservices.models import AidCaseType, Lawyer, Level, ServicePoint, Topic
from fengqiao.territory.models import Region

CENTRE = "桃山区公共法律服务中心"
ROOMS = ("花园社区", "松山社区", "河畔社区", "万宝村")
LAWYER_USERNAME = "demo_lawyer"


def load_legalservices(
    district: Region, ensure_users: Callable[[list[dict]], dict[str, User]], created: Counter
) -> User:
    users = ensure_users(
        [{"username": LAWYER_USERNAME, "name": "周明律", "last_name": "周", "first_name": "明律",
          "phone": "13904641801"}]
    )  # fmt: skip
    lawyer_user = users[LAWYER_USERNAME]
    if ServicePoint.objects.filter(level=Level.CENTRE, region=district).exists():
        return lawyer_user
    centre = ServicePoint.objects.create(
        level=Level.CENTRE, name=CENTRE, region=district, address="桃山区政务服务中心一楼",
        phone="0464-8291148", duty_hours="工作日 8:30–11:30，13:30–17:00",
    )  # fmt: skip
    stations: dict[int, ServicePoint] = {}
    for street in Region.objects.filter(parent=district, level=Region.Level.STREET).order_by(
        "code"
    ):
        stations[street.pk] = ServicePoint.objects.create(
            level=Level.STATION, name=f"{street.name}公共法律服务工作站", region=street,
            parent=centre, duty_hours="工作日 8:30–17:00",
        )  # fmt: skip
    rooms: dict[str, ServicePoint] = {}
    communities = Region.objects.filter(
        path__startswith=district.path, level=Region.Level.COMMUNITY, name__in=ROOMS
    )
    for c in communities.order_by("code"):
        room_name = f"{c.name}法律服务室"
        rooms[c.name] = ServicePoint.objects.create(
            level=Level.ROOM, name=room_name, region=c, parent=stations.get(c.parent_id or 0),
            duty_hours="每周三 9:00–11:30（法律顾问坐班）",
        )  # fmt: skip
    created["legal service point"] += 1 + len(stations) + len(rooms)
    huayuan = rooms["花园社区"]
    taoxi = huayuan.parent
    assert taoxi is not None
    room_lawyer = Lawyer.objects.create(
        point=huayuan, name="周明律", firm="黑龙江正言律师事务所", phone="13904641801",
        user=lawyer_user, duty_hours="每周三上午",
    )  # fmt: skip
    Lawyer.objects.create(point=taoxi, name="吴法清", firm="七台河明法律师事务所",
                          phone="13904641802", duty_hours="每周一、周四下午")  # fmt: skip
    created["legal adviser"] += 2
    for username, point in (("demo_district", centre), ("demo_center", taoxi)):
        staff = User.objects.filter(username=username).first()
        if staff is not None:
            point.staff.add(staff)
    _questions(rooms, lawyer_user, room_lawyer, created)
    return lawyer_user


def _questions(rooms: dict[str, ServicePoint], lawyer: User, _record: Lawyer,
               created: Counter) -> None:  # fmt: skip
    topic = {t.code: t.pk for t in Topic.objects.all()}
    huayuan = rooms["花园社区"].region_id

    def ask(code: str, text: str, phone: str, community: int | None, name: str = ""):
        return actions.ask(topic=topic[code], text=text, phone=phone, name=name,
                           community=community).question  # fmt: skip

    ask("labour", "在小区物业干了两年保安，没签劳动合同，现在被辞退了，能要求赔偿吗？",
        "13904641901", huayuan, "李建国")  # fmt: skip
    answered = ask("marriage", "儿子离婚后孙子判给了儿媳，我们老人能不能探望孙子？",
                   "13904641902", huayuan, "王秀兰")  # fmt: skip
    actions.answer(lawyer, answered, text="祖父母的探望可以通过协商解决；协商不成，可以依法向"
                   "法院起诉。建议先请社区调解委员会组织双方协商。")  # fmt: skip
    rated = ask("neighbour", "楼上邻居装修把我家天花板泡坏了，物业不管，我该找谁？",
                "13904641903", huayuan, "张桂芝")  # fmt: skip
    actions.answer(lawyer, rated, text="可以要求邻居承担维修费用；协商不成可申请人民调解或起诉。"
                   "请先拍照保存证据。")  # fmt: skip
    actions.rate(rated, score=5, comment="讲得很清楚，谢谢律师")
    aid = ask("labour", "在工地摔伤了腿，老板不给医药费，我家里困难请不起律师。",
              "13904641904", huayuan, "赵福")  # fmt: skip
    actions.refer_aid(lawyer, aid, economic_hardship=True,
                      case_type=AidCaseType.objects.get(code="medical_injury").pk,
                      note="申请人为低保户，已告知携带低保证明到区法律援助中心")  # fmt: skip
    # 河畔社区's room has no lawyer on the platform yet: past its limit it went to 桃南's station.
    late = ask("debt", "借给亲戚五万块钱只有微信聊天记录，没有借条，还能要回来吗？",
               "13904641905", rooms["河畔社区"].region_id)  # fmt: skip
    if late.due_at is not None:
        actions.escalate(late, now=late.due_at + timedelta(minutes=1))
    created["legal consultation"] += 5
