"""S7 in a real browser: a resident asks a legal question on the public page at 375×812 (no
account), gets the tracking link; the community room's lawyer answers from the queue; the
resident reads the answer on the tracking page and rates it."""

import os

import pytest

from fengqiao.legalservices.models import Question
from tests.browser.shots import folder
from tests.browser.test_grid_map import browser, people  # noqa: F401 (fixtures)
from tests.factories import PASSWORD
from tests.legal_factories import make_legal_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = str(folder())
PHONE_SIZE = {"width": 375, "height": 812}


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_resident_asks_on_a_phone_and_the_lawyer_answers(people, browser, live_server, settings):  # noqa: F811
    settings.PUBLIC_LEGAL_RATE = "1000/600"
    world, _personas = people
    lw = make_legal_world(world)

    phone = browser.new_page(locale="zh-CN", viewport=PHONE_SIZE)
    phone.goto(f"{live_server.url}/report/")
    phone.click("text=法律咨询")
    phone.wait_for_selector("h1:has-text('法律咨询')")
    phone.select_option("#id_topic", str(lw.topic.pk))
    phone.fill("#id_text", "公司拖欠三个月工资，老板说没钱，我该怎么办？")
    phone.select_option("#id_community", str(world.huayuan.pk))
    phone.fill("#id_name", "李大爷")
    phone.fill("#id_phone", "13904645678")
    # Usable at 375 px: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "s7_ask_375.png")
    phone.click("text=提交咨询")
    phone.wait_for_selector("#legal-number")
    shot(phone, "s7_asked_375.png")
    q = Question.objects.get()
    assert q.point == lw.huayuan
    phone.click("#legal-link")
    phone.wait_for_selector("#legal-state:has-text('待答复')")

    lawyer = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    lawyer.goto(f"{live_server.url}/login/")
    lawyer.fill("#id_username", lw.room_user.username)
    lawyer.fill("#id_password", PASSWORD)
    lawyer.click("button[type=submit]")
    lawyer.wait_for_url(f"{live_server.url}/legal/")  # a lawyer lands on their queue
    lawyer.click(f"text={q.number}")
    lawyer.fill("#id_answer-text", "可先向劳动保障监察大队投诉；也可申请劳动仲裁，仲裁不收费。")
    lawyer.click("text=发送答复")
    lawyer.wait_for_selector("#legal-state:has-text('已答复')")
    shot(lawyer, "s7_lawyer_answered.png")

    phone.reload()
    phone.wait_for_selector("text=仲裁不收费")
    phone.check("input[name=score][value='5']")
    phone.fill("#id_comment", "很有帮助")
    phone.click("text=提交评价")
    phone.wait_for_selector("#legal-state:has-text('已评价办结')")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "s7_rated_375.png")
    q.refresh_from_db()
    assert q.rating == 5
