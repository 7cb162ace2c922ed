"""Notifications go through one interface: e-mail built in, an SMS provider plugged in by setting."""

from django.core import mail

from fengqiao.cases import notifications
from fengqiao.cases.notifications import Recipient, SmsChannel

SENT: list[tuple[str, str]] = []


class RecordingSms(SmsChannel):
    def send_sms(self, phone: str, text: str) -> None:
        SENT.append((phone, text))


def test_email_only_without_a_provider(settings):
    settings.SMS_CHANNEL = ""
    used = notifications.send(Recipient(email="a@example.org", phone="13900001111"), "主题", "正文")
    assert used == ["email"]
    assert mail.outbox[-1].to == ["a@example.org"]


def test_sms_provider_plugs_in(settings):
    SENT.clear()
    settings.SMS_CHANNEL = "tests.test_notifications.RecordingSms"
    used = notifications.send(
        Recipient(phone="13900001111"), "事件已受理", "编号 230903-2026-000001"
    )
    assert used == ["sms"]
    assert SENT == [("13900001111", "事件已受理: 编号 230903-2026-000001")]
