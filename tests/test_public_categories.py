"""The resident's category list is the district's one classification, nested; figures in days
show their unit; the monitoring room's chart by category starts from the district's tree."""

import re
from decimal import Decimal

from django.urls import reverse
from django.utils import translation

from fengqiao.analytics.indicators import DAYS, PERCENT, Value
from fengqiao.cases.forms import PublicReportForm
from fengqiao.cases.models import Category


def test_public_form_offers_one_family_grouped_by_parent(db, settings):
    settings.CATEGORY_FAMILY = "governance"
    form = PublicReportForm()
    choices = form.fields["category"].choices
    groups = {label: options for label, options in choices[1:] if isinstance(options, list)}
    singles = [label for _v, label in choices[1:] if not isinstance(_v, str)]
    assert list(groups) == ["矛盾纠纷(综治台账分类)"]
    names = [name for _pk, name in groups["矛盾纠纷(综治台账分类)"]]
    assert "施工扰民" in names and "劳资" in names
    assert "邻里" not in names and "婚姻家庭" not in names  # the justice family's types
    assert "治安事件" in singles and "法律咨询" in singles
    offered = [pk for pk, _n in groups["矛盾纠纷(综治台账分类)"]] + [
        v for v, _l in choices[1:] if isinstance(v, int)
    ]
    assert set(offered) == set(form.fields["category"].queryset.values_list("pk", flat=True))
    assert not any(name.startswith("　") for name in names + singles)  # no indentation by spaces


def test_public_page_renders_optgroups_and_refuses_the_other_family(db, client, settings):
    settings.CATEGORY_FAMILY = "governance"
    html = client.get(reverse("public:report")).content.decode()
    select = re.search(r'<select name="category".*?</select>', html, re.S).group(0)
    assert '<optgroup label="矛盾纠纷(综治台账分类)">' in select
    assert "司法行政" not in select and "邻里" not in select
    assert select.count("<option") == 1 + 12 + 6  # the blank, the 12 dispute types, 6 other kinds
    form = PublicReportForm(data={"category": Category.objects.get(code="neighbourhood").pk})
    form.is_valid()
    assert "category" in form.errors


def test_justice_district_gets_the_justice_tree(db, settings):
    settings.CATEGORY_FAMILY = "justice"
    choices = PublicReportForm().fields["category"].choices
    [(label, options)] = [c for c in choices[1:] if isinstance(c[1], list)]
    assert label == "矛盾纠纷(司法行政分类)" and "邻里" in [n for _p, n in options]


def test_days_show_their_unit():
    with translation.override("zh-hans"):
        assert Value(value=Decimal("3.4"), numerator=1, denominator=1).display(DAYS) == "3.4 天"
        assert Value(value=None, numerator=0, denominator=0).display(DAYS) == "—"
        assert Value(value=98, numerator=98, denominator=100).display(PERCENT) == "98%"
