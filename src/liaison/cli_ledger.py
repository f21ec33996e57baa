"""``liaison db`` and ``liaison ledger``: the tamper-evident ledger from the command line.

The database is ``LIAISON_DATABASE_URL`` (default: SQLite ``var/liaison.db``); the
signing key lives in ``LIAISON_KEY_DIR`` (default ``var/keys``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liaison.errors import InvalidRequest, LiaisonError

if TYPE_CHECKING:  # imported where used: `liaison decide` must start fast
    from liaison.ledger.entries import NewEntry
    from liaison.ledger.log import Ledger
    from liaison.ledger.verify import Report
    from liaison.settings import Settings


db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
ledger_app = typer.Typer(
    help="The tamper-evident ledger (RFC 6962 log, C2SP signed checkpoints).", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _fail(problem: str | Exception, code: int = 1) -> typer.Exit:
    """Report an error the one way the command line does (every command): ``error: `` and
    its text on standard error; a ``LiaisonError``'s text is its message and then each of
    its problems. The exit to raise, with ``code``."""
    typer.echo(f"error: {problem}", err=True)
    return typer.Exit(code)


def open_ledger(settings: Settings | None = None) -> Ledger:
    """The ledger of this deployment, with its signing key (refused when group or others
    can read it) and the key's memory when one exists."""
    from liaison.ledger.keys import load_signer
    from liaison.ledger.log import Ledger
    from liaison.ledger.signer_memory import SignerMemory
    from liaison.settings import Settings
    from liaison.storage.database import open_engine

    s = settings or Settings()
    try:
        signer = load_signer(s.key_dir)
    except LiaisonError as exc:
        raise _fail(exc) from None
    return Ledger(open_engine(s.database_url), s.log_origin, signer, SignerMemory(s.key_dir))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema (Alembic); a SQLite file
    (and its -wal, -shm) that group or others can read is made owner-only (0600)."""
    from liaison.settings import Settings
    from liaison.storage.database import make_sqlite_private, open_engine
    from liaison.storage.migrate import current_revision, head_revision, upgrade

    s = Settings()
    for path, mode in make_sqlite_private(s.database_url):
        typer.echo(f"made {path} owner-only (was {mode:04o})")
    engine = open_engine(s.database_url)
    upgrade(engine)
    typer.echo(
        f"database {engine.url.render_as_string(hide_password=True)} at revision "
        f"{current_revision(engine)} (newest {head_revision()})"
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
        raise _fail(exc) from None
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
    from liaison.ledger.signer_memory import describe, initial_memory

    ledger = open_ledger()
    if ledger.signer is None:
        raise _fail("no signing key: run `liaison ledger keygen`")
    memory = ledger.memory
    with memory.locked():
        if not force and memory.path is not None and memory.path.exists():
            raise _fail(f"{memory.path} exists already; --force replaces it")
        notes = [c.note for c in reversed(ledger.checkpoints())]
        start = initial_memory(ledger.signer, ledger.origin, notes)
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

    handle = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    entries: list[NewEntry] = []
    with handle:
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

    try:
        item = json.loads(line)
    except ValueError as exc:
        raise _fail(f"line {number}: not JSON ({exc})", 2) from None
    except RecursionError:
        raise _fail(f"line {number}: not JSON (nested too deeply)", 2) from None
    if not isinstance(item, dict) or set(item) - {"kind", "actor", "record", "personal"}:
        raise _fail(f"line {number}: expected an object with kind, actor, record, personal", 2)
    kind, actor, record, personal = (item.get(k) for k in ("kind", "actor", "record", "personal"))
    if not isinstance(kind, str) or not kind or not isinstance(actor, str) or not actor:
        raise _fail(f"line {number}: kind and actor must be non-empty strings", 2)
    if not isinstance(record, dict) or not (personal is None or isinstance(personal, dict)):
        raise _fail(f"line {number}: record (and personal, if given) must be objects", 2)
    try:
        canonical_json([record, personal])  # refuse what has no canonical form before appending
    except CanonicalJSONError as exc:
        raise _fail(f"line {number}: {exc}", 2) from None
    return NewEntry(kind, record, actor, personal)


@ledger_app.command("get")
def ledger_get(index: Annotated[int, typer.Argument(help="Entry index.")]) -> None:
    """Print one entry, its leaf hash and (unless erased) its personal data."""
    from liaison.ledger.proofs import b64

    try:
        entry = open_ledger().entry(index)
    except LiaisonError as exc:
        raise _fail(exc) from None
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
    """Sign and keep a checkpoint of the current tree (now, or on a schedule); print it."""
    ledger = open_ledger()
    made = 0
    while True:
        try:
            cp = ledger.checkpoint()
        except LiaisonError as exc:
            raise _fail(exc) from None
        typer.echo(cp.note)
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
) -> None:
    """An RFC 6962 inclusion proof for an entry, naming the (size, root) it is for."""
    try:
        proof = open_ledger().inclusion_proof(index, size)
    except LiaisonError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps({**proof.to_json(), "verified": proof.verifies()}))


@ledger_app.command("prove-consistency")
def ledger_prove_consistency(
    old: Annotated[int, typer.Argument(help="Older tree size.")],
    new: Annotated[int | None, typer.Argument(help="Newer tree size (default: current).")] = None,
) -> None:
    """An RFC 6962 consistency proof between two tree sizes, with both roots."""
    try:
        proof = open_ledger().consistency_proof(old, new)
    except LiaisonError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps({**proof.to_json(), "verified": proof.verifies()}))


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
                    **(extra or {}),
                    "problems": [{"where": p.where, "message": p.message} for p in report.problems],
                }
            )
        )
    else:
        for problem in report.problems:
            typer.echo(f"FAIL {problem}")
        typer.echo(_summary(report))
        for key, value in (extra or {}).items():
            typer.echo(f"{key}: {value}")
    if not report.ok:
        raise typer.Exit(1)


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


@ledger_app.command("verify")
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
        raise _fail(exc) from None
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


@ledger_app.command("export")
def ledger_export(
    path: Annotated[Path, typer.Argument(help="Bundle file to write (.jsonl, or .jsonl.gz).")],
) -> None:
    """Write a self-contained bundle (entries, checkpoints, verifier key) for offline checking."""
    from liaison.ledger.bundle import export_bundle
    from liaison.ledger.keys import load_vkey
    from liaison.settings import Settings

    s = Settings()
    vkey = load_vkey(s.key_dir)
    if vkey is None:
        raise _fail("no verifier key: run `liaison ledger keygen` first")
    try:
        entries, checkpoints = export_bundle(open_ledger(s), path, vkey)
    except LiaisonError as exc:
        raise _fail(exc) from None
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
        raise _fail("give an entry INDEX or --subject ID (one of them)", 2)
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
        raise _fail(exc, 2) from None
    except LiaisonError as exc:
        raise _fail(exc) from None
    out: dict[str, Any] = {"erased": erased, "erasure_entry": done.index, "size": done.size}
    if subject is not None:
        out["count"] = len(listed)
    typer.echo(json.dumps(out))


def verify_bundle_command(
    path: Annotated[Path, typer.Argument(help="A bundle written by `liaison ledger export`.")],
    vkey: Annotated[
        str | None, typer.Option("--vkey", help="The published verifier key to pin.")
    ] = None,
    as_json: JsonOpt = False,
    structure_only: StructureOnly = False,
) -> None:
    """Check a ledger bundle with nothing but the bundle (for an inspector's own machine).

    Exits 1 when anything is wrong, when no signed checkpoint covers its entries and
    when it holds none (unless --structure-only); entries after the latest verified
    checkpoint are reported as not authenticated."""
    from liaison.ledger.bundle import verify_bundle

    try:
        report, header = verify_bundle(path, vkey, structure_only=structure_only)
    except (LiaisonError, OSError) as exc:
        raise _fail(exc) from None
    extra = {"origin": header.get("origin"), "key": header.get("key_source", "pinned with --vkey")}
    _print_report(report, as_json, extra)
