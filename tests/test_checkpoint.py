"""``liaison.ledger.checkpoint`` against c2sp.org/tlog-checkpoint and Go's sumdb/tlog.

Test vectors (public, not ours):

- golang/mod ``sumdb/tlog/note_test.go`` (commit 774e77886cf18ba9e220baec8497d65b0c50373f),
  ``TestFormatTree`` / ``TestParseTree``: size 123456789012, root = RecordHash("hello
  world") = SHA-256(0x00 || "hello world"), and its bad trees.
- A real checkpoint of sum.golang.org "retrieved from https://sum.golang.org/latest,
  2024-09-23", from sigsum/sigsum-go ``pkg/checkpoint/checkpoint_test.go``
  (``TestGoSumDBCheckpoint``), verified with the sum.golang.org verifier key that Go
  ships in golang/go ``src/cmd/go/internal/modfetch/key.go``.
- c2sp.org/tlog-checkpoint (``tlog-checkpoint.md``, C2SP/C2SP commit
  2793893976c835db049c194d8f2c4f946dcb70ba), the opening example (key not published).
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import InvalidCheckpoint, LiaisonError, MalformedNote, NoteError, SignatureError
from liaison.ledger.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    claimed_size,
    open_checkpoint,
    parse_checkpoint_body,
    sign_checkpoint,
)
from liaison.ledger.note_keys import (
    Signer,
    Verifier,
    generate_signer,
    parse_signer,
    parse_verifier,
)
from liaison.ledger.signed_note import open_note, sign_note

EM = "\u2014"

# golang/mod sumdb/tlog/note_test.go
GO_TREE = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
GO_BAD_TREES = [
    "not-" + GO_TREE,  # a valid checkpoint of another origin: see test_go_bad_trees
    "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
    "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
]

# sum.golang.org, via sigsum/sigsum-go TestGoSumDBCheckpoint; key from cmd/go modfetch/key.go.
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n"
    "30055305\n"
    "mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=\n"
    "\n"
    f"{EM} sum.golang.org Az3grpgEild5qw7+5dtV13Kf1C2Xurm8q4fhdxvcsDHnqNTaxL2AFjBY+2TyGKevucFcA"
    "AlWFJJYle3EJlDCrQ+y3A8=\n"
)

# c2sp.org/tlog-checkpoint, the opening example.
C2SP_CHECKPOINT = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    f"{EM} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)

ORIGIN = "liaison.example/dc-mpd/ledger"
ROOT = hashlib.sha256(b"liaison").digest()
URLSAFE_ROOT = base64.urlsafe_b64encode(b"\xff" * 32).decode()  # "_" and "-", not "/" and "+"


@pytest.fixture(scope="module")
def keys() -> tuple[Signer, Verifier]:
    skey, vkey = generate_signer(ORIGIN)
    return parse_signer(skey), parse_verifier(vkey)


# --------------------------------------------------------------------------- Go vectors


def test_go_format_tree() -> None:
    root = hashlib.sha256(b"\x00hello world").digest()  # tlog.RecordHash: RFC 6962 leaf
    assert Checkpoint("go.sum database tree", 123456789012, root).body() == GO_TREE


def test_go_parse_tree() -> None:
    cp = parse_checkpoint_body(GO_TREE)
    assert cp == Checkpoint(
        "go.sum database tree", 123456789012, hashlib.sha256(b"\x00hello world").digest()
    )


def test_go_bad_trees() -> None:
    # Go's ParseTree checks the origin itself; here it is checked by open_checkpoint.
    assert parse_checkpoint_body(GO_BAD_TREES[0]).origin == "not-go.sum database tree"
    with pytest.raises(InvalidCheckpoint, match="'0xabcdef' is not a decimal number"):
        parse_checkpoint_body(GO_BAD_TREES[1])
    with pytest.raises(InvalidCheckpoint, match="is not valid base64"):
        parse_checkpoint_body(GO_BAD_TREES[2])


def test_go_trailing_junk() -> None:
    # Go's ParseTree ignores what follows the root line; tlog-checkpoint makes complete
    # lines extension lines, and a body must end in a newline.
    assert parse_checkpoint_body(GO_TREE + "JOE\n").extensions == ("JOE",)
    assert parse_checkpoint_body(GO_TREE + "JOE\n" * 1000).extensions == ("JOE",) * 1000
    with pytest.raises(InvalidCheckpoint, match="must end with a newline"):
        parse_checkpoint_body(GO_TREE + "JOE")


def test_sumdb_checkpoint_verifies() -> None:
    verifier = parse_verifier(SUMDB_VKEY)
    cp = open_checkpoint(SUMDB_CHECKPOINT, verifier, origin="go.sum database tree")
    assert cp.origin == "go.sum database tree"
    assert cp.size == 30055305
    assert cp.root == base64.b64decode("mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=")
    assert cp.extensions == ()
    assert cp.body() == SUMDB_CHECKPOINT.split("\n\n")[0] + "\n"


def test_sumdb_checkpoint_wrong_origin() -> None:
    verifier = parse_verifier(SUMDB_VKEY)
    with pytest.raises(InvalidCheckpoint, match=r"from origin 'go\.sum database tree', expected"):
        open_checkpoint(SUMDB_CHECKPOINT, verifier, origin="sum.golang.org")


def test_sumdb_checkpoint_tampered_size() -> None:
    verifier = parse_verifier(SUMDB_VKEY)
    with pytest.raises(SignatureError, match=r"invalid signature for key sum\.golang\.org"):
        open_checkpoint(SUMDB_CHECKPOINT.replace("30055305", "30055306"), verifier)


# --------------------------------------------------------------------------- C2SP vector


def test_c2sp_example_body() -> None:
    cp = parse_checkpoint_body(C2SP_CHECKPOINT.split("\n\n")[0] + "\n")
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert len(cp.root) == 32


def test_c2sp_example_other_key_same_name_rejected(keys: tuple[Signer, Verifier]) -> None:
    """Our key named like the log: the example's signature has another key ID, ignored."""
    impostor = parse_verifier(generate_signer("example.com/behind-the-sofa")[1])
    with pytest.raises(SignatureError, match="no signature by a known key"):
        open_checkpoint(C2SP_CHECKPOINT, impostor)


