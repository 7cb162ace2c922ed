"""`plainly_valid` accepts only bodies the serializer accepts, with the same validated data.

Bodies are generated from valid values and from every kind of bad one (wrong types, blanks,
whitespace, NUL, surrogates, over-long strings, unknown codes, nulls, nested junk). Whenever the
shortcut answers, the serializer must accept the body and hold exactly that answer; and plain
valid bodies must take the shortcut (otherwise it saves nothing).
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fengqiao.api.fastvalidate import plainly_valid
from fengqiao.cases.serializers import CaseCreateSerializer, PartyInSerializer
from tests.case_factories import VALID_ID

JUNK = [
    None,
    "",
    "   ",
    0,
    1,
    -1,
    10**400,
    2.5,
    True,
    False,
    [],
    {},
    ["x"],
    {"a": 1},
    "\x00x",
    "a\ud800",
]


def _values(good: list) -> st.SearchStrategy:
    return st.sampled_from(good + JUNK)


PARTY = {
    "party_type": ["person", "organisation", "robot"],
    "role": ["applicant", "respondent", "witness?"],
    "name": ["李四", " 李四 ", "x" * 100, "x" * 101],
    "id_type": ["resident_id", "passport", "nope"],
    "id_number": [VALID_ID, "123"],
    "phone": ["13904645678", "1" * 31],
    "sex": ["male", "female", "m"],
    "ethnicity": ["汉族"],
    "education": ["本科"],
    "address": ["花园社区"],
    "is_vulnerable": [True, False, "true"],
    "notes": ["<b>标记</b>", "长" * 5000],
}

BODY = {
    "channel": ["walk_in", "grid_patrol", "no_such_channel"],
    "kind": ["dispute", "incident", "alien"],
    "category": ["construction_disturbance", "no_such_category"],
    "title": ["工地噪音", "  带空格  ", "x" * 200, "x" * 201],
    "description": ["工地夜里施工，噪音很大", "x" * 10000, "x" * 10001],
    "address": ["花园社区松林小区"],
    "lon": [131.002, 131, float("inf"), "131.002"],
    "lat": [45.775, 45, float("nan"), "45.775"],
    "reporter_name": ["王女士"],
    "reporter_phone": ["13904641234", "0464-1234567"],
    "reporter_email": ["a@example.org", "not-an-email"],
    "people_involved": [1, 30, 0, -3, 2.0, "5"],
    "risk_level": ["low", "high", "extreme"],
    "priority": ["normal", "urgent", "asap"],
}


def _party() -> st.SearchStrategy:
    return st.fixed_dictionaries({}, optional={k: _values(v) for k, v in PARTY.items()})


def _body() -> st.SearchStrategy:
    parties = st.one_of(
        st.lists(_party(), max_size=3),
        st.lists(st.fixed_dictionaries({"name": st.sampled_from(["李四", "王五"])}), max_size=3),
        st.sampled_from(JUNK),
    )
    return st.fixed_dictionaries(
        {},
        optional={**{k: _values(v) for k, v in BODY.items()}, "parties": parties},
    )


def _compare(body) -> bool:
    fast = plainly_valid(CaseCreateSerializer, body)
    slow = CaseCreateSerializer(data=body)
    valid = slow.is_valid()
    if fast is None:
        return False
    assert valid, (body, slow.errors)
    expected = dict(slow.validated_data)
    if "parties" in expected:
        expected["parties"] = [dict(p) for p in expected["parties"]]
    assert fast == expected
    return True


@pytest.mark.django_db
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_body())
def test_the_shortcut_never_accepts_what_the_serializer_refuses(cw_ref, body):
    _compare(body)


@pytest.mark.django_db
def test_plain_bodies_take_the_shortcut(cw_ref):
    body = {
        "channel": "walk_in",
        "kind": "dispute",
        "category": "construction_disturbance",
        "title": " 工地噪音 ",
        "description": "工地夜里施工，噪音很大",
        "lon": 131.002,
        "lat": 45,
        "people_involved": 3,
        "risk_level": "high",
        "parties": [{"name": "李四", "id_number": VALID_ID, "is_vulnerable": True}],
    }
    assert _compare(body)
    assert plainly_valid(CaseCreateSerializer, body)["title"] == "工地噪音"
    assert plainly_valid(CaseCreateSerializer, body)["lat"] == 45.0
    assert _compare({**body, "lon": None, "lat": None})
    # Each of these is valid for DRF but not plain: the serializer decides.
    for odd in ({"title": 12},):
        assert plainly_valid(CaseCreateSerializer, {**body, **odd}) is None
        assert CaseCreateSerializer(data={**body, **odd}).is_valid()
    # Numbers written as strings are not numbers (fengqiao.api.fields): refused by both.
    for bad in (
        {"lon": "131.002"},
        {"people_involved": "5"},
        {"parties": [{"name": "甲", "is_vulnerable": "true"}]},
    ):
        assert plainly_valid(CaseCreateSerializer, {**body, **bad}) is None
        assert not CaseCreateSerializer(data={**body, **bad}).is_valid()
    # And bad ones are never plain.
    for bad in ({"channel": "nope"}, {"description": ""}, {"parties": [{"name": ""}]}):
        assert plainly_valid(CaseCreateSerializer, {**body, **bad}) is None


def test_a_party_serializer_has_a_shortcut_of_its_own():
    assert plainly_valid(PartyInSerializer, {"name": "李四"}) == {"name": "李四"}
    assert plainly_valid(PartyInSerializer, {"name": "李四", "sex": "x"}) is None


@pytest.fixture
def cw_ref(world):
    from tests.case_factories import make_case_world

    return make_case_world(world)


def test_serializers_that_validate_more_have_no_shortcut():
    from rest_framework import serializers

    class Checked(serializers.Serializer):
        name = serializers.CharField()

        def validate_name(self, value):
            return value.upper()

    class Outer(serializers.Serializer):
        items = Checked(many=True)

    assert plainly_valid(Checked, {"name": "a"}) is None
    assert plainly_valid(Outer, {"items": [{"name": "a"}]}) is None
