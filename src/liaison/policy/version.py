"""``policy_version``: a content hash of exactly what was in force (request-schema.md).

The hash covers the Cedar schema and, for each directive in force (sorted by id),
its id, title, issuer, dates and the label, text and policy of each section in
force. It is SHA-256 over canonical JSON (sorted keys, no insignificant
whitespace, UTF-8), so the same inputs give the same hash on any machine.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from liaison.policy.in_force import Status


def _directive_content(status: Status) -> dict[str, Any]:
    d = status.directive
    active = set(status.active_sections)
    return {
        "id": d.id,
        "title": d.title,
        "issuer": d.issuer,
        "effective_from": d.effective_from.isoformat(),
        "effective_until": d.effective_until.isoformat() if d.effective_until else None,
        "sections": [
            {"label": s.label, "text": s.text, "policy": s.policy_text}
            for s in d.sections
            if s.label in active
        ],
    }


def policy_version(schema_text: str, in_force: list[Status]) -> str:
    content = {
        "schema": schema_text,
        "directives": [
            _directive_content(s) for s in sorted(in_force, key=lambda s: s.directive.id)
        ],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
