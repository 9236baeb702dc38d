"""主动公开 on the workbench, in real Chromium: a handler drafts a document with an attachment and submits it, another
officer approves it on the review page and it is on the public site; a returned draft shows its reasons and goes back;
a sibling agency's officer sees none of it; nobody is offered the review of their own document.

Browser module: no async tests here (see conftest).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from shared.validators import credit_code_check_char
from tests.web.citizen import PDF, as_person_from_own_address
from tests.web.office import Officer, office_sign_in, seed_officer

_titles = itertools.count(1)


def credit_code(n: int) -> str:
    base = f"11330102MB{int(time.time()) % 100000:05d}{n:02d}"
    return base + credit_code_check_char(base)


def unique(title: str) -> str:
    return f"{title}（{int(time.time()) % 100000}-{next(_titles)}）"


@dataclass(frozen=True)
class World:
    county: str
    civil: str  # 民政局
    finance: str  # 财政局, a sibling of 民政局 under the county
    drafter: Officer  # 民政局 handler
    reviewer: Officer  # 民政局 reviewer
    sibling: Officer  # 财政局 handler and reviewer


def _agency(client: httpx.Client, site: Any, name: str, kind: str, parent: str | None, n: int) -> str:
    body = {"name": name, "kind": kind, "parent_id": parent, "credit_code": credit_code(n)}
    resp = client.post(f"{site.api('catalog')}/agencies", json=body, headers=site.token("admin"))
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


@pytest.fixture(scope="module")
def world(site) -> World:
    suffix = int(time.time()) % 100000
    with httpx.Client(timeout=10) as client:
        county = _agency(client, site, f"青山县人民政府{suffix}", "county_government", None, 1)
        civil = _agency(client, site, f"青山县民政局{suffix}", "department", county, 2)
        finance = _agency(client, site, f"青山县财政局{suffix}", "department", county, 3)
    return World(
        county,
        civil,
        finance,
        seed_officer(site, "张起草", civil, ["handler"]),
        seed_officer(site, "李审查", civil, ["reviewer"]),
        seed_officer(site, "王财政", finance, ["handler", "reviewer"]),
    )


def sign_out(page: Any) -> None:
    page.goto("/office/")
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/office/signin")


def draft_on_the_page(page: Any, title: str, *, attachment: tuple[str, bytes] | None = None) -> str:
    """起草信息 as an officer does it (by the labels); returns the new document's id."""
    page.goto("/office/documents")
    page.get_by_role("link", name="起草信息").click()
    page.wait_for_url("**/office/documents/new")
    page.get_by_label("信息名称").fill(title)
    page.get_by_label("文号").fill(f"青民〔2026〕{next(_titles) + 100}号")
    page.get_by_label("信息类别").select_option(label="行政规范性文件")
    page.get_by_label("主题分类").select_option(label="低保与救助")
    page.get_by_label("关键词").fill("低保、救助标准")
    page.get_by_label("内容概述").fill("自2027年1月1日起调整城乡低保标准。")
    page.get_by_label("正文").fill("各乡镇人民政府：\n\n现将城乡低保标准调整如下。")
    if attachment:
        page.get_by_label("附件").set_input_files({"name": attachment[0], "mimeType": "application/pdf", "buffer": attachment[1]})
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(lambda url: "/office/documents/" in url and not url.endswith("/new"))
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def take_step(page: Any, document_id: str, link: str, button: str, note: str | None = None) -> None:
    page.goto(f"/office/documents/{document_id}")
    page.get_by_role("link", name=link, exact=True).click()
    if note is not None:
        page.get_by_label(note.split("=", 1)[0]).fill(note.split("=", 1)[1])
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"**/office/documents/{document_id}")


def test_a_document_goes_from_the_handlers_draft_through_review_to_the_public_site(page, site, world):
    title = unique("青山县民政局关于调整城乡低保标准的通知")
    as_person_from_own_address(page)
    office_sign_in(page, world.drafter, "/office/documents")
    document_id = draft_on_the_page(page, title, attachment=("低保标准表.pdf", PDF))
    main = page.get_by_role("main")
    expect(main).to_contain_text("草稿已保存")
    expect(main).to_contain_text("附件“低保标准表.pdf”已上传")
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.locator("#doc-status").inner_text() == "草稿"
    page.goto("/office/documents")
    mine = page.locator("section[aria-labelledby=mine-title]")
    expect(mine.get_by_role("link", name=title)).to_be_visible()  # the officer's own drafts come first

    take_step(page, document_id, "提交保密审查", "确认提交保密审查")
    expect(page.locator("#doc-status")).to_have_text("保密审查中")
    actions = page.get_by_role("region", name="可执行的操作")
    assert actions.get_by_role("link", name="审查通过并发布").count() == 0
    assert actions.get_by_role("link", name="退回修改").count() == 0
    expect(actions).to_contain_text("须由本机关其他审查人或负责人进行保密审查")
    sign_out(page)

    office_sign_in(page, world.reviewer, "/office/documents/review")
    row = page.get_by_role("row", name=title)
    row.get_by_role("link", name=f"审查：{title}").click()
    page.wait_for_url(f"**/office/documents/{document_id}/approve")
    expect(page.get_by_role("main")).to_contain_text("确认后信息立即在公开网站发布")
    page.get_by_label("审查意见").fill("经审查，不涉及国家秘密和个人隐私。")
    page.get_by_role("button", name="审查通过，立即发布").click()
    page.wait_for_url(f"**/office/documents/{document_id}")
    expect(page.get_by_role("main")).to_contain_text("审查通过，信息已发布")
    expect(page.locator("#doc-status")).to_have_text("已发布")

    page.get_by_role("link", name="在公开网站查看这条信息").click()
    page.wait_for_url(f"{site.url}/documents/{document_id}")  # the column's public page, not the workbench's
    assert page.get_by_role("heading", level=1).inner_text() == title
    expect(page.get_by_role("link", name="低保标准表.pdf")).to_be_visible()
    expect(page.locator(".meta-table")).to_contain_text("行政规范性文件")


