"""Intake: validation, locating, routing, deadlines, tracking numbers, attachments, duplicates."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection

from fengqiao.cases import actions
from fengqiao.cases.models import (
    Attachment,
    Case,
    CaseHistory,
    Category,
    HandlingLevel,
    LocationFlag,
    Party,
    RoutingRule,
)
from fengqiao.workcalendar.calendar import deadline
from tests.case_factories import (
    HEPAN_POINT,
    HUAYUAN_POINT,
    OUTSIDE_POINT,
    SONGSHAN_POINT,
    make_case_world,
    report,
)
from tests.factories import make_world

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def cw(world):
    return make_case_world(world)


def nothing_saved():
    return (
        not Case.objects.exists()
        and not Party.objects.exists()
        and not CaseHistory.objects.exists()
    )


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"lon": 200, "lat": 45.7}, "lon", "range"),
        ({"lon": "abc", "lat": 45.7}, "lon", "number"),
        ({"lon": 131.0, "lat": float("nan")}, "lat", "range"),
        ({"lon": 131.0, "lat": None}, "lat", "required"),
        ({"reporter_phone": "139-0464-12"}, "reporter_phone", "phone"),
        ({"parties": [{"name": "甲", "id_type": "citizen_id", "id_number": "230307196304054513"}]},
         "parties[0].id_number", "id_check"),
        ({"parties": [{"name": "甲", "phone": "999"}]}, "parties[0].phone", "phone"),
        ({"category": "no_such_category"}, "category", "inactive"),
        ({"kind": "complaint"}, "category", "kind"),
        ({"kind": "nonsense"}, "kind", "choice"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_saves_nothing(cw, overrides, field, code):
    with pytest.raises(actions.InvalidInput) as err:
        report(None, **overrides)
    assert (field, code) in [(e.field, e.code) for e in err.value.errors]
    assert err.value.status == 400 and err.value.as_dict()[field]
    assert nothing_saved()


def test_inactive_category_refused(cw):
    Category.objects.filter(code="construction_disturbance").update(active=False)
    with pytest.raises(actions.InvalidInput) as err:
        report(None)
    assert err.value.field == "category"


def test_public_report_needs_public_channel_and_phone(cw):
    with pytest.raises(actions.NotPermitted):
        report(None, channel="police_110")
    with pytest.raises(actions.InvalidInput) as err:
        report(None, reporter_phone="")
    assert err.value.field == "reporter_phone"
    assert nothing_saved()


def test_outsider_cannot_register(personas, cw):
    with pytest.raises(actions.NotPermitted):
        report(personas.outsider, channel="walk_in")
    assert nothing_saved()


def test_markup_is_stored_as_typed(cw):
    case = report(None, description="<script>alert(1)</script>").case
    case.refresh_from_db()
    assert case.description == "<script>alert(1)</script>"


def test_routing_rules_first_match_wins_in_order(world, cw):
    street_rule = RoutingRule.objects.create(
        order=5, category=Category.objects.get(code="dispute_governance"),
        region=world.taoxi, target_level=HandlingLevel.STREET,
    )  # fmt: skip
    case = report(None).case  # the 施工扰民 rule has order 10: the street rule (5) wins
    assert case.routing_rule == street_rule and case.handling_unit == world.taoxi_center
    street_rule.order = 20
    street_rule.save()
    case = report(None).case
    assert case.routing_rule == cw.noise_rule and case.handling_unit == world.huayuan_station
    # A region condition: 河畔社区 is outside 桃西, so only the (any-region) noise rule matches,
    # which resolves to a community level with no station there → triage.
    cw.noise_rule.region = world.taoxi
    cw.noise_rule.save()
    case = report(None, point=HEPAN_POINT).case
    assert case.needs_triage and case.handling_unit == world.district_center
    assert case.community == world.hepan


def test_min_risk_and_channel_conditions(world, cw):
    police_rule = RoutingRule.objects.create(
        order=1, min_risk="high", target_level=HandlingLevel.STREET, target_unit=world.police_taoxi
    )
    assert report(None, risk_level="medium").case.routing_rule == cw.noise_rule
    assert report(None, risk_level="critical").case.handling_unit == world.police_taoxi
    police_rule.channel = police_rule.channel or None
    police_rule.min_risk = ""
    from fengqiao.cases.models import Channel

    police_rule.channel = Channel.objects.get(code="police_110")
    police_rule.save()
    assert report(None).case.routing_rule == cw.noise_rule


def test_no_matching_rule_goes_to_triage(world, cw):
    cw.noise_rule.delete()
    case = report(None).case
    assert case.needs_triage and case.handling_unit == world.district_center
    assert case.handling_level == HandlingLevel.DISTRICT
    assert case.history.get().data["triage_reason"] == "no_rule"
    assert case.inbox_items.get().kind == "triage"


def test_point_outside_every_grid_is_flagged_and_triaged_not_refused(world, cw):
    case = report(None, point=OUTSIDE_POINT).case
    assert case.location_flag == LocationFlag.OUTSIDE_GRIDS and case.grid is None
    assert case.needs_triage and case.handling_unit == world.district_center
    assert case.region_path == world.district.path and case.district == world.district


def test_no_location_still_routes_by_unit_rules(world, cw):
    RoutingRule.objects.create(
        order=1, target_level=HandlingLevel.STREET, target_unit=world.taoxi_center
    )
    case = report(None, point=None).case
    assert case.location_flag == LocationFlag.NO_LOCATION
    assert case.handling_unit == world.taoxi_center and not case.needs_triage


def test_deadlines_stored_from_the_most_specific_policy_on_working_days(cw):
    case = report(None).case  # a dispute: 22 working days (one month), acknowledge 1
    assert (case.handle_limit, case.limit_unit) == (22, "days")
    assert case.handle_due == deadline(case.created_at, 22, "days")
    assert case.acknowledge_due == deadline(case.created_at, 1, "days")
    urgent = report(None, priority="emergency").case  # priority beats kind: same-day hours
    # Emergency limits run in calendar hours, round the clock (nights and days off included).
    assert (urgent.handle_limit, urgent.limit_unit) == (4, "clock")
    assert urgent.handle_due == urgent.created_at + timedelta(hours=4)
    assert urgent.acknowledge_due == urgent.created_at + timedelta(hours=1)
    consultation = report(None, kind="consultation", category="legal_consultation").case
    assert consultation.handle_limit == 3


def test_tracking_numbers_sequential_per_district_and_year(cw):
    numbers = [report(None).case.tracking_number for _ in range(3)]
    suffixes = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert suffixes == [1, 2, 3]
    assert all(n.startswith(f"230903-{numbers[0][7:11]}-") for n in numbers)


def test_a_failed_intake_leaves_nothing_and_numbers_stay_unique(cw, monkeypatch):
    from fengqiao.cases.actions import registration as intake_module

    first = report(None).case.tracking_number

    def failing(*args, **kwargs):  # after the number, the case row and its history
        raise RuntimeError("boom")

    monkeypatch.setattr(intake_module, "inbox", failing)
    with pytest.raises(RuntimeError):
        report(None, parties=[{"name": "甲"}])
    monkeypatch.undo()
    assert Case.objects.count() == 1
    second = report(None).case.tracking_number
    # The locked counter row rolls back with the intake: no gap, no duplicate.
    assert int(second[-6:]) == int(first[-6:]) + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tracking_numbers_unique_under_concurrency(settings):
    world = make_world()
    make_case_world(world)
    n = 12
    errors: list[BaseException] = []
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(n)

        def worker():
            try:
                barrier.wait()
                report(None)
            except BaseException as e:
                errors.append(e)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:  # SQLite serialises writers: sequential intakes are the honest test there.
        for _ in range(n):
            report(None)
    assert not errors
    suffixes = sorted(int(t[-6:]) for t in Case.objects.values_list("tracking_number", flat=True))
    # No intake failed, so no number was lost: consecutive (a committed sequence may start
    # after numbers an earlier test used: only the run of n matters).
    assert suffixes == list(range(suffixes[0], suffixes[0] + n))


def test_attachments_checked_by_content_and_size(cw, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 1000
    forged = SimpleUploadedFile("photo.jpg", b"just some text, not an image", "image/jpeg")
    with pytest.raises(actions.InvalidInput) as err:
        report(None, attachments=[forged])
    assert err.value.code == "file_type" and err.value.field == "attachments"
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2000, "image/png")
    with pytest.raises(actions.InvalidInput) as err:
        report(None, attachments=[big])
    assert err.value.code == "too_large"
    assert nothing_saved() and not Attachment.objects.exists()
    case = report(None, attachments=[SimpleUploadedFile("x.txt", PNG, "text/plain")]).case
    att = case.attachments.get()
    assert att.content_type == "image/png" and att.file.name.endswith(".png")
    assert att.original_name == "x.txt" and att.file.storage.exists(att.file.name)


def test_add_attachment_service_refuses_forgery(world, personas, cw, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = report(None).case
    with pytest.raises(actions.InvalidInput):
        actions.add_attachment(
            cw.huayuan_clerk, case, SimpleUploadedFile("a.pdf", b"<html>", "application/pdf")
        )
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.7\n...", "application/pdf")
    with pytest.raises(actions.CaseNotFound):
        actions.add_attachment(personas.outsider, case, pdf)
    att = actions.add_attachment(cw.huayuan_clerk, case, pdf)
    assert att.content_type == "application/pdf"


def test_duplicates_suggested_for_nearby_similar_reports(cw):
    first = report(None).case
    other_place = report(None, point=SONGSHAN_POINT).case
    unrelated = report(None, title="路灯不亮", description="小区路灯坏了").case
    result = report(None, point=(HUAYUAN_POINT[0] + 0.001, HUAYUAN_POINT[1]),
                    title="工地夜间施工噪音太大", description="棚改工地晚上施工，噪音扰民")  # fmt: skip
    found = [c.case for c in result.duplicates]
    assert first in found and other_place not in found and unrelated not in found
    assert all(0 < c.score <= 1 for c in result.duplicates)
    assert result.case.history.get().data["duplicates"][0]["case_id"] == first.pk
