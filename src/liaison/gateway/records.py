"""What of a decision or event goes into the public record, and what is personal.

The ledger leaf commits to the public record and to a salted hash of the personal
data, which is stored apart and can be erased (docs/ledger.md). Personal here means
what identifies the person acted upon: the subject's id and the criminal case number.
Officers' identities, units and the content of the decision are public: they are
what oversight must be able to read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from liaison.errors import Ambiguous, NotFound
from liaison.gateway.events import Event
from liaison.model.decision import Decision
from liaison.model.request import ActionRequest
from liaison.policy.engine import Engine


def request_document(request: ActionRequest) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(public request, personal data or None)."""
    public = request.model_dump(mode="json", exclude_none=True)
    personal: dict[str, Any] = {}
    subject = public.get("subject")
    if isinstance(subject, dict) and "id" in subject:
        personal["subject_id"] = subject.pop("id")
    if "case_number" in public:
        personal["case_number"] = public.pop("case_number")
    return public, (personal or None)


def decision_record(
    engine: Engine, decision_id: str, request: ActionRequest, decision: Decision
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    public, personal = request_document(request)
    rendered = engine.render(decision)
    rendered["id"] = decision_id
    return {"id": decision_id, "request": public, "decision": rendered}, personal


def event_record(event_id: str, event: Event, flag: str | None) -> dict[str, Any]:
    document = event.model_dump(mode="json", exclude_none=True)
    document["id"] = event_id
    if flag:
        document["flagged"] = flag
    return document


T = TypeVar("T")


def only_one(found: Sequence[T], what: str, field: str, key: Callable[[T], str]) -> T:
    """The one record of ``found`` (those of an id that the caller may read): not found when
    there is none, ``Ambiguous`` naming each one's ``key`` (to ask again with ``?field=``)
    when there are several. Ids are scoped (docs/api.md "Ids"), so one id can name several."""
    if not found:
        raise NotFound(f"no {what}")
    if len(found) > 1:
        choices = sorted(key(f) for f in found)
        raise Ambiguous(
            f"{len(found)} records are {what} ({field}: {', '.join(choices)}); "
            f"name one with ?{field}=",
            field,
            choices,
        )
    return found[0]
