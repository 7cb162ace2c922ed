"""Document numbers per committee and year: no gaps, no duplicates, also under concurrency."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from fengqiao.mediation.actions import allocate_number, committee_prefix
from fengqiao.mediation.models import CommitteeSetting
from fengqiao.org.models import Unit, UnitKind
from tests.factories import make_world


def _committee(world) -> Unit:
    return Unit.objects.create(
        name="桃西街道人民调解委员会", kind=UnitKind.MEDIATION_COMMITTEE, region=world.taoxi
    )


@pytest.mark.django_db
def test_prefix_from_setting_short_name_or_name():
    world = make_world()
    committee = _committee(world)
    assert committee_prefix(committee) == "桃西"
    committee.short_name = "桃西街"
    committee.save()
    assert committee_prefix(committee) == "桃西街"
    CommitteeSetting.objects.create(committee=committee, doc_prefix="桃调")
    assert committee_prefix(committee) == "桃调"


@pytest.mark.django_db
def test_numbers_per_year_and_a_rollback_leaves_no_gap():
    world = make_world()
    committee = _committee(world)
    other = Unit.objects.create(
        name="花园社区人民调解委员会", kind=UnitKind.MEDIATION_COMMITTEE, region=world.huayuan
    )
    assert allocate_number(committee, 2026) == "桃西调字〔2026〕第0001号"
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_number(committee, 2026)
        raise RuntimeError("the mediation was not saved")
    assert allocate_number(committee, 2026) == "桃西调字〔2026〕第0002号"
    assert allocate_number(committee, 2027) == "桃西调字〔2027〕第0001号"
    assert allocate_number(other, 2026) == "花园社区调字〔2026〕第0001号"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_numbering_unique_and_gapless():
    world = make_world()
    committee = _committee(world)
    n = 16
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(n)

        def worker(fail: bool) -> None:
            try:
                barrier.wait()
                with transaction.atomic():
                    number = allocate_number(committee, 2026)
                    if fail:
                        raise RuntimeError("rolled back")
                with lock:
                    numbers.append(number)
            except RuntimeError:
                pass
            except BaseException as e:
                errors.append(e)
            finally:
                close_old_connections()
                connection.close()

        # Every fourth request fails after taking a number: its number must be reused.
        threads = [threading.Thread(target=worker, args=(i % 4 == 3,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:  # SQLite serialises writers: sequential allocation is the honest test there.
        for i in range(n):
            if i % 4 != 3:
                with transaction.atomic():
                    numbers.append(allocate_number(committee, 2026))
    assert not errors
    ok = n - n // 4
    assert len(numbers) == ok == len(set(numbers))
    assert sorted(numbers) == [f"桃西调字〔2026〕第{i:04d}号" for i in range(1, ok + 1)]


def test_street_and_community_of_one_name_get_distinct_prefixes(world):
    from fengqiao.mediation.actions import committee_prefix
    from fengqiao.org.models import Unit, UnitKind

    street = Unit.objects.create(
        name="桃西街道人民调解委员会", kind=UnitKind.MEDIATION_COMMITTEE, region=world.taoxi
    )
    community = Unit.objects.create(
        name="桃西社区人民调解委员会", kind=UnitKind.MEDIATION_COMMITTEE, region=world.huayuan
    )
    assert committee_prefix(street) == "桃西"
    assert committee_prefix(community) == "桃西社区"
