"""Self-contained ledger bundles: their format, and verification with nothing but the bundle
(export, shared by ``liaison ledger export`` and ``GET /v1/ledger/bundle``, is
``liaison.ledger.bundle_export``'s).

A bundle is JSON Lines (gzip-compressed when the file name ends in ``.gz``):

1. a header ``{"format": "liaison-ledger-bundle", "version": 1, "origin": ...,
   "vkey": ..., "size": n, "root": <base64>, "exported_at": ...}``;
2. one ``{"checkpoint": <signed note>}`` per kept checkpoint (C2SP tlog-checkpoint), with
   the witnesses' cosignature lines after the log's signature (C2SP tlog-cosignature);
3. one ``{"index": i, "entry": <the entry's canonical JSON text>}`` per entry, in order.

Personal data never leaves in a bundle: entries hold only its salted hash.
The verifier key inside a bundle is a convenience; an inspector should pin the
key published out of band with ``--vkey``. Export refuses a database that keeps a
checkpoint larger than its tree (truncation): a kept checkpoint is never left out.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeGuard

from liaison.errors import BundleError
from liaison.ledger.bundle_export import FORMAT, export_bundle
from liaison.ledger.checkpoint import claimed_size
from liaison.ledger.cosignature import WitnessKey
from liaison.ledger.key_chain import KIND, KeyChain
from liaison.ledger.key_follow import follow, is_rotation, root_finding, rotation_in, signed_by
from liaison.ledger.merkle import leaf_hash
from liaison.ledger.note_keys import Verifier, parse_verifier
from liaison.ledger.verify import Finding, LogChecker, Report
from liaison.ledger.witness_quorum import Witnessed, witnessed

_ENTRY_FIELDS = frozenset({"index", "entry"})


def _open(path: Path, mode: str) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")


def _lines(handle: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    number = 0
    while True:
        number += 1
        try:
            line = next(handle, None)
        except UnicodeDecodeError:
            raise BundleError(f"line {number}: not UTF-8 text") from None
        except (EOFError, zlib.error) as exc:  # a damaged .gz (BadGzipFile is an OSError)
            raise BundleError(f"line {number}: the compressed bundle is damaged ({exc})") from None
        if line is None:
            return
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise BundleError(f"line {number}: not JSON ({exc})") from None
        except RecursionError:
            raise BundleError(f"line {number}: not JSON (nested too deeply)") from None
        if not isinstance(value, dict):
            raise BundleError(f"line {number}: not a JSON object")
        yield number, value


def verify_bundle(
    path: Path,
    vkey: str | None = None,
    *,
    structure_only: bool = False,
    trusted: Sequence[str] = (),
    witnesses: Sequence[WitnessKey] = (),
    min_witnesses: int | None = None,
) -> tuple[Report, dict[str, Any]]:
    """Check a bundle with nothing else: every entry, every checkpoint, the header's head.

    A bundle with entries that no verified checkpoint covers fails (``LogChecker``); the
    entries after its latest verified checkpoint are reported as not authenticated.
    ``structure_only``: the checkpoints are neither checked nor required. ``trusted``:
    signed checkpoints the verifier saved itself (issue 12, item 2), checked as the
    bundle's own are: signed by the key, and the bundle's entries must make each one's
    root at its size, so a history rewritten after it (and signed again) fails, and so
    does a bundle that ends before it. ``witnesses``: the newest verified checkpoint
    cosigned by ``min_witnesses`` of them (default: all), read from its ``{"checkpoint":
    ...}`` lines (``liaison.ledger.witness_quorum``), is the one the bundle is witnessed
    up to (``Report.witnessed``); the entries after it are reported as not witnessed; a
    bundle that no such checkpoint covers fails, as does a forged cosignature."""
    if trusted and structure_only:
        raise BundleError("--trusted checkpoints are checked: not with --structure-only")
    minimum = len(witnesses) if min_witnesses is None else min_witnesses
    if (witnesses or minimum) and structure_only:
        raise BundleError("--witness cosignatures are checked: not with --structure-only")
    with _open(path, "r") as handle:
        lines = _lines(handle)
        _, header = next(lines, (0, {}))
        if header.get("format") != FORMAT or header.get("version") != 1:
            raise BundleError(f"{path}: not a {FORMAT} (version 1) file")
        origin = _origin(header)
        key = vkey or header.get("vkey")
        if not isinstance(key, str):
            raise BundleError("line 1: the bundle names no verifier key; pass --vkey")
        verifier = parse_verifier(key)
        rotations = None if structure_only else _key_chain(path, verifier, origin)
        notes, foreign = _trusted(trusted, origin)
        checker = _check(lines, notes, verifier, origin, structure_only, rotations)
        report = checker.finish(_head(header))
    report.problems.extend(foreign)
    if witnesses or minimum:
        _check_witnesses(report, witnesses, minimum)
    if rotations is not None:
        header["signing_keys"] = signed_by(rotations.chain, report.verified_notes)
    if vkey is None:
        header["key_source"] = "the bundle itself (pin the published key with --vkey)"
    return report, header


def _origin(header: dict[str, Any]) -> str:
    """The log's origin the header names (every checkpoint must be of it); a header
    without one, or that carries an entry's fields, is a bad bundle."""
    origin = header.get("origin")
    if not isinstance(origin, str) or not origin:
        raise BundleError("line 1: the header's origin is missing or not a string")
    if _ENTRY_FIELDS & header.keys():
        raise BundleError("line 1: the header carries an entry's index or entry")
    return origin


