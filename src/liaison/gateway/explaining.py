"""A recorded decision explained (issue 10, item 5; docs/api.md "Explanations"): what
``GET /v1/decisions/{id}/explanation`` serves, the same content as ``liaison explain``
(``liaison.reports.explain.explanation``) for a decision in the ledger.

The decision is the one its ledger entry records (the row is verified against it first);
the pack is the version it was decided under (the newest ``pack_change`` before it in the
ledger: every decision after a change was made under it); the other views decide the
same request, as its entry holds it, at the same instant under that pack. The entry's
personal part (the subject's id, the case number) is used to decide, never shown; once
erased, the other views decide without a case number, and the explanation says so.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from liaison.gateway.pack_ledger import verified_versions
from liaison.ledger.reads import StoredEntry
from liaison.model.decision import decision_from_dict
from liaison.model.request import ActionRequest, request_from_json
from liaison.policy.engine import Engine
from liaison.policy.loader import load_pack_files
from liaison.reports.explain import explanation

if TYPE_CHECKING:
    from liaison.gateway.service import Gateway

ERASED_SUBJECT = "erased"  # the subject's id in a request whose personal part was erased
_KEPT = 4  # engines of earlier pack versions kept (building one compiles its policies)
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def explain_recorded(gw: Gateway, row: dict[str, Any], entry: StoredEntry) -> dict[str, Any]:
    """The explanation of the decision ``row`` (verified) whose entry is ``entry``."""
    engine = engine_at(gw, int(row["ledger_index"]))
    document = row["document"]
    decision = decision_from_dict(document["decision"])
    request = recorded_request(document["request"], entry)
    others = engine.decide_views(request, default_at=decision.at).decisions
    out = explanation(engine.pack, request, decision, others, personal=False)
    out["ledger_index"] = row["ledger_index"]
    out["personal_erased"] = entry.erased
    return out


def recorded_request(public: dict[str, Any], entry: StoredEntry) -> ActionRequest:
    """The request as decided: its public record with its personal part put back (while
    kept; an erased subject's id is ``ERASED_SUBJECT``, an erased case number absent)."""
    whole = dict(public)
    personal = entry.personal or {}
    if isinstance(whole.get("subject"), dict):
        whole["subject"] = {"id": personal.get("subject_id", ERASED_SUBJECT), **whole["subject"]}
    if "case_number" in personal:
        whole["case_number"] = personal["case_number"]
    return request_from_json(whole)


def engine_at(gw: Gateway, ledger_index: int) -> Engine:
    """The engine of the pack version the entry at ``ledger_index`` was decided under."""
    versions = [v for v in verified_versions(gw.ledger) if v.ledger_index < ledger_index]
    if not versions or versions[-1].seq == gw.rules.seq:
        return gw.policy  # the pack in force (or the one given before any was recorded)
    stored = versions[-1]
    with _lock:
        engine = _engines.get(stored.digest)
        if engine is None:
            engine = Engine(load_pack_files(stored.files))
            if len(_engines) >= _KEPT:
                _engines.pop(next(iter(_engines)))
            _engines[stored.digest] = engine
        return engine
