"""Signing requests to Aliyun's OpenAPI with its V3 signature, ACS3-HMAC-SHA256.

Aliyun has retired the RPC signature v1.0 (HMAC-SHA1 over the query). V3 signs a canonical
request, as its documentation "V3版本请求体&签名机制" lays it out:

    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQueryString \\n CanonicalHeaders \\n
                       SignedHeaders \\n HashedRequestPayload
    StringToSign     = "ACS3-HMAC-SHA256" \\n hex(sha256(CanonicalRequest))
    Signature        = hex(hmac_sha256(AccessKeySecret, StringToSign))
    Authorization    = "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>"

The action, API version, time (x-acs-date, UTC, within 15 minutes of Aliyun's clock), a
single-use nonce (x-acs-signature-nonce) and the payload's SHA-256 (x-acs-content-sha256) travel
as headers, and every one of them is signed. Used by the SMS adapters of identity (login codes)
and notify (notices); tests check it against Aliyun's published example and its SDK's own vector.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "ACS3-HMAC-SHA256"


def percent_encode(value: str) -> str:
    """RFC 3986 on the UTF-8 bytes: only A-Z a-z 0-9 - _ . ~ stay as they are (space is %20, * is %2A)."""
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    """Parameters sorted by name, name and value encoded; one without a value keeps its name alone (as the SDK signs it)."""
    return "&".join(
        f"{percent_encode(name)}={percent_encode(value)}" if value != "" else percent_encode(name) for name, value in sorted(params.items())
    )


def canonical_uri(path: str) -> str:
    """The path, each segment encoded (the slashes stay)."""
    return quote(path, safe="/-_.~")


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _signed_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """host, content-type and every x-acs-* header: names lower-cased, values trimmed, repeated names joined."""
    values: dict[str, list[str]] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in ("host", "content-type") or lower.startswith("x-acs-"):
            values.setdefault(lower, []).append(value.strip())
    return [(name, ",".join(sorted(values[name]))) for name in sorted(values)]


def authorization(
    *,
    access_key_id: str,
    access_key_secret: str,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_sha256: str,
) -> str:
    """The Authorization header of a request: its method, path, query parameters, headers and payload hash."""
    signed = _signed_headers(headers)
    names = ";".join(name for name, _ in signed)
    canonical_request = "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            "".join(f"{name}:{value}\n" for name, value in signed),
            names,
            payload_sha256,
        ]
    )
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    signature = hmac.new(access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={names},Signature={signature}"


def signed_rpc_request(
    endpoint: str,
    *,
    action: str,
    version: str,
    params: Mapping[str, str],
    access_key_id: str,
    access_key_secret: str,
    now: datetime | None = None,
    nonce: str | None = None,
) -> tuple[str, dict[str, str]]:
    """(URL, headers) of a POST to an RPC-style API (such as SendSms) with `params` in the query and no body."""
    parts = urlsplit(endpoint)
    path = parts.path or "/"
    body_sha256 = payload_hash(b"")
    headers = {
        "host": parts.netloc,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": body_sha256,
    }
    headers["Authorization"] = authorization(
        access_key_id=access_key_id,
        access_key_secret=access_key_secret,
        method="POST",
        path=path,
        query=params,
        headers=headers,
        payload_sha256=body_sha256,
    )
    return f"{parts.scheme}://{parts.netloc}{path}?{canonical_query(params)}", headers
