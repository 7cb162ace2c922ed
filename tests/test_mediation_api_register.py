"""The mediation register (人民调解登记台账) through the API: filters, bad input 400, scope; and
the dossier download (issue 17)."""

import pytest
from django.utils import timezone

from fengqiao.mediation.models import Mediation
from tests.case_factories import use_immediate_tasks
from tests.mediation_factories import make_mediation_world, started
from tests.schema_check import assert_matches_schema

pytestmark = pytest.mark.django_db
URL = "/api/v1/mediation/register/"


@pytest.fixture
def mw(world, personas, settings):
    use_immediate_tasks(settings)
    return make_mediation_world(world, personas.admin, personas.street_clerk)


def test_register_with_filters_in_scope(world, mw, personas, client_for):
    m = started(world, mw)
    today = timezone.localdate().isoformat()
    period = f"?date_from={today}&date_to={today}"
    c = client_for(mw.lead)
    r = c.get(URL + period)
    assert r.status_code == 200
    assert_matches_schema(r, URL, "get")
    [line] = r.json()
    assert line["id"] == m.pk and line["number"] == m.number and "王秀英" in line["parties"]
    assert line["result"] == "已受理" and line["is_overdue"] is False
    assert c.get(URL + period + f"&committee={mw.committee.pk}").json()[0]["id"] == m.pk
    assert c.get(URL + period + "&state=agreed").json() == []
    assert c.get(URL + period + "&overdue=false").json()[0]["id"] == m.pk
    Mediation.objects.filter(pk=m.pk).update(is_overdue=True)
    assert c.get(URL + period + "&overdue=true").json()[0]["id"] == m.pk
    # Another committee's mediator and an outsider see nothing of it.
    assert client_for(mw.other_mediator).get(URL + period).json() == []
    other = client_for(mw.other_mediator).get(URL + period + f"&committee={mw.committee.pk}")
    assert other.json() == []
    assert client_for(personas.outsider).get(URL + period).status_code in (403, 404)


@pytest.mark.parametrize(
    "query, field",
    [
        ("?date_from=x&date_to=2026-01-01", "date_from"),
        ("?date_from=2026-01-01", "date_to"),
        ("?date_from=2026-02-01&date_to=2026-01-01", "date_to"),
        ("?date_from=2026-01-01&date_to=2026-01-31&committee=abc", "committee"),
        ("?date_from=2026-01-01&date_to=2026-01-31&state=nope", "state"),
        ("?date_from=2026-01-01&date_to=2026-01-31&overdue=maybe", "overdue"),
    ],
)
def test_register_bad_input_is_400_with_the_field(mw, client_for, query, field):
    r = client_for(mw.lead).get(URL + query)
    assert r.status_code == 400
    assert field in [e["field"] for e in r.json()["errors"]]


def test_dossier_download_through_the_api(world, mw, personas, client_for):
    m = started(world, mw)
    r = client_for(mw.lead).get(f"/api/v1/mediation/{m.pk}/dossier.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    for who in (personas.outsider, mw.other_mediator):
        assert client_for(who).get(f"/api/v1/mediation/{m.pk}/dossier.pdf").status_code in (
            403,
            404,
        )
