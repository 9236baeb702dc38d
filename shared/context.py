"""Per-task context: the correlation id that ties an HTTP request to the events it causes."""

from __future__ import annotations

from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> str | None:
    return correlation_id.get()
