"""Trees given as (id, parent_id) pairs: the agency hierarchy every service replicates."""

from __future__ import annotations

from collections.abc import Iterable


def descendants(pairs: Iterable[tuple[str, str | None]], root: str) -> set[str]:
    """`root` and every node below it (cycles and unknown roots are harmless)."""
    children: dict[str | None, list[str]] = {}
    for node, parent in pairs:
        children.setdefault(parent, []).append(node)
    found, frontier = {root}, [root]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found
