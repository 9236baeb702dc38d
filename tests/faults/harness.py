"""The fault suite's rig: one scenario's processes, its load, and the count of what was sent, stored and lost.

Each scenario runs the services as production does — the requests API (`serve`, workers off), a
requests `worker` (outbox relay, agency replica), audit `worker`(s), and notify where webhooks
matter — on PostgreSQL databases of its own under a topic prefix of its own. Applicants submit
through the API with an Idempotency-Key and retry with the same key on a connection error, a 503
or a 409 `idempotent_request_in_flight`. After the fault the rig waits (bounded) for the flow to
settle and counts:

- sent: distinct submissions answered 201;
- stored: requests rows in the requests database;
- audited: the requests service's RequestSubmitted / RequestReceived events found in the audit log;
- lost: answered submissions not stored, plus those events never reaching the audit log (plus,
  where a scenario adds its own checks, e.g. webhooks, what its receiver never got);
- doubled: a submission stored twice or an answer naming another's request, an event recorded
  twice in the audit log or emitted twice by the outbox (plus a webhook delivered twice).

Each scenario's row goes to `ROWS`; tests/faults/conftest.py prints the table at the end of the run.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import func, select

from services.audit.adapters.orm import AuditEntry
from services.audit.app import build_spec as audit_spec
from services.audit.settings import AuditSettings
from services.requests.adapters.orm import DisclosureRequest, KnownAgency, plumbing
from services.requests.app import build_spec as requests_spec
from services.requests.settings import RequestsSettings
from shared.contracts.topics import CATALOG_AGENCIES, REQUESTS_REQUESTS
from shared.events import EventEnvelope
from shared.kafka import ensure_topics
from shared.operations import DeadLetter, read_dead_letters
from shared.service import ServiceRuntime
from shared.testing import ServiceProcess, _asyncpg_dsn, auth, eventually, postgres_admin_url, service_env, settings_for
from tests.helpers import scalar
from tests.process_support import column, publish_agencies, submission, verify_audit_chain, wait_for_log

API = "/api/v1/requests"
OUTBOX = plumbing.outbox
REQUEST_EVENTS = ("RequestSubmitted", "RequestReceived")  # what one online submission emits
SETTLE_TIMEOUT = 90.0  # seconds for the flow to settle after a fault
STARTUP = 120.0  # seconds for a process to start (imports alone take seconds on a busy 2-core machine)


@dataclass
class Row:
    scenario: str
    sent: int
    stored: int
    audited: int
    lost: int
    doubled: int
    recovered_in: float
    note: str = ""


ROWS: list[Row] = []


# -- processes -------------------------------------------------------------------------------------


class Rig:
    """One scenario: its databases, topic prefix, broker, processes and the applicants' agency."""

    def __init__(self, name: str, *, broker, databases, processes, tmp_path: Path, prefix: str) -> None:
        self.name, self.broker, self.databases, self.spawn, self.tmp, self.prefix = name, broker, databases, processes, tmp_path, prefix
        self.urls: dict[str, str] = {}
        self.agency_id = ""
        self.agencies: list[EventEnvelope] = []

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    async def prepare(self, *services: str) -> None:
        """Databases for requests, audit (and `services`), migrated once here rather than by every replica."""
        for name in ("requests", "audit", *services):
            self.urls[name] = await self.databases.new(name)
        self.requests_settings = settings_for(
            RequestsSettings, database_url=self.urls["requests"], bootstrap=self.bootstrap, prefix=self.prefix
        )
        self.audit_settings = settings_for(AuditSettings, database_url=self.urls["audit"], bootstrap=self.bootstrap, prefix=self.prefix)
        specs = [requests_spec(self.requests_settings), audit_spec(self.audit_settings)]
        if "notify" in services:
            from services.notify.app import build_spec as notify_spec
            from services.notify.settings import NotifySettings

            self.notify_settings = settings_for(
                NotifySettings, database_url=self.urls["notify"], bootstrap=self.bootstrap, prefix=self.prefix
            )
            specs.append(notify_spec(self.notify_settings))
        await asyncio.gather(*(_migrate(spec) for spec in specs))
        await ensure_topics(
            self.requests_settings, [self.requests_settings.topic(CATALOG_AGENCIES), self.requests_settings.topic(REQUESTS_REQUESTS)]
        )

    def env(self, name: str, **extra: str) -> dict[str, str]:
        # A relay checks for a reset broker every half second (5 s in production), so a scenario settles quickly.
        return service_env(
            name,
            database_url=self.urls[name],
            bootstrap=self.bootstrap,
            prefix=self.prefix,
            migrate_on_start="false",
            broker_check_interval="0.5",
            consumer_retry_max_delay="1.0",
            **extra,
        )

    def start(self, name: str, command: str = "serve", env: dict[str, str] | None = None, **extra: str) -> ServiceProcess:
        return self.spawn(name, self.env(name, **extra), self.tmp).start(extra_env=env, command=command)

    def api(self, env: dict[str, str] | None = None) -> ServiceProcess:
        return self.start("requests", run_workers="false", env=env)

    def requests_worker(self) -> ServiceProcess:
        return self.start("requests", "worker", run_scheduler="false")

    def audit_worker(self) -> ServiceProcess:
        return self.start("audit", "worker")

    async def up(self, apis: list[ServiceProcess], workers: list[ServiceProcess]) -> None:
        """Wait for the APIs to be ready and the workers running, then register the applicants' agency."""
        await asyncio.gather(*(p.wait_ready(STARTUP) for p in apis), *(wait_for_log(w, "worker running", STARTUP) for w in workers))
        self.agencies = await publish_agencies(self.bootstrap, self.requests_settings.topic(CATALOG_AGENCIES), 1)
        self.agency_id = self.agencies[0].aggregate_id

        async def known() -> bool:
            return await scalar(self.urls["requests"], select(func.count()).select_from(KnownAgency)) >= 1

        await eventually(known, timeout=60, message="the agency replicated by the requests worker")

    async def register_agencies(self, count: int) -> None:
        """The catalog registers more agencies: events for the requests worker's consumer too."""
        self.agencies += await publish_agencies(self.bootstrap, self.requests_settings.topic(CATALOG_AGENCIES), count)


