"""Issue #13, defect 5: a correctly signed token with claims of the wrong shape is a 401, never a 500,
and an empty or blank `sub` cannot slip through the four-eyes check (one person drafting and approving).

The tokens are signed with the service's own key, so only the claims' shapes are under test.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from services.catalog.adapters.orm import Document
from services.catalog.tests.conftest import API
from shared.testing import assert_problem


def signed(c, role: str = "handler", **claims: Any) -> dict[str, str]:
    """A token signed with the service's key, its claims exactly as given (none filled in or dropped)."""
    now = int(time.time())
    body = {"sub": "officer-1", "roles": [role], "iat": now, "exp": now + 600, **claims}
    return {"Authorization": f"Bearer {jwt.encode(body, c.settings.jwt_secret.get_secret_value(), algorithm='HS256')}"}


@pytest.mark.parametrize("agency_id", [["a", "b"], {"id": "x"}, 7, True, ""])
async def test_an_agency_id_that_is_not_a_string_is_401_not_500(catalog_app, agency_id) -> None:
    c = catalog_app
    headers = signed(c, agency_id=agency_id)
    for method, path in (("GET", f"{API}/documents"), ("GET", f"{API}/documents/overdue"), ("GET", f"{API}/suggestions")):
        assert_problem(await c.client.request(method, path, headers=headers), 401, "token_invalid")
    before = await c.count(Document)
    draft = {
        "agency_id": c.civil,
        "title": "青山县民政局关于调整城乡低保标准的通知",
        "body": "正文。",
        "category_code": "normative_document",
        "made_on": "2026-11-02",
    }
    assert_problem(await c.client.post(f"{API}/documents", json=draft, headers=headers), 401, "token_invalid")
    assert await c.count(Document) == before


@pytest.mark.parametrize("claims", [{"roles": "handler"}, {"roles": [["handler"]]}, {"name": {"zh": "张三"}}])
async def test_roles_or_name_of_the_wrong_shape_are_401(catalog_app, claims) -> None:
    c = catalog_app
    assert (await c.client.get(f"{API}/documents", headers=signed(c, agency_id=c.civil))).status_code == 200  # the shape is the fault
    assert_problem(await c.client.get(f"{API}/documents", headers=signed(c, **({"agency_id": c.civil} | claims))), 401, "token_invalid")


@pytest.mark.parametrize("sub", ["", " ", "\t"])
async def test_an_empty_or_blank_sub_neither_drafts_nor_approves(catalog_app, sub) -> None:
    """The four-eyes check compares identities: a caller without one is refused before it runs."""
    c = catalog_app
    nobody_handler = signed(c, "handler", sub=sub, agency_id=c.civil)
    nobody_reviewer = signed(c, "reviewer", sub=sub, agency_id=c.civil)
    before = await c.count(Document)
    draft = {
        "agency_id": c.civil,
        "title": "青山县民政局关于调整城乡低保标准的通知",
        "body": "正文。",
        "category_code": "normative_document",
        "made_on": "2026-11-02",
    }
    assert_problem(await c.client.post(f"{API}/documents", json=draft, headers=nobody_handler), 401, "token_invalid")
    assert await c.count(Document) == before
    # A real handler's draft in review: the nameless reviewer cannot approve it either.
    d = await c.draft()
    await c.step(d["id"], "submit", c.who("handler"))
    assert_problem(await c.client.post(f"{API}/documents/{d['id']}/approve", headers=nobody_reviewer), 401, "token_invalid")
    now = (await c.client.get(f"{API}/documents/{d['id']}", headers=c.who("handler"))).json()
    assert now["status"]["code"] != "published"


async def test_the_same_person_cannot_draft_and_approve(catalog_app) -> None:
    """The check the empty sub used to slip past, with real identities: the drafter is refused, another reviewer approves."""
    c = catalog_app
    d = await c.draft(as_=c.who("head", sub="one-person"))
    await c.step(d["id"], "submit", c.who("head", sub="one-person"))
    assert_problem(
        await c.client.post(f"{API}/documents/{d['id']}/approve", headers=c.who("head", sub="one-person")), 403, "separation_of_duties"
    )
    assert (await c.client.post(f"{API}/documents/{d['id']}/approve", headers=c.who("reviewer", sub="someone-else"))).status_code == 200
