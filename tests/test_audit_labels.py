"""The audit trail in words: what the apps record (actions, object types, keys, stored choices,
steps, kinds, counts) is shown by its Chinese label, never by its key; a key nobody named is
shown as recorded, and an action without a label is refused when it is written."""

import re

import pytest
from django.utils import translation

from fengqiao.campaigns.operations import REPORT_TRANSITIONS
from fengqiao.campaigns.screening import CAMPAIGN_TRANSITIONS
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from fengqiao.demo.labels import CREATED_LABELS
from fengqiao.risk.models import RuleKind
from tests.test_no_english import english_words

pytestmark = pytest.mark.django_db

LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


def test_an_action_without_a_label_is_refused_and_nothing_written(personas, world):
    unit = world.huayuan_station
    with pytest.raises(ValueError, match="activate"):
        audit.record(personas.admin, "activate", unit, {"name": ["甲", "乙"]})
    with pytest.raises(ValueError, match="submit"):
        audit.record_many(personas.admin, "submit", [(unit, {"name": ["甲", "乙"]})])
    assert not AuditEntry.objects.exists()


def test_every_action_has_its_chinese_label(zh):
    for action in AuditEntry.Action.values:
        assert not LATIN.search(audit.action_label(action)), action
    assert audit.action_label("update") == "修改"
    assert audit.action_label("nonsense") == "nonsense"  # shown as recorded, no error


def test_models_fields_and_choices_by_their_labels(zh):
    assert audit.type_label("org.unit") == "单位"
    assert audit.type_label("demo.district") == "演示区数据"  # no model: registered by demo
    assert audit.type_label("nonsense.model") == "nonsense.model"
    assert audit.type_label("nonsense") == "nonsense"
    assert audit.key_label("risk.warning", "state") == "状态"
    assert audit.key_label("risk.warning", "no_such_key") == "no_such_key"
    assert audit.key_label("nonsense.model", "state") == "state"
    # A choice field's stored value, a registered value, a yes/no; anything else as recorded.
    assert audit.value_label("risk.warning", "state", "raised") == "已发布"
    assert audit.value_label("risk.warning", "kind", "assessment") == "风险评估"
    assert audit.value_label("risk.warning", "kind", "manual") == "人工发布"
    assert audit.value_label("campaigns.campaign", "action", "activate") == "启动"
    assert audit.value_label("risk.warning", "kind", "other") == "other"
    assert audit.value_label("risk.warning", "title", "draft") == "draft"
    assert audit.value_label("org.unit", "active", False) == "否"
    assert audit.value_label("org.unit", "active", 3) == 3
    assert audit.value_label("nonsense.model", "state", "draft") == "draft"


def test_every_registered_label_is_translated(zh):
    labels = audit.registered_labels()
    assert len(labels) > 40
    untranslated = sorted({str(t) for t in labels if LATIN.search(str(t))})
    assert not untranslated, untranslated


def test_every_step_kind_and_count_the_apps_record_is_registered():
    """The steps of the campaigns' and reports' transition tables (recorded under "action"),
    every kind a warning is raised with, every count of the demo loader."""
    assert set(audit.registered_values("campaigns.campaign", "action")) == set(CAMPAIGN_TRANSITIONS)
    assert set(audit.registered_values("campaigns.operationreport", "action")) == set(
        REPORT_TRANSITIONS
    )
    kinds = set(audit.registered_values("risk.warning", "kind"))
    assert kinds == {*RuleKind.values, "assessment", "manual"}
    for key in CREATED_LABELS:
        assert audit.key_label("demo.district", key) != key


def test_the_audit_page_shows_steps_kinds_counts_and_data_in_chinese(personas, world, client_for):
    audit.record(None, "update", None, {"action": [None, "activate"]},
                 object_type="campaigns.campaign", object_id="1", object_repr="入户排查")  # fmt: skip
    audit.record(None, "create", None, {"action": [None, "submit"], "values": {"visits": 3}},
                 object_type="campaigns.operationreport", object_id="1", object_repr="报表")  # fmt: skip
    audit.record(None, "create", None, {"kind": [None, "manual"], "level": [None, "high"]},
                 object_type="risk.warning", object_id="1", object_repr="预警")  # fmt: skip
    audit.record(None, "import", None, {"emergency body": [None, 9], "sitetype": [None, 4]},
                 object_type="demo.district", object_id="1", object_repr="演示")  # fmt: skip
    # A JSON field's data as entries before this change stored it (its Python spelling).
    audit.record(None, "create", None, {"levels": "[{'level': 'I', 'name': '一级响应'}]"},
                 object_type="emergency.plan", object_id="1", object_repr="预案")  # fmt: skip
    response = client_for(personas.auditor).get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 200
    for words in ("环节", "启动", "报送", "人工发布", "指挥机构", "场所类型", "演示区数据", "导入"):
        assert words in html, words
    assert '<code class="change-new">[{&#x27;level&#x27;' in html
    assert not english_words(html), english_words(html)


def test_new_snapshots_keep_json_data_as_data(world):
    from fengqiao.emergency.models import Plan

    plan = Plan(region=world.huayuan, title="预案", levels=[{"level": "I", "name": "一级响应"}])
    assert audit.snapshot(plan)["levels"] == [{"level": "I", "name": "一级响应"}]
