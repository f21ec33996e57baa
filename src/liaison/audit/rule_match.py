"""The purpose classifier's rules compiled: what each rule says (``Rule``), the one combined
regular expression over every phrase and pattern (``TextMatcher``) and the match of a
row's structured codes (``CodeMatcher``) (docs/audit.md, "Classifying purposes").

A phrase matches whole words, case-insensitive unless its rule is ``case_sensitive``, with
any run of spaces or punctuation between its words ("ICE+ERO", "hit & run"). Where
matches overlap, the leftmost wins, and at one place the longest phrase (more words, then
more letters); patterns are tried before phrases. A guard's match counts for nothing: it
only keeps its words from matching anything else ("ice cream").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from liaison.model.vocabulary import Purpose, RecipientType

_ALNUM = r"[^\W_]"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the set: its id, kind (guard, immigration, review, agency, ordinary,
    none), the purposes it gives, the agency type it names, whether it is vague, and what
    it matches (phrases and patterns of a reason, or codes of a row)."""

    id: str
    kind: str
    purposes: tuple[Purpose, ...]
    recipient: RecipientType | None
    vague: bool
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    case_sensitive: bool = False
    codes: tuple[tuple[str, str], ...] = ()
    database: str | None = None


def phrase_regex(phrase: str) -> str:
    """The regular expression of a phrase: its words, any punctuation between them."""
    words = re.findall(_ALNUM + "+", phrase)
    return r"[\W_]+".join(re.escape(word) for word in words)


class TextMatcher:
    """Every text rule's phrases and patterns as one regular expression."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        alternatives: list[tuple[tuple[int, int, int], str, int]] = []
        for index, rule in enumerate(rules):
            for number, pattern in enumerate(rule.patterns):
                alternatives.append(((0, index, number), pattern, index))
            for phrase in rule.phrases:
                regex = phrase_regex(phrase)
                if rule.case_sensitive:
                    regex = f"(?-i:{regex})"
                words = len(re.findall(_ALNUM + "+", phrase))
                alternatives.append(((1, -words, -len(phrase)), regex, index))
        alternatives.sort(key=lambda item: item[0])
        self._rule_of = {f"g{n}": index for n, (_, _, index) in enumerate(alternatives)}
        body = "|".join(f"(?P<g{n}>{regex})" for n, (_, regex, _) in enumerate(alternatives))
        self._regex = re.compile(rf"(?<!{_ALNUM})(?:{body})(?!{_ALNUM})", re.IGNORECASE)
        self._guards = frozenset(i for i, rule in enumerate(rules) if rule.kind == "guard")

    def hits(self, text: str) -> tuple[int, ...]:
        """The indexes of the rules ``text`` matches, each once, in the order of the text;
        guards left out."""
        out: list[int] = []
        for match in self._regex.finditer(text):
            index = self._rule_of[match.lastgroup or ""]
            if index not in self._guards and index not in out:
                out.append(index)
        return tuple(out)


class CodeMatcher:
    """The rules over a row's structured codes, tried in the file's order: the first whose
    database and codes all match decides. A code value ending in ``*`` is a prefix."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = [(i, rule) for i, rule in enumerate(rules) if rule.codes or rule.database]
        self.databases = frozenset(rule.database for _, rule in self._rules if rule.database)
        self.reads_codes = any(rule.codes for _, rule in self._rules)

    def hit(self, database: str, codes: Mapping[str, str]) -> int | None:
        """The index of the first code rule the row matches, or None."""
        for index, rule in self._rules:
            if rule.database is not None and rule.database != database:
                continue
            if all(_code_matches(codes.get(key), want) for key, want in rule.codes):
                return index
        return None


def _code_matches(value: str | None, want: str) -> bool:
    if value is None:
        return False
    value = value.strip().upper()
    if want.endswith("*"):
        return value.startswith(want[:-1].upper())
    return value == want.upper()
