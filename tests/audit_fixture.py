"""Imported rows and classifications built directly (issue 13), for the judgement, import
and review tests: no reader and no rule set needed. The dc pack's judgement of them is
what its directives say (EO-25-005 from 2025-08-14; MPD-PRIOR-POLICY before)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache

from liaison.audit.importing import Importer, ImportSource
from liaison.audit.judgement import Judge
from liaison.audit.rows import (
    AuditRow,
    Classification,
    Jurisdiction,
    OrganisationType,
    Provenance,
    RowKind,
    RowProblem,
)
from liaison.ledger.log import Ledger
from liaison.model.vocabulary import Purpose, RecipientType
from liaison.policy import Engine, load_pack, shipped_pack_path

SHA = "ab" * 32
AFTER_EO = datetime(2025, 9, 1, 15, 0, tzinfo=UTC)  # EO-25-005 in force
BEFORE_EO = datetime(2020, 3, 1, 15, 0, tzinfo=UTC)  # MPD-PRIOR-POLICY in force
CRIME = (Purpose.CRIMINAL_INVESTIGATION,)
STATUS = (Purpose.IMMIGRATION_STATUS,)
CIVIL = (Purpose.CIVIL_IMMIGRATION_ENFORCEMENT,)
ICE = OrganisationType(RecipientType.FEDERAL_IMMIGRATION, None, None, "org-ice")
OUT_OF_STATE = OrganisationType(
    RecipientType.STATE_LOCAL, Jurisdiction.OUT_OF_STATE, "TX", "org-state-tx"
)
UNKNOWN_ORG = OrganisationType(None, None, None, "org-unknown")


@cache
def dc_engine() -> Engine:
    return Engine(load_pack(shipped_pack_path("dc")))


def dc_judge(view: str | None = None) -> Judge:
    return Judge(dc_engine(), view=view, name="dc")


def row(
    n: int = 1,
    *,
    kind: RowKind = RowKind.OWN_SEARCH,
    at: datetime | None = AFTER_EO,
    reason: str | None = "stolen vehicle",
    user: str | None = "officer-9",
    organisation: str | None = None,
    database: str = "ALPR",
    redacted: frozenset[str] = frozenset(),
    sha: str = SHA,
) -> AuditRow:
    return AuditRow(
        "flock-portal",
        Provenance("portal.csv", sha, n, n + 1),
        kind,
        database,
        f"src-{n}",
        at,
        "Example PD",
        organisation,
        user,
        reason,
        None,
        redacted=redacted,
        fields={"id": f"src-{n}", "userId": user or "", "reason": reason or "", "plate": "7ABC123"},
    )


def classification(
    purposes: tuple[Purpose, ...] = CRIME,
    immigration: bool | None = False,
    recipient: RecipientType | None = None,
) -> Classification:
    return Classification(purposes, recipient, immigration, "test-rule", "test-rules-1")


def classify(r: AuditRow) -> Classification:
    """A stand-in rule set: ``ICE`` an immigration status search, ``???`` ambiguous (to
    review), an empty reason no purpose, anything else a criminal investigation."""
    reason = r.reason or ""
    if "ICE" in reason:
        return classification(STATUS, True)
    if "???" in reason:
        return classification((), None)
    if not reason:
        return classification((), False)
    return classification(CRIME, False)


def type_of(name: str, home_state: str | None) -> OrganisationType:
    return ICE if "ICE" in name else UNKNOWN_ORG


REASONS = ("stolen vehicle", "ICE request", "burglary", "???", "")


def rows(count: int, *, sha: str = SHA, bad_every: int = 0) -> Iterator[AuditRow | RowProblem]:
    """``count`` rows cycling through ``REASONS``; every ``bad_every``-th line a bad row."""
    n = 0
    for line in range(2, 2 + count + (count // bad_every if bad_every else 0)):
        if bad_every and (line - 1) % (bad_every + 1) == 0:
            yield RowProblem("portal.csv", line, None, "searchDate", "not a date: 'yesterday'")
            continue
        n += 1
        yield row(n, reason=REASONS[n % len(REASONS)], sha=sha)


def importer(ledger: Ledger, judge: Judge | None = None, batch: int = 4) -> Importer:
    return Importer(ledger, judge or dc_judge(), classify, type_of, None, batch)


def source(items: object, sha: str = SHA) -> ImportSource:
    return ImportSource("portal.csv", sha, "flock-portal", items)  # type: ignore[arg-type]


OPTIONS = {"pack": "dc", "rules_version": "test-rules-1"}


def at_offset(seconds: int) -> datetime:
    return AFTER_EO + timedelta(seconds=seconds)
