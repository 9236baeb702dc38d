"""The 政府信息公开 column in a real browser: guide, catalog, search, documents, attachments, annual reports.

Everything is seeded through the APIs as the county's officers would: an admin registers the
agencies, a category and the guides; a drafter drafts and a different officer passes each
document through confidentiality review; a supervisor publishes last year's annual report.
Then a citizen uses the site. (No async tests here: the browser holds the thread's loop.)
"""

from __future__ import annotations

import os
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.validators import credit_code_check_char
from tests.web.a11y import assert_accessible, assert_accessible_in_every_mode

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
LAST_YEAR = TODAY.year - 1
ATTACHMENT = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% \xe4\xbd\x8e\xe4\xbf\x9d\xe6\xa0\x87\xe5\x87\x86\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
BATCH = 23  # the 民政局's routine notices: with the rest, more than one page of 20 results for 低保


def credit_code() -> str:
    first = "11" + "".join(random.choice("0123456789") for _ in range(15))
    return first + credit_code_check_char(first)


@dataclass
class Column:
    """What the officers published, by name: agencies, documents, the annual report."""

    site: Any
    tag: str
    agencies: dict[str, str] = field(default_factory=dict)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    report_id: str = ""

    def name(self, key: str) -> str:
        return {"county": f"{self.tag}县人民政府", "civil": f"{self.tag}县民政局", "finance": f"{self.tag}县财政局"}[key]


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _seed(site: Any) -> Column:
    tag = random.choice(["云溪", "清河", "白石", "青峰", "梅岭"]) + str(random.randint(10, 99))
    col = Column(site, tag)
    catalog = site.api("catalog")
    admin = site.token("admin", sub="column-admin")
    with httpx.Client(timeout=20) as http:
        county = _ok(
            http.post(
                f"{catalog}/agencies",
                headers=admin,
                json={"name": col.name("county"), "kind": "county_government", "credit_code": credit_code()},
            ),
            201,
        )
        col.agencies["county"] = county["id"]
        for key, phone in (("civil", "0571-8801234"), ("finance", "0571-8805678")):
            agency = _ok(
                http.post(
                    f"{catalog}/agencies",
                    headers=admin,
                    json={
                        "name": col.name(key),
                        "kind": "department",
                        "parent_id": county["id"],
                        "credit_code": credit_code(),
                        "phone": phone,
                        "address": f"{tag}县人民路{len(key)}号",
                    },
                ),
                201,
            )
            col.agencies[key] = agency["id"]
        category = f"rules_{tag.encode().hex()[:12]}"
        _ok(
            http.post(
                f"{catalog}/categories",
                headers=admin,
                json={"code": category, "name": f"{tag}社会救助政策", "kind": "category", "parent_code": "regulatory", "sort": 25},
            ),
            201,
        )
        for key, office in (("county", f"{tag}县人民政府办公室"), ("civil", f"{tag}县民政局办公室")):
            _ok(
                http.put(
                    f"{catalog}/agencies/{col.agencies[key]}/guide",
                    headers=admin,
                    json={
                        "office": office,
                        "address": f"{tag}县人民路1号",
                        "postcode": "330100",
                        "hours": "工作日 8:30-12:00，14:00-17:30",
                        "phone": "0571-8800000",
                        "email": "gk@example.gov.cn",
                        "channels": ["online", "letter", "in_person"],
                        "scope": "主动公开本机关的机构职能、规范性文件、财政预决算等信息。\n通过本网站和政务公开专区公开。",
                    },
                )
            )

        def publish(agency: str, **fields: Any) -> dict[str, Any]:
            drafter = site.token("handler", agency_id=col.agencies[agency], sub=f"{tag}-drafter-{agency}")
            reviewer = site.token("reviewer", agency_id=col.agencies[agency], sub=f"{tag}-reviewer-{agency}")
            body = {"agency_id": col.agencies[agency], "made_on": TODAY.isoformat(), "category_code": "work_update"} | fields
            attachment = body.pop("attachment", None)
            doc = _ok(http.post(f"{catalog}/documents", headers=drafter, json=body), 201)
            if attachment:
                _ok(http.post(f"{catalog}/documents/{doc['id']}/attachments", headers=drafter, files={"file": attachment}), 201)
            _ok(http.post(f"{catalog}/documents/{doc['id']}/submit", headers=drafter))
            return _ok(http.post(f"{catalog}/documents/{doc['id']}/approve", headers=reviewer))

        col.docs["policy"] = publish(
            "civil",
            title=f"{tag}县民政局关于调整城乡最低生活保障标准的通知",
            doc_number=f"{tag}民〔{TODAY.year}〕8号",
            category_code=category,
            topic_code="social_assistance",
            keywords=["低保", "救助标准"],
            summary="自下月起提高城乡低保标准。",
            body="各乡镇人民政府：\n经县人民政府同意，现将城乡低保标准调整如下。\n一、城市低保标准提高到每人每月900元。",
            attachment=("低保标准测算表.pdf", ATTACHMENT, "application/pdf"),
        )
        col.docs["interpretation"] = publish(
            "civil",
            title=f"《{tag}县民政局关于调整城乡最低生活保障标准的通知》政策解读",
            category_code="policy_interpretation",
            topic_code="social_assistance",
            interprets_id=col.docs["policy"]["id"],
            body="一、调整的背景\n为保障困难群众基本生活，提高城乡低保标准。",
        )
        for i in range(BATCH):
            publish("civil", title=f"{tag}县民政局关于第{i + 1}批城乡低保资金发放情况的公示", body="城乡低保资金已按时足额发放。")
        for i in range(3):
            publish(
                "finance",
                title=f"{tag}县财政局关于下达第{i + 1}批城乡低保补助资金的通知",
                category_code="budget",
                body="下达城乡低保补助资金。",
            )
        withdrawn = publish("civil", title=f"{tag}县民政局已撤回的通知", body="此通知已撤回。")
        head = site.token("head", agency_id=col.agencies["civil"], sub=f"{tag}-head")
        _ok(http.post(f"{catalog}/documents/{withdrawn['id']}/withdraw", headers=head, json={"note": "内容有误"}))
        col.docs["withdrawn"] = withdrawn

        # The audit service learns the agencies from the catalog's events: publish once it knows them.
        supervisor = site.token("supervisor", agency_id=col.agencies["county"], sub=f"{tag}-supervisor")
        deadline = time.monotonic() + 30
        while True:
            resp = http.post(
                f"{site.api('audit')}/reports/annual/published",
                headers=supervisor,
                json={"year": LAST_YEAR, "agency_id": col.agencies["county"], "subtree": True},
            )
            if resp.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        col.report_id = _ok(resp)["id"]
    return col


