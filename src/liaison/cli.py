"""The ``liaison`` command line (Typer).

``liaison decide`` reads one JSON request or JSON lines and writes one JSON
decision (or error object) per line, in order; it exits 0 when every line was
valid and 2 when any was invalid (the others are still decided), 1 when the
pack is invalid.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from liaison import __version__
from liaison.cli_ledger import _fail, db_app, ledger_app, verify_bundle_command
from liaison.cli_packs import packs_app
from liaison.cli_service import demo, keys_app, serve
from liaison.errors import InvalidRequest, LiaisonError, NotFound, PackError
from liaison.jsonlines import chunked, input_ready, read_objects
from liaison.model.decision import Decision
from liaison.model.request import ActionRequest, parse_request, request_id_of
from liaison.model.timestamps import now_utc, parse_instant
from liaison.policy import Engine, Pack, ViewComparison, load_pack, shipped_pack_path
from liaison.reports.directives import (
    directive_detail,
    directive_summary,
    list_text,
    show_text,
    status_dict,
    status_line,
)
from liaison.reports.explain import explain_text

app = typer.Typer(
    help="liaison: decide, record and oversee actions that touch immigration enforcement.",
    no_args_is_help=True,
    add_completion=False,
)
directives_app = typer.Typer(
    help="List, show, validate the directives of a pack; see what is in force.",
    no_args_is_help=True,
)
app.add_typer(directives_app, name="directives")
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.command("verify-bundle")(verify_bundle_command)
app.add_typer(keys_app, name="keys")
app.add_typer(packs_app, name="packs")
app.command("serve")(serve)
app.command("demo")(demo)

PackOpt = Annotated[
    Path | None,
    typer.Option(
        "--pack", help="Directive pack folder (default: the shipped D.C. pack).", file_okay=False
    ),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at", help="RFC 3339 instant with offset (default: now); requests' own `at` wins."
    ),
]
InputArg = Annotated[
    str, typer.Argument(help="File of one JSON request or JSON lines; '-' for standard input.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _pack(path: Path | None) -> Pack:
    try:
        return load_pack(path or shipped_pack_path("dc"))
    except PackError as exc:
        raise _fail(exc, 1) from None


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--at") from None


def _view(engine: Engine, view: str | None) -> str:
    try:
        return engine.view_name(view)
    except NotFound as exc:
        raise typer.BadParameter(exc.message, param_hint="--view") from None


def _open(source: str) -> TextIO:
    # Undecodable bytes become lone surrogates, rejected line by line in ``_parse``
    # rather than aborting the whole input with a traceback.
    if source == "-":
        reconfigure = getattr(sys.stdin, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
        return sys.stdin
    try:
        return open(source, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise _fail(f"{source}: {exc.strerror}", 2) from None


def _valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse(raw: str) -> ActionRequest:
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest(
            None, f"not valid UTF-8 text (undecodable byte at column {exc.start + 1})"
        ) from None
    return parse_request(raw)


def _check_view(engine: Engine, request: ActionRequest) -> None:
    """A request naming an unknown view is invalid even when views are compared."""
    if request.view is not None:
        try:
            engine.view_name(request.view)
        except NotFound as exc:
            raise InvalidRequest("view", f"view: {exc.message}") from None


def _error_object(raw: str, line: int, exc: InvalidRequest) -> dict[str, Any]:
    request_id = request_id_of(raw) if _valid_text(raw) else None
    return {"id": request_id, "error": {**exc.to_dict(), "line": line}}


def _printable(text: str) -> str:
    """``text`` with any lone surrogate shown as a backslash escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _emit(obj: dict[str, Any]) -> None:
    text = json.dumps(obj, ensure_ascii=False)
    if not _valid_text(text):  # lone surrogates (from \ud800 escapes): keep them escaped
        text = json.dumps(obj)
    sys.stdout.write(text + "\n")


CHUNK = 512  # requests decided together: Cedar is called once per policy slice per chunk


def _outcomes(
    engine: Engine,
    requests: list[ActionRequest],
    default_at: datetime | None,
    views: list[str],
    comparing: bool,
) -> list[Decision | ViewComparison | InvalidRequest]:
    if not comparing:
        default_view = views[0] if views else None
        return list(engine.decide_many(requests, default_at=default_at, default_view=default_view))
    out: list[Decision | ViewComparison | InvalidRequest] = []
    for request in requests:
        try:
            _check_view(engine, request)
            out.append(engine.decide_views(request, views or None, default_at=default_at))
        except InvalidRequest as exc:
            out.append(exc)
    return out


def _decide_chunk(
    engine: Engine,
    chunk: list[tuple[int, str]],
    default_at: datetime | None,
    views: list[str],
    comparing: bool,
) -> int:
    """Decide (line, text) pairs, write one JSON line each in order; return the invalid count."""
    parsed: list[ActionRequest | InvalidRequest] = []
    for _, raw in chunk:
        try:
            parsed.append(_parse(raw))
        except InvalidRequest as exc:
            parsed.append(exc)
    valid = [p for p in parsed if isinstance(p, ActionRequest)]
    decided = iter(_outcomes(engine, valid, default_at, views, comparing))
    invalid = 0
    for (line, raw), item in zip(chunk, parsed, strict=True):
        outcome = item if isinstance(item, InvalidRequest) else next(decided)
        if isinstance(outcome, InvalidRequest):
            invalid += 1
            _emit(_error_object(raw, line, outcome))
        elif isinstance(outcome, ViewComparison):
            _emit(outcome.to_dict(engine.pack))
        else:
            _emit(engine.render(outcome))
    return invalid


