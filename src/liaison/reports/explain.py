"""A decision explained for a person: what was asked, what decided it, the quoted text,
who issued it and the authority it relies on up to the statute or emergency power, what
the other views decide for the same request, and a warning when they decide otherwise
(issue 10, item 5). ``explanation`` computes it once for ``liaison explain`` (as text,
``explain_text``) and ``GET /v1/decisions/{id}/explanation`` (as JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liaison.model.decision import Basis, Decision
from liaison.model.request import ActionRequest
from liaison.model.timestamps import render
from liaison.policy.directives import Pack
from liaison.policy.engine import differences
from liaison.reports.directives import issuer_and_authority


def _asked(request: ActionRequest, personal: bool) -> str:
    parts = [
        f"{request.actor.role.value} {request.actor.id} ({request.actor.agency}"
        + (f", unit {request.actor.unit}" if request.actor.unit else "")
        + ")",
        f"wants to {request.action.value.replace('_', ' ')}",
    ]
    if request.database:
        parts.append(f"in {request.database.value}")
    if request.subject:
        charge = ", federal criminal charge" if request.subject.federal_criminal_charge else ""
        charge += ", qualifying conviction" if request.subject.qualifying_conviction else ""
        who = request.subject.id if personal else "the subject"
        parts.append(f"about {who} (custody: {request.subject.custody.value}{charge})")
    if request.recipient:
        r = request.recipient
        known = [r.type.value, *([r.jurisdiction.value] if r.jurisdiction else [])]
        known += ["declaration on file"] if r.declaration_on_file else []
        parts.append(f"for {r.agency} ({', '.join(known)})")
    text = " ".join(parts)
    details = []
    if request.purposes:
        details.append("purposes: " + ", ".join(p.value for p in request.purposes))
    if request.data_classes:
        details.append("data: " + ", ".join(c.value for c in request.data_classes))
    details.append(f"legal process: {request.legal_process.value}")
    if request.case_number and personal:
        details.append(f"case number: {request.case_number}")
    if request.operation:
        partners = ", ".join(f"{p.agency} ({p.type.value})" for p in request.operation.partners)
        details.append(f"operation: {request.operation.kind.value} with {partners}")
    return text + "\n  " + "; ".join(details)


_BASIS = {
    Basis.PERMIT: "PERMITTED: a section in force authorises it",
    Basis.FORBID: "DENIED: a section in force forbids it",
    Basis.DEFAULT: "DENIED by default: no section in force authorises it",
    Basis.ERROR: "DENIED: the evaluation failed, and liaison fails closed",
}


def _section(pack: Pack, directive: str, label: str) -> dict[str, Any]:
    """A deciding section: its directive, issuer and chain of authority, and its text."""
    d = pack.directive(directive)
    s = d.section(label)
    return {
        "directive": d.id,
        "section": s.label,
        "title": d.title,
        "heading": s.heading,
        **issuer_and_authority(pack, d),
        "in_force_since": render(d.effective_from, pack.timezone),
        "text_kind": s.text_kind,
        "evidence": s.evidence,
        "source": s.source,
        "text": s.text,
        "interpretation": s.interpretation,
    }


def _other(decision: Decision, other: Decision) -> dict[str, Any]:
    return {
        "view": other.view,
        "decision": other.decision.value,
        "basis": other.basis.value,
        "citations": [f"{c.directive} {c.section}" for c in other.citations],
        "errors": list(other.errors),
        "differs": differences([decision, other]),
    }


def _warning(decision: Decision, others: list[dict[str, Any]]) -> str | None:
    """Said when another view reaches the other outcome (a reading that is contested)."""
    contrary = [o for o in others if o["decision"] != decision.decision.value]
    if not contrary:
        return None
    views = ", ".join(f"{o['view']!r} ({o['decision']}, {o['basis']})" for o in contrary)
    return (
        f"CONTESTED READING: this was decided {decision.decision.value} under view "
        f"{decision.view!r}; under {views} the same request is decided otherwise."
    )


def explanation(
    pack: Pack,
    request: ActionRequest,
    decision: Decision,
    others: Mapping[str, Decision],
    *,
    personal: bool = True,
) -> dict[str, Any]:
    """``decision`` (made on ``request`` under ``pack``) explained, beside ``others`` (the
    same request decided under the other views). ``personal=False`` leaves out what the
    request holds of the person (their id, the case number), as the API does."""
    rest = [_other(decision, o) for name, o in sorted(others.items()) if name != decision.view]
    return {
        "id": decision.id,
        "at": render(decision.at, pack.timezone),
        "view": decision.view,
        "asked": _asked(request, personal),
        "decision": decision.decision.value,
        "basis": decision.basis.value,
        "summary": _BASIS[decision.basis],
        "errors": list(decision.errors),
        "sections": [_section(pack, c.directive, c.section) for c in decision.citations],
        "in_force": list(decision.in_force),
        "policy_version": decision.policy_version,
        "other_views": rest,
        "contested": any(o["decision"] != decision.decision.value for o in rest),
        "warning": _warning(decision, rest),
    }


def _section_text(s: Mapping[str, Any]) -> list[str]:
    lines = [
        "",
        f"{s['directive']} § {s['section']}: {s['title']}"
        + (f" — {s['heading']}" if s["heading"] else ""),
    ]
    who = s["issuer"] + (f" ({s['issuer_name']})" if s["issuer_name"] else "")
    lines.append(f"  issued by {who}; in force since {s['in_force_since']}")
    lines.extend(f"  under the authority of {path}" for path in s["authority_paths"])
    label = "quoted" if s["text_kind"] == "quote" else "paraphrase"
    label += f", {s['evidence']}" if s.get("evidence") else ""
    lines.append(f"  text ({label}, {s['source']}):")
    quote = '"' if s["text_kind"] == "quote" else ""
    body = s["text"].splitlines() or [""]
    body[0] = quote + body[0]
    body[-1] = body[-1] + quote
    lines.extend(f"    {line}" for line in body)
    if s.get("interpretation"):
        lines.append("  interpretation (the encoding's choice, not the text):")
        lines.extend(f"    {line}" for line in s["interpretation"].splitlines())
    return lines


def explain_text(explained: Mapping[str, Any]) -> list[str]:
    """An ``explanation`` as the lines ``liaison explain`` prints."""
    e = explained
    lines = [
        f"Request {e['id'] or '(no id)'} at {e['at']}, view {e['view']!r}",
        "  " + e["asked"],
        "",
        e["summary"],
    ]
    lines.extend(f"  error: {error}" for error in e["errors"])
    for s in e["sections"]:
        lines.extend(_section_text(s))
    lines.append("")
    lines.append("In force: " + ", ".join(e["in_force"]))
    lines.append(f"Policy version: {e['policy_version']}")
    for o in e["other_views"]:
        cited = f"; cites {', '.join(o['citations'])}" if o["citations"] else ""
        lines.append(f"Under view {o['view']!r}: {o['decision']} ({o['basis']}){cited}")
    if e["warning"]:
        lines.append(e["warning"])
    return lines
