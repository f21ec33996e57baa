"""``liaison ledger``: the tamper-evident ledger from the command line (docs/ledger.md,
"Commands"): its signing key, appending, reading, checkpoints, proofs, export, erasure.

The database is ``LIAISON_DATABASE_URL`` (default: SQLite ``var/liaison.db``); the
signing key lives in ``LIAISON_KEY_DIR`` (default ``var/keys``). ``verify`` is in
``liaison.cli.verify``, beside ``verify-bundle``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liaison.cli.common import (
    JsonOpt,
    fail,
    fail_on,
    open_input,
    open_ledger,
    read_verifier,
    valid_text,
)
from liaison.cli.proof_files import FileOpt, SinceOpt, write_proof_file
from liaison.cli.rotate import ledger_rotate_key
from liaison.cli.verify import ledger_verify
from liaison.errors import InvalidRequest, LiaisonError

if TYPE_CHECKING:  # imported where used: `liaison decide` must start fast
    from liaison.ledger.entries import NewEntry

ledger_app = typer.Typer(
    help="The tamper-evident ledger (RFC 6962 log, C2SP signed checkpoints).", no_args_is_help=True
)


@ledger_app.command("keygen")
def ledger_keygen(
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing key (and start its memory afresh)."),
    ] = False,
) -> None:
    """Generate the checkpoint signing key (Ed25519) into LIAISON_KEY_DIR; print the vkey.

    The folder is made readable by its owner only; the key's memory of what it signed
    (ledger.signed) starts empty. Also makes the API key secret (api-keys.secret) there if
    missing; never replaces it."""
    from liaison.gateway.key_secret import api_key_secret
    from liaison.ledger.keys import keygen
    from liaison.settings import Settings

    s = Settings()
    try:
        skey_path, vkey_path = keygen(s.key_dir, s.log_origin, force=force)
        api_key_secret(s.key_dir)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    typer.echo(f"signing key: {skey_path} (keep it secret)")
    typer.echo(f"verifier key: {vkey_path}")
    typer.echo(vkey_path.read_text().strip())


@ledger_app.command("signer-init")
def ledger_signer_init(
    force: Annotated[
        bool, typer.Option("--force", help="Replace the signer's memory (a replaced key).")
    ] = False,
) -> None:
    """Start the signer's memory (LIAISON_KEY_DIR/ledger.signed) of a key that has none.

    It starts from the newest kept checkpoint that the key signed, or, when the database
    keeps none, from nothing signed: the next checkpoint then signs the tree as the
    database holds it, so check it first (`liaison ledger verify --structure-only`)."""
    from liaison.ledger.keys import load_signer
    from liaison.ledger.log import Ledger
    from liaison.ledger.signer_memory import SignerMemory, describe, initial_memory
    from liaison.settings import Settings
    from liaison.storage.database import open_engine

    s = Settings()  # the key folder's own key, even where a signer process holds it
    ledger = Ledger(open_engine(s.database_url), s.log_origin)
    try:
        key = load_signer(s.key_dir)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    if key is None:
        raise fail("no signing key: run `liaison ledger keygen`")
    memory = SignerMemory(s.key_dir)
    with memory.locked():
        if not force and memory.path is not None and memory.path.exists():
            raise fail(f"{memory.path} exists already; --force replaces it")
        notes = [c.note for c in reversed(ledger.checkpoints())]
        start = initial_memory(key, ledger.origin, notes)
        memory.remember(start)
    source = "the newest kept checkpoint this key signed" if start.note else "nothing signed"
    typer.echo(json.dumps({"memory": str(memory.path), "from": source, **describe(start)}))


@ledger_app.command("append")
def ledger_append(
    source: Annotated[
        str, typer.Argument(help="JSON lines of {kind, actor, record, personal?}; '-' for stdin.")
    ] = "-",
) -> None:
    """Append entries (one JSON object per line), acknowledged once durable."""
    from liaison.ledger.proofs import b64

    entries: list[NewEntry] = []
    with open_input(source) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                entries.append(_new_entry(line, number))
    for appended in open_ledger().append_many(entries):
        typer.echo(
            json.dumps(
                {
                    "index": appended.index,
                    "leaf_hash": b64(appended.leaf_hash),
                    "size": appended.size,
                    "root": b64(appended.root),
                }
            )
        )


def _new_entry(line: str, number: int) -> NewEntry:
    from liaison.errors import CanonicalJSONError
    from liaison.ledger.canonical import canonical_json
    from liaison.ledger.entries import NewEntry

    if not valid_text(line):
        raise fail(f"line {number}: not valid UTF-8", 2)
    try:
        item = json.loads(line)
    except ValueError as exc:
        raise fail(f"line {number}: not JSON ({exc})", 2) from None
    except RecursionError:
        raise fail(f"line {number}: not JSON (nested too deeply)", 2) from None
    if not isinstance(item, dict) or set(item) - {"kind", "actor", "record", "personal"}:
        raise fail(f"line {number}: expected an object with kind, actor, record, personal", 2)
    kind, actor, record, personal = (item.get(k) for k in ("kind", "actor", "record", "personal"))
    if not isinstance(kind, str) or not kind or not isinstance(actor, str) or not actor:
        raise fail(f"line {number}: kind and actor must be non-empty strings", 2)
    if not isinstance(record, dict) or not (personal is None or isinstance(personal, dict)):
        raise fail(f"line {number}: record (and personal, if given) must be objects", 2)
    try:
        canonical_json([record, personal])  # refuse what has no canonical form before appending
    except CanonicalJSONError as exc:
        raise fail(f"line {number}: {exc}", 2) from None
    return NewEntry(kind, record, actor, personal)


@ledger_app.command("get")
def ledger_get(index: Annotated[int, typer.Argument(help="Entry index.")]) -> None:
    """Print one entry, its leaf hash and (unless erased) its personal data."""
    from liaison.ledger.proofs import b64

    try:
        entry = open_ledger().entry(index)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    typer.echo(
        json.dumps(
            {
                "index": entry.index,
                "leaf_hash": b64(entry.leaf_hash),
                "entry": entry.document(),
                "personal": entry.personal,
                "erased": entry.erased,
            },
            ensure_ascii=False,
        )
    )


@ledger_app.command("checkpoint")
def ledger_checkpoint(
    every: Annotated[float | None, typer.Option("--every", help="Repeat every N seconds.")] = None,
    count: Annotated[
        int | None, typer.Option("--count", help="With --every: stop after N.")
    ] = None,
) -> None:
    """Sign and keep a checkpoint of the current tree (now, or on a schedule); print its
    signed note exactly as signed (C2SP signed-note bytes: nothing added)."""
    ledger = open_ledger()
    made = 0
    while True:
        try:
            cp = ledger.checkpoint()
        except LiaisonError as exc:
            raise fail_on(exc) from None
        typer.echo(cp.note, nl=False)  # the note ends with its own newline
        made += 1
        if every is None or (count is not None and made >= count):
            return
        time.sleep(every)


@ledger_app.command("prove-inclusion")
def ledger_prove_inclusion(
    index: Annotated[int, typer.Argument(help="Entry index.")],
    size: Annotated[
        int | None, typer.Option("--size", help="Tree size (default: current).")
    ] = None,
    file: FileOpt = None,
    since: SinceOpt = None,
) -> None:
    """An RFC 6962 inclusion proof for an entry, naming the (size, root) it is for.

    With --file, a proof file: the entry, its proof against the kept checkpoint of --size
    (default: the latest), that checkpoint's signed note and cosignatures, and a
    consistency proof from each --since size."""
    if file is not None:
        from liaison.ledger.consistency_file import inclusion_file_of

        write_proof_file(
            file, lambda ledger, vkey: inclusion_file_of(ledger, index, size, since or [], vkey)
        )
        return
    if since:
        raise fail("--since goes with --file", 2)
    try:
        proof = open_ledger().inclusion_proof(index, size)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    typer.echo(json.dumps({**proof.to_json(), "verified": proof.verifies()}))


@ledger_app.command("prove-consistency")
def ledger_prove_consistency(
    old: Annotated[int, typer.Argument(help="Older tree size.")],
    new: Annotated[int | None, typer.Argument(help="Newer tree size (default: current).")] = None,
    file: FileOpt = None,
) -> None:
    """An RFC 6962 consistency proof between two tree sizes, with both roots.

    With --file, a proof file ending at the kept checkpoint of NEW (default: the latest),
    with its signed note and cosignatures."""
    if file is not None:
        from liaison.ledger.consistency_file import consistency_file_of

        write_proof_file(file, lambda ledger, vkey: consistency_file_of(ledger, old, new, vkey))
        return
    try:
        proof = open_ledger().consistency_proof(old, new)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    typer.echo(json.dumps({**proof.to_json(), "verified": proof.verifies()}))


@ledger_app.command("check-proof")
def ledger_check_proof(
    path: Annotated[Path, typer.Argument(help="A proof file (a decision page's proof.json).")],
    key: Annotated[
        Path,
        typer.Option("--key", help="A file holding the log's verifier key, as you saved it."),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Check one entry's inclusion proof offline, trusting only your copy of the key.

    The checkpoint must be signed by KEY, the file's tree must be the signed one, the leaf
    hash must be the body's and the audit path must lead from it to the signed root.
    Exits 1 when any step fails, 2 when a file cannot be read or is not a proof file."""
    from liaison.ledger.proof_file import check_proof

    verifier = read_verifier(key)
    try:
        steps = check_proof(json.loads(path.read_text(encoding="utf-8")), verifier)
    except OSError as exc:
        raise fail(f"{path}: {exc.strerror}", 2) from None
    except ValueError as exc:  # not UTF-8, or not JSON
        raise fail(f"{path}: not a proof file (JSON): {exc}", 2) from None
    except LiaisonError as exc:
        raise fail(f"{path}: {exc}", 2) from None
    ok = all(step.ok for step in steps)
    if as_json:
        shown = [{"step": s.name, "ok": s.ok, "detail": s.detail} for s in steps]
        typer.echo(json.dumps({"ok": ok, "steps": shown}))
    else:
        for step in steps:
            typer.echo(f"{'OK  ' if step.ok else 'FAIL'} {step.name}: {step.detail}")
        typer.echo("VERIFIED: the entry is in the signed tree" if ok else "NOT VERIFIED")
    if not ok:
        raise typer.Exit(1)


