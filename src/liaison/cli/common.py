"""What every ``liaison`` command group shares: its options, how it fails, how it reads
input and writes JSON, and how it opens the pack and the deployment's ledger.

Errors are printed in one place (``print_error``): ``error: <message>`` on standard error,
then the exit code the command documents in its help.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from liaison.errors import InvalidRequest, LiaisonError, NotFound, PackError
from liaison.model.timestamps import parse_instant
from liaison.policy import Engine, Pack, load_pack, shipped_pack_path

if TYPE_CHECKING:  # imported where used: `liaison decide` must start fast
    from liaison.gateway.index_reads import IndexReader
    from liaison.ledger.log import Ledger
    from liaison.ledger.note_keys import Verifier
    from liaison.reports.report_scope import ReportScope
    from liaison.settings import Settings

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
# A period and a checkpoint counted up to (`liaison report`, `liaison publish`).
FromOpt = Annotated[
    str | None, typer.Option("--from", help="From this instant (RFC 3339, with offset).")
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="Before this instant (RFC 3339, with offset).")
]
CheckpointOpt = Annotated[
    int | None, typer.Option("--checkpoint", help="Count up to this kept checkpoint (its size).")
]


# -- failing ----------------------------------------------------------------------------


def print_error(message: str) -> None:
    """The one way a command reports an error: ``error: <message>`` on standard error."""
    typer.echo(f"error: {message}", err=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error; the exit to raise (``raise fail(...) from None``)."""
    print_error(message)
    return typer.Exit(code)


def fail_on(exc: LiaisonError, code: int = 1) -> typer.Exit:
    """Print a liaison error, its message and then each of its problems (``str(exc)``);
    the exit to raise."""
    return fail(str(exc), code)


# -- the pack and the request options ---------------------------------------------------


def open_pack(path: Path | None) -> Pack:
    """The pack at ``path`` (default: the shipped D.C. pack); exit 1 when it is invalid."""
    try:
        return load_pack(path or shipped_pack_path("dc"))
    except PackError as exc:
        raise fail_on(exc) from None


def parse_at(text: str | None) -> datetime | None:
    """The ``--at`` option as an instant (None when not given)."""
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--at") from None


def zone_option(name: str | None) -> ZoneInfo | None:
    """A ``--timezone`` option as an IANA zone (None when not given); exit 2 naming the
    option when it is not one (``liaison audit import`` and ``classify``)."""
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"--timezone: {name!r} is not an IANA time zone (e.g. America/Los_Angeles)"
        raise fail(msg, 2) from None


def view_name(engine: Engine, view: str | None) -> str:
    """The ``--view`` option as the name of a view of the engine's pack."""
    try:
        return engine.view_name(view)
    except NotFound as exc:
        raise typer.BadParameter(exc.message, param_hint="--view") from None


# -- reading and writing ----------------------------------------------------------------


def open_input(source: str) -> TextIO:
    """The file ``source`` (``-``: standard input) as text; exit 2 when it cannot be opened.

    Undecodable bytes become lone surrogates, for the reader to reject line by line rather
    than abort the whole input with a traceback."""
    if source == "-":
        reconfigure = getattr(sys.stdin, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
        return sys.stdin
    try:
        return open(source, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise fail(f"{source}: {exc.strerror}", 2) from None


def read_verifier(path: Path) -> Verifier:
    """The verifier key a reader saved in the file ``path`` (a ``--key`` option); exit 2
    naming the file when it cannot be read or holds no verifier key."""
    from liaison.ledger.note_keys import parse_verifier

    try:
        return parse_verifier(path.read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise fail(f"key: cannot read {path}: {exc.strerror}", 2) from None
    except UnicodeDecodeError:
        raise fail(f"key: {path} is not UTF-8 text", 2) from None
    except LiaisonError as exc:
        raise fail(f"key: {path}: {exc.message}", 2) from None


def valid_text(text: str) -> bool:
    """Whether ``text`` is encodable as UTF-8 (holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` with any lone surrogate shown as a backslash escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def emit(obj: dict[str, Any]) -> None:
    """Write ``obj`` as one JSON line on standard output."""
    text = json.dumps(obj, ensure_ascii=False)
    if not valid_text(text):  # lone surrogates (from \ud800 escapes): keep them escaped
        text = json.dumps(obj)
    sys.stdout.write(text + "\n")


# -- the deployment ---------------------------------------------------------------------


def open_ledger(settings: Settings | None = None) -> Ledger:
    """The ledger of this deployment, with its signer: the signer process at
    LIAISON_SIGNER_SOCKET, else the signing key (refused when group or others can read it)
    and its memory."""
    from liaison.ledger.checkpoint_signer import deployment_signer
    from liaison.ledger.log import Ledger
    from liaison.settings import Settings
    from liaison.storage.database import open_engine

    s = settings or Settings()
    try:
        signer = deployment_signer(s.key_dir, s.signer_socket)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    return Ledger(open_engine(s.database_url), s.log_origin, signer)


@contextmanager
def report_scope(
    ledger: Ledger, period: Mapping[str, str | None], checkpoint: int | None
) -> Iterator[tuple[ReportScope, IndexReader]]:
    """The scope a report over ``ledger``'s records asks for (``report_run.scope``: the
    period, view and checkpoint) and the index reader, under the pack in force (checked,
    or refused); a bad option exits 2, any other liaison error 1 (`liaison report`,
    `liaison publish`)."""
    from liaison.gateway.service import Gateway
    from liaison.reports import report_run

    gateway = Gateway(None, ledger, ledger.engine)
    try:
        yield report_run.scope(ledger, gateway.policy, period, checkpoint), gateway.index
    except InvalidRequest as exc:
        raise fail_on(exc, 2) from None
    except LiaisonError as exc:
        raise fail_on(exc) from None
    finally:
        gateway.close()


def refuse_exposed_key(settings: Settings) -> None:
    """Exit 1 before starting when the signing key is readable by group or others (unless
    a signer process holds it: LIAISON_SIGNER_SOCKET; the key is then never read)."""
    from liaison.ledger.keys import load_signer

    if settings.signer_socket is not None:
        return
    try:
        load_signer(settings.key_dir)
    except LiaisonError as exc:
        raise fail_on(exc) from None
