"""Request and decision types (request-schema.md)."""

from liaison.model.decision import Basis, Citation, Decision, Outcome
from liaison.model.request import ActionRequest, parse_request, request_id_of

__all__ = [
    "ActionRequest",
    "Basis",
    "Citation",
    "Decision",
    "Outcome",
    "parse_request",
    "request_id_of",
]
