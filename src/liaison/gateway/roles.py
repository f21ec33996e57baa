"""The role of an API key (docs/api.md, "Authentication and roles"): what its holder may do.

Not the actor's role in a request (``model.vocabulary.ActorRole``, request-schema.md), which
names a rank and only shares some of its values. No dependencies: the CLI imports it at start.
"""

from __future__ import annotations

from enum import StrEnum


class KeyRole(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    PUBLIC = "public"