@app.command()
def decide(
    source: InputArg = "-",
    at: AtOpt = None,
    view: Annotated[
        list[str] | None,
        typer.Option("--view", help="View to decide under (repeat to compare views)."),
    ] = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="Decide under every view and report disagreement.")
    ] = False,
    pack: PackOpt = None,
) -> None:
    """Decide requests (one JSON object or JSON lines); one JSON decision per line.

    Each request is validated as the HTTP API validates a body (docs/request-schema.md).

    An invalid line gets an error object naming the field and the line; the rest are decided.
    """
    engine = Engine(_pack(pack))
    default_at = _instant(at)
    views = [_view(engine, v) for v in view or []]
    comparing = compare or len(views) > 1
    invalid = 0
    stream = _open(source)
    try:
        for chunk in chunked(read_objects(stream), CHUNK, input_ready(stream)):
            invalid += _decide_chunk(engine, chunk, default_at, views, comparing)
    finally:
        if stream is not sys.stdin:
            stream.close()
    sys.stdout.flush()
    if invalid:
        raise typer.Exit(2)


@app.command()
def explain(
    source: InputArg = "-",
    at: AtOpt = None,
    view: Annotated[str | None, typer.Option("--view", help="View to decide under.")] = None,
    pack: PackOpt = None,
) -> None:
    """Decide requests and explain each decision for a person."""
    engine = Engine(_pack(pack))
    default_at = _instant(at)
    default_view = _view(engine, view) if view else None
    invalid = 0
    stream = _open(source)
    try:
        for line, raw in read_objects(stream):
            try:
                request = _parse(raw)
                decision = engine.decide(request, default_at=default_at, default_view=default_view)
            except InvalidRequest as exc:
                invalid += 1
                typer.echo(_printable(f"line {line}: invalid request: {exc.message}"))
                continue
            typer.echo(_printable("\n".join(explain_text(engine.pack, request, decision))))
            typer.echo("")
    finally:
        if stream is not sys.stdin:
            stream.close()
    if invalid:
        raise typer.Exit(2)


@directives_app.command("list")
def directives_list(pack: PackOpt = None, as_json: JsonOpt = False) -> None:
    """List every directive of the pack, oldest first."""
    loaded = _pack(pack)
    if as_json:
        items = sorted(loaded.directives.values(), key=lambda d: (d.effective_from, d.id))
        _emit({"directives": [directive_summary(d, loaded.timezone) for d in items]})
        return
    typer.echo("\n".join(list_text(loaded)))


@directives_app.command("show")
def directives_show(
    directive_id: Annotated[
        str, typer.Argument(metavar="ID", help="Directive id, e.g. EO-25-005.")
    ],
    pack: PackOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one directive: metadata, sections with their text and policies, sources."""
    loaded = _pack(pack)
    try:
        d = loaded.directive(directive_id)
    except NotFound as exc:
        raise _fail(exc, 2) from None
    if as_json:
        _emit(directive_detail(d, loaded.timezone))
        return
    typer.echo("\n".join(show_text(d, loaded.timezone)))


@directives_app.command("in-force")
def directives_in_force(
    at: AtOpt = None,
    view: Annotated[str | None, typer.Option("--view", help="View (default: the pack's).")] = None,
    pack: PackOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Which directives are in force at an instant in a view, and why (or why not) each counts."""
    engine = Engine(_pack(pack))
    moment = _instant(at) or now_utc()
    name = _view(engine, view)
    found = engine.statuses(moment, name)
    zone = engine.pack.timezone
    if as_json:
        regime = engine.regime(moment, name)
        _emit(
            {
                "at": engine.local(moment),
                "view": name,
                "in_force": list(regime.in_force),
                "policy_version": regime.version,
                "directives": [status_dict(s, zone) for s in found],
            }
        )
        return
    typer.echo(f"At {engine.local(moment)} in view {name!r}:")
    typer.echo("\n".join(status_line(s, zone) for s in found))


@directives_app.command("validate")
def directives_validate(pack: PackOpt = None) -> None:
    """Validate a pack completely; print every problem with file and line (exit 1 if any)."""
    loaded = _pack(pack)
    sections = sum(len(d.sections) for d in loaded.directives.values())
    policies = sum(len(s.policies) for d in loaded.directives.values() for s in d.sections)
    typer.echo(
        f"pack {loaded.id} ({loaded.name}) is valid: {len(loaded.directives)} directives, "
        f"{sections} sections, {policies} policies; views: {', '.join(sorted(loaded.views))} "
        f"(default {loaded.default_view})"
    )


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """liaison: decide, record and oversee actions that touch immigration enforcement."""
    if version:
        typer.echo(f"liaison {__version__}")
        raise typer.Exit(0)


def run() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except LiaisonError as exc:
        sys.exit(_fail(exc).exit_code)
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError  # not at start: decide needs no database

        if not isinstance(exc, SQLAlchemyError):
            raise
        typer.echo(
            f"error: database: {exc.__class__.__name__}: {getattr(exc, 'orig', None) or exc}",
            err=True,
        )
        sys.exit(1)