ledger_app.command("verify")(ledger_verify)  # here: `liaison ledger --help` lists it here
ledger_app.command("rotate-key")(ledger_rotate_key)


@ledger_app.command("export")
def ledger_export(
    path: Annotated[Path, typer.Argument(help="Bundle file to write (.jsonl, or .jsonl.gz).")],
    to: Annotated[
        int | None,
        typer.Option(
            "--to",
            min=0,
            help="Stop at this tree size: entries 0..TO-1 and the checkpoints of at most TO "
            "entries (default: the whole tree).",
        ),
    ] = None,
) -> None:
    """Write a self-contained bundle (entries, checkpoints, verifier key) for offline checking."""
    from liaison.ledger.bundle_export import export_bundle
    from liaison.ledger.keys import load_vkey
    from liaison.settings import Settings

    s = Settings()
    vkey = load_vkey(s.key_dir)
    if vkey is None:
        raise fail("no verifier key: run `liaison ledger keygen` first")
    try:
        entries, checkpoints = export_bundle(open_ledger(s), path, vkey, to)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    typer.echo(f"wrote {path}: {entries} entries, {checkpoints} checkpoints")


@ledger_app.command("erase")
def ledger_erase(
    reason: Annotated[
        str, typer.Option("--reason", help="Why (retention expiry, court order, ...).")
    ],
    authority: Annotated[
        str, typer.Option("--authority", help="The order or rule that authorises it.")
    ],
    actor: Annotated[str, typer.Option("--actor", help="Who erases.")],
    index: Annotated[
        int | None, typer.Argument(help="Entry whose personal data is erased.")
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            help="Erase every entry's personal data about this subject id (decisions, and "
            "events that name the subject), in one step.",
        ),
    ] = None,
) -> None:
    """Erase personal data, recorded as an `erasure` entry; proofs stay valid.

    INDEX erases one entry's personal data. --subject ID erases, in one
    transaction, every entry's personal data about one person (decisions,
    and events that name them), and appends one erasure entry listing the
    indexes erased, never the subject id.

    Exits 1, writing nothing, when there is nothing to erase; 2 when neither
    or both of INDEX and --subject are given, or the subject id is not one a
    request could hold."""
    from liaison.ledger.erasure import erase_subject

    if (index is None) == (subject is None):
        raise fail("give an entry INDEX or --subject ID (one of them)", 2)
    ledger = open_ledger()
    try:
        if subject is None:
            assert index is not None
            done = ledger.erase(index, reason, actor, authority)
            erased: int | list[int] = index
        else:
            listed, done = erase_subject(ledger, subject, reason, actor, authority)
            erased = listed
    except InvalidRequest as exc:
        raise fail_on(exc, 2) from None
    except LiaisonError as exc:
        raise fail_on(exc) from None
    out: dict[str, Any] = {"erased": erased, "erasure_entry": done.index, "size": done.size}
    if subject is not None:
        out["count"] = len(listed)
    typer.echo(json.dumps(out))
