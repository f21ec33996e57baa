"""Correcting the spelling of a reason before the purpose classifier reads it ("imigration",
"deportaion", "ilegal alien"; issue 13: the keyword flagger journalists use misses them).

A word is corrected to a word of the rule set's ``[spelling]``: an explicit variant, or a
``fuzzy`` word within a small edit distance (optimal string alignment: insertion, deletion,
substitution, transposition of neighbours): one edit for a word of 8 or more letters, two
for 10 or more when the first letter agrees. Shorter words are corrected only by explicit
variants, and the ``ordinary`` words (real words near a fuzzy one: "migration",
"documented") never. Each distinct word is looked up once (a bounded cache).

Before that, ``fold`` writes a reason in plain letters, so that no way of writing a word
hides it from the rules: compatibility forms as their letters (fullwidth "ＩＣＥ" is "ICE"),
accents dropped ("deportación"), invisible characters dropped (a zero-width space or soft
hyphen inside "I\u200bCE"; the classifier reads a reason with them as nothing and as
spaces, and counts what either reading finds), and Cyrillic and Greek letters that look
like Latin ones read as those ("ІСЕ" in Cyrillic is "ICE"). Case is kept (some rules are
case-sensitive).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z]+")
MIN_FUZZY = 8  # letters: shorter words are corrected only by explicit variants
MIN_TWO_EDITS = 10
# Cyrillic and Greek letters drawn like Latin ones, as those Latin letters.
_LOOKALIKES = str.maketrans(
    "АВЕЅІЈКМНОРСТХУаеѕіјорсхуԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοιν",
    "ABESIJKMHOPCTXYaesijopcxydqwABEZHIKMNOPTYXoiv",
)


def fold(text: str, invisible: str = "") -> str:
    """``text`` in plain letters (see the module's docstring), each invisible character as
    ``invisible`` (nothing: "I\u200bCE" is "ICE"; a space: "ICE\u200bERO" is "ICE ERO");
    ASCII text as it is."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(
        invisible if category == "Cf" else c
        for c in decomposed
        if (category := unicodedata.category(c)) not in ("Mn", "Me")
    )
    return unicodedata.normalize("NFC", kept).translate(_LOOKALIKES)


def edit_distance(a: str, b: str, limit: int) -> int:
    """The optimal-string-alignment distance of ``a`` and ``b``, or ``limit + 1`` once it
    is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Speller:
    """Corrects the words of a text towards a small vocabulary."""

    def __init__(
        self,
        fuzzy: Iterable[str],
        ordinary: Iterable[str],
        variants: Mapping[str, str],
        cache_size: int = 65536,
    ) -> None:
        self._fuzzy = tuple(sorted({w.lower() for w in fuzzy}))
        self._known = frozenset(self._fuzzy) | {w.lower() for w in ordinary}
        self._variants = {k.lower(): v.lower() for k, v in variants.items()}
        self._word = lru_cache(maxsize=cache_size)(self._correct_word)

    def correct(self, text: str) -> str:
        """``text`` with each misspelt word replaced by its correction (in lower case);
        every other character kept as written."""
        return _WORD.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        word = match.group(0)
        corrected = self._word(word.lower())
        return word if corrected is None else corrected

    def _correct_word(self, word: str) -> str | None:
        """The correction of ``word`` (lower case), or None to keep it."""
        variant = self._variants.get(word)
        if variant is not None:
            return variant
        if len(word) < MIN_FUZZY or word in self._known:
            return None
        best: tuple[int, str] | None = None
        for target in self._fuzzy:
            limit = 2 if len(word) >= MIN_TWO_EDITS and word[0] == target[0] else 1
            distance = edit_distance(word, target, limit)
            if distance <= limit and (best is None or distance < best[0]):
                best = (distance, target)
        return None if best is None else best[1]
