"""``liaison.ledger.note_keys`` and ``signed_note`` against c2sp.org/signed-note and Go's
golang.org/x/mod/sumdb/note.

Test vectors (public, not ours: if one stops verifying, this module is wrong):

- golang/mod ``sumdb/note/note_test.go`` (commit 02c991387e35f9e4c0a9b7ce137717055f8d716d):
  the PeterNeumann and EnochRoot keys, the signed "If you think cryptography..." note
  (``TestSign``, ``TestOpen``), the key manglings of ``TestNewVerifier`` and
  ``TestNewSigner``, and the bad messages of ``TestOpen``.
- c2sp.org/signed-note v1.1.0, "Example": the ``example.com/foo`` verifier key and note.
  The copies of ``signed-note.md`` that could be read for this work predate that section;
  the vector is quoted identically by several independent implementations, and it verifies.
- c2sp.org/signed-note (``signed-note.md``, C2SP/C2SP commit
  1f701bb5e6f2ca0e552518737773efb1f7e55f91): the opening "quasimodo" example, whose text
  contains a blank line of its own (its key is not published).
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import InvalidKey, LiaisonError, MalformedNote, NoteError, SignatureError
from liaison.ledger.note_keys import (
    Signer,
    Verifier,
    generate_signer,
    is_valid_key_name,
    key_id,
    parse_signer,
    parse_verifier,
    verifier_key,
)
from liaison.ledger.signed_note import MAX_SIGNATURES, open_note, sign_note

EM = "\u2014"

# golang/mod sumdb/note/note_test.go
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    f"{EM} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdn"
    "gotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    f"{EM} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnW"
    "Lox33WWd1RvMc+QQ=\n"
)
# TestOpen's badMsgs: a signature line (without its newline) whose key name has a space.
BAD_NAME_SIG = (
    f"{EM} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotp"
    "RZb6KE6RyyBwJnAM="
)
# TestSign's `want`.
PETER_NOTE = TEXT + "\n" + PETER_SIG

# c2sp.org/signed-note v1.1.0, "Example".
FOO_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
FOO_NOTE = (
    "This is an example message.\n\n"
    f"{EM} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOB"
    "H3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# c2sp.org/signed-note, the opening example (key not published).
QUASIMODO_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    f"{EM} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKO"
    "NrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


@pytest.fixture(scope="module")
def peter() -> Verifier:
    return parse_verifier(PETER_VKEY)


@pytest.fixture(scope="module")
def enoch() -> Verifier:
    return parse_verifier(ENOCH_VKEY)


@pytest.fixture(scope="module")
def peter_signer() -> Signer:
    return parse_signer(PETER_SKEY)


# --------------------------------------------------------------------------- Go vectors


def test_go_verifier_key_parses(peter: Verifier) -> None:
    assert peter.name == "PeterNeumann"
    assert peter.key_id == 0xC74F20A3
    assert peter.vkey == PETER_VKEY
    assert str(peter) == "PeterNeumann+c74f20a3"


def test_go_signer_key_parses_and_matches_verifier(peter_signer: Signer, peter: Verifier) -> None:
    assert peter_signer.name == "PeterNeumann"
    assert peter_signer.key_id == 0xC74F20A3
    assert peter_signer.verifier == peter
    assert "AYEK" not in repr(peter_signer)  # the seed never shows


def test_go_sign_is_byte_exact(peter_signer: Signer) -> None:
    """TestSign: Ed25519 is deterministic, so the note must be Go's, byte for byte."""
    assert sign_note(TEXT, peter_signer) == PETER_NOTE


def test_go_open_one_of_two_signatures(peter: Verifier) -> None:
    assert open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter]) == (TEXT, ["PeterNeumann"])


def test_go_open_both_signatures(peter: Verifier, enoch: Verifier) -> None:
    text, names = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter, enoch])
    assert text == TEXT
    assert names == ["PeterNeumann", "EnochRoot"]