async def _migrate(spec) -> None:
    runtime = ServiceRuntime(spec)
    try:
        await runtime.migrate()
    finally:
        await runtime.engine.dispose()


async def restart(process: ServiceProcess, *, ready: bool = True) -> ServiceProcess:
    """What a supervisor does after a process died: start it again with the same command and environment."""
    assert process.proc is not None and process.proc.poll() is not None
    command = process.proc.args[-1]
    before = log_text(process).count("worker running")  # the log file is appended to
    process.start(command=command)
    if ready:
        if command == "worker":

            def running() -> bool:
                if process.proc.poll() is not None:
                    raise AssertionError(f"{process.name} exited with {process.proc.returncode}: {process.log_tail()}")
                return log_text(process).count("worker running") > before

            await eventually(running, timeout=STARTUP, interval=0.1, message=f"{process.name} worker running again")
        else:
            await process.wait_ready(STARTUP)
    return process


def kill(*victims: ServiceProcess) -> None:
    """SIGKILL: no shutdown of any kind."""
    for victim in victims:
        victim.proc.send_signal(signal.SIGKILL)
    for victim in victims:
        victim.proc.wait(10)


# -- the load ---------------------------------------------------------------------------------------


class Load:
    """Applicants submitting through the API(s), each submission retried with its key until answered 201 (bounded)."""

    def __init__(
        self, rig: Rig, apis: list[ServiceProcess], *, total: int, clients: int = 4, pause: float = 0.05, deadline: float = 120.0
    ) -> None:
        self.rig, self.apis, self.total, self.clients, self.pause, self.deadline = rig, apis, total, clients, pause, deadline
        self.ids: dict[str, str] = {}  # Idempotency-Key → request id of the 201
        self.retries: collections.Counter[str] = collections.Counter()  # why submissions were retried
        self.replayed = 0  # answers given from the stored first answer (Idempotent-Replayed)
        self.next = itertools.count()
        self.started = 0
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(15, connect=3))

    def progress(self, n: int):
        return lambda: len(self.ids) >= n

    async def run(self, total: int | None = None) -> None:
        """Submit `total` (default: the load's) more submissions, spread over the clients."""
        quota = total if total is not None else self.total
        tickets = iter(range(quota))
        await asyncio.gather(*(self._client_loop(c, tickets) for c in range(self.clients)))

    async def _client_loop(self, c: int, tickets) -> None:
        headers = auth(self.rig.requests_settings, "applicant", sub=f"citizen-{c}")
        for _ in tickets:
            n = next(self.next)
            key = f"{self.rig.name}-{n}"
            self.ids[key] = await self.submit(n, key, submission(self.rig.agency_id, n), headers)
            await asyncio.sleep(self.pause)

    async def submit(self, n: int, key: str, body: dict, headers: dict[str, str]) -> str:
        give_up = time.monotonic() + self.deadline
        for attempt in itertools.count():
            assert attempt < 1000 and time.monotonic() < give_up, f"submission {key} never succeeded ({attempt} attempts)"
            api = self.apis[(n + attempt) % len(self.apis)]
            try:
                response = await self.client.post(api.url + f"{API}/requests", json=body, headers={**headers, "Idempotency-Key": key})
            except httpx.ConnectError:
                self.retries["refused"] += 1  # that API is down: another, or the same once it is back
                await asyncio.sleep(0.2)
                continue
            except httpx.TransportError:
                self.retries["cut off"] += 1  # reset or timed out: the outcome is unknown, so retry with the same key
                await asyncio.sleep(0.1)
                continue
            if response.status_code == 503:
                assert response.json()["code"] == "database_unavailable", response.text
                retry_after = int(response.headers["Retry-After"])
                assert retry_after > 0
                self.retries["503"] += 1
                await asyncio.sleep(min(retry_after, 0.5))  # honoured, but shortened: the suite is bounded
                continue
            if response.status_code == 409 and response.json().get("code") == "idempotent_request_in_flight":
                self.retries["409 in flight"] += 1
                await asyncio.sleep(0.1)
                continue
            assert response.status_code == 201, response.text
            if response.headers.get("Idempotent-Replayed") == "true":
                self.replayed += 1
            return response.json()["id"]
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.client.aclose()


