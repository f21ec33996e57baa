"""``liaison mirror`` while witnesses lag and across a key rotation (docs/ledger.md,
"Mirroring the ledger"): a pull whose latest checkpoint is not cosigned yet goes up to the
newest kept checkpoint that is and says so, a forged cosignature refuses it; a rotation
recorded with the ledger's own code is followed from the pinned key (state.json records
the current key), one signed by a key the mirror did not trust is refused naming its
entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaison.api.witnessing import Witnessing
from liaison.errors import MirrorError
from liaison.ledger.cosignature import generate_cosigner, parse_cosigner, parse_witness_key
from liaison.ledger.key_rotation import rotate_key, rotation_entry
from liaison.ledger.keys import load_signer, load_vkey
from liaison.ledger.log import Ledger
from liaison.ledger.mirror import Trust, pull
from liaison.ledger.mirror_source import LogHead, LogSource
from liaison.ledger.mirror_store import MirrorFolder
from liaison.ledger.note_keys import generate_signer, parse_signer, parse_verifier
from liaison.ledger.signed_note import split_note
from liaison.ledger.signer_memory import Signed, SignerMemory
from liaison.ledger.signing import add_cosignatures
from liaison.ledger.witness_list import Witness
from test_mirror import ORIGIN, Served, mirror, served, snapshot, state  # noqa: F401

ONE_SKEY, ONE = generate_cosigner("witness.example/one")
TWO_SKEY, TWO = generate_cosigner("witness.example/two")


def _witnessed_deployment(site: Served) -> None:
    """The deployment publishes the cosignatures of witnesses one and two (never started
    here: nothing is sent to them)."""
    ledger = site.services.gateway.ledger
    witnesses = [Witness("http://127.0.0.1:9", parse_witness_key(k)) for k in (ONE, TWO)]
    site.services.witnessing = Witnessing(ledger, witnesses, lambda *_: None)


def _cosign(site: Served, size: int) -> None:
    ledger = site.services.gateway.ledger
    stored = next(c for c in ledger.checkpoints() if c.size == size)
    text, _ = split_note(stored.note)
    lines = [parse_cosigner(k).cosign(text, 17) for k in (ONE_SKEY, TWO_SKEY)]
    add_cosignatures(ledger.engine, size, lines)


def test_a_pull_goes_up_to_the_newest_witnessed_checkpoint(
    served: Served,  # noqa: F811
    tmp_path: Path,
) -> None:
    _witnessed_deployment(served)
    ledger = served.services.gateway.ledger
    ledger.checkpoint()
    _cosign(served, 40)
    served.add(5, "later")
    ledger.checkpoint()  # 45: signed, not cosigned yet
    copy = tmp_path / "copy"
    got = mirror(served, copy, "--witness", ONE, "--witness", TWO)
    assert got.exit_code == 0, got.output
    assert (
        "the latest checkpoint (45 entries) is not witnessed yet (cosigned by 0 of the 2 "
        "witnesses given (none); 2 required): pulled up to checkpoint 40, the newest that is; "
        "the 5 entries after it are not pulled"
    ) in got.stdout
    assert "40 new entries: 40 entries" in got.stdout
    assert state(copy)["size"] == 40
    _cosign(served, 45)  # the witnesses caught up
    later = mirror(served, copy, "--witness", ONE, "--witness", TWO)
    assert later.exit_code == 0, later.output
    assert "5 new entries: 45 entries" in later.stdout
    assert "not witnessed yet" not in later.stdout


def test_nothing_witnessed_is_refused(served: Served, tmp_path: Path) -> None:  # noqa: F811
    _witnessed_deployment(served)
    served.services.gateway.ledger.checkpoint()
    copy = tmp_path / "copy"
    got = mirror(served, copy, "--witness", ONE, "--witness", TWO)
    assert got.exit_code == 1
    assert "no kept checkpoint of at least the copy's 0 entries is" in got.stderr
    assert not (copy / "state.json").exists()


class _ForgedLine(LogSource):
    """A log whose latest checkpoint carries witness two's line over another text."""

    def head(self) -> LogHead:
        forged = parse_cosigner(TWO_SKEY).cosign("another text\n", 17)
        head = super().head()
        return LogHead(head.latest + forged, head.witnessed)


def test_a_forged_cosignature_refuses_the_pull(served: Served, tmp_path: Path) -> None:  # noqa: F811
    _witnessed_deployment(served)
    served.services.gateway.ledger.checkpoint()
    _cosign(served, 40)
    key = served.key_file.read_text().strip()
    witnesses = [parse_witness_key(ONE), parse_witness_key(TWO)]
    trust = Trust(parse_verifier(served.vkey), witnesses, 1)  # one would be enough
    copy = MirrorFolder(tmp_path / "copy")
    with pytest.raises(MirrorError, match=r"invalid cosignature by witness\.example/two"):
        pull(_ForgedLine(served.url, key), copy, trust)
    assert not (tmp_path / "copy" / "state.json").exists()


