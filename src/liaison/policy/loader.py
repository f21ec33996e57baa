"""Loading and validating a directive pack (docs/packs.md).

A pack is validated completely before use: file structure and types, ids and
file names, duplicate ids and section labels, dangling references, cycles in
authority and rescission, every policy annotated with its directive and
section, and Cedar validation against the pack's schema. Every problem is
reported with its file and line; a pack with any problem raises ``PackError``
and is never used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cedarpy

from liaison.errors import PackError, PackProblem
from liaison.policy.cedar_policies import compile_section, validate_against_schema
from liaison.policy.directives import (
    Authority,
    Directive,
    Pack,
    Reference,
    Section,
    Source,
    View,
)
from liaison.policy.graph import find_cycle
from liaison.policy.pack_files import (
    DirectiveDoc,
    PackDoc,
    ReferenceDoc,
    TomlLocator,
    ViewsDoc,
    read_doc,
)

_PACKS_ROOT = Path(__file__).resolve().parents[3] / "packs"


def shipped_pack_path(name: str = "dc") -> Path:
    """Folder of a pack shipped with liaison (``packs/<name>``)."""
    installed = Path(__file__).resolve().parents[1] / "_packs" / name
    return installed if installed.is_dir() else _PACKS_ROOT / name


def load_pack(root: Path | str) -> Pack:
    """Load and fully validate the pack in ``root``; raise ``PackError`` listing every problem."""
    root = Path(root)
    problems: list[PackProblem] = []
    if not root.is_dir():
        raise PackError([PackProblem(str(root), None, "not a directive pack folder")])
    meta = read_doc(root / "pack.toml", PackDoc, problems)
    views_doc = read_doc(root / "views.toml", ViewsDoc, problems)
    schema_text = _read_schema(root / "schema.cedarschema", problems)
    schema = _parse_schema(schema_text, root / "schema.cedarschema", problems)
    directives, unusable = _load_directives(root / "directives", schema, problems)
    zone = _zone(meta[0].timezone, root / "pack.toml", problems) if meta else None
    views, default = _build_views(views_doc, root / "views.toml", directives, unusable, problems)
    _check_graph(directives, unusable, problems)
    if problems or meta is None or zone is None or schema_text is None:
        raise PackError(problems)
    doc = meta[0]
    return Pack(
        id=doc.id,
        name=doc.name,
        jurisdiction=doc.jurisdiction,
        timezone=zone,
        root=root,
        schema_text=schema_text,
        directives=directives,
        views=views,
        default_view=default,
    )


def _read_schema(path: Path, problems: list[PackProblem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(PackProblem(str(path), None, f"cannot read Cedar schema: {exc}"))
        return None


def _parse_schema(text: str | None, path: Path, problems: list[PackProblem]) -> Any:
    """The schema parsed once (a ``cedarpy.Schema`` handle), reused for every validation."""
    if text is None:
        return None
    try:
        return cedarpy.Schema.from_str(text)
    except ValueError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        problems.append(PackProblem(str(path), line, f"Cedar schema does not parse: {exc}"))
        return None


def _zone(name: str, path: Path, problems: list[PackProblem]) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        line = TomlLocator(path.read_text(encoding="utf-8")).line_of(("timezone",))
        problems.append(PackProblem(str(path), line, f"timezone: unknown time zone {name!r}"))
        return None


def _load_directives(
    folder: Path, schema: Any, problems: list[PackProblem]
) -> tuple[dict[str, Directive], set[str]]:
    """The pack's directives, and the ids (file names) of directive files that are unusable.

    A reference to an unusable file is not reported again as dangling: its own problems are.
    """
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        problems.append(PackProblem(str(folder), None, "no directive files (directives/*.toml)"))
    directives: dict[str, Directive] = {}
    unusable: set[str] = set()
    for path in files:
        loaded = read_doc(path, DirectiveDoc, problems)
        if loaded is None:
            unusable.add(path.stem)
            continue
        directive = _build_directive(path, *loaded, schema, problems)
        if directive.id in directives:
            other = directives[directive.id].file
            problems.append(
                PackProblem(str(path), 1, f"duplicate directive id {directive.id!r} (also {other})")
            )
            continue
        directives[directive.id] = directive
    return directives, unusable - set(directives)


def _build_directive(
    path: Path, doc: DirectiveDoc, text: str, schema: Any, problems: list[PackProblem]
) -> Directive:
    where = TomlLocator(text)
    if doc.id != path.stem:
        problems.append(
            PackProblem(
                str(path),
                where.line_of(("id",)),
                f"id {doc.id!r} must equal the file name {path.stem!r}",
            )
        )
    if doc.effective_until is not None and doc.effective_until <= doc.effective_from:
        problems.append(
            PackProblem(
                str(path),
                where.line_of(("effective_until",)),
                "effective_until must be after effective_from",
            )
        )
    sections: list[Section] = []
    seen: set[str] = set()
    for index, sdoc in enumerate(doc.sections):
        label_line = where.line_of(("sections", index, "label"))
        if sdoc.label in seen:
            problems.append(
                PackProblem(str(path), label_line, f"duplicate section label {sdoc.label!r}")
            )
        seen.add(sdoc.label)
        first = _content_line(text, where.line_of(("sections", index, "policy")) or label_line)
        policies, found = compile_section(sdoc.policy, doc.id, sdoc.label)
        if schema is not None and policies:
            found += validate_against_schema(sdoc.policy, schema)
        problems.extend(PackProblem(str(path), first + offset, msg) for offset, msg in found)
        sections.append(
            Section(
                label=sdoc.label,
                heading=sdoc.heading,
                text=sdoc.text.strip(),
                text_kind=sdoc.text_kind,
                source=sdoc.source,
                policy_text=sdoc.policy.strip(),
                policies=policies,
                line=label_line,
            )
        )
    return Directive(
        id=doc.id,
        title=doc.title,
        kind=doc.kind,
        issuer=doc.issuer,
        issuer_name=doc.issuer_name,
        issued_at=doc.issued_at,
        effective_from=doc.effective_from,
        effective_until=doc.effective_until,
        authority=tuple(Authority(a.directive, a.external) for a in doc.authority),
        rescinds=tuple(_reference(r) for r in doc.rescinds),
        supersedes=tuple(_reference(r) for r in doc.supersedes),
        notes=doc.notes.strip(),
        sources=tuple(Source(s.title, s.url, s.date) for s in doc.sources),
        sections=tuple(sections),
        file=path,
    )


def _content_line(text: str, key_line: int | None) -> int:
    """Line where a (multi-line) string value starting on ``key_line`` has its first character."""
    if key_line is None:
        return 1
    raw = text.split("\n")[key_line - 1].rstrip()
    return key_line + 1 if raw.endswith(("'''", '"""')) else key_line


