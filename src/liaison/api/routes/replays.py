"""Replay under another reading or a draft pack (``POST /v1/replays``, auditors; issue 10,
item 3; docs/api.md, "Replaying the records"): every decision recorded in a range decided
again under another view of the pack in force or under a draft pack sent as its files
(the shape ``POST /v1/packs/changes`` takes), answering what ``liaison replay --format
json`` prints (``liaison.reports.replay``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from liaison.api.bodies import json_body
from liaison.api.deps import Svc, Who
from liaison.api.errors import error_responses
from liaison.api.openapi import json_body_doc
from liaison.errors import (
    Forbidden,
    IntegrityFailure,
    InvalidRequest,
    LedgerError,
    PackError,
    PayloadTooLarge,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
)
from liaison.gateway.roles import KeyRole
from liaison.model.json_input import validate_object
from liaison.model.timestamps import parse_instant
from liaison.reports.replay import count_in_range, draft_pack, in_force, make_plan, replay
from liaison.reports.replay_tally import MAX_LISTED

router = APIRouter(tags=["replays"])
MAX_RECORDS = 200_000  # decisions one request replays (about a minute of one core)


class DraftPack(BaseModel):
    """A draft pack, whole: its files as ``POST /v1/packs/changes`` names them."""

    model_config = ConfigDict(extra="forbid", strict=True)

    files: dict[str, str] = Field(
        description="Path in the pack (pack.toml, views.toml, schema.cedarschema, "
        "directives/<ID>.toml) to its text: the whole draft pack",
        min_length=1,
        max_length=200,
    )


class ReplayBody(BaseModel):
    """What to replay: the decisions made in [``from``, ``to``), under ``view`` and/or a
    draft ``pack``; ``limit`` records of each kind listed."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)

    start: str = Field(
        alias="from",
        description="Decisions made at or after this instant (RFC 3339, with an offset)",
        max_length=64,
    )
    stop: str = Field(
        alias="to", description="... and before this instant (RFC 3339)", max_length=64
    )
    view: str | None = Field(
        None, description="Decide under this view (default: each decision's own)", max_length=64
    )
    pack: DraftPack | None = Field(None, description="A draft pack (default: the pack in force)")
    limit: int = Field(100, ge=0, le=MAX_LISTED, description="Records listed of each kind")


def _instant(text: str, field: str) -> Any:
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise InvalidRequest(field, f"{field}: {exc}") from None


@router.post(
    "/v1/replays",
    openapi_extra=json_body_doc(ReplayBody.model_json_schema()),
    responses={
        200: {"description": "What the replay changed: counts of flips, the flipped records"},
        **error_responses(
            Unauthenticated,
            Forbidden,  # not an auditor's key
            PayloadTooLarge,
            UnsupportedMediaType,
            InvalidRequest,  # a bad field; a view the pack lacks (`choices`); too many records
            PackError,  # the draft pack is invalid: every problem, by file and line
            Unavailable,
            IntegrityFailure,  # the records or the pack disagree with the ledger
            LedgerError,
        ),
    },
)
async def post_replay(request: Request, svc: Svc, who: Who) -> dict[str, Any]:
    """Decide every decision recorded in [`from`, `to`) again, under `view` (default: each
    decision's own) of the pack in force or of a draft `pack`, and answer what would have
    changed: flips by action, directive and month (D.C.'s zone), the first `limit` flipped
    records, and the records that could not be decided again, with why. Auditors only;
    at most 200,000 decisions a request. Each record is checked against its ledger entry."""
    who.require(KeyRole.AUDITOR)
    body = validate_object(ReplayBody, await json_body(request), "a replay")
    start, stop = _instant(body.start, "from"), _instant(body.stop, "to")
    gateway = svc.gateway

    def run() -> dict[str, Any]:
        gateway.refuse_untrusted_index("replay")  # as the counts of GET /v1/stats refuse
        if body.pack is not None:
            engine, described = draft_pack(body.pack.files)
        else:
            engine = gateway.current_policy()
            described = in_force(engine, gateway.packs.latest())
        plan = make_plan(start, stop, body.view, engine, described, body.limit)
        found = count_in_range(gateway.index, start, stop)
        if found > MAX_RECORDS:
            raise InvalidRequest(
                "to",
                f"to: {found} decisions are in the range; at most {MAX_RECORDS} are replayed "
                "by one request (narrow the range, or run `liaison replay`)",
            )
        return replay(gateway.index, plan)

    return await run_in_threadpool(run)
