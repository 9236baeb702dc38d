"""Personal data in the audit log (pure): found by key, sealed per subject, shown masked or erased.

The log is append-only and its hash chain must verify forever, so personal data is never stored
in the clear: each value under a personal key is replaced by a marker holding its ciphertext
under the subject's own key (one key per request, or per account or officer for their events).
The chain covers the ciphertext. Destroying a subject's key erases the data (crypto-shredding)
and leaves every hash intact. Statistics never need these values: they read only facts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from shared.validators import mask_mobile

# Keys whose values identify or reach a person: the applicant's contact block, a consulted
# third party's contact, a notice's address, a WeChat openid, an ID number.
PERSONAL_KEYS = frozenset(
    {"contact", "party_contact", "recipient", "mobile", "email", "phone", "address", "postal_address", "openid", "unionid", "id_number"}
)
MARKER = "$sealed"
ERASED = "〔已删除〕"
UNREADABLE = "〔无法解密〕"

Sealer = Callable[[str, bytes], str]  # (path, plaintext) -> token
Opener = Callable[[str, str], bytes | None]  # (path, token) -> plaintext, None when the key is gone


def subject_of(envelope: dict[str, Any]) -> str:
    """Whose key seals an event's personal data: its request, or else its own aggregate."""
    payload = envelope.get("payload") or {}
    if isinstance(payload.get("request_id"), str) and payload["request_id"]:
        return f"request:{payload['request_id']}"
    return f"{envelope.get('aggregate_type')}:{envelope.get('aggregate_id')}"


def has_personal(value: Any) -> bool:
    if isinstance(value, dict):
        return any((k in PERSONAL_KEYS and v is not None) or has_personal(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_personal(v) for v in value)
    return False


def replace_personal(value: Any, replace: Callable[[str, Any], Any], path: str = "payload") -> Any:
    """A copy of `value` with every non-null value under a personal key replaced by `replace(path, value)`."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            here = f"{path}.{key}"
            out[key] = replace(here, item) if key in PERSONAL_KEYS and item is not None else replace_personal(item, replace, here)
        return out
    if isinstance(value, list):
        return [replace_personal(item, replace, f"{path}[{i}]") for i, item in enumerate(value)]
    return value


def seal_payload(value: Any, seal: Sealer, path: str = "payload") -> Any:
    """A copy of `value` with every non-null value under a personal key replaced by its sealed marker."""
    return replace_personal(
        value, lambda here, item: {MARKER: seal(here, json.dumps(item, ensure_ascii=False, sort_keys=True).encode())}, path
    )


def open_payload(value: Any, open_: Opener, *, full: bool, path: str = "payload") -> Any:
    """A copy of `value` with each marker replaced by its value: in full, masked, or ERASED."""
    if isinstance(value, dict):
        if set(value) == {MARKER} and isinstance(value[MARKER], str):
            key = path.rsplit(".", 1)[-1]
            try:
                plain = open_(path, value[MARKER])
            except ValueError:
                return UNREADABLE
            if plain is None:
                return ERASED
            item = json.loads(plain)
            return item if full else mask(key, item)
        return {k: open_payload(v, open_, full=full, path=f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [open_payload(v, open_, full=full, path=f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def mask(key: str, value: Any) -> Any:
    """What someone who need not know sees: enough to tell records apart, not to reach the person."""
    if isinstance(value, dict):
        return {k: mask(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(key, v) for v in value]
    if not isinstance(value, str) or not value:
        return value
    if "@" in value:
        name, domain = value.split("@", 1)
        return f"{name[:1]}***@{domain}"
    digits = "".join(ch for ch in value if ch.isdigit())
    if key in ("mobile", "phone") or (len(digits) == 11 and digits.startswith("1") and len(value) <= 14):
        return mask_mobile(digits)
    if key in ("address", "postal_address"):
        return value[:6] + "……"
    if key == "name":
        return value[:1] + "*" * max(1, len(value) - 1)
    if len(value) <= 2:
        return value[:1] + "*"
    return value[:1] + "***" + value[-1:]
