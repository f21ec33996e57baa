"""A witness's answers scripted for the client's tests (``httpx.MockTransport``): each
request is parsed as C2SP tlog-witness specifies its body and recorded; the answers are
given in order (a status with a body, a cosignature by the witness's key, or a network
failure). Not a witness: the real one (``liaison.witness``) is in test_witness_attack.py."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from liaison.ledger.cosignature import Cosigner, generate_cosigner, parse_cosigner
from liaison.ledger.witness_list import Witness

Answer = Callable[["Request"], httpx.Response]


@dataclass(frozen=True)
class Request:
    """An ``add-checkpoint`` body as the spec lays it out."""

    old: int
    proof: list[bytes]
    note: str

    @property
    def text(self) -> str:
        """The checkpoint's note text (without its signature lines)."""
        return self.note[: self.note.index("\n\n") + 1]


def parse_request(body: bytes) -> Request:
    head, _, note = body.decode().partition("\n\n")  # the first empty line ends the proof
    lines = head.split("\n")
    assert lines[0].startswith("old "), lines
    return Request(int(lines[0][4:]), [base64.b64decode(x) for x in lines[1:]], note)


def size(n: int) -> Answer:
    """409 with the witness's latest size, as ``text/x.tlog.size``."""
    return conflict(f"{n}\n")


def conflict(text: str, kind: str = "text/x.tlog.size") -> Answer:
    return lambda _: httpx.Response(409, text=text, headers={"content-type": kind})


def status(code: int, text: str = "") -> Answer:
    return lambda _: httpx.Response(code, text=text)


def down(_: Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


@dataclass
class ScriptedWitness:
    """A witness key and the answers to give, in order; the requests it got."""

    name: str = "witness.example/w1"
    answers: list[Answer] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    cosigner: Cosigner = field(init=False)
    vkey: str = field(init=False)
    timestamp: int = 1_700_000_000

    def __post_init__(self) -> None:
        skey, self.vkey = generate_cosigner(self.name)
        self.cosigner = parse_cosigner(skey)

    @property
    def witness(self) -> Witness:
        from liaison.ledger.cosignature import parse_witness_key

        return Witness("http://witness.test/prefix", parse_witness_key(self.vkey))

    def cosign(self, request: Request) -> httpx.Response:
        self.timestamp += 1
        return httpx.Response(200, text=self.cosigner.cosign(request.text, self.timestamp))

    def handle(self, http_request: httpx.Request) -> httpx.Response:
        assert http_request.method == "POST"
        assert http_request.url.path == "/prefix/add-checkpoint"
        request = parse_request(http_request.content)
        self.requests.append(request)
        if self.answers:
            return self.answers.pop(0)(request)
        return self.cosign(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))
