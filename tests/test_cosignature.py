"""Cosignatures (C2SP tlog-cosignature, Ed25519 type 0x04): keys, lines and checks, with
the key ID and the signed message recomputed here from the spec's text."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from liaison.errors import InvalidKey, SignatureError
from liaison.ledger.checkpoint import Checkpoint, sign_checkpoint
from liaison.ledger.cosignature import (
    Cosigner,
    generate_cosigner,
    parse_cosigner,
    parse_witness_key,
    require_cosignatures,
    verify_cosignatures,
)
from liaison.ledger.note_keys import generate_signer, parse_signer

BODY = Checkpoint("example.org/log", 5, bytes(range(32))).body()


def _note() -> str:
    skey, _ = generate_signer("example.org/log")
    return sign_checkpoint(Checkpoint("example.org/log", 5, bytes(range(32))), parse_signer(skey))


def test_line_matches_the_spec() -> None:
    skey, vkey = generate_cosigner("witness.example/w1")
    line = parse_cosigner(skey).cosign(BODY, 1679315147)
    name, encoded = line[len("\u2014 ") : -1].split(" ")
    assert line.startswith("\u2014 witness.example/w1 ")
    assert line.endswith("\n")
    raw = base64.b64decode(encoded)
    public = base64.b64decode(vkey.split("+", 2)[2])
    assert public[0] == 0x04
    assert len(raw) == 4 + 8 + 64
    expected_id = hashlib.sha256(name.encode() + b"\n" + public).digest()[:4]
    assert raw[:4] == expected_id
    assert vkey.split("+")[1] == expected_id.hex()
    assert int.from_bytes(raw[4:12], "big") == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + BODY.encode()
    Ed25519PublicKey.from_public_bytes(public[1:]).verify(raw[12:], message)


def test_verify_and_require() -> None:
    note = _note()
    s1, v1 = generate_cosigner("w1.example")
    s2, v2 = generate_cosigner("w2.example")
    text = note[: note.rfind("\n\n") + 1]
    cosigned = note + parse_cosigner(s1).cosign(text, 100) + parse_cosigner(s2).cosign(text, 200)
    keys = [parse_witness_key(v1), parse_witness_key(v2)]
    found = verify_cosignatures(cosigned, keys)
    assert [(c.witness, c.timestamp) for c in found] == [("w1.example", 100), ("w2.example", 200)]
    assert verify_cosignatures(note, keys) == []
    assert len(require_cosignatures(cosigned, keys, 2)) == 2
    with pytest.raises(SignatureError, match="cosigned by 0 of the 2 witnesses"):
        require_cosignatures(note, keys, 1)
    with pytest.raises(SignatureError, match="only 2 witness key"):
        require_cosignatures(cosigned, keys, 3)


def test_a_forged_or_moved_cosignature_fails() -> None:
    note = _note()
    skey, vkey = generate_cosigner("w1.example")
    other = Checkpoint("example.org/log", 6, bytes(32)).body()
    moved = note + parse_cosigner(skey).cosign(other, 100)  # cosigned another tree
    with pytest.raises(SignatureError, match=r"invalid cosignature by w1\.example"):
        verify_cosignatures(moved, [parse_witness_key(vkey)])


def test_keys_are_checked() -> None:
    skey, vkey = generate_cosigner("w1.example")
    _, log_vkey = generate_signer("w1.example")
    with pytest.raises(InvalidKey, match="signature type 0x01, expected 0x04"):
        parse_witness_key(log_vkey)
    with pytest.raises(InvalidKey, match="secret witness key"):
        parse_witness_key(skey)
    name, kid, data = vkey.split("+", 2)
    with pytest.raises(InvalidKey, match="does not match the key"):
        parse_witness_key(f"{name}+{int(kid, 16) ^ 1:08x}+{data}")
    assert parse_witness_key(vkey).vkey == vkey


def test_one_key_under_two_names_is_one_witness() -> None:
    """The Ed25519 cosigned message does not name the witness: a line copied under a second
    name of the same key verifies, and must not count as a second witness."""
    note = _note()
    text = note[: note.rfind("\n\n") + 1]
    skey, vkey = generate_cosigner("w1.example")
    first = parse_cosigner(skey)
    alias = Cosigner("w2.example", first._private)  # the same private key, another name
    relabelled = note + first.cosign(text, 100) + alias.cosign(text, 100)
    keys = [parse_witness_key(vkey), alias.witness_key]
    assert [c.witness for c in verify_cosignatures(relabelled, keys)] == ["w1.example"]
    with pytest.raises(SignatureError, match="only 1 witness key"):
        require_cosignatures(relabelled, keys, 2)
