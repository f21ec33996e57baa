"""examples/ca-worked-examples.jsonl and examples/il-worked-examples.jsonl: the worked
examples of ca-pack.md and il-pack.md as JSON lines, decided by ``liaison decide --pack``.

The files hold exactly the requests the worked-example tests decide (so neither drifts),
and the command line gives each the decision and citations of its row.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

import test_ca_worked_examples
import test_il_worked_examples
from liaison.cli import app
from liaison.policy import shipped_pack_path

ROOT = Path(__file__).resolve().parents[1]
PACKS = {"ca": test_ca_worked_examples, "il": test_il_worked_examples}


def rows(module: ModuleType) -> dict[str, tuple[dict[str, Any], str, str, set[Any]]]:
    """Row id -> (request with its id, outcome, basis, citations) of a test's table."""
    out = {}
    for param in module.WORKED:
        raw, outcome, basis, citations = param.values
        out[param.id] = ({**raw, "id": param.id}, outcome, basis, citations)
    return out


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_examples_file_is_the_table(pack: str) -> None:
    path = ROOT / "examples" / f"{pack}-worked-examples.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    table = rows(PACKS[pack])
    assert [line["id"] for line in lines] == list(table)
    assert lines == [request for request, *_ in table.values()]


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_decide_with_the_pack_gives_every_row(pack: str) -> None:
    path = ROOT / "examples" / f"{pack}-worked-examples.jsonl"
    result = CliRunner().invoke(app, ["decide", "--pack", str(shipped_pack_path(pack)), str(path)])
    assert result.exit_code == 0, result.output
    decided = [json.loads(line) for line in result.stdout.splitlines()]
    table = rows(PACKS[pack])
    assert [d["id"] for d in decided] == list(table)
    for d in decided:
        _, outcome, basis, citations = table[d["id"]]
        got = {(c["directive"], c["section"]) for c in d["citations"]}
        assert (d["decision"], d["basis"], got) == (outcome, basis, citations), d["id"]
        assert d["view"] == "state"


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_the_pack_validates(pack: str) -> None:
    result = CliRunner().invoke(
        app, ["directives", "validate", "--pack", str(shipped_pack_path(pack))]
    )
    assert result.exit_code == 0, result.output
    assert "is valid" in result.stdout
