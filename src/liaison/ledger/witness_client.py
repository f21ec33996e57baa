"""Asking one witness to cosign a checkpoint: the client side of C2SP tlog-witness.

Specification: C2SP tlog-witness, https://c2sp.org/tlog-witness, "add-checkpoint". The
request body is ``old <size>\\n``, the RFC 6962 §2.1.2 consistency proof from that size
to the checkpoint's (one base64 hash a line; none from size 0), an empty line, then the
checkpoint's signed note. ``old`` must be the size of the latest checkpoint the witness
cosigned for this log: the client remembers it per witness (0 at first, which the spec
allows "to obtain it") and learns it from a 409 (``text/x.tlog.size``: ``<size>\\n``),
then asks again with a proof from that size. A 409 to an old size equal to the checkpoint's
(whatever its body) is the spec's other conflict: the witness cosigned another root for
that size.

The answer's cosignature lines (C2SP tlog-cosignature) are verified against the witness's
key before they are kept (``signing.add_cosignatures``); lines by other keys are ignored,
and a cosignature dated before 2020 or more than a day ahead of this server's clock is
refused (``bad_cosignature``).
Each submission ends in an ``Outcome``: cosigned, transient (``unavailable``: retry
later), or a refusal that retrying the same checkpoint cannot change (a rewritten or
forked log is refused with 422 or 409; docs/ledger.md, "Witnesses").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import httpx

from liaison.errors import NoteError, NotFound
from liaison.ledger.cosignature import Cosignature, verify_cosignatures
from liaison.ledger.log import Ledger
from liaison.ledger.proofs import b64
from liaison.ledger.signed_note import SIGNATURE_PREFIX
from liaison.ledger.signing import StoredCheckpoint, add_cosignatures
from liaison.ledger.witness_list import Witness

SIZE_TYPE = "text/x.tlog.size"
MAX_CONFLICTS = 3  # 409s with a new size followed within one submission (others racing)
EARLIEST = 1_577_836_800  # 2020-01-01T00:00:00Z: no cosignature is older
AHEAD = 86_400  # seconds a cosignature's timestamp may be ahead of this server's clock
MAX_SIZE_DIGITS = 20  # 2**64 - 1: no int() of the thousands of digits a witness may send


class Outcome(StrEnum):
    """How a submission ended (the ``outcome`` label of the submissions counter)."""

    COSIGNED = "cosigned"
    UNAVAILABLE = "unavailable"  # transient: no answer, 5xx, an answer not as specified
    BEHIND = "behind"  # the witness cosigned a larger tree of this log than this checkpoint
    UNKNOWN_LOG = "unknown_log"  # 404: the witness does not follow this origin
    BAD_LOG_SIGNATURE = "bad_log_signature"  # 403: no signature by a key it trusts
    BAD_REQUEST = "bad_request"  # 400
    INCONSISTENT = "inconsistent"  # 422: the proof does not verify from what it cosigned
    CONFLICT = "conflict"  # 409 at the size it cosigned: another root (a fork)
    BAD_COSIGNATURE = "bad_cosignature"  # 200 without a valid cosignature by its key
    NOT_KEPT = "not_kept"  # cosigned, but the checkpoint's row is gone from the database


REFUSALS = frozenset(
    {
        Outcome.BEHIND,  # a rollback of this log below what the witness cosigned
        Outcome.UNKNOWN_LOG,
        Outcome.BAD_LOG_SIGNATURE,
        Outcome.BAD_REQUEST,
        Outcome.INCONSISTENT,
        Outcome.CONFLICT,
        Outcome.BAD_COSIGNATURE,
        Outcome.NOT_KEPT,
    }
)
_REFUSED_STATUS = {
    400: Outcome.BAD_REQUEST,
    403: Outcome.BAD_LOG_SIGNATURE,
    404: Outcome.UNKNOWN_LOG,
    422: Outcome.INCONSISTENT,
}


@dataclass(frozen=True, slots=True)
class Submission:
    """One checkpoint submitted to one witness: the outcome, why, and what was kept."""

    outcome: Outcome
    size: int
    detail: str
    status: int | None = None
    cosignatures: tuple[Cosignature, ...] = ()

    @property
    def transient(self) -> bool:
        """Worth retrying the same checkpoint later (the witness is down or garbled)."""
        return self.outcome is Outcome.UNAVAILABLE

    @property
    def refused(self) -> bool:
        """A refusal: retrying the same checkpoint gets the same answer."""
        return self.outcome in REFUSALS


def request_body(old: int, proof: list[bytes], note: str) -> bytes:
    """The ``add-checkpoint`` body: the old size line, the proof lines, an empty line,
    the checkpoint's signed note."""
    lines = [f"old {old}\n", *(f"{b64(h)}\n" for h in proof), "\n"]
    return ("".join(lines) + note).encode()


