"""A report as an HTML page (docs/reports.md, "Formats"): plain, accessible (one ``h1``,
tables with captions and column headers), printable (a print style sheet, no script), the
checkpoint it was computed from named at the top. Jinja2 with autoescaping; the template
is ``templates/report.html.j2``. Instants are as the report gives them: in the pack's
zone, with offset."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from liaison.reports.render_csv import cell
from liaison.reports.report_document import ReportDocument

_ENV = Environment(
    loader=PackageLoader("liaison.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["cell"] = cell


def html(doc: ReportDocument) -> str:
    """The page of ``doc``."""
    return _ENV.get_template("report.html.j2").render(doc=doc, tables=doc.tables())
