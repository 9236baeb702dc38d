"""Bad input (unknown category, oversized attachment, malformed dates, ...) gets problem+json and stores nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from services.catalog.adapters.orm import Document, DocumentAttachment, IndexSequence
from services.catalog.tests.conftest import API, CODE_FINANCE
from shared.testing import assert_problem

GOOD = {
    "title": "青山县民政局关于调整城乡低保标准的通知",
    "body": "各乡镇人民政府：现将城乡低保标准调整如下。",
    "category_code": "normative_document",
    "topic_code": "social_assistance",
    "made_on": "2026-11-02",
}
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


async def stored(c) -> dict[str, Any]:
    """Everything a document or an attachment writes."""
    files = sorted(p for p in Path(c.settings.storage_dir).rglob("*") if p.is_file()) if Path(c.settings.storage_dir).exists() else []
    return {
        "documents": await c.count(Document),
        "index_sequences": await c.count(IndexSequence),
        "attachments": await c.count(DocumentAttachment),
        "files": files,
        "outbox": len(await c.outbox()),
    }


# -- document creation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change,status,code,field",
    [
        ({"category_code": "no_such_category"}, 422, "unknown_category", "category_code"),
        ({"category_code": "social_assistance"}, 422, "unknown_category", "category_code"),  # a topic, not a category
        ({"topic_code": "no_such_topic"}, 422, "unknown_topic", "topic_code"),
        ({"topic_code": "plan"}, 422, "unknown_topic", "topic_code"),  # a category, not a topic
        ({"made_on": "2026-13-01"}, 422, "validation_failed", "made_on"),
        ({"made_on": "2026-02-30"}, 422, "validation_failed", "made_on"),
        ({"made_on": "昨天"}, 422, "validation_failed", "made_on"),
        ({"made_on": "2026-11-21"}, 422, "date_in_future", "made_on"),  # the pinned today is 2026-11-20
        ({"title": ""}, 422, "validation_failed", "title"),
        ({"title": "   "}, 422, "validation_failed", "title"),
        ({"title": "通" * 301}, 422, "validation_failed", "title"),
        ({"secret_level": "机密"}, 422, "validation_failed", "secret_level"),
        ({"keywords": [f"关键词{i}" for i in range(21)]}, 422, "validation_failed", "keywords"),
        ({"keywords": ["低保", ""]}, 422, "validation_failed", "keywords"),
        ({"decision_count": -1}, 422, "validation_failed", "decision_count"),
        ({"decision_count": 0}, 422, "validation_failed", "decision_count"),
        ({"fee_amount_yuan": "-1.00"}, 422, "validation_failed", "fee_amount_yuan"),
        ({"agency_id": "00000000-0000-0000-0000-000000000000"}, 422, "agency_not_found", "agency_id"),
    ],
)
async def test_bad_document_bodies_get_problem_json_and_store_nothing(catalog_app, change, status, code, field) -> None:
    c = catalog_app
    before = await stored(c)
    body = {"agency_id": c.civil, **GOOD, **change}
    r = await c.client.post(f"{API}/documents", json=body, headers=c.who("handler"))
    problem = assert_problem(r, status, code)
    assert any(field in e["field"] for e in problem.get("errors", [])), problem
    assert await stored(c) == before


async def test_the_same_body_without_the_fault_is_accepted(catalog_app) -> None:
    """The table above is not failing for some other reason."""
    c = catalog_app
    r = await c.client.post(
        f"{API}/documents",
        json={"agency_id": c.civil, **GOOD, "keywords": [f"关键词{i}" for i in range(20)], "title": "通" * 300, "made_on": "2026-11-20"},
        headers=c.who("handler"),
    )
    assert r.status_code == 201, r.text
    assert await c.count(Document) == 1


async def test_an_agency_without_a_credit_code_cannot_draft_until_it_has_one(catalog_app) -> None:
    c = catalog_app
    r = await c.client.post(
        f"{API}/agencies", json={"name": "青山县教育局", "kind": "department", "parent_id": c.county}, headers=c.who("admin")
    )
    assert r.status_code == 201, r.text
    education = r.json()["id"]
    before = await stored(c)
    r = await c.client.post(f"{API}/documents", json={"agency_id": education, **GOOD}, headers=c.who("handler", education))
    assert_problem(r, 409, "agency_credit_code_missing")
    assert await stored(c) == before
    # Once a code is registered (here the finance bureau's, freed first), drafting works and the 索引号 carries it.
    r = await c.client.patch(f"{API}/agencies/{c.finance}", json={"credit_code": None}, headers=c.who("admin"))
    assert r.status_code == 200, r.text
    r = await c.client.patch(f"{API}/agencies/{education}", json={"credit_code": CODE_FINANCE}, headers=c.who("admin"))
    assert r.status_code == 200, r.text
    r = await c.client.post(f"{API}/documents", json={"agency_id": education, **GOOD}, headers=c.who("handler", education))
    assert r.status_code == 201, r.text
    assert r.json()["index_number"] == f"{CODE_FINANCE}/2026-00001"


# -- attachments -----------------------------------------------------------------------------------


async def upload(
    c,
    document_id: str,
    data: bytes,
    content_type: str = "application/pdf",
    filename: str = "低保标准.pdf",
    who: dict[str, str] | None = None,
):
    return await c.client.post(
        f"{API}/documents/{document_id}/attachments", files={"file": (filename, data, content_type)}, headers=who or c.who("handler")
    )


@pytest.mark.parametrize(
    "data,content_type,status,code",
    [
        (PDF + b"0" * (64 * 1024), "application/pdf", 413, "attachment_too_large"),
        (b"<html><script>alert(1)</script></html>", "text/html", 415, "unsupported_media_type"),
        (b"MZ\x90\x00", "application/x-msdownload", 415, "unsupported_media_type"),
        (PNG, "application/pdf", 415, "content_mismatch"),
        (b"just some text pretending", "application/pdf", 415, "content_mismatch"),
        (
            b"MZ\x90\x00\x03\x00\x00\x00" + bytes(120),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            415,
            "content_mismatch",
        ),
        (b"<html><script>alert(1)</script></html>", "text/plain", 415, "content_mismatch"),
        (b"<html><script>alert(1)</script></html>", "application/ofd", 415, "content_mismatch"),
        (b"", "application/pdf", 422, "attachment_empty"),
    ],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(catalog_app, data, content_type, status, code) -> None:
    c = catalog_app
    d = await c.draft()
    before = await stored(c)
    assert_problem(await upload(c, d["id"], data, content_type), status, code)
    after = await stored(c)
    assert after == before and after["attachments"] == 0 and after["files"] == []
    assert (await c.client.get(f"{API}/documents/{d['id']}", headers=c.who("handler"))).json()["attachments"] == []


async def test_an_upload_exactly_at_the_limit_is_accepted(catalog_app) -> None:
    c = catalog_app
    d = await c.draft()
    data = PDF + b"0" * (64 * 1024 - len(PDF))
    r = await upload(c, d["id"], data)
    assert r.status_code == 201, r.text
    assert r.json()["size"] == 64 * 1024


async def test_a_draft_attachment_is_downloadable_only_once_published(catalog_app) -> None:
    c = catalog_app
    d = await c.draft()
    content = PDF + "城乡低保标准表".encode()
    r = await upload(c, d["id"], content, filename="低保标准.pdf")
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["sha256"] == hashlib.sha256(content).hexdigest() and a["size"] == len(content)
    assert a["content_type"] == "application/pdf" and a["filename"] == "低保标准.pdf"
    assert (await stored(c))["attachments"] == 1 and len((await stored(c))["files"]) == 1
    assert (await stored(c))["files"][0].read_bytes() == content
    officer = (await c.client.get(f"{API}/documents/{d['id']}", headers=c.who("handler"))).json()
    assert [x["id"] for x in officer["attachments"]] == [a["id"]]

    url = f"{API}/public/documents/{d['id']}/attachments/{a['id']}"
    assert_problem(await c.client.get(url), 404, "document_not_found")
    await c.step(d["id"], "submit", c.who("handler"))
    assert_problem(await c.client.get(url), 404, "document_not_found")  # in review is not public either
    await c.step(d["id"], "approve", c.who("reviewer"))

    r = await c.client.get(url)
    assert r.status_code == 200, r.text
    assert r.content == content
    assert r.headers["content-type"].startswith("application/pdf")
    assert r.headers["content-disposition"] == f"attachment; filename=\"download.pdf\"; filename*=UTF-8''{quote('低保标准.pdf')}"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["etag"] == f'"{a["sha256"]}"'
    public = (await c.client.get(f"{API}/public/documents/{d['id']}")).json()
    assert [x["id"] for x in public["attachments"]] == [a["id"]]

    # Not an attachment of this document, or none at all.
    other = await c.publish(title="另一份通知")
    assert_problem(await c.client.get(f"{API}/public/documents/{other['id']}/attachments/{a['id']}"), 404, "attachment_not_found")
    assert_problem(await c.client.get(f"{API}/public/documents/{d['id']}/attachments/nope"), 404, "attachment_not_found")

    # A published document takes no new attachments.
    before = await stored(c)
    r = await upload(c, d["id"], PDF)
    problem = assert_problem(r, 409, "illegal_transition")
    assert problem["current_status"] == "published"
    assert await stored(c) == before


async def test_attachments_are_scoped_to_the_officers_agency(catalog_app) -> None:
    c = catalog_app
    d = await c.draft()
    assert_problem(await upload(c, d["id"], PDF, who=c.who("handler", c.finance)), 404, "document_not_found")
    assert_problem(await upload(c, d["id"], PDF, who=c.who("reviewer")), 403, "forbidden_role")
    assert (await stored(c))["attachments"] == 0


# -- public search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params,code,field",
    [
        ({"page": 501}, "page_too_deep", "page"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "date_range_invalid", "from"),
        ({"category": "no_such_category"}, "unknown_category", "category"),
        ({"category": "social_assistance"}, "unknown_category", "category"),  # a topic, not a category
        ({"topic": "no_such_topic"}, "unknown_topic", "topic"),
        ({"topic": "plan"}, "unknown_topic", "topic"),  # a category, not a topic
        ({"q": "的"}, "query_too_vague", "q"),
        ({"q": "低"}, "query_too_vague", "q"),
        ({"q": "的 了 和"}, "query_too_vague", "q"),
        ({"agency_id": "no-such-agency"}, "agency_not_found", "agency_id"),
        ({"from": "昨天"}, "validation_failed", "from"),
        ({"page": 0}, "validation_failed", "page"),
    ],
)
async def test_bad_public_search_input_gets_422(catalog_app, params: dict[str, Any], code: str, field: str) -> None:
    c = catalog_app
    await c.publish()
    problem = assert_problem(await c.client.get(f"{API}/public/documents", params=params), 422, code)
    assert any(field in e["field"] for e in problem["errors"]), problem


async def test_search_limits_follow_the_settings_and_valid_edges_pass(catalog_app) -> None:
    c = catalog_app
    await c.publish()
    max_page = c.settings.search_max_page
    r = await c.client.get(f"{API}/public/documents", params={"page": max_page})
    assert r.status_code == 200 and r.json()["items"] == []
    assert_problem(await c.client.get(f"{API}/public/documents", params={"page": max_page + 1}), 422, "page_too_deep")
    r = await c.client.get(f"{API}/public/documents", params={"from": "2026-11-20", "to": "2026-11-20", "q": "低保"})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 1