def _trusted(trusted: Sequence[str], origin: str) -> tuple[list[tuple[int, str]], list[Finding]]:
    """The ``--trusted`` checkpoints of the bundle's log, with their sizes; a problem
    naming each one (by its place among them, and its size) of another origin."""
    notes, foreign = [], []
    for number, note in enumerate(trusted, start=1):
        size, named = claimed_size(note), note.split("\n", 1)[0]
        if named != origin:
            foreign.append(
                Finding(
                    f"trusted checkpoint {number} (size {size})",
                    f"its origin {named[:80]!r} is not the bundle's {origin!r}: a checkpoint "
                    "of another log",
                )
            )
            continue
        notes.append((size, note))
    return notes, foreign


def _key_chain(path: Path, pinned: Verifier, origin: str) -> _Rotations:
    """The keys of the bundle's checkpoints, from the pinned one through the bundle's
    ``key_rotation`` entries (``liaison.ledger.key_follow``), read in a first pass, with
    each rotation's (index, leaf hash) for the second pass to confirm it is the entry the
    tree holds there; a line that cannot be read is left to the second pass, which
    reports it (as it refuses a line that is both a checkpoint and an entry)."""
    rotations, bad, read = [], [], []
    try:
        with _open(path, "r") as handle:
            for line in handle:
                if KIND not in line and "\\u" not in line:  # a rotation, or JSON escapes
                    continue
                item = json.loads(line)
                index, text = item.get("index"), item.get("entry")
                if "checkpoint" in item or not _is_index(index) or not isinstance(text, str):
                    continue
                read.append((index, leaf_hash(text.encode("utf-8", "surrogatepass"))))
                try:
                    found = rotation_in(index, text, origin)
                except ValueError as exc:
                    bad.append(Finding(f"entry {index}", str(exc)))
                    continue
                if found is not None:
                    rotations.append(found)
    except (ValueError, RecursionError, EOFError, zlib.error, OSError, AttributeError):
        pass  # a damaged bundle: the second pass names the line
    chain = follow(pinned, sorted(rotations, key=lambda r: r.index), bad)
    return _Rotations(chain, read)


@dataclass(frozen=True, slots=True)
class _Rotations:
    """What the first pass read: the key chain, and the (index, leaf hash) of each line
    it read a ``key_rotation`` entry from."""

    chain: KeyChain
    read: list[tuple[int, bytes]]


class _Pass:
    """The second pass: entries and checkpoints into a ``LogChecker`` whose keys follow
    ``chain``, and each rotation's (size, root) compared with the tree rebuilt at that
    size (RFC 6962 2.1) before the entry after it is fed. The rotations followed are
    exactly the entries fed: each line the first pass read one from must be the entry
    fed at its index (the same leaf hash), and an entry fed that is a rotation must be
    one the first pass read."""

    def __init__(self, rotations: _Rotations | None) -> None:
        self.chain = None if rotations is None else rotations.chain
        self.pending = sorted(self.chain.rotations if self.chain else [], key=lambda r: r.size)
        self.read = [] if rotations is None else rotations.read
        self.fed: dict[int, bytes] = {index: b"" for index, _ in self.read}

    def start(self, checker: LogChecker) -> LogChecker:
        if self.chain is not None:
            checker.report.problems.extend(self.chain.problems)
        return checker

    def roots(self, checker: LogChecker) -> None:
        tree = checker.tree
        while self.pending and self.pending[0].size <= tree.size:
            rotation = self.pending.pop(0)
            found = (
                root_finding(rotation, tree.root())
                if rotation.size == tree.size
                else Finding(f"entry {rotation.index}", "key_rotation: its tree is not in order")
            )
            if found is not None:
                checker.report.problems.append(found)

    def entry(self, checker: LogChecker, text: str, body: bytes) -> None:
        """Before ``body`` is fed at the tree's size: keep its leaf hash if a rotation
        was read at that index; a problem if it is a rotation the first pass did not read."""
        at = checker.tree.size
        if at in self.fed:
            self.fed[at] = leaf_hash(body)
        elif self.chain is not None and is_rotation(text):
            checker.report.problems.append(
                Finding(f"entry {at}", "key_rotation: not read as the bundle's entry line")
            )

    def end(self, checker: LogChecker) -> None:
        """A problem naming each rotation read from a line that is not the entry the tree
        holds at its index: a rotation outside the log is never followed silently."""
        for index, leaf in self.read:
            if self.fed[index] != leaf:
                checker.report.problems.append(
                    Finding(
                        f"entry {index}",
                        "key_rotation: not the entry the bundle's tree holds at this index "
                        "(a rotation outside the log)",
                    )
                )


