"""Edge values of catalog input: refused with 4xx problem+json, never a server error."""

from __future__ import annotations

import pytest

from services.catalog.tests.conftest import API
from shared.testing import assert_problem


async def test_an_empty_parent_code_makes_a_top_level_category(catalog_app) -> None:
    c = catalog_app
    admin = c.who("admin")
    r = await c.client.post(
        f"{API}/categories", json={"code": "open_data", "name": "开放数据", "kind": "category", "parent_code": ""}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert r.json()["parent_code"] is None
    r = await c.client.post(
        f"{API}/categories", json={"code": "open_data_sub", "name": "数据集", "kind": "category", "parent_code": "  "}, headers=admin
    )
    assert r.status_code == 201, r.text and r.json()["parent_code"] is None


@pytest.mark.parametrize(
    "params,field",
    [
        ({"page": str(2**63)}, "page"),
        ({"page": str(10**30)}, "page"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
    ],
)
async def test_out_of_range_search_parameters_are_422(catalog_app, params, field) -> None:
    r = await catalog_app.client.get(f"{API}/public/documents", params=params)
    body = assert_problem(r, 422)
    assert field in [e["field"] for e in body.get("errors", [])]


async def test_officer_listing_pages_are_bounded(catalog_app) -> None:
    c = catalog_app
    for page in (str(2**63), "10001"):
        assert_problem(await c.client.get(f"{API}/documents", params={"page": page}, headers=c.who("handler")), 422, "validation_failed")
    r = await c.client.get(f"{API}/documents", params={"page": "10000"}, headers=c.who("handler"))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("made_on", ["0001-01-01", "1969-12-31"])
async def test_a_document_made_before_1970_is_422(catalog_app, made_on) -> None:
    c = catalog_app
    r = await c.client.post(
        f"{API}/documents",
        json={"agency_id": c.civil, "title": "通知", "body": "正文", "category_code": "normative_document", "made_on": made_on},
        headers=c.who("handler", c.civil),
    )
    body = assert_problem(r, 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["made_on"]
