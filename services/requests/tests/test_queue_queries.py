"""The queue asks the database a fixed number of times per page, however many rows it shows (issue #18: N+1)."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from services.requests.tests.conftest import API, request_body


async def _statements_for(h, page_size: int) -> tuple[int, int]:
    engine = h.app.state.runtime.engine.sync_engine
    seen: list[str] = []
    this_request = asyncio.current_task()  # ASGITransport runs the app in the caller's task

    def count(conn, cursor, statement, parameters, context, executemany):
        # Only the request's own statements: the relay and the caches refreshing every few seconds
        # (aliases, calendar) run in other tasks, or not at all, as they please.
        if asyncio.current_task() is this_request and not statement.startswith(("BEGIN", "SELECT account_aliases", "SELECT calendar")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        resp = await h.client.get(f"{API}/queue", params={"page_size": page_size}, headers=h.who("handler", sub="handler-1"))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert resp.status_code == 200, resp.text
    return len(resp.json()["items"]), len(seen)


async def test_a_page_of_forty_costs_the_same_queries_as_a_page_of_two(harness):
    h = harness
    for n in range(40):
        created = await h.client.post(
            f"{API}/requests",
            json=request_body(h.agency_a, description=f"请公开第{n}号文件"),
            headers=h.who("applicant", sub=f"citizen-{n % 5}"),
        )
        assert created.status_code == 201, created.text
    rid = created.json()["id"]  # one with a pause, so pauses are really looked up
    await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers=h.who("head", sub="head-1"))
    fee = await h.client.post(f"{API}/requests/{rid}/fee-notice", json={"pages": 5000}, headers=h.who("handler", sub="handler-1"))
    assert fee.status_code == 200, fee.text
    await _statements_for(h, 1)  # the calendar is cached for a while: load it before counting
    small = await _statements_for(h, 2)
    large = await _statements_for(h, 40)
    assert small[0] == 2 and large[0] == 40
    assert large[1] == small[1], f"{large[1]} statements for 40 rows, {small[1]} for 2"
    queue = (await h.client.get(f"{API}/queue", params={"page_size": 40}, headers=h.who("handler", sub="handler-1"))).json()
    assert next(r for r in queue["items"] if r["id"] == rid)["paused"] is True
