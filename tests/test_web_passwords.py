"""Password policy, changing one's password, and the first-login change for new accounts."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from fengqiao.accounts.models import User
from fengqiao.api.tokens import issue_token
from fengqiao.core.models import AuditEntry
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "Qiao-lian-2026!river"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab3$xyz", "至少包含 10 个字符"),
        ("password123", "太常见"),
        ("zhangwei2026", "相似"),
        ("3141592653589", "只包含数字"),
    ],
)
def test_weak_passwords_are_refused(db, password, reason):
    user = User(username="zhangwei2026", name="张伟")
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as caught:
            validate_password(password, user)
        assert any(reason in m for m in caught.value.messages), caught.value.messages


def test_a_long_unrelated_password_is_accepted(db):
    validate_password(NEW_PASSWORD, User(username="zhangwei", name="张伟"))


def change(client, old: str, new: str, confirm: str | None = None):
    return client.post(
        "/password/",
        {"old_password": old, "new_password1": new, "new_password2": confirm or new},
    )


def test_change_password_page_in_chinese(personas, client_for):
    client = client_for(personas.leader)
    html = client.get("/password/").content.decode()
    assert "修改密码" in html and "旧密码" in html and "新密码" in html
    assert "修改密码" in client.get("/").content.decode()  # linked from every page


def test_change_password_names_the_field_and_reason(personas, client_for):
    client = client_for(personas.leader)
    response = change(client, "wrong", NEW_PASSWORD)
    assert response.status_code == 200
    assert "旧密码不正确" in response.content.decode()
    response = change(client, PASSWORD, "short")
    assert "至少包含 10 个字符" in response.content.decode()
    personas.leader.refresh_from_db()
    assert personas.leader.check_password(PASSWORD)


def test_change_password_keeps_the_session_and_is_audited(personas, client_for):
    client = client_for(personas.leader)
    response = change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    personas.leader.refresh_from_db()
    assert personas.leader.check_password(NEW_PASSWORD)
    assert client.get("/").status_code == 200  # still logged in
    entry = AuditEntry.objects.get(object_type="accounts.user", actor=personas.leader)
    assert NEW_PASSWORD not in str(entry.changes) and "pbkdf2" not in str(entry.changes)


def test_anonymous_users_are_sent_to_login(db, client):
    response = client.get("/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_account_created_by_an_administrator_must_change_its_password(personas, client_for):
    admin = client_for(personas.security)
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "username": "newclerk",
            "password1": "Temporary-Pass-9081",
            "password2": "Temporary-Pass-9081",
            "usable_password": "true",
            "name": "新职员",
            "phone": "",
            "unit": "",
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="newclerk")
    assert user.must_change_password

    client = type(admin)()
    assert (
        client.post(
            "/login/", {"username": "newclerk", "password": "Temporary-Pass-9081"}
        ).status_code
        == 302
    )
    for path in ("/", "/cases/", "/audit/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/password/", path
    assert "请先设置您自己的密码" in client.get("/password/").content.decode()
    assert change(client, "Temporary-Pass-9081", NEW_PASSWORD).status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/").status_code == 200


def test_administrators_reset_forces_a_change_too(personas, client_for):
    admin = client_for(personas.security)
    response = admin.post(
        f"/admin/accounts/user/{personas.leader.pk}/password/",
        {"password1": "Reset-by-admin-5531", "password2": "Reset-by-admin-5531"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    personas.leader.refresh_from_db()
    assert personas.leader.must_change_password


def test_api_token_requests_are_not_redirected(personas, client):
    personas.leader.must_change_password = True
    personas.leader.save()
    issued = issue_token(personas.leader, actor=None)
    response = client.get("/api/v1/territory/grids/", HTTP_AUTHORIZATION=f"Token {issued.secret}")
    assert response.status_code == 200


def test_accounts_created_in_code_are_not_forced(db):
    assert not make_user("coded").must_change_password
