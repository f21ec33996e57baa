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
from pathlib import Path
from typing import IO, Any

from liaison.errors import BundleError
from liaison.ledger.bundle_export import FORMAT, export_bundle
from liaison.ledger.checkpoint import claimed_size
from liaison.ledger.cosignature import WitnessKey
from liaison.ledger.note_keys import parse_verifier
from liaison.ledger.verify import Finding, LogChecker, Report
from liaison.ledger.witness_quorum import Witnessed, witnessed


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
        key = vkey or header.get("vkey")
        if not isinstance(key, str):
            raise BundleError("line 1: the bundle names no verifier key; pass --vkey")
        verifier = parse_verifier(key)
        origin = header.get("origin")
        notes: list[tuple[int, str]] = [(claimed_size(note), note) for note in trusted]
        checker: LogChecker | None = None
        for number, item in lines:
            if "checkpoint" in item:
                if checker is not None:
                    raise BundleError(f"line {number}: checkpoint after the entries")
                notes.append((claimed_size(item["checkpoint"]), str(item["checkpoint"])))
                continue
            if checker is None:
                checker = LogChecker(notes, verifier, origin, structure_only=structure_only)
            index, text = item.get("index"), item.get("entry")
            if not isinstance(index, int) or not isinstance(text, str):
                raise BundleError(
                    f"line {number}: an entry line needs an integer index and a text entry"
                )
            checker.feed(index, _utf8(number, text))
        checker = checker or LogChecker(notes, verifier, origin, structure_only=structure_only)
        head = _head(header)
        report = checker.finish(head)
    if witnesses or minimum:
        _check_witnesses(report, witnesses, minimum)
    if vkey is None:
        header["key_source"] = "the bundle itself (pin the published key with --vkey)"
    return report, header


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
