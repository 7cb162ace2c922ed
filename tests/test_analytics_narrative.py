"""The report's sentences: comparisons read the right way round, in Chinese."""

from decimal import Decimal

import pytest
from django.utils import translation

from fengqiao.analytics import indicators as ind
from fengqiao.analytics.indicators import Value
from fengqiao.analytics.narrative import change_phrase


@pytest.fixture(autouse=True)
def zh():
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    ("now", "before", "style", "expected"),
    [
        (Value(45), Value(40), ind.COUNT, "增长12.5%（原为40）"),
        (Value(30), Value(40), ind.COUNT, "下降25.0%（原为40）"),
        (Value(40), Value(40), ind.COUNT, "持平（40）"),
        (Value(3), Value(0), ind.COUNT, "有所增长（原为0）"),
        (
            Value(Decimal("98.27")),
            Value(Decimal("100.00")),
            ind.PERCENT,
            "下降1.73个百分点（原为100.00%）",
        ),
        (
            Value(Decimal("90.50")),
            Value(Decimal("88.00")),
            ind.PERCENT,
            "上升2.50个百分点（原为88.00%）",
        ),
        (Value(5), None, ind.COUNT, "无法比较（该期无数据）"),
        (Value(None), Value(3), ind.PERCENT, "无法比较（该期无数据）"),
    ],
)
def test_change_phrase(now, before, style, expected):
    assert change_phrase(now, before, style) == expected
