"""我的申请 after submission: a correction asked by the office and answered on the page, a withdrawal, the answer
and its file, the formal notices as PDFs, the inbox's receipt message, and the status lookup refusing a wrong code."""

from __future__ import annotations

import time
from urllib.parse import unquote

import httpx
import pytest

from services.web.filters import cn_date
from tests.web.citizen import ID_NUMBER, PDF, apply_as_person, as_person_from_own_address, next_phone, seed_agency, sign_in
from tests.web.conftest import PHONE

AGENCY = "某某县民政局"


@pytest.fixture(scope="module")
def agency(site) -> str:
    return seed_agency(site, AGENCY)


def _open_request(page, number: str) -> str:
    """From 我的申请 to the request's page; its id (from the address) for the office's API calls."""
    page.goto("/my")
    page.locator(".my-requests li", has_text=number).get_by_role("link").click()
    page.wait_for_url("**/my/*")
    return page.url.rsplit("/", 1)[1]


def _office(site, agency: str, rid: str, path: str, body: dict, role: str = "handler") -> None:
    resp = httpx.post(
        f"{site.api('requests')}/requests/{rid}/{path}",
        json=body,
        headers=site.token(role, agency_id=agency, sub=f"{role}-web"),
        timeout=10,
    )
    assert resp.status_code == 200, f"{path}: {resp.text}"


def test_a_correction_asked_by_the_office_is_answered_on_the_page_and_another_request_is_withdrawn(page, site, agency) -> None:
    as_person_from_own_address(page)
    sign_in(page, site, next_phone(), next_path="/apply")
    first, _ = apply_as_person(page, AGENCY)
    second, _ = apply_as_person(page, AGENCY, description="本县2025年度临时救助资金使用情况")

    rid = _open_request(page, first)
    _office(site, agency, rid, "correction-notice", {"items": ["请写明所需信息的年度和乡镇"], "period_days": 15})
    page.reload()
    assert "待补正" in page.locator(".meta-table").first.inner_text()
    assert "请写明所需信息的年度和乡镇" in page.locator(".notice").inner_text()
    page.get_by_role("link", name="提交补正").click()
    page.wait_for_url("**/correction")
    page.get_by_label("所需信息的内容描述").fill("请公开某某镇2025年度城乡居民最低生活保障资金发放情况")
    page.get_by_role("button", name="提交补正").click()  # not confirmed yet: asked to confirm, nothing sent
    assert "请勾选确认后再提交补正" in page.locator("#confirm-error").inner_text()
    assert "某某镇2025年度" in page.get_by_label("所需信息的内容描述").input_value()
    page.get_by_label("确认提交补正").check()
    page.get_by_role("button", name="提交补正").click()
    page.wait_for_url(f"**/my/{rid}")
    assert "补正已提交" in page.locator("[role=status]").inner_text()
    assert "已受理" in page.locator(".meta-table").first.inner_text()
    assert "提交补正" in page.locator(".timeline").inner_text()

    # The office cannot ask twice; the page offers no correction any more, and the API's refusal is Chinese.
    page.goto(f"/my/{rid}/correction")
    page.wait_for_url(f"**/my/{rid}")

    other = _open_request(page, second)
    page.get_by_role("link", name="撤回这份申请").click()
    page.wait_for_url("**/withdraw")
    page.get_by_label("撤回原因").fill("已通过其他渠道获得")
    page.get_by_label("我确认撤回这份申请").check()
    page.get_by_role("button", name="确认撤回").click()
    page.wait_for_url(f"**/my/{other}")
    assert "申请已撤回" in page.locator("[role=status]").inner_text()
    assert "已终止" in page.locator(".meta-table").first.inner_text()
    assert page.get_by_role("link", name="撤回这份申请").count() == 0


def test_a_stale_page_shows_the_apis_chinese_refusal(page, site, agency) -> None:
    as_person_from_own_address(page)
    sign_in(page, site, next_phone(), next_path="/apply")
    number, _ = apply_as_person(page, AGENCY)
    rid = _open_request(page, number)
    page.get_by_role("link", name="撤回这份申请").click()
    page.wait_for_url("**/withdraw")
    # Meanwhile the office acts on the request: the page the person sees is out of date.
    _office(site, agency, rid, "correction-notice", {"items": ["请写明所需信息的年度"]})
    page.get_by_label("我确认撤回这份申请").check()
    page.get_by_role("button", name="确认撤回").click()
    assert "申请已被他人修改" in page.locator("#confirm-error").inner_text()
    assert "申请已被他人修改" in page.locator(".error-summary").inner_text()


