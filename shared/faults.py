"""Fail points: named places where a test may make the process die or stall, to prove crash safety.

Enabled only through the `FAILPOINTS` environment variable (comma-separated names), which
no deployment sets; `crash_point` then ends the process at once, as a power cut would, and
`http.slow` lets a request ask the middleware to hold it before the handler
(`X-Failpoint-Slow: <seconds>`) or hold its response after the handler committed
(`X-Failpoint-Slow-Response: <seconds>`), so a test can have a request in flight when the
process is told to stop or dies.
"""

from __future__ import annotations

import asyncio
import os
import sys


def enabled(name: str) -> bool:
    """Whether the fail point `name` is switched on for this process."""
    return name in {p.strip() for p in os.environ.get("FAILPOINTS", "").split(",") if p.strip()}


def crash_point(name: str) -> None:
    if enabled(name):
        sys.stderr.write(f"failpoint {name}: exiting abruptly\n")
        sys.stderr.flush()
        os._exit(86)


async def slow_point(name: str, seconds: float, what: str) -> None:
    """Hold `what` for `seconds`, announcing it first on stderr so a test knows it is in flight."""
    sys.stderr.write(f"failpoint {name}: holding {what} for {seconds:g}s\n")
    sys.stderr.flush()
    await asyncio.sleep(seconds)