def parse_size(response: httpx.Response) -> int | None:
    """The size in a 409 answer (``text/x.tlog.size``: decimal, no leading zero, newline)."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    text = response.text
    digits = text[:-1]
    if kind != SIZE_TYPE or not text.endswith("\n") or not digits.isdigit():
        return None
    if not digits.isascii() or (digits.startswith("0") and digits != "0"):
        return None
    if len(digits) > MAX_SIZE_DIGITS:
        return None
    return int(digits)


class WitnessClient:
    """Submits checkpoints of ``ledger`` to ``witness`` over ``http``, remembering the
    size of the latest checkpoint the witness cosigned for this log."""

    def __init__(
        self,
        witness: Witness,
        ledger: Ledger,
        http: httpx.Client,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.witness = witness
        self.ledger = ledger
        self.http = http
        self.clock = clock  # POSIX seconds now: a cosignature's timestamp must be near it
        self.cosigned_size = 0  # what the witness last cosigned, as this client knows it

    def submit(self, checkpoint: StoredCheckpoint) -> Submission:
        """Ask the witness to cosign ``checkpoint``; keep its verified cosignature."""
        size = checkpoint.size
        for _ in range(MAX_CONFLICTS + 1):
            old = self.cosigned_size
            if old > size:
                return Submission(
                    Outcome.BEHIND, size, f"the witness cosigned size {old}, larger than {size}"
                )
            try:
                response = self.http.post(
                    self.witness.add_checkpoint_url, content=self._body(old, checkpoint)
                )
            except httpx.HTTPError as exc:
                return Submission(Outcome.UNAVAILABLE, size, f"no answer: {exc!r}")
            status = response.status_code
            if status == 200:
                return self._keep(checkpoint, response.text)
            if status != 409:
                return _other(size, status, response)
            latest = parse_size(response)
            if latest == old or (latest is None and old == size):
                # the spec's other 409: the old size is the witness's, the root another
                return Submission(Outcome.CONFLICT, size, _fork(old, size, response), status)
            if latest is None:
                return Submission(Outcome.UNAVAILABLE, size, "a 409 without its size", status)
            self.cosigned_size = latest  # retry from the size the witness cosigned
        return Submission(Outcome.UNAVAILABLE, size, "the witness's latest size kept changing")

    def _body(self, old: int, checkpoint: StoredCheckpoint) -> bytes:
        proof: list[bytes] = []
        if 0 < old < checkpoint.size:
            proof = self.ledger.consistency_proof(old, checkpoint.size).hashes
        return request_body(old, proof, checkpoint.note)

    def _keep(self, checkpoint: StoredCheckpoint, text: str) -> Submission:
        """Verify the answer's lines with the witness's key, then keep them."""
        size = checkpoint.size
        lines = text.splitlines(keepends=True)
        if not lines or any(
            not (ln.startswith(SIGNATURE_PREFIX) and ln.endswith("\n")) for ln in lines
        ):
            return Submission(Outcome.BAD_COSIGNATURE, size, "not signature lines", 200)
        try:
            found = verify_cosignatures(checkpoint.note + text, [self.witness.key])
        except NoteError as exc:
            return Submission(Outcome.BAD_COSIGNATURE, size, exc.message, 200)
        if not found:
            return Submission(
                Outcome.BAD_COSIGNATURE, size, f"no cosignature by {self.witness.key}", 200
            )
        wrong = next((c for c in found if not _plausible(c.timestamp, self.clock())), None)
        if wrong is not None:
            return Submission(
                Outcome.BAD_COSIGNATURE,
                size,
                f"its timestamp {wrong.timestamp} is before 2020 or more than a day ahead of "
                "this server's clock",
                200,
            )
        self.cosigned_size = max(self.cosigned_size, size)
        try:
            add_cosignatures(self.ledger.engine, size, [c.line for c in found], checkpoint.note)
        except NotFound as exc:
            return Submission(Outcome.NOT_KEPT, size, exc.message, 200, tuple(found))
        return Submission(Outcome.COSIGNED, size, "cosigned", 200, tuple(found))


def _plausible(timestamp: int, now: float) -> bool:
    """A cosignature's timestamp (C2SP tlog-cosignature: POSIX seconds when the witness
    cosigned) that is not before 2020 nor more than a day ahead of ``now``: a witness
    whose clock says otherwise is wrong, and such a line is not kept (it would be
    published with the checkpoint)."""
    return EARLIEST <= timestamp <= now + AHEAD


def _fork(old: int, size: int, response: httpx.Response) -> str:
    said = response.text[:200].strip()
    what = (
        f"the witness cosigned another tree of size {old} (a fork)"
        if old == size
        else f"409 at the witness's own size {old}"
    )
    return f"{what}: {said}" if said else what


def _other(size: int, status: int, response: httpx.Response) -> Submission:
    """A refusal (400, 403, 404, 422) or a transient failure (anything else)."""
    said = response.text[:200].strip()
    outcome = _REFUSED_STATUS.get(status, Outcome.UNAVAILABLE)
    return Submission(outcome, size, f"HTTP {status}: {said}" if said else f"HTTP {status}", status)
