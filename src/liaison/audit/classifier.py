"""The purpose classifier: an explainable, versioned rule set that maps an imported row's
free-text reason and structured codes to the purposes and recipient type of
request-schema.md, naming the rule that decided (issue 13, item 2; docs/audit.md,
"Classifying purposes").

How a row is decided, from its hits (the rules its codes and its spelling-corrected reason
match; for another organisation's search, that organisation's type too):

1. an immigration rule: ``immigration`` true, its purposes (and any ordinary ones);
2. else a review rule: ``immigration`` null (the review queue);
3. else a federal immigration agency (named in the reason, or the searching organisation):
   with a specific ordinary reason ("HSI human trafficking") ``immigration`` false and
   purposes that reason's plus ``assist_federal_agency`` (rule ``agency+reason``); with
   none, or a vague one ("HSI investigation"), the review queue;
4. else another federal agency: false, ``assist_federal_agency`` (and the reason's
   purposes, ``criminal_investigation`` when none);
5. else ordinary rules: false, their purposes (rule: the first specific one);
6. else nothing: false, no purpose (``reason.empty``, ``reason.redacted``,
   ``reason.unrecognised``): an empty or unknown reason is no evidence of an immigration
   purpose, and no purpose authorises anything (the judgement's default deny).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from liaison.audit.organisations import OrganisationTable, load_organisations
from liaison.audit.rows import AuditRow, Classification, RowKind
from liaison.audit.rule_files import RULES_DIR, PurposesDoc, duplicate, line_of, problem
from liaison.audit.rule_files import read_rule_file as _read
from liaison.audit.rule_match import CodeMatcher, Rule, TextMatcher
from liaison.audit.spelling import Speller, fold
from liaison.model.vocabulary import Purpose, RecipientType

DEFAULT_RULES = RULES_DIR / "purposes.toml"
CACHE_SIZE = 65536  # distinct reasons (and decisions) remembered; most reasons repeat
_ORDER = {purpose: n for n, purpose in enumerate(Purpose)}
_FED_IMM = RecipientType.FEDERAL_IMMIGRATION
_ASSIST = Purpose.ASSIST_FEDERAL_AGENCY


def load_rules(
    path: Path | None = None, *, organisations: OrganisationTable | None = None
) -> RuleSet:
    """The rule set in ``path`` (default: the one shipped in the package), checked strictly:
    ``AuditInputError`` naming the file, line and key of a problem. ``organisations``
    types the searching organisations (default: the shipped table)."""
    path = path or DEFAULT_RULES
    doc, digest = _read(path, PurposesDoc)
    rules = tuple(_rule(path, n, doc) for n in range(len(doc.rule)))
    ids = [rule.id for rule in rules]
    again = duplicate(ids)
    if again is not None:
        second = len(ids) - 1 - ids[::-1].index(again)
        raise problem(path, line_of(path, ("rule", second, "id")), "id",
                      f"rule id {again!r} is used twice")  # fmt: skip
    table = organisations or load_organisations()
    speller = Speller(doc.spelling.fuzzy, doc.spelling.ordinary, doc.spelling.variants)
    both = hashlib.sha256(f"{digest}\n{table.digest}".encode()).hexdigest()
    return RuleSet(f"{doc.version}+{both[:12]}", rules, speller, table)


def _rule(path: Path, n: int, doc: PurposesDoc) -> Rule:
    spec = doc.rule[n]
    wrong: tuple[str, str, str] | None = None  # (key on the line, key named, message)
    if bool(spec.phrases or spec.patterns) == spec.reads_codes():
        wrong = ("id", "", "a rule matches either phrases/patterns or codes/database, exactly one")
    elif spec.kind == "agency" and spec.recipient is None:
        wrong = ("kind", ".recipient", "an agency rule names its recipient type")
    elif spec.kind in ("guard", "review", "none") and spec.purposes:
        wrong = ("purposes", ".purposes", f"a {spec.kind} rule gives no purposes")
    elif spec.kind == "immigration" and not spec.purposes:
        wrong = ("kind", ".purposes", "an immigration rule gives its purposes")
    if wrong is not None:
        line = line_of(path, ("rule", n, wrong[0]))
        raise problem(path, line, f"rule[{n}]{wrong[1]}", wrong[2])
    return Rule(
        id=spec.id,
        kind=spec.kind,
        purposes=_sorted(spec.purposes),
        recipient=spec.recipient,
        vague=spec.vague or spec.kind == "none",
        phrases=tuple(spec.phrases),
        patterns=tuple(spec.patterns),
        case_sensitive=spec.case_sensitive,
        codes=tuple(sorted(spec.codes.items())),
        database=spec.database,
    )


def _sorted(purposes: Iterable[Purpose]) -> tuple[Purpose, ...]:
    return tuple(sorted(set(purposes), key=_ORDER.__getitem__))


class RuleSet:
    """A loaded, compiled rule set. ``classify`` is safe to call from one thread at a time
    per instance (its caches are not locked)."""

    def __init__(
        self, version: str, rules: tuple[Rule, ...], speller: Speller, table: OrganisationTable
    ) -> None:
        self.version = version
        self.rules = rules
        self.organisations = table
        self._speller = speller
        self._text = TextMatcher(rules)
        self._codes = CodeMatcher(rules)
        self._reason = lru_cache(maxsize=CACHE_SIZE)(self._reason_hits)
        self._decide = lru_cache(maxsize=CACHE_SIZE)(self._decision)
        self._plain: dict[str | None, Classification] = {}

    def classify(self, row: AuditRow) -> Classification:
        """What ``row`` was for, and the rule that decided (see the module's docstring)."""
        plain = not (row.codes or row.redacted or row.kind is RowKind.OUTSIDE_SEARCH)
        if plain and row.database not in self._codes.databases:
            found = self._plain.get(row.reason)  # the usual row: only its reason counts
            if found is None:
                if len(self._plain) >= CACHE_SIZE:
                    self._plain.clear()
                found = self._plain[row.reason] = self._classify(row)
            return found
        return self._classify(row)

    def _classify(self, row: AuditRow) -> Classification:
        reason = row.reason.strip() if row.reason else ""
        hits = self._reason(reason) if reason else ()
        code = None
        if row.database in self._codes.databases or (self._codes.reads_codes and row.codes):
            code = self._codes.hit(row.database, row.codes)
        outside = row.kind is RowKind.OUTSIDE_SEARCH
        org = self.organisations.type_of(row.organisation, None).type if outside else None
        empty = "redacted" if "reason" in row.redacted else ("empty" if not reason else "")
        return self._decide(hits, code, outside, org, empty)

    def _reason_hits(self, reason: str) -> tuple[int, ...]:
        folded = fold(reason)
        hits = self._text.hits(self._speller.correct(folded))
        spaced = fold(reason, invisible=" ")  # an invisible character between two words
        if spaced == folded:
            return hits
        return tuple(sorted({*hits, *self._text.hits(self._speller.correct(spaced))}))

    def _decision(
        self,
        hits: tuple[int, ...],
        code: int | None,
        outside: bool,
        org: RecipientType | None,
        empty: str,
    ) -> Classification:
        rules = [self.rules[i] for i in sorted({*hits, *(() if code is None else (code,))})]
        named = next((r.recipient for r in rules if r.recipient is not None), None)
        recipient = org if outside else named
        verdict, purposes, rule = _combine(rules, outside and org is _FED_IMM, empty)
        return Classification(_sorted(purposes), recipient, verdict, rule, self.version)


def _combine(
    rules: list[Rule], searched_by_fed_imm: bool, empty: str
) -> tuple[bool | None, set[Purpose], str]:
    """(immigration, purposes, rule) from the rules a row matched, in the file's order."""
    ordinary = [r for r in rules if r.kind in ("ordinary", "none")]
    specific = [r for r in ordinary if not r.vague]
    usual = {p for r in ordinary for p in r.purposes}
    by_kind = {kind: [r for r in rules if r.kind == kind] for kind in ("immigration", "review")}
    if by_kind["immigration"]:
        first = by_kind["immigration"][0]
        return True, usual | {p for r in by_kind["immigration"] for p in r.purposes}, first.id
    if by_kind["review"]:
        return None, usual, by_kind["review"][0].id
    agencies = [r for r in rules if r.kind == "agency"]
    fed_imm = [r for r in agencies if r.recipient is _FED_IMM]
    if fed_imm or searched_by_fed_imm:
        agency = fed_imm[0].id if fed_imm else "recipient.federal_immigration"
        if not specific:
            return None, usual, agency
        assist = {_ASSIST} if fed_imm else set()
        return False, usual | assist, f"{agency}+{specific[0].id}"
    if agencies:
        own = usual or {Purpose.CRIMINAL_INVESTIGATION}
        rule = agencies[0].id + (f"+{specific[0].id}" if specific else "")
        return False, own | {_ASSIST}, rule
    if ordinary:
        return False, usual, (specific or ordinary)[0].id
    return False, set(), f"reason.{empty or 'unrecognised'}"