@pytest.fixture(scope="module")
def column(site) -> Column:
    return _seed(site)


def screenshot(page: Any, name: str) -> None:
    """Only when asked (WEB_SCREENSHOTS_DIR): CI must not rewrite the README's pictures."""
    folder = os.environ.get("WEB_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def main_text(page: Any) -> str:
    return page.locator("main").inner_text()


def count_of(page: Any) -> int:
    text = page.locator(".result-count").inner_text()
    match = re.search(r"[共约](\d+)条", text)
    assert match, text
    return int(match.group(1))


# -- a citizen ---------------------------------------------------------------------------------------


def test_a_citizen_browses_the_column_by_category_and_agency(page, column) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="公开目录").click()
    page.wait_for_url("**/catalog")
    assert page.get_by_role("navigation", name="当前位置").locator("li").all_inner_texts() == ["首页", "政府信息公开目录"]
    # 法规文件 rolls up its subcategories, including the one the admin added.
    page.get_by_role("navigation", name="信息类别").get_by_role("link", name=re.compile(r"^法规文件")).click()
    page.wait_for_url(re.compile(r"category=regulatory"))
    assert column.docs["policy"]["title"] in main_text(page)
    page.get_by_role("navigation", name="信息类别").get_by_role("link", name=re.compile(f"^{column.tag}社会救助政策")).click()
    assert page.locator(".results li").count() == 1
    assert "已选条件" in main_text(page)

    page.goto("/catalog")
    page.get_by_role("navigation", name="发布机关").get_by_role("link", name=column.name("finance"), exact=True).click()
    page.wait_for_url(re.compile(r"agency_id="))
    assert count_of(page) == 3
    assert all(column.name("finance") in t for t in page.locator(".result-meta").all_inner_texts())

    # The agency's own column: its guide, catalog, latest documents and contacts.
    page.goto(f"/agencies/{column.agencies['civil']}")
    assert page.locator("h1").inner_text().startswith(column.name("civil"))
    crumbs = page.get_by_role("navigation", name="当前位置").inner_text()
    assert column.name("county") in crumbs and column.name("civil") in crumbs
    assert "0571-8800000" in main_text(page) and f"{column.tag}县民政局办公室" in main_text(page)
    assert page.locator(".results li").count() == 10
    page.get_by_role("link", name="政府信息公开指南", exact=True).first.click()
    page.wait_for_url(f"**/guide/{column.agencies['civil']}")
    assert "网上申请、信函申请、当面申请" in main_text(page)

    page.goto("/guide")
    assert "二、依申请公开" in main_text(page)
    page.get_by_role("link", name=column.name("finance"), exact=True).click()
    page.wait_for_url(f"**/guide/{column.agencies['finance']}")
    assert "该机关尚未发布政府信息公开指南" in main_text(page)


