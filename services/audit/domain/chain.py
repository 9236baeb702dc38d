"""The hash chain of the audit log (pure): each entry commits to the one before it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical(envelope: dict[str, Any]) -> str:
    """The exact text an entry's hash covers: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash: str, canonical_text: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical_text}".encode()).hexdigest()
