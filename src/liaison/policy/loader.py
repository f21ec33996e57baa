"""Loading and validating a directive pack from its files (docs/packs.md).

A pack's native form is its files (``liaison.policy.pack_files``): ``load_pack_files``
validates and loads that mapping; ``load_pack`` reads a folder into it and loads it.
A pack is validated completely before use: file structure and types, ids and file
names, duplicate ids and section labels, dangling references, cycles in authority and
rescission (``liaison.policy.references``), every policy annotated with its directive
and section, and Cedar validation against the pack's schema. Every problem is reported
with its file and line; a pack with any problem raises ``PackError`` and is never used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
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
    Policy,
    Reference,
    Section,
    Source,
    View,
)
from liaison.policy.pack_files import path_problem, read_pack_files
from liaison.policy.pack_toml import (
    DirectiveDoc,
    Doc,
    PackDoc,
    ReferenceDoc,
    SectionDoc,
    TomlLocator,
    ViewsDoc,
    read_doc,
)
from liaison.policy.references import check_references

_PACKS_ROOT = Path(__file__).resolve().parents[3] / "packs"
_DIRECTIVES = "directives/"


def shipped_pack_path(name: str = "dc") -> Path:
    """Folder of a pack shipped with liaison (``packs/<name>``)."""
    installed = Path(__file__).resolve().parents[1] / "_packs" / name
    return installed if installed.is_dir() else _PACKS_ROOT / name


def load_pack(root: Path | str) -> Pack:
    """Load and fully validate the pack in the folder ``root``; raise ``PackError`` listing
    every problem. Problems name each file by its path on disk (``root/<path in pack>``)."""
    root = Path(root)
    return load_pack_files(read_pack_files(root), root=root)


def load_pack_files(files: Mapping[str, str], *, root: Path | None = None) -> Pack:
    """Load and fully validate the pack made of ``files`` (path in the pack -> text).

    Problems name each file by its path in the pack (``directives/EO-25-005.toml``), or
    under ``root`` when the files were read from that folder; so do the loaded pack's
    ``root`` (``.`` without a folder) and its directives' ``file``. A path outside the
    pack (absolute, or through ``..``) or that a pack cannot hold is refused before
    anything is read.
    """
    source = _Source(files, root)
    _check_paths(source)
    problems: list[PackProblem] = []
    meta = source.doc("pack.toml", PackDoc, problems)
    views_doc = source.doc("views.toml", ViewsDoc, problems)
    schema_text = source.schema_text(problems)
    schema = _parse_schema(schema_text, source.name("schema.cedarschema"), problems)
    directives, unusable, locators = _load_directives(source, schema, problems)
    zone = _zone(*meta, source.name("pack.toml"), problems) if meta else None
    views, default = _build_views(
        views_doc, source.name("views.toml"), directives, unusable, problems
    )
    check_references(directives, unusable, locators, problems)
    if problems or meta is None or zone is None or schema_text is None:
        raise PackError(problems)
    doc = meta[0]
    return Pack(
        id=doc.id,
        name=doc.name,
        jurisdiction=doc.jurisdiction,
        timezone=zone,
        root=root if root is not None else Path("."),
        schema_text=schema_text,
        directives=directives,
        views=views,
        default_view=default,
        state=doc.state,
    )


@dataclass(frozen=True, slots=True)
class _Source:
    """A pack's files, and the name a problem gives each (under ``root`` when read from it)."""

    files: Mapping[str, str]
    root: Path | None

    def name(self, path: str) -> str:
        return path if self.root is None else str(self.root / path)

    def path(self, path: str) -> Path:
        return Path(path) if self.root is None else self.root / path

    def doc(
        self, path: str, model: type[Doc], problems: list[PackProblem]
    ) -> tuple[Doc, str] | None:
        """The checked document of the TOML file ``path`` and its text, or None."""
        text = self.files.get(path)
        if text is None:
            problems.append(PackProblem(self.name(path), None, "cannot read file: no such file"))
            return None
        return read_doc(self.name(path), text, model, problems)

    def schema_text(self, problems: list[PackProblem]) -> str | None:
        text = self.files.get("schema.cedarschema")
        if text is None:
            name = self.name("schema.cedarschema")
            problems.append(PackProblem(name, None, "cannot read Cedar schema: no such file"))
        return text

    def directive_paths(self) -> list[str]:
        return sorted(p for p in self.files if p.startswith(_DIRECTIVES))


def _check_paths(source: _Source) -> None:
    """Refuse, before reading anything, a path outside the pack or one it cannot hold."""
    problems = [
        PackProblem(source.name(path), None, why)
        for path in source.files
        if (why := path_problem(path)) is not None
    ]
    if problems:
        raise PackError(problems)