def test_a_citizen_searches_filters_by_a_facet_pages_and_finds_a_doc_number(page, column) -> None:
    page.goto("/search")
    page.get_by_label("检索词").fill("低保")
    page.get_by_role("button", name="检索", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.get_by_label("检索词").input_value() == "低保"  # the query stays in the box
    total = count_of(page)
    assert total >= BATCH + 5
    assert re.search(r"共\d+条", page.locator(".result-count").inner_text())  # exact: far under the sampling threshold
    facets = page.get_by_role("navigation", name="按条件筛选")
    for title in ("信息类别", "主题分类", "发布机关", "发布年份", "有效性"):
        assert facets.get_by_role("heading", name=title).is_visible()
    screenshot(page, "search.png")

    facets.get_by_role("link", name=re.compile(f"^{column.name('finance')}")).click()
    page.wait_for_url(re.compile(r"agency_id="))
    assert count_of(page) == 3 and page.get_by_label("检索词").input_value() == "低保"
    assert f"发布机关：{column.name('finance')}" in page.locator(".chosen").inner_text()
    page.get_by_role("link", name=re.compile("^取消")).click()
    page.wait_for_url(lambda url: "agency_id" not in url)
    assert count_of(page) == total

    first_page = page.locator(".result-title").all_inner_texts()
    page.get_by_role("navigation", name="分页").get_by_role("link", name="下一页").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator('.pager [aria-current="page"]').text_content().strip() == "第2页"
    second_page = page.locator(".result-title").all_inner_texts()
    assert second_page and not set(first_page) & set(second_page)
    assert page.get_by_label("检索词").input_value() == "低保"

    # A 文号 with the brackets people type finds the document with 〔〕.
    page.goto("/search")
    page.get_by_label("文号").fill(f"{column.tag}民[{TODAY.year}]8号")
    page.get_by_role("button", name="检索", exact=True).click()
    page.wait_for_url(re.compile(r"wh="))
    assert page.locator(".result-title").first.inner_text() == column.docs["policy"]["title"]
    assert page.get_by_label("文号").input_value() == f"{column.tag}民[{TODAY.year}]8号"
    # … and so does a 文号 typed in the ordinary search box.
    page.goto("/")
    page.get_by_label("检索政府信息").fill(f"{column.tag}民（{TODAY.year}）8号")
    page.get_by_role("button", name="检索", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.locator(".result-title").first.inner_text() == column.docs["policy"]["title"]


def test_a_search_without_results_gives_advice_and_a_vague_one_says_why(page, column) -> None:
    page.goto("/search?q=" + "不存在的词语甲乙丙")
    assert "没有找到相关信息" in main_text(page) and "错别字" in main_text(page)
    assert page.get_by_role("link", name="申请政府信息公开").get_attribute("href") == "/apply"
    assert count_of(page) == 0
    page.goto("/search?q=的")
    assert page.locator(".error-summary").is_visible()
    assert "检索词过于宽泛" in page.locator("#q-error").inner_text()
    assert page.get_by_label("检索词").input_value() == "的"


def test_a_citizen_reads_a_document_its_interpretation_and_downloads_the_attachment(page, column, site) -> None:
    policy = column.docs["policy"]
    page.goto(f"/search?q={column.tag}民〔{TODAY.year}〕8号")
    page.get_by_role("link", name=policy["title"]).click()
    page.wait_for_url(f"**/documents/{policy['id']}")
    rows = dict(zip(page.locator(".meta-table th").all_inner_texts(), page.locator(".meta-table td").all_inner_texts(), strict=True))
    date_cn = f"{TODAY.year}年{TODAY.month}月{TODAY.day}日"
    assert rows["索引号"] == policy["index_number"]
    assert rows["文号"] == f"{column.tag}民〔{TODAY.year}〕8号"
    assert rows["发布机构"] == column.name("civil")
    assert rows["生成日期"] == date_cn and rows["发布日期"] == date_cn
    assert rows["有效性"] == "有效"
    assert rows["信息类别"] == f"{column.tag}社会救助政策" and rows["主题分类"] == "低保与救助"
    assert "城市低保标准提高到每人每月900元" in page.locator(".document-body").inner_text()
    assert page.locator(".document-body p").count() == 3
    screenshot(page, "document.png")

    with page.expect_download() as info:
        page.get_by_role("link", name="低保标准测算表.pdf").click()
    download = info.value
    assert download.suggested_filename == "低保标准测算表.pdf"
    assert Path(download.path()).read_bytes() == ATTACHMENT
    href = page.get_by_role("link", name="低保标准测算表.pdf").get_attribute("href")
    resp = httpx.get(site.url + href)
    assert resp.status_code == 200 and resp.content == ATTACHMENT
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E4%BD%8E%E4%BF%9D" in resp.headers["content-disposition"]
    assert resp.headers["x-content-type-options"] == "nosniff"

    # The interpretation both ways.
    page.get_by_role("region", name="政策解读").get_by_role("link", name=column.docs["interpretation"]["title"]).click()
    page.wait_for_url(f"**/documents/{column.docs['interpretation']['id']}")
    assert "的政策解读" in page.locator(".notice").inner_text()
    page.locator(".notice").get_by_role("link", name=policy["title"]).click()
    page.wait_for_url(f"**/documents/{policy['id']}")


def test_a_citizen_opens_the_annual_report_and_its_downloads(page, column, site) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="年度报告").click()
    page.wait_for_url("**/reports")
    title = f"{column.name('county')}（含下级机关）{LAST_YEAR}年政府信息公开工作年度报告"
    page.get_by_role("link", name=title).click()
    page.wait_for_url(f"**/reports/{column.report_id}")
    assert page.locator("h1").inner_text() == title
    text = main_text(page)
    for heading in ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"):
        assert heading in text
    assert page.locator(".report-table").count() >= 7
    for fmt, kind in (("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats"), ("html", "text/html")):
        href = page.locator(f'a[href$="/download/{fmt}"]').get_attribute("href")
        resp = httpx.get(site.url + href)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith(kind)
        assert resp.headers["content-disposition"].startswith("attachment;") and resp.headers["x-content-type-options"] == "nosniff"
    page.goto(f"/reports?year={LAST_YEAR}&agency_id={column.agencies['county']}")
    assert page.get_by_role("link", name=title).is_visible()


def test_an_unknown_or_withdrawn_document_is_the_chinese_404_page(page, column) -> None:
    for path in (
        "/documents/no-such-document",
        f"/documents/{column.docs['withdrawn']['id']}",
        f"/documents/{column.docs['policy']['id']}/attachments/no-such-file",
        "/reports/no-such-report",
        "/agencies/nobody",
    ):
        resp = page.goto(path)
        assert resp.status == 404, path
        assert page.locator("h1").inner_text() in ("信息不存在", "附件不存在", "年度报告不存在", "机关不存在")
        assert "Traceback" not in page.content()
    assert_accessible(page)


# -- phones and no JavaScript ---------------------------------------------------------------------


def test_search_and_a_document_fit_a_360px_phone(phone_page, column) -> None:
    for path in ("/search?q=低保", f"/documents/{column.docs['policy']['id']}", f"/reports/{column.report_id}", "/catalog"):
        phone_page.goto(path)
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360, path


def test_search_and_paging_work_without_javascript(nojs_page, column) -> None:
    nojs_page.goto("/search")
    nojs_page.get_by_label("检索词").fill("低保")
    nojs_page.get_by_role("button", name="检索", exact=True).click()
    nojs_page.wait_for_url(re.compile(r"/search\?q="))
    assert count_of(nojs_page) >= BATCH + 5
    nojs_page.get_by_role("navigation", name="分页").get_by_role("link", name="下一页").click()
    nojs_page.wait_for_url(re.compile(r"page=2"))
    assert nojs_page.locator(".result-title").count() > 0
    nojs_page.get_by_role("navigation", name="按条件筛选").get_by_role("link", name=re.compile(f"^{column.name('finance')}")).click()
    assert count_of(nojs_page) == 3


# -- accessibility ------------------------------------------------------------------------------------

PAGES = [
    "/",
    "/guide",
    "/guide/{civil}",
    "/agencies/{civil}",
    "/catalog",
    "/catalog?category=regulatory",
    "/search",
    "/search?q=低保",
    "/search?q=不存在的词语甲乙丙",
    "/search?q=的",
    "/documents/{policy}",
    "/documents/{interpretation}",
    "/reports",
    "/reports/{report}",
    "/documents/{withdrawn}",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_column_page_has_no_wcag_violations_in_any_display_mode(page, column, path) -> None:
    ids = {"civil": column.agencies["civil"], "report": column.report_id, **{key: doc["id"] for key, doc in column.docs.items()}}
    assert_accessible_in_every_mode(page, path.format(**ids))
