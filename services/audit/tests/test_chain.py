"""The audit log's hash chain: canonical text and links."""

from __future__ import annotations

import hashlib
import json
import re

from services.audit.domain.chain import GENESIS, canonical, link_hash

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def envelope(n: int, **extra: object) -> dict:
    return {
        "event_id": f"evt-{n}",
        "type": "requests.request.submitted",
        "version": 1,
        "source": "requests",
        "actor": {"sub": "applicant-1", "role": "applicant", "agency_id": None},
        "data": {"subject": f"关于某某县第{n}号政府信息公开申请", "tags": ["依申请公开", "交通"]},
        **extra,
    }


def build_chain(envelopes: list[dict]) -> list[dict]:
    """What the audit service stores per entry: the canonical text, the previous hash and its own."""
    entries, prev = [], GENESIS
    for env in envelopes:
        text = canonical(env)
        entry = {"envelope": text, "prev_hash": prev, "hash": link_hash(prev, text)}
        entries.append(entry)
        prev = entry["hash"]
    return entries


def first_broken_link(entries: list[dict]) -> int | None:
    """Re-verify a stored chain by recomputation; the index of the first entry that fails."""
    prev = GENESIS
    for i, entry in enumerate(entries):
        if entry["prev_hash"] != prev or link_hash(entry["prev_hash"], entry["envelope"]) != entry["hash"]:
            return i
        prev = entry["hash"]
    return None


# -- canonical ---------------------------------------------------------------------------------


def test_canonical_ignores_key_order_at_every_level():
    a = {"b": 1, "a": {"y": [1, 2], "x": "甲"}, "c": None}
    b = {"c": None, "a": {"x": "甲", "y": [1, 2]}, "b": 1}
    assert canonical(a) == canonical(b)
    assert canonical(a) == '{"a":{"x":"甲","y":[1,2]},"b":1,"c":null}'


def test_canonical_keeps_chinese_as_is_and_is_stable():
    env = envelope(1)
    text = canonical(env)
    assert "关于某某县第1号政府信息公开申请" in text
    assert "\\u" not in text  # ensure_ascii=False
    assert " " not in text.replace("某某县", "")  # compact separators
    assert canonical(json.loads(text)) == text  # round-trips to the same text
    assert canonical(envelope(1)) == text  # same input, same text, every time


def test_canonical_does_not_reorder_lists():
    assert canonical({"a": [2, 1]}) != canonical({"a": [1, 2]})


# -- link_hash ---------------------------------------------------------------------------------


def test_link_hash_is_sha256_of_prev_and_text():
    text = canonical(envelope(1))
    h = link_hash(GENESIS, text)
    assert HEX64.match(h)
    assert h == hashlib.sha256(f"{GENESIS}\n{text}".encode()).hexdigest()
    assert link_hash(GENESIS, text) == h


def test_link_hash_changes_with_the_previous_hash():
    text = canonical(envelope(1))
    assert link_hash(GENESIS, text) != link_hash("1" + GENESIS[1:], text)


def test_link_hash_changes_with_the_text():
    a = canonical(envelope(1))
    b = canonical(envelope(1, data={"subject": "关于某某县第1号政府信息公开申请。"}))
    assert a != b
    assert link_hash(GENESIS, a) != link_hash(GENESIS, b)


def test_link_hash_changes_with_a_single_chinese_character():
    a = canonical({"subject": "公开"})
    b = canonical({"subject": "公升"})
    assert link_hash(GENESIS, a) != link_hash(GENESIS, b)


# -- a chain -----------------------------------------------------------------------------------


def test_a_chain_of_three_entries_verifies_by_recomputation():
    entries = build_chain([envelope(1), envelope(2), envelope(3)])
    assert entries[0]["prev_hash"] == GENESIS
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    assert entries[2]["prev_hash"] == entries[1]["hash"]
    assert len({e["hash"] for e in entries}) == 3
    assert first_broken_link(entries) is None
    # Recomputing from the envelopes (as stored, re-parsed) reproduces every hash.
    rebuilt = build_chain([json.loads(e["envelope"]) for e in entries])
    assert [e["hash"] for e in rebuilt] == [e["hash"] for e in entries]


def test_tampering_with_the_middle_entry_is_detected():
    entries = build_chain([envelope(1), envelope(2), envelope(3)])
    tampered = json.loads(entries[1]["envelope"])
    tampered["data"]["subject"] = "已被篡改的申请"
    entries[1]["envelope"] = canonical(tampered)
    assert first_broken_link(entries) == 1


def test_rehashing_the_tampered_middle_entry_breaks_the_next_link():
    entries = build_chain([envelope(1), envelope(2), envelope(3)])
    tampered = json.loads(entries[1]["envelope"])
    tampered["actor"]["sub"] = "someone-else"
    entries[1]["envelope"] = canonical(tampered)
    entries[1]["hash"] = link_hash(entries[1]["prev_hash"], entries[1]["envelope"])  # a forger fixes its own hash
    assert first_broken_link(entries) == 2  # ... but the third entry still commits to the original


def test_reordering_entries_is_detected():
    entries = build_chain([envelope(1), envelope(2), envelope(3)])
    entries[1], entries[2] = entries[2], entries[1]
    assert first_broken_link(entries) == 1


def test_dropping_an_entry_is_detected():
    entries = build_chain([envelope(1), envelope(2), envelope(3)])
    del entries[1]
    assert first_broken_link(entries) == 1
