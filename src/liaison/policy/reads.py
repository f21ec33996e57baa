"""What a set of Cedar policies can read of the context (for slicing and the exact cache).

Walks Cedar's JSON policy form (EST). The answer is a map from each top-level
context attribute read to the record fields read of it:

- ``None`` (the whole map): some policy uses ``context`` as a value; everything counts;
- ``attr -> None``: the attribute is used as a whole value (a set, a string, a record
  compared whole);
- ``attr -> {fields}``: only these fields of a record attribute are read; an empty set
  means only its presence is tested (``context has attr``).

Sound by construction: anything the walker does not recognise widens the answer.
"""

from __future__ import annotations

from typing import Any

from liaison.policy.directives import Policy

Reads = dict[str, frozenset[str] | None]
_CONTEXT = {"Var": "context"}


def _attr_of(node: Any) -> tuple[str, str] | None:
    """("." or "has", attr) when ``node`` is an access to an attribute, else None."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    op, inner = next(iter(node.items()))
    if op in (".", "has") and isinstance(inner, dict) and isinstance(inner.get("attr"), str):
        return op, inner["attr"]
    return None


def _widen(reads: dict[str, set[str] | None], attr: str, field: str | None) -> None:
    """Record that ``attr`` (and, when given, only its ``field``) is read."""
    if attr in reads and reads[attr] is None:
        return
    if field is None:
        reads[attr] = None
        return
    reads.setdefault(attr, set())
    fields = reads[attr]
    if fields is not None:
        fields.add(field)


def _walk(node: Any, reads: dict[str, set[str] | None]) -> bool:
    """Record in ``reads`` what ``node`` reads of the context; True (and stop) when it uses
    ``context`` as a value: every attribute counts."""
    if isinstance(node, list):
        return any(_walk(item, reads) for item in node)
    if not isinstance(node, dict):
        return False
    access = _attr_of(node)
    if access is not None:
        op, attr = access
        left = next(iter(node.values()))["left"]
        if left == _CONTEXT:  # context.attr used directly, or `context has attr`
            if op == "has":
                reads.setdefault(attr, set())
            else:
                _widen(reads, attr, None)
            return False
        outer = _attr_of(left)
        if outer is not None and outer[0] == "." and next(iter(left.values()))["left"] == _CONTEXT:
            _widen(reads, outer[1], attr)  # context.outer.attr or `context.outer has attr`
            return False
    if node == _CONTEXT:
        return True
    return any(_walk(value, reads) for value in node.values())


def context_reads(policies: tuple[Policy, ...]) -> Reads | None:
    """What ``policies`` read of the context; None when they may read all of it."""
    reads: dict[str, set[str] | None] = {}
    if any(_walk(policy.est.get("conditions", []), reads) for policy in policies):
        return None
    return {k: (None if v is None else frozenset(v)) for k, v in reads.items()}
