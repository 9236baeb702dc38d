"""Webhooks cannot be aimed at internal addresses: refused at registration, re-checked on the resolved address before each send.

Host names are given addresses by a resolver the test controls (no DNS leaves the machine);
the receivers are real HTTP servers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from datetime import UTC, date, datetime, timedelta

import pytest
import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from services.notify.adapters.orm import WebhookSubscription
from services.notify.adapters.webhook_http import WebhookPoster
from services.notify.app import create_app
from services.notify.domain.webhook_targets import Allowlist, TargetRefused, check_literal, is_public
from services.notify.service.webhooks import enqueue
from services.notify.settings import NotifySettings
from shared.contracts.requests import RequestReceived
from shared.db import new_id
from shared.events import Actor
from shared.testing import auth, eventually, free_port, running_app, served, settings_for

PUBLIC = "93.184.216.34"
FORBIDDEN = [
    "http://127.0.0.1:8003/hook",
    "http://127.1/",
    "http://0x7f000001/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://0.0.0.0:80/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://10.0.0.5/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://240.0.0.1/",
    "http://localhost:8003/",
    "http://db.internal/",
    "https://printer.local/",
    "http://internal-name.example/",
]


class Names:
    """The DNS the test plays: host → addresses, each lookup counted (so an answer can change between lookups)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: dict[str, int] = {}

    def set(self, host: str, *answers: list[str]) -> None:
        self.answers[host] = list(answers)

    async def __call__(self, host: str, port: int):
        n = self.lookups.get(host, 0)
        self.lookups[host] = n + 1
        answers = self.answers.get(host)
        if answers is None:
            raise OSError("Name or service not known")
        answer = answers[min(n, len(answers) - 1)]
        return [ipaddress.ip_address(a) for a in answer]


class Receiver:
    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.internal_calls = 0
        self.mode = "ok"
        self.release = asyncio.Event()
        self.entered = asyncio.Event()

    async def hook(self, request: Request) -> Response:
        self.calls.append({"host": request.headers.get("host"), "delivery": request.headers.get("x-webhook-delivery")})
        if self.mode == "redirect":
            return RedirectResponse(str(request.url_for("internal")), status_code=307)
        if self.mode == "block":
            self.entered.set()
            await self.release.wait()
        if self.mode == "slow":
            await asyncio.sleep(5)
        return Response(status_code=200)

    async def internal(self, request: Request) -> Response:
        self.internal_calls += 1
        return Response(status_code=200)


@pytest.fixture
async def receiver():
    r = Receiver()
    app = Starlette(
        routes=[Route("/hook", r.hook, methods=["POST"]), Route("/internal", r.internal, methods=["POST", "GET"], name="internal")]
    )
    async with served(app, lifespan="off") as base:
        yield r, int(base.rsplit(":", 1)[1])
    r.release.set()


def _settings(databases_url: str, broker, prefix: str, **overrides) -> NotifySettings:
    values = {"run_consumers": False, "dispatch_interval_seconds": 0.1, "retry_base_seconds": 0.2, **overrides}
    return settings_for(NotifySettings, database_url=databases_url, bootstrap=broker.bootstrap, prefix=prefix, **values)


def _event(agency: str):
    rid = new_id()
    event = RequestReceived(
        request_id=rid,
        tracking_number="2026-T-1",
        agency_id=agency,
        state="received",
        applicant_type="natural_person",
        channel="online",
        received_on=date(2026, 9, 28),
    )
    return event.envelope(source="requests", aggregate_id=rid, agency_id=agency, actor=Actor.system("t"))


async def _enqueue(app, agency: str) -> None:
    async with app.state.runtime.uow() as uow:
        await enqueue(uow, _event(agency))
        await uow.commit()


async def _log(client, headers, subscription_id: str):
    return (await client.get(f"/api/v1/notify/webhooks/{subscription_id}/deliveries", headers=headers)).json()


