"""The one transition primitive, `actions.base.transition`: every row of the table is reachable
through it from every source state, it sets the row's target and writes the history row, and it
refuses a wrong source state or an actor without the row's capability."""

import pytest
from django.db import transaction

from fengqiao.accounts.roles import ROLE_PERMISSIONS, Role
from fengqiao.cases.actions.base import transition
from fengqiao.cases.errors import NotPermitted, TransitionNotAllowed
from fengqiao.cases.models import Case, CaseHistory, CaseState
from fengqiao.cases.workflow import RESUMED, TRANSITIONS
from tests.case_factories import make_case_world, report
from tests.factories import assign, make_user


@pytest.fixture
def cw(world):
    return make_case_world(world)


def _holder(perm: str, world):
    """A user holding `perm` through some role over the district."""
    role = next(r for r in Role.values if perm in ROLE_PERMISSIONS.get(r, ()))
    user = make_user(f"holder_{perm}"[:30].replace(".", "_"))
    assign(user, role, region=world.district)
    return user


def _lacking(perms, world):
    """A user holding roles over the district, none of them granting any of `perms`."""
    roles = [r for r in Role.values if not set(perms) & set(ROLE_PERMISSIONS.get(r, ()))]
    user = make_user("lacking_" + "_".join(sorted(perms))[:20].replace(".", "_"))
    for role in roles[:1]:
        assign(user, role, region=world.district)
    return user


ROWS = [(name, state) for name, t in sorted(TRANSITIONS.items()) for state in sorted(t.sources)]


@pytest.mark.parametrize(("name", "source"), ROWS)
def test_every_row_is_reachable_through_transition(cw, world, name, source):
    row = TRANSITIONS[name]
    case = report(None).case
    Case.objects.filter(pk=case.pk).update(state=source, resume_state=CaseState.IN_PROGRESS)
    actor = _holder(row.perms[0], world)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        version = locked.version
        entry = transition(actor, locked, name, note="n", data={"k": 1})
    stored = Case.objects.get(pk=case.pk)
    expected = CaseState.IN_PROGRESS if row.target == RESUMED else (row.target or source)
    assert stored.state == expected
    assert stored.version == version + 1
    assert stored.current_history_id == entry.pk
    entry = CaseHistory.objects.get(pk=entry.pk)
    assert (entry.action, entry.from_state, entry.to_state) == (row.recorded_as, source, expected)
    assert (entry.note, entry.data, entry.public, entry.actor_id) == (
        "n",
        {"k": 1},
        row.public,
        actor.pk,
    )
    if row.target == RESUMED:
        assert stored.resume_state == ""


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_a_wrong_source_state_is_refused(cw, world, name):
    row = TRANSITIONS[name]
    outside = sorted(set(CaseState.values) - row.sources)
    assert outside, name
    case = report(None).case
    actor = _holder(row.perms[0], world)
    for state in outside:
        Case.objects.filter(pk=case.pk).update(state=state)
        locked = Case.objects.get(pk=case.pk)
        with pytest.raises(TransitionNotAllowed):
            transition(actor, locked, name)
        assert Case.objects.get(pk=case.pk).state == state
    assert CaseHistory.objects.filter(case=case).count() == 1  # the intake's only


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_an_actor_without_the_rows_capability_is_refused(cw, world, name, personas):
    row = TRANSITIONS[name]
    case = report(None).case
    source = sorted(row.sources)[0]
    Case.objects.filter(pk=case.pk).update(state=source)
    for actor in (_lacking(row.perms, world), personas.outsider, None):
        locked = Case.objects.get(pk=case.pk)
        with pytest.raises(NotPermitted):
            transition(actor, locked, name)
    assert Case.objects.get(pk=case.pk).state == source


def test_no_action_sets_a_state_of_its_own():
    """Only `transition` assigns a case's state in the actions package."""
    import ast
    from pathlib import Path

    import fengqiao.cases.actions as package

    found = []
    for path in sorted(Path(package.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for el in t.elts if isinstance(t, ast.Tuple) else [t]:
                    if (
                        isinstance(el, ast.Attribute)
                        and el.attr == "state"
                        and isinstance(el.value, ast.Name)
                        and el.value.id != "task"
                    ):
                        found.append((path.name, el.value.id))
    assert found == [("base.py", "case")]
