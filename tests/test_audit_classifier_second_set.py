"""The purpose classifier against a second labelled set written by the issue-13 review
(tests/fixtures/audit/labelled_reasons_second.csv): reasons journalists found in Flock
audits, and ordinary words that must not flag. Same targets as the shipped set
(precision >= 0.99, recall >= 0.98), and every reason's verdict and purpose."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from liaison.audit.classifier import RuleSet, load_rules
from test_audit_classifier import VERDICT, row

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
    true_pos = false_pos = positives = 0
    for entry in second():
        said = rules.classify(row(entry["reason"])).immigration
        positives += entry["immigration"] == "true"
        true_pos += said is True and entry["immigration"] == "true"
        false_pos += said is True and entry["immigration"] != "true"
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / positives
    print(f"second set: precision {precision:.4f}, recall {recall:.4f} over {positives} positives")
    assert precision >= 0.99
    assert recall >= 0.98


def test_every_reason_in_the_second_set(rules: RuleSet) -> None:
    wrong = []
    for entry in second():
        found = rules.classify(row(entry["reason"]))
        purposes = {str(p) for p in found.purposes}
        want = entry["purpose"]
        purpose_ok = want == "*" or (want == "none" and not purposes) or want in purposes
        if found.immigration is not VERDICT[entry["immigration"]] or not purpose_ok:
            wrong.append((entry["reason"], entry["immigration"], want, found.rule))
    assert wrong == []
