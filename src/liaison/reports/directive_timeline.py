"""The directives over time under each view of the pack (issue 11, item 1, "a timeline of
directives"; docs/pages.md, "Directives: `/directives`, `/directives/{id}`"): when each was
issued, took effect, and stopped being in force (rescinded, superseded, expired, lapsed with
its authority), which of its sections were superseded, and where the views disagree
(*contested*).

When a directive was in force under a view is ``authority_chain.standing`` over the whole
history (every instant at which a standing can change, ``in_force.boundaries``), the same
the ``authority`` report and ``liaison directives in-force`` give; why it stopped is the
engine's status at the instant it stopped (``Engine.statuses``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liaison.policy.directives import Directive
from liaison.policy.engine import Engine as PolicyEngine
from liaison.reports.authority_chain import ViewStanding, checks, standing, status_at
from liaison.reports.directives import issuer_and_authority


def view_names(policy: PolicyEngine) -> list[str]:
    """The pack's views, its default first."""
    pack = policy.pack
    return [pack.default_view, *sorted(v for v in pack.views if v != pack.default_view)]


def standings(policy: PolicyEngine, directive: Directive) -> dict[str, ViewStanding]:
    """``directive`` under each view over the whole history: its in-force intervals."""
    at = checks(policy.pack, None, None)
    return {v: standing(policy, directive.id, v, at, None, None) for v in view_names(policy)}


def contested(found: dict[str, ViewStanding]) -> dict[str, list[dict[str, str | None]]] | None:
    """When each view holds a directive was in force, if the views disagree (None: they
    agree): ``{view: [{"from", "until"}, ...]}``, an empty list for never."""
    spans = {
        v: [{"from": i.from_, "until": i.until} for i in s.intervals] for v, s in found.items()
    }
    if all(s == next(iter(spans.values())) for s in spans.values()):
        return None
    return spans


def events(
    policy: PolicyEngine, directive: Directive, view: str, found: ViewStanding
) -> list[dict[str, Any]]:
    """What happened to ``directive`` under ``view``: issued, effective, and each end of
    its being in force with the engine's reason; sections superseded; never in force."""
    d, local = directive, policy.local
    out = [_event(local(d.issued_at), "issued", f"issued by {d.issuer}")]
    for span in found.intervals:
        out.append(_event(span.from_, "effective", "in force from here"))
        if span.until is not None:
            status = status_at(policy, d.id, view, datetime.fromisoformat(span.until))
            out.append(_event(span.until, status.standing.value, status.reason))
    if not found.intervals:
        out.append(_event(local(d.effective_from), found.standing, found.reason))
    for removed in found.removed_sections:
        _label, _, by = removed.partition(" (superseded by ")
        remover = policy.pack.directives[by.rstrip(")")]
        out.append(_event(local(remover.effective_from), "partly superseded", f"§ {removed}"))
    return out


def _event(at: str | None, what: str, detail: str) -> dict[str, Any]:
    return {"at": at, "event": what.replace("_", " "), "detail": detail}


def timeline(policy: PolicyEngine) -> dict[str, Any]:
    """Every directive's events under each view, each view's ordered by date, with the
    directive's issuer and authority, and when each was in force under it (``in_force``:
    ``{directive: [{from, until}]}``); and the directives the views disagree about."""
    pack = policy.pack
    views: dict[str, list[dict[str, Any]]] = {v: [] for v in view_names(policy)}
    spans: dict[str, dict[str, Any]] = {v: {} for v in views}
    disputed: dict[str, Any] = {}
    for d in sorted(pack.directives.values(), key=lambda x: (x.effective_from, x.id)):
        found = standings(policy, d)
        why = contested(found)
        if why is not None:
            disputed[d.id] = why
        who = issuer_and_authority(pack, d)
        head = {
            "directive": d.id,
            "title": d.title,
            "issuer": who["issuer"],
            "issuer_name": who["issuer_name"],
            "authority_paths": who["authority_paths"],
            "contested": why is not None,
        }
        for view, standing_ in found.items():
            views[view] += [{**e, **head} for e in events(policy, d, view, standing_)]
            spans[view][d.id] = [{"from": i.from_, "until": i.until} for i in standing_.intervals]
    for rows in views.values():
        rows.sort(key=lambda r: (datetime.fromisoformat(r["at"]), r["directive"]))
    return {
        "views": [
            {
                "view": v,
                "description": pack.views[v].description,
                "events": rows,
                "in_force": spans[v],
            }
            for v, rows in views.items()
        ],
        "contested": disputed,
    }
