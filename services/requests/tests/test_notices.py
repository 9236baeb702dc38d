"""The formal notices (issue #17, point 1): every step that owes the applicant or a third party a written
notice issues one — numbered, dated, citing the law, stating the remedies — printed to PDF and to a
printable page, and downloadable exactly by those who may see the request.

Each PDF is read back with poppler's `pdftotext`, as a person's PDF reader would show it.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.requests.domain.notices import REGULATION
from services.requests.service import intake
from services.requests.tests.conftest import API, request_body
from services.requests.tests.test_workflow_branches import People, act, consultation
from shared.testing import assert_problem as problem

AGENCY = "某某县民政局"
KINDS = ["receipt", "correction", "consultation", "extension", "fee", "answer"]
ANSWER = {
    "category": "partially_disclosed",
    "reason": "separated",
    "letter": "经检索，本机关保存有您申请的2025年度城乡低保资金发放情况。\n现提供可以公开的部分，详见附件。",
    "exempt_parts": ["发放名册中的身份证号码和银行账号涉及个人隐私，依据第十五条不予公开"],
}
# What each kind must cite, besides the remedies every notice states.
BASIS = {
    "receipt": f"{REGULATION}第三十一条",
    "correction": f"{REGULATION}第三十条",
    "consultation": f"{REGULATION}第三十二条",
    "extension": f"{REGULATION}第三十三条",
    "fee": f"{REGULATION}第四十二条",
    "answer": f"{REGULATION}第三十七条",
}


def pdftotext(pdf: bytes) -> str:
    """The PDF's text as poppler extracts it, with line breaks and spaces taken out (CJK lines wrap anywhere)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext（poppler-utils）未安装：.ci/run 用 apt-get 安装")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60).stdout
    return "".join(out.decode().split())


