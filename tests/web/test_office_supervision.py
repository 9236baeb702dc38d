"""监督考核 on the workbench: a supervisor sees timeliness, the overdue list and the assessment of their own subtree
(and nothing of a sibling's), previews, downloads and publishes the annual report, searches, exports and verifies the
audit log; every page accessible. Browser module: no async tests here (see conftest).
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.a11y import assert_accessible, assert_accessible_in_every_mode
from tests.web.citizen import as_person_from_own_address
from tests.web.office import office_sign_in, seed_officer
from tests.web.office_keeping import create_agency, eventually, tag

APPLICANT = {
    "type": "natural_person",
    "name": "张三",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
    "mobile": "13800138000",
    "email": "zhangsan@example.com",
    "postal_address": "某某县人民路1号",
}
LATER = (date.today() + timedelta(days=120)).isoformat()  # "today" for the overdue list: the request is long past due by then


@pytest.fixture(scope="module")
def world(site) -> SimpleNamespace:
    """Two sibling departments, a supervisor in each; in the finance bureau a request and a document published late."""
    t = tag()
    county = create_agency(site, f"{t}县人民政府", "county_government")
    finance = create_agency(site, f"{t}县财政局", parent_id=county)
    transport = create_agency(site, f"{t}县交通运输局", parent_id=county)
    sup_finance = seed_officer(site, "林监督", finance, ["supervisor"])
    sup_transport = seed_officer(site, "何监督", transport, ["supervisor"])
    with httpx.Client(timeout=10) as http:
        applicant = site.token("applicant", sub=f"citizen-{t}")
        body = {
            "agency_id": finance,
            "applicant": APPLICANT,
            "description": "请公开本县2025年度财政预算执行情况",
            "preferred_form": "electronic",
        }
        request = eventually(
            lambda: (r := http.post(f"{site.api('requests')}/requests", json=body, headers=applicant)).status_code == 201 and r.json(),
            "the requests service knows the agency",
        )
        # Made two months ago, published today: past the 20 working days of Art. 26, a point lost in the assessment.
        drafter = site.token("handler", agency_id=finance, sub=f"drafter-{t}")
        reviewer = site.token("reviewer", agency_id=finance, sub=f"reviewer-{t}")
        doc_body = {
            "agency_id": finance,
            "title": f"{t}县财政局关于下达专项资金的通知",
            "body": "各乡镇：……",
            "category_code": "work_update",
            "made_on": (date.today() - timedelta(days=60)).isoformat(),
        }
        doc = http.post(f"{site.api('catalog')}/documents", json=doc_body, headers=drafter)
        assert doc.status_code == 201, doc.text
        assert http.post(f"{site.api('catalog')}/documents/{doc.json()['id']}/submit", headers=drafter).status_code == 200
        approved = http.post(f"{site.api('catalog')}/documents/{doc.json()['id']}/approve", headers=reviewer)
        assert approved.status_code == 200, approved.text
        admin = site.token("admin")

        def projected() -> bool:
            overdue = http.get(f"{site.api('audit')}/timeliness/overdue", params={"agency_id": finance, "today": LATER}, headers=admin)
            assessed = http.get(f"{site.api('audit')}/assessment", params={"agency_id": finance, "year": date.today().year}, headers=admin)
            return (
                overdue.status_code == 200
                and any(r["request_id"] == request["id"] for r in overdue.json())
                and assessed.status_code == 200
                and any(i["key"] == "proactive" and i["lost"] > 0 for i in assessed.json()["items"])
            )

        eventually(projected, "audit has the request and the late publication", seconds=60)
    return SimpleNamespace(
        tag=t, county=county, finance=finance, transport=transport, sup_finance=sup_finance, sup_transport=sup_transport, request=request
    )


def _download(page: Any, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    with open(download.path(), "rb") as f:
        return download.suggested_filename, f.read()


def test_a_supervisor_sees_timeliness_overdue_and_the_points_lost_in_their_subtree(page, site, world):
    as_person_from_own_address(page)
    office_sign_in(page, world.sup_finance, "/office/supervision")
    assert page.get_by_role("heading", level=1).inner_text() == "办理时效与逾期未答复"
    options = page.locator("#agency_id option").all_inner_texts()
    assert any(f"{world.tag}县财政局" in o for o in options) and not any("交通运输局" in o for o in options)
    timeliness = page.get_by_role("region", name="办理时效")
    expect(timeliness).to_contain_text(f"{world.tag}县财政局")
    assert "合计" in timeliness.inner_text()

    page.get_by_label("逾期计算日").fill(LATER)
    page.get_by_role("button", name="查看").click()
    overdue = page.locator(".overdue-table")
    expect(overdue).to_contain_text(world.request["tracking_number"])
    assert f"{world.tag}县财政局" in overdue.inner_text() and "未分办" in overdue.inner_text()

    page.get_by_role("link", name="百分制考核").click()
    page.wait_for_url("**/office/supervision/assessment*")
    expect(page.locator("#score")).to_contain_text("分")
    lost = page.locator(".lost-items")
    expect(lost).to_contain_text("主动公开在20个工作日内发布")
    assert "1 件中 1 件超期发布" in lost.inner_text() and "扣20" in lost.inner_text()


def test_a_supervisor_previews_downloads_and_publishes_the_annual_report(page, site, world):
    as_person_from_own_address(page)
    office_sign_in(page, world.sup_finance, "/office/supervision/report")
    year = date.today().year - 1
    assert page.get_by_label("年度").input_value() == str(year)
    expect(page.get_by_role("heading", name=f"{world.tag}县财政局{year}年度（含下级机关）报告预览")).to_be_visible()
    assert "勾稽关系校验：已通过" in page.get_by_role("main").inner_text()
    name, content = _download(page, "下载表格（Excel）")
    assert name.endswith(".xlsx") and content[:2] == b"PK"
    name, content = _download(page, "下载网页版（HTML）")
    assert name.endswith(".html") and "收到和处理政府信息公开申请情况" in content.decode()

    page.get_by_role("link", name=f"发布{year}年度报告…").click()
    page.wait_for_url("**/office/supervision/report/publish?*")
    assert f"将发布：{world.tag}县财政局（含下级机关）{year}年度" in page.get_by_role("main").inner_text()
    page.get_by_role("button", name=f"确认发布{year}年度报告").click()
    page.wait_for_url("**/office/supervision/report?*")
    expect(page.get_by_role("status")).to_contain_text("年度报告已发布")
    page.get_by_role("link", name="查看公开的报告").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{year}")


def test_a_supervisor_searches_exports_and_verifies_the_audit_log(page, site, world):
    as_person_from_own_address(page)
    office_sign_in(page, world.sup_finance, "/office/supervision/audit")
    page.get_by_label("申请或文件编号").fill(world.request["id"])
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/office/supervision/audit?*")
    entries = page.locator(".audit-table")
    expect(entries).to_contain_text(world.request["id"])
    assert f"{world.tag}县财政局" in entries.inner_text()
    name, content = _download(page, "按当前条件导出表格（CSV）")
    assert name.endswith(".csv")
    text = content.decode("utf-8-sig")
    assert text.startswith("seq,event_id") and world.request["id"] in text

    page.get_by_role("button", name="校验哈希链").click()
    page.wait_for_url("**/office/supervision/audit/verify")
    expect(page.locator("#verify-result")).to_contain_text("校验通过")
    assert "未发现删除、插入或篡改" in page.locator("#verify-result").inner_text()


def test_a_supervisor_of_a_sibling_agency_sees_none_of_it(page, site, world):
    as_person_from_own_address(page)
    office_sign_in(page, world.sup_transport, "/office/")
    page.goto(f"/office/supervision?today={LATER}&agency_id={world.finance}")
    main = page.get_by_role("main").inner_text()
    assert world.request["tracking_number"] not in main and "财政局" not in main
    assert page.locator("#agency_id").input_value() == world.transport  # the other subtree is not even a choice
    page.goto(f"/office/supervision/audit?aggregate_id={world.request['id']}")
    assert page.locator(".audit-table").count() == 0
    expect(page.locator(".no-results")).to_contain_text("没有符合条件的日志记录")
    page.goto(f"/office/supervision/assessment?agency_id={world.finance}")
    assert page.locator("#agency_id").input_value() == world.transport
    # A handler is not a supervisor: the part is not offered, and its address answers with the reason.
    handler = seed_officer(site, "许承办", world.transport, ["handler"])
    page.get_by_role("button", name="退出").click()
    office_sign_in(page, handler, "/office/")
    assert page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="监督考核").count() == 0
    page.goto("/office/supervision")
    assert page.get_by_role("heading", level=1).inner_text() == "无权访问"


def test_every_supervision_page_is_accessible(page, site, world):
    as_person_from_own_address(page)
    office_sign_in(page, world.sup_finance, "/office/supervision")
    year = date.today().year - 1
    for path in (
        f"/office/supervision?today={LATER}",
        "/office/supervision/report",
        f"/office/supervision/report/publish?year={year}&agency_id={world.finance}&subtree=1",
        "/office/supervision/assessment",
        f"/office/supervision/audit?aggregate_id={world.request['id']}",
        "/office/supervision/audit/verify",
    ):
        assert_accessible_in_every_mode(page, path)
    page.goto("/office/supervision?since=2026-13-01")
    expect(page.locator("#error-summary")).to_contain_text("统计起始日期格式应为")
    assert_accessible(page, "timeliness form with an error")
