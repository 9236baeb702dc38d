"""Scale-out under failure (issue #7): replicas are killed mid-load and nothing is lost or doubled.

Two requests API processes (`serve`, workers off) and two requests worker processes (`worker`:
outbox relay and the agency-replica consumer) share one PostgreSQL database; two audit
replicas consume everything into the hash-chained log. While applicants submit through both
APIs and the catalog keeps registering agencies, one API process, one requests worker and one
audit replica are SIGKILLed. A submission whose connection died is retried on the surviving API
with the same Idempotency-Key. Afterwards: every submission is stored once, every outbox event
reached the topic, and each consumer applied every event exactly once.
"""

from __future__ import annotations

import asyncio
import itertools

import httpx

from services.audit.adapters.orm import AuditEntry
from services.audit.app import build_spec as audit_spec
from services.audit.settings import AuditSettings
from services.requests.adapters.orm import DisclosureRequest, IdempotencyKey, KnownAgency, plumbing
from services.requests.app import build_spec as requests_spec
from services.requests.settings import RequestsSettings
from shared.contracts.topics import CATALOG_AGENCIES, REQUESTS_REQUESTS
from shared.events import EventEnvelope
from shared.kafka import ensure_topics
from shared.service import ServiceRuntime
from shared.testing import ServiceProcess, auth, eventually, service_env, settings_for
from tests.helpers import metric_value
from tests.process_support import (
    column,
    count_rows,
    event_ids,
    publish_agencies,
    read_topic,
    require_postgres,
    submission,
    terminate,
    verify_audit_chain,
)

API = "/api/v1/requests"
CLIENTS, PER_CLIENT = 6, 40  # 240 submissions
KILL_AFTER = 80  # completed submissions before the kills
HELD = 3  # submissions committed by the API to be killed, whose answers it holds until it dies
OUTBOX, INBOX = plumbing.outbox, plumbing.inbox


