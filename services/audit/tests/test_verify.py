"""Verifying the hash chain: in memory, and after tampering with the database directly."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from services.audit.adapters.orm import AuditEntry
from services.audit.domain.chain import GENESIS, canonical, link_hash, verify_chain
from services.audit.service.verify import verify_log
from services.audit.tests.support import agency, audit_settings, client, execute, received, recorder
from shared.db import create_engine, session_factory
from shared.testing import REPO_ROOT, auth

# -- pure ----------------------------------------------------------------------------------------


@dataclass
class Link:
    seq: int
    event_id: str
    envelope: str
    prev_hash: str
    hash: str


def chain(n: int) -> list[Link]:
    links, prev = [], GENESIS
    for i in range(1, n + 1):
        body = canonical({"event_id": f"e{i}", "type": "T", "payload": {"n": i}})
        links.append(Link(i, f"e{i}", body, prev, link_hash(prev, body)))
        prev = links[-1].hash
    return links


def test_an_intact_chain_verifies():
    assert verify_chain(chain(5)) is None
    assert verify_chain([]) is None


def test_a_changed_envelope_names_its_entry():
    links = chain(5)
    links[2].envelope = links[2].envelope.replace('"n":3', '"n":33')
    broken = verify_chain(links)
    assert (broken.seq, broken.event_id) == (3, "e3")
    assert "hash" in broken.reason


def test_a_deleted_entry_names_the_one_after_the_gap():
    links = chain(5)
    del links[2]
    broken = verify_chain(links)
    assert (broken.seq, broken.event_id) == (4, "e4")
    assert "3–3" in broken.reason


def test_a_deleted_first_entry_is_detected():
    broken = verify_chain(chain(3)[1:])
    assert (broken.seq, broken.event_id) == (2, "e2")


def test_a_gap_with_an_intact_link_is_not_tampering():
    # A PostgreSQL sequence skips numbers when a transaction rolls back; the links still prove completeness.
    links = chain(3)
    for link in links[1:]:
        link.seq += 5
    assert verify_chain(links) is None


def test_a_rehashed_entry_breaks_the_next_link():
    links = chain(4)
    links[1].envelope = links[1].envelope.replace('"n":2', '"n":9')
    links[1].hash = link_hash(links[1].prev_hash, links[1].envelope)
    broken = verify_chain(links)
    assert broken.seq == 3


def test_a_searchable_column_must_agree_with_the_envelope():
    @dataclass
    class Row(Link):
        event_type: str = "T"

    links = [Row(**vars(link)) for link in chain(3)]
    links[1].event_type = "Other"
    broken = verify_chain(links)
    assert broken.seq == 2 and "event_type" in broken.reason


# -- against the database ------------------------------------------------------------------------


@pytest.fixture
async def logged(databases, topic_prefix):
    """An audit database with six recorded events; returns (settings, entries by seq)."""
    settings = await audit_settings(databases, topic_prefix)
    root = agency("某某县人民政府")
    async with recorder(settings) as record:
        await record(root, *(received(root.aggregate_id) for _ in range(5)))
    return settings, await entries(settings.database_url)


async def entries(url: str) -> list[AuditEntry]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars())
    finally:
        await engine.dispose()


async def verify(url: str, batch_size: int = 1000):
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return await verify_log(session, batch_size=batch_size)
    finally:
        await engine.dispose()


async def test_an_untouched_log_verifies_in_batches(logged):
    settings, rows = logged
    for batch_size in (1, 2, 4, 1000):
        result = await verify(settings.database_url, batch_size)
        assert result.ok and result.checked == 6 and result.first_broken is None
        assert result.head_hash == rows[-1].hash


async def test_a_payload_changed_in_the_database_is_named(logged):
    settings, rows = logged
    target = rows[3]
    assert '"channel":"online"' in target.envelope
    await execute(
        settings.database_url,
        'UPDATE audit_entries SET envelope = replace(envelope, \'"channel":"online"\', \'"channel":"letter"\') WHERE seq = :seq',
        seq=target.seq,
    )
    result = await verify(settings.database_url, batch_size=2)
    assert not result.ok and result.checked == 3
    assert (result.first_broken.seq, result.first_broken.event_id) == (target.seq, target.event_id)


async def test_a_deleted_middle_row_is_named(logged):
    settings, rows = logged
    await execute(settings.database_url, "DELETE FROM audit_entries WHERE seq = :seq", seq=rows[2].seq)
    result = await verify(settings.database_url)
    assert not result.ok
    assert (result.first_broken.seq, result.first_broken.event_id) == (rows[3].seq, rows[3].event_id)
    assert "删除" in result.first_broken.reason


async def test_a_changed_hash_is_named(logged):
    settings, rows = logged
    await execute(settings.database_url, "UPDATE audit_entries SET hash = :h WHERE seq = :seq", h="f" * 64, seq=rows[1].seq)
    result = await verify(settings.database_url)
    assert (result.first_broken.seq, result.first_broken.event_id) == (rows[1].seq, rows[1].event_id)


async def test_a_changed_search_column_is_named(logged):
    settings, rows = logged
    await execute(settings.database_url, "UPDATE audit_entries SET actor_sub = 'someone-else' WHERE seq = :seq", seq=rows[4].seq)
    result = await verify(settings.database_url)
    assert result.first_broken.seq == rows[4].seq and "actor_sub" in result.first_broken.reason


async def test_the_endpoint_reports_the_first_broken_link(logged):
    settings, rows = logged
    async with client(settings) as c:
        ok = await c.get("/api/v1/audit/verify", headers=auth(settings, "supervisor", agency_id=rows[0].agency_id))
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"ok": True, "checked": 6, "head_hash": rows[-1].hash, "first_broken": None}
        for role in ("handler", "applicant"):
            denied = await c.get("/api/v1/audit/verify", headers=auth(settings, role, agency_id=rows[0].agency_id))
            assert denied.status_code == 403
        await execute(
            settings.database_url,
            "UPDATE audit_entries SET envelope = replace(envelope, 'received', 'answered') WHERE seq = :seq",
            seq=rows[2].seq,
        )
        broken = (await c.get("/api/v1/audit/verify", headers=auth(settings, "admin"))).json()
    assert broken["ok"] is False and broken["checked"] == 2
    assert broken["first_broken"]["seq"] == rows[2].seq
    assert broken["first_broken"]["event_id"] == rows[2].event_id
    assert broken["first_broken"]["reason"]


def _cli_verify(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AUDIT_DATABASE_URL": url, "AUDIT_ENVIRONMENT": "test", "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "services.audit", "verify"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )


async def test_the_cli_exits_1_and_names_the_broken_entry(logged):
    settings, rows = logged
    done = await asyncio.to_thread(_cli_verify, settings.database_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["ok"] is True
    await execute(settings.database_url, "DELETE FROM audit_entries WHERE seq = :seq", seq=rows[4].seq)
    done = await asyncio.to_thread(_cli_verify, settings.database_url)
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ok"] is False and result["checked"] == 4
    assert result["first_broken"]["seq"] == rows[5].seq and result["first_broken"]["event_id"] == rows[5].event_id


async def test_the_cli_exits_2_when_the_log_cannot_be_read(databases):
    url = await databases.new("empty")  # never migrated: no audit_entries table
    done = await asyncio.to_thread(_cli_verify, url)
    assert done.returncode == 2 and "audit_entries" in done.stderr
