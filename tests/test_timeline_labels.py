"""Every entry a case's timeline can hold has a readable Chinese name on the case page: the
actions of the workflow table (under the name they are recorded as) and the entries the system
writes itself. A new transition without a label fails here instead of showing "其他记录"."""

from django.utils import translation

from fengqiao.cases.workflow import TRANSITIONS
from fengqiao.web.templatetags.workbench_tags import OTHER, TIMELINE_LABELS, timeline_label

# Entries written outside the workflow table (grep `history(` and `CaseHistory.objects.create`).
SYSTEM_ENTRIES = (
    "intake",
    "merged_in",
    "deadline_sweep",
    "deadline_recomputed",
    "places_moved",
    "rating",
)


def test_every_recorded_action_has_a_timeline_label():
    recorded = {t.recorded_as for t in TRANSITIONS.values()} | set(SYSTEM_ENTRIES)
    assert sorted(recorded - set(TIMELINE_LABELS)) == []


def test_timeline_labels_are_chinese_and_unknown_ones_never_show_the_code():
    with translation.override("zh-hans"):
        for action in TIMELINE_LABELS:
            label = timeline_label(action)
            assert label and not any("a" <= ch.lower() <= "z" for ch in label), (action, label)
        assert timeline_label("no_such_action") == str(OTHER) == "其他记录"
        assert timeline_label("mediation_session") == "调解"
