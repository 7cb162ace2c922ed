"""Open311 GeoReport v2 under /open311/v2/: every endpoint in JSON and XML, the spec's errors."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.cases import actions as case_actions
from fengqiao.cases.models import Case, CaseHistory, Category, Channel, LocationFlag
from fengqiao.open311.clients import issue_client, revoke_client
from fengqiao.open311.models import AttributeValue, Open311Request, ServiceAttribute, ServiceInfo
from tests.case_factories import HUAYUAN_POINT, case_data

BASE = "/open311/v2/"
LON, LAT = HUAYUAN_POINT
PHONE = "13904641234"


@pytest.fixture
def resident_channel(db) -> Channel:
    return Channel.objects.get(code="resident_report")


@pytest.fixture
def app_key(world, resident_channel) -> str:
    return issue_client("居民随手拍", resident_channel, actor=None).secret


@pytest.fixture
def noise(db) -> Category:
    return Category.objects.get(code="construction_disturbance")


@pytest.fixture
def attributes(noise):
    hours = ServiceAttribute.objects.create(
        category=noise, code="hours", datatype="singlevaluelist", required=True,
        description="施工时段", order=1,
    )  # fmt: skip
    AttributeValue.objects.create(attribute=hours, key="night", name="夜间", sort=1)
    AttributeValue.objects.create(attribute=hours, key="day", name="白天", sort=2)
    kinds = ServiceAttribute.objects.create(
        category=noise, code="sources", datatype="multivaluelist", description="噪音来源", order=2
    )
    for i, (key, name) in enumerate([("machines", "机械"), ("trucks", "车辆")]):
        AttributeValue.objects.create(attribute=kinds, key=key, name=name, sort=i)
    ServiceAttribute.objects.create(
        category=noise, code="people", datatype="number", description="受影响人数", order=3
    )
    ServiceAttribute.objects.create(
        category=noise, code="since", datatype="datetime", description="开始时间", order=4
    )
    ServiceAttribute.objects.create(
        category=noise, code="site", datatype="string", description="工地名称", order=5
    )
    return noise


def parse(resp):
    if resp["Content-Type"].startswith("text/xml"):
        assert resp.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        return ET.fromstring(resp.content)
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(resp.content)


def post(fmt="json", key=None, query="", **fields):
    data = {"service_code": "construction_disturbance", "description": "工地夜间施工噪音扰民"}
    data |= {"lat": str(LAT), "long": str(LON), "phone": PHONE}
    data |= fields
    data = {k: v for k, v in data.items() if v is not None}
    if key is not None:
        data["api_key"] = key
    return Client().post(f"{BASE}requests.{fmt}{query}", data)


def error_of(resp, status):
    assert resp.status_code == status
    body = parse(resp)
    if isinstance(body, list):
        assert body and all(e["code"] == status for e in body)
        return " ".join(e["description"] for e in body)
    assert body.tag == "errors"
    errors = body.findall("error")
    assert errors and all(e.findtext("code") == str(status) for e in errors)
    return " ".join(e.findtext("description") for e in errors)


# -- discovery and services -------------------------------------------------------------------


def test_discovery_in_both_formats(db):
    data = parse(Client().get(BASE + "discovery.json"))
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert {"changeset", "contact", "key_service"} <= set(data)
    root = parse(Client().get(BASE + "discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]
    assert root.findtext("endpoints/endpoint/type") == "production"


def test_services_list_public_active_categories(world, attributes):
    hidden = Category.objects.get(code="labour")
    hidden.public = False
    hidden.save()
    ServiceInfo.objects.create(category=attributes, description="工地噪音", keywords="噪音, 施工")
    rows = {r["service_code"]: r for r in parse(Client().get(BASE + "services.json"))}
    assert "labour" not in rows
    noise = rows["construction_disturbance"]
    assert noise == {
        "service_code": "construction_disturbance",
        "service_name": "施工扰民",
        "description": "工地噪音",
        "metadata": True,
        "type": "realtime",
        "keywords": "噪音, 施工",
        "group": "矛盾纠纷(综治台账分类)",
    }
    assert rows["neighbourhood"]["metadata"] is False
    root = parse(Client().get(BASE + "services.xml"))
    assert root.tag == "services"
    by_code = {s.findtext("service_code"): s for s in root.findall("service")}
    assert by_code["construction_disturbance"].findtext("metadata") == "true"
    assert by_code["neighbourhood"].findtext("metadata") == "false"
    assert by_code["construction_disturbance"].findtext("group") == "矛盾纠纷(综治台账分类)"
    assert "labour" not in by_code


def test_service_definition_both_formats(world, attributes):
    ServiceAttribute.objects.create(
        category=attributes, code="gone", datatype="string", description="x", active=False
    )
    data = parse(Client().get(BASE + "services/construction_disturbance.json"))
    assert data["service_code"] == "construction_disturbance"
    codes = [a["code"] for a in data["attributes"]]
    assert codes == ["hours", "sources", "people", "since", "site"]
    hours = data["attributes"][0]
    assert hours == {
        "variable": True,
        "code": "hours",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "施工时段",
        "values": [{"key": "night", "name": "夜间"}, {"key": "day", "name": "白天"}],
    }
    root = parse(Client().get(BASE + "services/construction_disturbance.xml"))
    assert root.tag == "service_definition"
    first = root.find("attributes/attribute")
    assert first.findtext("code") == "hours"
    assert first.findtext("required") == "true"
    assert [v.findtext("key") for v in first.findall("values/value")] == ["night", "day"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_private_service_is_404(world, fmt):
    Category.objects.filter(code="labour").update(public=False)
    assert "nope" in error_of(Client().get(f"{BASE}services/nope.{fmt}"), 404)
    error_of(Client().get(f"{BASE}services/labour.{fmt}"), 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_jurisdiction_id(world, fmt):
    assert Client().get(f"{BASE}services.{fmt}?jurisdiction_id=230903").status_code == 200
    assert Client().get(f"{BASE}services.{fmt}?jurisdiction_id=").status_code == 200
    assert "jurisdiction_id" in error_of(
        Client().get(f"{BASE}services.{fmt}?jurisdiction_id=110101"), 404
    )
    error_of(Client().get(f"{BASE}requests.{fmt}?jurisdiction_id=sfgov.org"), 404)


# -- POST requests ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_with_point_creates_a_located_case(app_key, fmt):
    ServiceInfo.objects.create(
        category=Category.objects.get(code="construction_disturbance"), notice="社区将在3日内核实"
    )
    resp = post(fmt, app_key, account_id="u-42", first_name="芳", last_name="王",
                email="wang@example.org", media_url="https://img.example.org/1.jpg",
                device_id="dev-1")  # fmt: skip
    assert resp.status_code == 200
    body = parse(resp)
    if fmt == "json":
        row = body[0]
        assert set(row) == {"service_request_id", "service_notice", "account_id"}
        number, notice, account = (
            row["service_request_id"],
            row["service_notice"],
            row["account_id"],
        )
    else:
        assert body.tag == "service_requests"
        req = body.find("request")
        number = req.findtext("service_request_id")
        notice, account = req.findtext("service_notice"), req.findtext("account_id")
    assert notice == "社区将在3日内核实" and account == "u-42"
    case = Case.objects.get(tracking_number=number)
    assert number.startswith("230903-")
    assert case.channel.code == "resident_report"
    assert case.grid is not None and case.location_flag == LocationFlag.NONE
    assert case.reporter_name == "王芳" and case.reporter_phone == PHONE
    assert case.created_by is None
    extra = Open311Request.objects.get(case=case)
    assert extra.media_url == "https://img.example.org/1.jpg" and extra.device_id == "dev-1"


def test_post_with_address_only_goes_to_triage(app_key):
    resp = post("json", app_key, lat=None, long=None, address_string="桃西街道花园社区松林小区")
    assert resp.status_code == 200
    case = Case.objects.get(tracking_number=parse(resp)[0]["service_request_id"])
    assert case.lat is None and case.lon is None
    assert case.location_flag == LocationFlag.NO_LOCATION and case.needs_triage
    assert case.address == "桃西街道花园社区松林小区"


def test_api_key_in_query_string(app_key):
    assert post("json", None, query=f"?api_key={app_key}").status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_invalid_and_revoked_keys_are_403(app_key, fmt):
    assert "api_key" in error_of(post(fmt, None), 403)
    error_of(post(fmt, "o311_not-a-key"), 403)
    from fengqiao.open311.models import Open311Client

    revoke_client(Open311Client.objects.get(), actor=None)
    error_of(post(fmt, app_key), 403)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_is_404_and_missing_is_400(app_key, fmt):
    error_of(post(fmt, app_key, service_code="potholes"), 404)
    assert "service_code" in error_of(post(fmt, app_key, service_code=""), 400)
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"lat": "abc"}, "lat"),
        ({"lat": "95"}, "lat"),
        ({"long": "nan"}, "long"),
        ({"long": "inf"}, "long"),
        # The missing half is named (the intake's pairing rule, in Open311's terms).
        ({"long": None}, "long"),
        ({"lat": None, "long": None}, "lat/long"),
        ({"email": "not-an-email"}, "email"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"description": "长" * 4001}, "description"),
        ({"phone": None}, "phone"),
        ({"phone": "12"}, "phone"),
    ],
)
def test_bad_input_is_400_naming_the_field(app_key, fields, named):
    text = error_of(post("json", app_key, **fields), 400)
    assert text.startswith(named + ":") or f" {named}:" in text
    assert not Case.objects.exists()


def test_open311_and_intake_errors_come_in_one_answer(app_key):
    # Open311's own fields and the case's fields (checked by the intake) are named together.
    text = error_of(post("json", app_key, media_url="ftp://x", lat="95", email="nope"), 400)
    assert "media_url:" in text and "lat:" in text and "email:" in text
    assert not Case.objects.exists()


def test_attributes_are_validated(app_key, attributes):
    text = error_of(post("json", app_key), 400)
    assert "attribute[hours]" in text
    error_of(post("json", app_key, **{"attribute[hours]": "dawn"}), 400)
    error_of(post("json", app_key, **{"attribute[hours]": "night", "attribute[nope]": "1"}), 400)
    error_of(
        post("json", app_key, **{"attribute[hours]": "night", "attribute[people]": "lots"}), 400
    )
    error_of(
        post("json", app_key, **{"attribute[hours]": "night", "attribute[since]": "yesterday"}), 400
    )
    error_of(post("json", app_key, **{"attribute[hours]": "night", "attribute[site]": "a\nb"}), 400)
    error_of(post("json", app_key, **{"attribute[hours]": ["night", "day"]}), 400)
    error_of(post("json", app_key, **{"attribute[hours]": "night", "attribute[sources][]": ["machines", "boats"]}), 400)  # fmt: skip
    assert not Case.objects.exists()
    resp = post(
        "xml",
        app_key,
        **{
            "attribute[hours]": "night",
            "attribute[sources][]": ["machines", "trucks"],
            "attribute[people]": "30",
            "attribute[since]": "2026-11-01T22:00:00+08:00",
        },
    )
    assert resp.status_code == 200
    number = parse(resp).findtext("request/service_request_id")
    extra = Open311Request.objects.get(case__tracking_number=number)
    assert extra.attributes == {
        "hours": "night",
        "sources": ["machines", "trucks"],
        "people": "30",
        "since": "2026-11-01T22:00:00+08:00",
    }
    assert "施工时段: 夜间" in extra.case.description
    assert "噪音来源: 机械、车辆" in extra.case.description


def test_client_reporting_as_a_staff_account(world, personas, noise):
    from django.core.exceptions import ValidationError

    hotline = Channel.objects.get(code="hotline_12345")
    with pytest.raises(ValidationError):
        issue_client("12345", hotline, actor=None)
    key = issue_client("12345", hotline, actor=None, account=personas.street_clerk).secret
    resp = post("json", key, phone=None)  # a staff registration needs no phone
    assert resp.status_code == 200
    case = Case.objects.get(tracking_number=parse(resp)[0]["service_request_id"])
    assert case.channel == hotline and case.created_by == personas.street_clerk
    # The case came in through Open311, so the public GET shows it though the channel is not public.
    assert Client().get(f"{BASE}requests/{case.tracking_number}.json").status_code == 200
    outsider_key = issue_client("x", hotline, actor=None, account=personas.outsider).secret
    error_of(post("json", outsider_key), 403)
    personas.street_clerk.is_active = False
    personas.street_clerk.save()
    error_of(post("json", key), 403)


def test_staff_without_staff_edit_may_not_issue_keys(world, personas, resident_channel):
    from django.core.exceptions import PermissionDenied

    # Keys are the security officer's: not even the system administrator issues them.
    for user in (personas.outsider, personas.station_clerk, personas.admin, personas.auditor):
        with pytest.raises(PermissionDenied):
            issue_client("x", resident_channel, actor=user)
    issued = issue_client("ok", resident_channel, actor=personas.security)
    assert issued.client.created_by == personas.security
    assert issued.secret not in json.dumps(
        list(__import__("fengqiao.core.models", fromlist=["AuditEntry"]).AuditEntry.objects.values())
        , default=str)  # fmt: skip


def test_wrong_method_and_unknown_paths(app_key):
    resp = Client().delete(BASE + "requests.json")
    error_of(resp, 405)
    assert "POST" in resp["Allow"]
    error_of(Client().post(BASE + "services.xml"), 405)
    error_of(Client().get(BASE + "requests.csv"), 404)
    error_of(Client().get(BASE + "nothing/here.json"), 404)


# -- GET requests ----------------------------------------------------------------------------


def _submit(key, **fields) -> Case:
    resp = post("json", key, **fields)
    assert resp.status_code == 200, resp.content
    return Case.objects.get(tracking_number=parse(resp)[0]["service_request_id"])


def _ids(resp) -> list[str]:
    body = parse(resp)
    if isinstance(body, list):
        return [r["service_request_id"] for r in body]
    assert body.tag == "service_requests"
    return [r.findtext("service_request_id") for r in body.findall("request")]


REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
]  # fmt: skip


def test_get_request_both_formats(app_key, personas):
    case = _submit(app_key, address_string="松林小区", address_id="A-1",
                   media_url="https://img.example.org/2.jpg")  # fmt: skip
    CaseHistory.objects.create(
        case=case, action="note", note="已联系施工方", public_reply="已联系施工方", public=True
    )
    CaseHistory.objects.create(case=case, action="note", note="内部备注", public=False)
    # A public entry's internal note (a reason typed with a transition) is not published.
    CaseHistory.objects.create(case=case, action="suspend", note="当事人有精神病史", public=True)
    data = parse(Client().get(f"{BASE}requests/{case.tracking_number}.json"))
    assert len(data) == 1 and list(data[0]) == REQUEST_FIELDS
    row = data[0]
    assert row["status"] == "open" and row["status_notes"] == "已联系施工方"
    assert row["service_code"] == "construction_disturbance" and row["service_name"] == "施工扰民"
    assert row["lat"] == LAT and row["long"] == LON
    assert row["address"] == "松林小区" and row["address_id"] == "A-1"
    assert row["media_url"] == "https://img.example.org/2.jpg"
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"].endswith("+08:00")
    case.refresh_from_db()
    assert row["expected_datetime"] == timezone.localtime(case.handle_due).isoformat(
        timespec="seconds"
    )
    assert row["agency_responsible"] == (case.handling_unit.name if case.handling_unit else None)
    root = parse(Client().get(f"{BASE}requests/{case.tracking_number}.xml"))
    req = root.find("request")
    assert [child.tag for child in req] == REQUEST_FIELDS
    assert req.findtext("status") == "open" and req.findtext("long") == str(LON)
    for fmt in ("json", "xml"):
        error_of(Client().get(f"{BASE}requests/230903-2026-999999.{fmt}"), 404)


def test_closed_status_and_updated_datetime(app_key):
    case = _submit(app_key)
    closed_at = timezone.now() - timedelta(hours=1)
    Case.objects.filter(pk=case.pk).update(state="closed", closed_at=closed_at)
    row = parse(Client().get(f"{BASE}requests/{case.tracking_number}.json"))[0]
    assert row["status"] == "closed"
    assert row["updated_datetime"] == timezone.localtime(closed_at).isoformat(timespec="seconds")


def test_no_personal_data_in_any_answer(app_key, world):
    case = _submit(app_key, first_name="芳", last_name="王", email="wang@example.org",
                   device_id="dev-secret", account_id="acct-secret")  # fmt: skip
    for url in (f"requests/{case.tracking_number}", "requests", f"tokens/{case.tracking_number}"):
        for fmt in ("json", "xml"):
            body = Client().get(f"{BASE}{url}.{fmt}").content.decode()
            assert case.tracking_number in body
            for secret in ("王芳", PHONE, "1234", "wang@example.org", "dev-secret", "acct-secret"):
                assert secret not in body, (url, fmt, secret)


def test_which_cases_are_readable(app_key, world, personas):
    mine = _submit(app_key)
    # A resident's report on the web form: listed, but without its text or place.
    web = case_actions.intake(None, case_data(), "resident_report").case
    # A grid worker's patrol report: not a public channel, not through Open311.
    patrol = case_actions.intake(personas.grid_worker, case_data(), "grid_patrol").case
    # A category closed to the public.
    private = case_actions.intake(None, case_data(category="neighbourhood"), "resident_report").case
    Category.objects.filter(pk=private.category_id).update(public=False)
    rows = {r["service_request_id"]: r for r in parse(Client().get(BASE + "requests.json"))}
    assert mine.tracking_number in rows and web.tracking_number in rows
    assert patrol.tracking_number not in rows and private.tracking_number not in rows
    assert rows[web.tracking_number]["description"] is None
    assert rows[web.tracking_number]["address"] is None and rows[web.tracking_number]["lat"] is None
    assert rows[mine.tracking_number]["description"] == "工地夜间施工噪音扰民"
    for fmt in ("json", "xml"):
        error_of(Client().get(f"{BASE}requests/{patrol.tracking_number}.{fmt}"), 404)
        error_of(Client().get(f"{BASE}tokens/{patrol.tracking_number}.{fmt}"), 404)


def test_filters(app_key, world):
    a = _submit(app_key)
    b = _submit(app_key, service_code="neighbourhood")
    c = _submit(app_key)
    Case.objects.filter(pk=c.pk).update(state="resolved")
    old = _submit(app_key)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=120))

    def ids(query, fmt="json"):
        resp = Client().get(f"{BASE}requests.{fmt}?{query}")
        assert resp.status_code == 200, resp.content
        return set(_ids(resp))

    everything = {a.tracking_number, b.tracking_number, c.tracking_number}
    assert ids("") == everything  # the default window: the last 90 days
    assert ids("", "xml") == everything
    assert ids("status=closed") == {c.tracking_number}
    assert ids("status=open", "xml") == {a.tracking_number, b.tracking_number}
    assert ids("status=open,closed") == everything
    assert ids("service_code=neighbourhood") == {b.tracking_number}
    assert ids("service_code=neighbourhood,construction_disturbance&status=open") == {
        a.tracking_number, b.tracking_number,
    }  # fmt: skip
    # service_request_id overrides every other argument, old ones included.
    assert ids(f"service_request_id={old.tracking_number},{b.tracking_number}&status=closed") == {
        old.tracking_number, b.tracking_number,
    }  # fmt: skip
    now = timezone.now()
    window = f"start_date={(now - timedelta(days=130)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    window += f"&end_date={(now - timedelta(days=100)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    assert ids(window) == {old.tracking_number}
    # An unencoded "+08:00" arrives as " 08:00": still understood.
    start = timezone.localtime(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert ids(f"start_date={start}") == everything
    assert ids("end_date=2020-01-01T00:00:00Z") == set()


@pytest.mark.parametrize(
    "query, named",
    [
        ("status=pending", "status"),
        ("start_date=2026-01-01", "start_date"),  # no time zone
        ("start_date=2026-01-01T00:00:00", "start_date"),
        ("start_date=2026-13-45T00:00:00Z", "start_date"),
        ("end_date=yesterday", "end_date"),
        ("start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "start_date"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "end_date"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page_size=1001", "page_size"),
        ("page_size=abc", "page_size"),
        ("service_request_id=" + ",".join(["x"] * 1001), "service_request_id"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_queries_are_400(db, query, named, fmt):
    assert named in error_of(Client().get(f"{BASE}requests.{fmt}?{query}"), 400)


def test_paging(app_key):
    made = [_submit(app_key).tracking_number for _ in range(5)]
    newest_first = list(reversed(made))
    pages = [_ids(Client().get(f"{BASE}requests.json?page_size=2&page={p}")) for p in (1, 2, 3, 4)]
    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:], []]
    assert _ids(Client().get(f"{BASE}requests.xml?page_size=2&page=2")) == newest_first[2:4]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_token_answers_for_the_request_id(app_key, fmt):
    case = _submit(app_key)
    body = parse(Client().get(f"{BASE}tokens/{case.tracking_number}.{fmt}"))
    if fmt == "json":
        assert body == [{"service_request_id": case.tracking_number, "token": case.tracking_number}]
    else:
        assert body.findtext("request/service_request_id") == case.tracking_number
        assert body.findtext("request/token") == case.tracking_number
    assert "token" in error_of(Client().get(f"{BASE}tokens/12345.{fmt}"), 404)


def test_markup_is_escaped_in_xml(app_key):
    text = "<script>alert('x')</script> & <b>工地</b>\x07 ]]>"
    case = _submit(app_key, description=text, address_string="<a href='x'>地址</a>")
    resp = Client().get(f"{BASE}requests/{case.tracking_number}.xml")
    assert b"<script>" not in resp.content and b"<b>" not in resp.content
    req = parse(resp).find("request")
    assert req.findtext("description") == "<script>alert('x')</script> & <b>工地</b> ]]>"
    assert req.findtext("address") == "<a href='x'>地址</a>"
    row = parse(Client().get(f"{BASE}requests/{case.tracking_number}.json"))[0]
    assert row["description"].startswith("<script>")


def test_odd_inputs_never_give_5xx(app_key, attributes):
    client = Client()
    odd = ["%00", "'", "%E4%B8%AD", "..%2F..", "a" * 3000, "%ff%fe"]
    for value in odd:
        for path in (
            f"services/{value}.xml", f"requests/{value}.json", f"tokens/{value}.xml",
            f"requests.json?service_request_id={value}&service_code={value}",
            f"requests.xml?start_date={value}&page={value}", f"services.json?jurisdiction_id={value}",
        ):  # fmt: skip
            assert client.get(BASE + path).status_code < 500, path
        for field in ("service_code", "lat", "long", "attribute[hours]", "attribute[sources][]",
                      "email", "media_url", "phone", "address_id", "attribute[]"):  # fmt: skip
            resp = post("json", app_key, **{field: value})
            assert resp.status_code < 500, (field, value)
    resp = client.post(
        BASE + "requests.json", data=b"\xff\xfe", content_type="application/x-www-form-urlencoded"
    )
    assert resp.status_code < 500
    resp = client.post(BASE + "requests.json", data="{}", content_type="application/json")
    error_of(resp, 403)


def test_error_descriptions_in_chinese_by_default_english_on_request(app_key):
    assert "api_key 无效或已吊销" in error_of(post("json", "o311_wrong"), 403)
    resp = Client().post(
        BASE + "requests.xml", {"api_key": "o311_wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Invalid or revoked api_key" in error_of(resp, 403)


def test_listing_does_not_query_per_request(app_key, django_assert_max_num_queries):
    for _ in range(8):
        _submit(app_key)
    # The cases with their category, unit and Open311 record, then the public notes.
    with django_assert_max_num_queries(2):
        assert len(_ids(Client().get(BASE + "requests.xml"))) == 8


# -- rate limit per api_key ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_posts_over_the_rate_get_429_per_key(app_key, resident_channel, settings, fmt):
    settings.OPEN311_POST_RATE = "3/m"
    assert post(fmt, app_key).status_code == 200
    assert post(fmt, app_key, lat="99").status_code == 400  # refused ones count too
    assert post(fmt, app_key).status_code == 200
    before = Case.objects.count()
    data = {"service_code": "construction_disturbance", "address_string": "x", "phone": PHONE}
    resp = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"{BASE}requests.{fmt}", {**data, "api_key": app_key}
    )
    description = error_of(resp, 429)
    assert description.startswith("api_key: Too many requests")
    assert 1 <= int(resp["Retry-After"]) <= 60
    assert Case.objects.count() == before  # nothing created
    # Another key has its own count; reading needs no key and is not limited.
    other = issue_client("另一个应用", resident_channel, actor=None).secret
    assert post(fmt, other).status_code == 200
    assert Client().get(f"{BASE}requests.{fmt}").status_code == 200


def test_the_count_starts_again_in_the_next_window(app_key, settings):
    from unittest import mock

    settings.OPEN311_POST_RATE = "1/10m"
    with mock.patch("fengqiao.open311.limits.time.time", return_value=6000.0):
        assert post("json", app_key).status_code == 200
        resp = post("json", app_key)
        assert resp.status_code == 429 and resp["Retry-After"] == "600"
    with mock.patch("fengqiao.open311.limits.time.time", return_value=6599.5):
        assert post("json", app_key)["Retry-After"] == "1"
    with mock.patch("fengqiao.open311.limits.time.time", return_value=6600.0):
        assert post("json", app_key).status_code == 200


def test_chinese_429_and_no_limit_when_empty(app_key, settings):
    settings.OPEN311_POST_RATE = "1/h"
    post("xml", app_key)
    assert "请求过于频繁" in error_of(post("xml", app_key), 429)
    settings.OPEN311_POST_RATE = ""
    assert all(post("json", app_key).status_code == 200 for _ in range(3))


@pytest.mark.parametrize(
    ("value", "rate"),
    [("60/m", (60, 60)), ("1000/h", (1000, 3600)), ("5/600", (5, 600)), ("10/5m", (10, 300))],
)
def test_rate_setting(value, rate):
    from fengqiao.open311.limits import Rate, parse_rate

    assert parse_rate(value) == Rate(*rate)


@pytest.mark.parametrize("value", ["60", "60/", "x/m", "0/m", "60/0", "60/w", "-1/m"])
def test_bad_rate_setting_fails_the_system_check(settings, value):
    from fengqiao.open311.apps import check_post_rate

    settings.OPEN311_POST_RATE = value
    (error,) = check_post_rate(None)
    assert error.id == "open311.E001" and "OPEN311_POST_RATE" in error.msg


# -- every answer matches the OpenAPI schema (both formats) --------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_answer_matches_the_schema(app_key, attributes, personas, settings, fmt):
    from tests.schema_check import assert_matches_schema

    checked: set[tuple[str, str, int]] = set()

    def check(resp, path, method="get"):
        documented = f"/open311/v2/{path}.{fmt}"
        assert_matches_schema(resp, documented, method)
        checked.add((documented, method, resp.status_code))
        return resp

    c = Client()
    ServiceInfo.objects.create(category=attributes, description="工地噪音", notice="三日内答复")
    check(c.get(f"{BASE}discovery.{fmt}"), "discovery")
    check(c.get(f"{BASE}discovery.{fmt}?jurisdiction_id=1"), "discovery")
    check(c.get(f"{BASE}services.{fmt}"), "services")
    check(c.get(f"{BASE}services.{fmt}?jurisdiction_id=1"), "services")
    code = "services/{service_code}"
    check(c.get(f"{BASE}services/construction_disturbance.{fmt}"), code)  # with lists of values
    check(c.get(f"{BASE}services/neighbourhood.{fmt}"), code)  # no attributes
    check(c.get(f"{BASE}services/nope.{fmt}"), code)

    answers = {"attribute[hours]": "night", "attribute[sources][]": ["machines", "trucks"]}
    created = check(post(fmt, app_key, **answers), "requests", "post")
    notice = created.content.decode()
    assert "三日内答复" in notice
    check(post(fmt, app_key, lat="x", **answers), "requests", "post")  # 400
    check(post(fmt, None), "requests", "post")  # 403
    check(post(fmt, app_key, service_code="nope"), "requests", "post")  # 404
    # The idempotency extension: another report with a used token (422), and a retry while the
    # first is still running (409, here a record whose process is alive: this one).
    check(post(fmt, app_key, service_code="nope", idempotency_key="k1"), "requests", "post")
    check(post(fmt, app_key, idempotency_key="k1", **answers), "requests", "post")  # 422
    from fengqiao.api.models import IdempotencyRecord

    IdempotencyRecord.objects.filter(key="k1").update(state="running", runner="")
    check(post(fmt, app_key, service_code="nope", idempotency_key="k1"), "requests", "post")
    settings.OPEN311_POST_RATE = "1/h"
    post(fmt, app_key, **answers)
    check(post(fmt, app_key, **answers), "requests", "post")  # 429

    mine = Case.objects.filter(open311__isnull=False).first()
    CaseHistory.objects.create(case=mine, action="note", note="已联系施工方", public=True)
    web = case_actions.intake(None, case_data(), "resident_report").case  # fewer details
    Case.objects.filter(pk=web.pk).update(state="closed", closed_at=timezone.now())
    listed = check(c.get(f"{BASE}requests.{fmt}"), "requests")
    assert web.tracking_number in listed.content.decode()
    check(c.get(f"{BASE}requests.{fmt}?status=closed&page_size=1"), "requests")
    check(c.get(f"{BASE}requests.{fmt}?status=maybe"), "requests")  # 400
    check(c.get(f"{BASE}requests.{fmt}?jurisdiction_id=1"), "requests")  # 404
    one = "requests/{service_request_id}"
    check(c.get(f"{BASE}requests/{mine.tracking_number}.{fmt}"), one)
    check(c.get(f"{BASE}requests/{web.tracking_number}.{fmt}"), one)
    check(c.get(f"{BASE}requests/230903-2026-999999.{fmt}"), one)
    check(c.get(f"{BASE}tokens/{mine.tracking_number}.{fmt}"), "tokens/{token}")
    check(c.get(f"{BASE}tokens/nope.{fmt}"), "tokens/{token}")

    # Every documented answer of every operation of this format was produced and checked.
    from tests.schema_check import openapi_schema

    documented = {
        (path, method, int(status))
        for path, item in openapi_schema()["paths"].items()
        if path.startswith("/open311/") and path.endswith(fmt)
        for method, op in item.items()
        for status in op["responses"]
    }
    assert checked == documented


def test_the_schema_checker_catches_a_wrong_open311_answer(app_key):
    from tests.schema_check import assert_matches_schema

    resp = Client().get(f"{BASE}discovery.xml")
    resp.content = resp.content.replace(b"<type>production</type>", b"<type>beta</type>")
    with pytest.raises(AssertionError, match="type"):
        assert_matches_schema(resp, "/open311/v2/discovery.xml", "get")
    resp = Client().get(f"{BASE}services.json")
    resp.content = resp.content.replace(b'"metadata": false', b'"metadata": "no"', 1)
    with pytest.raises(AssertionError, match="metadata"):
        assert_matches_schema(resp, "/open311/v2/services.json", "get")