# --------------------------------------------------------------------------- round trips


def test_sign_open_round_trip(keys: tuple[Signer, Verifier]) -> None:
    signer, verifier = keys
    cp = Checkpoint(ORIGIN, 42, ROOT, ("ext one", "ext=two"))
    note = sign_checkpoint(cp, signer)
    assert note.startswith(cp.body() + "\n" + f"{EM} {ORIGIN} ")
    assert open_checkpoint(note, verifier, origin=ORIGIN) == cp
    assert open_checkpoint(note.encode(), verifier) == cp
    assert open_note(note, [verifier]) == (cp.body(), [ORIGIN])


def test_empty_tree(keys: tuple[Signer, Verifier]) -> None:
    signer, verifier = keys
    empty = Checkpoint(ORIGIN, 0, hashlib.sha256(b"").digest())  # RFC 6962 MTH({})
    assert empty.body() == f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert open_checkpoint(sign_checkpoint(empty, signer), verifier) == empty


def test_same_name_other_key_rejected(keys: tuple[Signer, Verifier]) -> None:
    _, verifier = keys
    impostor = parse_signer(generate_signer(ORIGIN)[0])
    note = sign_checkpoint(Checkpoint(ORIGIN, 7, ROOT), impostor)
    with pytest.raises(SignatureError, match="no signature by a known key"):
        open_checkpoint(note, verifier, origin=ORIGIN)


def test_signed_by_known_key_but_not_a_checkpoint(keys: tuple[Signer, Verifier]) -> None:
    signer, verifier = keys
    with pytest.raises(InvalidCheckpoint, match="has 2 line"):
        open_checkpoint(sign_note(f"{ORIGIN}\n5\n", signer), verifier)


