"""``liaison directives``: list, show and validate the directives of a pack; see which are
in force at an instant in a view, and why (docs/packs.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from liaison.cli.common import (
    JsonOpt,
    PackOpt,
    emit,
    fail_on,
    open_pack,
    parse_at,
    view_name,
)
from liaison.errors import NotFound
from liaison.model.timestamps import now_utc
from liaison.policy import Engine
from liaison.reports.directives import (
    directive_detail,
    directive_summary,
    list_text,
    show_text,
    status_dict,
    status_line,
)

# The instant to look at (decide's --at also yields to a request's own `at`; here there is none).
InstantOpt = Annotated[
    str | None, typer.Option("--at", help="RFC 3339 instant with offset (default: now).")
]

directives_app = typer.Typer(
    help="List, show, validate the directives of a pack; see what is in force.",
    no_args_is_help=True,
)


@directives_app.command("list")
def directives_list(pack: PackOpt = None, as_json: JsonOpt = False) -> None:
    """List every directive of the pack, oldest first."""
    loaded = open_pack(pack)
    if as_json:
        items = sorted(loaded.directives.values(), key=lambda d: (d.effective_from, d.id))
        emit({"directives": [directive_summary(loaded, d) for d in items]})
        return
    typer.echo("\n".join(list_text(loaded)))


@directives_app.command("show")
def directives_show(
    directive_id: Annotated[
        str, typer.Argument(metavar="ID", help="Directive id, e.g. EO-25-005.")
    ],
    pack: PackOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one directive: metadata, sections with their text and policies, sources."""
    loaded = open_pack(pack)
    try:
        d = loaded.directive(directive_id)
    except NotFound as exc:
        raise fail_on(exc, 2) from None
    if as_json:
        emit(directive_detail(loaded, d))
        return
    typer.echo("\n".join(show_text(loaded, d)))


@directives_app.command("in-force")
def directives_in_force(
    at: InstantOpt = None,
    view: Annotated[str | None, typer.Option("--view", help="View (default: the pack's).")] = None,
    pack: PackOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Which directives are in force at an instant in a view, and why (or why not) each counts."""
    engine = Engine(open_pack(pack))
    moment = parse_at(at) or now_utc()
    name = view_name(engine, view)
    found = engine.statuses(moment, name)
    zone = engine.pack.timezone
    if as_json:
        regime = engine.regime(moment, name)
        emit(
            {
                "at": engine.local(moment),
                "view": name,
                "in_force": list(regime.in_force),
                "policy_version": regime.version,
                "directives": [status_dict(engine.pack, s) for s in found],
            }
        )
        return
    typer.echo(f"At {engine.local(moment)} in view {name!r}:")
    typer.echo("\n".join(status_line(s, zone) for s in found))


@directives_app.command("validate")
def directives_validate(pack: PackOpt = None) -> None:
    """Validate a pack completely; print every problem with file and line (exit 1 if any)."""
    loaded = open_pack(pack)
    sections = sum(len(d.sections) for d in loaded.directives.values())
    policies = sum(len(s.policies) for d in loaded.directives.values() for s in d.sections)
    typer.echo(
        f"pack {loaded.id} ({loaded.name}) is valid: {len(loaded.directives)} directives, "
        f"{sections} sections, {policies} policies; views: {', '.join(sorted(loaded.views))} "
        f"(default {loaded.default_view})"
    )
