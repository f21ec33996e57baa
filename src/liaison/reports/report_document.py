"""The shape every report shares (issue 10, item 2; docs/reports.md): a typed document
(pydantic) whose JSON Schema is published under ``docs/schemas/report-NAME.schema.json``,
which names the checkpoint it was computed from, and which can lay itself out as tables
for the HTML, CSV and PDF renderings.

A report module defines a subclass with its own typed fields and ``tables()``, and a
``build(scope: ReportScope) -> ThatReport`` function.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A model of a report's part: no field but its own."""

    model_config = ConfigDict(extra="forbid")


class CheckpointField(BaseModel):
    """The signed checkpoint (size, base64 root) the report counts the records of."""

    model_config = ConfigDict(extra="forbid")
    size: int = Field(ge=0, description="the tree size: records with ledger_index < size")
    root: str = Field(description="the tree's root hash, base64 (as in the signed note)")


class PeriodField(BaseModel):
    """[from, to) on the records' instants, in the pack's zone with offset (null: open)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str | None


class Table(BaseModel):
    """One table of a rendering: a title, column names, rows of plain values."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    note: str = ""
    columns: list[str]
    rows: list[list[Any]]


class ReportDocument(BaseModel):
    """What every report says of itself; subclasses add their findings."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    report: str = Field(description="the report's name (council, annual-24-211.07d, ...)")
    title: str
    jurisdiction: str
    checkpoint: CheckpointField
    period: PeriodField
    view: str | None = Field(description="the view the records were decided under (null: all)")
    generated_at: str = Field(description="when it was computed, in the pack's zone")

    def tables(self) -> list[Table]:
        """The report laid out as tables (HTML, CSV, PDF); each report defines its own."""
        raise NotImplementedError(self.report)
