"""The public status lookup cannot be used to guess query codes: per-address limits, a lockout per tracking number."""

from __future__ import annotations

import asyncio

from services.requests.tests.conftest import API
from services.requests.tests.test_access_and_input import submit
from shared.testing import assert_problem as problem


def _wrong(code: str) -> str:
    return "".join("3" if c != "3" else "4" for c in code)


async def test_five_wrong_codes_lock_the_tracking_number_even_against_the_right_code(harness):
    h = harness
    h.app.state.settings = h.settings.model_copy(update={"status_lockout_seconds": 2})
    mine = await submit(h, h.who("applicant", sub="citizen-1"))
    other = await submit(h, h.who("applicant", sub="citizen-2"))
    query = {"tracking_number": mine["tracking_number"], "query_code": mine["query_code"]}
    for _ in range(5):
        problem(
            await h.client.post(f"{API}/public/status", json={**query, "query_code": _wrong(mine["query_code"])}), 404, "request_not_found"
        )
    locked = await h.client.post(f"{API}/public/status", json=query)
    body = problem(locked, 429, "status_locked")
    assert "锁定" in body["detail"] and 1 <= int(locked.headers["retry-after"]) <= 2
    # Another request's number is not locked by someone guessing this one.
    ok = await h.client.post(f"{API}/public/status", json={"tracking_number": other["tracking_number"], "query_code": other["query_code"]})
    assert ok.status_code == 200, ok.text
    await asyncio.sleep(2.2)
    assert (await h.client.post(f"{API}/public/status", json=query)).status_code == 200


async def test_four_wrong_codes_do_not_lock(harness):
    h = harness
    mine = await submit(h, h.who("applicant", sub="citizen-1"))
    query = {"tracking_number": mine["tracking_number"], "query_code": mine["query_code"]}
    for _ in range(4):
        problem(
            await h.client.post(f"{API}/public/status", json={**query, "query_code": _wrong(mine["query_code"])}), 404, "request_not_found"
        )
    assert (await h.client.post(f"{API}/public/status", json=query)).status_code == 200


async def test_one_address_is_limited_across_tracking_numbers(harness):
    h = harness
    h.app.state.settings = h.settings.model_copy(update={"status_per_ip_per_minute": 3})
    mine = await submit(h, h.who("applicant", sub="citizen-1"))
    query = {"tracking_number": mine["tracking_number"], "query_code": mine["query_code"]}
    for n in range(3):
        r = await h.client.post(f"{API}/public/status", json={**query, "tracking_number": f"X-2026-{n:06d}"})
        problem(r, 404, "request_not_found")
    refused = await h.client.post(f"{API}/public/status", json=query)
    body = problem(refused, 429, "status_rate_limited")
    assert "频繁" in body["detail"] and 1 <= int(refused.headers["retry-after"]) <= 60
