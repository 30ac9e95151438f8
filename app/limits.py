"""Request rate limits per API key and per webhook channel, counted in memory on the hot
path (no database round trip per request) and shared across replicas in batches.

An approximate sliding window of one minute: the count of the current minute plus the
previous minute's, weighted by how much of it the window still covers (Cloudflare's
estimate: a burst at a minute boundary is not let through twice). Other replicas' counts
arrive through ``absorb`` (see ``app.guards.sync``, about once a second on PostgreSQL), so
the limit holds across replicas to within a second of traffic.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

WINDOW = 60.0
MAX_BUCKETS = 100_000  # unknown keys cannot grow the table without bound


def bucket_of(path: str, authorization: bytes) -> tuple[str, str] | None:
    """What a request is counted against: its webhook channel, else its API key (by a
    digest, never the key), else nothing (public pages and health checks)."""
    if path.startswith("/hooks/"):
        return "channel", path[7:].split("/", 1)[0][:64]
    if authorization:
        return "key", hashlib.blake2b(authorization, digest_size=12).hexdigest()
    return None


class RateLimiter:
    """``refused(path, authorization)``: None to let the request through (and count it),
    or the seconds to wait (``Retry-After``)."""

    def __init__(self, *, per_key: int, per_channel: int,
                 now: Callable[[], float] = time.time) -> None:
        self.limits = {"key": per_key, "channel": per_channel}
        self._now = now
        # bucket → [minute, count this minute, count last minute]
        self._counts: dict[tuple[str, str], list[int]] = {}
        self._unsent: dict[tuple[str, str], int] = {}
        self._others: dict[tuple[str, str], tuple[int, int]] = {}  # bucket → (minute, count)
        # Authorization value or hook path → its bucket (a key is digested once)
        self._keys: dict[str | bytes, tuple[str, str]] = {}

    def refused(self, path: str, authorization: bytes) -> int | None:
        hook = path.startswith("/hooks/")
        if hook or authorization:
            key: str | bytes = path if hook else authorization
            found = self._keys.get(key)
            if found is None:
                if len(self._keys) >= MAX_BUCKETS:
                    self._keys.clear()
                found = bucket_of(path, authorization)
                assert found is not None  # a hook or a key
                self._keys[key] = found
            bucket: tuple[str, str] | None = found
        else:
            bucket = None
        if bucket is None:
            return None
        limit = self.limits[bucket[0]]
        if limit <= 0:
            return None
        now = self._now()
        minute = int(now // WINDOW)
        entry = self._counts.get(bucket)
        if entry is None or entry[0] != minute:
            if len(self._counts) >= MAX_BUCKETS:
                self._counts.clear()
            last = entry[1] if entry is not None and entry[0] == minute - 1 else 0
            entry = [minute, 0, last]
            self._counts[bucket] = entry
        elapsed = now - minute * WINDOW
        others = self._others.get(bucket)
        remote = others[1] if others is not None and others[0] == minute else 0
        estimate = entry[2] * (1 - elapsed / WINDOW) + entry[1] + remote
        if estimate >= limit:
            return max(1, math.ceil(WINDOW - elapsed))
        entry[1] += 1
        self._unsent[bucket] = self._unsent.get(bucket, 0) + 1
        return None

    def take_unsent(self) -> tuple[int, dict[tuple[str, str], int]]:
        """This minute and the counts made since the last call (for the other replicas)."""
        unsent, self._unsent = self._unsent, {}
        return int(self._now() // WINDOW), unsent

    def absorb(self, minute: int, others: dict[tuple[str, str], int]) -> None:
        """The other replicas' counts for ``minute``."""
        self._others = {bucket: (minute, count) for bucket, count in others.items()}
