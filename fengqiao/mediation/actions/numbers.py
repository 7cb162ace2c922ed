"""Document numbers (桃西调字〔2026〕第0001号) and the committee's time limit."""

from django.db import IntegrityError, transaction

from fengqiao.org.models import Unit

from ..models import CommitteeSetting, DocumentCounter

DEFAULT_TIME_LIMIT_WORKING_DAYS = 22


def committee_prefix(committee: Unit) -> str:
    setting = CommitteeSetting.objects.filter(committee=committee).first()
    if setting and setting.doc_prefix:
        return setting.doc_prefix
    if committee.short_name:
        return committee.short_name
    name = committee.name.replace("人民调解委员会", "")
    # Streets and towns drop their suffix (桃西街道 → 桃西); communities and villages keep it, so
    # 桃源社区 does not share 桃源街道's numbers.
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def allocate_number(committee: Unit, year: int) -> str:
    """The next document number of the committee for the year, e.g. 桃西调字〔2026〕第0001号.

    The counter row is locked, so concurrent requests queue; allocated inside the caller's
    transaction, a rolled-back mediation gives its number back (no gaps)."""
    qs = DocumentCounter.objects.select_for_update()
    counter = qs.filter(committee=committee, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                DocumentCounter.objects.create(committee=committee, year=year, last=0)
        except IntegrityError:
            pass  # created by a concurrent request; lock it below
        counter = qs.get(committee=committee, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{committee_prefix(committee)}调字〔{year}〕第{counter.last:04d}号"


def time_limit_days(committee: Unit) -> int:
    setting = CommitteeSetting.objects.filter(committee=committee).first()
    return setting.time_limit_working_days if setting else DEFAULT_TIME_LIMIT_WORKING_DAYS