# -- faults on PostgreSQL ----------------------------------------------------------------------------


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?")[0]


async def close_database(url: str) -> None:
    """What an operator does for maintenance: refuse new connections and end the open ones."""
    name = database_name(url)
    admin = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url()), timeout=10)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)
    finally:
        await admin.close()


async def open_database(url: str) -> None:
    admin = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url()), timeout=10)
    try:
        await admin.execute(f'ALTER DATABASE "{database_name(url)}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()


# -- counting ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    sent: int = 0
    stored: int = 0
    audited: int = 0
    lost: dict[str, int] = field(default_factory=dict)
    doubled: dict[str, int] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    chain_ok: bool = False

    @property
    def lost_total(self) -> int:
        return sum(self.lost.values())

    @property
    def doubled_total(self) -> int:
        return sum(self.doubled.values())


async def outbox_events(rig: Rig) -> dict[str, tuple[str, str]]:
    """The requests outbox's submission events: event id → (request id, type)."""
    engine_rows = await _rows(
        rig.urls["requests"], select(OUTBOX.c.event_id, OUTBOX.c.key, OUTBOX.c.event_type).where(OUTBOX.c.event_type.in_(REQUEST_EVENTS))
    )
    return {event_id: (key, event_type) for event_id, key, event_type in engine_rows}


async def _rows(url: str, query) -> list[tuple]:
    from shared.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(query)).all()]
    finally:
        await engine.dispose()