def test_go_open_bytes_input(peter: Verifier) -> None:
    assert open_note(PETER_NOTE.encode(), [peter]) == (TEXT, ["PeterNeumann"])


def test_go_open_no_known_key(peter: Verifier) -> None:
    with pytest.raises(SignatureError, match="no signature by a known key") as info:
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    assert "PeterNeumann+c74f20a3" in info.value.message
    assert info.value.code == "bad_signature"


def test_go_open_duplicated_verifier_is_one_key(peter: Verifier, enoch: Verifier) -> None:
    # Go reports "ambiguous key" for the same verifier listed twice; here equal
    # verifiers are the same key, so the note opens.
    assert open_note(TEXT + "\n" + ENOCH_SIG, [enoch, peter, enoch])[1] == ["EnochRoot"]


def test_go_open_too_many_signatures(peter: Verifier) -> None:
    with pytest.raises(MalformedNote, match="more than 100"):
        open_note(TEXT + "\n" + PETER_SIG * 101, [peter])
    with pytest.raises(MalformedNote, match="more than 100"):
        open_note(TEXT + "\n" + PETER_SIG * 101, [])
    assert open_note(TEXT + "\n" + PETER_SIG * MAX_SIGNATURES, [peter])[0] == TEXT


def test_go_open_invalid_signature(peter: Verifier) -> None:
    bad = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(SignatureError, match=r"invalid signature for key PeterNeumann\+c74f20a3"):
        open_note(bad, [peter])


def test_go_open_duplicated_and_unknown_signatures(peter: Verifier) -> None:
    note = (
        TEXT
        + "\n"
        + PETER_SIG
        + PETER_SIG
        + ENOCH_SIG
        + ENOCH_SIG
        + ENOCH_SIG[:60]
        + "ABCD"
        + ENOCH_SIG[60:]
    )
    assert open_note(note, [peter]) == (TEXT, ["PeterNeumann"])


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (TEXT, "no blank line"),
        (TEXT + "\n", "no signature lines"),
        (TEXT + "\n" + PETER_SIG[:-1], "does not end with a newline"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character U+0001"),
        (BAD_NAME_SIG, "no blank line"),
        (
            TEXT + "\n" + BAD_NAME_SIG,
            "does not end with a newline",
        ),
        (
            TEXT + "\n" + BAD_NAME_SIG + "\n",
            "signature line 1 signature is not valid base64",  # name "Bad", base64 "Name ..."
        ),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "line 2 does not start with an em dash"),
    ],
)
def test_go_bad_messages(peter: Verifier, note: str, message: str) -> None:
    """TestOpen's badMsgs (and the signature-line variants of the bad-name case)."""
    with pytest.raises(MalformedNote, match=re.escape(message)):
        open_note(note, [peter])


def test_go_bad_message_not_utf8(peter: Verifier) -> None:
    with pytest.raises(MalformedNote, match="not valid UTF-8"):
        open_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), [peter])
    with pytest.raises(MalformedNote, match="not valid UTF-8"):
        open_note("\udcff" + TEXT + "\n" + PETER_SIG, [peter])


def test_go_misnamed_signature_is_unknown(peter: Verifier) -> None:
    misnamed = PETER_SIG.replace("PeterNeumann", "CarmenSandiego")
    with pytest.raises(SignatureError, match=r"CarmenSandiego\+c74f20a3"):
        open_note(TEXT + "\n" + misnamed, [peter])
    wrong_id = PETER_SIG.replace("x08g", "xxxx")
    with pytest.raises(SignatureError, match="no signature by a known key"):
        open_note(TEXT + "\n" + wrong_id, [peter])


def _manglings(key: str) -> list[str]:
    """TestNewVerifier / TestNewSigner: every proper substring, and every byte plus one."""
    out = [key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)]
    out.remove(key)
    out += [key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))]
    return out


def test_go_verifier_manglings_rejected() -> None:
    for mangled in _manglings(PETER_VKEY):
        with pytest.raises(InvalidKey):
            parse_verifier(mangled)


