"""Officers' notices go to the work contacts of the officer directory replica (identity.officers)."""

from __future__ import annotations

import pytest

from services.notify.adapters.orm import KnownOfficer
from services.notify.app import create_app as notify_app
from services.notify.service.officer_replica import on_officer_changed
from services.notify.settings import NotifySettings
from services.notify.tests.support import fan, notifications, request_event
from shared.contracts import requests as ev
from shared.contracts.identity import OfficerChanged, OfficerMembership
from shared.events import Actor
from shared.testing import running_app, settings_for


@pytest.fixture
async def notify(broker, databases, topic_prefix):
    ns = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        run_consumers=False,
        run_workers=False,
        smtp_host="127.0.0.1",
        sms_access_key_id="id",
        sms_access_key_secret="s",
        sms_sign_name="某县",
        sms_templates={"assignment": "SMS_9", "review_needed": "SMS_8"},
    )
    app = notify_app(ns)
    async with running_app(app):
        yield app, ns


async def directory(
    app,
    officer_id: str,
    *,
    agency: str = "agency-1",
    roles: tuple[str, ...] = ("handler",),
    status: str = "active",
    email: str | None = "wang@mz.example.gov.cn",
    mobile: str | None = "13900002222",
    version: int = 1,
) -> None:
    event = OfficerChanged(
        officer_id=officer_id,
        name="王承办",
        status=status,
        email=email,
        mobile=mobile,
        version=version,
        memberships=[OfficerMembership(agency_id=agency, roles=list(roles))],
    )
    async with app.state.runtime.uow() as uow:
        await on_officer_changed(uow, event.envelope(source="identity", aggregate_id=officer_id, actor=Actor.system("test")))
        await uow.commit()


def by_channel(rows) -> dict[str, tuple[str, str]]:
    return {n.channel: (n.recipient, n.address) for n in rows}


async def test_the_assignee_gets_inbox_email_and_sms_at_the_directory_contacts(notify):
    app, ns = notify
    await directory(app, "officer-1")
    envelope = request_event(ev.RequestAssigned, assignee_sub="officer-1")
    assert await fan(app, envelope, ns) == 3
    rows = await notifications(app, event_id=envelope.event_id)
    assert by_channel(rows) == {
        "inbox": ("officer-1", "officer-1"),
        "email": ("officer-1", "wang@mz.example.gov.cn"),
        "sms": ("officer-1", "13900002222"),
    }
    assert {n.status for n in rows if n.channel != "inbox"} == {"pending"}
    assert await fan(app, envelope, ns) == 0  # the same event again: nothing twice


async def test_an_officer_not_in_the_directory_or_disabled_gets_the_inbox_only(notify):
    app, ns = notify
    await directory(app, "officer-2", status="disabled")
    for sub in ("officer-2", "never-listed"):
        envelope = request_event(ev.RequestAssigned, assignee_sub=sub)
        assert await fan(app, envelope, ns) == 1
        assert [n.channel for n in await notifications(app, event_id=envelope.event_id)] == ["inbox"]


async def test_a_role_mailbox_notice_also_reaches_each_holder_of_the_role_in_that_agency(notify):
    app, ns = notify
    await directory(app, "reviewer-1", roles=("reviewer",), email="r1@mz.example.gov.cn", mobile=None)
    await directory(app, "reviewer-2", roles=("reviewer", "handler"), email="r2@mz.example.gov.cn", mobile=None)
    await directory(app, "reviewer-elsewhere", agency="agency-2", roles=("reviewer",), email="x@cz.example.gov.cn")
    await directory(app, "handler-only", roles=("handler",), email="h@mz.example.gov.cn")
    envelope = request_event(ev.AnswerProposed, answer_id="a1", category="disclosed", reason="provided")
    await fan(app, envelope, ns)
    rows = await notifications(app, event_id=envelope.event_id)
    assert {(n.recipient, n.channel, n.address) for n in rows} == {
        ("role:agency-1:reviewer", "inbox", "role:agency-1:reviewer"),
        ("reviewer-1", "email", "r1@mz.example.gov.cn"),
        ("reviewer-2", "email", "r2@mz.example.gov.cn"),
    }


async def test_the_replica_keeps_the_newest_version(notify):
    app, _ = notify
    await directory(app, "officer-3", email="new@mz.example.gov.cn", version=5)
    await directory(app, "officer-3", email="old@mz.example.gov.cn", version=4)  # late, older
    async with app.state.runtime.sessions() as s:
        row = await s.get(KnownOfficer, "officer-3")
    assert row.email == "new@mz.example.gov.cn" and row.version == 5
