"""The officer directory across services on the real broker: identity → requests (assignees) and notify (work e-mail)."""

from __future__ import annotations

from datetime import date
from email.header import decode_header, make_header

from sqlalchemy import select

from services.identity.adapters.orm import Account, Officer, OfficerRole
from services.identity.app import create_app as identity_app
from services.identity.service.agency_replica import on_agency_event
from services.identity.service.sessions import start_session
from services.identity.settings import IdentitySettings
from services.notify.adapters.orm import KnownOfficer as NotifyKnownOfficer
from services.notify.adapters.orm import Notification
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.notify.tests.test_notify_e2e import _body
from services.notify.tests.test_notify_e2e import smtp as smtp  # noqa: F401  (a fixture: a real local SMTP server)
from services.requests.adapters.orm import KnownOfficer
from services.requests.app import create_app as requests_app
from services.requests.service.agency_replica import on_agency_registered
from services.requests.settings import RequestsSettings
from shared.contracts.catalog import AgencyRegistered
from shared.db import new_id
from shared.events import Actor
from shared.testing import assert_problem, auth, eventually, running_app, settings_for

IDENTITY = "/api/v1/identity"
REQUESTS = "/api/v1/requests"


async def _agency_everywhere(identity_runtime, requests_runtime, agency: str) -> None:
    """The catalog's AgencyRegistered, applied to both replicas (the catalog itself is not under test here)."""
    envelope = AgencyRegistered(agency_id=agency, name="某某县民政局", kind="department").envelope(
        source="catalog", aggregate_id=agency, actor=Actor.system("test")
    )
    for runtime, handler in ((identity_runtime, on_agency_event), (requests_runtime, on_agency_registered)):
        async with runtime.uow() as uow:
            await handler(uow, envelope)
            await uow.commit()


async def _identity_admin(app, settings, agency: str) -> dict[str, str]:
    async with app.state.runtime.uow() as uow:
        account = Account(kind="officer", status="active")
        uow.session.add(account)
        await uow.session.flush()
        uow.session.add(Officer(account_id=account.id, name="系统管理员", status="active"))
        await uow.session.flush()
        uow.session.add(OfficerRole(account_id=account.id, agency_id=agency, role="admin"))
        pair = await start_session(uow, app.state.keyring, settings, account, methods="pwd")
        await uow.commit()
    return {"Authorization": f"Bearer {pair.access_token}"}


async def test_an_officer_added_in_identity_can_be_assigned_and_gets_the_notice_at_the_directory_email(
    broker, databases, topic_prefix, smtp, tmp_path
):  # noqa: F811
    mailbox, port, _ = smtp
    common = dict(bootstrap=broker.bootstrap, prefix=topic_prefix)
    ids = settings_for(
        IdentitySettings, database_url=await databases.new("identity"), sms_outbox_path=str(tmp_path / "sms.jsonl"), **common
    )
    rs = settings_for(
        RequestsSettings, database_url=await databases.new("requests"), storage_dir=str(tmp_path / "files"), run_scheduler=False, **common
    )
    ns = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        smtp_host="127.0.0.1",
        smtp_port=port,
        dispatch_interval_seconds=0.2,
        **common,
    )
    id_app, req_app, note_app = identity_app(ids), requests_app(rs), notify_app(ns)
    async with running_app(id_app) as identity, running_app(req_app) as requests, running_app(note_app):
        req_app.state.today = lambda: date(2026, 9, 28)
        agency = new_id()
        await _agency_everywhere(id_app.state.runtime, req_app.state.runtime, agency)
        admin = await _identity_admin(id_app, ids, agency)

        created = await identity.post(
            f"{IDENTITY}/officers",
            headers=admin,
            json={
                "name": "王承办",
                "email": "wang.chengban@mz.example.gov.cn",
                "memberships": [{"agency_id": agency, "roles": ["handler"]}],
            },
        )
        assert created.status_code == 201, created.text
        officer_id = created.json()["id"]

        async def replicated(status: str):
            async with req_app.state.runtime.sessions() as s:
                row = await s.get(KnownOfficer, officer_id)
                return row is not None and row.status == status

        await eventually(lambda: replicated("active"), timeout=60, message="the officer replicated to requests")

        # Notify reads the directory from its own replica, fed by a topic other than the requests events: an
        # assignment that outruns it reaches the officer's inbox only (fanout's fallback), so wait for it too.
        async def notify_knows_the_address() -> bool:
            async with note_app.state.runtime.sessions() as s:
                row = await s.get(NotifyKnownOfficer, officer_id)
                return row is not None and row.email == "wang.chengban@mz.example.gov.cn"

        await eventually(notify_knows_the_address, timeout=60, message="the officer replicated to notify")

        head = auth(rs, "head", agency_id=agency, sub="head-1")
        applicant = auth(rs, "applicant", sub="citizen-1")

        async def submitted() -> str:
            r = await requests.post(f"{REQUESTS}/requests", json=_body(agency), headers=applicant)
            assert r.status_code == 201, r.text
            return r.json()["id"]

        # An id the directory never issued is refused; the officer from the directory is accepted.
        rid = await submitted()
        assert_problem(
            await requests.post(f"{REQUESTS}/requests/{rid}/assign", json={"assignee_sub": new_id()}, headers=head), 422, "officer_unknown"
        )
        r = await requests.post(f"{REQUESTS}/requests/{rid}/assign", json={"assignee_sub": officer_id}, headers=head)
        assert r.status_code == 200, r.text

        def assignment_mails():
            return [
                m
                for m in mailbox.messages
                if m["To"] == "wang.chengban@mz.example.gov.cn" and "分办" in str(make_header(decode_header(m["Subject"])))
            ]

        async def notify_rows() -> list[tuple]:
            """What notify made of the assignment: said when the e-mail does not come, to tell a lost event from a slow send."""
            async with note_app.state.runtime.sessions() as s:
                rows = await s.execute(select(Notification).where(Notification.request_id == rid, Notification.kind == "assignment"))
                return [(n.channel, n.recipient, n.status, n.attempts, n.last_error) for n in rows.scalars()]

        try:
            await eventually(assignment_mails, timeout=60, message="the assignment e-mail at the directory address")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; notify's assignment notifications: {await notify_rows()}") from exc

        # Disabled in identity: requests hears of it and refuses the next assignment.
        assert (await identity.post(f"{IDENTITY}/officers/{officer_id}/disable", headers=admin)).status_code == 200
        await eventually(lambda: replicated("disabled"), timeout=60, message="the disabling replicated to requests")
        second = await submitted()
        assert_problem(
            await requests.post(f"{REQUESTS}/requests/{second}/assign", json={"assignee_sub": officer_id}, headers=head),
            422,
            "officer_disabled",
        )
