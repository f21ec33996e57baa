"""The key options of the offline verifiers (``liaison verify-bundle``, ``liaison
verify-proof``): a key is given as its text or as a file holding it; ``--witness`` keys
(C2SP tlog-cosignature verifier keys) with ``--min-witnesses`` (default: all of them).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from liaison.cli.common import fail
from liaison.errors import LiaisonError

if TYPE_CHECKING:  # imported where used: `liaison decide` must start fast
    from liaison.ledger.cosignature import WitnessKey
    from liaison.ledger.note_keys import Verifier

WitnessOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A witness's verifier key (C2SP tlog-cosignature), or a file holding one "
        "(repeatable): the checkpoint verified against must carry its cosignature.",
    ),
]
MinWitnessesOpt = Annotated[
    int | None,
    typer.Option(
        "--min-witnesses",
        min=0,
        help="How many of the --witness keys must have cosigned (default: all given).",
    ),
]


def key_text(value: str, option: str, code: int) -> str:
    """The key ``value`` names: the text of the file ``value`` when one exists, else
    ``value`` itself; exit ``code`` naming the option when the file cannot be read."""
    path = Path(value)
    try:
        if not path.is_file():
            return value.strip()
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise fail(f"{option} {value}: {exc.strerror}", code) from None
    except UnicodeDecodeError:
        raise fail(f"{option} {value}: not UTF-8 text", code) from None


def log_verifier(value: str, code: int) -> Verifier:
    """The log's verifier key of ``--vkey`` (text or file); exit ``code`` if it is not one."""
    from liaison.ledger.note_keys import parse_verifier

    try:
        return parse_verifier(key_text(value, "--vkey", code))
    except LiaisonError as exc:
        raise fail(
            f"--vkey {value}: not a verifier key nor a file holding one: {exc}", code
        ) from None


def witness_keys(
    values: list[str] | None, minimum: int | None, code: int
) -> tuple[list[WitnessKey], int]:
    """The distinct witness keys given and how many must have cosigned; exit ``code``
    naming the value that is not a witness key, or a minimum above the keys given."""
    from liaison.ledger.cosignature import parse_witness_key

    keys: dict[bytes, WitnessKey] = {}
    for value in values or []:
        try:
            key = parse_witness_key(key_text(value, "--witness", code))
        except LiaisonError as exc:
            raise fail(
                f"--witness {value}: not a witness verifier key nor a file holding one: {exc}",
                code,
            ) from None
        same = keys.setdefault(key.public_key, key)
        if same != key:  # a cosignature does not name its witness (tlog-cosignature)
            raise fail(
                f"--witness {value}: the same public key as --witness {same}: one key is "
                "one witness, whatever its names",
                code,
            )
    found = list(keys.values())
    needed = len(found) if minimum is None else minimum
    if needed > len(found):
        raise fail(f"--min-witnesses {needed}: only {len(found)} witness key(s) given", code)
    return found, needed
