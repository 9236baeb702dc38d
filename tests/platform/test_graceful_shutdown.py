"""SIGTERM: in-flight requests finish, consumers commit what they applied, the outbox is flushed, exit 0.

Each test runs the requests service as a real process (`python -m services.requests serve` or
`worker`) against the suite's broker, and stops it the way an orchestrator does.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.requests.adapters.orm import plumbing
from services.requests.app import build_spec
from services.requests.settings import RequestsSettings
from shared.contracts.topics import CATALOG_AGENCIES, REQUESTS_REQUESTS
from shared.db import create_engine, new_id, utcnow
from shared.events import Actor, EventEnvelope
from shared.kafka import ensure_topics
from shared.service import ServiceRuntime
from shared.testing import assert_problem, auth, eventually, service_env, settings_for
from tests.helpers import metric_value
from tests.process_support import count_rows, event_ids, publish_agencies, read_topic, submission, terminate, wait_for_log

API = "/api/v1/requests"
OUTBOX, INBOX = plumbing.outbox, plumbing.inbox


async def _requests_process(processes, databases, broker, topic_prefix, tmp_path, command: str = "serve", **extra: str):
    database_url = await databases.new("requests")
    env = service_env(
        "requests",
        database_url=database_url,
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        run_scheduler="false",
        storage_dir=str(tmp_path / "files"),
        **extra,
    )
    settings = settings_for(RequestsSettings, database_url=database_url, bootstrap=broker.bootstrap, prefix=topic_prefix)
    return processes("requests", env, tmp_path), settings


async def test_sigterm_lets_an_in_flight_submission_finish_and_sends_its_events_before_exit_0(
    broker, databases, topic_prefix, processes, tmp_path
):
    service, settings = await _requests_process(processes, databases, broker, topic_prefix, tmp_path)
    service.start(extra_env={"FAILPOINTS": "http.slow"})
    await service.wait_ready()
    [agency] = await publish_agencies(broker.bootstrap, settings.topic(CATALOG_AGENCIES), 1)
    await eventually(lambda: count_rows(settings.database_url, INBOX), timeout=60, message="the agency replicated")

    async with httpx.AsyncClient(timeout=60) as client:
        # Held by the `http.slow` fail point in the middleware, before the handler runs.
        slow = asyncio.create_task(
            client.post(
                service.url + f"{API}/requests",
                json=submission(agency.aggregate_id, 1),
                headers={**auth(settings, "applicant", sub="citizen-1"), "Idempotency-Key": "slow-1", "X-Failpoint-Slow": "3"},
            )
        )
        await wait_for_log(service, "failpoint http.slow: holding POST")
        exit_code = await terminate(service)
        response = await slow

    assert response.status_code == 201, response.text
    assert exit_code == 0, service.log_tail()
    request_id = response.json()["id"]
    # The submission committed after SIGTERM; its events still left before the process did.
    assert await count_rows(settings.database_url, OUTBOX, OUTBOX.c.published_at.is_(None)) == 0
    on_topic = [r for r in await read_topic(broker.bootstrap, settings.topic(REQUESTS_REQUESTS)) if r.key == request_id.encode()]
    assert sorted(set(event_ids(on_topic))) == sorted(await _outbox_ids(settings.database_url, OUTBOX.c.key == request_id))
    assert len(on_topic) == 2  # RequestSubmitted and RequestReceived


async def test_a_request_outlasting_the_http_timeout_gets_a_retryable_503_and_the_process_still_exits_0(
    broker, databases, topic_prefix, processes, tmp_path
):
    service, settings = await _requests_process(processes, databases, broker, topic_prefix, tmp_path, shutdown_http_timeout="1")
    service.start(extra_env={"FAILPOINTS": "http.slow"})
    await service.wait_ready()
    async with httpx.AsyncClient(timeout=120) as client:
        stuck = asyncio.create_task(client.get(service.url + f"{API}/agencies", headers={"X-Failpoint-Slow": "600"}))
        await wait_for_log(service, "failpoint http.slow: holding GET")
        exit_code = await terminate(service)  # well before the request's 600 s
        cut_off = await stuck
    assert exit_code == 0, service.log_tail()
    assert_problem(cut_off, 503, "shutting_down")  # a retryable answer, not a bare 500
    assert cut_off.headers["retry-after"] == "1"
    assert "timeout graceful shutdown exceeded" in service.log_tail(10**7)


@pytest.mark.parametrize("command", ["serve", "worker"])
async def test_outbox_rows_committed_just_before_sigterm_reach_the_broker_before_exit(
    command, broker, databases, topic_prefix, processes, tmp_path
):
    # A long poll: rows another writer commits now are sent only by the flush at shutdown.
    service, settings = await _requests_process(
        processes, databases, broker, topic_prefix, tmp_path, command, outbox_poll_interval="600", run_consumers="false"
    )
    runtime = ServiceRuntime(build_spec(settings))
    await runtime.migrate()
    await runtime.engine.dispose()
    probe = await _insert_outbox_rows(settings, 1)  # sent by the relay's first round
    service.start(command=command)
    await eventually(lambda: _all_published(settings.database_url, probe), timeout=60, message="the relay's first round")

    rows = await _insert_outbox_rows(settings, 25)
    assert await count_rows(settings.database_url, OUTBOX, OUTBOX.c.published_at.is_(None)) == 25  # the relay is asleep
    exit_code = await terminate(service)

    assert exit_code == 0, service.log_tail()
    assert await _all_published(settings.database_url, rows), service.log_tail()
    on_topic = set(event_ids(await read_topic(broker.bootstrap, settings.topic(REQUESTS_REQUESTS))))
    assert set(rows) <= on_topic
    assert "outbox relay flushed 25 events" in service.log_tail(10**7)


async def test_consumer_stopped_by_sigterm_commits_what_it_applied_so_a_restart_handles_the_rest_once(
    broker, databases, topic_prefix, processes, tmp_path
):
    service, settings = await _requests_process(processes, databases, broker, topic_prefix, tmp_path)
    service.start()
    await service.wait_ready()
    topic = settings.topic(CATALOG_AGENCIES)
    await ensure_topics(settings, [topic])
    events = await publish_agencies(broker.bootstrap, topic, 300)

    # Stop it while it works through the stream.
    await eventually(lambda: count_rows(settings.database_url, INBOX), timeout=60, message="the consumer under way")
    assert await terminate(service) == 0, service.log_tail()
    applied_before = await count_rows(settings.database_url, INBOX)
    assert 0 < applied_before < len(events), "SIGTERM must land while the consumer is mid-stream"

    restarted = service.start()
    await restarted.wait_ready()
    await eventually(lambda: _count_is(settings.database_url, len(events)), timeout=60, message="every agency replicated")
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(restarted.url + "/metrics")).text
        agencies = (await client.get(restarted.url + f"{API}/agencies")).json()
    labels = dict(service="requests", consumer="agency-replica")
    # Nothing the first process applied came back (its offsets were committed) and nothing was lost.
    assert metric_value(metrics, "events_handled_total", outcome="duplicate", **labels) == 0
    assert metric_value(metrics, "events_handled_total", outcome="handled", **labels) == len(events) - applied_before
    assert sorted(a["id"] for a in agencies) == sorted(e.aggregate_id for e in events)
    assert await terminate(restarted) == 0, restarted.log_tail()


# -- helpers ------------------------------------------------------------------------------------


async def _insert_outbox_rows(settings: RequestsSettings, count: int) -> list[str]:
    """Commit events straight into the outbox, as another replica of the service would."""
    envelopes = [
        EventEnvelope(
            type="RequestSubmitted", source="requests", aggregate_type="request", aggregate_id=new_id(), actor=Actor.system("test")
        )
        for _ in range(count)
    ]
    rows = [
        {
            "event_id": e.event_id,
            "topic": settings.topic(REQUESTS_REQUESTS),
            "key": e.aggregate_id,
            "event_type": e.type,
            "body": e.model_dump_json(),
            "created_at": utcnow(),
        }
        for e in envelopes
    ]
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(OUTBOX.insert(), rows)
    finally:
        await engine.dispose()
    return [e.event_id for e in envelopes]


async def _outbox_ids(database_url: str, *where) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return sorted((await conn.execute(OUTBOX.select().with_only_columns(OUTBOX.c.event_id).where(*where))).scalars())
    finally:
        await engine.dispose()


async def _all_published(database_url: str, event_ids_: list[str]) -> bool:
    unpublished = await count_rows(database_url, OUTBOX, OUTBOX.c.event_id.in_(event_ids_), OUTBOX.c.published_at.is_(None))
    return unpublished == 0


async def _count_is(database_url: str, expected: int) -> bool:
    return await count_rows(database_url, INBOX) == expected
