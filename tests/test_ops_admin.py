"""The task list in the admin site: administrators open it (403 before), others do not."""

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from fengqiao.cases import notifications

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    notifications.queue(
        notifications.Recipient("张三丰", "zs@example.org", "13912345678"), "s", "b"
    )
    return DBTaskResult.objects.get()


def test_administrator_opens_the_task_list_with_personal_data_masked(personas, client_for, queued):
    client = client_for(personas.admin)
    page = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert page.status_code == 200
    assert "deliver_notification" in page.content.decode()
    detail = client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[queued.pk])
    )
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "13912345678" not in text and "zs@example.org" not in text
    assert "139****5678" in text or "5678" in text
    assert client.get(reverse("admin:ops_tasklease_changelist")).status_code == 200


@pytest.mark.parametrize("who", ["outsider", "leader", "street_clerk"])
def test_others_cannot_open_the_task_list(personas, client_for, queued, who):
    client = client_for(getattr(personas, who))
    page = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert page.status_code in (302, 403)
