"""Problem details, correlation ids and the ops endpoints, through a real catalog app."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from shared.testing import assert_problem, auth, free_port, running_app, settings_for

AGENCIES = "/api/v1/catalog/agencies"
CJK = re.compile(r"[\u4e00-\u9fff]")
UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@contextlib.asynccontextmanager
async def catalog(
    databases, bootstrap: str, topic_prefix: str, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, CatalogSettings]]:
    settings = settings_for(
        CatalogSettings, database_url=await databases.new("catalog"), bootstrap=bootstrap, prefix=topic_prefix, **overrides
    )
    async with running_app(create_app(settings)) as client:
        yield client, settings


@pytest.fixture
async def app(databases, broker, topic_prefix) -> AsyncIterator[tuple[httpx.AsyncClient, CatalogSettings]]:
    async with catalog(databases, broker.bootstrap, topic_prefix) as pair:
        yield pair


# -- problem+json for every error path --------------------------------------------------------


async def test_an_invalid_agency_is_422_naming_every_bad_field_in_chinese(app):
    client, settings = app
    resp = await client.post(
        AGENCIES, json={"name": "局", "kind": "ministry", "credit_code": "91350100M000100Y44"}, headers=auth(settings, "admin")
    )
    body = assert_problem(resp, 422, "validation_failed")
    errors = body["errors"]
    assert isinstance(errors, list)
    by_field = {e["field"]: e for e in errors}
    assert {"name", "kind", "credit_code"} <= set(by_field), errors
    for field in ("name", "kind", "credit_code"):
        assert CJK.search(by_field[field]["message"]), by_field[field]
        assert by_field[field]["location"] == "body"
    assert "2" in by_field["name"]["message"]  # the minimum length is stated
    assert "department" in by_field["kind"]["message"]  # the allowed values are listed
    assert "统一社会信用代码" in by_field["credit_code"]["message"]
    for field in ("name", "kind", "credit_code"):
        assert field in body["detail"]
    # nothing was created
    assert (await client.get(AGENCIES)).json() == []


async def test_a_body_that_is_not_json_is_422_problem(app):
    client, settings = app
    resp = await client.post(AGENCIES, content=b"{not json", headers={**auth(settings, "admin"), "Content-Type": "application/json"})
    body = assert_problem(resp, 422, "validation_failed")
    assert body["errors"]


async def test_a_missing_required_field_is_reported_in_chinese(app):
    client, settings = app
    resp = await client.post(AGENCIES, json={"name": "某某县财政局"}, headers=auth(settings, "admin"))
    body = assert_problem(resp, 422, "validation_failed")
    kind = next(e for e in body["errors"] if e["field"] == "kind")
    assert kind["type"] == "missing"
    assert kind["message"] == "必填项缺失"


async def test_an_unknown_route_is_404_problem(app):
    client, _ = app
    resp = await client.get("/api/v1/catalog/no-such-thing")
    body = assert_problem(resp, 404, "not_found")
    assert body["instance"] == "/api/v1/catalog/no-such-thing"


async def test_a_wrong_method_is_405_problem(app):
    client, _ = app
    resp = await client.delete("/healthz")
    assert_problem(resp, 405, "method_not_allowed")


async def test_an_unknown_agency_is_404_agency_not_found(app):
    client, _ = app
    resp = await client.get(f"{AGENCIES}/does-not-exist")
    body = assert_problem(resp, 404, "agency_not_found")
    assert body["instance"] == f"{AGENCIES}/does-not-exist"


async def test_a_duplicate_agency_name_is_409_and_changes_nothing(app):
    client, settings = app
    first = await client.post(AGENCIES, json={"name": "某某县人民政府", "kind": "county_government"}, headers=auth(settings, "admin"))
    assert first.status_code == 201, first.text
    again = await client.post(AGENCIES, json={"name": "某某县人民政府", "kind": "department"}, headers=auth(settings, "admin"))
    assert_problem(again, 409, "agency_exists")
    listing = (await client.get(AGENCIES)).json()
    assert len(listing) == 1
    assert listing[0]["id"] == first.json()["id"]
    assert listing[0]["kind"] == "county_government"


async def test_a_duplicate_credit_code_is_409(app):
    client, settings = app
    first = await client.post(
        AGENCIES,
        json={"name": "某某县市场监督管理局", "kind": "department", "credit_code": "91350100M000100Y43"},
        headers=auth(settings, "admin"),
    )
    assert first.status_code == 201, first.text
    assert first.json()["credit_code"] == "91350100M000100Y43"
    again = await client.post(
        AGENCIES, json={"name": "另一个机关", "kind": "department", "credit_code": "91350100m000100y43"}, headers=auth(settings, "admin")
    )
    assert_problem(again, 409, "agency_exists")
    assert len((await client.get(AGENCIES)).json()) == 1


async def test_an_unknown_parent_agency_is_422(app):
    client, settings = app
    resp = await client.post(
        AGENCIES, json={"name": "某某镇人民政府", "kind": "township", "parent_id": "nope"}, headers=auth(settings, "admin")
    )
    body = assert_problem(resp, 422, "parent_agency_not_found")
    assert body["errors"][0]["field"] == "parent_id"


# -- correlation id ---------------------------------------------------------------------------


async def test_the_request_id_is_echoed_and_appears_in_the_problem_body(app):
    client, _ = app
    rid = f"req-{uuid.uuid4().hex}"
    resp = await client.get(f"{AGENCIES}/does-not-exist", headers={"X-Request-ID": rid})
    body = assert_problem(resp, 404, "agency_not_found")
    assert resp.headers["x-request-id"] == rid
    assert body["correlation_id"] == rid


async def test_the_request_id_is_echoed_on_success_too(app):
    client, _ = app
    resp = await client.get(AGENCIES, headers={"X-Request-ID": "abc.DEF_1:2-3"})
    assert resp.status_code == 200
    assert resp.headers["x-request-id"] == "abc.DEF_1:2-3"


async def test_a_request_without_an_id_gets_a_generated_one(app):
    client, _ = app
    resp = await client.get(f"{AGENCIES}/does-not-exist")
    body = assert_problem(resp, 404)
    assert UUID_TEXT.match(resp.headers["x-request-id"]), resp.headers["x-request-id"]
    assert body["correlation_id"] == resp.headers["x-request-id"]


@pytest.mark.parametrize("bad", ["has spaces in it", "x" * 129, "semi;colon", "<script>", "引号"])
async def test_an_invalid_request_id_is_replaced_by_a_generated_one(app, bad):
    client, _ = app
    resp = await client.get(f"{AGENCIES}/does-not-exist", headers={"X-Request-ID": bad.encode()})
    body = assert_problem(resp, 404)
    echoed = resp.headers["x-request-id"]
    assert echoed != bad
    assert UUID_TEXT.match(echoed), echoed
    assert body["correlation_id"] == echoed


async def test_a_request_id_of_exactly_128_chars_is_kept(app):
    client, _ = app
    rid = "a" * 128
    resp = await client.get(AGENCIES, headers={"X-Request-ID": rid})
    assert resp.headers["x-request-id"] == rid


async def test_an_unhandled_error_is_500_problem_with_the_correlation_id(databases, broker, topic_prefix):
    settings = settings_for(
        CatalogSettings, database_url=await databases.new("catalog"), bootstrap=broker.bootstrap, prefix=topic_prefix, run_workers=False
    )
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            resp = await client.get("/boom", headers={"X-Request-ID": "req-boom-1"})
    body = assert_problem(resp, 500, "internal_error")
    assert "unexpected" not in resp.text  # no internals leak
    assert resp.headers.get("x-request-id") == "req-boom-1"
    assert body.get("correlation_id") == "req-boom-1"


# -- ops endpoints -----------------------------------------------------------------------------


async def test_healthz_is_ok(app):
    client, _ = app
    resp = await client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


async def test_readyz_reports_database_and_broker_ok(app):
    client, _ = app
    resp = await client.get("/readyz")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "broker": "ok"}


async def test_metrics_count_http_requests(app):
    client, _ = app
    await client.get(f"{AGENCIES}/does-not-exist")
    resp = await client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    text = resp.text
    assert "http_requests_total" in text
    # the 404 above is counted under its route template, not its concrete path (bounded label cardinality).
    assert re.search(
        r'http_requests_total\{[^}]*route="/api/v1/catalog/agencies/\{agency_id\}"[^}]*service="catalog"[^}]*status="404"[^}]*\} [1-9]',
        text,
    ), text
    assert "/does-not-exist" not in text


async def test_readyz_is_503_not_ready_when_the_broker_is_unreachable(databases, topic_prefix):
    async with catalog(databases, f"127.0.0.1:{free_port()}", topic_prefix, run_workers=False) as (client, _):
        resp = await client.get("/readyz")
        body = assert_problem(resp, 503, "not_ready")
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["broker"] != "ok"
        # liveness does not depend on the broker
        assert (await client.get("/healthz")).status_code == 200


async def test_openapi_is_served_with_the_problem_schema(app):
    client, _ = app
    resp = await client.get("/openapi.json")
    assert resp.status_code == 200
    doc = resp.json()
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    post = doc["paths"][AGENCIES]["post"]
    assert "201" in post["responses"]
    for status in ("401", "403", "422"):
        assert post["responses"][status]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
