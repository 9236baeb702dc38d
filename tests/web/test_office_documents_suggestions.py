"""Art. 44 on the workbench: files the requests service gave to several applicants are suggested for proactive
disclosure; a head adopts one by the 索引号 of the published document, dismisses another with reasons, and every page
of it passes axe-core. The answers reach catalog as the requests service sends them: AnswerDispatched on the broker.

Browser module: no async tests here (see conftest); the broker is written to from a thread of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from shared.contracts.requests import AnswerDispatched
from shared.db import new_id
from shared.events import Actor
from tests.helpers import publish_raw
from tests.web.a11y import assert_accessible_in_every_mode
from tests.web.citizen import as_person_from_own_address
from tests.web.office import office_sign_in, seed_officer
from tests.web.test_office_documents import credit_code


def _dispatched(agency: str, applicant: str, filename: str, digest: str) -> tuple[bytes, bytes]:
    request_id = new_id()
    event = AnswerDispatched(
        request_id=request_id,
        tracking_number=f"YSQ-{request_id[-8:]}",
        agency_id=agency,
        state="answered",
        applicant_sub=applicant,
        applicant_type="natural_person",
        channel="online",
        answer_id=new_id(),
        category="disclosed",
        reason="provided",
        answered_on=date.today(),
        on_time=True,
        working_days_taken=5,
        provided=[{"sha256": digest, "filename": filename}],
    )
    envelope = event.envelope(source="requests", aggregate_id=request_id, agency_id=agency, actor=Actor.system("test"))
    return request_id.encode(), envelope.to_bytes()


def _publish(site: Any, items: list[tuple[bytes, bytes]]) -> None:
    port = re.search(r"listening on: tcp://127\.0\.0\.1:(\d+)", (site.var / "broker.log").read_text())
    assert port, "the broker's address is not in its log"
    errors: list[BaseException] = []

    def run() -> None:  # Playwright's loop may be this thread's: the producer gets a thread and a loop of its own
        try:
            asyncio.run(publish_raw(f"127.0.0.1:{port.group(1)}", AnswerDispatched.topic, items))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not errors, errors


@pytest.fixture(scope="module")
def agency(site) -> dict[str, Any]:
    """An agency with a published document and two files, each given to two applicants."""
    suffix = int(time.time()) % 100000
    with httpx.Client(timeout=10) as client:
        body = {"name": f"青山县人社局{suffix}", "kind": "department", "credit_code": credit_code(9)}
        resp = client.post(f"{site.api('catalog')}/agencies", json=body, headers=site.token("admin"))
        assert resp.status_code == 201, resp.text
        agency_id = resp.json()["id"]
        api = site.api("catalog")
        author = site.token("handler", agency_id=agency_id, sub="art44-author")
        fields = {
            "agency_id": agency_id,
            "title": "2025年度就业补贴发放明细",
            "body": "明细如下。",
            "category_code": "finance",
            "made_on": "2026-11-02",
        }
        doc = client.post(f"{api}/documents", json=fields, headers=author).json()
        for path, who in (("submit", author), ("approve", site.token("reviewer", agency_id=agency_id, sub="art44-reviewer"))):
            assert client.post(f"{api}/documents/{doc['id']}/{path}", headers=who).status_code == 200
        files = {name: hashlib.sha256(f"{name}{suffix}".encode()).hexdigest() for name in ("就业补贴发放明细.pdf", "培训机构名单.pdf")}
        _publish(site, [_dispatched(agency_id, f"citizen-{n}", name, digest) for name, digest in files.items() for n in (1, 2)])
        head = site.token("head", agency_id=agency_id, sub="art44-head")
        deadline = time.monotonic() + 60
        while len(client.get(f"{api}/suggestions", headers=head).json()) < 2:
            assert time.monotonic() < deadline, "catalog never turned the answers into suggestions"
            time.sleep(0.3)
        suggestions = {s["title"]: s["id"] for s in client.get(f"{api}/suggestions", headers=head).json()}
    return {
        "id": agency_id,
        "index_number": doc["index_number"],
        "suggestions": suggestions,
        "head": seed_officer(site, "孙负责", agency_id, ["head"]),
        "handler": seed_officer(site, "周承办", agency_id, ["handler"]),
    }


def test_a_head_adopts_one_suggestion_and_dismisses_the_other_with_reasons(page, site, agency):
    as_person_from_own_address(page)
    office_sign_in(page, agency["head"], "/office/documents/suggestions")
    row = page.get_by_role("row", name="就业补贴发放明细.pdf")
    expect(row).to_contain_text("2")  # two applicants
    row.get_by_role("link", name="转为主动公开：就业补贴发放明细.pdf").click()
    page.wait_for_url("**/adopt")
    page.get_by_label("已发布信息的索引号").fill("不存在的索引号")
    page.get_by_role("button", name="确认已转为主动公开").click()
    expect(page.locator("#index_number-error")).to_contain_text("找不到该索引号的已发布信息")
    page.get_by_label("已发布信息的索引号").fill(agency["index_number"])
    page.get_by_role("button", name="确认已转为主动公开").click()
    page.wait_for_url("**/office/documents/suggestions")
    expect(page.get_by_role("main")).to_contain_text("已记录：转为主动公开")

    page.get_by_role("row", name="培训机构名单.pdf").get_by_role("link", name="不转：培训机构名单.pdf").click()
    page.wait_for_url("**/dismiss")
    page.get_by_role("button", name="确认不转为主动公开").click()
    expect(page.locator("#note-error")).to_contain_text("请填写不转为主动公开的理由")
    page.get_by_label("不转为主动公开的理由").fill("名单涉及第三方合法权益，不宜主动公开。")
    page.get_by_role("button", name="确认不转为主动公开").click()
    page.wait_for_url("**/office/documents/suggestions")
    expect(page.get_by_role("main")).to_contain_text("没有待处理的建议")
    page.get_by_role("link", name="已转为主动公开").click()
    page.wait_for_url("**status=adopted")
    expect(page.get_by_role("row", name="就业补贴发放明细.pdf").get_by_role("link", name="已发布的信息")).to_be_visible()
    page.get_by_role("link", name="不转为主动公开").click()
    page.wait_for_url("**status=dismissed")
    expect(page.get_by_role("row", name="培训机构名单.pdf")).to_contain_text("名单涉及第三方合法权益")


def test_a_handler_sees_the_suggestions_but_is_offered_no_decision(page, site, agency):
    as_person_from_own_address(page)
    office_sign_in(page, agency["handler"], "/office/documents/suggestions?status=adopted")
    expect(page.get_by_role("main")).to_contain_text("由负责人或系统管理员处理")
    page.goto(f"/office/documents/suggestions/{agency['suggestions']['就业补贴发放明细.pdf']}/adopt")
    assert page.get_by_role("heading", level=1).inner_text() == "无权访问"


def test_the_suggestion_pages_are_accessible_in_every_mode(page, site, agency):
    with httpx.Client(timeout=10) as client:  # a third file given to two applicants: an open suggestion for these pages
        digest = hashlib.sha256(f"a11y{time.time()}".encode()).hexdigest()
        _publish(site, [_dispatched(agency["id"], f"citizen-{n}", "低保名单.pdf", digest) for n in (3, 4)])
        head = site.token("head", agency_id=agency["id"], sub="art44-head")
        deadline = time.monotonic() + 60
        while not (
            found := [s for s in client.get(f"{site.api('catalog')}/suggestions", headers=head).json() if s["title"] == "低保名单.pdf"]
        ):
            assert time.monotonic() < deadline, "the suggestion never appeared"
            time.sleep(0.3)
    as_person_from_own_address(page)
    office_sign_in(page, agency["head"], "/office/documents/suggestions")
    for path in (
        "/office/documents/suggestions",
        f"/office/documents/suggestions/{found[0]['id']}/adopt",
        f"/office/documents/suggestions/{found[0]['id']}/dismiss",
    ):
        assert_accessible_in_every_mode(page, path)