def _key_dir(site: Served) -> Path:
    settings = site.services.settings
    assert settings is not None
    return settings.key_dir


def test_the_mirror_pulls_across_a_key_rotation(served: Served, tmp_path: Path) -> None:  # noqa: F811
    copy, fresh = tmp_path / "copy", tmp_path / "fresh"
    assert mirror(served, copy).exit_code == 0
    old_vkey = served.vkey
    ledger = served.services.gateway.ledger
    keys = _key_dir(served)
    done = rotate_key(Ledger(ledger.engine, ORIGIN), keys, "admin-1", "yearly")
    served.add(3, "after")
    new_key = load_signer(keys)
    assert new_key is not None
    Ledger(ledger.engine, ORIGIN, new_key, SignerMemory(keys)).checkpoint()
    new_vkey = load_vkey(keys)
    got = mirror(served, copy, vkey=old_vkey)
    assert got.exit_code == 0, got.output
    assert f"followed the key rotation at entry {done.entry}" in got.stdout
    assert f"signed by {new_vkey}" in got.stdout
    kept = state(copy)
    assert kept["vkey"] == new_vkey
    assert [(r["index"], r["old_vkey"], r["new_vkey"]) for r in kept["rotations"]] == [
        (done.entry, old_vkey, new_vkey)
    ]
    assert kept["size"] == done.entry + 4
    # the next pull, with the old key still pinned, goes on with the new one
    served.add(2, "more")
    Ledger(ledger.engine, ORIGIN, new_key, SignerMemory(keys)).checkpoint()
    again = mirror(served, copy, vkey=old_vkey)
    assert again.exit_code == 0, again.output
    assert "2 new entries" in again.stdout
    # a new copy, from nothing, crosses it too; and so does one pinning the new key
    assert mirror(served, fresh, vkey=old_vkey).exit_code == 0
    assert mirror(served, copy, vkey=new_vkey).exit_code == 0


def test_a_rotation_by_a_key_the_mirror_did_not_trust_is_refused(
    served: Served,  # noqa: F811
    tmp_path: Path,
) -> None:
    copy = tmp_path / "copy"
    assert mirror(served, copy).exit_code == 0
    before = snapshot(copy)
    ledger = served.services.gateway.ledger
    mallory = parse_signer(generate_signer(ORIGIN)[0])
    successor = parse_signer(generate_signer(ORIGIN)[0])
    size, root = ledger.head()
    last = Signed(ORIGIN, mallory.verifier.vkey, size, root, None)
    index = ledger.append(rotation_entry(ORIGIN, mallory, successor, last, "m", "forged")).index
    Ledger(ledger.engine, ORIGIN, successor).checkpoint()
    got = mirror(served, copy)
    assert got.exit_code == 1
    assert f"entry {index}: key_rotation: not signed by a key trusted here" in got.stderr
    assert snapshot(copy) == before


def test_a_rotation_naming_another_tree_is_refused(served: Served, tmp_path: Path) -> None:  # noqa: F811
    copy = tmp_path / "copy"
    assert mirror(served, copy).exit_code == 0
    before = snapshot(copy)
    ledger = served.services.gateway.ledger
    old = load_signer(_key_dir(served))
    assert old is not None
    successor = parse_signer(generate_signer(ORIGIN)[0])
    size, _ = ledger.head()
    elsewhere = Signed(ORIGIN, old.verifier.vkey, size, bytes(32), None)
    index = ledger.append(rotation_entry(ORIGIN, old, successor, elsewhere, "m", "x")).index
    Ledger(ledger.engine, ORIGIN, successor).checkpoint()
    got = mirror(served, copy)
    assert got.exit_code == 1
    assert f"entry {index}: key_rotation: record.root is not the root" in got.stderr
    assert snapshot(copy) == before


@pytest.mark.parametrize("honest", [True, False], ids=["its tree", "another tree"])
def test_a_rotation_naming_an_older_tree_is_proved_against_the_copy(
    served: Served,  # noqa: F811
    tmp_path: Path,
    honest: bool,
) -> None:
    """The rotation names the tree of 40 entries, appended at 43: its root is proved by a
    consistency proof to the copy's (signed) root, not taken from the entry."""
    copy = tmp_path / "copy"
    ledger = served.services.gateway.ledger
    size, root = ledger.head()
    assert mirror(served, copy).exit_code == 0
    served.add(3, "between")
    old = load_signer(_key_dir(served))
    assert old is not None
    successor = parse_signer(generate_signer(ORIGIN)[0])
    last = Signed(ORIGIN, old.verifier.vkey, size, root if honest else bytes(32), None)
    index = ledger.append(rotation_entry(ORIGIN, old, successor, last, "m", "x")).index
    assert index == size + 3
    Ledger(ledger.engine, ORIGIN, successor).checkpoint()
    got = mirror(served, copy)
    if honest:
        assert got.exit_code == 0, got.output
        assert state(copy)["vkey"] == successor.verifier.vkey
    else:
        assert got.exit_code == 1
        assert f"entry {index}: key_rotation: record.root is not the root" in got.stderr
