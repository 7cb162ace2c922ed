"""The staff intake form submitted many times creates one case: one-time form tokens."""

import pytest
from django.urls import reverse

from fengqiao.cases.models import Case
from fengqiao.core.models import FormToken
from tests.case_factories import make_case_world
from tests.test_cases_ui_pages import _ids, _intake_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(world):
    return make_case_world(world)


def test_ten_submits_make_one_case(cw, client_for):
    channel, category = _ids()
    client = client_for(cw.huayuan_clerk)
    token = client.get(reverse("cases:intake")).context["form_token"]
    data = _intake_post(channel=channel, category=category, form_token=token)
    answers = [client.post(reverse("cases:intake"), data) for _i in range(10)]
    assert Case.objects.count() == 1
    case = Case.objects.get()
    # Every submit, the first and the repeats, leads to the one case.
    assert {a.status_code for a in answers} == {302}
    assert {a["Location"] for a in answers} == {reverse("cases:detail", args=[case.pk])}


def test_a_new_form_makes_a_new_case(cw, client_for):
    channel, category = _ids()
    client = client_for(cw.huayuan_clerk)
    for _i in range(2):
        token = client.get(reverse("cases:intake")).context["form_token"]
        data = _intake_post(channel=channel, category=category, form_token=token)
        assert client.post(reverse("cases:intake"), data).status_code == 302
    assert Case.objects.count() == 2


def test_a_failed_submit_leaves_the_token_usable(cw, client_for):
    channel, category = _ids()
    client = client_for(cw.huayuan_clerk)
    token = client.get(reverse("cases:intake")).context["form_token"]
    bad = _intake_post(channel=channel, category=category, form_token=token, lat="95")
    assert client.post(reverse("cases:intake"), bad).status_code == 400
    good = _intake_post(channel=channel, category=category, form_token=token)
    assert client.post(reverse("cases:intake"), good).status_code == 302
    assert Case.objects.count() == 1


def test_missing_or_foreign_token_creates_nothing(cw, client_for, personas):
    channel, category = _ids()
    client = client_for(cw.huayuan_clerk)
    data = _intake_post(channel=channel, category=category)
    answer = client.post(reverse("cases:intake"), data)
    assert answer.status_code == 400
    assert answer.context["form_token"]  # a fresh form to submit again
    # Another account's token does not work either.
    other = client_for(cw.district_clerk).get(reverse("cases:intake")).context["form_token"]
    data = _intake_post(channel=channel, category=category, form_token=other)
    assert client.post(reverse("cases:intake"), data).status_code == 400
    assert not Case.objects.exists()
    assert FormToken.objects.filter(consumed_at__isnull=False).count() == 0


def test_a_double_tap_on_the_patrol_report_makes_one_case(personas, client_for):
    from fengqiao.cases.models import Category
    from tests.case_factories import HUAYUAN_POINT

    client = client_for(personas.grid_worker)
    token = client.get(reverse("cases:patrol")).context["form_token"]
    data = {
        "form_token": token,
        "category": Category.objects.get(code="safety_hazard").pk,
        "description": "楼道堆放杂物，存在消防隐患",
        "lon": str(HUAYUAN_POINT[0]),
        "lat": str(HUAYUAN_POINT[1]),
        "risk_level": "medium",
    }
    first = client.post(reverse("cases:patrol"), data)
    assert first.status_code == 200
    case = Case.objects.get()
    assert first.context["form_token"] != token  # the next report gets a new form
    again = client.post(reverse("cases:patrol"), data)
    assert again.status_code == 302
    assert again["Location"] == reverse("cases:detail", args=[case.pk])
    assert Case.objects.count() == 1
