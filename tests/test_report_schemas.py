"""docs/schemas/report-NAME.schema.json is exactly what each report's model generates
(issue 10, item 2), and ``python -m liaison.reports.schemas DIR`` writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liaison.reports.catalog import CATALOG
from liaison.reports.schemas import main, others, rendered

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = (
    "docs/schemas/report-*.schema.json are out of date with the report models; regenerate "
    "them (from the repository root) with\n"
    "    .venv/bin/python -m liaison.reports.schemas docs/schemas\n"
    "and commit the result."
)


def test_committed_schemas_match_the_models() -> None:
    made = rendered()
    assert sorted(made) == sorted(f"report-{name}.schema.json" for name in CATALOG)
    for file, text in made.items():
        committed = ROOT / "docs" / "schemas" / file
        assert committed.is_file(), REGENERATE
        assert committed.read_text(encoding="utf-8") == text, REGENERATE
    stale = {p.name for p in (ROOT / "docs" / "schemas").glob("report-*.schema.json")}
    assert stale == set(made), REGENERATE


def test_every_schema_names_the_checkpoint_and_forbids_unknown_fields() -> None:
    for name, text in rendered().items():
        schema = json.loads(text)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(name.removesuffix(".schema.json") + ".json")
        assert {"report", "checkpoint", "period", "view"} <= set(schema["required"])
        assert schema["additionalProperties"] is False
        checkpoint = schema["$defs"]["CheckpointField"]
        assert set(checkpoint["required"]) == {"size", "root"}
        assert "from" in schema["$defs"]["PeriodField"]["properties"]


def test_main_writes_every_schema(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    written = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    assert written == {**rendered(), **others()}


def test_main_wants_one_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
