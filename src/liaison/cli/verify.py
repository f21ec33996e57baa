"""Checking a ledger from the command line: ``liaison ledger verify`` (the deployment's
database, its index and the signer's memory) and ``liaison verify-bundle`` (an exported
bundle, with nothing else), both printing one report (docs/ledger.md, "Checking the ledger
independently").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liaison.cli.common import JsonOpt, fail, fail_on
from liaison.cli.key_opts import MinWitnessesOpt, WitnessOpt, log_verifier, witness_keys
from liaison.errors import LiaisonError

if TYPE_CHECKING:  # imported where used: `liaison decide` must start fast
    from liaison.ledger.verify import Report

StructureOnly = Annotated[
    bool,
    typer.Option(
        "--structure-only",
        help="Check entries, leaves, tiles and head only: no checkpoint is checked or "
        "required, so nothing is authenticated (without it, a ledger that no signed "
        "checkpoint covers fails).",
    ),
]


def _print_report(report: Report, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    from liaison.ledger.proofs import b64

    authenticated = report.latest_checkpoint if not report.structure_only else 0
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "size": report.size,
                    "root": b64(report.root),
                    "structure_only": report.structure_only,
                    "checkpoints_verified": report.checkpoints_verified,
                    "authenticated_entries": authenticated,
                    "uncovered_entries": report.uncovered,
                    "first_wrong_entry": _first_wrong_json(report),
                    **_witnesses_json(report),
                    **(extra or {}),
                    "problems": [{"where": p.where, "message": p.message} for p in report.problems],
                }
            )
        )
    else:
        for problem in report.problems:
            typer.echo(f"FAIL {problem}")
        if report.first_wrong is not None:
            typer.echo(f"first wrong entry: {_first_wrong(report.first_wrong)}")
        typer.echo(_summary(report))
        if report.witnessed is not None:
            typer.echo(f"witnesses: {_witnesses(report)}")
        for key, value in (extra or {}).items():
            typer.echo(f"{key}: {value}")
    if not report.ok:
        raise typer.Exit(1)


def _first_wrong(bounds: tuple[int, int]) -> str:
    first, before = bounds
    if before - first == 1:
        return f"entry {first}"
    return f"entry {first} or later, before {before} (no signed checkpoint narrows it further)"


def _first_wrong_json(report: Report) -> dict[str, int] | None:
    if report.first_wrong is None:
        return None
    return {"from": report.first_wrong[0], "before": report.first_wrong[1]}


def _witnessed_entries(report: Report) -> int:
    """The entries the witnesses vouch for: those of the newest checkpoint cosigned as
    required (none when no checkpoint is)."""
    seen = report.witnessed
    return seen.size if seen is not None and seen.ok else 0


def _witnesses_json(report: Report) -> dict[str, Any]:
    if report.witnessed is None:
        return {}
    done = _witnessed_entries(report)
    return {
        "witnesses": report.witnessed.to_json(),
        "witnessed_entries": done,
        "unwitnessed_entries": report.size - done,
    }


def _witnesses(report: Report) -> str:
    """Which witnesses cosigned the checkpoint witnessed up to; what they did not see: the
    entries signed after it (signed but NOT witnessed), and those after the latest
    verified checkpoint."""
    assert report.witnessed is not None
    text = report.witnessed.describe()
    if not report.witnessed.ok:
        return text  # a problem says so
    done = _witnessed_entries(report)
    signed = report.latest_checkpoint - done
    if signed > 0:
        text += (
            f"; the {signed} entries after it ({done}..{report.latest_checkpoint - 1}) are "
            f"signed but NOT witnessed (checkpoint {report.latest_checkpoint} is not cosigned "
            "as required)"
        )
    last = max(done, report.latest_checkpoint)
    if report.size > last:
        text += (
            f"; the {report.size - last} entries after checkpoint {last} "
            f"({last}..{report.size - 1}) are neither signed nor witnessed"
        )
    return text


def _summary(report: Report) -> str:
    """The report's last line: what was checked, and what was authenticated (or not)."""
    from liaison.ledger.proofs import b64

    state = "OK" if report.ok else f"FAILED ({len(report.problems)} problem(s))"
    head = f"{state}: {report.size} entries, root {b64(report.root)}"
    if report.structure_only:
        return f"{head}; STRUCTURE ONLY: no checkpoint was checked, nothing was authenticated"
    line = f"{head}, {report.checkpoints_verified} checkpoint(s) verified"
    if not report.size:
        return line + "; no entry, nothing authenticated"
    if not report.uncovered:
        return line + "; every entry is covered by a verified checkpoint"
    return line + (
        f"; {report.uncovered} entries after the latest verified checkpoint "
        f"({report.latest_checkpoint}..{report.size - 1}) are NOT authenticated"
    )


