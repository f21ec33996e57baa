"""The one error hierarchy of liaison: every error class, under ``LiaisonError``.

Each class has a stable machine ``code``, the HTTP ``status`` the API answers it with (RFC
9110 §15) and a short ``description`` for the OpenAPI document (``liaison.api.errors``);
docs/api.md lists every code with its status (a test holds the two together). Each error
renders to one JSON object, ``to_dict()`` (``{"code", "message", "field"?, "problems"?,
"choices"?}``), used by the API, by each item of a batch and by the command line. No error
path ever yields a permit: callers that catch a ``LiaisonError`` while deciding must deny.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class PackProblem:
    """One problem found in a directive pack, located by file and line."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class LiaisonError(Exception):
    """Base class: a failure with a stable code and a human ``message``. Raised as itself
    only for what has no more specific class: an unexpected failure inside the service
    (the API answers any exception it did not expect with this code), so 500.

    ``field`` names what the error is about (a request field, a query parameter);
    ``problems`` are the located problems of a pack; ``choices`` the values of ``field``
    that resolve an ambiguity. ``str()`` is the text for a person: the message, then
    each problem on a line of its own."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    description: ClassVar[str] = "An unexpected failure inside the service"
    # Whether the HTTP API can answer it (False: only the command line, or inside the
    # service); only these are described in the OpenAPI document.
    answered_by_api: ClassVar[bool] = True
    # Whether ``to_dict`` always has ``field``, null when there is nothing to name.
    names_field: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        problems: Sequence[PackProblem] = (),
        choices: Sequence[str] = (),
    ) -> None:
        lines = "".join(f"\n  {p}" for p in problems)
        super().__init__(f"{message}:{lines}" if problems else message)
        self.message = message
        self.field = field
        self.problems = list(problems)
        self.choices = list(choices)

    def to_dict(self) -> dict[str, Any]:
        """The error object: the one JSON shape of an error everywhere."""
        out: dict[str, Any] = {"code": self.code}
        if self.field is not None or self.names_field:
            out["field"] = self.field
        out["message"] = self.message
        if self.problems:
            out["problems"] = [
                {"file": p.file, "line": p.line, "message": p.message} for p in self.problems
            ]
        if self.choices:
            out["choices"] = self.choices
        return out


# -- what was asked -------------------------------------------------------------------------


class InvalidRequest(LiaisonError):
    """An action request that does not conform to request-schema.md (or any other input
    that was refused: a query parameter, a pack change).

    ``field`` is the dotted path of the offending field (``subject.custody``),
    or ``None`` when the input is not a JSON object at all.
    """

    code = "invalid_request"
    status = 422
    description = "The request is invalid; `field` names the offending field"
    names_field = True

    def __init__(self, field: str | None, message: str, choices: Sequence[str] = ()) -> None:
        super().__init__(message, field=field, choices=choices)


class PayloadTooLarge(LiaisonError):
    """A request body larger than the deployment allows (``LIAISON_MAX_BODY_BYTES``)."""

    code = "payload_too_large"
    status = 413
    description = "The body is larger than the deployment allows"


class UnsupportedMediaType(LiaisonError):
    """A request body not sent as ``application/json`` (UTF-8)."""

    code = "unsupported_media_type"
    status = 415
    description = "The body is not sent as `application/json` (UTF-8)"


class CanonicalJSONError(LiaisonError, ValueError):
    """A value with no canonical JSON form (RFC 8785 / I-JSON limits): 422, the last guard
    after validation. Still a ``ValueError``, as the ``json`` module's errors are."""

    code = "no_canonical_json"
    status = 422
    description = "A value has no canonical JSON form (RFC 8785)"
    answered_by_api = False


# -- who asks -------------------------------------------------------------------------------


class Unauthenticated(LiaisonError):
    """No API key, or one that is unknown, malformed or revoked."""

    code = "unauthenticated"
    status = 401
    description = "No API key, or an unknown, malformed or revoked one"