def test_malformed_note_is_refused(keys: tuple[Signer, Verifier]) -> None:
    _, verifier = keys
    with pytest.raises(MalformedNote, match="no blank line"):
        open_checkpoint(Checkpoint(ORIGIN, 1, ROOT).body(), verifier)


def test_tampering_any_body_character_invalidates(keys: tuple[Signer, Verifier]) -> None:
    signer, verifier = keys
    cp = Checkpoint(ORIGIN, 1234567, ROOT, ("extension",))
    note = sign_checkpoint(cp, signer)
    body = cp.body()
    for index, original in enumerate(body):
        for replacement in {"x", "0", "\n", "+", " "} - {original}:
            tampered = note[:index] + replacement + note[index + 1 :]
            with pytest.raises(NoteError):
                open_checkpoint(tampered, verifier, origin=ORIGIN)
    # Dropping or inserting a character anywhere in the body, too.
    for index in range(len(body)):
        with pytest.raises(NoteError):
            open_checkpoint(note[:index] + note[index + 1 :], verifier)
        with pytest.raises(NoteError):
            open_checkpoint(note[:index] + "1" + note[index:], verifier)


# --------------------------------------------------------------------------- strict parsing


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "must end with a newline"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}", "must end with a newline"),
        (f"{ORIGIN}\n1\n", "has 2 line(s)"),
        ("\n", "has 1 line(s)"),
        ("\n1\nAAAA\n", "checkpoint origin is empty"),
        (f"{ORIGIN}\n01\n{base64.b64encode(ROOT).decode()}\n", "'01' has leading zeros"),
        (f"{ORIGIN}\n00\n{base64.b64encode(ROOT).decode()}\n", "'00' has leading zeros"),
        (f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n", "'-1' is negative"),
        (f"{ORIGIN}\n-0\n{base64.b64encode(ROOT).decode()}\n", "'-0' is negative"),
        (f"{ORIGIN}\n+1\n{base64.b64encode(ROOT).decode()}\n", "'+1' is not a decimal"),
        (f"{ORIGIN}\n 1\n{base64.b64encode(ROOT).decode()}\n", "' 1' is not a decimal"),
        (f"{ORIGIN}\n1_000\n{base64.b64encode(ROOT).decode()}\n", "'1_000' is not a decimal"),
        (f"{ORIGIN}\n\u0661\n{base64.b64encode(ROOT).decode()}\n", "is not a decimal"),
        (f"{ORIGIN}\n1.0\n{base64.b64encode(ROOT).decode()}\n", "'1.0' is not a decimal"),
        (f"{ORIGIN}\n\n{base64.b64encode(ROOT).decode()}\n", "'' is not a decimal"),
        (f"{ORIGIN}\n{2**64}\n{base64.b64encode(ROOT).decode()}\n", "larger than 2**64-1"),
        (f"{ORIGIN}\n{'9' * 5000}\n{base64.b64encode(ROOT).decode()}\n", "of 5000 digits"),
        (f"{ORIGIN}\n1\n\n", "root hash '' is not valid base64"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()[:-1]}\n", "not valid base64"),
        (f"{ORIGIN}\n1\n{URLSAFE_ROOT}\n", "not valid base64"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()} \n", "not valid base64"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", "31 bytes, expected 32"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT + b'x').decode()}\n", "33 bytes, expected 32"),
        (
            f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()[:-2]}B=\n",  # spare bits set
            "not valid base64",
        ),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n\n", "extension line 1 is empty"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\na\n\n", "extension line 2 is empty"),
        (f"{ORIGIN}\r\n1\n{base64.b64encode(ROOT).decode()}\n", "control character U+000D"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\nx\ty\n", "control character U+0009"),
        ("\udc80\n1\n" + base64.b64encode(ROOT).decode() + "\n", "not valid UTF-8"),
    ],
)
def test_malformed_bodies(body: str, message: str) -> None:
    with pytest.raises(InvalidCheckpoint, match=re.escape(message)) as info:
        parse_checkpoint_body(body)
    assert info.value.code == "invalid_checkpoint"
    assert isinstance(info.value, LiaisonError)


