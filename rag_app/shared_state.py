"""State shared by every app process through Redis (REDIS_URL): the rate limits' token buckets and
the query-embedding cache. Without REDIS_URL each process keeps its own (security.RateLimiter,
QueryEmbedder's LRU), as one machine needs.

Redis unreachable: requests go ahead (rate limits fail open) and questions are embedded locally;
a warning is logged at most once a minute. An outage of an optional cache must not refuse shoppers.
"""

from __future__ import annotations

import hashlib
import logging
import time

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("rag_app.shared_state")

KEY_PREFIX = "tileshop:"
REDIS_TIMEOUT_S = 0.5
EMBEDDING_TTL_S = 7 * 24 * 3600  # Redis has no per-prefix LRU: a week-old question is embedded again

# One token bucket per client, on the Redis server's clock (machines' clocks may differ): the same
# rule as security.RateLimiter. The bucket expires once it would be full again.
TOKEN_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens, updated = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, updated = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class _Warner:
    """A warning at most every `every_s` seconds (a Redis outage must not flood the log)."""

    def __init__(self, what: str, consequence: str, every_s: float = 60.0):
        self.what = what
        self.consequence = consequence
        self.every_s = every_s
        self._last = -every_s

    def __call__(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self._last = now
            log.warning("Redis unavailable for %s (%s); %s", self.what, type(exc).__name__, self.consequence)


def connect(url: str) -> aioredis.Redis:
    """A client; connects on first use."""
    return aioredis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)


class RedisRateLimiter:
    """security.RateLimiter's token bucket per client, kept in Redis for every process."""

    def __init__(self, client: aioredis.Redis, per_minute: int, burst: int):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._script = client.register_script(TOKEN_BUCKET)
        self._warn = _Warner("rate limits", "requests go ahead")

    async def check(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        try:
            return float(await self._script(keys=[f"{KEY_PREFIX}rate:{client}"], args=[self.rate, self.burst]))
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return 0.0


class RedisEmbeddingCache:
    """Query vectors by normalized question text (query_embedding.cache_key), for every process."""

    def __init__(self, client: aioredis.Redis, model_name: str):
        self._client = client
        self._prefix = f"{KEY_PREFIX}query-embedding:{model_name}:"
        self._warn = _Warner("the query-embedding cache", "questions are embedded here")

    def key(self, text: str) -> str:
        return self._prefix + hashlib.sha256(text.encode()).hexdigest()

    async def get(self, text: str) -> np.ndarray | None:
        try:
            raw = await self._client.get(self.key(text))
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return None
        return None if raw is None else np.frombuffer(raw, dtype=np.float32)

    async def put(self, text: str, vector: np.ndarray) -> None:
        try:
            await self._client.set(self.key(text), np.asarray(vector, dtype=np.float32).tobytes(), ex=EMBEDDING_TTL_S)
        except (RedisError, OSError) as exc:
            self._warn(exc)
