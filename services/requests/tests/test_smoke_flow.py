"""The main path through the HTTP API: submit, assign, propose, review, dispatch."""

from __future__ import annotations

from datetime import date

from services.requests.tests.conftest import API, request_body


async def test_request_received_on_2026_09_28_is_answered_through_review_on_time(harness):
    h = harness
    applicant = h.who("applicant", sub="citizen-1")
    r = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers={**applicant, "Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    created = r.json()
    rid = created["id"]
    assert created["state"] == "received"
    assert created["due"]["due_on"] == "2026-10-30"
    assert created["query_code"]
    again = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers={**applicant, "Idempotency-Key": "k1"})
    assert again.status_code == 201 and again.json()["id"] == rid and again.headers["Idempotent-Replayed"] == "true"

    head, handler, reviewer = h.who("head", sub="head-1"), h.who("handler", sub="handler-1"), h.who("reviewer", sub="reviewer-1")
    r = await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers=head)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "in_progress"
    h.set_today(date(2026, 10, 20))
    answer = {"category": "disclosed", "reason": "provided", "letter": "经审查，您申请的信息予以公开，详见附件。"}
    r = await h.client.post(f"{API}/requests/{rid}/answer", json=answer, headers=handler)
    assert r.status_code == 200, r.text
    r = await h.client.post(f"{API}/requests/{rid}/review/approve", json={}, headers=reviewer)
    assert r.status_code == 200, r.text
    r = await h.client.post(f"{API}/requests/{rid}/answer/dispatch", json={}, headers=handler)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "answered" and body["answered_on_time"] is True
    assert body["outcome"]["category_label"] == "予以公开"
    assert await h.outbox_types(rid) == [
        "RequestSubmitted",
        "RequestReceived",
        "RequestAssigned",
        "AnswerProposed",
        "ReviewApproved",
        "AnswerDispatched",
    ]

    mine = await h.client.get(f"{API}/requests/{rid}", headers=applicant)
    assert mine.status_code == 200 and mine.json()["answers"][0]["letter"].startswith("经审查")
    other = await h.client.get(f"{API}/requests/{rid}", headers=h.who("applicant", sub="citizen-2"))
    assert other.status_code == 404
    status = await h.client.post(
        f"{API}/public/status", json={"tracking_number": created["tracking_number"], "query_code": created["query_code"]}
    )
    assert status.status_code == 200 and status.json()["state"] == "answered"
    assert "张三" not in status.text and "answers" not in status.json()
