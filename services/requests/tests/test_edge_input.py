"""Edge paging values on the request listings: refused with 422 problem+json, never a server error."""

from __future__ import annotations

import pytest

from services.requests.tests.conftest import API, request_body
from shared.testing import assert_problem


@pytest.mark.parametrize("page", [str(2**63), str(2**63 - 1), str(10**30), "10001"])
@pytest.mark.parametrize(("path", "role"), [("/queue", "handler"), ("/requests/mine", "applicant")])
async def test_page_numbers_past_the_bound_are_422(harness, path, role, page):
    r = await harness.client.get(f"{API}{path}", params={"page": page}, headers=harness.who(role))
    body = assert_problem(r, 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["page"]


@pytest.mark.parametrize(("path", "role"), [("/queue", "handler"), ("/requests/mine", "applicant")])
async def test_the_last_allowed_page_is_empty_not_an_error(harness, path, role):
    r = await harness.client.get(f"{API}{path}", params={"page": "10000", "page_size": "100"}, headers=harness.who(role))
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []


@pytest.mark.parametrize("received_on", ["0001-01-01", "1969-12-31"])
async def test_a_registration_dated_before_1970_is_422_and_stores_nothing(harness, received_on):
    h = harness
    body = {**request_body(h.agency_a), "channel": "registered_post", "received_on": received_on}
    r = await h.client.post(f"{API}/registrations", json=body, headers=h.who("registrar"))
    assert_problem(r, 422, "validation_failed")
