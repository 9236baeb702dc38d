"""Body and header caps in the services themselves: 413 and 431 before anything is parsed."""

from __future__ import annotations

import httpx
import pytest

from services.identity.app import create_app as identity_app
from services.identity.tests.conftest import API as IDENTITY
from services.identity.tests.conftest import identity_settings
from services.requests.app import create_app as requests_app
from services.requests.settings import RequestsSettings
from services.requests.tests.test_access_and_input import PDF
from shared.middleware import SizeLimitMiddleware
from shared.testing import assert_problem, served, settings_for

MB = 1024 * 1024
THIRTY_MB_JSON = b'{"phone":"13912345678","captcha_id":"x","captcha_answer":"' + b"1" * (30 * MB) + b'"}'


async def test_a_declared_body_over_the_cap_is_refused_without_reading_it():
    calls: list[str] = []

    async def app(scope, receive, send):
        calls.append("app")

    async def receive():
        calls.append("receive")
        return {"type": "http.request", "body": THIRTY_MB_JSON, "more_body": False}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/identity/sms/send",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(THIRTY_MB_JSON)).encode())],
    }
    await SizeLimitMiddleware(app, max_body_bytes=MB, max_header_bytes=8192)(scope, receive, send)
    assert calls == [] and sent[0]["status"] == 413  # neither the app nor a single receive()


@pytest.fixture
async def identity_url(broker, databases, topic_prefix, tmp_path):
    from shared.testing import running_app

    settings = identity_settings(broker, await databases.new("identity"), topic_prefix, sms_outbox_path=str(tmp_path / "o.jsonl"))
    app = identity_app(settings)
    async with running_app(app), served(app, lifespan="off") as url:
        yield url


async def test_thirty_megabytes_of_json_to_a_public_endpoint_is_413(identity_url):
    async with httpx.AsyncClient(base_url=identity_url, timeout=30) as client:
        resp = await client.post(f"{IDENTITY}/sms/send", content=THIRTY_MB_JSON, headers={"content-type": "application/json"})
        body = assert_problem(resp, 413, "payload_too_large")
        assert "1 MB" in body["detail"] and body["max_bytes"] == MB


async def test_a_chunked_body_is_cut_off_when_it_streams_past_the_cap(identity_url):
    streamed = 0

    async def chunks():
        nonlocal streamed
        for _ in range(30):
            streamed += MB
            yield b"1" * MB

    async with httpx.AsyncClient(base_url=identity_url, timeout=30) as client:
        try:
            resp = await client.post(f"{IDENTITY}/sms/send", content=chunks(), headers={"content-type": "application/json"})
        except httpx.HTTPError:  # the server may close before the client has finished writing
            pytest.fail("the server should answer 413, not drop the connection")
        assert "content-length" not in resp.request.headers
        assert_problem(resp, 413, "payload_too_large")


async def test_huge_request_headers_are_431(identity_url):
    async with httpx.AsyncClient(base_url=identity_url, timeout=30) as client:
        resp = await client.get(f"{IDENTITY}/captcha", headers={"cookie": "a=" + "x" * 12_000})
        assert_problem(resp, 431, "request_headers_too_large")
        assert (await client.post(f"{IDENTITY}/captcha")).status_code == 200


async def test_uploads_have_their_own_larger_cap(broker, databases, topic_prefix, tmp_path):
    from shared.testing import auth, running_app

    settings = settings_for(
        RequestsSettings,
        database_url=await databases.new("requests"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        storage_dir=str(tmp_path / "files"),
        run_scheduler=False,
        run_consumers=False,
        max_body_bytes=64 * 1024,
        attachment_max_bytes=2 * MB,
    )
    app = requests_app(settings)
    applicant = auth(settings, "applicant", sub="citizen-1")
    pdf = PDF[:-6] + b"%" + b" " * (MB - len(PDF)) + b"\n%%EOF\n"  # a 1 MB PDF: over the JSON cap, under the upload cap
    async with running_app(app) as client:
        ok = await client.post("/api/v1/requests/attachments", files={"file": ("证明.pdf", pdf, "application/pdf")}, headers=applicant)
        assert ok.status_code == 201, ok.text
        json_body = await client.post(
            "/api/v1/requests/requests",
            content=b'{"x":"' + b"1" * (100 * 1024) + b'"}',
            headers={**applicant, "content-type": "application/json"},
        )
        assert_problem(json_body, 413, "payload_too_large")
        huge = await client.post(
            "/api/v1/requests/attachments", files={"file": ("证明.pdf", pdf * 3, "application/pdf")}, headers=applicant
        )
        assert_problem(huge, 413, "payload_too_large")
