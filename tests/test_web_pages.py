"""Every staff page with every persona: status codes, and nothing outside the user's scope."""

import pytest
from django.test import Client

from fengqiao.core.models import SensitiveAccess
from fengqiao.org.models import GridWorker

PERSONAS = [
    "grid_worker",
    "station_clerk",
    "street_clerk",
    "leader",
    "liaison",
    "admin",
    "outsider",
]

# Names and codes that must never reach a persona (grid worker: 花园社区 grid 001 only;
# station clerk: 松山社区; street clerk and liaison: 桃西街道).
FORBIDDEN = {
    "grid_worker": [
        "松山社区",
        "230903013002",
        "花园社区第2网格",
        "桃南街道",
        "河畔社区",
        "新建村",
    ],
    "station_clerk": ["花园社区", "230903013001", "桃南街道", "河畔社区", "新建村"],
    "street_clerk": ["桃南街道", "河畔社区", "新建村", "230903012"],
    "liaison": ["桃南街道", "河畔社区", "新建村", "230903012"],
    "leader": [],
    "admin": [],
    "outsider": ["花园社区", "松山社区", "桃西街道", "桃南街道", "河畔社区", "新建村", "桃山区"],
}


def pages(world) -> dict[str, str]:
    own_grid = world.grids["230903013001001"]
    return {
        "home": "/",
        "browser": "/territory/",
        "tree_huayuan": f"/territory/tree/{world.huayuan.pk}/",
        "region_huayuan": f"/territory/region/{world.huayuan.pk}/",
        "grid_own": f"/territory/grid/{own_grid.pk}/",
        "geojson": "/territory/grids.geojson",
        "audit": "/audit/",
    }


# Expected status of each page for each persona.
EXPECTED = {
    "grid_worker": {"audit": 403},
    "station_clerk": {"tree_huayuan": 404, "region_huayuan": 404, "grid_own": 404, "audit": 403},
    "street_clerk": {"audit": 403},
    "leader": {"audit": 403},
    "liaison": {"audit": 403},
    "admin": {"audit": 403},
    "outsider": {
        "browser": 403,
        "tree_huayuan": 403,
        "region_huayuan": 403,
        "grid_own": 403,
        "audit": 403,
    },
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_status_and_scope(personas, world, client_for, persona):
    client = client_for(getattr(personas, persona))
    for name, url in pages(world).items():
        response = client.get(url)
        expected = EXPECTED[persona].get(name, 200)
        assert response.status_code == expected, (persona, name, response.status_code)
        body = response.content.decode()
        for word in FORBIDDEN[persona]:
            assert word not in body, (persona, name, word)


def test_anonymous_is_sent_to_login_from_every_page(world, client):
    for url in pages(world).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_default_language_is_chinese_and_english_is_selectable(db, client):
    html = client.get("/login/").content.decode()
    assert "登录" in html and 'lang="zh-hans"' in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    html = client.get("/login/").content.decode()
    assert "Log in" in html and "登录" not in html.replace("简体中文", "")


def test_nav_shows_only_allowed_sections(personas, client_for):
    gw_html = client_for(personas.grid_worker).get("/").content.decode()
    assert 'href="/territory/"' in gw_html
    assert 'href="/audit/"' not in gw_html and 'href="/admin/"' not in gw_html
    admin_html = client_for(personas.admin).get("/").content.decode()
    assert 'href="/audit/"' not in admin_html and 'href="/admin/"' in admin_html
    auditor_html = client_for(personas.auditor).get("/").content.decode()
    assert 'href="/audit/"' in auditor_html and 'href="/audit/reads/"' in auditor_html
    assert "管理员己" in admin_html and "系统管理员" in admin_html  # name and role in the header
    outsider_html = client_for(personas.outsider).get("/").content.decode()
    assert 'href="/territory/"' not in outsider_html


def test_home_of_grid_worker_lists_their_grid(personas, client_for):
    html = client_for(personas.grid_worker).get("/").content.decode()
    assert "我的网格" in html and "花园社区第1网格" in html
    assert "data-map" in html and "mine=1" in html


def test_home_of_station_clerk_summarises_their_community(personas, client_for):
    response = client_for(personas.station_clerk).get("/")
    area = response.context["area"]
    assert [r.name for r in area.roots] == ["松山社区"]
    assert (area.communities, area.grids, area.grid_workers, area.units) == (1, 2, 0, 1)
    assert "我的辖区" in response.content.decode()


def test_home_of_street_clerk_counts_the_street(personas, client_for):
    area = client_for(personas.street_clerk).get("/").context["area"]
    assert [r.name for r in area.roots] == ["桃西街道"]
    # 2 communities, 4 grids, the one grid worker, and 桃西's center, 2 stations, police station.
    assert (area.communities, area.grids, area.grid_workers, area.units) == (2, 4, 1, 4)


def test_home_of_leader_shows_district_figures(personas, client_for):
    response = client_for(personas.leader).get("/")
    d = response.context["district"]
    assert (d.streets, d.communities, d.grids, d.grid_workers, d.stations) == (2, 4, 8, 1, 2)
    assert d.mediation_committees == 0
    rows = {row.region.name: (row.communities, row.grids, row.grid_workers) for row in d.by_street}
    assert rows == {"桃西街道": (2, 4, 1), "桃南街道": (2, 4, 0)}
    assert "辖区概况" in response.content.decode()


def test_home_of_admin_links_to_reference_data_and_audit(personas, client_for):
    html = client_for(personas.admin).get("/").content.decode()
    assert 'href="/admin/org/unit/"' in html
    # Accounts are the security officer's, the audit trail the auditor's (separation of duties).
    assert 'href="/admin/accounts/user/"' not in html and 'href="/audit/"' not in html
    html = client_for(personas.security).get("/").content.decode()
    assert 'href="/admin/accounts/user/"' in html and 'href="/admin/org/unit/"' not in html


def test_outsider_home_says_no_role_and_shows_no_data(personas, client_for):
    response = client_for(personas.outsider).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "尚未分配角色" in html and "联系系统管理员" in html
    assert "网格" not in html.replace("尚未分配角色", "")


def test_grid_worker_phone_is_masked_without_sensitive_view(personas, world, client_for):
    GridWorker.objects.filter(user=personas.grid_worker).update(phone="13912345678")
    url = f"/territory/grid/{world.grids['230903013001001'].pk}/"
    for persona in ["grid_worker", "leader", "admin"]:
        html = client_for(getattr(personas, persona)).get(url).content.decode()
        assert "139****5678" in html and "13912345678" not in html, persona
    assert not SensitiveAccess.objects.exists()
    # 桃西街道's center staff hold Perm.SENSITIVE_VIEW there: full number, and the read is logged.
    html = client_for(personas.street_clerk).get(url).content.decode()
    assert "13912345678" in html
    read = SensitiveAccess.objects.get()
    assert read.actor == personas.street_clerk and read.field == "phone"


def test_inactive_user_session_is_refused(personas, client_for):
    client = client_for(personas.leader)
    personas.leader.is_active = False
    personas.leader.save()
    response = client.get("/")
    assert response.status_code == 302


def test_login_page_redirects_logged_in_users_home(personas, client_for):
    response = client_for(personas.leader).get("/login/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_logout_is_post_only(personas, client_for):
    client = client_for(personas.leader)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert Client().get("/").status_code == 302
    assert client.get("/").status_code == 302