class Forbidden(LiaisonError):
    """The key's role (or its actor, or its unit) may not do this."""

    code = "forbidden"
    status = 403
    description = "The key's role may not do this"


class RateLimited(LiaisonError):
    """Too many failed authentications from one client address; ``retry_after`` seconds."""

    code = "rate_limited"
    status = 429
    description = (
        "Too many bad API keys from this client address; retry after `Retry-After` seconds"
    )

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed authentications from this client; retry after {retry_after} s"
        )
        self.retry_after = retry_after


# -- what is recorded -----------------------------------------------------------------------


class NotFound(LiaisonError):
    """A named thing that does not exist, or that the key may not read (not revealed)."""

    code = "not_found"
    status = 404
    description = "Not found, or not visible to the key"


class NothingToErase(NotFound):
    """An erasure that found no personal data to erase: refused, nothing is written."""

    description = "No personal data to erase"
    answered_by_api = False


class Conflict(LiaisonError):
    """The actor's id was already used for a different request or event."""

    code = "conflict"
    status = 409
    description = "The actor's id was already used for a different request or event"


class Ambiguous(LiaisonError):
    """An id naming several records the caller may read (a decision's id is per actor, an
    encounter's per unit): ``field`` chooses one (``actor``, ``unit``; or ``encounter.id``,
    ``choices`` the units taking part) and ``choices`` its values, sorted. 409."""

    code = "ambiguous"
    status = 409
    description = (
        "The id names several records the key may read (ids are per actor, encounter ids "
        "per unit); `choices` lists the values of `field` that tell them apart"
    )

    def __init__(self, message: str, field: str, choices: list[str]) -> None:
        super().__init__(message, field=field, choices=choices)


# -- directive packs ------------------------------------------------------------------------


class PackError(LiaisonError):
    """A directive pack that failed validation. It is never used."""

    code = "invalid_pack"
    status = 422
    description = "A pack change would make an invalid pack; `problems` lists each"

    def __init__(self, problems: Sequence[PackProblem]) -> None:
        count = len(problems)
        super().__init__(f"directive pack is invalid ({count} problem(s))", problems=problems)


class StalePack(LiaisonError):
    """A change made against a pack version that is no longer the newest."""

    code = "conflict"
    status = 409
    description = "A pack change was made against a pack that is no longer in force"


class PackChanged(LiaisonError):
    """The pack changed after a decision was made and before it committed (it is made
    again under the new pack; callers never see this: 503 if they ever did)."""

    code = "pack_changed"
    status = 503
    description = "The pack changed while the request was decided; retry"
    answered_by_api = False


# -- the service's state --------------------------------------------------------------------


class Unavailable(LiaisonError):
    """The service cannot answer now (no pack recorded, the pack kept changing, too many
    legacy key checks at once): retry later."""

    code = "unavailable"
    status = 503
    description = (
        "The service could not answer now (no pack recorded, the pack kept changing, or too "
        "many legacy key checks at once); retry"
    )


class IntegrityFailure(LiaisonError):
    """What the database holds disagrees with the ledger (a pack row, an index row): the
    service refuses to act on it (fail closed) until the database is repaired."""

    code = "integrity"
    status = 503
    description = "The database disagrees with the ledger; nothing is decided or served from it"


# -- the ledger (docs/ledger.md) ------------------------------------------------------------


class LedgerError(LiaisonError):
    """The ledger cannot serve: not initialised (no ``liaison db upgrade``), no signing key,
    or what it stores disagrees with itself (personal data not matching its commitment). The
    deployment's state for an operator to repair: 503, so that clients retry."""

    code = "ledger_error"
    status = 503
    description = "The ledger cannot serve (not initialised, no signing key, or damaged)"


class SigningKeyError(LiaisonError):
    """The deployment's signing key or API key secret is unusable (missing, malformed,
    readable by others) or would be replaced. The service refuses to start with it; were
    it ever answered, it is the deployment's state, not the request's: 503."""

    code = "key_error"
    status = 503
    description = "The deployment's signing key is unusable"
    answered_by_api = False