async def _subscribe_and_send(app, client, headers, url: str, agency: str) -> str:
    """Register `url` for the agency, queue one event for it; the subscription's id."""
    created = await client.post("/api/v1/notify/webhooks", json={"url": url}, headers=headers)
    assert created.status_code == 201, created.text
    await _enqueue(app, agency)
    return created.json()["id"]


async def _first_delivery(client, headers, subscription_id: str, done, message: str) -> dict:
    """The subscription's first delivery record, once `done(record)` holds."""

    async def ready():
        log = await _log(client, headers, subscription_id)
        return log and done(log[0]) and log[0]

    return await eventually(ready, timeout=20, message=message)


def test_the_address_rule():
    for address in (
        "127.0.0.1",
        "::1",
        "0.0.0.0",
        "::",
        "169.254.169.254",
        "::ffff:127.0.0.1",
        "2002:7f00:1::",
        "64:ff9b::a00:1",
        "::7f00:1",
        "10.1.2.3",
        "fc00::1",
        "ff05::2",
        "198.18.0.1",
        "255.255.255.255",
    ):
        assert not is_public(ipaddress.ip_address(address)), address
    for address in (PUBLIC, "8.8.8.8", "2606:4700:4700::1111"):
        assert is_public(ipaddress.ip_address(address)), address
    with pytest.raises(TargetRefused):
        check_literal("file:///etc/passwd", Allowlist())
    with pytest.raises(TargetRefused):
        check_literal("http://user:pw@hooks.example.org/", Allowlist())
    allow = Allowlist.parse(["127.0.0.1/32", "Receiver.Test", "[::1]"])
    assert check_literal("http://127.0.0.1:9/", allow).port == 9 and check_literal("http://[::1]/", allow).host == "::1"
    assert check_literal("http://receiver.test/", allow).host == "receiver.test"
    with pytest.raises(TargetRefused):
        check_literal("http://127.0.0.2/", allow)


