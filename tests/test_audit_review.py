"""The review queue (issue 13, item 2; docs/audit.md, "The review queue"): an ambiguous
row waits without a verdict; an auditor's review is an ``audit_review`` entry and the row
is judged again with the reviewed purposes; a second review supersedes the first, both
stay in the ledger. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update

from audit_fixture import OPTIONS, dc_judge, importer, rows, source
from liaison.audit import records
from liaison.audit.importing import ImportResult
from liaison.audit.index_check import check_audit_index
from liaison.audit.judgement import Judge
from liaison.audit.review import Review, review_row, waiting
from liaison.errors import Conflict, IntegrityFailure, InvalidRequest, NotFound
from liaison.ledger.log import Ledger
from liaison.model.vocabulary import Purpose
from liaison.storage.tables import audit_imports, audit_rows

ORIGIN = "test.example/audit-review"
AMBIGUOUS = 3  # REASONS[3] is "???": the stand-in classifier sends it to review


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    return Ledger(engine, ORIGIN)


@pytest.fixture
def imported(ledger: Ledger) -> ImportResult:
    return importer(ledger).run(source(rows(10)), OPTIONS)


def judge_for(pack: str | None, view: str | None = None) -> Judge:
    assert pack == "dc"
    return dc_judge(view)


def _row(engine: Engine, ident: str, number: int) -> dict[str, object]:
    with engine.connect() as conn:
        found = conn.execute(
            select(audit_rows).where(audit_rows.c.import_id == ident, audit_rows.c.row == number)
        )
        return dict(found.mappings().one())


def test_ambiguous_rows_wait_in_the_queue(ledger: Ledger, imported: ImportResult) -> None:
    queue = waiting(ledger)
    assert [(q["import_id"], q["row"]) for q in queue] == [(imported.id, 3), (imported.id, 8)]
    assert queue[0]["line"] == 4
    assert queue[0]["rule"] == "test-rule"
    assert waiting(ledger, "imp-other") == []


def test_a_review_is_in_the_ledger_and_the_row_is_judged_again(
    ledger: Ledger, engine: Engine, imported: ImportResult
) -> None:
    review = Review(
        imported.id, AMBIGUOUS, True, (Purpose.IMMIGRATION_STATUS,), "auditor-1", "ICE in notes"
    )
    done = review_row(ledger, review, judge_for)
    assert (done.judged.decision, done.judged.basis) == ("deny", "forbid")
    stored = ledger.entry(done.ledger_index)
    assert stored.kind == records.REVIEW
    body = stored.document()
    assert body["actor"] == "auditor-1"
    assert body["record"]["row_entry"] == 2
    assert body["record"]["purposes"] == ["immigration_status"]
    assert stored.personal == {"note": "ICE in notes"}
    row = _row(engine, imported.id, AMBIGUOUS)
    assert row["reviewed"]
    assert row["decision"] == "deny"
    assert row["finding"]
    assert row["immigration"] is True
    assert [q["row"] for q in waiting(ledger)] == [8]
    assert check_audit_index(ledger) == []


def test_a_second_review_supersedes_the_first(
    ledger: Ledger, engine: Engine, imported: ImportResult
) -> None:
    first = Review(imported.id, AMBIGUOUS, True, (Purpose.IMMIGRATION_STATUS,), "a-1", "ICE?")
    second = Review(
        imported.id, AMBIGUOUS, False, (Purpose.CRIMINAL_INVESTIGATION,), "a-2", "burglary"
    )
    one = review_row(ledger, first, judge_for)
    two = review_row(ledger, second, judge_for)
    assert two.ledger_index > one.ledger_index
    assert ledger.entry(one.ledger_index).kind == records.REVIEW  # both stay
    row = _row(engine, imported.id, AMBIGUOUS)
    assert (row["decision"], row["finding"], row["immigration"]) == ("permit", False, False)
    assert check_audit_index(ledger) == []


def test_a_review_without_purposes_keeps_the_rows_non_immigration_ones(
    ledger: Ledger, engine: Engine, imported: ImportResult
) -> None:
    # Row 3 had no purposes: a "no" review with none can form no request.
    done = review_row(ledger, Review(imported.id, 3, False, (), "a-1", "unclear"), judge_for)
    assert (done.judged.decision, done.judged.reason) == (
        "not_judged",
        "no purpose could be formed from the row",
    )


@pytest.mark.parametrize(
    ("immigration", "purposes", "field"),
    [
        (True, (), "purpose"),
        (True, (Purpose.CRIMINAL_INVESTIGATION,), "purpose"),
        (False, (Purpose.CIVIL_IMMIGRATION_ENFORCEMENT,), "purpose"),
    ],
)
def test_a_review_that_contradicts_itself_is_refused(
    ledger: Ledger,
    imported: ImportResult,
    immigration: bool,
    purposes: tuple[Purpose, ...],
    field: str,
) -> None:
    size = ledger.head()[0]
    with pytest.raises(InvalidRequest) as caught:
        review_row(ledger, Review(imported.id, 3, immigration, purposes, "a", "n"), judge_for)
    assert caught.value.field == field
    assert ledger.head()[0] == size


def test_reviewing_a_row_that_is_not_imported_is_not_found(
    ledger: Ledger, imported: ImportResult
) -> None:
    with pytest.raises(NotFound):
        review_row(ledger, Review(imported.id, 99, False, (), "a", "n"), judge_for)
    with pytest.raises(InvalidRequest):
        review_row(ledger, Review(imported.id, 3, False, (), " ", "n"), judge_for)


DECIDED = 1  # REASONS[1] is "ICE request": the stand-in classifier decided it (immigration)


def test_a_row_the_classifier_decided_is_reviewed_only_with_override(
    ledger: Ledger, engine: Engine, imported: ImportResult
) -> None:
    before = _row(engine, imported.id, DECIDED)
    assert before["immigration"] is True
    assert before["decision"] != "review"
    size = ledger.head()[0]
    review = Review(imported.id, DECIDED, False, (Purpose.CRIMINAL_INVESTIGATION,), "a-1", "n")
    with pytest.raises(InvalidRequest) as caught:
        review_row(ledger, review, judge_for)
    assert caught.value.field == "override"
    assert ledger.head()[0] == size
    assert _row(engine, imported.id, DECIDED)["decision"] == before["decision"]


def test_an_override_says_what_it_overrules(
    ledger: Ledger, engine: Engine, imported: ImportResult
) -> None:
    before = _row(engine, imported.id, DECIDED)
    review = Review(
        imported.id, DECIDED, False, (Purpose.CRIMINAL_INVESTIGATION,), "a-1", "n", override=True
    )
    done = review_row(ledger, review, judge_for)
    record = ledger.entry(done.ledger_index).document()["record"]
    assert record["overrules"] == {
        "immigration": True,
        "rule": "test-rule",
        "decision": before["decision"],
    }
    queued = review_row(ledger, Review(imported.id, AMBIGUOUS, False, (), "a-1", "n"), judge_for)
    assert "overrules" not in ledger.entry(queued.ledger_index).document()["record"]
    assert check_audit_index(ledger) == []


def test_a_review_after_the_pack_changed_is_refused(ledger: Ledger) -> None:
    """A row is judged again by the directives its import was judged by, or not at all."""
    done = importer(ledger).run(source(rows(10)), {**OPTIONS, "pack_digest": "sha256:then"})
    review = Review(done.id, AMBIGUOUS, True, (Purpose.IMMIGRATION_STATUS,), "a-1", "ICE")
    size = ledger.head()[0]
    with pytest.raises(Conflict, match="the dc pack changed since import"):
        review_row(ledger, review, judge_for, lambda pack: "sha256:now")
    assert ledger.head()[0] == size  # nothing recorded
    same = review_row(ledger, review, judge_for, lambda pack: "sha256:then")
    assert same.judged.decision == "deny"


def test_an_import_row_pointing_at_another_imports_entry_is_refused(
    ledger: Ledger, engine: Engine
) -> None:
    """The options a row is judged again with (its pack digest, its view) are read from its
    import's ledger entry, never from the table: an ``audit_imports`` row edited to point at
    another import's entry is refused, and nothing is recorded."""
    mine = importer(ledger).run(source(rows(10)), {**OPTIONS, "pack_digest": "sha256:then"})
    other_file = "cd" * 32
    other = importer(ledger).run(source(rows(10, sha=other_file), other_file), OPTIONS)
    with engine.begin() as conn:  # mine points at the other's entry (an index is unique)
        for ident, index in ((other.id, None), (mine.id, other.ledger_index)):
            conn.execute(
                update(audit_imports).where(audit_imports.c.id == ident).values(ledger_index=index)
            )
    size = ledger.head()[0]
    review = Review(mine.id, AMBIGUOUS, True, (Purpose.IMMIGRATION_STATUS,), "a-1", "ICE")
    with pytest.raises(IntegrityFailure, match="audit_import entry of another import"):
        review_row(ledger, review, judge_for)
    assert ledger.head()[0] == size
