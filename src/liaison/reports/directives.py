"""Text and JSON renderings of a pack's directives and of what is in force."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from liaison.model.timestamps import render
from liaison.policy.directives import Directive, Pack
from liaison.policy.in_force import Status


def directive_summary(d: Directive, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": d.id,
        "title": d.title,
        "kind": d.kind,
        "issuer": d.issuer,
        "issuer_name": d.issuer_name,
        "issued_at": render(d.issued_at, zone),
        "effective_from": render(d.effective_from, zone),
        "effective_until": render(d.effective_until, zone) if d.effective_until else None,
        "authority": [str(a) for a in d.authority],
        "rescinds": [r.directive for r in d.rescinds],
        "supersedes": [
            r.directive + ("" if r.whole else f" ({', '.join(r.sections or ())})")
            for r in d.supersedes
        ],
    }


def directive_detail(d: Directive, zone: tzinfo) -> dict[str, Any]:
    out = directive_summary(d, zone)
    out["notes"] = d.notes
    out["file"] = str(d.file)
    out["sources"] = [{"title": s.title, "url": s.url, "date": s.date} for s in d.sources]
    out["sections"] = [
        {
            "label": s.label,
            "heading": s.heading,
            "text": s.text,
            "text_kind": s.text_kind,
            "source": s.source,
            "policy": s.policy_text,
        }
        for s in d.sections
    ]
    return out


def status_dict(status: Status, zone: tzinfo) -> dict[str, Any]:
    return {
        "directive": status.directive.id,
        "title": status.directive.title,
        "in_force": status.in_force,
        "standing": status.standing.value,
        "reason": status.reason,
        "by": status.by,
        "since": render(status.since, zone) if status.since else None,
        "superseded_sections": [
            {"section": label, "by": by} for label, by in status.removed_sections
        ],
    }


def status_line(status: Status, zone: tzinfo) -> str:
    d = status.directive
    mark = "IN FORCE" if status.in_force else "not in force"
    when = f" since {render(status.since, zone)}" if status.since else ""
    reason = status.reason
    if status.standing.value == "not_yet_effective" and status.since:
        reason = f"{reason} (effective from {render(status.since, zone)})"
    elif status.standing.value == "expired" and status.since:
        reason = f"{reason} on {render(status.since, zone)}"
    elif status.standing.value in ("rescinded", "superseded"):
        reason = f"{reason}{when}"
    elif status.in_force:
        reason = f"in force{when}"
    extra = ""
    if status.removed_sections:
        parts = ", ".join(f"{label} (superseded by {by})" for label, by in status.removed_sections)
        extra = f"; sections removed: {parts}"
    return f"{d.id:<26} {mark:<13} {reason}{extra}  [{d.issuer}]"


def list_text(pack: Pack) -> list[str]:
    zone = pack.timezone
    lines = []
    for d in sorted(pack.directives.values(), key=lambda x: (x.effective_from, x.id)):
        until = f" until {render(d.effective_until, zone)}" if d.effective_until else ""
        lines.append(f"{d.id:<26} {render(d.effective_from, zone)}{until}  {d.title}  [{d.issuer}]")
    return lines


def show_text(d: Directive, zone: tzinfo) -> list[str]:
    lines = [
        f"{d.id}: {d.title}",
        f"  kind: {d.kind}",
        f"  issuer: {d.issuer}" + (f" ({d.issuer_name})" if d.issuer_name else ""),
    ]
    lines.append(f"  issued: {render(d.issued_at, zone)}")
    lines.append(
        f"  effective: {render(d.effective_from, zone)}"
        + (f" until {render(d.effective_until, zone)}" if d.effective_until else "")
    )
    if d.authority:
        lines.append("  authority: " + "; ".join(str(a) for a in d.authority))
    for ref, verb in d.removals():
        target = ref.directive + ("" if ref.whole else f" sections {', '.join(ref.sections or ())}")
        lines.append(f"  {'rescinds' if verb == 'rescinded' else 'supersedes'}: {target}")
    if d.notes:
        lines.append(f"  notes: {d.notes}")
    for s in d.sections:
        lines.append("")
        lines.append(
            f"  § {s.label}"
            + (f": {s.heading}" if s.heading else "")
            + f"  ({s.text_kind}; source: {s.source})"
        )
        lines.extend(f"    {line}" for line in s.text.splitlines())
        if s.policy_text:
            lines.append("    policy:")
            lines.extend(f"      {line}" for line in s.policy_text.splitlines())
    for source in d.sources:
        lines.append(f"  source: {source.title}" + (f" <{source.url}>" if source.url else ""))
    return lines
