"""Provider errors are retried with back-off, then kept as dead letters to replay: with a
provider failing 30 % of the time, no notification is lost."""

import random
import types
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fengqiao.cases import notifications
from fengqiao.cases.notifications import Recipient, SmsChannel
from fengqiao.ops import retry, throttle
from fengqiao.ops.models import DeadLetter

# The worker closes its database connection between tasks (django_tasks_db), which on
# PostgreSQL ends the transaction a plain django_db test runs in: commit for real instead.
pytestmark = pytest.mark.django_db(transaction=True)

SENT: list[str] = []


class FlakySms(SmsChannel):
    """Refuses a share of the messages, chosen by a seeded random generator."""

    failure_rate = 0.3
    rng = random.Random(0)

    def send_sms(self, phone: str, text: str) -> None:
        if self.rng.random() < self.failure_rate:
            raise ConnectionError("provider busy")
        SENT.append(phone)


class FlakyMail(locmem.EmailBackend):
    """The e-mail provider, failing as often as the SMS one (its own seeded generator)."""

    rng = random.Random(0)
    failures = 0

    def send_messages(self, messages):
        if self.rng.random() < FlakySms.failure_rate:
            FlakyMail.failures += 1
            raise ConnectionError("mail server busy")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SMS_CHANNEL = "tests.test_ops_retry.FlakySms"
    settings.RETRY_BASE_SECONDS = 0  # retry at once: the test runs the queue dry
    settings.RETRY_MAX_ATTEMPTS = 8
    SENT.clear()
    FlakySms.rng = random.Random(1313)
    FlakyMail.rng = random.Random(3131)
    FlakyMail.failures = 0
    FlakySms.failure_rate = 0.3


def run_queue() -> None:
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0", verbosity=0)  # fmt: skip


def phones(n: int) -> list[str]:
    return [f"139{k:08d}" for k in range(n)]


def test_fifty_notifications_through_a_flaky_provider_all_arrive(flaky, settings):
    settings.EMAIL_BACKEND = "tests.test_ops_retry.FlakyMail"
    mail.outbox = []
    for phone in phones(50):
        notifications.queue(Recipient(phone=phone, email=f"{phone}@example.org"), "事件已受理", "编号 1")  # fmt: skip
    run_queue()
    assert sorted(set(SENT)) == phones(50)
    assert len(SENT) == 50  # a retry resends only what failed
    # The e-mails too, each once, though the mail server failed as often.
    assert sorted(m.to[0] for m in mail.outbox) == [f"{p}@example.org" for p in phones(50)]
    assert FlakyMail.failures >= 10
    assert not DeadLetter.objects.exists()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() > 50  # retries happened


def test_given_up_notifications_become_dead_letters_and_replay(
    flaky, settings, personas, client_for
):
    settings.RETRY_MAX_ATTEMPTS = 3
    FlakySms.failure_rate = 1.0
    notifications.queue(Recipient(phone="13900000001", email="a@example.org"), "主题", "正文")
    run_queue()
    letter = DeadLetter.objects.get()
    assert (letter.kind, letter.attempts) == ("sms", 3)
    assert letter.arguments["channels"] == ["sms"]  # the e-mail went out, only SMS is owed
    assert "provider busy" in letter.error

    client = client_for(personas.admin)
    page = client.get(reverse("admin:ops_deadletter_changelist"))
    assert page.status_code == 200
    assert "13900000001" not in page.content.decode()
    FlakySms.failure_rate = 0.0
    with_action = {"action": "replay", "_selected_action": [letter.pk]}
    assert client.post(reverse("admin:ops_deadletter_changelist"), with_action).status_code == 302
    run_queue()
    assert SENT == ["13900000001"]
    letter.refresh_from_db()
    assert letter.replayed_at is not None and letter.replayed_by == personas.admin
    with pytest.raises(retry.NotReplayable):
        retry.replay(personas.admin, letter.pk)


@pytest.mark.parametrize("who", ["outsider", "leader"])
def test_others_cannot_see_dead_letters(personas, client_for, who):
    page = client_for(getattr(personas, who)).get(reverse("admin:ops_deadletter_changelist"))
    assert page.status_code in (302, 403)


def test_backoff_grows_exponentially_with_jitter_under_a_ceiling(settings):
    settings.RETRY_BASE_SECONDS = 10
    settings.RETRY_MAX_SECONDS = 300
    rng = random.Random(5)
    waits = [retry.backoff(n, rng) for n in range(1, 8)]
    for n, wait in enumerate(waits, start=1):
        ceiling = min(300, 10 * 2 ** (n - 1))
        assert timedelta(seconds=ceiling / 2) <= wait <= timedelta(seconds=ceiling)
    assert len({w.total_seconds() for w in waits}) == len(waits)


def test_sms_throttle_holds_back_and_sends_later_never_drops(flaky, settings, monkeypatch):
    settings.SMS_RECIPIENT_RATE = "10/m"
    # One window per round: the clock stands still within it.
    monkeypatch.setattr(throttle, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.0))
    FlakySms.failure_rate = 0.0
    for n in range(40):
        notifications.queue(Recipient(phone="13900000009"), "通知", f"第{n}条")
    rounds = []
    for _ in range(10):  # each round is one throttle window
        before = len(SENT)
        run_queue()
        rounds.append(len(SENT) - before)
        waiting = DBTaskResult.objects.filter(status="READY")
        if not waiting.exists():
            break
        # The window passes: its count expires and the held-back SMS fall due.
        waiting.update(run_after=timezone.now())
        cache.clear()
    assert len(SENT) == 40
    assert rounds == [10, 10, 10, 10]
