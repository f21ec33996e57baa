"""Cycle detection over the directive dependency graph (authority and rescission edges)."""

from __future__ import annotations


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """One cycle of the directed graph ``edges`` as a list of nodes, or None."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(edges, white)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = grey
        stack.append(node)
        for nxt in edges.get(node, []):
            if colour.get(nxt, black) == grey:
                return stack[stack.index(nxt) :]
            if colour.get(nxt) == white:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        colour[node] = black
        return None

    for start in sorted(edges):
        if colour[start] == white:
            found = visit(start)
            if found:
                return found
    return None
