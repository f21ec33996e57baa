"""Directive packs, views, in-force resolution and Cedar evaluation."""

from liaison.policy.directives import Directive, Pack, Section, View
from liaison.policy.engine import Engine, Regime, ViewComparison
from liaison.policy.in_force import Standing, Status
from liaison.policy.loader import load_pack, load_pack_files, shipped_pack_path

__all__ = [
    "Directive",
    "Engine",
    "Pack",
    "Regime",
    "Section",
    "Standing",
    "Status",
    "View",
    "ViewComparison",
    "load_pack",
    "load_pack_files",
    "shipped_pack_path",
]