async def test_killing_an_api_a_worker_and_a_consumer_mid_load_loses_and_doubles_nothing(
    broker, databases, topic_prefix, processes, tmp_path
):
    require_postgres()
    urls = {"requests": await databases.new("requests"), "audit": await databases.new("audit")}
    settings = settings_for(RequestsSettings, database_url=urls["requests"], bootstrap=broker.bootstrap, prefix=topic_prefix)
    audit_settings = settings_for(AuditSettings, database_url=urls["audit"], bootstrap=broker.bootstrap, prefix=topic_prefix)
    for spec in (requests_spec(settings), audit_spec(audit_settings)):  # once, rather than six replicas queueing on the lock
        runtime = ServiceRuntime(spec)
        await runtime.migrate()
        await runtime.engine.dispose()
    await ensure_topics(settings, [settings.topic(CATALOG_AGENCIES), settings.topic(REQUESTS_REQUESTS)])

    def env(name: str, **extra: str) -> dict[str, str]:
        return service_env(
            name, database_url=urls[name], bootstrap=broker.bootstrap, prefix=topic_prefix, migrate_on_start="false", **extra
        )

    # The first API (the one to be killed) honours the `http.slow` fail point, to hold answers at the kill.
    apis = [
        processes("requests", env("requests", run_workers="false"), tmp_path).start(extra_env=failpoints)
        for failpoints in ({"FAILPOINTS": "http.slow"}, {})
    ]
    workers = [processes("requests", env("requests", run_scheduler="false"), tmp_path).start(command="worker") for _ in range(2)]
    audits = [processes("audit", env("audit"), tmp_path).start() for _ in range(2)]
    await asyncio.gather(*(p.wait_ready(60) for p in apis + audits))

    agencies = await publish_agencies(broker.bootstrap, settings.topic(CATALOG_AGENCIES), 1)
    agency_id = agencies[0].aggregate_id
    async with httpx.AsyncClient(timeout=15) as client:

        async def known() -> bool:
            return any(a["id"] == agency_id for a in (await client.get(apis[0].url + f"{API}/agencies")).json())

        await eventually(known, timeout=60, message="the agency replicated by a requests worker")
        assert all(w.proc.poll() is None for w in workers), [w.log_tail() for w in workers]

        # Both audit replicas hold partitions before the load starts.
        async def both_audits_consuming() -> bool:
            if all([await _handled(client, a) > 0 for a in audits]):
                return True
            agencies.extend(await publish_agencies(broker.bootstrap, settings.topic(CATALOG_AGENCIES), 6))
            return False

        await eventually(both_audits_consuming, timeout=60, interval=1, message="both audit replicas consuming")

        load = _Load(client, apis, settings, agency_id)
        catalog = asyncio.create_task(_keep_registering_agencies(broker.bootstrap, settings.topic(CATALOG_AGENCIES), agencies, load))
        killer = asyncio.create_task(_kill_mid_load(load, [apis[0], workers[0], audits[0]]))
        await asyncio.gather(*(load.client_loop(c) for c in range(CLIENTS)))
        load.done.set()
        await asyncio.gather(catalog, killer)

    assert all(p.proc.returncode == -9 for p in (apis[0], workers[0], audits[0])), "the kills happened mid-load"
    assert KILL_AFTER <= load.killed_at < CLIENTS * PER_CLIENT
    assert len(load.ids) == CLIENTS * PER_CLIENT + HELD
    # The submissions whose answers died with the API were stored; their retries got the stored answer.
    assert load.replayed >= HELD and all(f"held-{i}" in load.replayed_keys for i in range(HELD))
    print(
        f"\nscale-out: killed after {load.killed_at} submissions; {load.cut_off} cut off mid-request and "
        f"{load.refused} refused, all retried with their key; {load.replayed} answered by replay"
    )

    # Every 201 is one stored request, and nothing else is stored: retries were not duplicated.
    assert len(set(load.ids.values())) == len(load.ids)
    stored = await column(urls["requests"], DisclosureRequest.id)
    assert sorted(stored) == sorted(load.ids.values())
    assert await count_rows(urls["requests"], IdempotencyKey) == len(load.ids)

    # Every outbox event was published (the survivor took over the killed relay's rows) ...
    await eventually(lambda: _none_pending(urls["requests"]), timeout=60, message="the outbox drained by the surviving worker")
    outbox_ids = await column(urls["requests"], OUTBOX.c.event_id)
    assert len(outbox_ids) == 2 * len(load.ids)  # RequestSubmitted and RequestReceived
    on_topic = event_ids(await read_topic(broker.bootstrap, settings.topic(REQUESTS_REQUESTS)))
    assert set(outbox_ids) <= set(on_topic)  # at least once; a relay killed between send and mark may resend

    # ... and each consumer applied each event exactly once.
    expected_in_audit = set(outbox_ids) | {a.event_id for a in agencies}
    await eventually(lambda: _count_at_least(urls["audit"], len(expected_in_audit)), timeout=60, message="every event in the audit log")
    logged = await column(urls["audit"], AuditEntry.event_id)
    assert len(logged) == len(expected_in_audit) and set(logged) == expected_in_audit, "each event logged exactly once"
    verification = await verify_audit_chain(urls["audit"])
    assert verification.ok and verification.checked == len(expected_in_audit), verification

    await eventually(lambda: _replicated(urls["requests"], len(agencies)), timeout=60, message="every agency replicated")
    replica_inbox = await column(urls["requests"], INBOX.c.event_id, INBOX.c.consumer == "requests.agency-replica")
    assert sorted(replica_inbox) == sorted(a.event_id for a in agencies)
    assert sorted(await column(urls["requests"], KnownAgency.id)) == sorted(a.aggregate_id for a in agencies)

    # The survivors, having carried the load, still stop cleanly.
    survivors = [apis[1], workers[1], audits[1]]
    assert await asyncio.gather(*(terminate(p) for p in survivors)) == [0, 0, 0], [p.log_tail() for p in survivors]


