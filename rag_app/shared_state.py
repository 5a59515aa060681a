"""State shared by every app process through Redis (REDIS_URL): the rate limits' token buckets and
the query-embedding cache. Without REDIS_URL each process keeps its own (security.RateLimiter,
QueryEmbedder's LRU), as one machine needs.

Every request first takes a token from this process's own bucket (security.RateLimiter): the
floor, which holds when Redis cannot answer. Only a request that bucket lets through asks Redis,
whose bucket is every process's. Waiting for Redis is bounded: for a connection of the pool
(`max_connections`, then REDIS_TIMEOUT_S) and for the answer (REDIS_TIMEOUT_S). Redis busy,
unreachable, frozen or out of memory: the local bucket decides (a limiter must not open because it
is busy; before, every Redis error let the request through and 300 concurrent requests of one client
got 136 answers against a burst of 30), and questions are embedded locally. Each such fallback is
counted (`on_fallback(use, reason)`: the app's tileshop_redis_fallbacks_total) and logged as a
warning at most once a minute, with the count since the last one.
"""

from __future__ import annotations

import builtins
import hashlib
import logging
import time
from collections.abc import Callable

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, RedisError, TimeoutError

from rag_app.security import RateLimiter

log = logging.getLogger("rag_app.shared_state")

KEY_PREFIX = "tileshop:"
REDIS_TIMEOUT_S = 0.5  # for a connection of the pool, for connecting, for an answer
# Why Redis could not answer: the fallbacks' reason label (a closed set).
FALLBACK_REASONS = ("pool_exhausted", "timeout", "out_of_memory", "unavailable")
# What the app needs of Redis's memory settings (docs/operations.md, "Several app machines: Redis"): a limit, and an eviction
# policy that makes room by dropping keys, least recently used first (the query vectors, whose
# loss costs one encoding each), instead of refusing writes (noeviction: the rate limits' writes
# then fail and their floor decides alone).
EVICTING_POLICIES = frozenset({"allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"})

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


def fallback_reason(exc: Exception) -> str:
    """One of FALLBACK_REASONS for a Redis failure."""
    if isinstance(exc, OutOfMemoryError):
        return "out_of_memory"
    if isinstance(exc, RedisConnectionError) and "No connection available" in str(exc):
        return "pool_exhausted"  # BlockingConnectionPool waited REDIS_TIMEOUT_S for one
    if isinstance(exc, TimeoutError | builtins.TimeoutError):
        return "timeout"
    return "unavailable"


class _Fallbacks:
    """Counts each fallback (`on_fallback(use, reason)`) and logs a warning at most every `every_s`
    seconds with the count since the last one (a Redis outage must not flood the log)."""

    def __init__(
        self, use: str, consequence: str, on_fallback: Callable[[str, str], None] | None, every_s: float = 60.0
    ):
        self.use = use
        self.consequence = consequence
        self.on_fallback = on_fallback
        self.every_s = every_s
        self._last = -float("inf")
        self._since_warned = 0

    def __call__(self, exc: Exception) -> None:
        reason = fallback_reason(exc)
        if self.on_fallback is not None:
            self.on_fallback(self.use, reason)
        self._since_warned += 1
        now = time.monotonic()
        if now - self._last >= self.every_s:
            log.warning(
                "Redis could not answer for %s (%s: %s); %s (%d times since the last warning)",
                self.use,
                reason,
                type(exc).__name__,
                self.consequence,
                self._since_warned,
            )
            self._last = now
            self._since_warned = 0


def connect(url: str, max_connections: int) -> aioredis.Redis:
    """A client; connects on first use. Its pool blocks for a free connection at most
    REDIS_TIMEOUT_S (redis-py's default pool refused at once past its size: "Too many connections")."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=REDIS_TIMEOUT_S,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
    )
    return aioredis.Redis(connection_pool=pool)


class RedisRateLimiter:
    """security.RateLimiter's token bucket per client, kept in Redis for every process, behind this
    process's own bucket (the floor when Redis cannot answer)."""

    def __init__(
        self, client: aioredis.Redis, per_minute: int, burst: int, on_fallback: Callable[[str, str], None] | None = None
    ):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.local = RateLimiter(per_minute, burst)
        self._script = client.register_script(TOKEN_BUCKET)
        self._fallback = _Fallbacks("rate_limit", "this process's own limit decides", on_fallback)

    async def check(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        wait = self.local.take(client)
        if wait > 0:
            return wait  # over the limit here already: no need to ask Redis
        try:
            return float(await self._script(keys=[f"{KEY_PREFIX}rate:{client}"], args=[self.rate, self.burst]))
        except (RedisError, OSError) as exc:
            self._fallback(exc)
            return 0.0  # this process's bucket let it through


async def check_memory_settings(client: aioredis.Redis) -> list[str]:
    """What is missing from Redis's memory settings (`maxmemory`, `maxmemory-policy`), each logged as
    a warning at start; a Redis that refuses CONFIG GET (some managed services) is said so."""
    try:
        config = await client.config_get("maxmemory*")
    except (RedisError, OSError) as exc:
        problems = [
            f"could not read Redis's memory settings ({type(exc).__name__}): make sure maxmemory is set "
            f"and maxmemory-policy is one of {', '.join(sorted(EVICTING_POLICIES))}"
        ]
    else:
        config = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in config.items()
        }
        problems = []
        if int(config.get("maxmemory") or 0) == 0:
            problems.append(
                "Redis has no maxmemory: the query-embedding cache grows until the machine's memory runs out"
            )
        if config.get("maxmemory-policy") not in EVICTING_POLICIES:
            problems.append(
                f"Redis's maxmemory-policy is {config.get('maxmemory-policy')!r}: when full it refuses "
                f"writes (the rate limits then fall back to each process's own); use one of "
                f"{', '.join(sorted(EVICTING_POLICIES))}"
            )
    for problem in problems:
        log.warning("%s", problem)
    return problems


class RedisEmbeddingCache:
    """Query vectors by normalized question text (query_embedding.cache_key), for every process,
    each kept `ttl_s` (the size is Redis's maxmemory, with an evicting policy)."""

    def __init__(
        self, client: aioredis.Redis, model_name: str, ttl_s: int, on_fallback: Callable[[str, str], None] | None = None
    ):
        self._client = client
        self.ttl_s = ttl_s
        self._prefix = f"{KEY_PREFIX}query-embedding:{model_name}:"
        self._warn = _Fallbacks("embedding_cache", "questions are embedded here", on_fallback)

    def key(self, text: str) -> str:
        return self._prefix + hashlib.sha256(text.encode()).hexdigest()

    async def get(self, text: str) -> np.ndarray | None:
        try:
            raw = await self._client.get(self.key(text))
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return None
        if raw is None:
            return None
        assert isinstance(raw, bytes)  # the client answers bytes (decode_responses off)
        return np.frombuffer(raw, dtype=np.float32)

    async def put(self, text: str, vector: np.ndarray) -> None:
        try:
            await self._client.set(self.key(text), np.asarray(vector, dtype=np.float32).tobytes(), ex=self.ttl_s)
        except (RedisError, OSError) as exc:
            self._warn(exc)
