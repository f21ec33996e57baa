"""The witness's HTTP service (Starlette): C2SP tlog-witness, "HTTP Interface".

- ``POST /add-checkpoint``: the spec's submission call (``liaison.witness.protocol``). No
  authentication: the spec has none "beyond the validation of the signature on the
  checkpoint". A body over ``max_body`` bytes (64 KiB: 63 proof lines and a checkpoint
  with many signatures fit in a few) is refused with 413 before it is read whole.
- ``GET /checkpoints``: a monitoring read (the spec leaves its "monitor retrieval
  mechanism" to be designed): for each followed log with a cosigned checkpoint, a JSON
  object ``{"origin", "size", "note"}`` whose note is the latest cosigned checkpoint with
  the witness's cosignature line after its signatures, a signed note an inspector general
  can save and later pin (``verify-bundle --trusted``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from liaison.errors import Unavailable
from liaison.witness.config import WitnessConfig, load_cosigner
from liaison.witness.protocol import Answer, Witness
from liaison.witness.state import WitnessState

__all__ = ["MAX_BODY", "create_witness_app"]

MAX_BODY = 64 * 1024


async def _read_bounded(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit`` bytes."""
    declared = request.headers.get("content-length", "").lstrip("0")
    if declared.isascii() and declared.isdigit() and (len(declared) > 20 or int(declared) > limit):
        return None  # (ASCII digits only, and never int() of thousands of them)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _respond(answer: Answer) -> Response:
    """The answer, its Content-Type exactly as given (``text/x.tlog.size`` has no charset:
    the spec names that type, and clients compare it)."""
    headers = {"content-type": answer.content_type}
    return Response(answer.body.encode(), status_code=answer.status, headers=headers)


def create_witness_app(
    config: WitnessConfig,
    state: WitnessState,
    *,
    clock: Callable[[], int] | None = None,
    max_body: int = MAX_BODY,
) -> Starlette:
    """The witness of ``config`` (its key read from the config's ``key`` file) over
    ``state``, as an ASGI app. ``clock``: POSIX seconds (default: the system clock)."""
    witness = Witness(config, load_cosigner(config), state, clock)

    async def add_checkpoint(request: Request) -> Response:
        body = await _read_bounded(request, max_body)
        if body is None:
            return _respond(Answer(413, f"the body is larger than {max_body} bytes\n"))
        return _respond(await run_in_threadpool(witness.add_checkpoint, body))

    async def checkpoints(request: Request) -> Response:
        try:
            latest = await run_in_threadpool(state.all_latest)
        except Unavailable as exc:
            return _respond(Answer(503, f"{exc.message}; retry\n"))
        followed = [c for c in latest if config.log(c.origin) is not None]
        return JSONResponse(
            [{"origin": c.origin, "size": c.size, "note": c.cosigned_note} for c in followed]
        )

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/checkpoints", checkpoints, methods=["GET"]),
        ]
    )
