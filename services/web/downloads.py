"""Files from the other services passed through to the reader: streamed, never rendered, never sniffed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote

from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from services.web.backends import Backends
from services.web.myrequests import download_disposition
from shared.filetypes import download_headers

_STAR = re.compile(r"filename\*\s*=\s*UTF-8''([^;]+)", re.IGNORECASE)
_PLAIN = re.compile(r'filename\s*=\s*"([^"]*)"', re.IGNORECASE)


def filename_from(disposition: str | None) -> str | None:
    """The file name a Content-Disposition gives (RFC 6266: `filename*` first), or None."""
    if not disposition:
        return None
    star = _STAR.search(disposition)
    if star:
        return unquote(star.group(1).strip(), errors="replace") or None
    plain = _PLAIN.search(disposition)
    return plain.group(1) or None if plain else None


def passthrough_headers(upstream: Mapping[str, str], fallback_name: str) -> dict[str, str]:
    """Always `attachment` with a cleaned name (rebuilt here, not copied) and nosniff; length and ETag kept."""
    get = upstream.get
    headers = download_headers(filename_from(get("content-disposition")) or fallback_name)
    for name in ("content-length", "etag"):
        if get(name) and not (name == "content-length" and get("content-encoding")):  # decoded here: its length differs
            headers[name.title()] = get(name)  # type: ignore[assignment]  # not None: tested just above
    return headers


async def stream_download(api: Backends, service: str, path: str, fallback_name: str, **kwargs: object) -> StreamingResponse:
    """The service's file, streamed through with its Content-Type; the upstream response is closed when done."""
    upstream = await api.open_stream(service, path, **kwargs)
    media_type = upstream.headers.get("content-type") or "application/octet-stream"
    return StreamingResponse(
        upstream.aiter_bytes(),
        media_type=media_type,
        headers=passthrough_headers(upstream.headers, fallback_name),
        background=BackgroundTask(upstream.aclose),
    )


async def private_download(api: Backends, service: str, path: str, token: str, fallback_name: str) -> Response:
    """A file only this person may have (an answer's document, a notice's PDF), asked for on their own token, so the API
    decides: always `attachment` under our own header built from the API's file name, never sniffed, never cached."""
    upstream = await api.call(service, "GET", path, token=token)
    return Response(
        upstream.content,
        media_type=upstream.headers.get("content-type", "application/octet-stream").split(";")[0],
        headers={
            "Content-Disposition": download_disposition(upstream.headers.get("content-disposition"), fallback_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