def _parse_schema(text: str | None, file: str, problems: list[PackProblem]) -> Any:
    """The schema parsed once (a ``cedarpy.Schema`` handle), reused for every validation."""
    if text is None:
        return None
    try:
        return cedarpy.Schema.from_str(text)
    except ValueError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        problems.append(PackProblem(file, line, f"Cedar schema does not parse: {exc}"))
        return None


def _zone(doc: PackDoc, text: str, file: str, problems: list[PackProblem]) -> ZoneInfo | None:
    try:
        return ZoneInfo(doc.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        line = TomlLocator(text).line_of(("timezone",))
        problems.append(PackProblem(file, line, f"timezone: unknown time zone {doc.timezone!r}"))
        return None


def _load_directives(
    source: _Source, schema: Any, problems: list[PackProblem]
) -> tuple[dict[str, Directive], set[str], dict[str, TomlLocator]]:
    """The pack's directives, the ids (file names) of directive files that are unusable,
    and a locator of lines in each directive's file, by id.

    A reference to an unusable file is not reported again as dangling: its own problems are.
    """
    paths = source.directive_paths()
    if not paths:
        problems.append(
            PackProblem(source.name("directives"), None, "no directive files (directives/*.toml)")
        )
    directives: dict[str, Directive] = {}
    locators: dict[str, TomlLocator] = {}
    unusable: set[str] = set()
    for path in paths:
        file = source.path(path)
        loaded = read_doc(str(file), source.files[path], DirectiveDoc, problems)
        if loaded is None:
            unusable.add(file.stem)
            continue
        doc, text = loaded
        where = TomlLocator(text)
        directive = _build_directive(file, doc, text, where, schema, problems)
        if directive.id in directives:
            other = directives[directive.id].file
            message = f"duplicate directive id {directive.id!r} (also {other})"
            problems.append(PackProblem(str(file), 1, message))
            continue
        directives[directive.id] = directive
        locators[directive.id] = where
    return directives, unusable - set(directives), locators


def _build_directive(
    file: Path,
    doc: DirectiveDoc,
    text: str,
    where: TomlLocator,
    schema: Any,
    problems: list[PackProblem],
) -> Directive:
    _check_directive_header(file, doc, where, problems)
    sections = _build_sections(str(file), doc, text, where, schema, problems)
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
        sections=sections,
        file=file,
    )


def _check_directive_header(
    file: Path, doc: DirectiveDoc, where: TomlLocator, problems: list[PackProblem]
) -> None:
    """The id names the file; the directive ends (if it does) after it takes effect."""
    if doc.id != file.stem:
        message = f"id {doc.id!r} must equal the file name {file.stem!r}"
        problems.append(PackProblem(str(file), where.line_of(("id",)), message))
    if doc.effective_until is not None and doc.effective_until <= doc.effective_from:
        line = where.line_of(("effective_until",))
        problems.append(
            PackProblem(str(file), line, "effective_until must be after effective_from")
        )


def _build_sections(
    file: str,
    doc: DirectiveDoc,
    text: str,
    where: TomlLocator,
    schema: Any,
    problems: list[PackProblem],
) -> tuple[Section, ...]:
    """Each section with its compiled policies; labels unique; policies checked."""
    sections: list[Section] = []
    seen: set[str] = set()
    for index, sdoc in enumerate(doc.sections):
        label_line = where.line_of(("sections", index, "label"))
        if sdoc.label in seen:
            message = f"duplicate section label {sdoc.label!r}"
            problems.append(PackProblem(file, label_line, message))
        seen.add(sdoc.label)
        first = _content_line(text, where.line_of(("sections", index, "policy")) or label_line)
        policies, found = compile_section(sdoc.policy, doc.id, sdoc.label)
        if schema is not None and policies:
            found += validate_against_schema(sdoc.policy, schema)
        problems.extend(PackProblem(file, first + offset, msg) for offset, msg in found)
        sections.append(_section(sdoc, policies, label_line))
    return tuple(sections)


def _section(doc: SectionDoc, policies: tuple[Policy, ...], line: int | None) -> Section:
    return Section(
        label=doc.label,
        heading=doc.heading,
        text=doc.text.strip(),
        text_kind=doc.text_kind,
        source=doc.source,
        policy_text=doc.policy.strip(),
        policies=policies,
        line=line,
        evidence=doc.evidence,
        interpretation=doc.interpretation.strip(),
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
    file: str,
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
                        file,
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
        line = where.line_of(("default",))
        problems.append(PackProblem(file, line, f"default: no view named {doc.default!r}"))
    return views, doc.default
