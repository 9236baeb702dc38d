"""The formal notices' PDFs, fetched from the requests service to go with their e-mail.

Events carry a reference to the notice, never its bytes (the PDF names the applicant, and the
event log keeps what it is given for good). Notify asks the requests service for the PDF with
a client-credentials token of identity's (RFC 6749 §4.4), kept until shortly before it expires
and fetched anew when the requests service no longer accepts it.
"""

from __future__ import annotations

import time

import httpx

from services.notify.adapters.channels import Attachment
from services.notify.settings import NotifySettings

TOKEN_MARGIN_SECONDS = 30  # a token is fetched anew this long before it expires


class NoticeUnavailable(Exception):
    """The notice's PDF could not be had now (identity or requests down or refusing); the e-mail waits."""


class NoticeFetcher:
    """Gets a notice's PDF from the requests service on a service token of its own."""

    def __init__(
        self,
        *,
        requests_api_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        timeout: float = 20.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.requests_api_url = requests_api_url.rstrip("/")
        self.token_url, self.client_id, self._secret = token_url, client_id, client_secret
        self._http = client or httpx.AsyncClient(timeout=timeout)
        self._owns_client = client is None
        self._token: str | None = None
        self._token_expires = 0.0

    @classmethod
    def from_settings(cls, settings: NotifySettings) -> NoticeFetcher | None:
        """The fetcher this deployment configured, or None: e-mails then say where to download the notice."""
        if not settings.attaches_notices:
            return None
        return cls(
            requests_api_url=settings.requests_api_url,
            token_url=settings.identity_token_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
        )

    async def _service_token(self) -> str:
        if self._token and time.monotonic() < self._token_expires:
            return self._token
        try:
            resp = await self._http.post(
                self.token_url, data={"grant_type": "client_credentials"}, auth=httpx.BasicAuth(self.client_id, self._secret)
            )
        except httpx.HTTPError as exc:
            raise NoticeUnavailable(f"身份服务无法连接：{type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise NoticeUnavailable(f"身份服务拒绝签发服务令牌：HTTP {resp.status_code} {_code(resp)}")
        body = resp.json()
        self._token = str(body["access_token"])
        self._token_expires = time.monotonic() + max(float(body.get("expires_in", 60)) - TOKEN_MARGIN_SECONDS, 1.0)
        return self._token

    async def pdf(self, request_id: str, notice_id: str, filename: str) -> Attachment:
        """The notice's PDF; NoticeUnavailable when it cannot be had now."""
        url = f"{self.requests_api_url}/requests/{request_id}/notices/{notice_id}/pdf"
        for fresh in (False, True):
            if fresh:
                self._token = None  # refused: the token expired early or the keys rotated; one new try
            token = await self._service_token()
            try:
                resp = await self._http.get(url, headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as exc:
                raise NoticeUnavailable(f"依申请公开服务无法连接：{type(exc).__name__}") from exc
            if resp.status_code == 401 and not fresh:
                continue
            if resp.status_code != 200 or resp.headers.get("content-type", "").split(";")[0] != "application/pdf":
                raise NoticeUnavailable(f"通知书 PDF 暂时无法取得：HTTP {resp.status_code} {_code(resp)}")
            return Attachment(filename, resp.content)
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()


def _code(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("code", ""))
    except ValueError:
        return ""