async def every_notice(h, p: People) -> str:
    """One request taken through every step that issues a notice, on dates a county office would see."""
    created = await h.client.post(
        f"{API}/requests",
        json={
            "agency_id": h.agency_a,
            "applicant": {
                "type": "natural_person",
                "name": "张三",
                "id_type": "resident_id",
                "id_number": "11010519491231002X",
                "mobile": "13800138000",
                "email": "zhangsan@example.com",
                "postal_address": "某某县人民路1号",
            },
            "description": "请公开本县2025年度城乡居民最低生活保障资金发放情况",
            "preferred_form": "electronic",
        },
        headers=p.applicant,
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    await act(h, rid, "assign", {"assignee_sub": "handler-1"}, p.head)
    h.set_today(date(2026, 9, 29))
    await act(
        h, rid, "correction-notice", {"items": ["请说明所需信息的年度范围", "请说明所需信息涉及的乡镇"], "period_days": 10}, p.handler
    )
    h.set_today(date(2026, 9, 30))
    await act(h, rid, "correction", {"description": "请公开本县2025年度城乡居民最低生活保障资金发放情况（全县各乡镇）"}, p.applicant)
    h.set_today(date(2026, 10, 9))
    body = await act(h, rid, "consultations", consultation(), p.handler)
    h.set_today(date(2026, 10, 15))
    reply = {"opinion": "consent", "opinion_text": "同意公开", "replied_on": "2026-10-15"}
    await act(h, rid, f"consultations/{body['consultations'][0]['id']}/reply", reply, p.handler)
    h.set_today(date(2026, 10, 16))
    await act(h, rid, "extension", {"days": 10, "reason": "申请的信息涉及全县各乡镇，需要汇总核实"}, p.handler)
    await act(h, rid, "extension/decision", {"approve": True}, p.head)
    h.set_today(date(2026, 10, 19))
    await act(h, rid, "fee-notice", {"pages": 40}, p.handler)
    h.set_today(date(2026, 10, 20))
    await act(h, rid, "payment", {"paid_on": "2026-10-20", "amount_yuan": 100}, p.handler)
    h.set_today(date(2026, 10, 22))
    await act(h, rid, "answer", ANSWER, p.handler)
    await act(h, rid, "review/approve", {}, p.reviewer)
    h.set_today(date(2026, 10, 23))
    await act(h, rid, "answer/dispatch", {}, p.handler)
    return rid


async def notices_of(h, rid: str, who: dict[str, str]) -> list[dict[str, Any]]:
    listed = await h.client.get(f"{API}/requests/{rid}/notices", headers=who)
    assert listed.status_code == 200, listed.text
    return listed.json()


async def test_every_notice_type_prints_a_pdf_with_the_agency_number_date_legal_basis_and_remedies(harness):
    h, p = harness, People(harness)
    rid = await every_notice(h, p)
    notices = await notices_of(h, rid, p.handler)
    assert [n["kind"] for n in notices] == KINDS
    # One sequence per agency and year, in the order the steps were taken: 1号 … 6号, none skipped.
    assert [n["document_number"] for n in notices] == [f"{AGENCY}依申公〔2026〕{i}号" for i in range(1, 7)]
    assert [n["issued_on"] for n in notices] == ["2026-09-28", "2026-09-29", "2026-10-09", "2026-10-16", "2026-10-19", "2026-10-23"]
    assert {n["addressee"] for n in notices if n["kind"] != "consultation"} == {"张三"}
    assert [n["recipient"] for n in notices if n["kind"] == "consultation"] == ["party"]

    for n in notices:
        download = await h.client.get(n["pdf_url"], headers=p.handler)
        assert download.status_code == 200, download.text
        assert download.headers["content-type"] == "application/pdf" and download.content.startswith(b"%PDF-")
        text = pdftotext(download.content)
        issued = date.fromisoformat(n["issued_on"])
        for expected in (
            AGENCY,
            n["title"],
            n["document_number"],
            f"{issued.year}年{issued.month}月{issued.day}日",
            BASIS[n["kind"]],
            "法律依据",
            "救济途径",
            "某某县人民政府申请行政复议",  # a county department's reconsideration body: the county government
            "60日内",
            "6个月内",
            "提起行政诉讼",
            "（印章）",
        ):
            assert expected in text, f"{n['kind']}: {expected} not in {text}"
        addressee = "某某商贸有限公司" if n["kind"] == "consultation" else "张三"
        assert f"{addressee}：" in text

    text = {n["kind"]: pdftotext((await h.client.get(n["pdf_url"], headers=p.handler)).content) for n in notices}
    assert "受理编号" in text["receipt"] and "查询码" in text["receipt"] and "2026年10月" in text["receipt"]
    assert "请说明所需信息的年度范围" in text["correction"] and "视为放弃申请" in text["correction"]
    assert "15个工作日" in text["consultation"] and "张三" not in text["consultation"]  # the party is not told who asked
    assert "延长10个工作日" in text["extension"] and "需要汇总核实" in text["extension"]
    assert "人民币100元" in text["fee"] and "按量计收" in text["fee"] and "国办函〔2020〕109号" in text["fee"]
    assert "发放名册中的身份证号码和银行账号涉及个人隐私" in text["answer"] and "部分公开" in text["answer"]
    assert "自收到本答复书之日起60日内" in text["answer"]


async def test_the_events_point_at_their_notices_and_the_printable_page_is_the_same_notice(harness):
    h, p = harness, People(harness)
    rid = await every_notice(h, p)
    notices = {n["kind"]: n for n in await notices_of(h, rid, p.handler)}
    events = {e["type"]: e["payload"] for e in await h.outbox_events(rid)}
    for event_type, kind in (
        ("RequestReceived", "receipt"),
        ("CorrectionRequested", "correction"),
        ("ConsultationStarted", "consultation"),
        ("ExtensionDecided", "extension"),
        ("FeeNoticeIssued", "fee"),
        ("AnswerDispatched", "answer"),
    ):
        ref = events[event_type]["notice"]
        assert ref["notice_id"] == notices[kind]["id"] and ref["document_number"] == notices[kind]["document_number"], event_type
    assert events["RequestAssigned"]["notice"] is None

    page = await h.client.get(notices["answer"]["html_url"], headers=p.applicant)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"] and "<script" not in page.text
    assert notices["answer"]["document_number"] in page.text and AGENCY in page.text and "第三十七条" in page.text


async def test_the_applicant_gets_their_own_notices_and_nobody_else_does(harness):
    h, p = harness, People(harness)
    rid = await every_notice(h, p)
    officer_view = await notices_of(h, rid, p.handler)
    mine = await notices_of(h, rid, p.applicant)
    # The applicant's own notices, not the letter that asked a third party's opinion.
    assert [n["kind"] for n in mine] == ["receipt", "correction", "extension", "fee", "answer"]
    for n in mine:
        assert (await h.client.get(n["pdf_url"], headers=p.applicant)).status_code == 200
    [letter] = [n for n in officer_view if n["kind"] == "consultation"]
    problem(await h.client.get(letter["pdf_url"], headers=p.applicant), 404, "notice_not_found")
    problem(await h.client.get(letter["html_url"], headers=p.applicant), 404, "notice_not_found")

    stranger = h.who("applicant", sub="citizen-2")  # another applicant, with a request of their own
    own = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=stranger)
    assert own.status_code == 201, own.text
    problem(await h.client.get(f"{API}/requests/{rid}/notices", headers=stranger), 404, "request_not_found")
    for n in officer_view:
        problem(await h.client.get(n["pdf_url"], headers=stranger), 404)
        problem(await h.client.get(n["html_url"], headers=stranger), 404)
    # Their own notice, asked for under someone else's request, is not found either.
    [theirs] = await notices_of(h, own.json()["id"], stranger)
    problem(await h.client.get(f"{API}/requests/{rid}/notices/{theirs['id']}/pdf", headers=p.applicant), 404, "notice_not_found")
    # An officer of a sibling agency does not see the request at all; the county's supervisor does.
    problem(await h.client.get(f"{API}/requests/{rid}/notices", headers=h.who("handler", h.agency_b)), 404)
    assert len(await notices_of(h, rid, p.supervisor)) == 6
    problem(await h.client.get(officer_view[0]["pdf_url"]), 401)


