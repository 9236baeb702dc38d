"""shared.ratelimit on a real Redis: two limiters (two replicas) share one count."""

from __future__ import annotations

import os
import uuid

import pytest

from shared.errors import Problem
from shared.ratelimit import RateLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _require_redis():
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the shared rate limits against Redis at {REDIS_URL} (TEST_REDIS_URL): {exc!r}")
        pytest.skip(f"no Redis at {REDIS_URL} (start redis-server or set TEST_REDIS_URL)")
    return client


@pytest.fixture
async def redis_prefix():
    client = await _require_redis()
    prefix = f"test-{uuid.uuid4().hex}"
    try:
        yield prefix
    finally:
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_two_limiters_on_one_redis_share_their_counts(redis_prefix):
    a, b = RateLimiter(REDIS_URL, key_prefix=redis_prefix), RateLimiter(REDIS_URL, key_prefix=redis_prefix)
    check = [("3/minute", ("status", "198.51.100.7"))]
    await a.enforce(check, code="limited", detail="查询过于频繁")
    await b.enforce(check, code="limited", detail="查询过于频繁")
    await a.enforce(check, code="limited", detail="查询过于频繁")
    with pytest.raises(Problem) as refused:
        await b.enforce(check, code="limited", detail="查询过于频繁")
    assert refused.value.status == 429 and 1 <= int(refused.value.headers["Retry-After"]) <= 60
    # Another key is counted apart, and a limiter on memory:// sees none of it.
    await b.enforce([("3/minute", ("status", "198.51.100.8"))], code="limited", detail="查询过于频繁")
    await RateLimiter("memory://").enforce(check, code="limited", detail="查询过于频繁")
    assert "redis" in type(a.storage).__name__.lower()
