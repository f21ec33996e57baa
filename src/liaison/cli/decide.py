"""``liaison decide`` and ``liaison explain``: deciding requests on the command line.

``liaison decide`` reads one JSON request or JSON lines and writes one JSON decision (or
error object) per line, in order, and records nothing (no database, no ledger entry: the
service's ``POST /v1/decisions`` records); it exits 0 when every line was valid and 2 when
any was invalid (the others are still decided), 1 when the pack is invalid. Each request is
validated as the HTTP API validates a body (docs/request-schema.md).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated, Any

import typer

from liaison.cli.common import (
    AtOpt,
    InputArg,
    PackOpt,
    emit,
    open_input,
    open_pack,
    parse_at,
    printable,
    valid_text,
    view_name,
)
from liaison.errors import InvalidRequest, NotFound
from liaison.jsonlines import chunked, input_ready, read_objects
from liaison.model.decision import Decision
from liaison.model.request import ActionRequest, parse_request, request_id_of
from liaison.policy import Engine, ViewComparison
from liaison.reports.explain import explain_text, explanation

CHUNK = 512  # requests decided together: Cedar is called once per policy slice per chunk


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
    request_id = request_id_of(raw) if valid_text(raw) else None
    return {"id": request_id, "error": {**exc.to_dict(), "line": line}}


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
            emit(_error_object(raw, line, outcome))
        elif isinstance(outcome, ViewComparison):
            emit(outcome.to_dict(engine.pack))
        else:
            emit(engine.render(outcome))
    return invalid


def decide(
    source: InputArg = "-",
    at: AtOpt = None,
    view: Annotated[
        list[str] | None,
        typer.Option("--view", help="View to decide under (repeat to compare views)."),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Decide under every view: one line per request, {id, agree, differs, views}. "
            "agree is true when every view reaches the same decision on the same basis "
            "(permit, forbid, default, error); citations are not compared, so a forbid and "
            "a default deny do not agree while two permits citing different sections do. "
            "A view whose evaluation failed denies with basis error and agrees only with "
            "another that failed. differs lists what differs: decision, basis, citations.",
        ),
    ] = False,
    pack: PackOpt = None,
) -> None:
    """Decide requests (one JSON object or JSON lines); one JSON decision per line.

    It only decides: it records nothing. No database is opened, no ledger
    entry is made, nothing can be looked up or proved afterwards. To record
    a decision (in the ledger, with its page and proof), send the request
    to the service: POST /v1/decisions (docs/api.md, "Routes").

    Each request is validated as the HTTP API validates a body (docs/request-schema.md).

    An invalid line gets an error object naming the field and the line; the rest are decided.
    """
    engine = Engine(open_pack(pack))
    default_at = parse_at(at)
    views = [view_name(engine, v) for v in view or []]
    comparing = compare or len(views) > 1
    invalid = 0
    stream = open_input(source)
    try:
        for chunk in chunked(read_objects(stream), CHUNK, input_ready(stream)):
            invalid += _decide_chunk(engine, chunk, default_at, views, comparing)
    finally:
        if stream is not sys.stdin:
            stream.close()
    sys.stdout.flush()
    if invalid:
        raise typer.Exit(2)


def explain(
    source: InputArg = "-",
    at: AtOpt = None,
    view: Annotated[str | None, typer.Option("--view", help="View to decide under.")] = None,
    pack: PackOpt = None,
) -> None:
    """Decide requests and explain each decision for a person (recording
    nothing, as `liaison decide`: POST /v1/decisions records a decision).

    Each explanation names what was asked, the deciding sections with their text, who
    issued each and the authority it relies on up to the statute or emergency power, what
    every other view decides for the same request, and a CONTESTED READING warning when
    another view reaches the other outcome (GET /v1/decisions/{id}/explanation gives the
    same for a recorded decision)."""
    engine = Engine(open_pack(pack))
    default_at = parse_at(at)
    default_view = view_name(engine, view) if view else None
    invalid = 0
    stream = open_input(source)
    try:
        for line, raw in read_objects(stream):
            try:
                request = _parse(raw)
                decision = engine.decide(request, default_at=default_at, default_view=default_view)
            except InvalidRequest as exc:
                invalid += 1
                typer.echo(printable(f"line {line}: invalid request: {exc.message}"))
                continue
            others = engine.decide_views(request, default_at=decision.at).decisions
            explained = explanation(engine.pack, request, decision, others)
            typer.echo(printable("\n".join(explain_text(explained))))
            typer.echo("")
    finally:
        if stream is not sys.stdin:
            stream.close()
    if invalid:
        raise typer.Exit(2)