def test_go_verifier_bad_keys_with_adjusted_hash() -> None:
    # Wrong key length. Its last four characters "EY==" leave non-zero spare bits, which
    # Go's lenient decoder accepts and this module refuses before looking at the length.
    with pytest.raises(InvalidKey, match="key data is not valid base64"):
        parse_verifier("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    # The same with canonical base64 and the key ID computed over all the key bytes.
    raw = b"\x01" + bytes(range(33))
    adjusted = hashlib.sha256(b"PeterNeumann\n" + raw).hexdigest()[:8]
    with pytest.raises(InvalidKey, match="33 bytes, expected 32"):
        parse_verifier(f"PeterNeumann+{adjusted}+{base64.b64encode(raw).decode()}")
    with pytest.raises(InvalidKey, match="signature type 0x65, expected 0x01"):
        parse_verifier("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_go_signer_manglings_rejected() -> None:
    for mangled in _manglings(PETER_SKEY):
        with pytest.raises(InvalidKey):
            parse_signer(mangled)


# --------------------------------------------------------------------------- C2SP vectors


def test_c2sp_example_verifies() -> None:
    foo = parse_verifier(FOO_VKEY)
    assert foo.key_id == 0x530D903A
    assert open_note(FOO_NOTE, [foo]) == ("This is an example message.\n", ["example.com/foo"])


def test_c2sp_key_id_formula() -> None:
    """key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4], big-endian."""
    for vkey in (PETER_VKEY, ENOCH_VKEY, FOO_VKEY):
        name, hex_id, encoded = vkey.split("+", 2)
        raw = base64.b64decode(encoded)
        digest = hashlib.sha256(name.encode() + b"\n" + raw).digest()
        assert digest[:4].hex() == hex_id
        assert key_id(name, raw[1:]) == int(hex_id, 16)
        assert verifier_key(name, raw[1:]) == vkey


def test_c2sp_text_split_at_last_blank_line(peter_signer: Signer) -> None:
    # The key is unknown, so the note is refused, but only after parsing: the signature
    # line's name and key ID were read past the text's own blank line.
    with pytest.raises(SignatureError, match=r"signed by: quasimodo\.example/salvatore\+"):
        open_note(QUASIMODO_NOTE, [peter_signer.verifier])
    text = QUASIMODO_NOTE.split(f"\n\n{EM}")[0] + "\n"
    assert open_note(sign_note(text, peter_signer), [peter_signer.verifier])[0] == text


# --------------------------------------------------------------------------- keys


def test_generate_signer_round_trip() -> None:
    skey, vkey = generate_signer("liaison.example/dc-mpd/ledger")
    signer, verifier = parse_signer(skey), parse_verifier(vkey)
    assert skey.startswith("PRIVATE+KEY+liaison.example/dc-mpd/ledger+")
    assert signer.verifier == verifier
    assert verifier.vkey == vkey
    message = b"hi"
    signature = signer.sign(message)
    assert verifier.verify(message, signature)
    assert not verifier.verify(b"ho", signature)
    assert not verifier.verify(message, bytes([signature[0] ^ 1]) + signature[1:])
    assert not verifier.verify(message, signature[:-1])


@pytest.mark.parametrize(
    "name", ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2003b", "a\nb", "a\x01b", "\udc80"]
)
def test_bad_key_names(name: str) -> None:
    assert not is_valid_key_name(name)
    with pytest.raises(InvalidKey, match="invalid key name"):
        generate_signer(name)


def test_good_key_names() -> None:
    for name in ("a", "example.com/log42", "ülog", "—", "a=b/c:d"):
        assert is_valid_key_name(name)
        assert parse_verifier(generate_signer(name)[1]).name == name


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("", "must have the form"),
        ("PeterNeumann", "must have the form"),
        ("PeterNeumann+c74f20a3", "must have the form"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hexadecimal"),
        ("PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hexadecimal"),
        ("PeterNeumann+c74f20a3+", "not valid base64"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "not valid base64"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW", "not valid base64"),
        (
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
            "not valid base64",
        ),
        ("PeterNeumann+c74f20a3+AQ==", "0 bytes, expected 32"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        (PETER_SKEY, r"signer \(private\) key"),
    ],
)
def test_bad_verifier_keys(vkey: str, message: str) -> None:
    with pytest.raises(InvalidKey, match=message):
        parse_verifier(vkey)


def test_verifier_key_accepts_uppercase_hex_like_go() -> None:
    upper = PETER_VKEY.replace("c74f20a3", "C74F20A3")
    assert parse_verifier(upper) == parse_verifier(PETER_VKEY)


def test_non_canonical_base64_rejected(peter: Verifier) -> None:
    """68 signature bytes leave 2 spare bits in the last character: "M" is canonical, "N"
    decodes to the same bytes in lenient decoders (Go's included) but is refused here."""
    assert PETER_SIG.endswith("JnAM=\n")
    lenient = PETER_SIG.replace("JnAM=", "JnAN=")
    assert base64.b64decode(lenient[len(EM) + 14 :]) == base64.b64decode(PETER_SIG[len(EM) + 14 :])
    with pytest.raises(MalformedNote, match="not valid base64"):
        open_note(TEXT + "\n" + lenient, [peter])


@pytest.mark.parametrize(
    ("skey", "message"),
    [
        (PETER_VKEY, "must start with 'PRIVATE\\+KEY\\+'"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3", "must have the form"),
        (
            "private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            "PRIVATE",
        ),
        (
            "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            "signer key ID c74f20a4 does not match the key \\(expected c74f20a3\\)",
        ),
        (
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            "signature type 0x02, expected 0x01",
        ),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALV", "5 bytes, expected 32"),
    ],
)
def test_bad_signer_keys(skey: str, message: str) -> None:
    with pytest.raises(InvalidKey, match=message):
        parse_signer(skey)


def test_errors_are_liaison_errors() -> None:
    for cls, code in (
        (InvalidKey, "invalid_key"),
        (MalformedNote, "malformed_note"),
        (SignatureError, "bad_signature"),
    ):
        assert issubclass(cls, NoteError)
        assert issubclass(cls, LiaisonError)
        assert cls("x").to_dict() == {"code": code, "message": "x"}


# --------------------------------------------------------------------------- signing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must end with a newline"),
        ("no newline", "must end with a newline"),
        ("tab\there\n", "control character U+0009"),
        ("cr\r\n", "control character U+000D"),
        ("\udc80\n", "not valid UTF-8"),
    ],
)
def test_sign_refuses_bad_text(peter_signer: Signer, text: str, message: str) -> None:
    with pytest.raises(MalformedNote, match=re.escape(message)):
        sign_note(text, peter_signer)


def test_sign_needs_a_signer() -> None:
    with pytest.raises(ValueError, match="at least one signer"):
        sign_note(TEXT)


def test_sign_with_two_signers(peter_signer: Signer, peter: Verifier) -> None:
    other_skey, other_vkey = generate_signer("EnochRoot")
    other = parse_signer(other_skey)
    note = sign_note(TEXT, peter_signer, other)
    assert note.startswith(PETER_NOTE)
    assert open_note(note, [peter, parse_verifier(other_vkey)]) == (
        TEXT,
        ["PeterNeumann", "EnochRoot"],
    )
    assert open_note(note, [peter]) == (TEXT, ["PeterNeumann"])


def test_same_name_other_key_is_rejected(peter_signer: Signer) -> None:
    """A signature by another key with the same name is not the known key's signature."""
    impostor = parse_signer(generate_signer("PeterNeumann")[0])
    assert impostor.key_id != peter_signer.key_id
    forged = sign_note(TEXT, impostor)
    with pytest.raises(SignatureError, match="no signature by a known key"):
        open_note(forged, [peter_signer.verifier])


def test_same_name_and_key_id_other_key_fails_verification(peter_signer: Signer) -> None:
    """A forged line carrying the known name and key ID must be verified, and fails."""
    impostor = parse_signer(generate_signer("PeterNeumann")[0])
    signature = impostor.sign(TEXT.encode())
    payload = peter_signer.key_id.to_bytes(4, "big") + signature
    forged = TEXT + "\n" + f"{EM} PeterNeumann {base64.b64encode(payload).decode()}\n"
    with pytest.raises(SignatureError, match="invalid signature for key PeterNeumann"):
        open_note(forged, [peter_signer.verifier])
    # ... even when a good signature by the same key comes first (stricter than Go).
    with pytest.raises(SignatureError, match="invalid signature"):
        open_note(PETER_NOTE + forged.split("\n\n")[1], [peter_signer.verifier])


def test_ambiguous_verifiers(peter: Verifier) -> None:
    # Two distinct keys cannot be built with one name and key ID without a preimage,
    # so bypass the Verifier constructor's check to simulate a colliding key.
    twin = object.__new__(Verifier)
    for field, value in (
        ("name", peter.name),
        ("key_id", peter.key_id),
        ("public_key", b"\0" * 32),
    ):
        object.__setattr__(twin, field, value)
    with pytest.raises(SignatureError, match="ambiguous key"):
        open_note(PETER_NOTE, [peter, twin])


def test_verifier_constructor_checks_key_id(peter: Verifier) -> None:
    with pytest.raises(InvalidKey, match="does not match"):
        Verifier(peter.name, peter.key_id ^ 1, peter.public_key)
    with pytest.raises(InvalidKey, match="32 bytes"):
        Verifier(peter.name, peter.key_id, peter.public_key[:31])


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (f"{EM}PeterNeumann AAAAAAA=\n", "em dash and a space"),
        ("- PeterNeumann AAAAAAA=\n", "em dash and a space"),
        (f"{EM} PeterNeumann\n", "no signature after the key name"),
        (f"{EM} PeterNeumann \n", "no signature after the key name"),
        (f"{EM}  AAAAAAA=\n", "invalid key name ''"),
        (f"{EM} PeterNeumann AAAAAAA\n", "not valid base64"),
        (f"{EM} PeterNeumann AAAAAAB=\n", "not valid base64"),  # non-canonical
        (f"{EM} PeterNeumann AAAAAA==\n", "4 bytes, too short"),
        (f"{EM} PeterNeumann AAAAAAA= \n", "not valid base64"),
        ("\n", "no signature lines"),
        (f"{EM} PeterNeumann AAAAAAA=\n\n", "no signature lines"),
    ],
)
def test_malformed_signature_lines(peter: Verifier, block: str, message: str) -> None:
    with pytest.raises(MalformedNote, match=message):
        open_note(TEXT + "\n" + block, [peter])


def test_open_rejects_non_verifiers() -> None:
    with pytest.raises(TypeError):
        open_note(PETER_NOTE, [PETER_VKEY])  # type: ignore[list-item]


# --------------------------------------------------------------------------- properties

_line_chars = st.characters(exclude_categories=["Cs", "Cc"])
_texts = st.lists(st.text(_line_chars, max_size=40), min_size=1, max_size=6).map(
    lambda lines: "".join(f"{line}\n" for line in lines)
)


@settings(max_examples=100, deadline=None)
@given(text=_texts)
def test_sign_open_round_trip(peter_signer: Signer, text: str) -> None:
    note = sign_note(text, peter_signer)
    assert open_note(note, [peter_signer.verifier]) == (text, ["PeterNeumann"])
    assert open_note(note.encode("utf-8"), [peter_signer.verifier])[0] == text


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_single_change_is_refused(peter: Verifier, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(PETER_NOTE) - 1))
    replacement = data.draw(st.characters(exclude_categories=["Cs"]))
    if replacement == PETER_NOTE[index]:
        return
    tampered = PETER_NOTE[:index] + replacement + PETER_NOTE[index + 1 :]
    with pytest.raises(NoteError):
        open_note(tampered, [peter])