async def test_internal_addresses_are_refused_at_registration_and_nothing_is_stored(broker, databases, topic_prefix):
    names = Names()
    names.set("internal-name.example", ["10.20.30.40"])
    names.set("mixed.example", [PUBLIC, "127.0.0.1"])
    names.set("hooks.example.org", [PUBLIC])
    settings = _settings(await databases.new("notify"), broker, topic_prefix)
    app = create_app(settings, resolver=names)
    agency = new_id()
    async with running_app(app) as client:
        head = auth(settings, "head", agency_id=agency)
        for url in FORBIDDEN + ["http://mixed.example/hook"]:
            response = await client.post("/api/v1/notify/webhooks", json={"url": url}, headers=head)
            assert response.status_code == 422, (url, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "webhook_url_forbidden" and "Webhook 地址" in response.json()["detail"], url
        for url in ("ftp://hooks.example.org/", "gopher://127.0.0.1/"):
            assert (await client.post("/api/v1/notify/webhooks", json={"url": url}, headers=head)).status_code == 422
        assert (await client.get("/api/v1/notify/webhooks", headers=head)).json() == []

        public = await client.post("/api/v1/notify/webhooks", json={"url": "https://hooks.example.org/gov"}, headers=head)
        assert public.status_code == 201, public.text


async def test_a_name_rebound_to_an_internal_address_after_registration_is_never_called(broker, databases, topic_prefix, receiver):
    r, port = receiver
    names = Names()
    names.set("rebind.example", [PUBLIC], ["127.0.0.1"])  # public when registered, loopback when sent
    settings = _settings(await databases.new("notify"), broker, topic_prefix)
    app = create_app(settings, resolver=names)
    agency = new_id()
    async with running_app(app) as client:
        head = auth(settings, "head", agency_id=agency)
        sid = await _subscribe_and_send(app, client, head, f"http://rebind.example:{port}/hook", agency)
        first = await _first_delivery(client, head, sid, lambda d: d["status"] == "failed", "refused at send time")
        assert "已拒绝" in first["last_error"] and "127.0.0.1" in first["last_error"] and first["last_status_code"] is None
        assert r.calls == [] and names.lookups["rebind.example"] >= 2


async def test_the_post_goes_to_the_vetted_address_with_the_registered_host_name(broker, databases, topic_prefix, receiver):
    r, port = receiver
    names = Names()
    names.set("receiver.test", ["127.0.0.1"])  # no real DNS knows this name: only the pinned address can reach the receiver
    settings = _settings(await databases.new("notify"), broker, topic_prefix, webhook_allowed_hosts="127.0.0.1/32")
    app = create_app(settings, resolver=names)
    agency = new_id()
    async with running_app(app) as client:
        head = auth(settings, "head", agency_id=agency)
        assert (
            await client.post("/api/v1/notify/webhooks", json={"url": f"http://127.0.0.2:{port}/hook"}, headers=head)
        ).status_code == 422
        sid = await _subscribe_and_send(app, client, head, f"http://receiver.test:{port}/hook", agency)
        await _first_delivery(client, head, sid, lambda d: d["status"] == "sent", "delivered")
        assert [c["host"] for c in r.calls] == [f"receiver.test:{port}"]


async def test_a_redirect_is_not_followed(broker, databases, topic_prefix, receiver):
    r, port = receiver
    r.mode = "redirect"
    settings = _settings(await databases.new("notify"), broker, topic_prefix, webhook_allowed_hosts=["127.0.0.1"])
    app = create_app(settings)
    agency = new_id()
    async with running_app(app) as client:
        head = auth(settings, "head", agency_id=agency)
        sid = await _subscribe_and_send(app, client, head, f"http://127.0.0.1:{port}/hook", agency)
        first = await _first_delivery(client, head, sid, lambda d: d["status"] == "failed", "redirect refused")
        assert first["last_status_code"] == 307 and first["attempts"] == 1 and "重定向" in first["last_error"]
        assert len(r.calls) == 1 and r.internal_calls == 0


async def test_a_slow_receiver_times_out_and_is_retried(broker, databases, topic_prefix, receiver):
    r, port = receiver
    r.mode = "slow"
    settings = _settings(
        await databases.new("notify"),
        broker,
        topic_prefix,
        webhook_allowed_hosts=["127.0.0.1"],
        webhook_read_timeout_seconds=0.3,
        retry_base_seconds=60,
    )
    app = create_app(settings)
    agency = new_id()
    async with running_app(app) as client:
        head = auth(settings, "head", agency_id=agency)
        sid = await _subscribe_and_send(app, client, head, f"http://127.0.0.1:{port}/hook", agency)
        first = await _first_delivery(client, head, sid, lambda d: bool(d["last_error"]), "read timeout recorded")
        assert first["status"] == "pending" and first["attempts"] == 1 and "Timeout" in first["last_error"]


async def test_no_database_connection_is_held_while_a_receiver_is_answering(broker, databases, topic_prefix, receiver):
    r, port = receiver
    r.mode = "block"
    settings = _settings(await databases.new("notify"), broker, topic_prefix, webhook_allowed_hosts=["127.0.0.1"])
    app = create_app(settings)
    agency = new_id()
    async with running_app(app) as client:
        head = auth(settings, "head", agency_id=agency)
        sid = await _subscribe_and_send(app, client, head, f"http://127.0.0.1:{port}/hook", agency)
        await asyncio.wait_for(r.entered.wait(), timeout=20)
        try:
            pool = app.state.runtime.engine.pool
            await eventually(lambda: pool.checkedout() == 0, timeout=5, interval=0.05, message="no connection checked out during the POST")

            async def write() -> None:  # on SQLite a held transaction holds the write lock: this would wait
                async with app.state.runtime.uow() as uow:
                    uow.session.add(
                        WebhookSubscription(
                            agency_id=agency, url="https://other.example.org/", secret="s", event_types=["*"], created_by="t"
                        )
                    )
                    await uow.commit()

            await asyncio.wait_for(write(), timeout=5)
            log = await _log(client, head, sid)
            assert log[0]["status"] == "pending" and log[0]["attempts"] == 1  # the attempt was counted and committed before the POST
        finally:
            r.release.set()

        async def sent():
            log = await _log(client, head, sid)
            return log and log[0]["status"] == "sent" and log

        await eventually(sent, timeout=20, message="outcome recorded in a new unit of work")
        async with app.state.runtime.sessions() as s:
            assert len((await s.execute(select(WebhookSubscription))).scalars().all()) == 2


async def test_a_receiver_that_never_answers_does_not_hold_up_the_others(broker, databases, topic_prefix, receiver):
    """Issue #16: deliveries went out one after another in a round, so every silent receiver's read timeout delayed
    every other subscription's events (a healthy receiver got 1 of 120 events in a minute in the fault suite)."""
    r, port = receiver
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accepts, reads, never answers
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    silent_port = server.sockets[0].getsockname()[1]
    settings = _settings(
        await databases.new("notify"),
        broker,
        topic_prefix,
        webhook_allowed_hosts=["127.0.0.1"],
        webhook_read_timeout_seconds=30,
        retry_base_seconds=60,
    )
    app = create_app(settings)
    agency = new_id()
    try:
        async with running_app(app) as client:
            head = auth(settings, "head", agency_id=agency)
            ids = {}
            for name, url in (("silent", f"http://127.0.0.1:{silent_port}/hook"), ("healthy", f"http://127.0.0.1:{port}/hook")):
                created = await client.post("/api/v1/notify/webhooks", json={"url": url}, headers=head)
                assert created.status_code == 201, created.text
                ids[name] = created.json()["id"]
            for _ in range(5):
                await _enqueue(app, agency)

            async def healthy_all_sent():
                log = await _log(client, head, ids["healthy"])
                return len(log) == 5 and all(d["status"] == "sent" for d in log)

            await eventually(healthy_all_sent, timeout=10, message="the healthy receiver's five deliveries sent")
            # ... while the silent receiver still holds the first of its lane (its 30 s read limit has not run out).
            silent_log = await _log(client, head, ids["silent"])
            assert len(silent_log) == 5 and all(d["status"] == "pending" and not d["last_error"] for d in silent_log), silent_log
            assert silent_log[0]["attempts"] == 1 and len(held) == 1
            assert len(r.calls) == 5 and len({c["delivery"] for c in r.calls}) == 5
    finally:
        for writer in held:
            writer.close()
        server.close()


def _tls_files(tmp_path, name: str) -> tuple[str, str, ssl.SSLContext]:
    """A throw-away CA and a certificate for `name` signed by it; the client context trusts only that CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "leaf.pem", tmp_path / "leaf.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return str(cert_file), str(key_file), context


async def test_https_to_the_pinned_address_checks_the_certificate_against_the_registered_name(tmp_path):
    cert, key, trust = _tls_files(tmp_path, "receiver.test")
    hosts: list[str | None] = []

    async def hook(request: Request) -> Response:
        hosts.append(request.headers.get("host"))
        return Response(status_code=204)

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            ssl_certfile=cert,
            ssl_keyfile=key,
            lifespan="off",
            log_level="warning",
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        names = Names()
        names.set("receiver.test", ["127.0.0.1"])
        names.set("other.test", ["127.0.0.1"])
        poster = WebhookPoster(Allowlist.parse(["127.0.0.1/32"]), resolver=names, verify=trust)
        ok = await poster.post(f"https://receiver.test:{port}/hook", b"{}", {"Content-Type": "application/json"})
        assert ok.ok and ok.status_code == 204 and hosts == [f"receiver.test:{port}"]
        # Same address, another name: the certificate is checked against the name, so the TLS handshake fails.
        wrong = await poster.post(f"https://other.test:{port}/hook", b"{}", {"Content-Type": "application/json"})
        assert not wrong.ok and not wrong.permanent and "ConnectError" in wrong.error and len(hosts) == 1
    finally:
        server.should_exit = True
        await task