class SignerRefused(LiaisonError):
    """The signer will not sign this tree: it does not extend the last tree it signed (a
    rollback or rewrite of the ledger; docs/ledger.md): a conflict with what was signed, 409."""

    code = "signer_refused"
    status = 409
    description = (
        "The tree does not extend the last one the key signed (a rollback or rewrite of the ledger)"
    )


class SignerUnavailable(LedgerError):
    """The signer process (``LIAISON_SIGNER_SOCKET``) cannot be reached or answered no valid
    note: checkpoints wait (decisions never need it), 503."""

    code = "signer_unavailable"
    status = 503
    description = "The checkpoint signer process cannot be reached (LIAISON_SIGNER_SOCKET); retry"


class InvalidCheckpoint(LiaisonError):
    """A checkpoint body that breaks tlog-checkpoint, or not from the expected log: 422."""

    code = "invalid_checkpoint"
    status = 422
    description = "A checkpoint that breaks C2SP tlog-checkpoint, or of another log"
    answered_by_api = False


class BundleError(LiaisonError):
    """A ledger bundle that cannot be read (not UTF-8, bad compression or JSON): 422."""

    code = "bad_bundle"
    status = 422
    description = "A ledger bundle that cannot be read"
    answered_by_api = False


class NoteError(LiaisonError):
    """A key or signed note (C2SP signed-note) refused: 422. Never trust a refused note."""

    code = "invalid_note"
    status = 422
    description = "A key or signed note that was refused"
    answered_by_api = False


class InvalidKey(NoteError):
    """A verifier key, signer key or key name that is not well formed."""

    code = "invalid_key"
    description = "A verifier key, signer key or key name that is not well formed"


class MalformedNote(NoteError):
    """A signed note (or a text to sign) that breaks the signed-note format."""

    code = "malformed_note"
    description = "A signed note that breaks the signed-note format"


class SignatureError(NoteError):
    """A note with no verified signature by a known key, or with a bad one."""

    code = "bad_signature"
    description = "A note with no verified signature by a known key, or a bad one"


# -- witnesses (docs/ledger.md, "Witnesses") ------------------------------------------------


class AuditInputError(LiaisonError):
    """A log to audit (an export, a mapping file) that cannot be read at all, or a bad
    option: the message names the file and line (or the option); nothing is imported."""

    code = "bad_audit_input"
    status = 422
    description = "A log to audit, or its mapping, cannot be read; the message names the file"
    answered_by_api = False


class WitnessConfigError(LiaisonError):
    """A witness's config, key or state file, or the service's list of witnesses
    (``LIAISON_WITNESSES``), that cannot be used (the message names the file and field):
    nothing starts with it. A state of the deployment: 503, never answered over HTTP."""

    code = "witness_config"
    status = 503
    description = "A witness's configuration, or the list of witnesses, is unusable"
    answered_by_api = False


# -- an oversight body's copy of the ledger (liaison mirror) -------------------------------


class MirrorError(LiaisonError):
    """A pull into an oversight body's copy of the ledger that was refused or could not
    finish (server unreachable, a checkpoint not signed by the pinned key or cosigned by too
    few witnesses, a wrong entry, a damaged copy): nothing of it is kept. CLI only."""

    code = "mirror_error"
    status = 502
    description = "A pull of the ledger into a mirror was refused or could not finish"
    answered_by_api = False


class ForkDetected(MirrorError):
    """The log showed a history not extending the one the mirror accepted (an inconsistent
    checkpoint, or entries not making the signed root): evidence written, copy kept."""

    code = "fork_detected"
    status = 409
    description = "The log showed a history that does not extend the one the mirror accepted"

    def __init__(self, message: str, evidence: str) -> None:
        super().__init__(message)
        self.evidence = evidence
