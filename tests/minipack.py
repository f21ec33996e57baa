"""Build small directive packs on disk for tests (the format of docs/packs.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from liaison.policy import shipped_pack_path

SCHEMA = shipped_pack_path("dc") / "schema.cedarschema"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def directive_toml(d: dict[str, Any]) -> str:
    lines = []
    sections = d.get("sections", [])
    for key, value in d.items():
        if key != "sections":
            lines.append(f"{key} = {_value(value)}")
    for section in sections:
        lines.append("")
        lines.append("[[sections]]")
        for key, value in section.items():
            if key == "policy":
                lines.append(f"policy = '''\n{value}\n'''")
            else:
                lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n"


def directive(
    ident: str,
    effective_from: str,
    sections: list[tuple[str, str]],
    **extra: Any,
) -> dict[str, Any]:
    """A directive dict; ``sections`` are (label, policy text) pairs."""
    return {
        "id": ident,
        "title": f"Title of {ident}",
        "kind": "chief_order",
        "issuer": f"Issuer of {ident}",
        "issued_at": effective_from,
        "effective_from": effective_from,
        **extra,
        "sections": [
            {
                "label": label,
                "text": f"Text of {ident} {label}.",
                "text_kind": "paraphrase",
                "source": "test",
                "policy": policy,
            }
            for label, policy in sections
        ],
    }


def write_pack(
    root: Path,
    directives: list[dict[str, Any]],
    views: dict[str, list[str] | None] | None = None,
    default: str = "all",
) -> Path:
    """Write a pack; ``views`` maps a view name to its excludes (None: recognises all)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "directives").mkdir(exist_ok=True)
    (root / "pack.toml").write_text(
        'id = "test"\nname = "Test"\njurisdiction = "Nowhere"\ntimezone = "America/New_York"\n'
    )
    views = views or {"all": None}
    text = f'default = "{default}"\n'
    for name, excludes in views.items():
        text += f"\n[views.{name}]\n"
        if excludes:
            text += f"excludes = {_value(excludes)}\n"
    (root / "views.toml").write_text(text)
    shutil.copy(SCHEMA, root / "schema.cedarschema")
    for d in directives:
        (root / "directives" / f"{d['id']}.toml").write_text(directive_toml(d))
    return root


def permit(ident: str, label: str, action: str = "hold", when: str = "true") -> str:
    return (
        f'@directive("{ident}")\n@section("{label}")\n'
        f'permit (principal, action == Liaison::Action::"{action}", resource)\nwhen {{ {when} }};'
    )


def forbid(ident: str, label: str, action: str = "hold", when: str = "true") -> str:
    return (
        f'@directive("{ident}")\n@section("{label}")\n'
        f'forbid (principal, action == Liaison::Action::"{action}", resource)\nwhen {{ {when} }};'
    )


def hold_request(at: str, view: str | None = None, **extra: Any) -> dict[str, Any]:
    req: dict[str, Any] = {
        "at": at,
        "actor": {"id": "officer-1", "agency": "MPD", "role": "officer"},
        "action": "hold",
        "subject": {"id": "person-1", "custody": "mpd_custody"},
        "recipient": {"agency": "ICE-ERO", "type": "federal_immigration"},
        **extra,
    }
    if view:
        req["view"] = view
    return req