async def test_the_notify_service_fetches_any_notice_pdf_and_nothing_else(harness):
    """A service token (identity's client credentials) opens the notices' PDFs, for the e-mails, and no other route."""
    h, p = harness, People(harness)
    rid = await every_notice(h, p)
    notices = await notices_of(h, rid, p.handler)
    service = h.who("service", agency="", sub="service:notify")
    for n in notices:  # the third party's letter too: notify e-mails it to the party
        got = await h.client.get(n["pdf_url"], headers=service)
        assert got.status_code == 200 and got.content == (await h.client.get(n["pdf_url"], headers=p.handler)).content
    problem(await h.client.get(f"{API}/requests/{rid}/notices/{notices[0]['id']}/html", headers=service), 404, "request_not_found")
    problem(await h.client.get(f"{API}/requests/{rid}/notices", headers=service), 404, "request_not_found")
    problem(await h.client.get(f"{API}/requests/{rid}", headers=service), 404)
    problem(await h.client.get(f"{API}/requests/mine", headers=service), 403, "forbidden_role")
    problem(await h.client.get(f"{API}/queue", headers=service), 403, "forbidden_role")
    # A notice asked for under another request is not found, for the service as for anyone.
    other = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=h.who("applicant", sub="citizen-3"))
    problem(await h.client.get(f"{API}/requests/{other.json()['id']}/notices/{notices[0]['id']}/pdf", headers=service), 404)


async def test_numbers_are_sequential_and_unique_per_agency_and_year_under_concurrent_steps(harness):
    h = harness

    async def submit(i: int, agency: str) -> dict[str, Any]:
        who = h.who("applicant", sub=f"citizen-{agency[-4:]}-{i}")
        r = await h.client.post(f"{API}/requests", json=request_body(agency, description=f"请公开第{i}项信息"), headers=who)
        assert r.status_code == 201, r.text
        [receipt] = await notices_of(h, r.json()["id"], who)
        return receipt

    receipts = await asyncio.gather(*(submit(i, h.agency_a) for i in range(12)), *(submit(i, h.agency_b) for i in range(4)))
    a = sorted(int(n["document_number"].split("〕")[1].removesuffix("号")) for n in receipts[:12])
    b = sorted(int(n["document_number"].split("〕")[1].removesuffix("号")) for n in receipts[12:])
    assert a == list(range(1, 13)) and b == list(range(1, 5))  # each agency its own sequence: no gap, no repeat
    assert all(n["document_number"].startswith("某某县财政局依申公〔2026〕") for n in receipts[12:])

    # A new year starts a new sequence.
    h.set_today(date(2027, 1, 4))
    assert (await submit(99, h.agency_a))["document_number"] == f"{AGENCY}依申公〔2027〕1号"


