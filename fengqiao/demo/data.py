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

# Routing rules (data an administrator edits afterwards; looked up by name, created if missing):
# (order, name, category code, channel code, at least risk, handling level). Every rule is
# limited to the district; cases no rule places go to the district center's triage queue.
ROUTING_RULES = (
    (10, "110警情移交由区综治中心统一分派", None, "police_110", "", "district"),
    (20, "高风险及以上矛盾由区综治中心处置", None, None, "high", "district"),
    (30, "施工扰民由所在社区综治服务站受理", "construction_disturbance", None, "", "community"),
    (31, "邻里纠纷由所在社区综治服务站受理", "neighbourhood", None, "", "community"),
    (32, "物业纠纷由所在社区综治服务站受理", "property_management", None, "", "community"),
    (33, "婚姻家庭纠纷由所在社区综治服务站受理", "marriage_family", None, "", "community"),
    (34, "安全隐患由所在社区综治服务站受理", "safety_hazard", None, "", "community"),
    (40, "劳动争议由街道(镇)综治中心受理", "labour", None, "", "street"),
    (41, "劳资纠纷由街道(镇)综治中心受理", "labour_wages", None, "", "street"),
    (50, "12345热线工单由街道(镇)综治中心受理", None, "hotline_12345", "", "street"),
)

# Mediators per committee (People's Mediation Law art. 8 allows 3 to 9).
MEDIATORS_PER_COMMITTEE = (3, 5)
# Specialty codes (fengqiao.mediation reference data) drawn for mediators.
STREET_SPECIALTIES = ("neighbours", "family", "property", "labour", "construction", "contract",
                      "damages")  # fmt: skip
TOWN_SPECIALTIES = ("land", "family", "neighbours", "damages", "environment")

# Sample cases: category code → (titles, what the description says). Rural categories only
# happen in villages.
RURAL_CATEGORIES = ("forest_land", "rural_land_contract", "village_affairs", "housing_homestead")
CASE_TEMPLATES: dict[str, tuple[tuple[str, ...], str]] = {
    "construction_disturbance": (
        ("工地夜间施工噪音扰民", "渣土车遗撒影响居民通行", "拆迁工地扬尘扰民"),
        "居民反映附近工地作业影响休息和出行，要求施工方整改。",
    ),
    "neighbourhood": (
        (
            "楼上漏水引发邻里纠纷",
            "邻居占用公共楼道堆放杂物",
            "宠物犬夜间吠叫扰民",
            "相邻房屋采光纠纷",
        ),
        "邻里之间因生活琐事产生矛盾，双方多次争吵，请求社区协调。",
    ),
    "property_management": (
        ("物业费收缴纠纷", "小区电梯长期故障物业不维修", "供暖温度不达标"),
        "业主与物业公司就服务质量和收费问题发生争议。",
    ),
    "marriage_family": (
        ("赡养老人费用分担纠纷", "夫妻离婚财产分割纠纷", "家庭成员长期争吵"),
        "家庭成员之间产生矛盾，一方请求调解。",
    ),
    "labour": (
        ("劳动合同解除经济补偿纠纷", "工伤待遇纠纷"),
        "劳动者与用人单位就劳动报酬、补偿等问题发生争议。",
    ),
    "labour_wages": (
        ("建筑工地农民工讨要工资", "企业拖欠职工工资"),
        "务工人员反映用工方拖欠工资，涉及多人。",
    ),
    "contract": (("装修合同纠纷", "租房押金退还纠纷"), "双方就合同履行发生争议。"),
    "damages": (("车辆剐蹭赔偿纠纷", "饲养动物致人损害赔偿纠纷"), "一方要求对方赔偿损失。"),
    "road_traffic": (("交通事故赔偿纠纷",), "交通事故责任已认定，双方就赔偿数额协商不成。"),
    "environmental_pollution": (
        ("餐饮油烟扰民", "煤场扬尘污染"),
        "居民反映周边经营场所污染环境，影响生活。",
    ),
    "housing_homestead": (("宅基地界址纠纷",), "两户村民就宅基地边界发生争议。"),
    "forest_land": (("林地边界纠纷",), "村民之间就林地边界和林木归属发生争议。"),
    "rural_land_contract": (("土地承包经营权流转纠纷",), "村民就承包地流转费用发生争议。"),
    "village_affairs": (("村务公开不及时",), "村民反映村务、财务公开不及时。"),
    "public_security_incident": (
        ("酒后滋事", "夜间可疑人员徘徊", "商铺门前斗殴"),
        "群众反映治安问题，请求处置。",
    ),
    "help_request": (
        ("独居老人生活困难求助", "困难家庭子女就学求助", "残疾人生活救助求助"),
        "群众反映生活困难，请求帮助。",
    ),
    "safety_hazard": (
        ("楼道堆放易燃物", "井盖缺失存在安全隐患", "老旧小区燃气管道锈蚀"),
        "网格巡查发现安全隐患，需要及时消除。",
    ),
    "complaint": (("占道经营投诉", "夜市噪音投诉"), "群众投诉，要求相关部门处理。"),
    "legal_consultation": (
        ("咨询遗产继承问题", "咨询劳动仲裁程序", "咨询离婚财产分割"),
        "群众咨询法律问题。",
    ),
    "suggestion": (("建议增设小区路灯", "建议增加社区健身器材"), "群众提出意见建议。"),
}
# How often each category is drawn.
CATEGORY_WEIGHTS = {
    "construction_disturbance": 6, "neighbourhood": 14, "property_management": 9,
    "marriage_family": 8, "labour": 4, "labour_wages": 5, "contract": 4, "damages": 4,
    "road_traffic": 2, "environmental_pollution": 3, "housing_homestead": 2, "forest_land": 2,
    "rural_land_contract": 3, "village_affairs": 2, "public_security_incident": 5,
    "help_request": 5, "safety_hazard": 8, "complaint": 4, "legal_consultation": 4,
    "suggestion": 2,
}  # fmt: skip
CHANNEL_WEIGHTS = {
    "resident_report": 14, "grid_patrol": 22, "hotline_12345": 12, "police_110": 6,
    "petition": 3, "court": 2, "department": 3, "screening": 10, "walk_in": 14, "phone": 8,
}  # fmt: skip
# Member unit (by sector) a district or street center dispatches a category to.
DISPATCH_SECTORS = {
    "public_security_incident": "police",
    "help_request": "civil_affairs",
    "environmental_pollution": "urban_management",
    "complaint": "urban_management",
    "labour": "human_resources",
    "labour_wages": "human_resources",
    "property_management": "housing",
    "safety_hazard": "emergency",
    "legal_consultation": "justice",
    "road_traffic": "police",
    "village_affairs": "civil_affairs",
}
COMPANIES = ("七台河市宏达建筑工程有限公司", "七台河市鑫源物业服务有限公司",
             "桃山区顺通运输有限公司", "七台河市北方煤业有限公司", "七台河市家和装饰工程有限公司")  # fmt: skip
TOTAL_SAMPLE_CASES = 160
