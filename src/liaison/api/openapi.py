"""The OpenAPI document of the HTTP API, as committed in docs/openapi.json.

The document is generated from the application (``create_app().openapi()``), so it
describes exactly the routes, parameters and bodies the service accepts;
tests/test_api_schema.py fails when the committed copy drifts. Regenerate it with::

    .venv/bin/python -m liaison.api.openapi docs/openapi.json

(without a path the document is written to standard output).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from liaison.api.app import create_app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the API (no database or key is needed to make it)."""
    return create_app().openapi()


def render(document: dict[str, Any]) -> str:
    """The committed text: sorted keys, indent 2, UTF-8 as is, a trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    text = render(openapi_document())
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