async def test_an_admin_sets_the_agency_short_name_and_number_format_and_numbers_go_on(harness):
    h, p = harness, People(harness)
    url = f"{API}/agencies/{h.agency_a}/notice-settings"
    shown = await h.client.get(url, headers=p.handler)
    assert shown.status_code == 200 and shown.json()["example"] == f"{AGENCY}依申公〔2026〕1号"
    first = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=p.applicant)
    problem(await h.client.put(url, json={"short_name": "某民"}, headers=p.head), 403, "forbidden_role")
    for bad in ("某民依申公〔{year}〕号", "某民{serial}号", "某民〔{year}〕{serial}号{agency}", "某民{year"):
        problem(await h.client.put(url, json={"number_format": bad}, headers=p.admin), 422)
    saved = await h.client.put(
        url,
        json={"short_name": "某民", "number_format": "{short_name}依申公〔{year}〕{serial}号", "contact": "某某县人民路8号，0531-1234567"},
        headers=p.admin,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["example"] == "某民依申公〔2026〕1号"

    second = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=p.applicant)
    [old] = await notices_of(h, first.json()["id"], p.applicant)
    [new] = await notices_of(h, second.json()["id"], p.applicant)
    assert old["document_number"] == f"{AGENCY}依申公〔2026〕1号"  # issued numbers never change
    assert new["document_number"] == "某民依申公〔2026〕2号"  # the agency's sequence goes on under the new name
    text = pdftotext((await h.client.get(new["pdf_url"], headers=p.applicant)).content)
    assert "某民依申公〔2026〕2号" in text and "联系方式：某某县人民路8号，0531-1234567" in text and AGENCY in text


async def test_with_printing_after_the_step_the_pdf_is_stored_before_anyone_asks_for_it(harness):
    from sqlalchemy import select

    from services.requests.adapters.orm import Notice

    h, p = harness, People(harness)
    h.app.state.settings.notice_print_after_step = True
    created = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=p.applicant)
    assert created.status_code == 201, created.text
    async with h.app.state.runtime.sessions() as s:
        [notice] = (await s.execute(select(Notice).where(Notice.request_id == created.json()["id"]))).scalars()
    assert notice.pdf_key and notice.pdf_size > 1000 and len(notice.pdf_sha256) == 64
    stored = await h.app.state.storage.get(notice.pdf_key)
    [listed] = await notices_of(h, created.json()["id"], p.applicant)
    assert (await h.client.get(listed["pdf_url"], headers=p.applicant)).content == stored
    assert notice.document_number in pdftotext(stored)


def drawn_pages(pdf: bytes, dpi: int, directory: str) -> list[Path]:
    """The PDF's pages drawn by poppler's pdftoppm into `directory`, one PNG each, in page order."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm（poppler-utils）未安装：.ci/run 用 apt-get 安装")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-", f"{directory}/page"], input=pdf, check=True, timeout=120)
    return sorted(Path(directory).glob("page-*.png"))


def qr_texts(pdf: bytes) -> list[str]:
    """What zbar (zbar-tools' zbarimg) reads from each page's QR code, as pdftoppm draws the page; pages without one left out."""
    if shutil.which("zbarimg") is None:
        pytest.fail("zbarimg（zbar-tools）未安装：.ci/run 用 apt-get 安装")
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for page in drawn_pages(pdf, 150, tmp):
            run = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(page)], capture_output=True, timeout=60)
            assert run.returncode in (0, 4), run.stderr  # 4: no code on this page
            if run.stdout.strip():
                found.append(run.stdout.decode().rstrip("\n"))
    return found


async def test_the_receipt_qr_code_reads_back_as_the_tracking_number_and_query_code(harness, monkeypatch):
    # The stored page keeps the code's text; it is drawn when the notice is printed or shown, not at intake.
    h, p = harness, People(harness)
    monkeypatch.setattr(intake, "new_query_code", lambda: "K7M2Q9XP")
    rid = await every_notice(h, p)
    tracking = (await h.client.get(f"{API}/requests/{rid}", headers=p.handler)).json()["tracking_number"]
    notices = {n["kind"]: n for n in await notices_of(h, rid, p.handler)}
    receipt = notices["receipt"]
    pdf = (await h.client.get(receipt["pdf_url"], headers=p.applicant)).content
    assert qr_texts(pdf) == [f"受理编号：{tracking}\n查询码：K7M2Q9XP"]
    page = (await h.client.get(receipt["html_url"], headers=p.applicant)).text
    assert page.count("<svg") == 1 and "<qr-code>" not in page and "扫码查询办理进度" in page
    # The other notices carry no code (only the receipt has the query code to point at).
    assert qr_texts((await h.client.get(notices["answer"]["pdf_url"], headers=p.applicant)).content) == []
