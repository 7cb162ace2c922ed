"""The demo district: 七台河市桃山区 with its real streets and town, plausible communities,
reference data and the organisations of its safety-construction work.

Codes follow the statistical division codes (see docs STANDARDS.md): street 001–099, town 100–199;
inside a street, communities are numbered 001–199; inside a town, villages 2xx.
"""

from dataclasses import dataclass

PROVINCE = ("230000000000", "黑龙江省")
CITY = ("230900000000", "七台河市")
DISTRICT = ("230903000000", "桃山区")
ADDRESS_PREFIX = "黑龙江省七台河市桃山区"
AREA_CODE = "0464"


@dataclass(frozen=True)
class StreetSpec:
    key: str  # one letter, used in the layout below
    code: str
    name: str
    short: str  # used in the names of police stations, judicial offices …
    is_town: bool
    communities: tuple[str, ...]


STREETS: tuple[StreetSpec, ...] = (
    StreetSpec("D", "230903011000", "桃东街道", "桃东", False, ("东风社区", "铁东社区", "胜利社区", "东升社区")),
    StreetSpec("N", "230903012000", "桃南街道", "桃南", False, ("河畔社区", "南山社区", "建安社区", "新华社区")),
    StreetSpec("X", "230903013000", "桃西街道", "桃西", False, ("花园社区", "松山社区", "西苑社区", "青年社区", "兴业社区")),
    StreetSpec("B", "230903014000", "桃北街道", "桃北", False, ("北山社区", "学府社区", "康乐社区", "富民社区")),
    StreetSpec("Y", "230903015000", "桃源街道", "桃源", False, ("桃源社区", "兴岗社区", "矿建社区")),
    StreetSpec("S", "230903016000", "桃山街道", "桃山", False, ("桃山社区", "山水社区", "金沙社区", "文化社区")),
    StreetSpec("W", "230903100000", "万宝河镇", "万宝河", True, ("万宝村", "新兴村", "保安村", "福山村", "河东村", "太平村")),
)  # fmt: skip


def community_code(street: StreetSpec, index: int) -> str:
    """The code of the street's `index`-th community (0-based): 001… in a street, 201… in a town."""
    return f"{street.code[:9]}{(201 if street.is_town else 1) + index:03d}"


# Which street owns each cell of the community lattice (rows north → south, columns west → east).
# Each street's cells are edge-adjacent, so its communities form one connected area.
LAYOUT = (
    "WWBBBY",
    "WXXBYY",
    "WXXSSD",
    "WXNSSD",
    "WNNNDD",
)
# Cell edges in degrees (WGS 84): the district around 七台河, the rural town wider in the west.
LON_EDGES = (130.85, 130.92, 130.96, 131.00, 131.03, 131.065, 131.10)
LAT_EDGES = (45.82, 45.795, 45.775, 45.755, 45.73, 45.70)

TOTAL_GRIDS = 200
TOTAL_GRID_WORKERS = 170
SEED = 230903

# The first grid of 花园社区 covers the 松林小区 compound (scenario S1).
NAMED_GRIDS = {"230903013001001": "花园社区松林小区网格"}

# Dedicated grids: community name → (site type code, grid name).
DEDICATED_GRIDS = {
    "西苑社区": ("school", "桃西小学专属网格"),
    "学府社区": ("school", "七台河市第一中学专属网格"),
    "康乐社区": ("hospital", "七台河市人民医院专属网格"),
    "新华社区": ("market", "桃南农贸市场专属网格"),
    "金沙社区": ("shopping_mall", "金沙商业广场专属网格"),
    "保安村": ("industrial_park", "万宝河工业园区专属网格"),
    "东风社区": ("transport_hub", "七台河站专属网格"),
}

SITE_TYPES = (
    ("school", "学校"),
    ("kindergarten", "幼儿园"),
    ("hospital", "医院"),
    ("market", "市场"),
    ("shopping_mall", "商场"),
    ("industrial_park", "工业园区"),
    ("enterprise", "企业"),
    ("transport_hub", "交通枢纽"),
    ("government", "机关单位"),
)

SECTORS = (
    ("police", "公安"),
    ("procuratorate", "检察"),
    ("court", "法院"),
    ("justice", "司法"),
    ("civil_affairs", "民政"),
    ("petitions", "信访"),
    ("health", "卫健"),
    ("education", "教育"),
    ("emergency", "应急管理"),
    ("charity", "慈善"),
    ("human_resources", "人社"),
    ("housing", "住建"),
    ("urban_management", "城管"),
    ("market_regulation", "市场监管"),
    ("natural_resources", "自然资源"),
    ("women", "妇联"),
    ("youth_league", "共青团"),
)

# District member units of the leading group: (sector, name, short name).
MEMBER_UNITS = (
    ("police", "七台河市公安局桃山分局", "桃山公安分局"),
    ("procuratorate", "桃山区人民检察院", "区检察院"),
    ("court", "桃山区人民法院", "区法院"),
    ("justice", "桃山区司法局", "区司法局"),
    ("civil_affairs", "桃山区民政局", "区民政局"),
    ("petitions", "桃山区信访局", "区信访局"),
    ("health", "桃山区卫生健康局", "区卫健局"),
    ("education", "桃山区教育局", "区教育局"),
    ("emergency", "桃山区应急管理局", "区应急管理局"),
    ("charity", "桃山区慈善总会", "区慈善总会"),
    ("human_resources", "桃山区人力资源和社会保障局", "区人社局"),
    ("housing", "桃山区住房和城乡建设局", "区住建局"),
    ("urban_management", "桃山区城市管理综合执法局", "区城管局"),
    ("market_regulation", "桃山区市场监督管理局", "区市场监管局"),
    ("natural_resources", "桃山区自然资源局", "区自然资源局"),
    ("women", "桃山区妇女联合会", "区妇联"),
    ("youth_league", "共青团桃山区委员会", "团区委"),
)
POLICE_BUREAU = "七台河市公安局桃山分局"
JUSTICE_BUREAU = "桃山区司法局"
LEADING_GROUP = "桃山区平安建设领导小组"
DISTRICT_CENTER = "桃山区综治中心"
DISTRICT_LEGAL_CENTER = "桃山区公共法律服务中心"

# Communities with their own mediation committee (besides every street and town).
COMMUNITY_COMMITTEES = (
    "花园社区",
    "河畔社区",
    "学府社区",
    "桃源社区",
    "金沙社区",
    "万宝村",
    "太平村",
)
# Mediation groups of a committee, by its place: streets get two, communities one.
STREET_GROUPS = ("邻里纠纷调解小组", "物业纠纷调解小组")
TOWN_GROUPS = ("土地承包纠纷调解小组", "婚姻家庭纠纷调解小组")
COMMUNITY_GROUPS = ("邻里纠纷调解小组",)

# Names for the grid workers: common surnames of the north-east, given-name characters.
SURNAMES = "王李张刘赵杨孙于高马陈徐朱郭何林周吴郑宋韩曹冯董田曲姜范邢付丁崔谭白吕谢孟邵任"
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉玲梅斌宇浩凯健俊帆"
    "鑫晶莹晓雪婷欣怡佳琪博文雨涵思宁昊天子轩梓睿瑶琳丹阳东海春燕立新志国建微"
)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "176", "177", "180", "181", "185", "186", "187",
    "188", "189", "199",
)  # fmt: skip
BACKGROUND_WEIGHTS = (("graduate", 5), ("social_worker", 3), ("volunteer", 2))
