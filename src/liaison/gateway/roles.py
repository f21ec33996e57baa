"""The roles an API key can have (docs/api.md). No dependencies: the CLI imports it at start."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    PUBLIC = "public"
