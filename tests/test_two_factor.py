"""Two-factor login: enrolment with a QR code, the login's second step, recovery codes, the
administrator's reset, and which roles must use it (TWO_FACTOR_REQUIRED_ROLES)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.accounts import twofactor
from fengqiao.core.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _required(settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["admin", "leader"]
    settings.TWO_FACTOR_OPTIONAL = True
    settings.AXES_ENABLED = False


def login(username: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def code(device: TOTPDevice, drift: int = 0) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


def enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    page = client.post("/account/security/", {"step": "start"})
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code, drawn on the server
    device = page.context["pending"]
    done = client.post("/account/security/", {"step": "confirm", "code": code(device)})
    assert done.status_code == 200, done.content[:1000]
    codes = done.context["codes"]
    assert len(codes) == 10
    return device, codes


def test_required_role_must_enrol_before_anything_else(personas):
    client = login(personas.admin.username)
    for url in ("/", "/cases/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/account/security/"
    # A session that has not passed the second factor gets no answer from the API either.
    assert client.get("/api/v1/me/").status_code == 403
    enrol(client)
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(object_id=str(personas.admin.pk)).exists()


def test_enrolled_account_logs_in_with_a_code(personas):
    device, _codes = enrol(login(personas.leader.username))
    client = login(personas.leader.username)
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/verify/?next=/cases/")
    assert client.post("/login/verify/", {"code": "000000x"}).status_code == 400
    assert client.get("/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # django-otp slows down guessing
    device.throttle_reset()
    response = client.post("/login/verify/", {"code": code(device, drift=1), "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert client.get("/").status_code == 200


def test_recovery_code_works_once(personas):
    _device, codes = enrol(login(personas.leader.username))
    first = login(personas.leader.username)
    assert first.post("/login/verify/", {"code": codes[0]}).status_code == 302
    assert first.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=personas.leader).count() == 9
    second = login(personas.leader.username)
    assert second.post("/login/verify/", {"code": codes[0]}).status_code == 400
    assert second.get("/").status_code == 302


def test_optional_for_other_roles(personas, settings):
    client = login(personas.grid_worker.username)
    assert client.get("/").status_code == 200  # not asked
    enrol(client)
    # Once on, it is asked at every login; the owner may turn it off again.
    again = login(personas.grid_worker.username)
    assert again.get("/").status_code == 302
    device = TOTPDevice.objects.get(user=personas.grid_worker)
    again.post("/login/verify/", {"code": code(device, drift=1)})
    assert again.post("/account/security/", {"step": "off"}).status_code == 302
    assert not twofactor.enrolled(personas.grid_worker)
    settings.TWO_FACTOR_OPTIONAL = False
    with pytest.raises(PermissionDenied):
        twofactor.start_enrolment(personas.grid_worker)


def test_required_role_cannot_turn_it_off(personas):
    client = login(personas.admin.username)
    enrol(client)
    with pytest.raises(PermissionDenied):
        twofactor.turn_off(personas.admin)


def test_changing_the_setup_needs_a_verified_session(personas):
    enrol(login(personas.leader.username))
    client = login(personas.leader.username)
    # Not verified yet: the security page is out of reach, so recovery codes cannot be renewed.
    assert client.post("/account/security/", {"step": "codes"}).status_code == 302


def test_administrator_resets_a_lost_phone(personas):
    enrol(login(personas.leader.username))
    with pytest.raises(PermissionDenied):
        twofactor.reset(personas.leader, actor=personas.outsider)
    with pytest.raises(PermissionDenied):
        twofactor.reset(personas.leader, actor=personas.grid_worker)
    # Accounts are the security officer's (separation of duties), not the administrator's.
    with pytest.raises(PermissionDenied):
        twofactor.reset(personas.leader, actor=personas.admin)
    twofactor.reset(personas.leader, actor=personas.security)
    assert not twofactor.enrolled(personas.leader)
    assert AuditEntry.objects.filter(
        actor=personas.security, object_id=str(personas.leader.pk), changes__two_factor__1="reset"
    ).exists()
    # The leader sets it up again at the next login.
    client = login(personas.leader.username)
    assert client.get("/")["Location"] == "/account/security/"


def test_reset_from_the_admin_site(personas, client_for):
    enrol(login(personas.leader.username))
    admin = client_for(personas.security)
    # The security officer needs its own second factor first.
    _device, _codes = enrol(admin)
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [personas.leader.pk]},
    )
    assert response.status_code == 302
    assert not twofactor.enrolled(personas.leader)
