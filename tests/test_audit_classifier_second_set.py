"""The purpose classifier against a second labelled set written by the issue-13 review
(tests/fixtures/audit/labelled_reasons_second.csv): reasons journalists found in Flock
audits, and ordinary words that must not flag. Same targets as the shipped set
(precision >= 0.99, recall >= 0.98), and every reason's verdict and purpose."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from liaison.audit.classifier import RuleSet, load_rules
from test_audit_classifier import misclassified, row, scores

SECOND = Path(__file__).parent / "fixtures" / "audit" / "labelled_reasons_second.csv"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def second() -> list[dict[str, str]]:
    with SECOND.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_second_set_is_mixed_and_has_no_repeats() -> None:
    labels = [entry["immigration"] for entry in second()]
    assert {"true", "false", "review"} <= set(labels)
    assert len({entry["reason"] for entry in second()}) == len(labels)


def test_precision_and_recall_over_the_second_set(rules: RuleSet) -> None:
    precision, recall, positives = scores(rules, second())
    print(f"second set: precision {precision:.4f}, recall {recall:.4f} over {positives} positives")
    assert precision >= 0.99
    assert recall >= 0.98


def test_every_reason_in_the_second_set(rules: RuleSet) -> None:
    assert misclassified(rules, second()) == []


DISGUISED = {
    "\uff29\uff23\uff25 case": "imm.ice_context",  # fullwidth letters
    "\u0406\u0421\u0415": "imm.ice",  # Cyrillic letters drawn like "ICE"
    "I\u200bCE": "imm.ice",  # a zero-width space inside the word
    "I\u00adCE warrant": "imm.ice_context",  # a soft hyphen inside the word
    "ICE\u2060ERO": "imm.ice_ero",  # a word joiner between two words
    "deportaci\u00f3n": "imm.removal",  # an accent
    "inmigraci\u00f3n": "imm.immigration",
}


@pytest.mark.parametrize("reason", sorted(DISGUISED))
def test_no_way_of_writing_an_immigration_word_hides_it(rules: RuleSet, reason: str) -> None:
    found = rules.classify(row(reason))
    assert (found.immigration, found.rule) == (True, DISGUISED[reason])


@pytest.mark.parametrize("reason", ["ice\u200bcream", "caf\u00e9 theft", "stolen\u200bvehicle"])
def test_folding_does_not_make_an_ordinary_reason_immigration(rules: RuleSet, reason: str) -> None:
    assert rules.classify(row(reason)).immigration is False
