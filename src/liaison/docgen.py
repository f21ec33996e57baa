"""The documents generated from the code and committed under docs/ (the OpenAPI document,
the action request's JSON Schema), written one way: JSON with sorted keys, indent 2, UTF-8
as is and a trailing newline, to the path given or to standard output. Tests compare the
committed copies with what the code generates (tests/test_api_schema.py,
tests/test_jsonschema_drift.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def render_json(document: Any) -> str:
    """The committed text of ``document``: sorted keys, indent 2, UTF-8, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_document(module: str, text: Callable[[], str], argv: Sequence[str] | None) -> int:
    """``python -m MODULE [PATH]``: write ``text()`` to PATH, or to standard output."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0] in {"-h", "--help"}):
        print(f"usage: python -m {module} [PATH]", file=sys.stderr)
        return 0 if args and args[0] in {"-h", "--help"} else 2
    if args:
        Path(args[0]).write_text(text(), encoding="utf-8")
    else:
        sys.stdout.write(text())
    return 0
