"""Per-address limits count the real caller: only a trusted proxy's X-Forwarded-For is believed.

Found by the review of issues #12/#13: every service ran uvicorn with forwarded_allow_ips="*", so a
caller reaching a service directly could name any address in X-Forwarded-For and get past the
status lookup's and the SMS codes' per-address limits. Run as production runs (`serve`, uvicorn's
proxy handling), on this machine's loopback.
"""

from __future__ import annotations

import httpx

from shared.testing import service_env

API = "/api/v1/requests/public/status"


async def _statuses(url: str, forwarded: list[str]) -> list[int]:
    async with httpx.AsyncClient(timeout=10) as client:
        return [
            (
                await client.post(
                    url + API, json={"tracking_number": "X-2026-000001", "query_code": "ABCDEFGH"}, headers={"X-Forwarded-For": ip}
                )
            ).status_code
            for ip in forwarded
        ]


async def test_an_untrusted_caller_cannot_dodge_the_per_address_limit_with_a_header(broker, databases, topic_prefix, processes, tmp_path):
    fake_addresses = [f"198.51.100.{n}" for n in range(1, 6)]
    env = service_env(
        "requests",
        database_url=await databases.new("requests"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        status_per_ip_per_minute="2",
        run_workers="false",
    )
    # This test's client is not a trusted proxy here: its headers are ignored, all five calls are one address.
    direct = processes("requests", {**env, "REQUESTS_FORWARDED_ALLOW_IPS": "192.0.2.1"}, tmp_path).start()
    await direct.wait_ready(60)
    assert await _statuses(direct.url, fake_addresses) == [404, 404, 429, 429, 429]
    # Behind a trusted proxy (the default: this machine, as the web site and make run's gateway are),
    # its X-Forwarded-For names the caller, and each caller has a budget of their own.
    proxied = processes("requests", env, tmp_path).start()
    await proxied.wait_ready(60)
    assert await _statuses(proxied.url, fake_addresses) == [404] * 5