def _check(
    lines: Iterator[tuple[int, dict[str, Any]]],
    notes: list[tuple[int, str]],
    verifier: Verifier,
    origin: str,
    structure_only: bool,
    rotations: _Rotations | None,
) -> LogChecker:
    """The bundle's checkpoint and entry lines fed to a ``LogChecker`` (not finished)."""
    chain = None if rotations is None else rotations.chain
    keys = chain.verifier_at if chain is not None and chain.rotations else None
    steps = _Pass(rotations)
    checker: LogChecker | None = None
    for number, item in lines:
        if "checkpoint" in item:
            if checker is not None:
                raise BundleError(f"line {number}: checkpoint after the entries")
            if _ENTRY_FIELDS & item.keys():
                raise BundleError(
                    f"line {number}: a checkpoint line with an entry's index or entry"
                )
            notes.append((claimed_size(item["checkpoint"]), str(item["checkpoint"])))
            continue
        if checker is None:
            checker = steps.start(
                LogChecker(notes, verifier, origin, structure_only=structure_only, keys=keys)
            )
        index, text = item.get("index"), item.get("entry")
        if not _is_index(index) or not isinstance(text, str):
            raise BundleError(
                f"line {number}: an entry line needs an integer index and a text entry"
            )
        body = _utf8(number, text)
        steps.roots(checker)
        steps.entry(checker, text, body)
        checker.feed(index, body)
    if checker is None:
        checker = steps.start(
            LogChecker(notes, verifier, origin, structure_only=structure_only, keys=keys)
        )
    steps.roots(checker)
    steps.end(checker)
    return checker


def _is_index(value: object) -> TypeGuard[int]:
    """An entry's index: a JSON integer (not ``true``/``false``, which Python reads as 1/0)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_witnesses(report: Report, witnesses: Sequence[WitnessKey], minimum: int) -> None:
    """The checkpoint the bundle is witnessed up to: the newest verified one (covering
    entries) cosigned by ``minimum`` distinct witnesses of ``witnesses``, in the report
    (the entries after it are signed, or not even that, but NOT witnessed: reported, not
    failed, as uncovered entries are). A problem naming the latest checkpoint when none
    is; and one naming each verified checkpoint with a cosignature line by a given witness
    that does not verify (a forgery is never ignored, whatever the others say)."""
    if minimum > len(witnesses):
        raise BundleError(
            f"--min-witnesses {minimum}: only {len(witnesses)} witness key(s) given (--witness)"
        )
    if not report.latest_notes:
        return  # no verified checkpoint: a problem already, nothing to be cosigned
    chosen: Witnessed | None = None
    latest: Witnessed | None = None
    for size in sorted(report.verified_notes, reverse=True):
        seen = witnessed(report.verified_notes[size], size, witnesses, minimum)
        latest = latest or seen
        if seen.error:
            report.problems.append(
                Finding(f"checkpoint {size}", f"a cosignature does not verify: {seen.describe()}")
            )
        elif chosen is None and seen.ok and size > 0:
            chosen = seen
    report.witnessed = chosen or latest
    if chosen is None and latest is not None and not latest.error:
        report.problems.append(
            Finding(
                f"checkpoint {latest.size}",
                f"not witnessed as required: {latest.describe()}; no verified checkpoint "
                "covering entries is",
            )
        )


def _head(header: dict[str, Any]) -> tuple[int, bytes]:
    """The (size, root) the header claims; a header that claims none is a bad bundle."""
    size = header.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise BundleError("line 1: the header's size is not a whole number")
    try:
        return size, base64.b64decode(str(header.get("root", "")), validate=True)
    except binascii.Error:
        raise BundleError("line 1: the header's root is not base64") from None


def _utf8(number: int, text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, spelled as a JSON escape
        raise BundleError(f"line {number}: the entry is not Unicode text") from None


__all__ = ["export_bundle", "verify_bundle"]
