"""A report as a PDF (docs/reports.md, "Formats"): text only (fpdf2, a core font), the same
tables as the HTML page, the checkpoint named at the top; each row one paragraph of
``column: value`` pairs, so that no cell is ever cut. The core fonts are Latin-1: any
other character is written as ``?``."""

from __future__ import annotations

from fpdf import FPDF

from liaison.reports.render_csv import cell
from liaison.reports.report_document import ReportDocument, Table


def _text(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1")


def pdf(doc: ReportDocument) -> bytes:
    """The PDF of ``doc``."""
    out = FPDF(orientation="landscape", format="A4")
    out.set_auto_page_break(auto=True, margin=12)
    out.set_title(_text(doc.title))
    out.add_page()
    out.set_font("Helvetica", "B", 14)
    out.multi_cell(0, 7, _text(doc.title), new_x="LMARGIN", new_y="NEXT")
    out.set_font("Helvetica", "", 9)
    period = doc.period
    for line in (
        f"Checkpoint: tree size {doc.checkpoint.size}, root {doc.checkpoint.root}",
        f"Jurisdiction: {doc.jurisdiction}",
        f"Period: from {period.from_ or 'the first record'} to {period.to or 'the checkpoint'}",
        f"View: {doc.view or 'all views'}",
        f"Report: {doc.report}, generated {doc.generated_at}",
    ):
        out.multi_cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    for table in doc.tables():
        _table(out, table)
    return bytes(out.output())


def _table(out: FPDF, table: Table) -> None:
    out.ln(3)
    out.set_font("Helvetica", "B", 11)
    out.multi_cell(0, 6, _text(table.title), new_x="LMARGIN", new_y="NEXT")
    out.set_font("Helvetica", "I", 8)
    if table.note:
        out.multi_cell(0, 4, _text(table.note), new_x="LMARGIN", new_y="NEXT")
    out.set_font("Helvetica", "", 8)
    if not table.rows:
        out.multi_cell(0, 4, "none", new_x="LMARGIN", new_y="NEXT")
    for row in table.rows:
        pairs = [f"{c}: {cell(v)}" for c, v in zip(table.columns, row, strict=True)]
        out.multi_cell(0, 4, _text("  |  ".join(pairs)), new_x="LMARGIN", new_y="NEXT")
        out.ln(1)
