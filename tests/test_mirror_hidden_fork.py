"""The mirror compares the log's latest signed checkpoint with its copy even when it pulls
only up to an older witnessed one: the department names the witnessed checkpoint it
serves, so a rewritten history the witnesses refused must be reported as the fork it is,
not taken for their lag (review of issue 12, finding 2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liaison.errors import ForkDetected
from liaison.ledger import merkle
from liaison.ledger.cosignature import generate_cosigner, parse_cosigner, parse_witness_key
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.mirror import Trust, pull
from liaison.ledger.mirror_source import LogHead, ServedEntry
from liaison.ledger.mirror_store import MirrorFolder
from liaison.ledger.note_keys import generate_signer, parse_signer
from liaison.ledger.signed_note import split_note
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

ORIGIN = "hidden-fork.example/ledger"
AT = datetime(2025, 8, 14, 15, 0, tzinfo=UTC)


def _ledger(folder: Path, skey: str, tag: str, count: int) -> Ledger:
    folder.mkdir()
    engine = open_engine(f"sqlite:///{folder / 'ledger.db'}")
    upgrade(engine)
    ledger = Ledger(engine, ORIGIN, parse_signer(skey))
    ledger.append_many(
        [
            NewEntry("decision", {"n": i, "tag": tag}, "officer-1", recorded_at=AT)
            for i in range(count)
        ]
    )
    return ledger


class Source:
    """A department serving ``ledger``, naming ``witnessed`` as its newest witnessed one."""

    url = "http://department.example"

    def __init__(self, ledger: Ledger, latest: str, witnessed: str) -> None:
        self.ledger, self.latest, self.witnessed = ledger, latest, witnessed

    def head(self) -> LogHead:
        return LogHead(self.latest, self.witnessed)

    def kept_checkpoints(self, after: int) -> Iterator[str]:
        return iter([self.witnessed])

    def entries(self, start: int, stop: int) -> Iterator[list[ServedEntry]]:
        bodies = [self.ledger.entry(i).body for i in range(start, stop)]
        yield [
            ServedEntry(start + i, body.decode(), merkle.leaf_hash(body))
            for i, body in enumerate(bodies)
        ]

    def consistency(self, old: int, new: int) -> list[bytes]:
        return self.ledger.consistency_proof(old, new).hashes


@pytest.mark.parametrize("rewritten_size", [30, 40])
def test_a_signed_rewrite_behind_an_old_witnessed_checkpoint_is_a_fork(
    tmp_path: Path, rewritten_size: int
) -> None:
    skey, _ = generate_signer(ORIGIN)
    honest = _ledger(tmp_path / "honest", skey, "honest", 30)
    cosigner_key, witness_vkey = generate_cosigner("witness.example")
    note = honest.checkpoint().note
    cosigned = note + parse_cosigner(cosigner_key).cosign(split_note(note)[0], 1_760_000_000)
    folder = MirrorFolder(tmp_path / "copy")
    trust = Trust(parse_signer(skey).verifier, [parse_witness_key(witness_vkey)], 1)
    first = pull(Source(honest, cosigned, cosigned), folder, trust)
    assert (first.size, first.said) == (30, "")

    # The same key signs a rewritten history, which no witness cosigns; the department
    # still names the honest cosigned checkpoint as its newest witnessed one.
    rewritten = _ledger(tmp_path / "forged", skey, "rewritten", rewritten_size)
    forged = rewritten.checkpoint().note
    with pytest.raises(ForkDetected, match="FORK") as caught:
        pull(Source(rewritten, forged, cosigned), folder, trust)
    assert Path(caught.value.evidence).parent == tmp_path / "copy" / "forks"
    assert folder.load(Source.url).size == 30  # the copy kept as it was
