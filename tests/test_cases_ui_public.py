"""Public report and tracking pages: no login, rate-limited, no one else's personal data."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from fengqiao.cases import actions
from fengqiao.cases.models import Case, CaseState, Category, FollowUpVisit
from tests.case_factories import HUAYUAN_POINT, make_case_world, report

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The public pages count requests per address in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cw(world):
    return make_case_world(world)


def _report_data(**over):
    data = {
        "category": Category.objects.get(code="construction_disturbance").pk,
        "description": "松林小区旁工地24小时施工，噪音扰民 <script>alert(1)</script>",
        "address": "花园社区松林小区",
        "lon": str(HUAYUAN_POINT[0]),
        "lat": str(HUAYUAN_POINT[1]),
        "reporter_name": "王女士",
        "reporter_phone": "13904641234",
    }
    data.update(over)
    return data


def test_report_page_creates_case_and_shows_tracking_number(cw):
    c = Client(enforce_csrf_checks=True)
    resp = c.get(reverse("public:report"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "施工扰民" in body and 'name="csrfmiddlewaretoken"' in body
    # Categories open to residents only: the taxonomy's inner nodes are not offered.
    token = resp.cookies["csrftoken"].value
    resp = c.post(reverse("public:report"), {**_report_data(), "csrfmiddlewaretoken": token})
    assert resp.status_code == 200
    case = Case.objects.get()
    assert case.tracking_number in resp.content.decode()
    assert case.channel.code == "resident_report" and case.grid is not None
    # Markup stored as typed.
    assert "<script>alert(1)</script>" in case.description


def test_report_without_csrf_is_refused(cw):
    c = Client(enforce_csrf_checks=True)
    assert c.post(reverse("public:report"), _report_data()).status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("over", "field_text"),
    [
        ({"lon": "131.0.2"}, "数"),
        ({"lat": "-91"}, "90"),
        ({"reporter_phone": "1390464"}, "0464"),
        ({"reporter_phone": ""}, "电话"),
    ],
)
def test_report_bad_input(cw, client, over, field_text):
    resp = client.post(reverse("public:report"), _report_data(**over))
    assert resp.status_code == 400
    assert field_text in resp.content.decode()
    assert not Case.objects.exists()


def test_report_forged_photo_refused(cw, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"MZ\x90\x00 not an image", "image/jpeg")
    resp = client.post(reverse("public:report"), {**_report_data(), "attachments": fake})
    assert resp.status_code == 400 and "x.jpg" in resp.content.decode()
    assert not Case.objects.exists()
    ok = SimpleUploadedFile("y.png", PNG, "image/png")
    resp = client.post(reverse("public:report"), {**_report_data(), "attachments": ok})
    assert resp.status_code == 200 and Case.objects.get().attachments.count() == 1


def test_report_rate_limited_per_ip(cw, settings):
    settings.PUBLIC_REPORT_RATE = "2/600"
    c = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(2):
        assert c.post(reverse("public:report"), _report_data()).status_code == 200
    resp = c.post(reverse("public:report"), _report_data())
    assert resp.status_code == 429 and "稍后" in resp.content.decode()
    assert Case.objects.count() == 2
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert other.post(reverse("public:report"), _report_data()).status_code == 200


def test_track_shows_public_progress_only(cw, client):
    case = report(None).case
    clerk = cw.huayuan_clerk
    case = actions.accept(clerk, case, expected_version=case.version)
    actions.add_progress(clerk, case, text="内部备注：当事人李四电话13900000000")
    actions.add_progress(clerk, case, text="已到现场调查", public=True)
    resp = client.post(
        reverse("public:track"), {"tracking_number": case.tracking_number, "phone_last4": "1234"}
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "已到现场调查" in body and "内部备注" not in body
    assert "13904641234" not in body and "王女士" not in body
    assert "rate-form" not in body  # not finished yet


@pytest.mark.parametrize(
    ("number", "digits"), [("230903-2026-999999", "1234"), (None, "9999"), (None, "12")]
)
def test_track_wrong_number_or_digits_same_answer(cw, client, number, digits):
    case = report(None).case
    resp = client.post(
        reverse("public:track"),
        {"tracking_number": number or case.tracking_number, "phone_last4": digits},
    )
    assert resp.status_code in (400, 404)
    body = resp.content.decode()
    assert case.title not in body and "受理" not in body.split("<main")[1].split("form")[0]


def test_track_rate_limited(cw, client, settings):
    settings.PUBLIC_TRACK_RATE = "3/600"
    case = report(None).case
    for _ in range(3):
        client.post(reverse("public:track"), {"tracking_number": case.tracking_number,
                                             "phone_last4": "0000"})  # fmt: skip
    resp = client.post(
        reverse("public:track"), {"tracking_number": case.tracking_number, "phone_last4": "1234"}
    )
    assert resp.status_code == 429


def test_rate_after_closure_once(cw, client):
    case = report(None).case
    clerk = cw.huayuan_clerk
    case = actions.accept(clerk, case, expected_version=case.version)
    case = actions.resolve(clerk, case, outcome="已协调停工整改", expected_version=case.version)
    case = actions.close(clerk, case, expected_version=case.version)
    key = {"tracking_number": case.tracking_number, "phone_last4": "1234"}
    body = client.post(reverse("public:track"), key).content.decode()
    assert "已办结" in body and "rate-form" in body
    resp = client.post(reverse("public:rate"), {**key, "satisfaction": "basically", "note": "还行"})
    assert resp.status_code == 200
    visit = FollowUpVisit.objects.get(case=case)
    assert visit.method == "online" and visit.satisfaction == "basically"
    resp = client.post(reverse("public:rate"), {**key, "satisfaction": "satisfied"})
    assert resp.status_code == 409 or resp.status_code == 400
    assert FollowUpVisit.objects.filter(case=case).count() == 1
    # Wrong digits: no rating recorded.
    resp = client.post(
        reverse("public:rate"), {**key, "phone_last4": "0000", "satisfaction": "unsatisfied"}
    )
    assert resp.status_code == 404
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
