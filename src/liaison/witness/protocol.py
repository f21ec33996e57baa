"""The add-checkpoint call of a witness: C2SP tlog-witness, "add-checkpoint".

Specification: https://c2sp.org/tlog-witness (github.com/C2SP/C2SP, ``tlog-witness.md``).
The request body is, each line ending in a newline (U+000A):

- ``old <size>``: the size of the previous checkpoint, ASCII decimal, no leading zeros;
- 0 to 63 lines, each one hash in base64: an RFC 6962 section 2.1.2 consistency proof
  from the old size to the checkpoint's;
- an empty line;
- the checkpoint (C2SP tlog-checkpoint), a signed note that may carry several signatures.

The answers, checked in this order (``Witness.add_checkpoint``):

- a body that is not that: 400, the reason naming the line;
- an origin the witness does not follow: 404;
- no signature by a trusted key of the log (liaison's ``open_note``: a trusted key's
  signature that fails refuses the note too): 403;
- an old size above the checkpoint's size: 400;
- an old size that is not the size of the latest checkpoint cosigned for the origin (0 if
  none): 409, body ``<latest size>\\n``, ``Content-Type: text/x.tlog.size``;
- the old size equal to the checkpoint's (and the cosigned) size, and another root than
  the cosigned one: 409 (a plain-text reason);
- a consistency proof that does not verify (RFC 6962; empty when the old size is 0; the
  size-0 tree's root is SHA-256 of nothing): 422;
- the state cannot be read or written now (another writer held its lock too long, a
  disk error): 503, nothing cosigned;
- else the checkpoint becomes the latest (persisted first) and the answer is 200 with the
  witness's cosignature line (C2SP tlog-cosignature, timestamp now). The same size and
  root as the latest is cosigned again, with a fresh timestamp, and changes nothing.

Two refusals of a checkpoint that a trusted key of the log signed are kept in the state as
evidence of the log's misbehaviour (``WitnessState.refused``; the spec's "MAY log the
request"): a consistency proof that does not verify (422), and a root other than the
cosigned one for the cosigned size (409, whatever the old size). A plain 409 for an old
size that is not the latest is not kept: a client that does not know the latest size is
told it so (the spec: it "MAY initially make a request with a old size of zero").
Tree sizes above 2**63 - 1 (what SQLite stores) are refused as malformed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from liaison.errors import InvalidCheckpoint, MalformedNote, SignatureError, Unavailable
from liaison.ledger import merkle
from liaison.ledger.checkpoint import Checkpoint, parse_checkpoint_body
from liaison.ledger.cosignature import Cosigner
from liaison.ledger.note_keys import Verifier, b64decode_canonical, b64encode
from liaison.ledger.signed_note import SIGNATURE_PREFIX, open_note, split_note
from liaison.witness.config import WitnessConfig
from liaison.witness.state import Cosigned, Refused, Transaction, WitnessState

__all__ = [
    "MAX_PROOF_LINES",
    "SIZE_TYPE",
    "TEXT_TYPE",
    "Answer",
    "Submission",
    "Witness",
    "log_signed",
    "parse_submission",
]

MAX_PROOF_LINES = 63
MAX_SIZE = 2**63 - 1
SIZE_TYPE = "text/x.tlog.size"
TEXT_TYPE = "text/plain; charset=utf-8"
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]*)")


@dataclass(frozen=True, slots=True)
class Answer:
    """What the witness answers: an HTTP status, a body, its content type."""

    status: int
    body: str
    content_type: str = TEXT_TYPE


@dataclass(frozen=True, slots=True)
class Submission:
    """A well-formed add-checkpoint request body (signatures not yet checked)."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str
    text: str
    first_note_line: int

    @property
    def origin(self) -> str:
        return self.text.split("\n", 1)[0]


def _now() -> int:
    return int(time.time())


def _bad(message: str) -> Answer:
    return Answer(400, message + "\n")


def _old_size(line: str) -> int | Answer:
    found = _OLD_LINE.fullmatch(line)
    if found is None:
        shown = line if len(line) <= 40 else line[:40] + "..."
        return _bad(f"line 1: expected 'old <size>' (decimal, no leading zeros), got {shown!r}")
    digits = found.group(1)
    if len(digits) > len(str(MAX_SIZE)) or int(digits) > MAX_SIZE:  # no int() of 5000 digits
        shown = digits if len(digits) <= 40 else f"of {len(digits)} digits"
        return _bad(f"line 1: old size {shown} is larger than 2**63-1")
    return int(digits)


