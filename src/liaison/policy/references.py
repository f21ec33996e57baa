"""References between a pack's directives: none dangling, none to itself, none in a cycle.

docs/packs.md ("References between directives"): every ``authority`` of the pack, every
``rescinds`` and ``supersedes`` target (and the sections it names) must exist, a directive
cannot remove itself, and what a directive's standing depends on must not be circular.
Every edge of the dependency graph is located at the reference that makes it, so a cycle
is reported at the file and line of one of its references.
"""

from __future__ import annotations

from collections.abc import Mapping

from liaison.errors import PackProblem
from liaison.policy.directives import Directive, Reference
from liaison.policy.graph import find_cycle
from liaison.policy.pack_toml import TomlLocator


class _Graph:
    """What each directive's standing depends on, each edge at the reference making it."""

    def __init__(self, directives: Mapping[str, Directive]) -> None:
        self.edges: dict[str, list[str]] = {d: [] for d in directives}
        self.located: dict[tuple[str, str], tuple[str, int | None]] = {}

    def add(self, source: str, target: str, file: str, line: int | None) -> None:
        self.edges[source].append(target)
        self.located.setdefault((source, target), (file, line))

    def cycle_problem(self) -> PackProblem | None:
        cycle = find_cycle(self.edges)
        if not cycle:
            return None
        file, line = self.located[(cycle[0], cycle[1 % len(cycle)])]
        path = " -> ".join([*cycle, cycle[0]])
        return PackProblem(file, line, f"cycle in authority or rescission: {path}")


def check_references(
    directives: Mapping[str, Directive],
    unusable: set[str],
    locators: Mapping[str, TomlLocator],
    problems: list[PackProblem],
) -> None:
    """Append a problem for every dangling or circular reference between ``directives``.

    ``unusable`` names directive files that exist but did not load: a reference to one is
    not reported again (its own problems are). ``locators`` finds lines in each
    directive's file, by directive id.
    """
    checker = _Checker(directives, unusable, problems)
    for directive in directives.values():
        where = locators[directive.id]
        checker.authorities(directive, where)
        for ref, verb in directive.removals():
            checker.removal(
                directive, ref, "rescinds" if verb == "rescinded" else "supersedes", where
            )
    cycle = checker.graph.cycle_problem()
    if cycle is not None:
        problems.append(cycle)


class _Checker:
    def __init__(
        self, directives: Mapping[str, Directive], unusable: set[str], problems: list[PackProblem]
    ) -> None:
        self.directives = directives
        self.unusable = unusable
        self.problems = problems
        self.graph = _Graph(directives)

    def authorities(self, directive: Directive, where: TomlLocator) -> None:
        file = str(directive.file)
        for authority in directive.pack_authorities:
            line = where.line_of_value(("authority",), authority)
            if authority in self.directives:
                self.graph.add(directive.id, authority, file, line)
            elif authority not in self.unusable:
                self.problems.append(
                    PackProblem(
                        file,
                        line,
                        f"authority: no directive {authority!r} in the pack "
                        '(use { external = "..." } for a law outside it)',
                    )
                )

    def removal(self, directive: Directive, ref: Reference, key: str, where: TomlLocator) -> None:
        """One ``rescinds`` or ``supersedes`` entry (``key``) of ``directive``."""
        file = str(directive.file)
        line = where.line_of_value((key,), ref.directive)
        target = self.directives.get(ref.directive)
        if target is None:
            if ref.directive not in self.unusable:
                message = f"{key}: no directive {ref.directive!r} in the pack"
                self.problems.append(PackProblem(file, line, message))
            return
        if ref.directive == directive.id:
            self.problems.append(
                PackProblem(file, line, f"{key}: a directive cannot remove itself")
            )
            return
        labels = {s.label for s in target.sections}
        for label in ref.sections or ():
            if label not in labels:
                self.problems.append(
                    PackProblem(
                        file,
                        where.line_of_value((key,), label),
                        f"{key}: directive {ref.directive} has no section {label!r}",
                    )
                )
        # Whether the target stands depends on whether this directive stands.
        self.graph.add(ref.directive, directive.id, file, line)
