"""The checkpoint signer as its own process (``liaison signer serve``): key custody.

The process holds the signing key (``LIAISON_KEY_DIR/ledger.key``) and its memory of
what it signed (``ledger.signed``, ``liaison.ledger.signer_memory``), and listens on a
Unix socket (mode 0600). It signs only a C2SP tlog-checkpoint that extends the last tree
it signed, with the RFC 6962 section 2.1.2 consistency proof from that tree: the service
that asks (``liaison.ledger.signer_client.RemoteSigner``) never holds the key, and
someone who controls the service and its database can have it sign nothing but an
extension of what it signed (docs/ledger.md, "Key custody").

Protocol: one JSON object per line (UTF-8, ``\\n``-terminated, at most ``MAX_LINE``
bytes), request then response, any number on one connection.

- ``{"op": "status"}`` ->
  ``{"ok": true, "origin": O, "vkey": V, "size": N, "root": B64, "note": NOTE|null}``:
  the last tree signed (size 0, the empty tree's root and no note: nothing yet) and the
  verifier key (C2SP signed-note) its notes verify with.
- ``{"op": "sign", "checkpoint": {"origin": O, "size": N, "root": B64},
  "proof": {"from_size": M, "hashes": [B64, ...]}}`` -> ``{"ok": true, "note": NOTE}``:
  the signed note of the checkpoint (O must be the signer's origin; M the size it last
  signed, as ``status`` says; the hashes the consistency proof from M to N, none when
  M is 0 or N <= M). The memory is written before the answer. A tree of the size last
  signed with the same root gets the remembered note again.
- Anything else -> ``{"ok": false, "error": {"code": C, "field": F, "message": M}}``
  (``LiaisonError.to_dict``): ``invalid_request`` naming the field (``op``,
  ``checkpoint.size``, ``proof.hashes[2]``, ...; null when the line is not a JSON
  object), ``signer_refused`` when the tree does not extend the last one signed (a
  rollback or rewrite), never a signature. A line longer than ``MAX_LINE`` is answered
  and the connection closed.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import socket
import socketserver
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from liaison.errors import (
    InvalidCheckpoint,
    InvalidRequest,
    LedgerError,
    LiaisonError,
    SignerRefused,
)
from liaison.ledger.checkpoint import ROOT_HASH_SIZE, Checkpoint
from liaison.ledger.note_keys import Signer
from liaison.ledger.signer_memory import Signed, SignerMemory
from liaison.logs import get_logger

MAX_LINE = 64 * 1024  # a proof has at most 2 * 64 hashes: a few KB
log = get_logger("liaison.signer")


class SignerService:
    """Answers request lines with the key and its memory (one origin)."""

    def __init__(self, key: Signer, memory: SignerMemory, origin: str) -> None:
        self.key = key
        self.memory = memory
        self.origin = origin

    def ready(self) -> Signed:
        """The memory the signer starts from; ``SignerRefused`` when there is none usable."""
        last = self.memory.recall()
        if last is None:
            raise SignerRefused(
                f"the signer has no memory of what it signed ({self.memory.path} is missing): "
                "run `liaison ledger signer-init` (it reads the kept checkpoints) first"
            )
        if last.vkey != self.key.verifier.vkey or last.origin != self.origin:
            raise SignerRefused(
                f"the signer's memory {self.memory.path} is of another key or origin "
                f"({last.origin}, {last.vkey}): restart the signer after a key rotation, or "
                "run `liaison ledger signer-init --force` if the key was replaced on purpose"
            )
        return last

    def answer(self, line: bytes) -> dict[str, Any]:
        """The response to one request line (never raises for a bad request)."""
        try:
            request = _request(line)
            if request["op"] == "status":
                return self.status()
            return self.sign(request)
        except LiaisonError as exc:
            return {"ok": False, "error": exc.to_dict()}

    def status(self) -> dict[str, Any]:
        last = self.ready()
        root = base64.b64encode(last.root).decode()
        fields = {"origin": last.origin, "vkey": last.vkey, "size": last.size, "root": root}
        return {"ok": True, **fields, "note": last.note}

    def sign(self, request: Mapping[str, Any]) -> dict[str, Any]:
        tree = _checkpoint(request.get("checkpoint"))
        if tree.origin != self.origin:
            raise SignerRefused(
                f"checkpoint.origin {tree.origin!r} is not this signer's ({self.origin!r})",
                field="checkpoint.origin",
            )
        from_size, hashes = _proof(request.get("proof"))

        def prove(signed_size: int) -> list[bytes]:
            if signed_size != from_size:
                raise LookupError(f"the proof is from size {from_size}, not {signed_size}")
            return hashes

        with self.memory.locked():
            self.ready()
            note = self.memory.sign(self.key, tree, prove, lambda: [])
        log.info("checkpoint_signed", size=tree.size)
        return {"ok": True, "note": note}


def _request(line: bytes) -> dict[str, Any]:
    try:
        value = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidRequest(None, "the request line is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise InvalidRequest(None, f"the request line is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise InvalidRequest(None, "a request is a JSON object")
    op = value.get("op")
    allowed = {"status": {"op"}, "sign": {"op", "checkpoint", "proof"}}
    if op not in allowed:
        raise InvalidRequest("op", f"op must be 'status' or 'sign', not {op!r}", ["sign", "status"])
    extra = sorted(set(value) - allowed[op])
    if extra:
        raise InvalidRequest(extra[0], f"{extra[0]}: unknown field of a {op} request")
    return value


def _checkpoint(value: object) -> Checkpoint:
    item = _object(value, "checkpoint", {"origin", "size", "root"})
    origin, size = item["origin"], _size(item["size"], "checkpoint.size")
    if not isinstance(origin, str):
        raise InvalidRequest("checkpoint.origin", "checkpoint.origin must be a string")
    root = _hash(item["root"], "checkpoint.root")
    try:
        return Checkpoint(origin, size, root)
    except InvalidCheckpoint as exc:
        raise InvalidRequest("checkpoint.origin", f"checkpoint.origin: {exc.message}") from None


def _proof(value: object) -> tuple[int, list[bytes]]:
    item = _object(value, "proof", {"from_size", "hashes"})
    hashes = item["hashes"]
    if not isinstance(hashes, list) or len(hashes) > 128:
        raise InvalidRequest("proof.hashes", "proof.hashes must be a list of at most 128 hashes")
    found = [_hash(h, f"proof.hashes[{k}]") for k, h in enumerate(hashes)]
    return _size(item["from_size"], "proof.from_size"), found


def _object(value: object, name: str, fields: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(name, f"{name} must be an object with {', '.join(sorted(fields))}")
    for field in sorted(fields | set(value)):
        if field not in value:
            raise InvalidRequest(f"{name}.{field}", f"{name}.{field} is missing")
        if field not in fields:
            raise InvalidRequest(f"{name}.{field}", f"{name}.{field}: unknown field")
    return value


def _size(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise InvalidRequest(name, f"{name} must be an integer from 0 to 2**63-1")
    return value


def _hash(value: object, name: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != ROOT_HASH_SIZE:
        raise InvalidRequest(name, f"{name} must be a SHA-256 hash in base64 (32 bytes)")
    return raw


# -- the socket ---------------------------------------------------------------------------


class _Handler(socketserver.StreamRequestHandler):
    server: SignerServer

    def handle(self) -> None:
        while line := self.rfile.readline(MAX_LINE + 1):
            if len(line) > MAX_LINE:
                too_long = InvalidRequest(None, f"a request line is at most {MAX_LINE} bytes")
                self._send({"ok": False, "error": too_long.to_dict()})
                return  # the rest of the line cannot be told from a next request
            if line.strip():
                self._send(self.server.service.answer(line))

    def _send(self, response: dict[str, Any]) -> None:
        self.wfile.write(json.dumps(response).encode() + b"\n")
        self.wfile.flush()


class SignerServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The socket server; ``serve_forever`` to run, ``close`` to stop and remove it."""

    daemon_threads = True

    def __init__(self, path: Path, service: SignerService) -> None:
        _clear_stale(path)
        self.path = path
        self.service = service
        umask = os.umask(0o177)  # the socket is made 0600: no moment when others may connect
        try:
            super().__init__(str(path), _Handler)
        finally:
            os.umask(umask)
        os.chmod(path, 0o600)

    def close(self) -> None:
        self.server_close()
        try:
            if stat.S_ISSOCK(self.path.lstat().st_mode):
                self.path.unlink()
        except FileNotFoundError:
            pass


def _clear_stale(path: Path) -> None:
    """Remove a socket nobody listens on; refuse a live one or a file that is no socket."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise LedgerError(f"{path} exists and is not a socket; refusing to replace it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except ConnectionRefusedError:
        path.unlink()  # stale: left by a signer that stopped without removing it
        log.warning("signer_stale_socket_removed", path=str(path))
        return
    finally:
        probe.close()
    raise LedgerError(f"a signer is listening on {path} already; refusing to start another")


__all__ = ["MAX_LINE", "SignerServer", "SignerService"]
