"""Webhooks: pushed once per subscription, HMAC-signed, retried after a receiver failure, filtered, logged."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import date

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.notify.app import create_app
from services.notify.service.webhooks import enqueue
from services.notify.settings import NotifySettings
from shared.contracts.requests import AnswerDispatched, RequestReceived
from shared.db import new_id
from shared.events import Actor
from shared.testing import auth, eventually, free_port, running_app, settings_for


class Receiver:
    """An agency system's webhook endpoint: checks the signature, fails the first call of each delivery once."""

    def __init__(self, fail_first: bool = True, status: int = 200) -> None:
        self.secret = ""
        self.calls: list[dict] = []
        self.fail_first, self.status = fail_first, status

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        expected = (
            "sha256="
            + hmac.new(self.secret.encode(), request.headers["X-Webhook-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        valid = hmac.compare_digest(expected, request.headers["X-Webhook-Signature"])
        delivery = request.headers["X-Webhook-Delivery"]
        first = all(c["delivery"] != delivery for c in self.calls)
        self.calls.append({"delivery": delivery, "valid": valid, "event": json.loads(body)})
        if not valid:
            return Response(status_code=401)
        if self.fail_first and first:
            return Response(status_code=503)
        return Response(status_code=self.status)


@pytest.fixture
async def receiver():
    r = Receiver()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=[Route("/hook", r.endpoint, methods=["POST"])]), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield r, f"http://127.0.0.1:{port}/hook"
    server.should_exit = True
    await task


def _event(cls, agency: str, **extra):
    rid = new_id()
    event = cls(
        request_id=rid,
        tracking_number="2026-T-1",
        agency_id=agency,
        state="received",
        applicant_type="natural_person",
        channel="online",
        received_on=date(2026, 9, 28),
        **extra,
    )
    return event.envelope(source="requests", aggregate_id=rid, agency_id=agency, actor=Actor.system("t"))


async def test_a_subscribed_event_arrives_once_signed_after_a_receiver_failure_and_others_are_filtered(
    broker, databases, topic_prefix, receiver
):
    r, url = receiver
    settings = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        run_consumers=False,
        dispatch_interval_seconds=0.1,
        retry_base_seconds=0.2,
        webhook_allowed_hosts=["127.0.0.1/32"],
    )  # the local receiver stands in for an agency system
    app = create_app(settings)
    agency, other = new_id(), new_id()
    async with running_app(app) as client:
        head = auth(settings, "head", agency_id=agency)
        created = await client.post("/api/v1/notify/webhooks", json={"url": url, "event_types": ["RequestReceived"]}, headers=head)
        assert created.status_code == 201, created.text
        r.secret = created.json()["secret"]
        assert (await client.get("/api/v1/notify/webhooks", headers=head)).json()[0]["url"] == url
        assert "secret" not in (await client.get("/api/v1/notify/webhooks", headers=head)).json()[0]

        wanted = _event(RequestReceived, agency)
        for envelope in (
            wanted,
            wanted,
            _event(RequestReceived, other),  # redelivery; another agency
            _event(
                AnswerDispatched,
                agency,
                answer_id="a",
                category="disclosed",
                reason="provided",
                answered_on=date(2026, 10, 9),
                on_time=True,
                working_days_taken=8,
            ),
        ):  # type not subscribed
            async with app.state.runtime.uow() as uow:
                await enqueue(uow, envelope)
                await uow.commit()

        await eventually(lambda: sum(1 for c in r.calls if c["valid"]) >= 2, timeout=30, message="retried delivery")
        await asyncio.sleep(1.0)
        assert {c["event"]["event_id"] for c in r.calls} == {wanted.event_id}
        assert len(r.calls) == 2 and all(c["valid"] for c in r.calls) and len({c["delivery"] for c in r.calls}) == 1
        log = (await client.get(f"/api/v1/notify/webhooks/{created.json()['id']}/deliveries", headers=head)).json()
        assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("sent", 2, 200)]

        stranger = auth(settings, "head", agency_id=other)
        assert (await client.get(f"/api/v1/notify/webhooks/{created.json()['id']}/deliveries", headers=stranger)).status_code == 404
        assert (
            await client.post("/api/v1/notify/webhooks", json={"url": url}, headers=auth(settings, "handler", agency_id=agency))
        ).status_code == 403


async def test_a_receiver_answering_404_is_not_retried(broker, databases, topic_prefix, receiver):
    r, url = receiver
    r.fail_first, r.status = False, 404
    settings = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        run_consumers=False,
        dispatch_interval_seconds=0.1,
        retry_base_seconds=0.2,
        webhook_allowed_hosts=["127.0.0.1/32"],
    )  # the local receiver stands in for an agency system
    app = create_app(settings)
    agency = new_id()
    async with running_app(app) as client:
        admin = auth(settings, "admin")
        created = await client.post("/api/v1/notify/webhooks", json={"url": url, "agency_id": None}, headers=admin)
        r.secret = created.json()["secret"]
        async with app.state.runtime.uow() as uow:
            await enqueue(uow, _event(RequestReceived, agency))
            await uow.commit()

        async def failed():
            log = (await client.get(f"/api/v1/notify/webhooks/{created.json()['id']}/deliveries", headers=admin)).json()
            return log and log[0]["status"] == "failed" and log

        log = await eventually(failed, timeout=30, message="permanent failure")
        assert log[0]["attempts"] == 1 and log[0]["last_status_code"] == 404 and len(r.calls) == 1
