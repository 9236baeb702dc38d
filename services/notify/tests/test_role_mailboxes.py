"""Role mailboxes and user inboxes never share an address: a sub that reads like a role mailbox reaches only its own mail."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from services.notify.app import build_spec, create_app
from services.notify.settings import NotifySettings
from services.notify.tests.support import fan, request_event
from shared import migrate
from shared.contracts import requests as ev
from shared.db import create_engine
from shared.testing import auth, running_app, settings_for

INBOX = "/api/v1/notify/inbox"


async def test_a_sub_named_like_a_role_mailbox_neither_reads_nor_marks_it_and_the_real_reviewer_does(broker, databases, topic_prefix):
    settings = settings_for(
        NotifySettings, database_url=await databases.new("notify"), bootstrap=broker.bootstrap, prefix=topic_prefix, run_consumers=False
    )
    app = create_app(settings)
    agency, mailbox = "agency-1", "role:agency-1:reviewer"
    async with running_app(app) as client:
        await fan(app, request_event(ev.AnswerProposed, agency=agency, answer_id="a-1", category="disclosed", reason="provided"), settings)
        # An applicant whose sub happens to be the mailbox's name gets their own receipt, and only that.
        await fan(app, request_event(ev.RequestReceived, sub=mailbox, agency=agency), settings)

        impostors = [
            auth(settings, "applicant", sub=mailbox),
            auth(settings, "handler", agency_id=agency, sub=mailbox),
            auth(settings, "reviewer", agency_id="agency-2", sub=mailbox),
        ]
        reviewer = auth(settings, "reviewer", agency_id=agency, sub="reviewer-7")

        review = [m for m in (await client.get(INBOX, headers=reviewer)).json() if m["kind"] == "review_needed"]
        assert len(review) == 1
        assert [m["kind"] for m in (await client.get(INBOX, headers=reviewer)).json()] == ["review_needed"]  # not the impostor's receipt

        for headers in impostors:
            kinds = [m["kind"] for m in (await client.get(INBOX, headers=headers)).json()]
            assert kinds == ["receipt"], kinds
            marked = await client.post(f"{INBOX}/{review[0]['id']}/read", headers=headers)
            assert marked.status_code == 404 and marked.json()["code"] == "message_not_found"
        assert (await client.get(INBOX, headers=reviewer, params={"unread_only": True})).json()[0]["read_at"] is None

        marked = await client.post(f"{INBOX}/{review[0]['id']}/read", headers=reviewer)
        assert marked.status_code == 200 and marked.json()["read_at"]
        receipt = (await client.get(INBOX, headers=impostors[0])).json()[0]
        assert (await client.post(f"{INBOX}/{receipt['id']}/read", headers=reviewer)).status_code == 404
        assert (await client.post(f"{INBOX}/{receipt['id']}/read", headers=impostors[0])).status_code == 200


async def test_the_migration_types_existing_mailboxes(databases) -> None:
    url = await databases.new("notify")
    spec = build_spec(NotifySettings(database_url=url))
    location, table = spec.migrations, spec.version_table
    await asyncio.to_thread(migrate.upgrade, location, url, table, "0005")
    rows = [
        ("m1", "citizen-1", "receipt"),
        ("m2", "role:agency-1:reviewer", "review_needed"),
        ("m3", "role:agency-1:head", "assignment"),
        ("m4", "role:agency-1:reviewer", "receipt"),
        ("m5", "handler-1", "assignment"),
    ]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for id_, sub, kind in rows:
                await conn.execute(
                    sa.text(
                        "INSERT INTO inbox_messages (id, recipient_sub, kind, subject, body, created_at) "
                        "VALUES (:id, :sub, :kind, 's', 'b', CURRENT_TIMESTAMP)"
                    ),
                    {"id": id_, "sub": sub, "kind": kind},
                )
        await asyncio.to_thread(migrate.upgrade, location, url, table, "head")
        async with engine.connect() as conn:
            kinds = dict((await conn.execute(sa.text("SELECT id, recipient_kind FROM inbox_messages"))).all())
    finally:
        await engine.dispose()
    assert kinds == {"m1": "user", "m2": "role", "m3": "role", "m4": "user", "m5": "user"}
