"""Regions and categories keep materialized paths: a move rewrites the whole subtree, and only it."""

from fengqiao.cases.models import Category
from fengqiao.territory.models import Region


def test_moving_a_region_moves_its_subtree_and_nothing_else(world):
    taoxi, taonan, huayuan = world.taoxi, world.taonan, world.huayuan
    assert huayuan.path.startswith(taoxi.path)
    untouched = {r.pk: r.path for r in Region.objects.exclude(path__startswith=taoxi.path)}
    # 桃西街道 moves under 桃南街道 (an odd move, but any move must keep the paths true).
    taoxi.parent = taonan
    taoxi.save()
    taoxi.refresh_from_db()
    assert taoxi.path == f"{taonan.path}{taoxi.pk}/"
    huayuan.refresh_from_db()
    assert huayuan.path == f"{taoxi.path}{huayuan.pk}/"
    for region in Region.objects.all():
        parent_path = region.parent.path if region.parent_id else "/"
        assert region.path == f"{parent_path}{region.pk}/", region.name
    assert {r.pk: r.path for r in Region.objects.filter(pk__in=untouched)} == untouched


def test_moving_a_category_moves_its_subtree(db):
    a = Category.objects.create(code="t_a", name="甲", family="justice")
    b = Category.objects.create(code="t_b", name="乙", family="justice")
    child = Category.objects.create(code="t_c", name="丙", family="justice", parent=a)
    leaf = Category.objects.create(code="t_d", name="丁", family="justice", parent=child)
    child.parent = b
    child.save()
    leaf.refresh_from_db()
    assert leaf.path == f"{b.path}{child.pk}/{leaf.pk}/"
    assert Category.objects.get(pk=a.pk).path == f"/{a.pk}/"
