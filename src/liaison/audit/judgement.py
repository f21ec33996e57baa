"""The judgement of an imported row: row -> action request -> decision (issue 13, item 3;
the additions of request-schema.md for state packs and imported logs; docs/audit.md,
"Judgement").

Each row becomes the request the schema's additions name for it:

- the agency's own search (``RowKind.OWN_SEARCH``): a ``database_inquiry`` of the row's
  ``database`` (``ALPR``, ``NLETS_IAQ``, ...);
- another organisation's search of the agency's cameras (``OUTSIDE_SEARCH``): a
  ``grant_access`` of ``access.kind`` ``data`` of ``alpr_reads`` to that organisation;
- an export of the agency's data (``EXPORT``): a ``share_information`` of ``alpr_reads``.

The actor is the row's user (a placeholder when redacted or empty) of the row's agency,
role ``officer``; the subject's custody is ``free`` (interpretation: an ALPR search is
about a vehicle, and an inquiry names no one held); the purposes are the classification's;
the recipient is the searching organisation with its type from the organisation table and
its jurisdiction only when the table knows it (never assumed in-state). It is decided with
the pack of the agency's jurisdiction in force at the row's ``at``.

A row gets no verdict (``review``) while the classifier could not tell its purpose, and is
``not_judged`` (never permitted) when there is no pack for its jurisdiction, no time, no
purpose, or a recipient of unknown type. A ``deny`` (a directive forbade it, nothing
authorised it, or its evaluation failed: fail closed) is a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liaison.audit.rows import AuditRow, Classification, OrganisationType, RowKind
from liaison.errors import LiaisonError
from liaison.model.decision import Outcome
from liaison.model.request import ActionRequest, request_from_json
from liaison.model.timestamps import check_representable
from liaison.policy.compiled import Verdict
from liaison.policy.engine import Engine

PERMIT, DENY, NOT_JUDGED, REVIEW = "permit", "deny", "not_judged", "review"
DECISIONS = (PERMIT, DENY, NOT_JUDGED, REVIEW)
# Why a row is not judged (the ``reason`` of its row), or waits for review.
NO_PACK = "no pack for its jurisdiction"
NO_TIME = "no usable time"
NO_PURPOSE = "no purpose could be formed from the row"
NO_RECIPIENT = "the searching organisation's type is unknown"
IN_REVIEW = "the classifier could not tell its purpose: waiting for an auditor's review"
# The actor id of a row whose user was redacted, or left empty.
REDACTED_USER = "redacted-user"
UNKNOWN_USER = "unknown-user"
UNKNOWN_AGENCY = "unknown-agency"
# The subject of an imported search: not a person held (interpretation, docs/audit.md).
SUBJECT_ID = {"ALPR": "vehicle"}


@dataclass(frozen=True, slots=True)
class Judged:
    """What the judgement made of one row: ``decision`` (``permit``, ``deny``,
    ``not_judged``, ``review``); for a judged row its ``basis`` (``permit``, ``forbid``,
    ``default``, ``error``), its ``citations`` (``"DIRECTIVE section"``) and the
    ``policy_version`` in force at its time; ``reason`` why it was not judged, is waiting,
    or failed."""

    decision: str
    basis: str | None = None
    citations: tuple[str, ...] = ()
    policy_version: str | None = None
    reason: str | None = None

    @property
    def finding(self) -> bool:
        """A directive forbade it, nothing authorised it, or judging it failed."""
        return self.decision == DENY


def actor_id(row: AuditRow) -> str:
    if row.user:
        return row.user[:256]
    return REDACTED_USER if "user" in row.redacted else UNKNOWN_USER


def recipient_of(
    row: AuditRow, cls: Classification, org: OrganisationType | None
) -> dict[str, Any] | None:
    """The recipient (``agency``, ``type``, ``jurisdiction`` when known) the row's
    organisation is, or None when its type is unknown (never guessed)."""
    kind = (org.type if org is not None else None) or cls.recipient_type
    if kind is None:
        return None
    party: dict[str, Any] = {"agency": (row.organisation or "unknown organisation")[:256]}
    party["type"] = kind.value
    if org is not None and org.type is not None and org.jurisdiction is not None:
        party["jurisdiction"] = org.jurisdiction.value
    return party


def request_for(
    row: AuditRow, cls: Classification, org: OrganisationType | None
) -> dict[str, Any] | str:
    """The action request (JSON) the row stands for, or why none can be formed
    (``NO_TIME``, ``NO_PURPOSE``, ``NO_RECIPIENT``)."""
    if row.at is None:
        return NO_TIME
    if not cls.purposes:
        return NO_PURPOSE
    out: dict[str, Any] = {
        "at": row.at.isoformat(),
        "actor": {
            "id": actor_id(row),
            "agency": (row.agency or UNKNOWN_AGENCY)[:256],
            "role": "officer",
        },
        "purposes": sorted(p.value for p in cls.purposes),
        "subject": {"id": SUBJECT_ID.get(row.database, "inquiry-subject"), "custody": "free"},
    }
    if row.case_number:
        out["case_number"] = row.case_number[:256]
    if row.kind is RowKind.OWN_SEARCH:
        out.update(action="database_inquiry", database=row.database)
        return out
    recipient = recipient_of(row, cls, org)
    if recipient is None:
        return NO_RECIPIENT
    out["recipient"] = recipient
    out["data_classes"] = ["alpr_reads"]
    if row.kind is RowKind.OUTSIDE_SEARCH:
        out.update(action="grant_access", access={"kind": "data"})
    else:
        out["action"] = "share_information"
    return out


def _shape(row: AuditRow, cls: Classification, org: OrganisationType | None) -> tuple[Any, ...]:
    """What of a row its verdict can depend on (all but its time and user): rows of one
    shape under one policy version get one verdict."""
    return (
        row.kind,
        row.database,
        row.agency,
        bool(row.case_number),
        row.organisation if row.kind is not RowKind.OWN_SEARCH else None,
        cls.purposes,
        cls.recipient_type,
        None if org is None else (org.type, org.jurisdiction),
    )


class Judge:
    """Judges rows against one pack (``engine``, called ``name``; None: no pack for the
    jurisdiction, every row ``not_judged``) in its ``view`` (default: the default view).

    Rows repeat: the request of each shape is validated once, and the verdict of each
    (shape, policy version) is asked of the engine once, through its exact decision cache
    (``Engine.evaluate``)."""

    def __init__(
        self, engine: Engine | None, view: str | None = None, name: str | None = None
    ) -> None:
        self.engine = engine
        self.view = view
        self.name = name  # the pack's name as given (``--jurisdiction-pack``)
        self._requests: dict[tuple[Any, ...], ActionRequest | str] = {}
        self._verdicts: dict[tuple[tuple[Any, ...], str], Judged] = {}
        self.evaluated = 0  # verdicts asked of the engine (the rest came from the memo)

    @property
    def pack(self) -> str | None:
        if self.engine is None:
            return None
        return self.name or self.engine.pack.id

    def judge(
        self, row: AuditRow, cls: Classification, org: OrganisationType | None = None
    ) -> Judged:
        if cls.immigration is None:
            return Judged(REVIEW, reason=IN_REVIEW)
        engine = self.engine
        if engine is None:
            return Judged(NOT_JUDGED, reason=NO_PACK)
        if row.at is None:
            return Judged(NOT_JUDGED, reason=NO_TIME)
        shape = _shape(row, cls, org)
        request = self._requests.get(shape)
        if request is None:
            request = self._requests[shape] = self._validated(row, cls, org)
        if isinstance(request, str):
            if request in (NO_TIME, NO_PURPOSE, NO_RECIPIENT):
                return Judged(NOT_JUDGED, reason=request)
            return Judged(DENY, "error", reason=request)  # fail closed: a finding
        try:
            check_representable(row.at, "at", engine.pack.timezone)
            regime = engine.regime(row.at, self.view)
        except LiaisonError as exc:
            return Judged(DENY, "error", reason=str(exc))
        key = (shape, regime.version)
        judged = self._verdicts.get(key)
        if judged is None:
            self.evaluated += 1
            verdict = engine.evaluate(regime, request)
            judged = _judged(verdict, regime.version)
            if not verdict.errors:  # an error is asked again (as the engine's cache does)
                self._verdicts[key] = judged
        return judged

    @staticmethod
    def _validated(
        row: AuditRow, cls: Classification, org: OrganisationType | None
    ) -> ActionRequest | str:
        made = request_for(row, cls, org)
        if isinstance(made, str):
            return made
        try:
            return request_from_json(made)
        except LiaisonError as exc:
            return f"the row's request is not valid: {exc}"


def _judged(verdict: Verdict, version: str) -> Judged:
    citations = tuple(f"{c.directive} {c.section}" for c in verdict.citations)
    outcome = PERMIT if verdict.outcome is Outcome.PERMIT else DENY
    reason = "; ".join(verdict.errors) or None
    return Judged(outcome, verdict.basis.value, citations, version, reason)


__all__ = [
    "DECISIONS",
    "Judge",
    "Judged",
    "request_for",
]
