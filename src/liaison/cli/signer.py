"""``liaison signer``: the checkpoint signer as its own process (docs/ledger.md, "Key
custody"; the protocol: ``liaison.ledger.signer_service``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from liaison.cli.common import fail, fail_on
from liaison.errors import LiaisonError

signer_app = typer.Typer(
    help="The checkpoint signer process (holds the signing key; Unix socket).",
    no_args_is_help=True,
)


@signer_app.command("serve")
def signer_serve(
    socket_path: Annotated[
        Path | None,
        typer.Option(
            "--socket",
            help="Unix socket to listen on (made mode 0600); default LIAISON_SIGNER_SOCKET.",
        ),
    ] = None,
) -> None:
    """Hold the signing key (LIAISON_KEY_DIR) and sign, on a Unix socket, only checkpoints
    that extend the last tree it signed (with their RFC 6962 consistency proof).

    The service then runs with LIAISON_SIGNER_SOCKET=PATH and never reads the key. Exits 1
    when there is no key or memory (`liaison ledger keygen`, `liaison ledger signer-init`),
    or a signer is listening on PATH already (a stale socket is removed)."""
    import signal

    from liaison.ledger.keys import load_signer
    from liaison.ledger.signer_memory import SignerMemory
    from liaison.ledger.signer_service import SignerServer, SignerService
    from liaison.logs import get_logger
    from liaison.settings import Settings

    s = Settings()
    path = socket_path or s.signer_socket
    if path is None:
        raise fail("give --socket PATH (or set LIAISON_SIGNER_SOCKET)", 2)
    try:
        key = load_signer(s.key_dir)
        if key is None:
            raise fail(f"no signing key in {s.key_dir}: run `liaison ledger keygen`")
        service = SignerService(key, SignerMemory(s.key_dir), s.log_origin)
        last = service.ready()
        server = SignerServer(path, service)
    except LiaisonError as exc:
        raise fail_on(exc) from None

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    get_logger("liaison.signer").info(
        "signer_listening", socket=str(path), vkey=key.verifier.vkey, size=last.size
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
