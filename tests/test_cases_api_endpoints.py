"""Case API v1: scope per persona, masking, transitions with versions, tasks, notes,
attachments, inbox; every answer checked against the OpenAPI schema."""

import re
from functools import cache

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.cases import actions
from fengqiao.cases.models import Case, CaseState, Note, Task
from fengqiao.core.models import SensitiveAccess
from tests.case_factories import (
    HUAYUAN_POINT,
    SONGSHAN_POINT,
    VALID_ID,
    make_case_world,
    report,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BASE = "/api/v1/cases/"


@pytest.fixture
def cw(world):
    return make_case_world(world)


# -- schema check ----------------------------------------------------------------------------


@cache
def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _convert(node):
    """OpenAPI 3.0 schema → JSON Schema (nullable → null allowed)."""
    if isinstance(node, list):
        return [_convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def assert_matches_schema(response, method: str = "get") -> None:
    schema = _schema()
    path = response.request["PATH_INFO"]
    # Literal paths (…/inbox/) before templated ones (…/{id}/).
    for template, item in sorted(schema["paths"].items(), key=lambda kv: kv[0].count("{")):
        if re.fullmatch(re.sub(r"\{[^}]+\}", r"[^/]+", template), path):
            operation = item[method]
            break
    else:  # pragma: no cover - a test bug
        raise AssertionError(f"{path} is not in the schema")
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method.upper()} {path} answered {response.status_code}, undocumented"
    body_schema = documented["content"]["application/json"]["schema"]
    root = {**_convert(body_schema), "components": _convert(schema["components"])}
    jsonschema.validate(response.json(), root)


# -- helpers ---------------------------------------------------------------------------------


def _case(**over) -> Case:
    return report(None, **over).case


def post(client, url, data, **extra):
    return client.post(url, data, content_type="application/json", **extra)


# -- list and detail -------------------------------------------------------------------------


def test_list_scoped_per_persona(world, personas, cw, client_for):
    huayuan = _case()
    songshan = _case(point=SONGSHAN_POINT, title="松山社区楼道堆物")

    def numbers(user):
        resp = client_for(user).get(BASE)
        assert resp.status_code == 200
        assert_matches_schema(resp)
        return {c["tracking_number"] for c in resp.json()["results"]}

    assert numbers(cw.huayuan_clerk) == {huayuan.tracking_number}
    assert numbers(personas.station_clerk) == {songshan.tracking_number}
    assert numbers(personas.street_clerk) == {huayuan.tracking_number, songshan.tracking_number}
    assert numbers(personas.grid_worker) == {huayuan.tracking_number}
    assert numbers(personas.liaison) == set()
    resp = client_for(personas.outsider).get(BASE)
    assert resp.status_code == 403 and "results" not in resp.json()
    assert_matches_schema(resp)


def test_list_filters_cursor_and_bad_params(cw, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            _case(title=f"施工噪音第{i}次")
        _case(category="neighbourhood", title="邻里漏水", risk_level="high")
    c = client_for(cw.huayuan_clerk)
    assert len(c.get(BASE, {"q": "漏水"}).json()["results"]) == 1
    assert len(c.get(BASE, {"risk": "high"}).json()["results"]) == 1
    assert len(c.get(BASE, {"overdue": "false"}).json()["results"]) == 4
    first = c.get(BASE, {"limit": 3}).json()
    assert len(first["results"]) == 3 and first["next_cursor"]
    second = c.get(BASE, {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert len(second["results"]) == 1 and second["next_cursor"] is None
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == list(Case.objects.order_by("-created_at", "-id").values_list("id", flat=True))
    for params, field in [
        ({"cursor": "forged!"}, "cursor"),
        ({"state": "nonsense"}, "state"),
        ({"created_from": "2026-13-01"}, "created_from"),
        ({"limit": "0"}, "limit"),
        ({"category": "abc"}, "category"),
    ]:
        resp = c.get(BASE, params)
        assert resp.status_code == 400, params
        assert resp.json()["errors"][0]["field"] == field
        assert_matches_schema(resp)


def test_detail_masks_for_grid_worker_and_logs_unmasked_reads(personas, cw, client_for):
    case = report(
        None, parties=[{"name": "李四", "id_number": VALID_ID, "phone": "13900000000"}]
    ).case
    resp = client_for(personas.grid_worker).get(f"{BASE}{case.pk}/")
    assert resp.status_code == 200
    assert_matches_schema(resp)
    data = resp.json()
    assert data["reporter"]["masked"] and "13904641234" not in str(data)
    assert VALID_ID not in str(data) and data["parties"][0]["masked"]
    before = SensitiveAccess.objects.count()
    resp = client_for(cw.huayuan_clerk).get(f"{BASE}{case.pk}/")
    assert resp.json()["parties"][0]["id_number"] == VALID_ID
    assert SensitiveAccess.objects.count() > before
    assert "accept" in resp.json()["allowed_transitions"]


@pytest.mark.parametrize("persona", ["outsider", "station_clerk", "liaison"])
def test_detail_and_subresources_hidden(personas, cw, client_for, persona):
    case = _case()
    c = client_for(getattr(personas, persona))
    for suffix in ["", "tasks/", "notes/", "attachments/"]:
        resp = c.get(f"{BASE}{case.pk}/{suffix}")
        assert resp.status_code in (403, 404)
        assert case.title not in resp.content.decode()
        assert_matches_schema(resp)
    resp = post(c, f"{BASE}{case.pk}/transitions/accept/", {"expected_version": case.version})
    assert resp.status_code in (403, 404)
    case.refresh_from_db()
    assert case.state == CaseState.REGISTERED


# -- intake ----------------------------------------------------------------------------------


def _intake(**over):
    data = {
        "channel": "hotline_12345",
        "category": "construction_disturbance",
        "description": "松林小区工地夜间施工 <img src=x onerror=alert(1)>",
        "lon": HUAYUAN_POINT[0],
        "lat": HUAYUAN_POINT[1],
        "reporter_phone": "13904641234",
        "parties": [{"name": "李四", "id_number": VALID_ID}],
    }
    data.update(over)
    return data


def test_create_and_idempotent_retry(cw, client_for):
    c = client_for(cw.huayuan_clerk)
    resp = post(c, BASE, _intake(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert resp.status_code == 201, resp.content
    assert_matches_schema(resp, "post")
    again = post(c, BASE, _intake(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.json()["id"] == resp.json()["id"]
    assert Case.objects.count() == 1
    # Markup stored as typed.
    assert "<img src=x onerror=alert(1)>" in Case.objects.get().description


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"lon": 200}, "lon"),
        ({"lat": None, "lon": 131.0}, "lat"),
        ({"reporter_phone": "1390464"}, "reporter_phone"),
        (
            {"parties": [{"name": "李四", "id_number": "360426199101010072"}]},
            "parties[0].id_number",
        ),
        ({"category": "no-such"}, "category"),
        ({"lon": "east"}, "lon"),
    ],
)
def test_create_bad_input(cw, client_for, over, field):
    resp = post(client_for(cw.huayuan_clerk), BASE, _intake(**over))
    assert resp.status_code == 400
    assert_matches_schema(resp, "post")
    assert field in [e["field"] for e in resp.json()["errors"]]
    assert not Case.objects.exists()


def test_create_refused_for_outsider_and_leader(personas, client_for):
    for user in (personas.outsider, personas.leader):
        resp = post(client_for(user), BASE, _intake())
        assert resp.status_code == 403
        assert_matches_schema(resp, "post")
    assert not Case.objects.exists()


# -- transitions -----------------------------------------------------------------------------


def test_s1_through_the_api(cw, client_for):
    case = _case()
    c = client_for(cw.huayuan_clerk)

    def go(name, **body):
        case.refresh_from_db()
        resp = post(c, f"{BASE}{case.pk}/transitions/{name}/",
                    {"expected_version": case.version, **body})  # fmt: skip
        assert resp.status_code == 200, resp.content
        assert_matches_schema(resp, "post")
        return resp.json()

    go("accept")
    go("start")
    resp = post(c, f"{BASE}{case.pk}/notes/", {"text": "现场调查：属实", "public": True})
    assert resp.status_code == 201
    assert_matches_schema(resp, "post")
    go("resolve", outcome="调整施工时间，修复道路")
    # Closing keeps the resolution: a different outcome is refused (400 naming it) …
    case.refresh_from_db()
    resp = post(c, f"{BASE}{case.pk}/transitions/close/",
                {"expected_version": case.version, "outcome": "已办结。"})  # fmt: skip
    assert resp.status_code == 400
    assert_matches_schema(resp, "post")
    assert resp.json()["errors"][0]["field"] == "outcome"
    assert resp.json()["errors"][0]["code"] == "resolved"
    # … and none is needed: the remark is the (internal) closing note.
    data = go("close", note="已回访确认")
    assert data["state"] == "closed"
    case.refresh_from_db()
    assert case.outcome == "调整施工时间，修复道路"
    go("record_visit", method="phone", satisfaction="satisfied")
    notes = c.get(f"{BASE}{case.pk}/notes/")
    assert_matches_schema(notes)
    assert [n["text"] for n in notes.json()] == ["现场调查：属实"]


def test_stale_version_409_and_disallowed_409(cw, client_for):
    case = _case()
    v = case.version
    actions.accept(cw.district_clerk, case, expected_version=v)
    c = client_for(cw.huayuan_clerk)
    resp = post(
        c, f"{BASE}{case.pk}/transitions/cancel/", {"expected_version": v, "reason": "误报"}
    )
    assert resp.status_code == 409
    assert_matches_schema(resp, "post")
    assert resp.json()["errors"][0]["code"] == "stale"
    case.refresh_from_db()
    resp = post(c, f"{BASE}{case.pk}/transitions/close/", {"expected_version": case.version})
    assert resp.status_code == 409 and resp.json()["errors"][0]["code"] == "transition"
    # A required field missing: 400 naming it.
    resp = post(c, f"{BASE}{case.pk}/transitions/suspend/", {"expected_version": case.version})
    assert resp.status_code == 400 and resp.json()["errors"][0]["field"] == "reason"
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED


def test_tasks_endpoints(world, personas, cw, client_for):
    case = _case()
    case = actions.accept(cw.district_clerk, case, expected_version=case.version)
    case = actions.dispatch(
        cw.district_clerk, case, lead_unit=world.huayuan_station,
        co_units=[world.police_taoxi], expected_version=case.version,
    )  # fmt: skip
    co = case.tasks.get(role=Task.Role.CO)
    lead = case.tasks.get(role=Task.Role.LEAD)
    liaison = client_for(personas.liaison)
    resp = liaison.get(f"{BASE}{case.pk}/tasks/")
    assert resp.status_code == 200 and len(resp.json()) == 2
    assert_matches_schema(resp)
    resp = post(liaison, f"{BASE}{case.pk}/tasks/{co.pk}/acknowledge/",
                {"expected_version": case.version})  # fmt: skip
    assert resp.status_code == 200 and resp.json()["state"] == "acknowledged"
    assert_matches_schema(resp, "post")
    case.refresh_from_db()
    resp = post(liaison, f"{BASE}{case.pk}/tasks/{lead.pk}/complete/",
                {"expected_version": case.version, "result": "完成"})  # fmt: skip
    assert resp.status_code == 403
    assert_matches_schema(resp, "post")
    resp = post(liaison, f"{BASE}{case.pk}/tasks/{co.pk}/complete/",
                {"expected_version": case.version, "result": "民警已上门"})  # fmt: skip
    assert resp.status_code == 200 and resp.json()["state"] == "done"
    # A task of another case is not found through this case.
    other = _case(title="另一件")
    resp = post(liaison, f"{BASE}{other.pk}/tasks/{co.pk}/start/", {"expected_version": 1})
    assert resp.status_code == 404


def test_attachments_upload_checked(cw, client_for, settings):
    case = _case()
    c = client_for(cw.huayuan_clerk)
    url = f"{BASE}{case.pk}/attachments/"
    resp = c.post(url, {"file": SimpleUploadedFile("a.jpg", b"not an image at all", "image/jpeg")})
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == "file_type"
    assert_matches_schema(resp, "post")
    settings.ATTACHMENT_MAX_BYTES = 10
    resp = c.post(url, {"file": SimpleUploadedFile("b.png", PNG, "image/png")})
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == "too_large"
    settings.ATTACHMENT_MAX_BYTES = 10_000
    resp = c.post(url, {"file": SimpleUploadedFile("c.png", PNG, "image/png"), "public": "true"})
    assert resp.status_code == 201
    assert_matches_schema(resp, "post")
    listed = c.get(url)
    assert_matches_schema(listed)
    assert [a["original_name"] for a in listed.json()] == ["c.png"]


def test_inbox_categories_channels(personas, cw, client_for):
    case = _case()
    c = client_for(cw.huayuan_clerk)
    resp = c.get(f"{BASE}inbox/")
    assert_matches_schema(resp)
    assert case.tracking_number in [i["tracking_number"] for i in resp.json()]
    other = client_for(personas.station_clerk).get(f"{BASE}inbox/")
    assert case.tracking_number not in [i["tracking_number"] for i in other.json()]
    for name in ("categories", "channels"):
        resp = c.get(f"{BASE}{name}/")
        assert resp.status_code == 200 and resp.json()
        assert_matches_schema(resp)
        assert client_for(personas.outsider).get(f"{BASE}{name}/").status_code == 403


def test_notes_visibility(personas, cw, client_for):
    case = _case()
    actions.add_progress(cw.huayuan_clerk, case, text="内部：当事人病情", public=False)
    actions.add_progress(cw.huayuan_clerk, case, text="已到现场", public=True)
    assert Note.objects.count() == 2
    full = client_for(cw.huayuan_clerk).get(f"{BASE}{case.pk}/notes/").json()
    assert len(full) == 2
    # The district administrator can view cases but does not work on them.
    admin = client_for(personas.admin).get(f"{BASE}{case.pk}/notes/").json()
    assert [n["text"] for n in admin] == ["已到现场"]
