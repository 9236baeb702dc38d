"""Issue #13, defect 5, in the requests service: a correctly signed token whose claims have the wrong
shape (an `agency_id` list or object, an empty `sub`) is a 401 problem, never a 500, and changes nothing."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from sqlalchemy import func, select

from services.requests.adapters.orm import DisclosureRequest
from services.requests.tests.conftest import API, request_body
from shared.testing import assert_problem


def signed(h, role: str, **claims: Any) -> dict[str, str]:
    """A token signed with the service's key, its claims exactly as given."""
    now = int(time.time())
    body = {"sub": f"{role}-1", "roles": [role], "iat": now, "exp": now + 600, **claims}
    return {"Authorization": f"Bearer {jwt.encode(body, h.settings.jwt_secret.get_secret_value(), algorithm='HS256')}"}


async def requests_stored(h) -> int:
    async with h.app.state.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(DisclosureRequest))).scalar_one()


@pytest.mark.parametrize("agency_id", [["a", "b"], {"id": "x"}, 7, ""])
async def test_an_officer_token_with_an_agency_id_that_is_not_a_string_is_401(harness, agency_id):
    h = harness
    headers = signed(h, "registrar", agency_id=agency_id)
    assert_problem(await h.client.get(f"{API}/queue", headers=headers), 401, "token_invalid")
    before = await requests_stored(h)
    registration = {**request_body(h.agency_a), "channel": "letter", "received_on": "2026-09-25"}
    assert_problem(await h.client.post(f"{API}/registrations", json=registration, headers=headers), 401, "token_invalid")
    assert await requests_stored(h) == before


@pytest.mark.parametrize("sub", ["", " "])
async def test_an_applicant_without_a_real_sub_is_401_and_submits_nothing(harness, sub):
    h = harness
    headers = signed(h, "applicant", sub=sub)
    assert_problem(await h.client.get(f"{API}/requests/mine", headers=headers), 401, "token_invalid")
    assert_problem(await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=headers), 401, "token_invalid")
    assert await requests_stored(h) == 0
