"""A directive pack as content: its files by path, their digest, and changes to them.

This is how a pack is stored in the database and in the ledger (docs/packs.md,
"Changing a pack"): a mapping from each file's path inside the pack (``pack.toml``,
``views.toml``, ``schema.cedarschema``, ``directives/<ID>.toml``) to its UTF-8 text.
The digest is SHA-256 over the canonical JSON (RFC 8785) of that mapping, so the same
files give the same digest on any machine. A pack given as content is validated by the
same loader as a folder (``load_pack``); its problems name the file as the pack names it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from liaison.errors import InvalidRequest, PackError, PackProblem
from liaison.ledger.canonical import canonical_json
from liaison.model.json_input import check_text
from liaison.policy.directives import Pack
from liaison.policy.loader import load_pack

PackFiles = dict[str, str]

TOP_FILES = ("pack.toml", "views.toml", "schema.cedarschema")
_DIRECTIVE_FILE = re.compile(r"directives/[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.toml")
MAX_FILE_BYTES = 1_000_000


def is_pack_path(path: str) -> bool:
    """Whether ``path`` names a file a pack may hold."""
    return path in TOP_FILES or _DIRECTIVE_FILE.fullmatch(path) is not None


def read_pack_files(root: Path | str) -> PackFiles:
    """The files of the pack folder ``root`` (other files in it are not part of the pack)."""
    root = Path(root)
    if not root.is_dir():
        raise PackError([PackProblem(str(root), None, "not a directive pack folder")])
    paths = [root / name for name in TOP_FILES if (root / name).is_file()]
    paths += sorted((root / "directives").glob("*.toml"))
    files: PackFiles = {}
    for path in paths:
        name = path.relative_to(root).as_posix()
        if not is_pack_path(name):
            raise PackError([PackProblem(str(path), None, "not a valid pack file name")])
        try:
            files[name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PackError([PackProblem(str(path), None, f"cannot read file: {exc}")]) from None
    return files


def pack_digest(files: Mapping[str, str]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(dict(files))).hexdigest()


def file_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def apply_changes(current: Mapping[str, str], changes: Mapping[str, str | None]) -> PackFiles:
    """``current`` with ``changes`` applied: a text adds or replaces a file, None removes one.

    Every change is checked first; a bad one raises ``InvalidRequest`` naming
    ``files.<path>``, and nothing is applied.
    """
    if not changes:
        raise InvalidRequest("files", "files: name at least one file to add, change or remove")
    out = dict(current)
    for path, text in changes.items():
        field = f"files.{path}"
        if not is_pack_path(path):
            raise InvalidRequest(
                field,
                f"{field}: a pack holds only {', '.join(TOP_FILES)} and directives/<ID>.toml",
            )
        if text is None:
            if path not in out:
                raise InvalidRequest(field, f"{field}: the pack has no such file to remove")
            del out[path]
            continue
        check_text(text, field)  # no NUL, no lone surrogate: UTF-8 text, as stored
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise InvalidRequest(field, f"{field}: larger than {MAX_FILE_BYTES} bytes")
        out[path] = text
    return dict(sorted(out.items()))


def file_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[dict[str, str]]:
    """What differs from ``old`` to ``new``, file by file, in path order: each change with
    the new text's digest and text (a removed file has neither)."""
    out: list[dict[str, str]] = []
    for path in sorted(set(old) | set(new)):
        if path not in new:
            out.append({"path": path, "change": "removed"})
        elif old.get(path) != new[path]:
            change = "added" if path not in old else "changed"
            text = new[path]
            out.append({"path": path, "change": change, "sha256": file_digest(text), "text": text})
    return out


def load_pack_files(files: Mapping[str, str]) -> Pack:
    """Validate and load a pack given as content (as ``load_pack`` does a folder).

    Problems name files by their path in the pack (``directives/EO-25-005.toml:12``);
    the loaded pack's root and directive files are those relative paths too.
    """
    for path in files:
        if not is_pack_path(path):
            raise PackError([PackProblem(path, None, "not a valid pack file name")])
    folder = Path(tempfile.mkdtemp(prefix="liaison-pack-"))
    try:
        for path, text in files.items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            pack = load_pack(folder)
        except PackError as exc:
            raise PackError([_relative(p, folder) for p in exc.problems]) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _relocated(pack, folder)


def _relative(problem: PackProblem, folder: Path) -> PackProblem:
    prefix = str(folder)
    name = problem.file
    if name == prefix:
        name = "."
    elif name.startswith(prefix + "/"):
        name = name[len(prefix) + 1 :]
    return dataclasses.replace(problem, file=name)


def _relocated(pack: Pack, folder: Path) -> Pack:
    directives = {
        key: dataclasses.replace(d, file=d.file.relative_to(folder))
        for key, d in pack.directives.items()
    }
    return dataclasses.replace(pack, root=Path("."), directives=directives)
