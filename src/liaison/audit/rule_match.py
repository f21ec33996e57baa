"""The purpose classifier's rules compiled: what each rule says (``Rule``), the matcher of a
reason's text (``TextMatcher``: every phrase in one table keyed by its first word, every
pattern in one combined regular expression) and the match of a row's structured codes
(``CodeMatcher``) (docs/audit.md, "Classifying purposes").

A phrase matches whole words, case-insensitive unless its rule is ``case_sensitive``, with
any run of spaces or punctuation between its words ("ICE+ERO", "hit & run"). Where
matches overlap, the leftmost wins, and at one place the longest phrase (more words, then
more letters); patterns are tried before phrases; a match lying within a longer one counts
for nothing, even when the longer one lost to another ("car theft of ICE": ICE is inside
"theft of ICE"). A guard's match counts for nothing: it only keeps its words from matching
anything else ("ice cream").
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


_TOKEN = re.compile(_ALNUM + "+")
# (start, kind, -words, -letters, rule index, end): sorted, the first is the match
_Candidate = tuple[int, int, int, int, int, int]


class TextMatcher:
    """Every text rule's phrases (looked up word by word from a table keyed by their first
    word) and patterns (one combined regular expression)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._phrases: dict[str, list[tuple[tuple[str, ...], tuple[str, ...] | None, int]]] = {}
        patterns: list[str] = []
        self._pattern_rule: dict[str, int] = {}
        for index, rule in enumerate(rules):
            for pattern in rule.patterns:
                name = f"p{len(patterns)}"
                patterns.append(f"(?P<{name}>{pattern})")
                self._pattern_rule[name] = index
            for phrase in rule.phrases:
                words = tuple(_TOKEN.findall(phrase))
                exact = words if rule.case_sensitive else None
                lowered = tuple(word.lower() for word in words)
                self._phrases.setdefault(lowered[0], []).append((lowered, exact, index))
        for entries in self._phrases.values():  # the longest phrase first
            entries.sort(key=lambda e: (-len(e[0]), -sum(map(len, e[0]))))
        body = "|".join(patterns) or "(?!)"
        self._patterns = re.compile(rf"(?<!{_ALNUM})(?:{body})(?!{_ALNUM})", re.IGNORECASE)
        self._guards = frozenset(i for i, rule in enumerate(rules) if rule.kind == "guard")

    def hits(self, text: str) -> tuple[int, ...]:
        """The indexes of the rules ``text`` matches, each once, in the order of the text;
        guards left out. Leftmost first; at one place patterns, then the longest phrase."""
        candidates = self._candidates(text)
        candidates.sort()
        spans = [(c[0], c[5]) for c in candidates]
        out: list[int] = []
        free = 0
        for start, _, _, _, index, end in candidates:
            if start < free or _inside((start, end), spans):
                continue
            free = end
            if index not in self._guards and index not in out:
                out.append(index)
        return tuple(out)

    def _candidates(self, text: str) -> list[_Candidate]:
        found: list[_Candidate] = []
        for match in self._patterns.finditer(text):
            index = self._pattern_rule[match.lastgroup or ""]
            found.append((match.start(), 0, 0, 0, index, match.end()))
        tokens = list(_TOKEN.finditer(text))
        lowered = [token.group(0).lower() for token in tokens]
        for at, word in enumerate(lowered):
            for words, exact, index in self._phrases.get(word, ()):
                stop = at + len(words)
                if tuple(lowered[at:stop]) != words:
                    continue
                if exact is not None and tuple(t.group(0) for t in tokens[at:stop]) != exact:
                    continue
                start, end = tokens[at].start(), tokens[stop - 1].end()
                found.append((start, 1, -len(words), -len(text[start:end]), index, end))
                break  # the longest phrase at this word (case-sensitive ones may not match)
        return found


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    """Whether ``span`` lies within a longer match's span, chosen or not: "ICE" inside "theft
    of ICE" counts for nothing even when "car theft" took "theft" first."""
    start, end = span
    return any(s <= start and end <= e and e - s > end - start for s, e in spans)


class CodeMatcher:
    """The rules over a row's structured codes, tried in the file's order: the first whose
    database and codes all match decides. A code value ending in ``*`` is a prefix."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = [
            (i, rule.database, _wanted(rule.codes))
            for i, rule in enumerate(rules)
            if rule.codes or rule.database
        ]
        self.databases = frozenset(database for _, database, _ in self._rules if database)
        self.reads_codes = any(codes for _, _, codes in self._rules)

    def hit(self, database: str, codes: Mapping[str, str]) -> int | None:
        """The index of the first code rule the row matches, or None."""
        for index, only, wanted in self._rules:
            if only is not None and only != database:
                continue
            if all(_code_matches(codes.get(key), want, prefix) for key, want, prefix in wanted):
                return index
        return None


def _wanted(codes: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, bool], ...]:
    """Each (key, value) of a code rule as (key, value upper-cased without its ``*``,
    whether it is a prefix): once, not on every row."""
    return tuple((key, want.removesuffix("*").upper(), want.endswith("*")) for key, want in codes)


def _code_matches(value: str | None, want: str, prefix: bool) -> bool:
    if value is None:
        return False
    value = value.strip().upper()
    return value.startswith(want) if prefix else value == want
