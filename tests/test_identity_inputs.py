"""Identity data (issue 17): citizen ID numbers refuse future birth dates and area codes that do
not exist; phones accept the usual separators and refuse service numbers as a person's phone.
One shared place (fengqiao.core.validators) used by cases and mediation."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fengqiao.core.validators import (
    id_check_char,
    is_service_number,
    is_valid_citizen_id,
    normalize_phone,
    validate_citizen_id,
    validate_person_phone,
)


def _id(area: str, born: str, seq: str = "003") -> str:
    first = area + born + seq
    return first + id_check_char(first)


@pytest.mark.parametrize("good", ["11010519491231002X", "360426199101010071", "120103198806018241"])
def test_valid_ids_pass(good):
    assert is_valid_citizen_id(good)


def test_future_birth_date_refused():
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as e:
        validate_citizen_id(_id("230903", tomorrow.strftime("%Y%m%d")))
    assert e.value.code == "id_birth_date"


@pytest.mark.parametrize("area", ["000000", "990101", "230000", "230900"])
def test_area_codes_that_do_not_exist_refused(area):
    with pytest.raises(ValidationError) as e:
        validate_citizen_id(_id(area, "19800101"))
    assert e.value.code == "id_area"
    assert is_valid_citizen_id(_id("230903", "19800101"))


@pytest.mark.parametrize(
    "raw",
    ["139-1234-5678", "139 1234 5678", "+86 139 1234 5678", "+86-13912345678", "0086 13912345678"],
)
def test_mobile_separators_accepted(raw):
    assert normalize_phone(raw) == "13912345678"
    validate_person_phone(raw)


def test_landline_keeps_its_hyphen():
    assert normalize_phone("0464-829 1234") == "0464-8291234"
    validate_person_phone("0464-8291234")


@pytest.mark.parametrize("service", ["110", "120", "123", "12345", "95588", "400-810-8888"])
def test_service_numbers_refused_as_a_persons_phone(service):
    assert is_service_number(service)
    with pytest.raises(ValidationError) as e:
        validate_person_phone(service)
    assert e.value.code == "service_number"


def test_case_intake_uses_the_shared_checks():
    from fengqiao.cases.actions.input import _clean_party

    errors: list = []
    party = {"name": "张三", "id_number": "000000198001010014", "phone": "12345"}
    _clean_party(party, 0, errors)
    fields = {e.field: e.code for e in errors}
    assert fields["parties[0].id_number"] == "id_area"
    assert fields["parties[0].phone"] == "service_number"


def test_mediator_phone_checked_on_add(world, personas):
    from fengqiao.cases.errors import InvalidInput
    from fengqiao.mediation import actions
    from tests.factories import make_user
    from tests.mediation_factories import make_mediation_world

    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    admin, committee = personas.admin, mw.committee
    user = make_user("new_mediator", "调解员新", unit=committee)
    with pytest.raises(InvalidInput) as e:
        actions.add_mediator(admin, committee, user=user, post="volunteer", phone="110")
    assert e.value.errors[0].field == "phone"
    m = actions.add_mediator(admin, committee, user=user, post="volunteer", phone="139-0464-1234")
    assert m.phone == "13904641234"
