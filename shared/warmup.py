"""Work a FastAPI app would otherwise do in its first request, done at start-up instead.

Measured (bench/cold_start.py): the first search after a start took over a second longer than the
next one, with the segmenter's dictionary already loaded. Two lazy steps were to blame:
- FastAPI (0.16x) builds each included router's routes — signatures, dependency graphs, pydantic
  field models — on the first request that walks that router;
- anyio imports its asyncio backend on first use, which the first request with a `yield`
  dependency (every unit of work) pays for;
- FastAPI reads and tokenizes each endpoint's source file on its first call (to name the
  endpoint in error reports), tens of milliseconds per endpoint.
All run here, before /readyz says ready, so no person waits for them. The last one uses a
private helper of the locked FastAPI version and is skipped if a later version drops it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import fastapi.routing
from fastapi import FastAPI

_NO_ROUTE = {"type": "http", "path": "/.warm-up", "root_path": "", "method": "GET", "headers": [], "query_string": b""}


def warm_up_app(app: FastAPI) -> None:
    """Call from the lifespan, inside the running event loop."""
    anyio.get_cancelled_exc_class()
    # A path no route has walks every router: each builds its routing table on the way.
    for route in app.router.routes:
        route.matches(dict(_NO_ROUTE))
    describe = getattr(fastapi.routing, "_extract_endpoint_context", None)
    if describe is not None:
        for endpoint in _endpoints(app.router.routes):
            describe(endpoint)


def _endpoints(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if (endpoint := getattr(route, "endpoint", None)) is not None:
            yield endpoint
        nested = getattr(getattr(route, "original_router", None), "routes", None) or getattr(route, "routes", None)
        if nested:
            yield from _endpoints(nested)
