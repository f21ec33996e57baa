"""A decision rendered for a person: what was asked, what decided it, quoted text,
who issued it and under what authority (``liaison explain``)."""

from __future__ import annotations

from liaison.model.decision import Basis, Decision
from liaison.model.request import ActionRequest
from liaison.model.timestamps import render
from liaison.policy.directives import Pack


def _asked(request: ActionRequest) -> str:
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
        parts.append(
            f"about {request.subject.id} (custody: {request.subject.custody.value}{charge})"
        )
    if request.recipient:
        parts.append(f"for {request.recipient.agency} ({request.recipient.type.value})")
    text = " ".join(parts)
    details = []
    if request.purposes:
        details.append("purposes: " + ", ".join(p.value for p in request.purposes))
    if request.data_classes:
        details.append("data: " + ", ".join(c.value for c in request.data_classes))
    details.append(f"legal process: {request.legal_process.value}")
    if request.case_number:
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


def explain_text(pack: Pack, request: ActionRequest, decision: Decision) -> list[str]:
    zone = pack.timezone
    lines = [
        f"Request {decision.id or '(no id)'} at {render(decision.at, zone)}, "
        f"view {decision.view!r}",
        "  " + _asked(request),
        "",
        _BASIS[decision.basis],
    ]
    for error in decision.errors:
        lines.append(f"  error: {error}")
    for c in decision.citations:
        d = pack.directive(c.directive)
        s = d.section(c.section)
        lines.append("")
        lines.append(
            f"{c.directive} § {c.section}: {d.title}" + (f" — {s.heading}" if s.heading else "")
        )
        who = d.issuer + (f" ({d.issuer_name})" if d.issuer_name else "")
        lines.append(f"  issued by {who}; in force since {render(d.effective_from, zone)}")
        if d.authority:
            lines.append("  under the authority of " + "; ".join(str(a) for a in d.authority))
        label = "quoted" if s.text_kind == "quote" else "paraphrase"
        lines.append(f"  text ({label}, {s.source}):")
        quote = '"' if s.text_kind == "quote" else ""
        body = s.text.splitlines() or [""]
        body[0] = quote + body[0]
        body[-1] = body[-1] + quote
        lines.extend(f"    {line}" for line in body)
    lines.append("")
    lines.append("In force: " + ", ".join(decision.in_force))
    lines.append(f"Policy version: {decision.policy_version}")
    return lines