def parse_submission(body: bytes) -> Submission | Answer:
    """The add-checkpoint request ``body``, or the 400 answer naming what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _bad(f"the body is not UTF-8 (byte {exc.start})")
    lines = text.split("\n")
    if len(lines) < 2:
        return _bad("line 1: the old size line does not end with a newline")
    old = _old_size(lines[0])
    if isinstance(old, Answer):
        return old
    proof: list[bytes] = []
    number = 2
    while number <= len(lines) and lines[number - 1] != "":
        if len(proof) == MAX_PROOF_LINES:
            return _bad(f"line {number}: more than {MAX_PROOF_LINES} consistency proof lines")
        digest = b64decode_canonical(lines[number - 1])
        if digest is None or len(digest) != 32:
            return _bad(f"line {number}: not a base64 SHA-256 hash (consistency proof line)")
        proof.append(digest)
        number += 1
    if number >= len(lines):  # no empty line, or the body ends with it
        return _bad(f"line {number}: no empty line and checkpoint after the consistency proof")
    note = "\n".join(lines[number:])
    if not note:
        return _bad(f"line {number + 1}: no checkpoint after the empty line")
    try:
        note_text, _ = split_note(note)
    except MalformedNote as exc:
        return _bad(f"the checkpoint (from line {number + 1}): {exc.message}")
    return Submission(old, tuple(proof), note, note_text, number + 1)


def log_signed(note: str, verifiers: Sequence[Verifier]) -> str:
    """``note`` (which ``open_note`` verified with ``verifiers``) with only the signature
    lines of those keys, once each: what the witness keeps, serves and refuses as
    evidence, never a line the submitter added (another key's, a cosignature it did not
    make). ``open_note`` refuses a note in which any line of those keys fails, so each
    line kept verified (C2SP signed-note: lines of unknown keys are ignored)."""
    text, lines = split_note(note)
    known = {(v.name, v.key_id) for v in verifiers}
    kept: list[str] = []
    for line in lines:
        payload = line.key_id.to_bytes(4, "big") + line.signature
        encoded = f"{SIGNATURE_PREFIX}{line.name} {b64encode(payload)}\n"
        if (line.name, line.key_id) in known and encoded not in kept:
            kept.append(encoded)
    return text + "\n" + "".join(kept)


def _checkpoint(submission: Submission) -> Checkpoint | Answer:
    try:
        checkpoint = parse_checkpoint_body(submission.text)
    except InvalidCheckpoint as exc:
        return _bad(f"the checkpoint (from line {submission.first_note_line}): {exc.message}")
    if checkpoint.size > MAX_SIZE:
        return _bad(f"the checkpoint's tree size {checkpoint.size} is larger than 2**63-1")
    return checkpoint


def _two_roots(latest: Cosigned | None, checkpoint: Checkpoint) -> str:
    """Why ``checkpoint`` and the cosigned ``latest`` are two histories ("": they are not)."""
    if latest is None or latest.size != checkpoint.size or latest.root == checkpoint.root:
        return ""
    return (
        f"the checkpoint of size {checkpoint.size} has root {b64encode(checkpoint.root)}, "
        f"the one cosigned has {b64encode(latest.root)}: two histories"
    )


class Witness:
    """The witness: its configuration, key and state; ``add_checkpoint`` answers a request.

    ``clock``: POSIX seconds now, the cosignatures' timestamp (default: the system clock;
    tests pass their own)."""

    def __init__(
        self,
        config: WitnessConfig,
        cosigner: Cosigner,
        state: WitnessState,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.config = config
        self.cosigner = cosigner
        self.state = state
        self.clock = clock or _now

    def add_checkpoint(self, body: bytes) -> Answer:
        """The answer to an add-checkpoint request body (module docstring)."""
        submission = parse_submission(body)
        if isinstance(submission, Answer):
            return submission
        log = self.config.log(submission.origin)
        if log is None:
            return Answer(404, f"unknown log origin {submission.origin!r}\n")
        try:
            open_note(submission.note, log.verifiers)
        except SignatureError as exc:
            return Answer(403, f"not signed by a trusted key of {log.origin!r}: {exc.message}\n")
        submission = replace(submission, note=log_signed(submission.note, log.verifiers))
        checkpoint = _checkpoint(submission)
        if isinstance(checkpoint, Answer):
            return checkpoint
        if submission.old_size > checkpoint.size:
            return _bad(
                f"line 1: old size {submission.old_size} is larger than the checkpoint's "
                f"size {checkpoint.size}"
            )
        try:
            with self.state.advancing(log.origin) as tx:
                return self._decide(tx, submission, checkpoint)
        except Unavailable as exc:  # nothing was cosigned
            return Answer(503, f"{exc.message}; retry\n")

    def _decide(self, tx: Transaction, submission: Submission, checkpoint: Checkpoint) -> Answer:
        """The decision under the state's write lock (the spec's atomic check and update)."""
        latest = tx.latest
        latest_size = 0 if latest is None else latest.size
        two_roots = _two_roots(latest, checkpoint)
        if submission.old_size != latest_size:
            answer = Answer(409, f"{latest_size}\n", SIZE_TYPE)
            return self._refuse(tx, submission, answer, two_roots) if two_roots else answer
        if two_roots:
            return self._refuse(tx, submission, Answer(409, two_roots + "\n"), two_roots)
        old_root = merkle.EMPTY_ROOT if latest is None else latest.root
        if not merkle.verify_consistency(
            latest_size, checkpoint.size, old_root, checkpoint.root, list(submission.proof)
        ):
            reason = (
                f"the consistency proof from size {latest_size} to {checkpoint.size} does not "
                f"verify (RFC 6962 2.1.2; empty when the old size is 0 or equals the size)"
            )
            return self._refuse(tx, submission, Answer(422, reason + "\n"), reason)
        now = self.clock()
        line = self.cosigner.cosign(submission.text, now)
        if latest is None or checkpoint.size > latest.size:
            tx.advance(
                Cosigned(checkpoint.origin, checkpoint.size, checkpoint.root,
                         submission.note, line, now)
            )  # fmt: skip
        return Answer(200, line)

    def _refuse(
        self, tx: Transaction, submission: Submission, answer: Answer, reason: str
    ) -> Answer:
        """Keep a refused submission signed by the log as evidence; the answer."""
        proof = tuple(b64encode(h) for h in submission.proof)
        tx.refuse(
            Refused(submission.origin, submission.old_size, proof, submission.note,
                    answer.status, reason, self.clock())
        )  # fmt: skip
        return answer
