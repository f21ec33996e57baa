"""``liaison audit import FILE...``: import other systems' query logs into the ledger, each
row classified and judged against the pack of the agency's jurisdiction in force at its
time (issue 13, item 1; docs/audit.md, "Importing" and "Judgement").

Each file is its own import: a file that cannot be read at all changes nothing and does not
stop the others. Exits 0 when every file was imported (or had been); 1 when any could not
be; 2 for a bad option (an unknown ``--format``, ``--timezone`` or ``--jurisdiction-pack``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liaison.cli.common import emit, fail, print_error, zone_option

if TYPE_CHECKING:
    from liaison.audit.importing import Importer, ImportResult
    from liaison.audit.readers import ReadOptions

FilesArg = Annotated[list[Path], typer.Argument(help="The log files to import.", dir_okay=False)]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="flock-portal, flock-org, flock-network, nlets-iaq or mapped "
        "(default: detected from each file).",
    ),
]
PackOpt = Annotated[
    str | None,
    typer.Option(
        "--jurisdiction-pack",
        help="The shipped pack of the agency's jurisdiction (packs/<P>: dc, ca, il); "
        "without one every row is classified but not judged.",
    ),
]
ViewOpt = Annotated[
    str | None,
    typer.Option(
        "--view",
        help="The pack's named reading to judge under, where its directives are contested "
        "(dc: mpd, doj; default: the pack's default view).",
    ),
]
ZoneOpt = Annotated[
    str | None,
    typer.Option("--timezone", help="IANA zone of times written without an offset."),
]
AgencyOpt = Annotated[
    str | None, typer.Option("--agency", help="The agency whose log it is (when it does not say).")
]
MappingOpt = Annotated[
    Path | None,
    typer.Option("--mapping", help="The mapping file of a `mapped` log.", dir_okay=False),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON summary line per file.")]


def audit_import(
    files: FilesArg,
    format: FormatOpt = None,
    jurisdiction_pack: PackOpt = None,
    view: ViewOpt = None,
    timezone: ZoneOpt = None,
    agency: AgencyOpt = None,
    mapping: MappingOpt = None,
    quiet: QuietOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Import query logs into the ledger: each row classified and judged, findings counted.

    Each file is its own import: importing it again changes nothing; an interrupted one completes.

    A row that cannot be read is named (file:line: field) and counted, never guessed.

    Exit 0 when every file is in; 1 when any could not be (the others still are); 2: bad option.
    """
    from liaison.audit.readers import ReadOptions
    from liaison.audit.rows import FORMATS
    from liaison.cli.common import open_ledger

    if format is not None and format not in FORMATS:
        raise fail(f"--format: {format!r} is not one of {', '.join(FORMATS)}", 2)
    read = ReadOptions(zone_option(timezone), agency, mapping)
    importer, options = _importer(open_ledger(), jurisdiction_pack, mapping, view)
    options.update(timezone=timezone, agency=agency)
    failed = 0
    for path in files:
        try:
            result = _one(importer, path, format, read, options, quiet)
        except Exception as exc:
            failed += 1
            said = str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}"
            stage = "; ".join(getattr(exc, "__notes__", ())) or "not imported"
            print_error(f"{said} ({stage})")
            continue
        _report(result, json_out, options)
    if failed:
        raise typer.Exit(1)


