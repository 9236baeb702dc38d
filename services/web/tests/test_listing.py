"""Search and catalog addresses: read forgivingly, sent to the catalog API as it expects, written back as links."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from services.web.listing import MAX_PAGE, Listing, chosen_filters, count_text, facet_groups, field_errors, pager


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_an_address_is_read_forgivingly() -> None:
    listing = Listing.from_query(
        {
            "q": "  城乡   低保 ",
            "page": "x",
            "year": "1850",
            "validity": "bogus",
            "sort": "date",
            "category": "normative_document",
            "agency_id": "<script>",
        }
    )
    assert listing == Listing(q="城乡 低保", category="normative_document", sort="date")
    assert Listing.from_query({"page": str(MAX_PAGE + 1)}).page == 1
    assert Listing.from_query({"page": "3", "year": "2025"}) == Listing(page=3, year=2025)


def test_the_api_gets_the_words_the_filters_and_a_year_as_a_date_range() -> None:
    listing = Listing(q="低保", agency_id="a1", category="finance", validity="valid", year=2025, sort="date", page=2)
    assert listing.api_params(size=20) == {
        "q": "低保",
        "agency_id": "a1",
        "category": "finance",
        "validity": "valid",
        "sort": "date",
        "from": "2025-01-01",
        "to": "2025-12-31",
        "page": 2,
        "size": 20,
    }
    assert Listing().api_params() == {"page": 1, "size": 20}


def test_a_doc_number_typed_in_its_own_field_is_what_is_searched() -> None:
    listing = Listing(q="低保", doc_number="青政办[2026]12号")
    assert listing.api_params()["q"] == "青政办[2026]12号"
    assert Listing(q="低保").api_params()["q"] == "低保"


def test_links_change_one_thing_and_go_back_to_the_first_page() -> None:
    listing = Listing(q="低保", topic="employment", page=4)
    assert query(listing.url("/search", category="finance")) == {"q": "低保", "topic": "employment", "category": "finance"}
    assert query(listing.url("/search", topic=None)) == {"q": "低保"}
    assert query(listing.url("/search", page=5)) == {"q": "低保", "topic": "employment", "page": "5"}
    assert (
        Listing(doc_number="青政办〔2026〕12号").url("/search") == "/search?wh=%E9%9D%92%E6%94%BF%E5%8A%9E%E3%80%942026%E3%80%9512%E5%8F%B7"
    )
    assert Listing().url("/catalog") == "/catalog"


def test_an_estimated_total_says_about() -> None:
    assert count_text(12345, True) == "约12345条"
    assert count_text(7, False) == "共7条"


def test_the_pager_shows_a_window_with_gaps_and_the_ends() -> None:
    p = pager(Listing(q="低保", page=6), "/search", total=200, size=20)
    assert p is not None
    numbers = [item["number"] if item else "…" for item in p["pages"]]
    assert numbers == [1, "…", 4, 5, 6, 7, 8, "…", 10]
    assert [item["number"] for item in p["pages"] if item and item["current"]] == [6]
    assert query(p["prev"])["page"] == "5" and query(p["next"])["page"] == "7"
    assert pager(Listing(q="低保"), "/search", total=20, size=20) is None
    last = pager(Listing(page=10), "/search", total=200, size=20)
    assert last is not None and last["next"] is None
    assert query(pager(Listing(page=1), "/search", total=40)["next"])["page"] == "2"


def test_a_page_past_the_end_links_back_to_the_last_page() -> None:
    p = pager(Listing(page=9), "/search", total=30, size=20)
    assert p is not None and query(p["prev"])["page"] == "2" and p["next"] is None


def test_the_pager_never_offers_a_page_the_catalog_refuses() -> None:
    p = pager(Listing(), "/search", total=1_000_000, size=20)
    assert p is not None and p["last"] == MAX_PAGE


FACETS = {
    "category": [
        {"code": "regulatory", "name": "法规文件", "parent_code": None, "count": 5},
        {"code": "finance", "name": "财政信息", "parent_code": None, "count": 4},
        {"code": "normative_document", "name": "行政规范性文件", "parent_code": "regulatory", "count": 3},
        {"code": "budget", "name": "预决算", "parent_code": "finance", "count": 4},
    ],
    "topic": [{"code": None, "name": "未分类", "count": 6}, {"code": "employment", "name": "就业", "count": 3}],
    "agency": [{"code": "a1", "name": "青山县民政局", "count": 9}],
    "validity": [{"code": "valid", "name": "有效", "count": 9}],
    "year": [{"code": "2026", "name": "2026年", "count": 8}, {"code": "2025", "name": "2025年", "count": 1}],
}


def test_facets_become_links_subcategories_follow_their_parent_and_a_chosen_value_removes_itself() -> None:
    listing = Listing(q="低保", year=2026)
    groups = {g["name"]: g for g in facet_groups(FACETS, listing, "/search")}
    assert list(groups) == ["category", "topic", "agency_id", "year", "validity"]
    assert [(v["label"], v["depth"]) for v in groups["category"]["values"]] == [
        ("法规文件", 0),
        ("行政规范性文件", 1),
        ("财政信息", 0),
        ("预决算", 1),
    ]
    assert [v["label"] for v in groups["topic"]["values"]] == ["就业"]  # 未分类 is no filter
    assert query(groups["agency_id"]["values"][0]["url"]) == {"q": "低保", "year": "2026", "agency_id": "a1"}
    year = groups["year"]["values"][0]
    assert year["selected"] and query(year["url"]) == {"q": "低保"}


def test_chosen_filters_are_named_from_the_facets_or_the_names_given() -> None:
    listing = Listing(q="低保", agency_id="a1", category="gone", year=2025)
    chosen = chosen_filters(listing, "/search", FACETS, {"gone": "已停用的类别"})
    assert [(c["title"], c["label"]) for c in chosen] == [
        ("发布机关", "青山县民政局"),
        ("信息类别", "已停用的类别"),
        ("发布年份", "2025年"),
    ]
    assert query(chosen[0]["url"]) == {"q": "低保", "category": "gone", "year": "2025"}


def test_the_apis_problem_is_told_at_the_field_the_reader_typed_in() -> None:
    problem = [{"field": "q", "message": "检索词过于宽泛"}]
    assert field_errors(Listing(q="的"), problem, "x") == {"q": "检索词过于宽泛"}
    assert field_errors(Listing(doc_number="的"), problem, "x") == {"wh": "检索词过于宽泛"}
    assert field_errors(Listing(q="低保"), [{"field": "page", "message": "最多可翻到第 500 页"}], "x") == {"q": "最多可翻到第 500 页"}
    assert field_errors(Listing(q="低保"), [], "请求有误") == {"q": "请求有误"}
