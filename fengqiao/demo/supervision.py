"""The judicial office's demo rows (issue 17): demo_judicial (桃西司法所) records one piece of
guidance on a dispute of the 桃西街道 committee. Idempotent: once per account."""

from collections import Counter

from fengqiao.accounts.models import User
from fengqiao.mediation import actions
from fengqiao.mediation.models import Mediation, SupervisionReview

COMMITTEE = "桃西街道人民调解委员会"
NOTE = (
    "经审阅卷宗：调查、调解记录齐全，协议内容具体可履行。请调委会在回访中核实道路修复的验收情况，"
    "并提醒当事人可在协议生效之日起三十日内申请司法确认。"
)


def load_supervision(created: Counter) -> None:
    judicial = User.objects.filter(username="demo_judicial").first()
    if judicial is None or SupervisionReview.objects.filter(by=judicial).exists():
        return
    m = Mediation.objects.filter(committee__name=COMMITTEE).order_by("id").first()
    if m is None:
        return
    actions.record_review(judicial, m, kind=SupervisionReview.Kind.GUIDANCE, note=NOTE)
    created["supervision review"] += 1