def test_claimed_size_reads_line_2_and_never_thousands_of_digits() -> None:
    """The size a note claims before it is verified: -1 for what no checkpoint holds, a
    number over Python's 4300-digit int() limit included (no ValueError)."""
    root = base64.b64encode(ROOT).decode()
    assert claimed_size(f"{ORIGIN}\n{MAX_TREE_SIZE}\n{root}\n\n\u2014 x AAAA\n") == MAX_TREE_SIZE
    for size in ("9" * 5000, "0" * 4999 + "7", "-1", "\u0661", ""):
        assert claimed_size(f"{ORIGIN}\n{size}\n{root}\n\n\u2014 x AAAA\n") == -1, size[:9]
    assert claimed_size(f"{ORIGIN}\n7") == -1
    assert claimed_size(None) == -1


def test_largest_tree_size() -> None:
    cp = Checkpoint(ORIGIN, MAX_TREE_SIZE, ROOT)
    assert parse_checkpoint_body(cp.body()) == cp
    assert "18446744073709551615" in cp.body()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origin": ""}, "checkpoint origin is empty"),
        ({"origin": "a\nb"}, "checkpoint origin contains a newline"),
        ({"origin": 5}, "checkpoint origin must be a string"),
        ({"size": -1}, "outside 0..2**64-1"),
        ({"size": 2**64}, "outside 0..2**64-1"),
        ({"size": True}, "must be an int"),
        ({"size": 1.0}, "must be an int"),
        ({"root": ROOT[:31]}, "31 bytes, expected 32"),
        ({"root": bytearray(ROOT)}, "must be bytes"),
        ({"root": ROOT.hex()}, "must be bytes"),
        ({"extensions": ["a"]}, "must be a tuple"),
        ({"extensions": ("",)}, "extension line 1 is empty"),
        ({"extensions": ("a", "b\nc")}, "extension line 2 contains a newline"),
        ({"extensions": ("a", 1)}, "extension line 2 must be a string"),
    ],
)
def test_checkpoint_constructor_refuses(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"origin": ORIGIN, "size": 1, "root": ROOT, **kwargs}
    with pytest.raises(InvalidCheckpoint, match=re.escape(message)):
        Checkpoint(**fields)  # type: ignore[arg-type]


def test_sign_checkpoint_needs_a_checkpoint(keys: tuple[Signer, Verifier]) -> None:
    with pytest.raises(TypeError, match="not a Checkpoint"):
        sign_checkpoint(GO_TREE, keys[0])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties

_line = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    origin=_line,
    size=st.integers(0, MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_line, max_size=3).map(tuple),
)
def test_round_trip_property(
    keys: tuple[Signer, Verifier],
    origin: str,
    size: int,
    root: bytes,
    extensions: tuple[str, ...],
) -> None:
    signer, verifier = keys
    cp = Checkpoint(origin, size, root, extensions)
    assert parse_checkpoint_body(cp.body()) == cp
    assert open_checkpoint(sign_checkpoint(cp, signer), verifier, origin=origin) == cp


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_tampering_property(keys: tuple[Signer, Verifier], data: st.DataObject) -> None:
    signer, verifier = keys
    cp = Checkpoint(
        data.draw(_line, label="origin"),
        data.draw(st.integers(0, MAX_TREE_SIZE), label="size"),
        data.draw(st.binary(min_size=32, max_size=32), label="root"),
    )
    note = sign_checkpoint(cp, signer)
    index = data.draw(st.integers(0, len(cp.body()) - 1), label="index")
    replacement = data.draw(st.characters(exclude_categories=["Cs"]), label="replacement")
    if replacement == note[index]:
        return
    with pytest.raises(NoteError):  # the signature is checked before the body is parsed
        open_checkpoint(note[:index] + replacement + note[index + 1 :], verifier)
