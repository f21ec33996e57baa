"""A report as an HTML page (docs/reports.md, "Formats"): plain, accessible (one ``h1``,
tables with captions and column headers), printable (a print style sheet, no script), the
checkpoint it was computed from named at the top. Jinja2 with autoescaping; the template
is ``templates/report.html.j2``. Instants are as the report gives them: in the pack's
zone, with offset. A report of another shape (``audit_report``) names a template of its own
that extends ``report.html.j2`` and fills its ``scope`` block."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from liaison.reports.render_csv import Tabled, cell

_ENV = Environment(
    loader=PackageLoader("liaison.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["cell"] = cell


def html(doc: Tabled, template: str = "report.html.j2") -> str:
    """The page of ``doc`` (``template``: one of the package's templates)."""
    return _ENV.get_template(template).render(doc=doc, tables=doc.tables())
