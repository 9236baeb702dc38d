"""Background loops that run a round now and then every few seconds until the service stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any


async def every(interval: float, stop: asyncio.Event, run_round: Callable[[], Awaitable[Any]], *, what: str, log: logging.Logger) -> None:
    """Run `run_round` at once and then every `interval` seconds until `stop` is set. A failing
    round is logged and the loop goes on; a stop request ends the wait between rounds at once."""
    while not stop.is_set():
        try:
            await run_round()
        except Exception:
            log.exception("%s failed; retrying next interval", what)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
