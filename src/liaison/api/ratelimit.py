"""Failed authentications limited per client address: a token bucket each (429).

Each client address has a bucket of ``burst`` tokens, refilled at ``per_minute``; every
request whose API key is bad (unknown, revoked, wrong secret, malformed) takes one, and
with none left it is answered ``429 rate_limited`` with ``Retry-After`` (RFC 6585 § 4,
RFC 9110 § 10.2.3) instead of 401. Requests with a good key are neither counted nor
refused, even from a client over the limit: many devices may share one address (a
station behind NAT), and checking a key costs one lookup and one MAC, no more than
refusing it. Only a key still hashed with argon2 (made before MACs) is not verified for
a client over the limit. A missing key is not counted (it costs nothing to refuse).

The table holds at most ``clients`` addresses; the least recently seen goes first (its
bucket starts full if it comes back). The client address is the one that connects;
behind a reverse proxy, the one uvicorn takes from its ``X-Forwarded-For`` when ``liaison
serve --forwarded-allow-ips`` (``LIAISON_FORWARDED_ALLOW_IPS``) names it (by default no
proxy is trusted: uvicorn's own default trusts 127.0.0.1, so any local client could
name a new address per request and never be limited).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from liaison.errors import RateLimited


class FailureLimiter:
    """A token bucket per client address (at most ``clients`` of them, LRU)."""

    def __init__(self, burst: int, per_minute: float, clients: int) -> None:
        self.burst = float(burst)
        self.per_second = per_minute / 60.0
        self.clients = clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when
        self._lock = threading.Lock()

    def limited(self, client: str) -> bool:
        """Whether ``client`` has no failure left to spend now."""
        with self._lock:
            return self._tokens(client, time.monotonic()) < 1.0

    def failed(self, client: str) -> None:
        """Spend one of ``client``'s failures; raise ``RateLimited`` if none is left."""
        now = time.monotonic()
        with self._lock:
            tokens = self._tokens(client, now)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[client] = (tokens, now)
            self._buckets.move_to_end(client)
            while len(self._buckets) > self.clients:
                self._buckets.popitem(last=False)
        if not allowed:
            raise RateLimited(max(1, math.ceil((1.0 - tokens) / self.per_second)))

    def __len__(self) -> int:
        return len(self._buckets)

    def _tokens(self, client: str, now: float) -> float:
        held = self._buckets.get(client)
        if held is None:
            return self.burst
        tokens, when = held
        return min(self.burst, tokens + (now - when) * self.per_second)
