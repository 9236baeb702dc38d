"""Delivery channels behind one interface: site inbox, e-mail, SMS, WeChat subscribe messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import httpx


@dataclass(frozen=True)
class Attachment:
    """A file that goes with an e-mail (the formal notice's PDF)."""

    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one address over one channel."""

    notification_id: str  # stable across retries: providers that dedupe can use it
    to: str  # e-mail address, mobile number or WeChat openid
    subject: str
    body: str
    # For providers that send pre-approved templates (SMS, WeChat): the template and its values.
    template_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    page: str | None = None  # WeChat: the mini-program page the message opens
    # E-mail: the notice to fetch before sending ({request_id, notice_id, filename}), then the fetched files.
    notice: dict[str, str] | None = None
    files: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_message_id: str | None = None
    # A permanent failure is not retried (bad number, user not subscribed); a transient one is.
    permanent: bool = False
    reason: str | None = None  # the provider's own code and message, for proof of service

    @classmethod
    def sent(cls, provider_message_id: str | None = None) -> SendResult:
        return cls(True, provider_message_id)

    @classmethod
    def failed(cls, reason: str, *, permanent: bool) -> SendResult:
        return cls(False, None, permanent, reason)


class Channel(Protocol):
    name: str  # "email" | "sms" | "wechat"

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Deliver or report why not; never raise for a provider's refusal (network errors may raise)."""
        ...


class HttpChannel:
    """Shared by channels that call a provider's HTTP API: one lazily created client, closed once."""

    def __init__(self, timeout: float, client: httpx.AsyncClient | None) -> None:
        self._timeout = timeout
        self._client = client
        self._owns_client = client is None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None
