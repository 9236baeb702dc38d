"""The column's small helpers: trees, paragraphs, download headers, annual report lists, file kinds."""

from __future__ import annotations

from services.web.downloads import filename_from, passthrough_headers
from services.web.filters import file_kind
from services.web.reports import by_year, choose, report_options
from services.web.trees import agency_tree, category_tree, county_root, flatten, paragraphs

AGENCIES = [
    {"id": "t1", "name": "青山县城关镇人民政府", "kind": "township", "parent_id": "c"},
    {"id": "d2", "name": "青山县民政局", "kind": "department", "parent_id": "c"},
    {"id": "c", "name": "青山县人民政府", "kind": "county_government", "parent_id": None},
    {"id": "d1", "name": "青山县财政局", "kind": "department", "parent_id": "c"},
    {"id": "d2a", "name": "青山县社会救助中心", "kind": "other", "parent_id": "d2"},
]


def test_agencies_nest_under_the_county_departments_before_townships() -> None:
    rows = [(node["name"], depth) for node, depth in flatten(agency_tree(AGENCIES))]
    assert rows == [("青山县人民政府", 0), ("青山县民政局", 1), ("青山县社会救助中心", 2), ("青山县财政局", 1), ("青山县城关镇人民政府", 1)]
    assert county_root(AGENCIES)["id"] == "c"
    assert county_root([]) is None


def test_categories_nest_by_kind_with_their_counts() -> None:
    categories = [
        {"code": "regulatory", "name": "法规文件", "kind": "category", "parent_code": None},
        {"code": "normative_document", "name": "行政规范性文件", "kind": "category", "parent_code": "regulatory"},
        {"code": "employment", "name": "就业", "kind": "topic", "parent_code": None},
    ]
    tree = category_tree(categories, {"regulatory": 3, "normative_document": 3})
    assert [(n["name"], n["count"], d) for n, d in flatten(tree)] == [("法规文件", 3, 0), ("行政规范性文件", 3, 1)]
    assert [(n["name"], n["count"]) for n, _ in flatten(category_tree(categories, kind="topic"))] == [("就业", 0)]


def test_a_plain_text_body_becomes_paragraphs() -> None:
    assert paragraphs("各乡镇人民政府：\n\n  现将有关事项通知如下。 \r\n一、标准") == [
        "各乡镇人民政府：",
        "现将有关事项通知如下。",
        "一、标准",
    ]
    assert paragraphs(None) == []


def test_the_download_name_is_read_from_the_upstream_header_and_written_again_safely() -> None:
    assert filename_from("attachment; filename=\"a.pdf\"; filename*=UTF-8''%E9%99%84%E4%BB%B6.pdf") == "附件.pdf"
    assert filename_from('attachment; filename="plain.txt"') == "plain.txt"
    assert filename_from(None) is None and filename_from("inline") is None
    headers = passthrough_headers(
        {"content-disposition": "inline; filename*=UTF-8''%22evil%22%0D%0Ax.html", "content-length": "12", "etag": '"abc"'}, "附件"
    )
    assert headers["Content-Disposition"].startswith("attachment; ")
    assert "\r" not in headers["Content-Disposition"] and "\n" not in headers["Content-Disposition"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Content-Length"] == "12" and headers["Etag"] == '"abc"'
    assert passthrough_headers({}, "年度报告.csv")["Content-Disposition"].endswith("%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.csv")
    assert "Content-Length" not in passthrough_headers({"content-length": "5", "content-encoding": "gzip"}, "x")


REPORTS = [
    {"id": "1", "agency_id": "d1", "agency_name": "青山县财政局", "year": 2025, "subtree": False},
    {"id": "2", "agency_id": "c", "agency_name": "青山县人民政府", "year": 2025, "subtree": True},
    {"id": "3", "agency_id": "d1", "agency_name": "青山县财政局", "year": 2024, "subtree": False},
]


def test_reports_are_grouped_by_year_the_county_summary_first() -> None:
    assert [(g["year"], [r["id"] for r in g["reports"]]) for g in by_year(REPORTS)] == [(2025, ["2", "1"]), (2024, ["3"])]
    assert choose({"year": "2024", "agency_id": "d1"}, REPORTS) == (2024, "d1")
    assert choose({"year": "1999", "agency_id": "zz"}, REPORTS) == (None, None)
    assert choose({"year": "x"}, REPORTS) == (None, None)
    options = report_options(REPORTS)
    assert options["year_options"] == [(2025, "2025年"), (2024, "2024年")]
    assert options["agency_options"] == [("c", "青山县人民政府"), ("d1", "青山县财政局")]


def test_file_kinds_in_words() -> None:
    assert file_kind("application/pdf") == "PDF"
    assert file_kind("text/plain; charset=utf-8") == "文本"
    assert file_kind("application/x-thing") == "X-THING"
    assert file_kind(None) == ""