def _reference(doc: ReferenceDoc) -> Reference:
    return Reference(doc.directive, None if doc.sections is None else tuple(doc.sections))


def _build_views(
    loaded: tuple[ViewsDoc, str] | None,
    path: Path,
    directives: dict[str, Directive],
    unusable: set[str],
    problems: list[PackProblem],
) -> tuple[dict[str, View], str]:
    if loaded is None:
        return {}, ""
    doc, text = loaded
    where = TomlLocator(text)
    views: dict[str, View] = {}
    for name, vdoc in doc.views.items():
        named = vdoc.recognises if vdoc.recognises is not None else (vdoc.excludes or [])
        key = "recognises" if vdoc.recognises is not None else "excludes"
        for ref in named:
            if ref not in directives and ref not in unusable:
                problems.append(
                    PackProblem(
                        str(path),
                        where.line_of_value(("views", name, key), ref),
                        f"views.{name}.{key}: no directive {ref!r} in the pack",
                    )
                )
        if vdoc.recognises is not None:
            recognised = frozenset(vdoc.recognises)
        else:
            recognised = frozenset(directives) - frozenset(vdoc.excludes or [])
        views[name] = View(name, vdoc.description.strip(), recognised)
    if doc.default not in views:
        problems.append(
            PackProblem(
                str(path), where.line_of(("default",)), f"default: no view named {doc.default!r}"
            )
        )
    return views, doc.default


def _check_graph(
    directives: dict[str, Directive], unusable: set[str], problems: list[PackProblem]
) -> None:
    """Dangling references, and cycles in what a directive's standing depends on.

    Every edge of the dependency graph is located at the reference that makes it, so a
    cycle is reported at the file and line of one of its references.
    """
    edges: dict[str, list[str]] = {d: [] for d in directives}
    located: dict[tuple[str, str], tuple[Path, int | None]] = {}

    def edge(source: str, target: str, file: Path, line: int | None) -> None:
        edges[source].append(target)
        located.setdefault((source, target), (file, line))

    for directive in directives.values():
        text = directive.file.read_text(encoding="utf-8")
        where = TomlLocator(text)
        for authority in directive.pack_authorities:
            line = where.line_of_value(("authority",), authority)
            if authority in directives:
                edge(directive.id, authority, directive.file, line)
            elif authority not in unusable:
                problems.append(
                    PackProblem(
                        str(directive.file),
                        line,
                        f"authority: no directive {authority!r} in the pack "
                        '(use { external = "..." } for a law outside it)',
                    )
                )
        for ref, verb in directive.removals():
            key = "rescinds" if verb == "rescinded" else "supersedes"
            line = where.line_of_value((key,), ref.directive)
            target = directives.get(ref.directive)
            if target is None:
                if ref.directive not in unusable:
                    problems.append(
                        PackProblem(
                            str(directive.file),
                            line,
                            f"{key}: no directive {ref.directive!r} in the pack",
                        )
                    )
                continue
            if ref.directive == directive.id:
                problems.append(
                    PackProblem(
                        str(directive.file), line, f"{key}: a directive cannot remove itself"
                    )
                )
                continue
            labels = {s.label for s in target.sections}
            for label in ref.sections or ():
                if label not in labels:
                    problems.append(
                        PackProblem(
                            str(directive.file),
                            where.line_of_value((key,), label),
                            f"{key}: directive {ref.directive} has no section {label!r}",
                        )
                    )
            # Whether the target stands depends on whether this directive stands.
            edge(ref.directive, directive.id, directive.file, line)
    cycle = find_cycle(edges)
    if cycle:
        file, line = located[(cycle[0], cycle[1 % len(cycle)])]
        problems.append(
            PackProblem(
                str(file),
                line,
                "cycle in authority or rescission: " + " -> ".join([*cycle, cycle[0]]),
            )
        )
