"""Full-text search over Chinese text: segmentation, indexing, hostile queries, scoped combination."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.search import index
from fengqiao.search.text import document_tokens, normalize, query_terms
from fengqiao.territory.models import Region

# -- segmentation ------------------------------------------------------------------------------


def test_search_mode_segmentation_and_normalisation():
    assert document_tokens("施工噪音扰民") == ["施工", "噪音", "扰民", "噪音扰民"]
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert document_tokens("ＡＢＣ１２３，Hello_World！") == ["abc123", "hello", "world"]
    # Stop tokens and punctuation never become tokens.
    assert document_tokens("的了，。！？「」") == []
    assert query_terms("'; drop table x; --") == ["drop", "table", "x"]


def test_domain_terms_come_from_the_user_dictionary():
    assert "断卡" in document_tokens("网格员开展断卡行动")
    assert "网格员" in document_tokens("网格员开展断卡行动")
    assert "宅基地" in document_tokens("宅基地纠纷")


def test_query_terms_prefer_the_parts_of_a_covered_compound():
    assert query_terms("施工扰民") == ["施工", "扰民"]
    assert query_terms("中华人民共和国") == ["中华", "华人", "人民", "共和", "共和国"]
    # 网格员: 员 is no word of its own, so the whole word stays required.
    assert query_terms("网格员") == ["网格", "网格员"]


# -- the index ---------------------------------------------------------------------------------

TEXTS = {
    "huayuan": "花园社区松林小区3号楼夜间施工噪音扰民，居民多次投诉。Noise at night!",
    "songshan": "松山社区：宅基地纠纷，人民调解委员会调解成功",
    "hepan": "河畔社区开展断卡行动，防范电信诈骗",
    "xinjian": "新建村 道路 积水",
}


@pytest.fixture
def indexed(world):
    docs = {getattr(world, name).pk: text for name, text in TEXTS.items()}
    assert index.index_many("region", docs.items()) == 4
    return world


def found(query: str, qs=None) -> set[str]:
    qs = Region.objects.all() if qs is None else qs
    return set(index.search(qs, "region", query).values_list("name", flat=True))


def test_finds_chinese_text(indexed):
    assert found("噪音") == {"花园社区"}
    assert found("松林小区") == {"花园社区"}
    assert found("施工扰民") == {"花园社区"}  # parts not adjacent in the document
    assert found("宅基地") == {"松山社区"}
    assert found("断卡") == {"河畔社区"}
    assert found("社区") == {"花园社区", "松山社区", "河畔社区"}
    assert found("ＮＯＩＳＥ") == {"花园社区"}  # full-width, upper case
    assert found("积水") == {"新建村"}
    assert found("火灾") == set()


def test_two_words_are_anded(indexed):
    assert found("社区 调解") == {"松山社区"}
    assert found("噪音 调解") == set()
    assert found("噪音，居民") == {"花园社区"}


def test_matching_ids_is_a_subquery_usable_with_pk_in(indexed, django_assert_num_queries):
    ids = index.matching_ids("region", "社区")
    assert not isinstance(ids, list)
    qs = Region.objects.filter(pk__in=ids, parent=indexed.taoxi).order_by("code")
    with django_assert_num_queries(1):
        assert list(qs.values_list("name", flat=True)) == ["花园社区", "松山社区"]
    assert "search_document" in str(qs.query)


@pytest.mark.parametrize(
    "query",
    [
        "'; drop table x; --",
        "'; DROP TABLE search_document; --",
        "NEAR(噪音 扰民, 2)",
        '"',
        '"噪音',
        "*",
        "噪音*",
        "噪音:*",
        '"噪音" OR "调解"',
        "噪音 | 调解",
        "噪音 & !调解",
        "!噪音",
        "-噪音",
        "噪音 NOT 居民",
        "body:噪音",
        "kind:region",
        "^噪音",
        "\\",
        "''",
        "%",
        "_",
        "(((",
        "噪音 <-> 扰民",
        "\x00",
    ],
)
def test_hostile_queries_never_error_and_find_only_real_matches(indexed, query):
    result = found(query)
    terms = query_terms(query)
    expected = {
        Region.objects.get(pk=getattr(indexed, name).pk).name
        for name, text in TEXTS.items()
        if terms and set(terms) <= set(document_tokens(text))
    }
    assert result == expected
    assert index.document_count("region") == 4  # the table is still there, untouched


def test_operators_are_words_not_syntax(indexed):
    assert found('"噪音" OR "调解"') == set()  # OR is a stop word, the rest is ANDed
    assert found("噪音*") == {"花园社区"}
    assert found("-噪音") == {"花园社区"}


def test_queries_without_words_find_nothing(indexed):
    assert index.matching_ids("region", "，。！") == []
    assert found("的") == set()
    assert found("") == set()


def test_removal_and_reindexing(indexed):
    huayuan = indexed.huayuan
    index.index_document("region", huayuan.pk, "花园社区 消防通道 堵塞")
    assert found("噪音") == set()
    assert found("消防通道") == {"花园社区"}
    assert index.document_count("region") == 4
    index.remove_document("region", huayuan.pk)
    assert found("消防通道") == set()
    assert found("社区") == {"松山社区", "河畔社区"}
    index.remove_document("region", huayuan.pk)  # again: no error
    index.index_document("region", huayuan.pk, "重新 上报 噪音")
    assert found("噪音") == {"花园社区"}
    assert index.document_count("region") == 4


def test_bulk_indexing_in_batches_with_repeated_ids(world):
    items = [
        (world.hepan.pk, "旧的 文本"),
        (world.xinjian.pk, "积水"),
        (world.hepan.pk, "新的 噪音"),
    ]
    items += [(100_000 + i, f"批量 文档 {i}") for i in range(25)]
    index.index_many("region", items, batch_size=4)
    assert found("噪音") == {"河畔社区"}
    assert found("文本") == set()
    assert index.document_count("region") == 27
    assert set(Region.objects.filter(pk__in=index.matching_ids("region", "批量"))) == set()


def test_kinds_are_separate(indexed):
    index.index_document("grid", indexed.hepan.pk, "噪音")
    assert found("噪音") == {"花园社区"}
    assert index.document_count("grid") == 1
    with pytest.raises(ValueError, match="kind"):
        index.matching_ids("", "噪音")
    with pytest.raises(ValueError, match="kind"):
        index.index_document("k" * 41, 1, "噪音")


def test_search_within_a_permission_scope(indexed, personas):
    # The station clerk of 松山 sees only 松山社区: search cannot widen that.
    scoped = access_for(personas.station_clerk).regions(Perm.TERRITORY_VIEW)
    assert found("社区", scoped) == {"松山社区"}
    assert found("噪音", scoped) == set()
    outsider = access_for(personas.outsider).regions(Perm.TERRITORY_VIEW)
    assert found("社区", outsider) == set()


@pytest.mark.django_db
def test_indexing_is_rolled_back_with_the_callers_transaction(world):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        index.index_document("region", world.hepan.pk, "噪音")
        raise RuntimeError("the save failed")
    assert found("噪音") == set()


ALPHABET = st.sampled_from(
    list("花园社区松林小区施工噪音扰民居民投诉宅基地纠纷调解断卡积水")
    + list("\"'*:()^-!&|<>%_\\;,，。 \t")
    + ["NEAR", "OR", "AND", "NOT", "noise", "3", "号楼"]
)


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.lists(ALPHABET, max_size=12).map("".join))
def test_any_query_finds_exactly_the_documents_containing_all_its_terms(indexed, query):
    terms = set(query_terms(query))
    expected = {
        getattr(indexed, name).pk
        for name, text in TEXTS.items()
        if terms and terms <= set(document_tokens(text))
    }
    assert (
        set(index.search(Region.objects.all(), "region", query).values_list("pk", flat=True))
        == expected
    )
