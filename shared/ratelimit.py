"""Rate limits on the `limits` library: moving windows in memory (one process) or Redis (shared).

`enforce` checks every limit first and counts only when all allow, so a refusal by the hourly
limit does not also use up the per-minute one; a refusal is a 429 with `Retry-After`.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from shared.errors import Problem


class RateLimiter:
    def __init__(self, storage_uri: str = "memory://", *, key_prefix: str = "LIMITS") -> None:
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        # Redis through redis-py's asyncio client (the pinned `redis` package), not limits' default coredis.
        options = {"implementation": "redispy", "key_prefix": key_prefix} if "redis" in uri.split("://", 1)[0] else {}
        self.storage = storage_from_string(uri, **options)
        self._strategy = MovingWindowRateLimiter(self.storage)

    async def retry_after(self, checks: list[tuple[str, tuple[str, ...]]]) -> int | None:
        """Seconds until every (limit, keys) pair would allow one more hit, or None if all allow now."""
        waits = []
        for limit, keys in checks:
            item: RateLimitItem = parse(limit)
            if not await self._strategy.test(item, *keys):
                stats = await self._strategy.get_window_stats(item, *keys)
                waits.append(max(1, math.ceil(stats.reset_time - time.time())))
        return max(waits) if waits else None

    async def hit(self, limit: str, keys: tuple[str, ...]) -> bool:
        """Count one hit on one limit; False when it was already used up (then nothing is counted)."""
        return await self._strategy.hit(parse(limit), *keys)

    async def enforce(self, checks: list[tuple[str, tuple[str, ...]]], *, code: str, detail: str) -> None:
        """Count one hit on every limit, or raise 429 (counting nothing) when any is used up."""
        wait = await self.retry_after(checks)
        if wait is not None:
            raise Problem(429, code, f"{detail}，请 {human_wait(wait)}后再试", headers={"Retry-After": str(wait)}, retry_after=wait)
        for limit, keys in checks:
            await self._strategy.hit(parse(limit), *keys)


def human_wait(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)} 分钟"
    return f"{math.ceil(seconds / 3600)} 小时"
