"""``liaison audit``: audit what already happened (issue 13; docs/audit.md): other systems'
query logs imported into the ledger, each row's purpose classified, each row judged against
the directives in force at its time, and the findings reported.

Each command lives in a module of its own (``audit_*``); this module assembles the group.
"""

from __future__ import annotations

import typer

from liaison.cli import audit_report
from liaison.cli.audit_classify import classify
from liaison.cli.audit_import import audit_import
from liaison.cli.audit_review import audit_queue, audit_review

audit_app = typer.Typer(
    help="Audit other systems' query logs (Flock, Nlets, CSV): import, classify, judge, report.",
    no_args_is_help=True,
)
audit_app.command("import")(audit_import)
audit_app.command("classify")(classify)
audit_app.command("review")(audit_review)
audit_app.command("queue")(audit_queue)
audit_app.command("report")(audit_report.report)
