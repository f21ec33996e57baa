"""Encounters (docs/api.md, "Encounters"): ``GET /v1/encounters/{id}``, the encounter
beside what its records show."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from liaison.api.deps import RECORD_READERS, Svc, Who
from liaison.api.errors import RECORD_READ, error_responses

router = APIRouter(tags=["encounters"])


@router.get(
    "/v1/encounters/{encounter_id}",
    responses=error_responses(*RECORD_READ),
)
def get_encounter(
    encounter_id: str,
    svc: Svc,
    who: Who,
    unit: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
) -> dict[str, Any]:
    """An encounter (declared purpose, place, agencies, its unit and participants) beside
    what its records show. Ids are per unit: when the key may read several units'
    encounters of the id, the answer is 409 `ambiguous`, naming them; `?unit=` chooses."""
    who.require(*RECORD_READERS)
    return svc.gateway.encounter(encounter_id, who, unit)
