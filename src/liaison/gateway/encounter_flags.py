"""What an encounter's records must catch (docs/api.md, "Events and flags"; issue 10, item 4):
a checkpoint or joint operation that went ahead with federal immigration partners after
its ``joint_operation`` decision was denied, or while none was decided.

- *With federal immigration partners*: the encounter declares a ``federal_immigration``
  agency among its ``agencies`` (whatever its kind: an operation with them is a joint
  operation).
- *Went ahead*: an event under it reports something done (an action, a notification, a
  handover, a transport, an arrest), or ends it with an outcome that counts anything
  (vehicles stopped, infractions, arrests). Opening it is not going ahead.
- *Its decision*: the ``joint_operation`` decisions filed under the encounter
  (``encounters.resolve``), recorded before the event in the ledger and made at or before
  it; the latest of them (by its instant, then ledger order) counts. None:
  ``joint_operation_not_decided``; a deny: ``joint_operation_denied``.

Pure: the writer (in the transaction that appends the event), ``ledger verify`` (replaying
the entries in order) and the reader (before an encounter is served) pass the same
decisions, so a flag cleared from an encounter row is named by ``ledger verify``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liaison.gateway.events import ACTION_KINDS, Event, EventKind
from liaison.model.vocabulary import Action

JOINT_OPERATION = Action.JOINT_OPERATION.value
JOINT_DENIED = "joint_operation_denied"
JOINT_NOT_DECIDED = "joint_operation_not_decided"
# What each flag means (docs/api.md, "Events and flags"): it went ahead with federal
# immigration partners...
ENCOUNTER_FLAGS = {
    JOINT_DENIED: "went ahead with federal immigration partners after its joint_operation "
    "was denied",
    JOINT_NOT_DECIDED: "went ahead with federal immigration partners with no joint_operation "
    "decided (or one decided only afterwards)",
}


@dataclass(frozen=True, slots=True)
class JointDecision:
    """A ``joint_operation`` decision filed under an encounter: when it was made, and what
    it said (``permit`` or ``deny``)."""

    at: datetime
    decision: str


def with_federal_immigration(document: Mapping[str, Any]) -> bool:
    """Whether an encounter (its row's ``document``) declares a federal immigration agency."""
    agencies = document.get("agencies")
    if not isinstance(agencies, list):
        return False
    return any(isinstance(a, dict) and a.get("type") == "federal_immigration" for a in agencies)


def went_ahead(event: Event) -> bool:
    """Whether ``event`` shows the encounter it names going ahead (module docstring)."""
    if event.kind in ACTION_KINDS:
        return True
    if event.kind is EventKind.ENCOUNTER_ENDED and event.encounter is not None:
        outcome = event.encounter.outcome
        return outcome is not None and any(outcome.model_dump().values())
    return False


def operation_flag(
    event: Event, document: Mapping[str, Any], joint: Sequence[JointDecision]
) -> str | None:
    """Why the encounter (``document``, as ``event`` leaves it) stands out at ``event``, or
    None. ``joint``: its ``joint_operation`` decisions recorded before ``event``, in ledger
    order."""
    if not went_ahead(event) or not with_federal_immigration(document):
        return None
    made = [(j.at, n, j.decision) for n, j in enumerate(joint) if j.at <= event.at]
    if not made:
        return JOINT_NOT_DECIDED
    return None if max(made)[2] == "permit" else JOINT_DENIED


def flag_encounter(document: dict[str, Any], flag: str | None) -> None:
    """Add ``flag`` to the encounter's ``flagged`` list (each reason once, in the order first
    met); a flag, once there, stays."""
    if flag is None:
        return
    flagged = document.setdefault("flagged", [])
    if flag not in flagged:
        flagged.append(flag)
