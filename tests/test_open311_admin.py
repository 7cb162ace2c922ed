"""Open311 reference data and client keys in the admin: administrators only, audited."""

import pytest
from django.urls import reverse

from fengqiao.cases.models import Category, Channel
from fengqiao.core.models import AuditEntry
from fengqiao.open311.models import AttributeValue, Open311Client, ServiceAttribute

NON_ADMINS = ["grid_worker", "station_clerk", "street_clerk", "leader", "liaison", "outsider"]


def attribute_form(category: Category, datatype: str, values: list[tuple[str, str]]) -> dict:
    data = {
        "category": category.pk,
        "code": "hours",
        "variable": "on",
        "datatype": datatype,
        "required": "on",
        "description": "施工时段",
        "datatype_description": "",
        "order": 1,
        "active": "on",
        "values-TOTAL_FORMS": len(values),
        "values-INITIAL_FORMS": 0,
        "values-MIN_NUM_FORMS": 0,
        "values-MAX_NUM_FORMS": 1000,
    }
    for i, (key, name) in enumerate(values):
        data |= {f"values-{i}-key": key, f"values-{i}-name": name, f"values-{i}-sort": i}
    return data


def test_admin_edits_attributes_with_options_audited(personas, client_for):
    noise = Category.objects.get(code="construction_disturbance")
    client = client_for(personas.admin)
    url = reverse("admin:open311_serviceattribute_add")
    assert client.get(url).status_code == 200
    # A list attribute without options is refused.
    resp = client.post(url, attribute_form(noise, "singlevaluelist", []))
    assert resp.status_code == 200 and not ServiceAttribute.objects.exists()
    resp = client.post(url, attribute_form(noise, "singlevaluelist", [("night", "夜间")]))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    attribute = ServiceAttribute.objects.get()
    assert list(attribute.values.values_list("key", "name")) == [("night", "夜间")]
    logged = AuditEntry.objects.filter(actor=personas.admin)
    assert logged.filter(object_type__icontains="serviceattribute").exists()
    assert logged.filter(object_type__icontains="attributevalue").exists()
    assert AttributeValue.objects.count() == 1


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_non_admins_cannot_open_open311_admin(personas, client_for, persona):
    client = client_for(getattr(personas, persona))
    for name in ("serviceattribute", "serviceinfo", "open311client"):
        resp = client.get(reverse(f"admin:open311_{name}_changelist"), follow=True)
        assert resp.status_code == 403


def test_security_officer_issues_a_key_shown_once_and_revokes_it(personas, client_for):
    client = client_for(personas.security)
    resident = Channel.objects.get(code="resident_report")
    hotline = Channel.objects.get(code="hotline_12345")
    url = reverse("admin:open311_open311client_add")
    # A non-public channel needs an account to report as.
    resp = client.post(url, {"name": "12345", "channel": hotline.pk, "account": ""})
    assert resp.status_code == 200 and not Open311Client.objects.exists()
    resp = client.post(url, {"name": "随手拍", "channel": resident.pk, "account": ""}, follow=True)
    assert resp.status_code == 200
    shown = [str(m) for m in resp.context["messages"]]
    assert any("o311_" in m for m in shown)
    secret = next(w for m in shown for w in m.split() if w.startswith("o311_"))
    stored = Open311Client.objects.get()
    assert secret.startswith(stored.prefix) and secret not in stored.key_hash
    changelist = reverse("admin:open311_open311client_changelist")
    resp = client.post(changelist, {"action": "revoke", "_selected_action": [stored.pk]})
    assert resp.status_code == 302
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert AuditEntry.objects.filter(actor=personas.security, action="update").exists()


def test_command_line_issues_a_working_key(world, capsys):
    from django.core.management import CommandError, call_command
    from django.test import Client

    with pytest.raises(CommandError):
        call_command("open311_client", "12345", "--channel", "hotline_12345")
    call_command("open311_client", "随手拍", "--channel", "resident_report")
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("o311_")
    resp = Client().post(
        "/open311/v2/requests.json",
        {"api_key": secret, "service_code": "neighbourhood", "address_string": "松林小区",
         "phone": "13904641234", "description": "楼上漏水"},
    )  # fmt: skip
    assert resp.status_code == 200, resp.content