def test_a_returned_draft_shows_the_reasons_and_is_resubmitted_without_javascript(nojs_page, site, world):
    page = nojs_page
    title = unique("青山县2027年社会救助工作计划")
    as_person_from_own_address(page)
    office_sign_in(page, world.drafter, "/office/documents")
    document_id = draft_on_the_page(page, title)
    take_step(page, document_id, "提交保密审查", "确认提交保密审查")
    sign_out(page)

    office_sign_in(page, world.reviewer, f"/office/documents/{document_id}")
    page.get_by_role("link", name="退回修改", exact=True).click()
    page.get_by_role("button", name="退回起草人修改").click()
    expect(page.locator("#note-error")).to_contain_text("请填写退回理由")  # nothing sent: still in review
    page.get_by_label("退回理由").fill("第二段涉及个人信息，请删除后重新提交。")
    page.get_by_role("button", name="退回起草人修改").click()
    page.wait_for_url(f"**/office/documents/{document_id}")
    expect(page.locator("#doc-status")).to_have_text("草稿")
    sign_out(page)

    office_sign_in(page, world.drafter, f"/office/documents/{document_id}")
    expect(page.locator("#review-note")).to_have_text("第二段涉及个人信息，请删除后重新提交。")
    history = page.locator("section[aria-labelledby=history-title]")
    for _ in range(60):  # the audit log records each step from catalog's events, a moment after the step
        if "退回修改" in history.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(history).to_contain_text("退回修改")
    expect(history).to_contain_text("理由或意见：第二段涉及个人信息，请删除后重新提交。")
    expect(history).to_contain_text("提交保密审查")
    page.get_by_role("link", name="修改草稿").click()
    page.get_by_label("正文").fill("各乡镇人民政府：现将2027年社会救助工作计划印发给你们（已删除个人信息）。")
    page.get_by_role("button", name="保存修改").click()
    page.wait_for_url(f"**/office/documents/{document_id}")
    expect(page.get_by_role("main")).to_contain_text("已删除个人信息")
    take_step(page, document_id, "提交保密审查", "确认提交保密审查")
    expect(page.locator("#doc-status")).to_have_text("保密审查中")


def test_a_sibling_agency_sees_none_of_the_drafts_and_nobody_reviews_their_own(page, site, world):
    title = unique("青山县民政局内部草稿")
    as_person_from_own_address(page)
    office_sign_in(page, world.drafter, "/office/documents")
    document_id = draft_on_the_page(page, title)
    take_step(page, document_id, "提交保密审查", "确认提交保密审查")
    page.goto(f"/office/documents/{document_id}/approve")  # typed by hand: refused in Chinese, nothing done
    assert page.get_by_role("heading", level=1).inner_text() == "不能执行此操作"
    sign_out(page)

    office_sign_in(page, world.sibling, "/office/documents")
    expect(page.get_by_role("heading", level=1)).to_have_text("主动公开")
    assert page.get_by_role("link", name=title).count() == 0
    page.get_by_label("名称、文号或索引号").fill(title)
    page.get_by_label("名称、文号或索引号").press("Enter")
    page.wait_for_url("**/office/documents?*")
    expect(page.get_by_role("main")).to_contain_text("没有符合条件的信息")
    page.goto("/office/documents/review")
    assert page.get_by_role("link", name=title).count() == 0
    for path in (f"/office/documents/{document_id}", f"/office/documents/{document_id}/approve", f"/office/documents/{document_id}/edit"):
        page.goto(path)
        assert page.get_by_role("heading", level=1).inner_text() == "未找到", path
        expect(page.get_by_role("main")).to_contain_text("不在您的管辖范围内")

    # An officer holding both roles is not offered the review of what they drafted and submitted.
    own = unique("青山县财政局关于预算公开的通知")
    own_id = draft_on_the_page(page, own)
    take_step(page, own_id, "提交保密审查", "确认提交保密审查")
    actions = page.get_by_role("region", name="可执行的操作")
    assert actions.get_by_role("link", name="审查通过并发布").count() == 0
    assert actions.get_by_role("link", name="退回修改").count() == 0
    page.goto("/office/documents/review")
    row = page.get_by_role("row", name=own)
    expect(row).to_contain_text("本人起草、提交或修订，须由他人审查")
    assert row.get_by_role("link", name=f"审查：{own}").count() == 0
