"""What signing in costs: token verification inside the requests service.

Verification. The identity service runs on a real port; a requests app trusts only its key set
(RS256 through the JWKS URL, as under `make run` and in production). With the key set cached,
`verify()` of an access token is timed on its own, next to a whole unauthenticated request
through the same app (the public calendar) in the same run. Target: p50 under 0.2 ms.

SMS login. The identity app on a real port (uvicorn, SQLite, the development outbox): each
sign-in is captcha → send (the code read back from the outbox) → login, one phone and one
client address (X-Forwarded-For from loopback) per sign-in, so the per-phone and per-address
limits do not bite; sign-ins per second next to `GET /healthz` (a no-op) over the same HTTP
with the same concurrency.

    .venv/bin/python -m bench.identity_tokens          # BENCH_VERIFY_N, BENCH_REQUEST_N, BENCH_SECONDS, BENCH_CONCURRENCY
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from services.identity.app import create_app as create_identity_app
from services.identity.settings import IdentitySettings
from services.requests.app import create_app as create_requests_app
from services.requests.settings import RequestsSettings
from shared.testing import Broker, running_app, served, settings_for

VERIFY_N = int(os.environ.get("BENCH_VERIFY_N", "5000"))
REQUEST_N = int(os.environ.get("BENCH_REQUEST_N", "1000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
API = "/api/v1/identity"
DIGITS = "零一二三四五六七八九"


def quantiles(samples_ms: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples_ms, n=100)
    return q[49], q[98]


async def verification(identity, tmp: Path, bootstrap: str) -> None:
    from services.identity.adapters.orm import Account
    from services.identity.service.sessions import start_session

    async with identity.app.state.runtime.uow() as uow:
        account = Account(kind="citizen", status="active")
        uow.session.add(account)
        pair = await start_session(uow, identity.app.state.keyring, identity.settings, account, methods="sms")
        await uow.commit()
    async with served(identity.app, lifespan="off") as url:
        settings = settings_for(
            RequestsSettings,
            database_url=f"sqlite+aiosqlite:///{tmp / 'requests.db'}",
            bootstrap=bootstrap,
            prefix="bench.",
            storage_dir=str(tmp / "files"),
            run_scheduler=False,
            run_consumers=False,
            log_level="WARNING",
            jwt_algorithm="RS256",
            jwt_jwks_url=f"{url}/.well-known/jwks.json",
            jwt_issuer=identity.settings.issuer,
            jwt_audience=identity.settings.token_audience,
        )
        app = create_requests_app(settings)
        async with running_app(app) as client:
            verifier = app.state.verifier
            await verifier.verify(pair.access_token)  # fetch the key set once
            verify_ms = []
            for _ in range(VERIFY_N):
                started = time.perf_counter()
                await verifier.verify(pair.access_token)
                verify_ms.append((time.perf_counter() - started) * 1000)
            public_ms, mine_ms = [], []
            headers = {"Authorization": f"Bearer {pair.access_token}"}
            for _ in range(REQUEST_N):
                started = time.perf_counter()
                assert (await client.get("/api/v1/requests/calendar/2026")).status_code == 200
                public_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                assert (await client.get("/api/v1/requests/requests/mine", headers=headers)).status_code == 200
                mine_ms.append((time.perf_counter() - started) * 1000)
    v50, v99 = quantiles(verify_ms)
    p50, p99 = quantiles(public_ms)
    m50, m99 = quantiles(mine_ms)
    print("\n== token verification inside the requests service (key set cached) ==")
    print(f"{'':38} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'verify() of an RS256 access token':38} {v50:8.3f} {v99:8.3f}   (target p50 < 0.2 ms: {'met' if v50 < 0.2 else 'NOT met'})")
    print(f"{'GET calendar (public, no token)':38} {p50:8.3f} {p99:8.3f}")
    print(f"{'GET requests/mine (token, one query)':38} {m50:8.3f} {m99:8.3f}")
    print(f"verification / unauthenticated request (p50): {v50 / p50:.3f}")


class Outbox:
    """The development outbox read as a person would: the latest code texted to each phone."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.codes = path, 0, {}

    def code_for(self, phone: str) -> str:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next read
        self.offset += len(complete)
        for line in complete.splitlines():
            message = json.loads(line)
            self.codes[message["phone"]] = message["code"]
        return self.codes.pop(phone)


def answer(challenge: str) -> str:
    a, b = re.search(r"([零一二三四五六七八九])加([零一二三四五六七八九])", challenge).groups()
    return str(DIGITS.index(a) + DIGITS.index(b))


async def throughput(one, seconds: float) -> tuple[int, float]:
    """How many times `one(n)` completes in `seconds`, CONCURRENCY callers at once."""
    counter = itertools.count()
    done = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await one(next(counter))
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    return done, time.perf_counter() - started


async def sms_login(identity, outbox: Outbox) -> None:
    async with served(identity.app, lifespan="off") as url:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

            async def noop(_: int) -> None:
                assert (await client.get("/healthz")).status_code == 200

            async def sign_in(n: int) -> None:
                phone, who = f"139{n:08d}", {"X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
                c = (await client.post(f"{API}/captcha", headers=who)).json()
                sent = await client.post(
                    f"{API}/sms/send",
                    headers=who,
                    json={"phone": phone, "captcha_id": c["captcha_id"], "captcha_answer": answer(c["text_challenge"])},
                )
                assert sent.status_code == 202, sent.text
                login = await client.post(f"{API}/sms/login", headers=who, json={"phone": phone, "code": outbox.code_for(phone)})
                assert login.status_code == 200, login.text

            await throughput(noop, 0.5)  # warm up the connections
            noops, noop_s = await throughput(noop, SECONDS)
            logins, login_s = await throughput(sign_in, SECONDS)
    print(f"\n== SMS login over HTTP (uvicorn, SQLite, development outbox, {CONCURRENCY} callers, {SECONDS:g} s each) ==")
    print(f"{'GET /healthz (no-op)':38} {noops / noop_s:10.1f} /s")
    print(f"{'captcha → send → login (one sign-in)':38} {logins / login_s:10.1f} /s   ({logins} sign-ins)")
    print(f"sign-ins / no-op requests per second: {logins / login_s / (noops / noop_s):.3f}")


async def main() -> int:
    broker = Broker().start()
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            settings = settings_for(
                IdentitySettings,
                database_url=f"sqlite+aiosqlite:///{tmp / 'identity.db'}",
                bootstrap=broker.bootstrap,
                prefix="bench.",
                sms_outbox_path=str(tmp / "sms.jsonl"),
                sms_daily_budget=10**9,
                log_level="WARNING",
            )
            app = create_identity_app(settings)
            async with running_app(app) as client:
                identity = type("Identity", (), {"app": app, "settings": settings, "client": client})()
                await verification(identity, tmp, broker.bootstrap)
                await sms_login(identity, Outbox(tmp / "sms.jsonl"))
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
