"""Login lock-out per account over all addresses and per address over all accounts, counted in
the database (shared by every process), and the client address behind trusted proxies."""

import pytest
from django.test import Client, RequestFactory

from fengqiao.core.clientip import client_ip
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 20
    settings.TRUSTED_PROXIES = []


def attempt(username: str, password: str, address: str, **extra) -> int:
    # A new client each time: nothing is carried over in a cookie, as with separate processes.
    client = Client(REMOTE_ADDR=address, **extra)
    return client.post("/login/", {"username": username, "password": password}).status_code


def test_many_addresses_guessing_one_account(world):
    make_user("target", "目标")
    for i in range(4):
        assert attempt("target", f"wrong-{i}", f"10.0.{i}.1") == 200
    assert attempt("target", "wrong-4", "10.0.4.1") == 429  # the fifth failure locks
    # Locked for every address, even with the right password.
    assert attempt("target", PASSWORD, "10.9.9.9") == 429
    # Another account is not affected.
    make_user("other", "旁人")
    assert attempt("other", PASSWORD, "10.9.9.9") == 302


def test_one_address_guessing_many_accounts(world):
    for i in range(19):
        assert attempt(f"user{i}", "wrong-password", "10.1.1.1") == 200
    assert attempt("user19", "wrong-password", "10.1.1.1") == 429
    make_user("victim", "受害者")
    # The address is locked, whichever account it tries; the account itself is not.
    assert attempt("victim", PASSWORD, "10.1.1.1") == 429
    assert attempt("victim", PASSWORD, "10.2.2.2") == 302


def test_a_few_typos_behind_one_address_do_not_lock_it(world):
    for i in range(4):
        assert attempt(f"typo{i}", "wrong-password", "10.1.1.1") == 200
    make_user("colleague", "同事")
    assert attempt("colleague", PASSWORD, "10.1.1.1") == 302


def test_forwarded_for_is_ignored_unless_from_a_trusted_proxy(settings):
    rf = RequestFactory()
    request = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "203.0.113.5"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.1.10"]
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.168.1.10")
    assert client_ip(request) == "1.2.3.4"
    # A client cannot hide behind a forged leftmost entry: the rightmost untrusted hop counts.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="9.9.9.9, 5.6.7.8")
    assert client_ip(request) == "5.6.7.8"


def test_lockout_counts_the_forwarded_address_behind_the_proxy(world, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    make_user("target", "目标")
    for i in range(5):
        forwarded = f"198.51.100.{i}"
        assert attempt("target", "wrong", "10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded) in (200, 429)
    assert attempt("target", PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.99") == 429
    from axes.models import AccessAttempt

    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert {f"198.51.100.{i}" for i in range(5)} <= addresses
    assert "10.0.0.1" not in addresses
