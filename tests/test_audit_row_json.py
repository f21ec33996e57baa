"""The fast rendering of an import's ``audit_row`` entries (``liaison.audit.row_json``) is
exactly the canonical form (RFC 8785) of the record ``records.row_record`` makes, and its
``audit_rows`` values exactly ``records.row_columns`` of that record, whatever the row."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.audit import records
from liaison.audit.judgement import Judged
from liaison.audit.row_json import RowRenderer, personal_bytes
from liaison.audit.rows import (
    AuditRow,
    Classification,
    Jurisdiction,
    OrganisationType,
    Provenance,
    RowKind,
)
from liaison.ledger.canonical import canonical_json
from liaison.model.vocabulary import Purpose, RecipientType

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
CLASSES = [
    Classification((Purpose.CRIMINAL_INVESTIGATION,), None, False, "crime.named", "v1"),
    Classification(
        (Purpose.CIVIL_IMMIGRATION_ENFORCEMENT,),
        RecipientType.FEDERAL_IMMIGRATION,
        True,
        "imm.ice",
        "v1",
    ),
    Classification((), None, None, "review.ice-lower", "v1"),
]
ORGS = [
    None,
    OrganisationType(RecipientType.STATE_LOCAL, Jurisdiction.OUT_OF_STATE, "TX", "org.pd"),
    OrganisationType(None, None, None, "org.unknown"),
]
JUDGED = [
    Judged("permit", "permit", ("CA-BASELINE inquiry",), "sha256:ab"),
    Judged("deny", "forbid", ("CA-GOV-7284.6 a1", "CA-CIV-1798.90.55 b"), "sha256:ab"),
    Judged("not_judged", reason="no pack for the jurisdiction"),
]
INSTANTS = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)


@st.composite
def rows(draw: st.DrawFn) -> AuditRow:
    number = draw(st.integers(1, 10**9))
    return AuditRow(
        draw(st.sampled_from(["flock-portal", "flock-network", "nlets-iaq"])),
        Provenance("f.csv", draw(st.sampled_from(["ab" * 32, "cd" * 32])), number, number + 1),
        draw(st.sampled_from(list(RowKind))),
        draw(st.sampled_from(["ALPR", "NLETS_IAQ"])),
        draw(st.one_of(st.none(), TEXT)),
        draw(INSTANTS),
        draw(st.one_of(st.none(), TEXT, st.just("\x00row\x00"))),  # agency: a marker too
        draw(st.one_of(st.none(), st.sampled_from(["Houston TX PD", 'Ünïcode "PD"\n']))),
        None,
        None,
        draw(st.one_of(st.none(), st.just("25-1"))),
        fields=draw(st.dictionaries(TEXT, TEXT, max_size=5)),
        redacted=frozenset(draw(st.sets(st.sampled_from(["user", "reason"])))),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(rows(), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2))))
def test_rendered_rows_are_the_canonical_records(
    cases: list[tuple[AuditRow, int, int, int]],
) -> None:
    make = partial(records.row_record, "imp-1", "ca")
    renderer = RowRenderer(make, records.row_columns)  # one renderer: templates reused
    for row, c, o, j in cases:
        cls, org, judged = CLASSES[c], ORGS[o], JUDGED[j]
        text, values = renderer.render(row, cls, org, judged)
        record = make(row, cls, org, judged)
        assert text == canonical_json(record).decode("utf-8")
        assert values == list(records.row_columns(0, record).values())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(TEXT, TEXT, max_size=6), st.one_of(st.none(), TEXT), st.lists(TEXT))
def test_personal_part_is_canonical(
    fields: dict[str, str], reason: str | None, redacted: list[str]
) -> None:
    expected = canonical_json({"fields": fields, "reason": reason, "redacted": redacted})
    assert personal_bytes(fields, reason, redacted) == expected


def test_keys_past_u_e000_sort_as_utf16() -> None:
    # U+E000 sorts after U+1F600 in code points but before it in UTF-16 (a surrogate pair)
    fields = {"\ue000": "a", "\U0001f600": "b", "z": "c"}
    made = personal_bytes(fields, None, [])
    assert made == canonical_json({"fields": fields, "reason": None, "redacted": []})
    assert made.index("😀".encode()) < made.index("\ue000".encode())