async def settle(rig: Rig, load: Load, *, timeout: float = SETTLE_TIMEOUT) -> float:
    """Wait (bounded) until the outbox is sent and every submission event is in the audit log; returns when.

    A timeout is not raised here: the count that follows shows what is missing, and fails.
    """

    async def settled() -> bool:
        pending = await scalar(rig.urls["requests"], select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None)))
        if pending:
            return False
        expected = set(await outbox_events(rig))
        if len(expected) < 2 * len(load.ids):
            return False
        logged = set(await column(rig.urls["audit"], AuditEntry.event_id, AuditEntry.event_type.in_(REQUEST_EVENTS)))
        return expected <= logged

    try:
        await eventually(settled, timeout=timeout, interval=0.25, message="the outbox sent and every event in the audit log")
    except AssertionError:
        pass
    return time.monotonic()


async def tally(rig: Rig, load: Load) -> Tally:
    t = Tally(sent=len(load.ids))
    answered = list(load.ids.values())
    stored = await column(rig.urls["requests"], DisclosureRequest.id)
    t.stored = len(stored)
    t.lost["answered, not stored"] = len(set(answered) - set(stored))
    t.doubled["stored, never answered (a retry stored twice)"] = len(set(stored) - set(answered))
    t.doubled["one request answered to two submissions"] = len(answered) - len(set(answered))

    events = await outbox_events(rig)
    per_request = collections.Counter(events.values())
    t.doubled["event emitted twice"] = sum(n - 1 for n in per_request.values() if n > 1)
    t.lost["stored request without its events"] = sum(1 for rid in stored for kind in REQUEST_EVENTS if (rid, kind) not in per_request)

    logged = collections.Counter(await column(rig.urls["audit"], AuditEntry.event_id))
    t.audited = sum(1 for e in events if logged[e])
    t.lost["event not in the audit log"] = len(events) - t.audited
    t.doubled["event in the audit log twice"] = sum(n - 1 for n in logged.values() if n > 1)

    verification = await verify_audit_chain(rig.urls["audit"])
    t.chain_ok = verification.ok
    for group in ("audit.event-log", "requests.agency-replica"):
        settings = rig.audit_settings if group.startswith("audit") else rig.requests_settings
        t.dead_letters += await read_dead_letters(settings, group)
    return t


def record_row(name: str, t: Tally, recovered_in: float, note: str = "") -> None:
    ROWS.append(Row(name, t.sent, t.stored, t.audited, t.lost_total, t.doubled_total, recovered_in, note))


def assert_whole(t: Tally, *, dead_letters: int = 0) -> None:
    """0 lost, 0 doubled, an intact chain and no dead letter but those the scenario sent on purpose."""
    assert t.lost_total == 0, f"lost: {t.lost}"
    assert t.doubled_total == 0, f"doubled: {t.doubled}"
    assert t.stored == t.sent and t.audited == 2 * t.sent, t
    assert t.chain_ok, "the audit hash chain does not verify"
    assert len(t.dead_letters) == dead_letters, [letter.public() for letter in t.dead_letters]


async def finish(
    rig: Rig,
    load: Load,
    fault_over: float,
    *,
    note: str = "",
    dead_letters: int = 0,
    extra_lost: dict[str, int] | None = None,
    extra_doubled: dict[str, int] | None = None,
) -> Tally:
    """Settle, count, record the row, then assert (so a failing scenario still shows in the table)."""
    settled_at = await settle(rig, load)
    t = await tally(rig, load)
    t.lost.update(extra_lost or {})
    t.doubled.update(extra_doubled or {})
    retries = ", ".join(f"{n} {why}" for why, n in sorted(load.retries.items()))
    note = "; ".join(x for x in (note, f"retried: {retries}" if retries else "") if x)
    record_row(rig.name, t, max(0.0, settled_at - fault_over), note)
    await load.close()
    assert_whole(t, dead_letters=dead_letters)
    return t


def alive(*ps: ServiceProcess) -> None:
    for p in ps:
        assert p.proc is not None and p.proc.poll() is None, f"{p.name} exited with {p.proc.returncode}: {p.log_tail()}"


def log_text(p: ServiceProcess) -> str:
    return p.log_tail(10**8)
