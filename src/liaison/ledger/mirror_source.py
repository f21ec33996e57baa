"""What a mirror reads from a deployment's API (docs/api.md, "The ledger for an auditor's
copy"): its latest signed
checkpoint with the witnesses' cosignatures (C2SP tlog-checkpoint, tlog-cosignature),
entries page by page, and consistency proofs (RFC 6962 2.1.2). Nothing read here is
trusted: ``liaison.ledger.mirror`` checks all of it against the pinned keys and its copy.

HTTP with the standard library (``urllib``), the API key as a bearer token; any failure
(unreachable, an error answer, a body that is not the JSON expected) is a ``MirrorError``
naming the path.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeGuard

from liaison.errors import MirrorError
from liaison.ledger.note_keys import b64decode_canonical

PAGE = 1000  # entries asked for per request (the API's maximum)


@dataclass(frozen=True, slots=True)
class ServedEntry:
    """An entry as the API served it: its index, its canonical JSON text, its leaf hash."""

    index: int
    text: str
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class LogHead:
    """What ``GET /v1/ledger/checkpoint`` says, read once per pull: the latest checkpoint
    (its cosigned note) and the newest witnessed one (None when the latest is, or none)."""

    latest: str
    witnessed: str | None = None


class LogSource:
    """The ledger routes of the API at ``url``, read with ``api_key`` (an auditor's)."""

    def __init__(self, url: str, api_key: str, *, timeout: float = 60.0, page: int = PAGE):
        if urllib.parse.urlsplit(url).scheme not in ("http", "https") or "?" in url:
            raise MirrorError(f"{url}: not an http:// or https:// address of the API")
        self.url = url.rstrip("/")
        self._key = api_key
        self.timeout = timeout
        self.page = page

    def get(self, path: str, **params: int) -> dict[str, Any]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        request = urllib.request.Request(
            self.url + path + query,
            headers={"Authorization": f"Bearer {self._key}", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                body = answer.read()
        except urllib.error.HTTPError as exc:
            raise MirrorError(f"GET {path}{query}: {exc.code} {_error_text(exc)}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise MirrorError(f"GET {path}{query}: cannot reach {self.url}: {reason}") from None
        except http.client.HTTPException as exc:  # a cut body, a status line that is not HTTP
            raise MirrorError(
                f"GET {path}{query}: not an HTTP answer as specified ({type(exc).__name__})"
            ) from None
        try:
            value = json.loads(body)
        except ValueError:
            raise MirrorError(f"GET {path}{query}: the answer is not JSON") from None
        except RecursionError:
            raise MirrorError(f"GET {path}{query}: the answer is JSON nested too deeply") from None
        if not isinstance(value, dict):
            raise MirrorError(f"GET {path}{query}: the answer is not a JSON object")
        return value

    def head(self) -> LogHead:
        """One read of ``GET /v1/ledger/checkpoint``: the latest signed checkpoint, with the
        cosignatures the log keeps, and its newest witnessed one while the latest is not."""
        head = self.get("/v1/ledger/checkpoint")
        size, note = head.get("size"), head.get("note")
        if not _integer(size) or not isinstance(note, str):
            raise MirrorError("GET /v1/ledger/checkpoint: no size and note in the answer")
        cosigned = head.get("cosigned_note")
        found = head.get("witnessed")
        witnessed = found.get("cosigned_note") if isinstance(found, dict) else None
        return LogHead(
            cosigned if isinstance(cosigned, str) else note,
            witnessed if isinstance(witnessed, str) else None,
        )

    def kept_checkpoints(self, after: int) -> Iterator[str]:
        """Every kept checkpoint of more than ``after`` entries, oldest first, page by page
        (``GET /v1/ledger/checkpoints``): the cosigned note, else the note."""
        path = "/v1/ledger/checkpoints"
        while True:
            page = self.get(path, after=after, limit=PAGE)
            items = page.get("checkpoints")
            if not isinstance(items, list):
                raise MirrorError(f"GET {path}?after={after}: no checkpoints in the answer")
            for item in items:
                note = (
                    item.get("cosigned_note") or item.get("note")
                    if isinstance(item, dict)
                    else None
                )
                if not isinstance(note, str):
                    raise MirrorError(f"GET {path}?after={after}: a checkpoint without a note")
                yield note
            following = page.get("next")
            if not _integer(following) or following <= after:
                return
            after = following

    def entries(self, start: int, stop: int) -> Iterator[list[ServedEntry]]:
        """Entries ``[start, stop)``, a page at a time, as served (not yet checked)."""
        at = start
        while at < stop:
            path = "/v1/ledger/entries"
            page = self.get(path, **{"from": at, "to": min(stop, at + self.page)})
            items = page.get("entries")
            if not isinstance(items, list) or not items:
                raise MirrorError(f"GET {path}?from={at}: no entries in the answer")
            served = [_entry(item, at + k) for k, item in enumerate(items)]
            yield served
            at += len(served)

    def consistency(self, old: int, new: int) -> list[bytes]:
        """The hashes of the consistency proof from the tree of ``old`` to ``new``."""
        path = f"/v1/ledger/proofs/consistency?old={old}&new={new}"
        proof = self.get("/v1/ledger/proofs/consistency", old=old, new=new).get("proof")
        if not isinstance(proof, list):
            raise MirrorError(f"GET {path}: no proof in the answer")
        hashes = [b64decode_canonical(h) if isinstance(h, str) else None for h in proof]
        if any(h is None for h in hashes):
            raise MirrorError(f"GET {path}: a proof hash is not base64")
        return [h for h in hashes if h is not None]


def _entry(item: object, expected: int) -> ServedEntry:
    where = f"entry {expected}"
    if not isinstance(item, dict):
        raise MirrorError(f"{where}: not a JSON object")
    index, text, leaf = item.get("index"), item.get("entry"), item.get("leaf_hash")
    if not _integer(index):
        raise MirrorError(f"{where}: its index is not an integer")
    if not isinstance(text, str) or not isinstance(leaf, str):
        raise MirrorError(f"{where}: an entry needs an integer index, a text and a leaf_hash")
    decoded = b64decode_canonical(leaf)
    if decoded is None:
        raise MirrorError(f"{where}: its leaf_hash is not base64")
    return ServedEntry(index, text, decoded)


def _integer(value: object) -> TypeGuard[int]:
    """A JSON integer: not ``true``/``false``, which Python reads as 1/0."""
    return isinstance(value, int) and not isinstance(value, bool)


def _error_text(exc: urllib.error.HTTPError) -> str:
    """The API's error message (its one error shape), else the HTTP reason."""
    try:
        body = json.loads(exc.read())
        return str(body["error"]["message"])
    except (ValueError, KeyError, TypeError, OSError):
        return str(exc.reason)
