"""axe-core on every 主动公开 page of the workbench, in every display mode: zero WCAG 2.1 AA violations.

The documents are put in each state through the API (with tokens of other officers, so the head who looks is
offered every step); the pages are then opened by the head as on the screen. Browser module: no async tests.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.web.a11y import assert_accessible, assert_accessible_in_every_mode
from tests.web.citizen import as_person_from_own_address
from tests.web.office import office_sign_in, seed_officer
from tests.web.test_office_documents import credit_code


@pytest.fixture(scope="module")
def documents(site) -> dict[str, Any]:
    """Documents of one agency in each state that has pages of its own: draft, in review, published, revision pending."""
    suffix = int(time.time()) % 100000
    with httpx.Client(timeout=10) as client:
        body = {"name": f"青山县住建局{suffix}", "kind": "department", "credit_code": credit_code(7)}
        resp = client.post(f"{site.api('catalog')}/agencies", json=body, headers=site.token("admin"))
        assert resp.status_code == 201, resp.text
        agency = resp.json()["id"]
        author = site.token("handler", agency_id=agency, sub="a11y-author")
        reviewer = site.token("reviewer", agency_id=agency, sub="a11y-reviewer")
        api = site.api("catalog")

        def draft(title: str) -> str:
            fields = {"agency_id": agency, "title": title, "body": "正文。", "category_code": "plan", "made_on": "2026-11-02"}
            r = client.post(f"{api}/documents", json=fields, headers=author)
            assert r.status_code == 201, r.text
            return r.json()["id"]

        def step(document_id: str, path: str, who: dict[str, str], json: dict | None = None) -> None:
            r = client.post(f"{api}/documents/{document_id}/{path}", json=json, headers=who)
            assert r.status_code == 200, r.text

        ids: dict[str, Any] = {"agency": agency, "draft": draft("住房保障工作计划（草稿）")}
        ids["in_review"] = draft("住房保障工作计划（审查中）")
        step(ids["in_review"], "submit", author)
        ids["published"] = draft("住房保障工作计划（已发布）")
        step(ids["published"], "submit", author)
        step(ids["published"], "approve", reviewer)
        ids["revision"] = draft("住房保障工作计划（修订待审）")
        step(ids["revision"], "submit", author)
        step(ids["revision"], "approve", reviewer)
        step(ids["revision"], "revisions", author, {"body": "修订后的正文。", "reason": "更正数据"})
    ids["head"] = seed_officer(site, "赵负责", agency, ["head"])  # reviews and manages: every step is offered
    return ids


PAGES = {
    "lists": [
        "/office/documents",
        "/office/documents?status=draft&q=住房",
        "/office/documents/new",
        "/office/documents/review",
        "/office/documents/overdue",
        "/office/documents/suggestions",
        "/office/documents/suggestions?status=dismissed",
    ],
    "draft": ["", "/edit", "/attachments", "/submit"],
    "in_review": ["", "/approve", "/return"],
    "published": ["", "/revise", "/validity", "/withdraw"],
    "revision": ["", "/revision/approve", "/revision/return"],
}


@pytest.mark.parametrize("group", list(PAGES))
def test_every_documents_page_is_accessible_in_every_mode(page, site, documents, group):
    as_person_from_own_address(page)
    office_sign_in(page, documents["head"], "/office/documents")
    for path in PAGES[group]:
        assert_accessible_in_every_mode(page, path if group == "lists" else f"/office/documents/{documents[group]}{path}")


def test_forms_showing_errors_are_accessible(page, site, documents):
    as_person_from_own_address(page)
    office_sign_in(page, documents["head"], "/office/documents/new")
    page.get_by_label("信息名称").fill("")
    page.get_by_label("生成日期").fill("")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()
    assert page.locator("#title-error").inner_text().endswith("请填写信息名称")
    assert_accessible(page, "/office/documents/new [errors]")
    page.goto(f"/office/documents/{documents['published']}/withdraw")
    page.get_by_role("button", name="确认撤回").click()
    page.wait_for_load_state()
    assert page.locator("#note-error").inner_text().endswith("请填写撤回理由")
    assert_accessible(page, "withdraw [errors]")