class _Load:
    """Applicants submitting through both API processes, retrying a dead connection with the same key."""

    def __init__(self, client: httpx.AsyncClient, apis: list[ServiceProcess], settings: RequestsSettings, agency_id: str) -> None:
        self.client, self.apis, self.settings, self.agency_id = client, apis, settings, agency_id
        self.ids: dict[str, str] = {}
        self.cut_off = self.refused = self.replayed = 0
        self.replayed_keys: set[str] = set()
        self.killed_at: int | None = None
        self.progress = asyncio.Condition()
        self.done = asyncio.Event()

    async def client_loop(self, c: int) -> None:
        headers = auth(self.settings, "applicant", sub=f"citizen-{c}")
        for n in range(PER_CLIENT):
            key = f"load-{c}-{n}"
            self.ids[key] = await self.submit(c + n, key, submission(self.agency_id, c * PER_CLIENT + n), headers)
            async with self.progress:
                self.progress.notify_all()

    async def submit(self, start: int, key: str, body: dict, headers: dict[str, str]) -> str:
        for attempt in itertools.count():
            assert attempt < 50, f"submission {key} never succeeded"
            api = self.apis[(start + attempt) % len(self.apis)]
            try:
                response = await self.client.post(api.url + f"{API}/requests", json=body, headers={**headers, "Idempotency-Key": key})
            except httpx.ConnectError:
                self.refused += 1  # that API is gone: try the other one
                continue
            except httpx.TransportError:
                self.cut_off += 1  # reset or timed out: the outcome is unknown, so retry with the same key
                continue
            if response.status_code == 409 and response.json().get("code") == "idempotent_request_in_flight":
                await asyncio.sleep(0.1)
                continue
            assert response.status_code == 201, response.text
            if response.headers.get("Idempotent-Replayed") == "true":
                self.replayed += 1
                self.replayed_keys.add(key)
            return response.json()["id"]
        raise AssertionError("unreachable")


async def _kill_mid_load(load: _Load, victims: list[ServiceProcess]) -> None:
    api = victims[0]
    async with load.progress:
        await load.progress.wait_for(lambda: len(load.ids) >= KILL_AFTER)
    # A few submissions that the doomed API commits but never answers.
    headers = auth(load.settings, "applicant", sub="citizen-held")
    held = {
        f"held-{i}": asyncio.create_task(
            load.submit(0, f"held-{i}", submission(load.agency_id, 10_000 + i), {**headers, "X-Failpoint-Slow-Response": "120"})
        )
        for i in range(HELD)
    }
    await eventually(
        lambda: api.log_tail(10**7).count("failpoint http.slow: holding response") >= HELD,
        timeout=30,
        interval=0.05,
        message="the held answers",
    )
    load.killed_at = len(load.ids)
    for victim in victims:
        victim.proc.kill()  # SIGKILL: no shutdown of any kind
    for victim in victims:
        victim.proc.wait(5)
    for key, task in held.items():
        load.ids[key] = await task


async def _keep_registering_agencies(bootstrap: str, topic: str, agencies: list[EventEnvelope], load: _Load) -> None:
    """The catalog goes on registering agencies during the load, so the requests workers' consumer is busy too."""
    while not load.done.is_set():
        agencies.extend(await publish_agencies(bootstrap, topic, 2))
        try:
            await asyncio.wait_for(load.done.wait(), timeout=0.3)
        except TimeoutError:
            pass


async def _handled(client: httpx.AsyncClient, audit: ServiceProcess) -> float:
    text = (await client.get(audit.url + "/metrics")).text
    return metric_value(text, "events_handled_total", service="audit", consumer="event-log", outcome="handled")


async def _none_pending(database_url: str) -> bool:
    return await count_rows(database_url, OUTBOX, OUTBOX.c.published_at.is_(None)) == 0


async def _count_at_least(database_url: str, expected: int) -> bool:
    return await count_rows(database_url, AuditEntry) >= expected


async def _replicated(database_url: str, expected: int) -> bool:
    return await count_rows(database_url, KnownAgency) >= expected
