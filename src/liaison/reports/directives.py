"""Text and JSON renderings of a pack's directives and of what is in force.

A directive's issuer and authority are computed once (``issuer_and_authority``) for
``liaison directives show``/``list``, ``GET /v1/directives`` and explanations (issue 10,
item 5): the authority is the chain it relies on, followed through the pack's directives
up to the statute or emergency power outside the pack that each path ends in.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from liaison.model.timestamps import render
from liaison.policy.directives import Directive, Pack
from liaison.policy.in_force import Status


def authority_chain(pack: Pack, d: Directive, seen: frozenset[str] = frozenset()) -> list[Any]:
    """What ``d`` relies on, each step up to a law outside the pack: a pack directive as
    ``{"directive", "title", "issuer", "issuer_name", "authority": [...]}`` (its own chain),
    a law outside the pack as ``{"external": text}``. (Packs have no cycles; ``seen``
    guards anyway.)"""
    out: list[Any] = []
    for a in d.authority:
        if a.directive is None or a.directive not in pack.directives or a.directive in seen:
            out.append({"external": str(a)})
            continue
        up = pack.directives[a.directive]
        out.append(
            {
                "directive": up.id,
                "title": up.title,
                "issuer": up.issuer,
                "issuer_name": up.issuer_name,
                "authority": authority_chain(pack, up, seen | {d.id}),
            }
        )
    return out


def chain_paths(chain: list[Any]) -> list[str]:
    """Each path of an ``authority_chain`` as one line: ``EO-14333 (President of the United
    States, Donald J. Trump) <- Home Rule Act § 740 (D.C. Code § 1-207.40)``."""
    paths: list[str] = []
    for link in chain:
        if "external" in link:
            paths.append(link["external"])
            continue
        who = link["issuer"] + (f", {link['issuer_name']}" if link["issuer_name"] else "")
        head = f"{link['directive']} ({who})"
        paths.extend([f"{head} <- {p}" for p in chain_paths(link["authority"])] or [head])
    return paths


def issuer_and_authority(pack: Pack, d: Directive) -> dict[str, Any]:
    """Who issued ``d`` and the authority it relies on: the directives and laws it names
    (``authority``) and the whole chain up to the statute or emergency power
    (``authority_chain``; ``authority_paths``, one line per path)."""
    chain = authority_chain(pack, d)
    return {
        "issuer": d.issuer,
        "issuer_name": d.issuer_name,
        "authority": [str(a) for a in d.authority],
        "authority_chain": chain,
        "authority_paths": chain_paths(chain),
    }


def directive_summary(pack: Pack, d: Directive) -> dict[str, Any]:
    zone = pack.timezone
    return {
        "id": d.id,
        "title": d.title,
        "kind": d.kind,
        **issuer_and_authority(pack, d),
        "issued_at": render(d.issued_at, zone),
        "effective_from": render(d.effective_from, zone),
        "effective_until": render(d.effective_until, zone) if d.effective_until else None,
        "rescinds": [r.directive for r in d.rescinds],
        "supersedes": [
            r.directive + ("" if r.whole else f" ({', '.join(r.sections or ())})")
            for r in d.supersedes
        ],
    }


def directive_detail(pack: Pack, d: Directive) -> dict[str, Any]:
    out = directive_summary(pack, d)
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
            "evidence": s.evidence,
            "interpretation": s.interpretation,
            "policy": s.policy_text,
        }
        for s in d.sections
    ]
    return out


def status_dict(pack: Pack, status: Status) -> dict[str, Any]:
    zone = pack.timezone
    return {
        "directive": status.directive.id,
        "title": status.directive.title,
        **issuer_and_authority(pack, status.directive),
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


def show_text(pack: Pack, d: Directive) -> list[str]:
    zone = pack.timezone
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
    paths = issuer_and_authority(pack, d)["authority_paths"]
    lines.extend(f"  authority: {path}" for path in paths)
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
            + f"  ({s.text_kind}"
            + (f", {s.evidence}" if s.evidence else "")
            + f"; source: {s.source})"
        )
        lines.extend(f"    {line}" for line in s.text.splitlines())
        if s.interpretation:
            lines.append("    interpretation:")
            lines.extend(f"      {line}" for line in s.interpretation.splitlines())
        if s.policy_text:
            lines.append("    policy:")
            lines.extend(f"      {line}" for line in s.policy_text.splitlines())
    for source in d.sources:
        lines.append(f"  source: {source.title}" + (f" <{source.url}>" if source.url else ""))
    return lines
