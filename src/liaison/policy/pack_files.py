"""A directive pack as its files: paths and texts, read from a folder, digest, changes.

This is the pack's native form (docs/packs.md, "Changing a pack"): a mapping from each
file's path inside the pack (``pack.toml``, ``views.toml``, ``schema.cedarschema``,
``directives/<ID>.toml``) to its UTF-8 text. The database and the ledger store it; the
loader (``liaison.policy.loader.load_pack_files``) validates it; a folder is read into
it. The digest is SHA-256 over the canonical JSON (RFC 8785) of that mapping, so the
same files give the same digest on any machine.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from liaison.errors import InvalidRequest, PackError, PackProblem
from liaison.ledger.canonical import canonical_json
from liaison.model.json_input import check_text

PackFiles = dict[str, str]

TOP_FILES = ("pack.toml", "views.toml", "schema.cedarschema")
_DIRECTIVE_FILE = re.compile(r"directives/[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.toml")
MAX_FILE_BYTES = 1_000_000
_HOLDS = f"{', '.join(TOP_FILES)} and directives/<ID>.toml"


def is_pack_path(path: str) -> bool:
    """Whether ``path`` names a file a pack may hold."""
    return path in TOP_FILES or _DIRECTIVE_FILE.fullmatch(path) is not None


def escapes_pack(path: str) -> bool:
    """Whether ``path`` would name a file outside the pack: absolute, or through ``..``."""
    posix = path.replace("\\", "/")
    return posix.startswith("/") or ".." in posix.split("/") or posix[1:2] == ":"


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot be a file of a pack, or None when it can."""
    if escapes_pack(path):
        return "refused: a pack file's path is relative and stays inside the pack (no '..')"
    if not is_pack_path(path):
        return f"not a valid pack file name (a pack holds {_HOLDS})"
    return None


def read_pack_files(root: Path | str) -> PackFiles:
    """The files of the pack folder ``root`` (other files in it are not part of the pack).

    A file that cannot be read, or whose name a pack cannot hold, raises ``PackError``
    listing every such file by its path on disk.
    """
    root = Path(root)
    if not root.is_dir():
        raise PackError([PackProblem(str(root), None, "not a directive pack folder")])
    paths = [root / name for name in TOP_FILES if (root / name).is_file()]
    paths += sorted((root / "directives").glob("*.toml"))
    files: PackFiles = {}
    problems: list[PackProblem] = []
    for path in paths:
        name = path.relative_to(root).as_posix()
        why = path_problem(name)
        if why is not None:
            problems.append(PackProblem(str(path), None, why))
            continue
        try:
            files[name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(PackProblem(str(path), None, f"cannot read file: {exc}"))
    if problems:
        raise PackError(problems)
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
                f"{field}: a pack holds only {_HOLDS}",
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
