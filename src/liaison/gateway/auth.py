"""API keys and roles.

A key is ``lsn_<id>_<secret>``; only an argon2id hash of the secret is stored, and
the key is shown once, at creation (``liaison keys create``). Verified keys are kept
in memory for a short time (SHA-256 of the key -> principal) so that argon2's
deliberate cost is paid once per key and process, not per request; a revocation
takes effect within that time in every process.

Roles: ``officer`` (decide and record for themselves only), ``supervisor`` (for their
unit), ``auditor`` (read everything, verify, reports; cannot write), ``admin`` (keys,
packs), ``public`` (published reports only).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update

from liaison.errors import LiaisonError
from liaison.gateway.roles import Role as Role  # re-exported: the roles live apart
from liaison.storage.database import write_transaction
from liaison.storage.tables import api_keys


class Unauthenticated(LiaisonError):
    code = "unauthenticated"


class Forbidden(LiaisonError):
    code = "forbidden"


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: Role
    actor_id: str
    unit: str | None

    def require(self, *roles: Role) -> None:
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
        if self.role is Role.OFFICER:
            return actor_id == self.actor_id and unit == self.unit
        if self.role is Role.SUPERVISOR:
            if self.unit is None:
                return actor_id == self.actor_id and unit is None
            return unit == self.unit
        return False

    def may_read(self, actor_id: str, unit: str | None) -> bool:
        """Whether this principal may read a record made by ``actor_id`` of ``unit``.

        Auditors read everything; officers their own records; supervisors their own and
        their unit's. Admins (keys, packs) and the public read no records.
        """
        if self.role is Role.AUDITOR:
            return True
        if self.role is Role.OFFICER:
            return actor_id == self.actor_id
        if self.role is Role.SUPERVISOR:
            return actor_id == self.actor_id or (unit is not None and unit == self.unit)
        return False

    @property
    def reads_everything(self) -> bool:
        return self.role is Role.AUDITOR


_HASHER = PasswordHasher()
_CACHE_SECONDS = 30.0


class KeyStore:
    """API keys in the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[bytes, tuple[float, Principal | Unauthenticated]] = {}
        self._flights: dict[bytes, threading.Lock] = {}
        self._lock = threading.Lock()

    def create(self, role: Role, actor_id: str, unit: str | None = None) -> tuple[str, Principal]:
        """A new key (returned once, never stored) and its principal."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        with write_transaction(self.engine) as conn:
            conn.execute(
                insert(api_keys),
                [
                    {
                        "id": key_id,
                        "secret_hash": _HASHER.hash(secret),
                        "role": role.value,
                        "actor_id": actor_id,
                        "unit": unit,
                        "created_at": datetime.now(UTC),
                    }
                ],
            )
        return f"lsn_{key_id}_{secret}", Principal(key_id, role, actor_id, unit)

    def revoke(self, key_id: str) -> bool:
        with write_transaction(self.engine) as conn:
            done = conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        with self._lock:
            self._cache = {
                k: v
                for k, v in self._cache.items()
                if not (isinstance(v[1], Principal) and v[1].key_id == key_id)
            }
        return bool(done.rowcount)

    def authenticate(self, key: str | None) -> Principal:
        """The principal of ``key``; raise ``Unauthenticated`` for a missing or bad key.

        argon2 is deliberately costly, so each key is verified once per process and
        cache period, however many requests carry it at once: concurrent callers with
        the same key wait for the one verification in progress (single flight). Bad
        keys are remembered too, so repeating one cannot force repeated hashing.
        """
        known = self.cached(key)
        if known is not None:
            return known
        assert key  # cached() refused a missing key
        digest = _digest(key)
        with self._lock:
            flight = self._flights.setdefault(digest, threading.Lock())
        with flight:
            cached = self._cached(digest)  # verified by the flight we waited for
            if cached is None:
                try:
                    cached = self._check(key)
                except Unauthenticated as exc:
                    cached = exc
                with self._lock:
                    self._cache[digest] = (time.monotonic(), cached)
        with self._lock:
            self._flights.pop(digest, None)
        return _result(cached)

    def cached(self, key: str | None) -> Principal | None:
        """The principal of ``key`` if it was verified within the cache period, else None
        (never hashes nor reads the database, so it may run on the event loop); raise
        ``Unauthenticated`` for a missing key or one already found bad."""
        if not key:
            raise Unauthenticated("an API key is required (Authorization: Bearer lsn_...)")
        cached = self._cached(_digest(key))
        return None if cached is None else _result(cached)

    def _cached(self, digest: bytes) -> Principal | Unauthenticated | None:
        with self._lock:
            hit = self._cache.get(digest)
        if hit is None or time.monotonic() - hit[0] >= _CACHE_SECONDS:
            return None
        return hit[1]

    def _check(self, key: str) -> Principal:
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != "lsn":
            raise Unauthenticated("malformed API key")
        with self.engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == parts[1])).one_or_none()
        if row is None or row.revoked_at is not None:
            raise Unauthenticated("unknown or revoked API key")
        try:
            _HASHER.verify(row.secret_hash, parts[2])
        except (VerificationError, InvalidHashError):
            raise Unauthenticated("unknown or revoked API key") from None
        return Principal(row.id, Role(row.role), row.actor_id, row.unit)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


def _result(cached: Principal | Unauthenticated) -> Principal:
    if isinstance(cached, Unauthenticated):
        raise Unauthenticated(cached.message)
    return cached
