"""Who sees and does what, what the API accepts, attachments, idempotent submission, queue filters, OpenAPI.

Everything goes through the HTTP API of a running app on a real database and broker.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select

from services.requests.adapters.orm import Attachment, DisclosureRequest, HistoryEntry, IdempotencyKey, TrackingSequence, plumbing
from services.requests.domain.workflow import ACTION_ROLES
from services.requests.tests.conftest import API, VALID_ID, natural_person, request_body
from shared.db import new_id
from shared.testing import assert_problem as problem

MOBILE = "13800138000"
EMAIL = "zhangsan@example.com"
MASKED_ID = "110105********002X"
MASKED_MOBILE = "138****8000"
BAD_CHECK_DIGIT_ID = VALID_ID[:17] + "1"  # same birth date and serial, wrong GB 11643 check character
CREDIT_CODE = "91350100M000100Y43"
BAD_CREDIT_CODE = CREDIT_CODE[:17] + "4"  # wrong GB 32100 check character
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
ANSWER = {"category": "disclosed", "reason": "provided", "letter": "经审查，您申请的信息予以公开，详见附件。"}
CJK = re.compile(r"[\u4e00-\u9fff]")


# -- helpers ---------------------------------------------------------------------------------------


async def submit(h, headers: dict[str, str], agency: str | None = None, **overrides: Any) -> dict[str, Any]:
    r = await h.client.post(f"{API}/requests", json=request_body(agency or h.agency_a, **overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def stored(h) -> dict[str, int]:
    """Row counts of everything a submission writes."""
    async with h.app.state.runtime.sessions() as s:

        async def count(table) -> int:
            return (await s.execute(select(func.count()).select_from(table))).scalar_one()

        return {
            "requests": await count(DisclosureRequest),
            "outbox": await count(plumbing.outbox),
            "history": await count(HistoryEntry),
            "idempotency_keys": await count(IdempotencyKey),
            "serials": sum((await s.execute(select(TrackingSequence.last))).scalars()),
        }


async def requests_of(h, applicant_sub: str) -> list[DisclosureRequest]:
    async with h.app.state.runtime.sessions() as s:
        return list((await s.execute(select(DisclosureRequest).where(DisclosureRequest.applicant_sub == applicant_sub))).scalars())


async def queue_ids(h, headers: dict[str, str], **params: Any) -> list[str]:
    r = await h.client.get(f"{API}/queue", params={"page_size": 100, **params}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return [item["id"] for item in body["items"]]


async def upload(
    h,
    headers: dict[str, str],
    data: bytes,
    content_type: str = "application/pdf",
    purpose: str = "supporting",
    filename: str = "身份证明.pdf",
) -> httpx.Response:
    return await h.client.post(
        f"{API}/attachments", files={"file": (filename, data, content_type)}, data={"purpose": purpose}, headers=headers
    )


async def answer_and_dispatch(h, rid: str, *, document_ids: list[str] = (), dispatch: bool = True) -> None:
    head, handler, reviewer = h.who("head", sub="head-1"), h.who("handler", sub="handler-1"), h.who("reviewer", sub="reviewer-1")
    assert (await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers=head)).status_code == 200
    r = await h.client.post(f"{API}/requests/{rid}/answer", json={**ANSWER, "document_ids": list(document_ids)}, headers=handler)
    assert r.status_code == 200, r.text
    r = await h.client.post(f"{API}/requests/{rid}/review/approve", json={}, headers=reviewer)
    assert r.status_code == 200, r.text
    if dispatch:
        r = await h.client.post(f"{API}/requests/{rid}/answer/dispatch", json={}, headers=handler)
        assert r.status_code == 200, r.text


# -- 1. authorization ------------------------------------------------------------------------------


async def test_an_applicant_gets_404_not_403_for_another_applicants_request_and_cannot_act_on_it(harness):
    h = harness
    owner, stranger = h.who("applicant", sub="citizen-1"), h.who("applicant", sub="citizen-2")
    created = await submit(h, owner)
    rid = created["id"]

    seen = problem(await h.client.get(f"{API}/requests/{rid}", headers=stranger), 404, "request_not_found")
    # indistinguishable from a request that does not exist: existence does not leak
    missing = problem(await h.client.get(f"{API}/requests/{new_id()}", headers=stranger), 404, "request_not_found")
    assert seen["detail"] == missing["detail"]

    for path, body in [
        ("withdraw", {"reason": "不需要了"}),
        ("correction", {"description": "改为 2024 年度"}),
        ("assign", {"assignee_sub": "citizen-2"}),
    ]:
        problem(await h.client.post(f"{API}/requests/{rid}/{path}", json=body, headers=stranger), 404, "request_not_found")

    after = (await h.client.get(f"{API}/requests/{rid}", headers=owner)).json()
    assert after["state"] == "received" and after["version"] == created["version"]
    assert after["description"] == created["description"]
    assert await h.outbox_types(rid) == ["RequestSubmitted", "RequestReceived"]


async def test_an_officer_of_a_sibling_agency_gets_404_and_cannot_act(harness):
    h = harness
    rid = (await submit(h, h.who("applicant", sub="citizen-1")))["id"]
    for role in ("registrar", "handler", "head", "reviewer", "supervisor"):
        problem(await h.client.get(f"{API}/requests/{rid}", headers=h.who(role, agency=h.agency_b)), 404, "request_not_found")
    problem(
        await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-b"}, headers=h.who("head", agency=h.agency_b)),
        404,
        "request_not_found",
    )
    problem(
        await h.client.post(
            f"{API}/requests/{rid}/correction-notice", json={"items": ["请写明文号"]}, headers=h.who("handler", agency=h.agency_b)
        ),
        404,
        "request_not_found",
    )
    problem(
        await h.client.post(f"{API}/requests/{rid}/withdraw", json={}, headers=h.who("registrar", agency=h.agency_b)),
        404,
        "request_not_found",
    )
    assert rid not in await queue_ids(h, h.who("handler", agency=h.agency_b))
    # asking for the other agency explicitly does not widen the scope
    assert await queue_ids(h, h.who("handler", agency=h.agency_b), agency_id=h.agency_a) == []
    detail = (await h.client.get(f"{API}/requests/{rid}", headers=h.who("handler"))).json()
    assert detail["state"] == "received" and detail["assignee_sub"] is None
    assert await h.outbox_types(rid) == ["RequestSubmitted", "RequestReceived"]


async def test_queues_follow_the_agency_tree_supervisors_and_admins_see_more(harness):
    h = harness
    citizen = h.who("applicant", sub="citizen-1")
    in_a = (await submit(h, citizen, h.agency_a))["id"]
    in_b = (await submit(h, citizen, h.agency_b))["id"]

    assert await queue_ids(h, h.who("handler", agency=h.agency_a)) == [in_a]
    assert await queue_ids(h, h.who("registrar", agency=h.agency_b)) == [in_b]
    # the county is the parent of both: its supervisor and its own handler see the whole subtree
    for role in ("supervisor", "handler"):
        county = h.who(role, agency=h.county)
        assert sorted(await queue_ids(h, county)) == sorted([in_a, in_b])
        for rid in (in_a, in_b):
            r = await h.client.get(f"{API}/requests/{rid}", headers=county)
            assert r.status_code == 200 and r.json()["id"] == rid
        assert await queue_ids(h, county, agency_id=h.agency_b) == [in_b]
    admin = h.who("admin")
    assert sorted(await queue_ids(h, admin)) == sorted([in_a, in_b])
    for rid in (in_a, in_b):
        assert (await h.client.get(f"{API}/requests/{rid}", headers=admin)).status_code == 200

    problem(await h.client.get(f"{API}/queue", headers=citizen), 403, "forbidden_role")


async def test_my_requests_lists_only_the_callers_own(harness):
    h = harness
    me, other = h.who("applicant", sub="citizen-1"), h.who("applicant", sub="citizen-2")
    mine = {(await submit(h, me, h.agency_a))["id"], (await submit(h, me, h.agency_b))["id"]}
    theirs = (await submit(h, other))["id"]

    r = await h.client.get(f"{API}/requests/mine", headers=me)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 2 and {i["id"] for i in r.json()["items"]} == mine
    r = await h.client.get(f"{API}/requests/mine", headers=other)
    assert r.json()["total"] == 1 and [i["id"] for i in r.json()["items"]] == [theirs]
    r = await h.client.get(f"{API}/requests/mine", headers=h.who("applicant", sub="citizen-3"))
    assert r.json() == {"items": [], "total": 0, "page": 1, "page_size": 20}
    problem(await h.client.get(f"{API}/requests/mine", headers=h.who("handler")), 403, "forbidden_role")


async def test_roles_are_checked_per_action_even_on_a_visible_request(harness):
    h = harness
    applicant = h.who("applicant", sub="citizen-1")
    rid = (await submit(h, applicant))["id"]

    body = problem(
        await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "citizen-1"}, headers=applicant), 403, "forbidden_role"
    )
    assert "head" in body["detail"] and "registrar" in body["detail"]
    problem(
        await h.client.post(
            f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers=h.who("supervisor", agency=h.county)
        ),
        403,
        "forbidden_role",
    )
    assert (
        await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers=h.who("head", sub="head-1"))
    ).status_code == 200
    problem(
        await h.client.post(f"{API}/requests/{rid}/answer", json=ANSWER, headers=h.who("reviewer", sub="reviewer-1")), 403, "forbidden_role"
    )
    detail = (await h.client.get(f"{API}/requests/{rid}", headers=h.who("handler"))).json()
    assert detail["state"] == "in_progress" and detail["assignee_sub"] == "handler-1"
    assert await h.outbox_types(rid) == ["RequestSubmitted", "RequestReceived", "RequestAssigned"]
    # what the API offers each caller matches what it lets them do
    offered = {a["action"] for a in detail["allowed_actions"]}
    assert "propose_answer" in offered and "assign" not in offered
    mine = (await h.client.get(f"{API}/requests/{rid}", headers=applicant)).json()
    assert {a["action"] for a in mine["allowed_actions"]} == {"withdraw"}


# -- 2. personal data ------------------------------------------------------------------------------


async def test_full_identity_for_the_handling_office_and_the_applicant_masked_for_supervisor_and_reviewer(harness):
    h = harness
    applicant = h.who("applicant", sub="citizen-1")
    rid = (await submit(h, applicant))["id"]

    for headers in (h.who("handler"), h.who("registrar"), h.who("head"), applicant):
        r = await h.client.get(f"{API}/requests/{rid}", headers=headers)
        person = r.json()["applicant"]
        assert (person["id_number"], person["mobile"], person["email"]) == (VALID_ID, MOBILE, EMAIL)

    for headers in (h.who("supervisor", agency=h.county), h.who("reviewer")):
        r = await h.client.get(f"{API}/requests/{rid}", headers=headers)
        assert r.status_code == 200, r.text
        person = r.json()["applicant"]
        assert person["id_number"] == MASKED_ID
        assert person["mobile"] == MASKED_MOBILE
        assert person["email"] != EMAIL and person["email"].endswith("@example.com")
        assert VALID_ID not in r.text and MOBILE not in r.text and EMAIL not in r.text
        listing = await h.client.get(f"{API}/queue", headers=headers)
        assert listing.json()["items"][0]["applicant"]["id_number"] == MASKED_ID
        assert VALID_ID not in listing.text and MOBILE not in listing.text


async def test_the_forms_work_unit_and_delivery_method_are_kept_and_the_work_unit_masked_like_the_address(harness):
    h = harness
    applicant = h.who("applicant", sub="citizen-1")
    rid = (await submit(h, applicant, delivery_method="post", applicant=natural_person(work_unit="某某县第一中学")))["id"]
    for headers in (applicant, h.who("handler")):
        got = (await h.client.get(f"{API}/requests/{rid}", headers=headers)).json()
        assert got["delivery_method"] == "post"
        assert got["applicant"]["work_unit"] == "某某县第一中学"
    masked = await h.client.get(f"{API}/requests/{rid}", headers=h.who("reviewer"))
    assert masked.json()["applicant"]["work_unit"] == "某某……"
    assert "某某县第一中学" not in masked.text


async def test_public_status_shows_progress_without_personal_data_or_the_answer(harness):
    h = harness
    created = await submit(h, h.who("applicant", sub="citizen-1"))
    await answer_and_dispatch(h, created["id"])
    query = {"tracking_number": created["tracking_number"], "query_code": created["query_code"]}

    r = await h.client.post(f"{API}/public/status", json=query)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tracking_number"] == created["tracking_number"] and body["state"] == "answered"
    assert [e["action"] for e in body["history"]][:2] == ["submit", "receive"]
    for secret in ("张三", VALID_ID, MASKED_ID, MOBILE, MASKED_MOBILE, EMAIL, ANSWER["letter"], "citizen-1", "handler-1"):
        assert secret not in r.text, secret
    assert not {"applicant", "answers", "description", "outcome"} & set(body)
    # the query code is not case-sensitive (read aloud over the phone), but it must be right
    lower = await h.client.post(f"{API}/public/status", json={**query, "query_code": query["query_code"].lower()})
    assert lower.status_code == 200
    wrong = "".join("3" if c != "3" else "4" for c in query["query_code"])
    problem(await h.client.post(f"{API}/public/status", json={**query, "query_code": wrong}), 404, "request_not_found")
    problem(
        await h.client.post(f"{API}/public/status", json={**query, "tracking_number": query["tracking_number"][:-1] + "9"}),
        404,
        "request_not_found",
    )


# -- 3. bad input ----------------------------------------------------------------------------------


def organisation(**overrides: Any) -> dict[str, Any]:
    applicant = {
        "type": "organisation",
        "organisation_type": "commercial",
        "name": "某某科技有限公司",
        "id_type": "credit_code",
        "id_number": CREDIT_CODE,
        "legal_representative": "李四",
        "contact_person": "王五",
        "mobile": MOBILE,
    }
    applicant.update(overrides)
    return {k: v for k, v in applicant.items() if v is not None}


async def test_bad_input_is_refused_field_by_field_in_chinese_and_stores_nothing(harness):
    h = harness
    applicant = h.who("applicant", sub="citizen-1")
    await submit(h, applicant)  # something already stored, so "nothing more" is a real comparison
    before = await stored(h)
    no_description = request_body(h.agency_a)
    del no_description["description"]
    cases: dict[str, tuple[dict[str, Any], str, str, str]] = {
        # name: (body, code, field, words the Chinese message must contain)
        "ID number with a wrong check digit": (
            request_body(h.agency_a, applicant=natural_person(id_number=BAD_CHECK_DIGIT_ID)),
            "validation_failed",
            "applicant.id_number",
            "校验位",
        ),
        "malformed mobile": (
            request_body(h.agency_a, applicant=natural_person(mobile="1380013800")),
            "validation_failed",
            "applicant.mobile",
            "手机号码",
        ),
        "credit code with a wrong check character": (
            request_body(h.agency_a, applicant=organisation(id_number=BAD_CREDIT_CODE)),
            "validation_failed",
            "applicant.id_number",
            "统一社会信用代码",
        ),
        "organisation without its type": (
            request_body(h.agency_a, applicant=organisation(organisation_type=None)),
            "validation_failed",
            "applicant.organisation_type",
            "组织类别",
        ),
        "natural person with a credit code": (
            request_body(h.agency_a, applicant=natural_person(id_type="credit_code", id_number=CREDIT_CODE)),
            "validation_failed",
            "applicant.id_type",
            "身份证件",
        ),
        "no contact at all": (
            request_body(h.agency_a, applicant=natural_person(mobile=None, email=None, postal_address=None)),
            "validation_failed",
            "applicant",
            "联系方式",
        ),
        "unknown agency": (request_body(new_id()), "unknown_agency", "agency_id", "受理机关"),
        "missing description": (no_description, "validation_failed", "description", "必填"),
        "over-long description": (request_body(h.agency_a, description="请" * 5001), "validation_failed", "description", "5000"),
        "unknown extra field": (request_body(h.agency_a, priority="urgent"), "validation_failed", "priority", "不允许"),
        "post chosen without an address": (
            request_body(h.agency_a, delivery_method="post", applicant=natural_person(postal_address=None)),
            "validation_failed",
            "applicant.postal_address",
            "通信地址",
        ),
        "e-mail chosen without an e-mail": (
            request_body(h.agency_a, delivery_method="email", applicant=natural_person(email=None)),
            "validation_failed",
            "applicant.email",
            "电子邮箱",
        ),
        "unknown delivery method": (request_body(h.agency_a, delivery_method="pigeon"), "validation_failed", "delivery_method", ""),
    }
    for name, (body, code, field, words) in cases.items():
        r = await h.client.post(f"{API}/requests", json=body, headers={**applicant, "Idempotency-Key": f"bad-{name}"})
        assert r.status_code == 422, (name, r.text)
        got = problem(r, 422, code)
        fields = {e["field"]: e["message"] for e in got["errors"]}
        assert field in fields, (name, got["errors"])
        assert CJK.search(fields[field]) and words in fields[field], (name, fields[field])
        assert await stored(h) == before, name

    for raw, content_type in ((b'{"agency_id": ', "application/json"), (b"agency_id=1&description=x", "application/x-www-form-urlencoded")):
        r = await h.client.post(f"{API}/requests", content=raw, headers={**applicant, "Content-Type": content_type})
        got = problem(r, 422, "validation_failed")
        assert got["errors"] and all(CJK.search(e["message"]) for e in got["errors"]), got
        assert await stored(h) == before

    # the rejected numbers differ from accepted ones only in their check character
    assert (
        await h.client.post(f"{API}/requests", json=request_body(h.agency_a, applicant=organisation()), headers=applicant)
    ).status_code == 201
    accepted = await h.client.post(
        f"{API}/requests", json=request_body(h.agency_a, applicant=natural_person(id_number=VALID_ID.lower())), headers=applicant
    )
    assert accepted.status_code == 201 and accepted.json()["applicant"]["id_number"] == VALID_ID


# -- 4. attachments --------------------------------------------------------------------------------


async def attachment_count(h) -> int:
    async with h.app.state.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(Attachment))).scalar_one()


async def test_uploads_are_checked_for_size_type_content_and_purpose(harness):
    h = harness
    applicant = h.who("applicant", sub="citizen-1")

    r = await upload(h, applicant, PDF)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size"] == len(PDF)
    assert body["content_type"] == "application/pdf" and body["purpose"] == "supporting" and body["filename"] == "身份证明.pdf"
    assert await attachment_count(h) == 1

    problem(await upload(h, applicant, PDF + b"0" * (1024 * 1024)), 413, "attachment_too_large")
    problem(
        await upload(h, applicant, b"<html><script>alert(1)</script></html>", "text/html", filename="a.html"), 415, "unsupported_media_type"
    )
    problem(await upload(h, applicant, PNG, "application/pdf", filename="fake.pdf"), 415, "content_mismatch")
    problem(await upload(h, applicant, PDF, purpose="answer_document"), 403, "forbidden_role")
    assert await attachment_count(h) == 1
    # exactly at the limit is fine
    assert (await upload(h, applicant, PDF + b"0" * (1024 * 1024 - len(PDF)))).status_code == 201
    assert (await upload(h, h.who("handler"), PDF, purpose="answer_document")).status_code == 201


async def test_someone_elses_attachment_cannot_be_linked_to_a_submission(harness):
    h = harness
    me, other = h.who("applicant", sub="citizen-1"), h.who("applicant", sub="citizen-2")
    theirs = (await upload(h, other, PDF)).json()["id"]
    mine = (await upload(h, me, PDF)).json()["id"]
    before = await stored(h)

    r = await h.client.post(f"{API}/requests", json=request_body(h.agency_a, attachment_ids=[mine, theirs]), headers=me)
    body = problem(r, 422, "attachment_not_found")
    assert body["errors"][0]["field"] == "attachment_ids" and theirs in body["errors"][0]["message"]
    assert mine not in body["errors"][0]["message"]
    assert await stored(h) == before
    async with h.app.state.runtime.sessions() as s:
        assert all(a.request_id is None for a in (await s.execute(select(Attachment))).scalars())

    # each can still use their own; an attachment already on a request cannot be moved to another
    created = await submit(h, me, attachment_ids=[mine])
    problem(
        await h.client.post(f"{API}/requests", json=request_body(h.agency_a, attachment_ids=[mine]), headers=me),
        422,
        "attachment_not_found",
    )
    assert (await submit(h, other, attachment_ids=[theirs]))["id"] != created["id"]


async def test_attachments_download_for_the_owner_and_the_handling_office_only(harness):
    h = harness
    owner = h.who("applicant", sub="citizen-1")
    attachment = (await upload(h, owner, PDF)).json()["id"]

    r = await h.client.get(f"{API}/attachments/{attachment}", headers=owner)
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf" and r.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    problem(await h.client.get(f"{API}/attachments/{attachment}", headers=h.who("applicant", sub="citizen-2")), 404, "attachment_not_found")
    # not yet on a request: no officer sees it either
    problem(await h.client.get(f"{API}/attachments/{attachment}", headers=h.who("handler")), 404, "attachment_not_found")

    await submit(h, owner, attachment_ids=[attachment])
    assert (await h.client.get(f"{API}/attachments/{attachment}", headers=h.who("handler"))).content == PDF
    problem(await h.client.get(f"{API}/attachments/{attachment}", headers=h.who("handler", agency=h.agency_b)), 404, "request_not_found")
    problem(await h.client.get(f"{API}/attachments/{attachment}", headers=h.who("applicant", sub="citizen-2")), 404, "request_not_found")


async def test_the_applicant_gets_the_answer_document_only_once_the_answer_is_dispatched(harness):
    h = harness
    applicant = h.who("applicant", sub="citizen-1")
    rid = (await submit(h, applicant))["id"]
    document = PDF + "低保资金发放明细".encode()
    doc = (await upload(h, h.who("handler", sub="handler-1"), document, purpose="answer_document", filename="答复.pdf")).json()["id"]

    await answer_and_dispatch(h, rid, document_ids=[doc], dispatch=False)  # reviewed and approved, not yet sent
    problem(await h.client.get(f"{API}/attachments/{doc}", headers=applicant), 404, "attachment_not_found")
    assert (await h.client.get(f"{API}/requests/{rid}", headers=applicant)).json()["answers"] == []
    assert (await h.client.get(f"{API}/attachments/{doc}", headers=h.who("reviewer"))).content == document

    r = await h.client.post(f"{API}/requests/{rid}/answer/dispatch", json={}, headers=h.who("handler", sub="handler-1"))
    assert r.status_code == 200, r.text
    r = await h.client.get(f"{API}/attachments/{doc}", headers=applicant)
    assert r.status_code == 200 and r.content == document
    assert (await h.client.get(f"{API}/requests/{rid}", headers=applicant)).json()["answers"][0]["document_ids"] == [doc]
    problem(await h.client.get(f"{API}/attachments/{doc}", headers=h.who("applicant", sub="citizen-2")), 404, "request_not_found")


# -- 5. Idempotency-Key ----------------------------------------------------------------------------


async def test_a_retried_submission_with_the_same_key_returns_the_same_request(harness):
    h = harness
    applicant = h.who("applicant", sub="citizen-1")
    headers = {**applicant, "Idempotency-Key": "form-42"}
    first = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=headers)
    again = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=headers)
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    assert again.headers["Location"].endswith(f"/requests/{first.json()['id']}")
    assert len(await requests_of(h, "citizen-1")) == 1
    outbox_after_retry = (await stored(h))["outbox"]

    changed = await h.client.post(f"{API}/requests", json=request_body(h.agency_a, description="另一项申请"), headers=headers)
    problem(changed, 422, "idempotency_key_reused")
    assert len(await requests_of(h, "citizen-1")) == 1 and (await stored(h))["outbox"] == outbox_after_retry

    # keys belong to their caller: another applicant's identical key is a new request, never someone else's answer
    theirs = await h.client.post(
        f"{API}/requests", json=request_body(h.agency_a), headers={**h.who("applicant", sub="citizen-2"), "Idempotency-Key": "form-42"}
    )
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != first.json()["id"] and theirs.json()["query_code"] != first.json()["query_code"]

    other_key = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers={**applicant, "Idempotency-Key": "form-43"})
    assert other_key.status_code == 201
    assert other_key.json()["tracking_number"] != first.json()["tracking_number"]
    assert len(await requests_of(h, "citizen-1")) == 2


async def test_a_form_sent_twice_uploads_its_file_twice_and_is_still_one_request(harness):
    # A double click without JavaScript: each post uploads the ID proof again (a new attachment id), same key.
    h = harness
    applicant = h.who("applicant", sub="citizen-1")
    headers = {**applicant, "Idempotency-Key": "form-with-file"}
    ids = [(await upload(h, applicant, PDF, purpose="identity_proof")).json()["id"] for _ in range(2)]
    first = await h.client.post(f"{API}/requests", json=request_body(h.agency_a, attachment_ids=[ids[0]]), headers=headers)
    again = await h.client.post(f"{API}/requests", json=request_body(h.agency_a, attachment_ids=[ids[1]]), headers=headers)
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["query_code"] == first.json()["query_code"]
    assert len(await requests_of(h, "citizen-1")) == 1
    # Another file under the same key is another submission: refused, as a changed description is.
    other = (await upload(h, applicant, PDF + b"%another scan")).json()["id"]
    problem(
        await h.client.post(f"{API}/requests", json=request_body(h.agency_a, attachment_ids=[other]), headers=headers),
        422,
        "idempotency_key_reused",
    )


async def test_tracking_numbers_are_sequential_per_agency_and_year(harness):
    h = harness
    applicant = h.who("applicant", sub="citizen-1")
    a6, b6 = h.agency_a.replace("-", "")[-6:].upper(), h.agency_b.replace("-", "")[-6:].upper()
    numbers_a = [(await submit(h, applicant, h.agency_a))["tracking_number"] for _ in range(3)]
    numbers_b = [(await submit(h, applicant, h.agency_b))["tracking_number"] for _ in range(2)]
    assert numbers_a == [f"2026-{a6}-00001", f"2026-{a6}-00002", f"2026-{a6}-00003"]
    assert numbers_b == [f"2026-{b6}-00001", f"2026-{b6}-00002"]
    h.set_today(date(2027, 1, 4))
    assert (await submit(h, applicant, h.agency_a))["tracking_number"] == f"2027-{a6}-00001"
    # a refused submission does not use up a number
    bad = request_body(h.agency_a, applicant=natural_person(id_number=BAD_CHECK_DIGIT_ID))
    assert (await h.client.post(f"{API}/requests", json=bad, headers=applicant)).status_code == 422
    theirs = await h.client.post(f"{API}/requests", json=request_body(h.agency_a, attachment_ids=[new_id()]), headers=applicant)
    problem(theirs, 422, "attachment_not_found")
    assert (await submit(h, applicant, h.agency_a))["tracking_number"] == f"2027-{a6}-00002"


async def test_concurrent_submissions_with_one_key_create_exactly_one_request(harness):
    h = harness
    headers = {**h.who("applicant", sub="citizen-1"), "Idempotency-Key": "double-click"}
    responses = await asyncio.gather(*(h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=headers) for _ in range(5)))

    rows = await requests_of(h, "citizen-1")
    assert len(rows) == 1
    created = [r for r in responses if r.status_code == 201]
    assert created, [r.text for r in responses]
    for r in responses:
        if r.status_code == 201:
            assert r.json()["id"] == rows[0].id
        else:
            problem(r, 409, "idempotent_request_in_flight")
    assert len([r for r in created if "Idempotent-Replayed" not in r.headers]) == 1
    assert await h.outbox_types(rows[0].id) == ["RequestSubmitted", "RequestReceived"]
    # the losers' serials were rolled back: the next request is number 2
    nxt = await submit(h, h.who("applicant", sub="citizen-1"))
    assert rows[0].tracking_number.endswith("-00001") and nxt["tracking_number"].endswith("-00002")
    # once settled, a retry is a plain replay
    retry = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=headers)
    assert retry.status_code == 201 and retry.json()["id"] == rows[0].id and retry.headers["Idempotent-Replayed"] == "true"


# -- 6. queue filters ------------------------------------------------------------------------------


async def test_queue_filters_by_state_due_window_overdue_and_text_with_consistent_pages(harness):
    h = harness
    applicant, handler = h.who("applicant", sub="citizen-1"), h.who("handler")
    early = await submit(h, applicant)  # received 2026-09-28: due 2026-10-30
    h.set_today(date(2026, 10, 9))
    later = await submit(h, applicant, description="请公开2025年度城乡特困人员救助供养情况")
    withdrawn = await submit(h, applicant, description="请公开2025年度临时救助情况")
    r = await h.client.post(f"{API}/requests/{withdrawn['id']}/withdraw", json={"reason": "已在网站查到"}, headers=applicant)
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert early["due_on"] == "2026-10-30" and later["due_on"] > early["due_on"]

    assert sorted(await queue_ids(h, handler, state="received")) == sorted([early["id"], later["id"]])
    assert await queue_ids(h, handler, state="closed") == [withdrawn["id"]]
    problem(await h.client.get(f"{API}/queue", params={"state": "lost"}, headers=handler), 422, "validation_failed")

    h.set_today(date(2026, 10, 27))  # three working days before 10-30
    assert await queue_ids(h, handler, due_within_days=3) == [early["id"]]
    assert await queue_ids(h, handler, due_within_days=2) == []
    assert await queue_ids(h, handler, overdue=True) == []
    h.set_today(date(2026, 11, 2))
    r = await h.client.get(f"{API}/queue", params={"overdue": True}, headers=handler)
    assert [i["id"] for i in r.json()["items"]] == [early["id"]] and r.json()["total"] == 1
    item = r.json()["items"][0]
    assert item["overdue"] is True and item["days_remaining"] == -1
    assert withdrawn["id"] not in await queue_ids(h, handler, due_within_days=60)

    assert await queue_ids(h, handler, q=later["tracking_number"]) == [later["id"]]
    assert await queue_ids(h, handler, q=later["tracking_number"][-5:]) == [later["id"]]
    assert await queue_ids(h, handler, q="特困人员") == [later["id"]]
    assert await queue_ids(h, handler, q="2099-") == []

    for sort in ("due_on", "-due_on", "submitted_at", "-submitted_at"):
        assert (await h.client.get(f"{API}/queue", params={"sort": sort}, headers=handler)).status_code == 200
    for path in ("/queue", "/requests/mine"):
        headers = applicant if path == "/requests/mine" else handler
        body = problem(await h.client.get(f"{API}{path}", params={"sort": "applicant_name"}, headers=headers), 422, "invalid_sort")
        assert body["errors"][0]["field"] == "sort"

    everything = await queue_ids(h, handler, sort="submitted_at")
    assert everything == [early["id"], later["id"], withdrawn["id"]]
    pages = []
    for page in (1, 2, 3):
        r = await h.client.get(f"{API}/queue", params={"sort": "submitted_at", "page": page, "page_size": 2}, headers=handler)
        body = r.json()
        assert body["total"] == 3 and body["page"] == page and body["page_size"] == 2
        pages.append([i["id"] for i in body["items"]])
    assert pages == [everything[:2], everything[2:], []]
    r = await h.client.get(f"{API}/queue", params={"sort": "due_on"}, headers=handler)
    due = [i["due_on"] for i in r.json()["items"]]
    assert due == sorted(due)
    r = await h.client.get(f"{API}/queue", params={"state": "received", "page_size": 1}, headers=handler)
    assert r.json()["total"] == 2 and len(r.json()["items"]) == 1
    problem(await h.client.get(f"{API}/queue", params={"page_size": 101}, headers=handler), 422, "validation_failed")


# -- 7. OpenAPI ------------------------------------------------------------------------------------

ROLE_WORDS = {
    "申请人",
    "登记人员",
    "承办人",
    "保密审查人",
    "工作机构负责人",
    "政务公开办",
    "系统管理员",
    "工作人员",
    "已登录用户",
    "公开",
    *(r.value for roles in ACTION_ROLES.values() for r in roles),
}


def _callers(summary: str) -> str:
    """The last full-width parenthetical of a summary: who may call the route."""
    found = re.findall(r"（([^（）]*)）", summary)
    return found[-1] if found else ""


async def test_every_route_says_in_its_summary_who_may_call_it(harness):
    h = harness
    r = await h.client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert f"{API}/requests" in paths and f"{API}/public/status" in paths and f"{API}/calendar/{{year}}" in paths
    operations = [(path, method, op) for path, ops in paths.items() for method, op in ops.items() if path not in ("/healthz", "/readyz")]
    assert len(operations) >= 30
    for path, method, op in operations:
        assert path.startswith(API), path
        callers = _callers(op.get("summary", ""))
        assert callers and any(word in callers for word in ROLE_WORDS), (method, path, op.get("summary"))

    # a workflow action lists exactly the roles the state machine admits
    for action, roles in ACTION_ROLES.items():
        ops = [op for path, method, op in operations if op.get("operationId", "").startswith(f"{action.value}_endpoint")]
        assert len(ops) == 1, action
        assert set(_callers(ops[0]["summary"]).split("、")) == {r.value for r in roles}, (action, ops[0]["summary"])

    # and the summaries tell the truth: routes marked 公开 answer without a token, all others demand one
    for path, method, op in operations:
        url = path.replace("{year}", "2026").replace("{day}", "2026-10-01")
        url = re.sub(r"\{[a-z_]+\}", new_id(), url)
        response = await h.client.request(method.upper(), url, json={})
        if "公开" in _callers(op["summary"]):
            assert response.status_code != 401, (method, path, response.text)
        else:
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["code"] == "token_missing"