def test_the_answer_and_its_file_are_on_the_request_page(page, site, agency) -> None:
    as_person_from_own_address(page)
    sign_in(page, site, next_phone(), next_path="/apply")
    number, _ = apply_as_person(page, AGENCY)
    rid = _open_request(page, number)
    handler = site.token("handler", agency_id=agency, sub="handler-web")
    upload = httpx.post(
        f"{site.api('requests')}/attachments",
        files={"file": ("低保资金发放明细.pdf", PDF, "application/pdf")},
        data={"purpose": "answer_document"},
        headers=handler,
        timeout=10,
    )
    assert upload.status_code == 201, upload.text
    _office(
        site,
        agency,
        rid,
        "answer",
        {
            "category": "disclosed",
            "reason": "provided",
            "letter": "经审查，您申请的信息予以公开，详见附件。",
            "document_ids": [upload.json()["id"]],
        },
    )
    _office(site, agency, rid, "review/approve", {}, role="reviewer")
    _office(site, agency, rid, "answer/dispatch", {})
    page.reload()
    answer = page.locator(".answer").inner_text()
    assert "予以公开" in answer and "经审查，您申请的信息予以公开" in answer
    with page.expect_download() as download:
        page.get_by_role("link", name="下载答复文件 1").click()
    assert download.value.suggested_filename == "低保资金发放明细.pdf"
    href = page.get_by_role("link", name="下载答复文件 1").get_attribute("href")
    resp = page.request.get(href)
    assert resp.body() == PDF
    assert resp.headers["content-disposition"].startswith("attachment;")
    assert resp.headers["x-content-type-options"] == "nosniff"
    # A file that is not this request's answer is not passed on, whatever its id.
    assert page.request.get(f"/my/{rid}/files/{rid}").status == 404

    # The formal notices: the 登记回执 of the submission and the 答复书 of the dispatch, each with its 文号 and its PDF.
    issued = httpx.get(f"{site.api('requests')}/requests/{rid}/notices", headers=handler, timeout=10).json()
    by_kind = {n["kind"]: n for n in issued}
    assert {"receipt", "answer"} <= set(by_kind)
    notices = page.get_by_role("region", name="通知书")
    for title, kind in (("登记回执", "receipt"), ("答复书", "answer")):
        item = notices.get_by_role("listitem").filter(has_text=title).inner_text()
        assert by_kind[kind]["document_number"] in item and cn_date(by_kind[kind]["issued_on"]) in item
    number = by_kind["answer"]["document_number"]
    link = notices.get_by_role("listitem").filter(has_text="答复书").get_by_role("link", name="下载 PDF")
    with page.expect_download() as notice_download:
        link.click()
    assert number in notice_download.value.suggested_filename
    resp = page.request.get(link.get_attribute("href"))
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf" and resp.body().startswith(b"%PDF-")
    assert resp.headers["content-disposition"].startswith("attachment;") and number in unquote(resp.headers["content-disposition"])
    assert resp.headers["x-content-type-options"] == "nosniff" and resp.headers["cache-control"] == "no-store"
    page.set_viewport_size(PHONE)  # on a phone: the list fits, no sideways scrolling
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert link.is_visible()

    # Another person's notice is not had through the address, neither under this request nor under theirs.
    other = httpx.post(
        f"{site.api('requests')}/registrations",
        json={
            "agency_id": agency,
            "channel": "in_person",
            "applicant": {
                "type": "natural_person",
                "name": "李别人",
                "id_type": "resident_id",
                "id_number": ID_NUMBER,
                "mobile": "13900139000",
            },
            "description": "请公开本县2025年度特困人员救助供养资金发放情况",
            "preferred_form": "electronic",
        },
        headers=site.token("registrar", agency_id=agency),
        timeout=10,
    )
    assert other.status_code == 201, other.text
    their = other.json()["id"]
    their_notice = httpx.get(f"{site.api('requests')}/requests/{their}/notices", headers=handler, timeout=10).json()[0]["id"]
    for path in (f"/my/{rid}/notices/{their_notice}/pdf", f"/my/{their}/notices/{their_notice}/pdf"):
        refused = page.goto(path)
        assert refused.status == 404 and page.get_by_role("heading", level=1).inner_text() == "未找到", path


def test_the_inbox_shows_the_receipt_and_marks_it_read(page, site, agency) -> None:
    as_person_from_own_address(page)
    sign_in(page, site, next_phone(), next_path="/apply")
    number, _ = apply_as_person(page, AGENCY)
    deadline = time.monotonic() + 30
    while True:  # notify delivers over the broker: the message arrives soon, not at once
        page.goto("/inbox")
        if number in page.locator("main").inner_text():
            break
        assert time.monotonic() < deadline, "the receipt never reached the inbox"
        page.wait_for_timeout(300)
    message = page.locator(".inbox li", has_text=f"受理回执（{number}）")
    assert "未读" in message.inner_text()
    message.get_by_role("button", name="标记为已读").click()
    message.get_by_role("button").wait_for(state="detached")
    assert "未读" not in message.inner_text()


def test_the_status_lookup_says_by_the_code_field_when_the_code_is_wrong(nojs_page, site, agency) -> None:
    page = nojs_page
    as_person_from_own_address(page)
    sign_in(page, site, next_phone(), next_path="/apply")
    number, code = apply_as_person(page, AGENCY)
    page.get_by_role("button", name="退出登录").click()
    page.goto("/status")
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("查询码").fill("WRONG234")
    page.get_by_role("button", name="查询").click()
    assert "受理编号或查询码不正确" in page.locator("#query_code-error").inner_text()
    assert page.locator(".error-summary a[href='#query_code']").count() == 1
    assert page.get_by_label("受理编号").input_value() == number
    for _ in range(5):  # five wrong codes lock the number, even against the right code
        page.get_by_label("查询码").fill("WRONG234")
        page.get_by_role("button", name="查询").click()
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    message = page.locator("#query_code-error").inner_text()
    assert "已暂时锁定" in message and "分钟后再试" in message
