"""The service's side of key custody: checkpoints signed by the signer process.

``RemoteSigner`` is the ``CheckpointSigner`` (``liaison.ledger.checkpoint_signer``) of a
service configured with ``LIAISON_SIGNER_SOCKET``: it asks ``liaison signer serve`` (the
protocol: ``liaison.ledger.signer_service``) for the last tree it signed (``status``), and
sends the checkpoint of the current tree with the RFC 6962 consistency proof from that
tree (``sign``). The note that comes back must verify with the signer's verifier key and
be the C2SP tlog-checkpoint asked for, or it is refused.

A signer that cannot be reached is ``SignerUnavailable`` naming the socket: checkpoints
wait for it, and nothing else does (appending never needs the signer). The last status
seen is kept, so that reads checked against the signed tree still are while it is down.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import socket
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from liaison.errors import LiaisonError, SignerRefused, SignerUnavailable
from liaison.ledger.checkpoint import Checkpoint, open_checkpoint
from liaison.ledger.note_keys import parse_verifier
from liaison.ledger.signer_memory import Kept, Prove, Signed
from liaison.ledger.signer_service import MAX_LINE
from liaison.logs import get_logger

log = get_logger("liaison.signer")


class RemoteSigner:
    """The signer process listening on the Unix socket ``path``."""

    def __init__(self, path: Path, timeout: float = 10.0, fresh_for: float = 1.0) -> None:
        """``fresh_for``: seconds a status is reused by ``last_signed`` and ``vkey`` (read on
        every record served: one socket round trip per second, not per read; the last
        signed tree only grows, so a status a second old is still a tree the key signed)."""
        self.path = path
        self.timeout = timeout
        self.fresh_for = fresh_for
        self._last: Signed | None = None  # the last status or signature seen
        self._seen_at = -math.inf  # when (time.monotonic) ``_last`` was seen

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request and its successful response; ``SignerRefused`` when the signer
        refuses, ``SignerUnavailable`` when it cannot be reached or answers anything else."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout)
                sock.connect(str(self.path))
                sock.sendall(json.dumps(request).encode() + b"\n")
                with sock.makefile("rb") as reader:
                    line = reader.readline(MAX_LINE + 1)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise self._unavailable(f"cannot be reached ({reason})") from None
        try:
            answer = json.loads(line)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            raise self._unavailable("answered what is not a signer response")
        if answer["ok"]:
            return answer
        error = answer.get("error")
        code, message = (
            (error.get("code"), error.get("message")) if isinstance(error, dict) else (None, None)
        )
        if code == SignerRefused.code:
            raise SignerRefused(f"the signer at {self.path} refused: {message}")
        raise self._unavailable(f"answered {code}: {message}")

    def status(self) -> Signed:
        """The last tree the signer signed and its verifier key (checked: its note, if
        any, verifies with that key and is that tree)."""
        answer = self.ask({"op": "status"})
        try:
            size, root = answer["size"], base64.b64decode(answer["root"], validate=True)
            last = Signed(str(answer["origin"]), str(answer["vkey"]), size, root, answer["note"])
            if (
                isinstance(size, bool)
                or not isinstance(size, int)
                or (last.note is not None and not isinstance(last.note, str))
            ):
                raise ValueError("size or note of the wrong type")
            verifier = parse_verifier(last.vkey)
            if last.note is not None:
                signed = open_checkpoint(last.note, verifier, last.origin)
                if (signed.size, signed.root) != (size, root):
                    raise ValueError("its note is of another tree")
        except (KeyError, TypeError, ValueError, binascii.Error, LiaisonError) as exc:
            raise self._unavailable(f"answered a status that does not hold ({exc})") from None
        self._last, self._seen_at = last, time.monotonic()
        return last

    def _recent(self) -> Signed | None:
        """The last status or signature seen, when it is fresh enough to reuse."""
        if time.monotonic() - self._seen_at < self.fresh_for:
            return self._last
        return None

    @property
    def vkey(self) -> str:
        """The signer's verifier key (the last one seen when it is down now)."""
        recent = self._recent()
        if recent is not None:
            return recent.vkey
        try:
            return self.status().vkey
        except SignerUnavailable:
            if self._last is None:
                raise
            return self._last.vkey

    def locked(self) -> AbstractContextManager[None]:
        return nullcontext()  # the signer process serialises its own signing

    def sign(self, tree: Checkpoint, prove: Prove, kept: Kept) -> str:
        last = self.status()
        hashes = prove(last.size) if 0 < last.size < tree.size else []
        b64 = base64.b64encode
        answer = self.ask(
            {
                "op": "sign",
                "checkpoint": {
                    "origin": tree.origin,
                    "size": tree.size,
                    "root": b64(tree.root).decode(),
                },
                "proof": {"from_size": last.size, "hashes": [b64(h).decode() for h in hashes]},
            }
        )
        note = answer.get("note")
        try:
            signed = open_checkpoint(str(note), parse_verifier(last.vkey), tree.origin)
        except LiaisonError as exc:
            raise self._unavailable(f"answered a note that does not verify ({exc})") from None
        if (signed.size, signed.root) != (tree.size, tree.root):
            raise self._unavailable("answered a note of another tree than the one asked for")
        self._last = Signed(tree.origin, last.vkey, tree.size, tree.root, str(note))
        self._seen_at = time.monotonic()
        return str(note)

    def last_signed(self) -> Signed | None:
        """The signer's last signed tree; the last one seen while it is down or refuses
        (None: never reached)."""
        recent = self._recent()
        if recent is not None:
            return recent
        try:
            return self.status()
        except (SignerUnavailable, SignerRefused) as exc:
            log.warning("signer_status_failed", code=exc.code, message=exc.message)
            return self._last

    def _unavailable(self, what: str) -> SignerUnavailable:
        return SignerUnavailable(f"the checkpoint signer at {self.path} {what}")


__all__ = ["RemoteSigner"]
