"""API keys and roles.

A key is ``lsn_<id>_<secret>``, a random 256-bit secret shown once, at creation (``liaison
keys create``). Only HMAC-SHA256 of the key under the deployment's server secret is stored
(``gateway.key_secret``; RFC 2104): API keys are not passwords, so a keyed hash is enough,
and it costs microseconds, not argon2's deliberate 64 MiB. Every bad key (unknown id,
revoked, wrong secret, malformed) costs the same work (one lookup by id, one MAC, one
constant-time comparison) and gets the same answer.

Keys verified recently are kept in memory (SHA-256 of the key -> principal) for
``CACHE_SECONDS``; a revocation takes effect within that time in every process. Keys found
bad are remembered as long. Both caches are bounded (least recently used goes first).

Keys made before the MAC (an argon2id hash in ``secret_hash``) keep working: the first
successful use verifies the argon2 hash, one verification at a time per process, and
rewrites the row with the MAC (the argon2 hash is dropped).

Roles: ``officer`` (decide and record for themselves only), ``supervisor`` (for their
unit), ``auditor`` (read everything, verify, reports; cannot write), ``admin`` (keys,
packs), ``public`` (published reports only).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, Row, insert, select, update

from liaison.errors import Forbidden, Unauthenticated, Unavailable
from liaison.gateway.roles import KeyRole
from liaison.storage.database import write_transaction
from liaison.storage.tables import api_keys


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: KeyRole
    actor_id: str
    unit: str | None

    def require(self, *roles: KeyRole) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role {self.role.value} may not do this (needs {allowed})")

    def may_act_for(self, actor_id: str, unit: str | None) -> bool:
        """Whether this principal may decide or record as ``actor_id`` of ``unit``.

        An officer only as themselves, in the unit of their key; a supervisor as anyone
        of their unit (a supervisor without a unit: only as themselves, with no unit). The
        unit must be the key's: a record filed under another unit (or none) would escape
        the supervisor who oversees it.
        """
        if self.role is KeyRole.OFFICER:
            return actor_id == self.actor_id and unit == self.unit
        if self.role is KeyRole.SUPERVISOR:
            if self.unit is None:
                return actor_id == self.actor_id and unit is None
            return unit == self.unit
        return False

    def may_read(self, actor_id: str, unit: str | None) -> bool:
        """Whether this principal may read a record made by ``actor_id`` of ``unit``.

        Auditors read everything; officers their own records; supervisors their own and
        their unit's. Admins (keys, packs) and the public read no records.
        """
        if self.role is KeyRole.AUDITOR:
            return True
        if self.role is KeyRole.OFFICER:
            return actor_id == self.actor_id
        if self.role is KeyRole.SUPERVISOR:
            return actor_id == self.actor_id or (unit is not None and unit == self.unit)
        return False

    @property
    def reads_everything(self) -> bool:
        return self.role is KeyRole.AUDITOR


CACHE_SECONDS = 30.0
GOOD_KEYS = 4096  # verified keys kept per process
BAD_KEYS = 4096  # bad keys remembered per process
MISSING_KEY = "an API key is required (Authorization: Bearer lsn_...)"
BAD_KEY = "unknown, revoked or malformed API key"
_KEY_ID = re.compile(r"[0-9a-f]{1,32}")
_NO_MAC = bytes(32)  # compared against when the id is unknown: nothing matches it
_V = TypeVar("_V")

# Legacy (argon2id) rows only: one verification at a time per process bounds the memory
# (64 MiB each); a caller waits at most _LEGACY_WAIT seconds for its turn.
_LEGACY = PasswordHasher()
_LEGACY_SLOT = threading.BoundedSemaphore(1)
_LEGACY_WAIT = 5.0


def key_mac(server_secret: bytes, key: str) -> bytes:
    """HMAC-SHA256 (RFC 2104) of the whole key (id and secret) under the server secret."""
    return hmac.new(server_secret, key.encode("utf-8", "surrogateescape"), "sha256").digest()


class _Recent(Generic[_V]):
    """At most ``size`` entries, each for ``seconds``; the least recently used goes first."""

    def __init__(self, size: int, seconds: float) -> None:
        self.size = size
        self.seconds = seconds
        self._items: OrderedDict[bytes, tuple[float, _V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: bytes) -> _V | None:
        with self._lock:
            hit = self._items.get(digest)
            if hit is None:
                return None
            if time.monotonic() - hit[0] >= self.seconds:
                del self._items[digest]
                return None
            self._items.move_to_end(digest)
            return hit[1]

    def put(self, digest: bytes, value: _V) -> None:
        with self._lock:
            self._items[digest] = (time.monotonic(), value)
            self._items.move_to_end(digest)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def drop_where(self, test: Any) -> None:
        with self._lock:
            for digest in [d for d, (_, v) in self._items.items() if test(v)]:
                del self._items[digest]

    def __len__(self) -> int:
        return len(self._items)


class KeyStore:
    """API keys in the database, checked against MACs under ``server_secret``."""

    def __init__(
        self,
        engine: Engine,
        server_secret: bytes,
        *,
        good: int = GOOD_KEYS,
        bad: int = BAD_KEYS,
        seconds: float = CACHE_SECONDS,
    ) -> None:
        self.engine = engine
        self._secret = server_secret
        self._good: _Recent[Principal] = _Recent(good, seconds)
        self._bad: _Recent[bool] = _Recent(bad, seconds)
        self._flights: dict[bytes, threading.Lock] = {}
        self._lock = threading.Lock()

    def create(
        self, role: KeyRole, actor_id: str, unit: str | None = None
    ) -> tuple[str, Principal]:
        """A new key (returned once, never stored) and its principal."""
        key_id = secrets.token_hex(6)
        key = f"lsn_{key_id}_{secrets.token_urlsafe(32)}"
        row = {
            "id": key_id,
            "secret_mac": key_mac(self._secret, key).hex(),
            "secret_hash": None,
            "role": role.value,
            "actor_id": actor_id,
            "unit": unit,
            "created_at": datetime.now(UTC),
        }
        with write_transaction(self.engine) as conn:
            conn.execute(insert(api_keys), [row])
        return key, Principal(key_id, role, actor_id, unit)

    def mac(self, text: str) -> bytes:
        """HMAC-SHA256 of ``text`` under the server secret (``key_mac``): what else is kept
        only as a keyed hash (the pages' session tokens, ``liaison.web.sessions``)."""
        return key_mac(self._secret, text)

    def revoke(self, key_id: str) -> bool:
        with write_transaction(self.engine) as conn:
            done = conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        self._good.drop_where(lambda who: who.key_id == key_id)
        return bool(done.rowcount)

    def authenticate(self, key: str | None, *, legacy: bool = True) -> Principal:
        """The principal of ``key``; raise ``Unauthenticated`` for a missing or bad key.

        Each key is looked up once per process and cache period, however many requests
        carry it at once: concurrent callers with the same key wait for the check in
        progress (single flight). With ``legacy`` false a key still hashed with argon2 is
        not verified now (refused, and not remembered as bad).
        """
        known = self.cached(key)
        if known is not None:
            return known
        assert key  # cached() refused a missing key
        digest = _digest(key)
        with self._lock:
            flight = self._flights.setdefault(digest, threading.Lock())
        try:
            with flight:
                return self._recent(digest) or self._verify(key, digest, legacy)
        finally:
            with self._lock:
                self._flights.pop(digest, None)

    def cached(self, key: str | None) -> Principal | None:
        """The principal of ``key`` if it was verified within the cache period, else None
        (never reads the database, so it may run on the event loop); raise
        ``Unauthenticated`` for a missing key or one already found bad."""
        if not key:
            raise Unauthenticated(MISSING_KEY)
        return self._recent(_digest(key))

    def _recent(self, digest: bytes) -> Principal | None:
        who = self._good.get(digest)
        if who is None and self._bad.get(digest):
            raise Unauthenticated(BAD_KEY)
        return who

    def _verify(self, key: str, digest: bytes, legacy: bool) -> Principal:
        try:
            who = self._check(key, legacy)
        except Unauthenticated:
            self._bad.put(digest, True)
            raise
        if who is None:  # a legacy key not verified now (over the failure limit): not cached
            raise Unauthenticated(BAD_KEY)
        self._good.put(digest, who)
        return who

    def _check(self, key: str, legacy: bool) -> Principal | None:
        """The same work for every key: a lookup by id (a well-formed key's, else one
        that cannot exist), a MAC, a constant-time comparison; then the verdict. None: a
        key made before MACs, not verified now (``legacy`` false)."""
        parts = key.split("_", 2)
        well_formed = len(parts) == 3 and parts[0] == "lsn" and bool(_KEY_ID.fullmatch(parts[1]))
        mac = key_mac(self._secret, key)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys).where(api_keys.c.id == (parts[1] if well_formed else ""))
            ).one_or_none()
        matches = hmac.compare_digest(_stored_mac(row), mac)
        if well_formed and row is not None and row.revoked_at is None and _is_legacy(row):
            if not legacy:
                return None
            matches = self._legacy(row, parts[2], mac)
        if not (matches and well_formed and row is not None and row.revoked_at is None):
            raise Unauthenticated(BAD_KEY)
        return Principal(row.id, KeyRole(row.role), row.actor_id, row.unit)

    def _legacy(self, row: Row[Any], secret: str, mac: bytes) -> bool:
        """Verify a key made before MACs (argon2id), one at a time; once it verifies,
        store its MAC instead (the argon2 hash is dropped)."""
        if not _LEGACY_SLOT.acquire(timeout=_LEGACY_WAIT):
            raise Unavailable("too many legacy API key verifications at once; retry")
        try:
            _LEGACY.verify(row.secret_hash, secret)
        except (VerificationError, InvalidHashError):
            return False
        finally:
            _LEGACY_SLOT.release()
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == row.id, api_keys.c.secret_mac.is_(None))
                .values(secret_mac=mac.hex(), secret_hash=None)
            )
        return True


def _is_legacy(row: Row[Any]) -> bool:
    """A row made before MACs: an argon2id hash of the secret, no MAC yet."""
    return row.secret_mac is None and bool(row.secret_hash)


def _stored_mac(row: Row[Any] | None) -> bytes:
    """The row's MAC, or one nothing matches (no row, a legacy row, a damaged value)."""
    try:
        stored = bytes.fromhex(row.secret_mac) if row is not None and row.secret_mac else b""
    except ValueError:
        stored = b""
    return stored if len(stored) == len(_NO_MAC) else _NO_MAC


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
