"""Outbound webhook POSTs that cannot be steered into the internal network.

Before each POST the host is resolved and every address it resolves to is checked; the
connection then goes to one vetted address while the Host header and TLS SNI (and so the
certificate check) keep the registered name. A DNS answer that changes between the check
and the connect (rebinding) therefore never reaches an internal address. Redirects are not
followed, proxies from the environment are not used, and connections are not reused across
deliveries, so no TLS session made for one name carries a request for another.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from services.notify.domain.webhook_targets import Allowlist, IPAddress, TargetRefused, check_literal, literal_address, refusal

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for `host` (A and AAAA)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = literal_address(str(sockaddr[0]).split("%", 1)[0])
        if address is not None and address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class PostOutcome:
    ok: bool
    permanent: bool
    error: str | None = None
    status_code: int | None = None


class WebhookPoster:
    """POSTs one signed delivery to a vetted address with connect, read and overall time limits."""

    def __init__(
        self,
        allowlist: Allowlist,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        total_timeout: float = 30.0,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.allowlist = allowlist
        self.verify = verify  # tests trust their own CA here
        self.timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout)
        self.total_timeout = total_timeout
        self.resolver = resolver or system_resolver

    async def vet(self, url: str) -> tuple[httpx.URL, IPAddress]:
        """The URL to connect to (host replaced by a vetted address) and that address; TargetRefused if none may be used."""
        target = check_literal(url, self.allowlist)  # a literal address or a local name needs no lookup to be refused
        literal = literal_address(target.host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = await self.resolver(target.host, target.port)
            except OSError as exc:
                raise LookupError(f"无法解析 Webhook 主机名 {target.host}：{exc}") from exc
            if not addresses:
                raise LookupError(f"无法解析 Webhook 主机名 {target.host}")
        reason = refusal(target.host, addresses, self.allowlist)
        if reason:
            raise TargetRefused(reason)
        return httpx.URL(url).copy_with(host=str(addresses[0])), addresses[0]

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostOutcome:
        try:
            pinned, _ = await self.vet(url)
        except TargetRefused as exc:
            return PostOutcome(False, True, f"已拒绝：{exc}")
        except LookupError as exc:
            return PostOutcome(False, False, str(exc))
        original = httpx.URL(url)
        host_header = original.netloc.decode("ascii")
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=0)
        try:
            async with asyncio.timeout(self.total_timeout):
                async with httpx.AsyncClient(
                    timeout=self.timeout, follow_redirects=False, trust_env=False, limits=limits, verify=self.verify
                ) as client:
                    request = client.build_request(
                        "POST", pinned, content=body, headers={**headers, "Host": host_header}, extensions={"sni_hostname": original.host}
                    )
                    response = await client.send(request, stream=True)  # the receiver's body is never read
                    await response.aclose()
        except TimeoutError:
            return PostOutcome(False, False, f"接收方超过 {self.total_timeout:g} 秒未完成响应")
        except httpx.HTTPError as exc:
            return PostOutcome(False, False, f"{type(exc).__name__}: {exc}")
        code = response.status_code
        if response.is_success:
            return PostOutcome(True, False, None, code)
        if response.is_redirect or 300 <= code < 400:
            return PostOutcome(False, True, f"HTTP {code}：接收方要求重定向，不予跟随", code)
        return PostOutcome(False, 400 <= code < 500 and code not in (408, 429), f"HTTP {code}", code)