def ledger_verify(as_json: JsonOpt = False, structure_only: StructureOnly = False) -> None:
    """Recompute everything from the stored entries; check every kept checkpoint and tile,
    and every index row (decisions, events, encounters, pack changes) against its entry.

    Exits 1 and names the entry, checkpoint or tile that is wrong after any edit,
    deletion, reordering or insertion in the database, the table, id and columns of an
    index row that differs from its entry (or has none, or is missing), and when no
    signed checkpoint covers the ledger or it is empty (unless --structure-only).

    Entries whose personal data a recorded erasure erased are counted as
    erased (`erased_entries`, when any), not as missing."""
    from liaison.gateway.index_check import check_index
    from liaison.ledger.check import check_ledger
    from liaison.ledger.keys import load_verifier
    from liaison.ledger.log import Ledger
    from liaison.ledger.signer_memory import SignerMemory
    from liaison.ledger.verify import Finding
    from liaison.settings import Settings
    from liaison.storage.database import open_engine

    s = Settings()
    ledger = Ledger(open_engine(s.database_url), s.log_origin, None)
    try:  # the last tree the key signed, kept beside it: checked like a kept checkpoint
        signed = SignerMemory(s.key_dir).recall()
    except LiaisonError as exc:
        raise fail_on(exc) from None
    remembered = signed.note if signed is not None else None
    report = check_ledger(
        ledger, load_verifier(s.key_dir), structure_only=structure_only, remembered=remembered
    )
    if signed is not None and signed.size > report.size and not structure_only:
        report.problems.append(
            Finding(
                "signer's memory",
                f"the key signed a tree of {signed.size} entries (LIAISON_KEY_DIR/ledger.signed);"
                f" the ledger holds {report.size}: entries were removed",
            )
        )
    report.problems.extend(check_index(ledger))
    _print_report(report, as_json, {"erased_entries": report.erased} if report.erased else None)


BundleVkeyOpt = Annotated[
    str | None,
    typer.Option(
        "--vkey",
        help="The published verifier key to pin, or a file holding it (the bundle's key "
        "rotations are followed from it).",
    ),
]
TrustedOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--trusted",
        help="A signed checkpoint you saved yourself (repeatable): the bundle must extend it.",
        dir_okay=False,
    ),
]


def verify_bundle_command(
    path: Annotated[Path, typer.Argument(help="A bundle written by `liaison ledger export`.")],
    vkey: BundleVkeyOpt = None,
    as_json: JsonOpt = False,
    structure_only: StructureOnly = False,
    trusted: TrustedOpt = None,
    witness: WitnessOpt = None,
    min_witnesses: MinWitnessesOpt = None,
) -> None:
    """Check a ledger bundle with nothing but the bundle (for an inspector's own machine).

    Exits 1 when anything is wrong, when no signed checkpoint covers its entries and
    when it holds none (unless --structure-only); entries after the latest verified
    checkpoint are reported as not authenticated. Each --trusted checkpoint (a signed
    note saved earlier, e.g. from /checkpoint) must be signed by the key and be a state
    of the bundle's log: a history rewritten after it, or cut before it, fails. With
    --witness, the bundle is witnessed up to the newest verified checkpoint that carries
    --min-witnesses valid cosignatures (default: one by each witness given), read from
    the bundle's checkpoint lines; the entries after it are reported as signed but NOT
    witnessed (witnessed_entries, unwitnessed_entries), without failing. It fails when no
    checkpoint covering entries is cosigned so, or a cosignature by a witness given does
    not verify.

    Key rotations are followed from --vkey (or the bundle's key): a key_rotation entry
    signed by the key trusted at that point and by the new key, of this log, naming the
    tree the bundle makes at its size, moves trust to the new key for the checkpoints
    after it; one that does not hold fails naming its entry. The report says which key
    signed which checkpoint (signing_keys)."""
    from liaison.ledger.bundle import verify_bundle

    witnesses, minimum = witness_keys(witness, min_witnesses, 1)
    pinned = log_verifier(vkey, 1).vkey if vkey is not None else None
    try:
        saved = _saved_checkpoints(trusted or [])
        report, header = verify_bundle(
            path,
            pinned,
            structure_only=structure_only,
            trusted=saved,
            witnesses=witnesses,
            min_witnesses=minimum,
        )
    except LiaisonError as exc:
        raise fail_on(exc) from None
    except OSError as exc:
        raise fail(str(exc)) from None
    extra = _bundle_extra(header, as_json)
    if not structure_only:
        extra.update(_unchecked(bool(saved), bool(witnesses)))
    _print_report(report, as_json, extra)


def _unchecked(pinned: bool, witnessed: bool) -> dict[str, str]:
    """What the check could not establish, said every time: no checkpoint the reader saved
    was pinned, no witness required."""
    said = {}
    if not pinned:
        said["pinned_checkpoints"] = (
            "none (--trusted): a history rewritten after the bundle's last checkpoint you "
            "did not save, and signed again with the key, would verify as well"
        )
    if not witnessed:
        said["witnessed"] = (
            "none required (--witness): nothing shows that independent witnesses saw this "
            "history; it is not witnessed"
        )
    return said


def _bundle_extra(header: dict[str, Any], as_json: bool) -> dict[str, Any]:
    """The bundle's origin, where its key came from, and which key signed which
    checkpoint (rotations followed)."""
    from liaison.ledger.key_follow import describe_signers

    extra = {"origin": header.get("origin"), "key": header.get("key_source", "pinned with --vkey")}
    if "signing_keys" in header:
        signers = header["signing_keys"]
        extra["signing_keys"] = signers if as_json else describe_signers(signers)
    return extra


def _saved_checkpoints(files: list[Path]) -> list[str]:
    """The signed notes of the ``--trusted`` files; exit 1 naming a file that cannot be
    read or holds no checkpoint (a bad signature is left to the report, as the bundle's)."""
    from liaison.ledger.checkpoint import claimed_size

    notes = []
    for file in files:
        try:
            note = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise fail(f"--trusted {file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise fail(f"--trusted {file}: not UTF-8 text") from None
        if claimed_size(note) < 0:
            raise fail(f"--trusted {file}: not a signed checkpoint (origin, size, root)")
        notes.append(note)
    return notes
