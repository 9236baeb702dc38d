"""The hash chain of the audit log (pure): each entry commits to the one before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

GENESIS = "0" * 64


def canonical(envelope: dict[str, Any]) -> str:
    """The exact text an entry's hash covers: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash: str, canonical_text: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical_text}".encode()).hexdigest()


# -- verification ------------------------------------------------------------------------------

# Columns kept next to the envelope for searching; each must agree with the envelope the hash covers,
# or a search could be steered by editing a column the chain does not protect.
CHECKED_COLUMNS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "event_id": lambda e: e.get("event_id"),
    "event_type": lambda e: e.get("type"),
    "event_version": lambda e: e.get("version"),
    "source": lambda e: e.get("source"),
    "aggregate_type": lambda e: e.get("aggregate_type"),
    "aggregate_id": lambda e: e.get("aggregate_id"),
    "agency_id": lambda e: e.get("agency_id"),
    "actor_sub": lambda e: (e.get("actor") or {}).get("sub"),
    "actor_role": lambda e: (e.get("actor") or {}).get("role"),
    "correlation_id": lambda e: e.get("correlation_id"),
}
_MISSING = object()


class ChainEntry(Protocol):
    """What verification reads of a stored entry (an ORM row, a result row or any object alike)."""

    seq: int
    event_id: str
    envelope: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class BrokenLink:
    """The first entry at which the stored chain stops proving itself."""

    seq: int
    event_id: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "event_id": self.event_id, "reason": self.reason}


class ChainVerifier:
    """Checks entries one at a time in `seq` order, so a long log can be streamed through it.

    Each entry must (1) hash to its stored `hash` from its stored `prev_hash` and envelope text,
    (2) link to the previous entry's hash (GENESIS for the first) and (3) have searchable columns
    that agree with the envelope. A deleted entry breaks (2) at the entry after it; the reason then
    names the gap in `seq`. A gap whose link is intact is not tampering: a PostgreSQL sequence burns
    numbers on rolled-back transactions, and the hash link is what proves nothing was removed.
    """

    def __init__(self) -> None:
        self.checked = 0
        self.head = GENESIS
        self._last_seq: int | None = None

    def feed(self, entry: ChainEntry) -> BrokenLink | None:
        broken = self._check(entry)
        if broken is None:
            self.checked += 1
            self.head, self._last_seq = entry.hash, entry.seq
        return broken

    def _check(self, entry: ChainEntry) -> BrokenLink | None:
        def broken(reason: str) -> BrokenLink:
            return BrokenLink(entry.seq, entry.event_id, reason)

        if self._last_seq is not None and entry.seq <= self._last_seq:
            return broken(f"序号未递增（前一条为 {self._last_seq}）")
        if entry.prev_hash != self.head:
            if self._last_seq is not None and entry.seq != self._last_seq + 1:
                return broken(f"prev_hash 与前一条记录不符，且序号 {self._last_seq + 1}–{entry.seq - 1} 缺失：记录被删除")
            if self._last_seq is None and entry.prev_hash != GENESIS:
                return broken("首条记录的 prev_hash 不是创世值：之前的记录被删除")
            return broken("prev_hash 与前一条记录的 hash 不符：记录被删除、插入、调换或前一条被改写")
        if link_hash(entry.prev_hash, entry.envelope) != entry.hash:
            return broken("hash 与记录内容不符：事件内容或 hash 被修改")
        try:
            envelope = json.loads(entry.envelope)
        except ValueError:
            return broken("事件内容不是有效的 JSON")
        for column, pick in CHECKED_COLUMNS.items():
            stored = getattr(entry, column, _MISSING)
            if stored is not _MISSING and stored != pick(envelope):
                return broken(f"检索字段 {column} 与事件内容不符：该字段被修改")
        return None


def verify_chain(entries: Iterable[ChainEntry]) -> BrokenLink | None:
    """The first broken link of a chain given in `seq` order from its first entry, or None when it holds."""
    verifier = ChainVerifier()
    for entry in entries:
        if (broken := verifier.feed(entry)) is not None:
            return broken
    return None