def _importer(
    ledger: Any, pack: str | None, mapping: Path | None, view: str | None = None
) -> tuple[Importer, dict[str, Any]]:
    """The importer (judge, classifier, organisation table) and the options that change
    the judgement (records.OPTIONS; the view only when it is not the pack's default, so that
    naming the default is the same import as naming none)."""
    from liaison.audit.classifier import load_rules
    from liaison.audit.importing import Importer
    from liaison.audit.judgement import Judge
    from liaison.audit.organisations import load_organisations
    from liaison.errors import LiaisonError, NotFound
    from liaison.policy import Engine, load_pack, shipped_pack_path
    from liaison.policy.pack_files import pack_digest, read_pack_files

    engine, digest, state = None, None, None
    if pack is not None:
        folder = shipped_pack_path(pack)
        if "/" in pack or not (folder / "pack.toml").is_file():
            raise fail(f"--jurisdiction-pack: no shipped pack {pack!r}", 2)
        try:
            engine = Engine(load_pack(folder))
            digest = pack_digest(read_pack_files(folder))
        except LiaisonError as exc:
            raise fail(f"--jurisdiction-pack {pack}: {exc}", 1) from None
        state = getattr(engine.pack, "state", None)
        try:
            view = None if view is None else engine.view_name(view)
        except NotFound as exc:
            raise fail(f"--view: {exc.message}", 2) from None
        if view == engine.pack.default_view:
            view = None
    elif view is not None:
        raise fail("--view: a view is a reading of a pack: give --jurisdiction-pack too", 2)
    rules, table = load_rules(), load_organisations()
    options: dict[str, Any] = {"pack": pack, "pack_digest": digest, "view": view}
    options["rules_version"] = rules.version
    if mapping is not None:
        try:
            options["mapping"] = "sha256:" + hashlib.sha256(mapping.read_bytes()).hexdigest()
        except OSError as exc:
            raise fail(f"--mapping {mapping}: {exc.strerror}", 2) from None
    judge = Judge(engine, view=view, name=pack)
    importer = Importer(ledger, judge, rules.classify, table.type_of, state)
    return importer, options


def _one(
    importer: Importer,
    path: Path,
    fmt: str | None,
    read: ReadOptions,
    options: dict[str, Any],
    quiet: bool,
) -> ImportResult:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy.exc import IntegrityError

    from liaison.audit.importing import ImportSource
    from liaison.audit.readers import open_rows
    from liaison.errors import AuditInputError

    console = Console(stderr=True)  # standard output keeps the summary alone
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows in the ledger"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )
    try:
        stream = open_rows(path, fmt, read)
    except Exception as exc:
        exc.add_note("not imported: nothing of it was recorded")
        raise
    with stream, bar:
        task = bar.add_task(f"importing {path.name}", total=None)
        source = ImportSource(str(path), stream.sha256, stream.format, stream)
        try:
            return importer.run(source, options, lambda n: bar.advance(task, n))
        except IntegrityError:
            raise AuditInputError(
                f"{path}: another import of this file with the same options recorded the "
                "same rows at the same time; this run's last batch was not kept (the other "
                "run's rows were): run it again, once the other is done, to complete it"
            ) from None
        except AuditInputError as exc:  # the file itself failed mid-way: running again won't do
            exc.add_note("stopped: the rows recorded before it are kept; this import is incomplete")
            raise
        except Exception as exc:
            exc.add_note(
                "interrupted: the rows recorded so far are kept; run the same import again "
                "to complete it"
            )
            raise


def _report(result: ImportResult, json_out: bool, options: dict[str, Any]) -> None:
    counts = result.counts
    pack, view = options.get("pack"), options.get("view")
    if not result.already:
        for problem in result.problems:
            typer.echo(f"bad row skipped: {problem}", err=True)
        if result.bad_rows > len(result.problems):
            more = result.bad_rows - len(result.problems)
            typer.echo(f"... and {more} more bad rows (counted, not named)", err=True)
    if json_out:
        emit(
            {
                "file": result.file_name,
                "import": result.id,
                "view": view,
                "already_imported": result.already,
                "resumed_after": result.resumed_after,
                "rows": result.rows,
                "bad_rows": result.bad_rows,
                **counts,
                "ledger_index": result.ledger_index,
            }
        )
        return
    said = "already imported: nothing changed" if result.already else "imported"
    if result.resumed_after:
        said += f" (resumed after row {result.resumed_after})"
    under = "" if view is None else f" under the {view} view"
    typer.echo(
        f"{result.file_name}: {said} as {result.id}{under} (entry {result.ledger_index}): "
        f"{_plural(result.rows, 'row')}, {_plural(result.bad_rows, 'bad row')}; "
        f"of an immigration purpose: {counts.get('immigration', 0)}; "
        f"findings: {counts.get('findings', 0)}, in the review queue: "
        f"{counts.get('review', 0)}, not judged: {counts.get('not_judged', 0)}, "
        f"permitted: {counts.get('permitted', 0)}"
    )
    if pack is None and result.rows:
        typer.echo(
            "  not judged: no --jurisdiction-pack (no pack for the agency's jurisdiction): "
            "each row is classified and counted, none is judged; the shipped packs are dc, "
            f"ca and il. Read it with `liaison audit report --import {result.id}`."
        )


def _plural(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")
