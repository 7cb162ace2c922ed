"""The key-person warning rule: a party of a new case is an active key person of the registry,
found through the keyed hash of the ID number (issue 18)."""

from datetime import date, timedelta

from fengqiao.registry import services
from fengqiao.registry.models import KeyPersonKind
from fengqiao.risk import rules
from fengqiao.risk.models import Level, RuleKind, Warning, WarningRule
from tests.case_factories import make_case_world, report
from tests.test_registry import HUAYUAN_1, citizen_id


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
