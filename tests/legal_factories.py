"""A small legal-service network over the test world: the district centre (a staff account),
桃西街道's station (a lawyer), 花园社区's room (a lawyer), 桃南街道's station (no lawyer,
no rooms below it)."""

from dataclasses import dataclass

from fengqiao.accounts.models import User
from fengqiao.legalservices.models import Lawyer, Level, ServicePoint, Topic
from tests.factories import World, make_user


@dataclass
class LegalWorld:
    centre: ServicePoint
    taoxi: ServicePoint
    taonan: ServicePoint
    huayuan: ServicePoint
    room_lawyer: Lawyer
    station_lawyer: Lawyer
    room_user: User  # 花园社区 room's lawyer
    station_user: User  # 桃西街道 station's lawyer
    centre_user: User  # 桃山区 centre's staff
    topic: Topic


def make_legal_world(world: World) -> LegalWorld:
    centre = ServicePoint.objects.create(
        level=Level.CENTRE, name="桃山区公共法律服务中心", region=world.district,
        phone="0464-8290000", duty_hours="工作日 8:30–17:00",
    )  # fmt: skip
    taoxi = ServicePoint.objects.create(
        level=Level.STATION, name="桃西街道公共法律服务工作站", region=world.taoxi, parent=centre
    )
    taonan = ServicePoint.objects.create(
        level=Level.STATION, name="桃南街道公共法律服务工作站", region=world.taonan, parent=centre
    )
    huayuan = ServicePoint.objects.create(
        level=Level.ROOM, name="花园社区法律服务室", region=world.huayuan, parent=taoxi,
        duty_hours="每周三 9:00–11:30",
    )  # fmt: skip
    room_user = make_user("lawyer_huayuan", "律师周")
    station_user = make_user("lawyer_taoxi", "律师吴")
    centre_user = make_user("legal_centre", "中心郑")
    centre.staff.add(centre_user)
    room_lawyer = Lawyer.objects.create(point=huayuan, name="周律师", firm="黑龙江正言律师事务所",
                                        phone="13904640001", user=room_user)  # fmt: skip
    station_lawyer = Lawyer.objects.create(point=taoxi, name="吴律师", firm="七台河明法律师事务所",
                                           phone="13904640002", user=station_user)  # fmt: skip
    return LegalWorld(centre, taoxi, taonan, huayuan, room_lawyer, station_lawyer, room_user,
                      station_user, centre_user, Topic.objects.get(code="labour"))  # fmt: skip
