"""End to end with the requests service, a real broker and a real SMTP server started by the test."""

from __future__ import annotations

import asyncio
from datetime import date
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from services.notify.adapters.orm import Notification
from services.notify.app import create_app as notify_app
from services.notify.service.fanout import fan_out
from services.notify.settings import NotifySettings
from services.requests.app import create_app as requests_app
from services.requests.service.agency_replica import on_agency_registered
from services.requests.settings import RequestsSettings
from services.requests.tests.conftest import replicate_officer
from shared.contracts.catalog import AgencyRegistered
from shared.db import new_id
from shared.events import Actor
from shared.testing import auth, eventually, free_port, running_app, settings_for

API = "/api/v1/requests"


class Mailbox:
    """An SMTP server's handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for m in self.messages]


@pytest.fixture
def smtp():
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port, controller
    try:
        controller.stop()
    except Exception:
        pass


def _body(agency_id: str) -> dict:
    return {
        "agency_id": agency_id,
        "description": "请公开2025年度城乡低保资金发放情况",
        "applicant": {
            "type": "natural_person",
            "name": "张三",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "mobile": "13800138000",
            "email": "zhangsan@example.com",
        },
    }


async def _seed_agency(runtime) -> str:
    agency = new_id()
    event = AgencyRegistered(agency_id=agency, name="某某县民政局", kind="department")
    async with runtime.uow() as uow:
        await on_agency_registered(uow, event.envelope(source="catalog", aggregate_id=agency, actor=Actor.system("test")))
        await uow.commit()
    return agency


async def test_submission_gives_an_inbox_receipt_and_an_email_and_the_answer_gives_the_answer_notice(
    broker, databases, topic_prefix, smtp, tmp_path
):
    mailbox, port, _ = smtp
    rs = settings_for(
        RequestsSettings,
        database_url=await databases.new("requests"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        storage_dir=str(tmp_path),
        run_scheduler=False,
        run_consumers=False,
    )
    ns = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        smtp_host="127.0.0.1",
        smtp_port=port,
        dispatch_interval_seconds=0.2,
    )
    req_app, note_app = requests_app(rs), notify_app(ns)
    async with running_app(req_app) as requests, running_app(note_app) as notify:
        req_app.state.today = lambda: date(2026, 9, 28)
        agency = await _seed_agency(req_app.state.runtime)
        await replicate_officer(req_app.state.runtime, "handler-1", [agency])
        applicant = auth(rs, "applicant", sub="citizen-1")
        created = await requests.post(f"{API}/requests", json=_body(agency), headers=applicant)
        assert created.status_code == 201, created.text
        rid = created.json()["id"]

        async def receipt_in_inbox():
            return [
                m
                for m in (await notify.get("/api/v1/notify/inbox", headers=auth(ns, "applicant", sub="citizen-1"))).json()
                if m["kind"] == "receipt"
            ]

        receipt = (await eventually(receipt_in_inbox, timeout=60, message="receipt in the inbox"))[0]
        assert created.json()["tracking_number"] in receipt["subject"] and "2026-10-30" in receipt["body"]
        await eventually(lambda: any("受理回执" in s for s in mailbox.subjects()), timeout=30, message="receipt e-mail")
        mail = next(m for m in mailbox.messages if "受理回执" in str(make_header(decode_header(m["Subject"]))))
        assert mail["To"] == "zhangsan@example.com"

        head, handler, reviewer = (auth(rs, r, agency_id=agency, sub=f"{r}-1") for r in ("head", "handler", "reviewer"))
        for path, body, who in [
            ("assign", {"assignee_sub": "handler-1"}, head),
            ("answer", {"category": "not_disclosed", "reason": "state_secret", "letter": "经审查，属于国家秘密。"}, handler),
            ("review/approve", {}, reviewer),
            ("answer/dispatch", {}, handler),
        ]:
            r = await requests.post(f"{API}/requests/{rid}/{path}", json=body, headers=who)
            assert r.status_code == 200, r.text

        async def answer_notice():
            return [
                m
                for m in (await notify.get("/api/v1/notify/inbox", headers=auth(ns, "applicant", sub="citizen-1"))).json()
                if m["kind"] == "answer_notice"
            ]

        notice = (await eventually(answer_notice, timeout=60, message="answer notice"))[0]
        assert "不予公开" in notice["body"] and "行政复议" in notice["body"] and "6个月" in notice["body"]
        assignment = await notify.get("/api/v1/notify/inbox", headers=auth(ns, "handler", agency_id=agency, sub="handler-1"))
        assert [m["kind"] for m in assignment.json()] == ["assignment"]
        await eventually(lambda: sum("答复" in s for s in mailbox.subjects()) >= 1, timeout=30, message="answer e-mail")

        async def proof_of_service():
            # The dispatcher records "sent" in its own transaction after the SMTP server took the message.
            rows = (
                await notify.get("/api/v1/notify/deliveries", params={"request_id": rid}, headers=auth(ns, "handler", agency_id=agency))
            ).json()
            emails = {(d["kind"], d["channel"], d["status"]) for d in rows if d["channel"] == "email"}
            return rows if emails == {("receipt", "email", "sent"), ("answer_notice", "email", "sent")} else None

        rows = await eventually(proof_of_service, timeout=30, message="both e-mails recorded as sent")
        assert all("13800138000" not in d["address"] and "zhangsan@" not in d["address"] for d in rows)


async def test_redelivered_events_send_nothing_twice_and_an_smtp_outage_delivers_everything_once_after_recovery(
    broker, databases, topic_prefix, smtp
):
    mailbox, port, controller = smtp
    controller.stop()  # the provider is down
    ns = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        smtp_host="127.0.0.1",
        smtp_port=port,
        dispatch_interval_seconds=0.1,
        retry_base_seconds=0.2,
        retry_max_seconds=0.5,
        run_consumers=False,
    )
    app = notify_app(ns)
    async with running_app(app):
        runtime = app.state.runtime
        from shared.contracts.requests import Contact, RequestReceived

        events = [
            RequestReceived(
                request_id=new_id(),
                tracking_number=f"2026-T-{i}",
                agency_id="a1",
                state="received",
                applicant_sub=f"c{i}",
                applicant_type="natural_person",
                channel="online",
                received_on=date(2026, 9, 28),
                due_on=date(2026, 10, 30),
                contact=Contact(name="李四", email=f"lisi{i}@example.com"),
            ).envelope(source="requests", aggregate_id=f"r{i}", agency_id="a1", actor=Actor.system("t"))
            for i in range(3)
        ]
        for _ in range(2):  # the same events twice, as on a redelivery
            for envelope in events:
                async with runtime.uow() as uow:
                    await fan_out(uow, envelope, site="某县")
                    await uow.commit()
        async with runtime.sessions() as s:
            assert (await s.execute(select(func.count()).select_from(Notification))).scalar_one() == 6  # inbox + e-mail each

        async def retried() -> bool:
            async with runtime.sessions() as s:
                rows = (await s.execute(select(Notification).where(Notification.channel == "email"))).scalars().all()
                return all(n.attempts >= 2 and n.status == "pending" and n.last_error for n in rows)

        await eventually(retried, timeout=30, message="e-mails retried while SMTP is down")

        restarted = Controller(mailbox, hostname="127.0.0.1", port=port)
        restarted.start()
        try:
            await eventually(lambda: len(mailbox.messages) >= 3, timeout=30, message="all e-mails after recovery")
            await asyncio.sleep(1.0)
            assert sorted(m["To"] for m in mailbox.messages) == [f"lisi{i}@example.com" for i in range(3)]
            async with runtime.sessions() as s:
                statuses = (await s.execute(select(Notification.status).where(Notification.channel == "email"))).scalars().all()
            assert statuses == ["sent"] * 3
        finally:
            restarted.stop()
