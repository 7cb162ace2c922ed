"""Staff case pages: scope per persona, allowed actions only, conflicts keep input, bad input,
escaping, and query counts that do not grow with rows."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fengqiao.cases import actions
from fengqiao.cases.models import Case, CaseState, InboxItem, Note, Task
from tests.case_factories import (
    HUAYUAN_POINT,
    SONGSHAN_POINT,
    make_case_world,
    report,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def cw(world):
    return make_case_world(world)


@pytest.fixture
def huayuan_case(cw):
    return report(None).case


def test_list_scoped_per_persona(personas, cw, client_for, huayuan_case):
    songshan = report(None, point=SONGSHAN_POINT, title="松山社区楼道堆物").case
    url = reverse("cases:list")
    body = client_for(cw.huayuan_clerk).get(url).content.decode()
    assert huayuan_case.tracking_number in body and songshan.tracking_number not in body
    # The 松山社区 station clerk never sees a 花园社区 case.
    body = client_for(personas.station_clerk).get(url).content.decode()
    assert songshan.tracking_number in body and huayuan_case.tracking_number not in body
    body = client_for(personas.street_clerk).get(url).content.decode()
    assert songshan.tracking_number in body and huayuan_case.tracking_number in body
    # The police liaison sees nothing until their unit has a task.
    body = client_for(personas.liaison).get(url).content.decode()
    assert huayuan_case.tracking_number not in body
    # The outsider gets 403 and no data.
    resp = client_for(personas.outsider).get(url)
    assert resp.status_code == 403 and huayuan_case.tracking_number not in resp.content.decode()


def test_liaison_sees_case_once_their_unit_has_a_task(world, personas, cw, client_for):
    case = report(None).case
    case = actions.accept(cw.district_clerk, case, expected_version=case.version)
    case = actions.dispatch(
        cw.district_clerk,
        case,
        lead_unit=world.huayuan_station,
        co_units=[world.police_taoxi],
        expected_version=case.version,
    )
    c = client_for(personas.liaison)
    assert case.tracking_number in c.get(reverse("cases:list")).content.decode()
    resp = c.get(reverse("cases:detail", args=[case.pk]))
    assert resp.status_code == 200
    # Their inbox has the dispatch.
    assert case.tracking_number in c.get(reverse("cases:inbox")).content.decode()


@pytest.mark.parametrize("persona", ["outsider", "station_clerk", "liaison", "grid_worker"])
def test_case_page_hidden_outside_scope(personas, cw, client_for, persona):
    case = report(None, point=(131.007, 45.775)).case  # 花园社区 grid 002
    c = client_for(getattr(personas, persona))
    if persona == "outsider":
        assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 403
    else:
        resp = c.get(reverse("cases:detail", args=[case.pk]))
        assert resp.status_code == 404
        assert case.title not in resp.content.decode()
    resp = c.post(
        reverse("cases:act", args=[case.pk, "accept"]), {"version": case.version, "note": ""}
    )
    assert resp.status_code in (403, 404)
    case.refresh_from_db()
    assert case.state == CaseState.REGISTERED


def test_grid_worker_sees_own_grid_case(personas, cw, client_for, huayuan_case):
    resp = client_for(personas.grid_worker).get(reverse("cases:detail", args=[huayuan_case.pk]))
    assert resp.status_code == 200


def test_case_page_offers_only_allowed_actions(cw, personas, client_for, huayuan_case):
    body = (
        client_for(cw.huayuan_clerk)
        .get(reverse("cases:detail", args=[huayuan_case.pk]))
        .content.decode()
    )
    assert 'id="action-accept"' in body
    assert 'id="action-resolve"' not in body and 'id="action-close"' not in body
    # The leader supervises but cannot accept.
    body = (
        client_for(personas.leader)
        .get(reverse("cases:detail", args=[huayuan_case.pk]))
        .content.decode()
    )
    assert 'id="action-accept"' not in body and 'id="action-raise_supervision"' in body


def test_disallowed_transition_is_refused(cw, client_for, huayuan_case):
    c = client_for(cw.huayuan_clerk)
    resp = c.post(
        reverse("cases:act", args=[huayuan_case.pk, "close"]),
        {"version": huayuan_case.version, "outcome": "已办结"},
    )
    assert resp.status_code == 409
    assert "不能" in resp.content.decode() or "cannot" in resp.content.decode()
    huayuan_case.refresh_from_db()
    assert huayuan_case.state == CaseState.REGISTERED


def test_stale_version_keeps_input_and_says_conflict(cw, client_for, huayuan_case):
    v = huayuan_case.version
    actions.accept(cw.district_clerk, huayuan_case, expected_version=v)
    c = client_for(cw.huayuan_clerk)
    # A form loaded before the accept: the note typed is kept, nothing is written.
    resp = c.post(
        reverse("cases:act", args=[huayuan_case.pk, "add_progress"]),
        {"version": v, "text": "现场调查记录：我的输入"},
    )
    assert resp.status_code == 409
    body = resp.content.decode()
    assert "现场调查记录：我的输入" in body
    assert "中心甲" in body  # who changed it
    assert not Note.objects.filter(case=huayuan_case).exists()


def test_htmx_action_conflict_returns_form_fragment(cw, client_for, huayuan_case):
    v = huayuan_case.version
    actions.accept(cw.district_clerk, huayuan_case, expected_version=v)
    resp = client_for(cw.huayuan_clerk).post(
        reverse("cases:act", args=[huayuan_case.pk, "cancel"]),
        {"version": v, "reason": "误报"},
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert body.lstrip().startswith("<details") and "误报" in body and 'role="alert"' in body


def test_s1_actions_through_pages(world, cw, client_for, huayuan_case):
    c = client_for(cw.huayuan_clerk)
    case = huayuan_case

    def act(name, **data):
        case.refresh_from_db()
        resp = c.post(reverse("cases:act", args=[case.pk, name]), {"version": case.version, **data})
        assert resp.status_code == 302, resp.content.decode()[:2000]

    act("accept")
    act("start")
    act("add_progress", text="<b>现场调查</b>：夜间施工属实", public="on")
    act("resolve", outcome="施工单位调整作业时间并修复道路", success="1")
    act("close", outcome="")
    act("record_visit", method="phone", satisfaction="satisfied", note="满意")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    assert case.visits.get().satisfaction == "satisfied"
    body = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    # Markup typed in a note is stored as typed and shown escaped.
    assert Note.objects.get(case=case).text == "<b>现场调查</b>：夜间施工属实"
    assert "&lt;b&gt;现场调查&lt;/b&gt;" in body and "<b>现场调查</b>" not in body


def test_task_actions_for_lead_and_co_units(world, personas, cw, client_for):
    case = report(None).case
    case = actions.accept(cw.district_clerk, case, expected_version=case.version)
    case = actions.dispatch(
        cw.district_clerk,
        case,
        lead_unit=world.huayuan_station,
        co_units=[world.police_taoxi],
        expected_version=case.version,
    )
    co = case.tasks.get(role=Task.Role.CO)
    c = client_for(personas.liaison)
    resp = c.post(
        reverse("cases:act", args=[case.pk, "acknowledge_task"]),
        {"version": case.version, "task": co.pk},
    )
    assert resp.status_code == 302
    co.refresh_from_db()
    assert co.state == Task.State.ACKNOWLEDGED
    # The liaison cannot act on the lead unit's task.
    case.refresh_from_db()
    lead = case.tasks.get(role=Task.Role.LEAD)
    resp = c.post(
        reverse("cases:act", args=[case.pk, "complete_task"]),
        {"version": case.version, "task": lead.pk, "result": "完成"},
    )
    assert resp.status_code == 403
    lead.refresh_from_db()
    assert lead.state == Task.State.DISPATCHED


def test_missing_reason_names_the_field(cw, client_for, huayuan_case):
    resp = client_for(cw.huayuan_clerk).post(
        reverse("cases:act", args=[huayuan_case.pk, "cancel"]),
        {"version": huayuan_case.version, "reason": ""},
    )
    assert resp.status_code == 400
    assert "理由" in resp.content.decode() or "Reason" in resp.content.decode()
    huayuan_case.refresh_from_db()
    assert huayuan_case.state == CaseState.REGISTERED


def test_forged_and_oversized_attachments_refused(cw, client_for, huayuan_case, settings):
    c = client_for(cw.huayuan_clerk)
    url = reverse("cases:act", args=[huayuan_case.pk, "add_attachment"])
    forged = SimpleUploadedFile("photo.jpg", b"<?php echo 1; ?>" * 10, "image/jpeg")
    resp = c.post(url, {"version": huayuan_case.version, "file": forged})
    assert resp.status_code == 400 and "photo.jpg" in resp.content.decode()
    settings.ATTACHMENT_MAX_BYTES = 50
    big = SimpleUploadedFile("big.png", PNG, "image/png")
    resp = c.post(url, {"version": huayuan_case.version, "file": big})
    assert resp.status_code == 400 and "big.png" in resp.content.decode()
    assert not huayuan_case.attachments.exists()
    settings.ATTACHMENT_MAX_BYTES = 10_000
    ok = SimpleUploadedFile("ok.png", PNG, "image/png")
    assert c.post(url, {"version": huayuan_case.version, "file": ok}).status_code == 302
    assert huayuan_case.attachments.get().content_type == "image/png"


def _intake_post(**over):
    data = {
        "channel": "",
        "kind": "dispute",
        "category": "",
        "title": "",
        "description": "松林小区旁工地夜间施工噪音扰民",
        "address": "花园社区松林小区",
        "lon": str(HUAYUAN_POINT[0]),
        "lat": str(HUAYUAN_POINT[1]),
        "reporter_name": "王女士",
        "reporter_phone": "13904641234",
        "people_involved": "3",
        "risk_level": "low",
        "priority": "normal",
        "party-TOTAL_FORMS": "2",
        "party-INITIAL_FORMS": "0",
        "party-MIN_NUM_FORMS": "0",
        "party-MAX_NUM_FORMS": "10",
    }
    data.update(over)
    return data


def _ids():
    from fengqiao.cases.models import Category, Channel

    return (
        str(Channel.objects.get(code="hotline_12345").pk),
        str(Category.objects.get(code="construction_disturbance").pk),
    )


def test_staff_intake_creates_case_with_party(cw, client_for):
    channel, category = _ids()
    c = client_for(cw.huayuan_clerk)
    page = c.get(reverse("cases:intake"))
    assert page.status_code == 200
    resp = c.post(
        reverse("cases:intake"),
        _intake_post(
            channel=channel,
            category=category,
            form_token=page.context["form_token"],
            **{"party-0-name": "李四", "party-0-id_number": "360426199101010071"},
        ),
    )
    assert resp.status_code == 302
    case = Case.objects.get()
    assert case.channel.code == "hotline_12345" and case.parties.get().name == "李四"
    assert case.grid is not None


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"lon": "abc"}, "数"),
        ({"lat": "95"}, "90"),
        ({"reporter_phone": "1390464"}, "0464"),
        ({"party-0-name": "李四", "party-0-id_number": "360426199101010072"}, "身份"),
    ],
)
def test_staff_intake_bad_input(cw, client_for, over, needle):
    channel, category = _ids()
    resp = client_for(cw.huayuan_clerk).post(
        reverse("cases:intake"), _intake_post(channel=channel, category=category, **over)
    )
    assert resp.status_code == 400
    assert needle in resp.content.decode()
    assert not Case.objects.exists()


def test_intake_forbidden_for_outsider_and_leader(personas, client_for):
    assert client_for(personas.outsider).get(reverse("cases:intake")).status_code == 403
    assert client_for(personas.leader).get(reverse("cases:intake")).status_code == 403


def test_duplicate_suggestions_fragment(personas, cw, client_for, huayuan_case):
    _channel, category = _ids()
    c = client_for(cw.huayuan_clerk)
    resp = c.get(
        reverse("cases:duplicates"),
        {
            "category": category,
            "lon": HUAYUAN_POINT[0],
            "lat": HUAYUAN_POINT[1],
            "description": "松林小区工地施工噪音扰民",
        },
    )
    assert huayuan_case.tracking_number in resp.content.decode()
    # Another community's clerk is not shown the case.
    other = client_for(personas.station_clerk)
    resp = other.get(
        reverse("cases:duplicates"),
        {"category": category, "lon": HUAYUAN_POINT[0], "lat": HUAYUAN_POINT[1],
         "description": "松林小区工地施工噪音扰民"},
    )  # fmt: skip
    assert huayuan_case.tracking_number not in resp.content.decode()
    # Malformed coordinates: an empty fragment, not an error.
    assert c.get(reverse("cases:duplicates"), {"lon": "x", "lat": "y"}).status_code == 200


def test_patrol_report_by_grid_worker(personas, client_for):
    from fengqiao.cases.models import Category

    c = client_for(personas.grid_worker)
    page = c.get(reverse("cases:patrol"))
    assert page.status_code == 200
    photo = SimpleUploadedFile("p.png", PNG, "image/png")
    resp = c.post(
        reverse("cases:patrol"),
        {
            "form_token": page.context["form_token"],
            "category": Category.objects.get(code="safety_hazard").pk,
            "description": "楼道堆放杂物，存在消防隐患",
            "lon": str(HUAYUAN_POINT[0]),
            "lat": str(HUAYUAN_POINT[1]),
            "risk_level": "medium",
            "attachments": photo,
        },
    )
    assert resp.status_code == 200
    case = Case.objects.get()
    assert case.channel.code == "grid_patrol" and case.attachments.count() == 1
    assert case.tracking_number in resp.content.decode()
    resp = c.post(reverse("cases:patrol"), {"description": "x", "lon": "131", "lat": "north"})
    assert resp.status_code == 400 and Case.objects.count() == 1
    assert client_for(personas.outsider).get(reverse("cases:patrol")).status_code == 403


def test_map_geojson_scoped(personas, cw, client_for, huayuan_case):
    c = client_for(cw.huayuan_clerk)
    assert c.get(reverse("cases:map")).status_code == 200
    data = c.get(reverse("cases:geojson")).json()
    assert [f["properties"]["tracking_number"] for f in data["features"]] == [
        huayuan_case.tracking_number
    ]
    assert client_for(personas.station_clerk).get(reverse("cases:geojson")).json()["features"] == []
    assert client_for(personas.outsider).get(reverse("cases:geojson")).status_code == 403


def test_inbox_and_mark_read(world, cw, client_for, huayuan_case):
    c = client_for(cw.huayuan_clerk)
    body = c.get(reverse("cases:inbox")).content.decode()
    assert huayuan_case.tracking_number in body
    item = InboxItem.objects.get(case=huayuan_case, unit=world.huayuan_station)
    assert c.post(reverse("cases:inbox_read"), {"item": item.pk}).status_code == 302
    item.refresh_from_db()
    assert item.read_at is not None


def test_list_filters_and_keyset_more(cw, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the search index fills on commit
        for i in range(5):
            report(None, title=f"松林小区施工噪音第{i}次")
        report(None, category="neighbourhood", kind="dispute", title="邻里漏水纠纷")
    c = client_for(cw.huayuan_clerk)
    resp = c.get(reverse("cases:list"), {"q": "漏水"})
    assert "邻里漏水纠纷" in resp.content.decode() and "第0次" not in resp.content.decode()
    from fengqiao.cases import queries

    seen = []
    cursor = None
    while True:
        page = queries.case_page(cw.huayuan_clerk, queries.CaseFilters(), cursor=cursor, limit=2)
        seen += [x.pk for x in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == list(Case.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    resp = c.get(reverse("cases:list"), {"cursor": "bm90LWEtY3Vyc29y"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200


def test_list_and_case_page_query_counts_do_not_grow(cw, client_for, django_assert_max_num_queries):
    c = client_for(cw.huayuan_clerk)
    case = report(None).case
    actions.add_progress(cw.huayuan_clerk, case, text="一")

    def counts():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as list_q:
            assert c.get(reverse("cases:list")).status_code == 200
        with CaptureQueriesContext(connection) as page_q:
            assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 200
        return len(list_q), len(page_q)

    few = counts()
    for i in range(8):
        report(None, title=f"更多案件{i}")
        actions.add_progress(cw.huayuan_clerk, case, text=f"进展{i}")
        actions.add_attachment(
            cw.huayuan_clerk, case, SimpleUploadedFile(f"{i}.png", PNG, "image/png")
        )
    many = counts()
    assert many == few
    with django_assert_max_num_queries(15):
        c.get(reverse("cases:list"))
    with django_assert_max_num_queries(45):
        c.get(reverse("cases:detail", args=[case.pk]))
