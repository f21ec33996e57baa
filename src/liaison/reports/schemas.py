"""The JSON Schemas of the reports' JSON (issue 10, item 2; docs/reports.md): one file per
report of the catalog, ``docs/schemas/report-NAME.schema.json``, generated from its
document model (``model_json_schema(by_alias=True)``, the serialization a report's JSON is:
``model_dump(mode="json", by_alias=True)``) and written as every generated document is
(``liaison.docgen.render_json``). ``python -m liaison.reports.schemas DIR`` writes them,
and the audit report's (``docs/schemas/audit-report.schema.json``, ``others``);
tests/test_report_schemas.py holds the committed files to what this makes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from liaison.docgen import render_json
from liaison.reports.catalog import CATALOG

SCHEMA_BASE = "https://liaison.invalid/schemas/"


def file_name(name: str) -> str:
    return f"report-{name}.schema.json"


def report_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of report ``name``'s JSON (draft 2020-12)."""
    found = CATALOG[name]
    schema = found.model.model_json_schema(by_alias=True, mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + f"report-{name}.json",
        **schema,
        "title": found.title,
    }


def rendered() -> dict[str, str]:
    """Every report's schema file: its name and its text."""
    return {file_name(name): render_json(report_schema(name)) for name in CATALOG}


def others() -> dict[str, str]:
    """The schemas of the reports outside the catalog (not over a checkpoint): the report
    of audited rows (``audit_report``, docs/audit.md, "Reports")."""
    from liaison.reports import audit_report

    return {audit_report.SCHEMA_FILE: render_json(audit_report.schema())}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m liaison.reports.schemas DIR``: write every report's schema into DIR."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] in {"-h", "--help"}:
        print("usage: python -m liaison.reports.schemas DIR", file=sys.stderr)
        return 0 if args and args[0] in {"-h", "--help"} else 2
    folder = Path(args[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**rendered(), **others()}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - the documented command
    raise SystemExit(main())
