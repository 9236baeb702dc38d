"""Issue #13: registrations stay inside the registrar's subtree; ID-card scans only for those who see the ID number.

Everything goes through the HTTP API of a running app on a real database.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from services.requests.adapters.orm import DisclosureRequest, HistoryEntry, TrackingSequence, plumbing
from services.requests.tests.conftest import API, VALID_ID, request_body
from shared.testing import assert_problem as problem

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ID_SCAN = PDF + "居民身份证正反面".encode()
CJK = re.compile(r"[\u4e00-\u9fff]")


async def stored(h) -> dict[str, int]:
    async with h.app.state.runtime.sessions() as s:

        async def count(table) -> int:
            return (await s.execute(select(func.count()).select_from(table))).scalar_one()

        return {
            "requests": await count(DisclosureRequest),
            "outbox": await count(plumbing.outbox),
            "history": await count(HistoryEntry),
            "serials": sum((await s.execute(select(TrackingSequence.last))).scalars()),
        }


def registration(agency_id: str) -> dict:
    return {**request_body(agency_id), "channel": "letter", "received_on": "2026-09-25"}


# -- Defect 1: a registrar registers only into their own agency or one below it ---------------------


async def test_a_registrar_of_a_sibling_agency_cannot_register_into_another_agency(harness):
    h = harness
    before = await stored(h)
    r = await h.client.post(f"{API}/registrations", json=registration(h.agency_a), headers=h.who("registrar", h.agency_b))
    problem(r, 403, "agency_out_of_scope")
    assert r.headers["content-type"].startswith("application/problem+json")
    assert CJK.search(r.json()["detail"])
    assert await stored(h) == before  # no request, no serial taken, no event, no timeline
    # nothing lands in agency A's queue
    queue = (await h.client.get(f"{API}/queue", headers=h.who("handler", h.agency_a))).json()
    assert queue["total"] == 0


async def test_a_registrar_registers_into_their_own_agency_and_a_parent_agency_registrar_into_one_below(harness):
    h = harness
    own = await h.client.post(f"{API}/registrations", json=registration(h.agency_a), headers=h.who("registrar", h.agency_a))
    assert own.status_code == 201, own.text
    below = await h.client.post(f"{API}/registrations", json=registration(h.agency_b), headers=h.who("registrar", h.county))
    assert below.status_code == 201, below.text
    assert (own.json()["agency_id"], below.json()["agency_id"]) == (h.agency_a, h.agency_b)
    # the lower agency's registrar still cannot register upwards into the county government
    problem(
        await h.client.post(f"{API}/registrations", json=registration(h.county), headers=h.who("registrar", h.agency_a)),
        403,
        "agency_out_of_scope",
    )


async def test_applicants_still_submit_to_any_agency(harness):
    h = harness
    for agency in (h.agency_a, h.agency_b, h.county):
        r = await h.client.post(f"{API}/requests", json=request_body(agency), headers=h.who("applicant", sub="citizen-1"))
        assert r.status_code == 201, r.text


# -- Defect 3: ID-proof files follow the ID-number masking rule, and every view is audited -------------


async def _request_with_id_proof(h) -> tuple[str, str, str]:
    """A request to agency A by citizen-1 with an ID-card scan and a supporting file; returns their ids."""
    owner = h.who("applicant", sub="citizen-1")
    files = []
    for data, purpose in ((ID_SCAN, "identity_proof"), (PDF, "supporting")):
        r = await h.client.post(
            f"{API}/attachments", files={"file": ("身份证.pdf", data, "application/pdf")}, data={"purpose": purpose}, headers=owner
        )
        assert r.status_code == 201, r.text
        files.append(r.json()["id"])
    r = await h.client.post(f"{API}/requests", json=request_body(h.agency_a, attachment_ids=files), headers=owner)
    assert r.status_code == 201, r.text
    return r.json()["id"], files[0], files[1]


async def _views(h, request_id: str) -> list[dict]:
    async with h.app.state.runtime.sessions() as s:
        rows = (
            await s.execute(select(plumbing.outbox.c.body).where(plumbing.outbox.c.key == request_id).order_by(plumbing.outbox.c.id))
        ).scalars()
        return [e for e in (json.loads(b) for b in rows) if e["type"] == "IdProofViewed"]


async def test_id_proof_is_served_only_to_those_who_see_the_id_number_unmasked(harness):
    h = harness
    rid, proof, supporting = await _request_with_id_proof(h)
    callers = {
        "handler of the agency": (h.who("handler", h.agency_a, sub="handler-a"), 200, None),
        "registrar of the agency": (h.who("registrar", h.agency_a, sub="registrar-a"), 200, None),
        "head of the agency": (h.who("head", h.agency_a, sub="head-a"), 200, None),
        "the applicant": (h.who("applicant", sub="citizen-1"), 200, None),
        "reviewer of the agency": (h.who("reviewer", h.agency_a, sub="reviewer-a"), 403, "id_proof_forbidden"),
        "supervisor of the agency": (h.who("supervisor", h.agency_a, sub="supervisor-a"), 403, "id_proof_forbidden"),
        "supervisor of the county": (h.who("supervisor", h.county, sub="supervisor-c"), 403, "id_proof_forbidden"),
        "handler of the parent agency": (h.who("handler", h.county, sub="handler-c"), 403, "id_proof_forbidden"),
        "head of the parent agency": (h.who("head", h.county, sub="head-c"), 403, "id_proof_forbidden"),
        "admin": (h.who("admin", sub="admin-1"), 403, "id_proof_forbidden"),
        "handler of a sibling agency": (h.who("handler", h.agency_b, sub="handler-b"), 404, "request_not_found"),
        "another applicant": (h.who("applicant", sub="citizen-2"), 404, "request_not_found"),
    }
    for name, (headers, status, code) in callers.items():
        detail = await h.client.get(f"{API}/requests/{rid}", headers=headers)
        r = await h.client.get(f"{API}/attachments/{proof}", headers=headers)
        if status == 200:
            assert r.status_code == 200 and r.content == ID_SCAN, name
            assert detail.json()["applicant"]["id_number"] == VALID_ID, name  # the same people see the number in full
        else:
            problem(r, status, code)
            assert CJK.search(r.json()["detail"]), name
            if status == 403:
                assert detail.json()["applicant"]["id_number"] != VALID_ID, name
    # a supporting file of the same request is still served to the reviewer who must judge the request
    assert (await h.client.get(f"{API}/attachments/{supporting}", headers=h.who("reviewer", h.agency_a))).content == PDF

    views = await _views(h, rid)
    assert [(v["actor"]["sub"], v["payload"]["attachment_id"]) for v in views] == [
        ("handler-a", proof),
        ("registrar-a", proof),
        ("head-a", proof),
        ("citizen-1", proof),
    ]
    first = views[0]
    assert first["aggregate_type"] == "id_proof_access" and first["aggregate_id"] == rid and first["agency_id"] == h.agency_a
    assert first["payload"] == {
        "request_id": rid,
        "attachment_id": proof,
        "agency_id": h.agency_a,
        "viewer_sub": "handler-a",
        "viewer_role": "handler",
    }
    assert first["occurred_at"]
    body = json.dumps(views, ensure_ascii=False)
    assert VALID_ID not in body and "张三" not in body and "13800138000" not in body and "身份证" not in body


async def test_the_uploader_of_an_id_proof_loses_access_when_they_would_see_the_number_masked(harness):
    """A county registrar who registered a walk-in at a department sees the ID number masked, and so not the scan."""
    h = harness
    registrar = h.who("registrar", h.county, sub="registrar-c")
    r = await h.client.post(
        f"{API}/attachments",
        files={"file": ("身份证.pdf", ID_SCAN, "application/pdf")},
        data={"purpose": "identity_proof"},
        headers=registrar,
    )
    proof = r.json()["id"]
    assert (await h.client.get(f"{API}/attachments/{proof}", headers=registrar)).content == ID_SCAN  # not yet on a request: theirs
    r = await h.client.post(f"{API}/registrations", json={**registration(h.agency_a), "attachment_ids": [proof]}, headers=registrar)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    problem(await h.client.get(f"{API}/attachments/{proof}", headers=registrar), 403, "id_proof_forbidden")
    assert (await h.client.get(f"{API}/attachments/{proof}", headers=h.who("handler", h.agency_a, sub="handler-a"))).content == ID_SCAN
    assert [v["actor"]["sub"] for v in await _views(h, rid)] == ["handler-a"]
