"""The key-person warning rule: a party of a new case is an active key person of the registry,
found through the keyed hash of the ID number (issue 18)."""

from datetime import date, timedelta

from fengqiao.registry import services
from fengqiao.registry.models import KeyPersonKind
from fengqiao.risk import rules
from fengqiao.risk.models import Level, RuleKind, Warning, WarningRule
from tests.case_factories import make_case_world, report
from tests.test_registry import HUAYUAN_1, citizen_id, reg  # noqa: F401 (fixture)


def test_a_key_person_among_the_parties_raises_a_warning(world, personas):
    make_case_world(world)
    resident = services.save_resident(
        personas.street_clerk,
        {"grid": world.grids[HUAYUAN_1].pk, "kind": "registered", "name": "张建国",
         "id_number": citizen_id(1)},
    )  # fmt: skip
    kind = KeyPersonKind.objects.get(code="serious_mental_disorder")
    services.save_key_person(
        personas.street_clerk,
        {"resident": resident.pk, "kind": kind.pk, "risk_level": 3,
         "started_on": date.today() - timedelta(days=30)},
    )  # fmt: skip
    rule = WarningRule.objects.create(
        name="key person", kind=RuleKind.KEY_PERSON, params={}, level=Level.HIGH,
        region=world.district, enabled=True,
    )  # fmt: skip
    other = report(parties=[{"name": "李四", "id_number": citizen_id(2)}]).case
    hit = report(parties=[{"name": "张建国", "id_number": citizen_id(1)}]).case
    for case in (other, hit):
        rules.evaluate_background(case.pk)
    warning = Warning.objects.get(rule=rule)
    assert warning.case == hit and warning.evidence["key_person_kinds"] == [kind.name]
    # The evidence names the kind, never the ID number.
    assert citizen_id(1) not in str(warning.evidence)
    # The dry run finds the same case and raises nothing more.
    hits = rules.dry_run(rule, 7)
    assert [h.subject for h in hits] == [f"{hit.tracking_number} {hit.title}"]
    assert hits[0].evidence == {"key_person_kinds": [kind.name]}
    assert Warning.objects.count() == 1


def test_a_risky_visit_offers_a_prefilled_assessment_in_scope(reg, personas, client_for):  # noqa: F811
    _a, _b, kp = reg
    from fengqiao.registry import visits

    visit = visits.record_visit(personas.grid_worker, kp, {"findings": "情绪激动，扬言报复"})
    offer = next(f for f in visits.followups() if f.code == "risk_assessment")
    url = offer.url(personas.grid_worker, visit)
    assert url == f"/risk/assessments/new/?visit={visit.pk}"
    # Whoever may assess and sees the visit gets the person and a title filled in; the ID
    # number is not in the URL or the form.
    page = client_for(personas.street_clerk).get(url).content.decode()
    assert 'value="张建国"' in page and citizen_id(1) not in page
    # Outside the visit's grid, nothing is prefilled.
    other = client_for(personas.station_clerk).get(url)
    assert "张建国" not in other.content.decode()


def test_the_phone_today_page_lists_the_visits_due(reg, personas, client_for):  # noqa: F811
    from fengqiao.registry.models import KeyPerson

    _a, _b, kp = reg
    KeyPerson.objects.filter(pk=kp.pk).update(next_visit_due=date.today() - timedelta(days=2))
    page = client_for(personas.grid_worker).get("/m/").content.decode()
    assert "今日待走访" in page and "张建国" in page and f'id="visit-{kp.pk}"' in page
    # A visit due next week waits on the registry's own list, not on 今日.
    KeyPerson.objects.filter(pk=kp.pk).update(next_visit_due=date.today() + timedelta(days=7))
    page = client_for(personas.grid_worker).get("/m/").content.decode()
    assert f'id="visit-{kp.pk}"' not in page and "今日无待走访对象。" in page
