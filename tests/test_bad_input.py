"""No 500 and no crash on bad input (issue 8, item 7), on each backend.

Every request body of the API and every line of ``liaison decide`` is read by one
validation (``liaison.model.json_input`` then the model): integers beyond ±(2^53−1),
lone surrogates, NUL and nesting beyond a limit are refused naming the field, by the API
and the CLI alike; bodies are bounded in size (413) and must be ``application/json``
(415); lists are bounded; a line nested 10,000 deep is one invalid line for
``liaison decide`` and a bad line for ``verify-bundle``, never a ``RecursionError``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from liaison.api.app import create_app
from liaison.api.openapi import openapi_document
from liaison.cli import app as cli_app
from liaison.gateway.roles import KeyRole
from liaison.ledger.entries import parse_body
from liaison.ledger.keys import keygen
from liaison.model.json_input import _clean, _problem
from liaison.settings import Settings
from test_api import NOON, Api, actor, api, assert_error, bearer, inquiry
from test_pack_changes import NEW

__all__ = ["api"]  # the module-scoped deployment of test_api, once per backend

SAFE = 2**53 - 1
DEEP = "[" * 10_000 + "]" * 10_000
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
POSTS = ["/v1/decisions", "/v1/events", "/v1/packs/changes"]


def stop(**outcome: Any) -> dict[str, Any]:
    encounter = {"kind": "traffic_stop", "id": "stop-bad-input", "outcome": outcome}
    return {"at": NOON, "kind": "encounter_ended", "actor": actor(), "encounter": encounter}


def change(**fields: Any) -> dict[str, Any]:
    return {"base": "sha256:0", "reason": "a test", "files": {NEW: "x"}, **fields}


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def post(api: Api, path: str, body: Any, content_type: str | None = "application/json") -> Response:
    """POST ``body`` as sent: bytes or text as they are, anything else as JSON with ASCII
    escapes (so a lone surrogate goes out as ``\\ud800``, as a client could send it)."""
    content = body if isinstance(body, bytes) else (body if isinstance(body, str) else None)
    raw = content if content is not None else json.dumps(body)
    headers = dict(_key(api, path))
    if content_type is not None:
        headers["content-type"] = content_type
    encoded = raw.encode() if isinstance(raw, str) else raw
    return api.client.post(path, content=encoded, headers=headers)


def _key(api: Api, path: str) -> dict[str, str]:
    if path == "/v1/packs/changes":
        return bearer(api.services.keys, KeyRole.ADMIN, "admin-1")
    return api.officer


def refused(response: Response, api: Api, before: int, field: Any) -> dict[str, Any]:
    error = assert_error(response, 422, "invalid_request", field)
    assert api.size() == before  # nothing recorded
    return error


# -- bodies refused naming the field (422, nothing recorded) ----------------------------------

# (id, path, body, field, what the message says). Every decision case is also a line that
# ``liaison decide`` refuses in the same words (one validation, below).
REFUSED: list[tuple[str, str, Any, str | None, str]] = [
    # integers beyond ±(2^53−1)
    (
        "event count",
        "/v1/events",
        stop(vehicles_stopped=2**53),
        "encounter.outcome.vehicles_stopped",
        "2^53",
    ),
    ("event count, 2^64", "/v1/events", stop(arrests=2**64), "encounter.outcome.arrests", "2^53"),
    ("event, unknown field", "/v1/events", {**stop(), "n": -(2**53)}, "n", "2^53"),
    ("unsafe integer", "/v1/decisions", {**inquiry("d"), "n": 2**53}, "n", "2^53"),
    (
        "unsafe integer in subject",
        "/v1/decisions",
        inquiry(
            "e", subject={"id": "p", "custody": "stopped", "federal_criminal_charge": -(2**60)}
        ),
        "subject.federal_criminal_charge",
        "2^53",
    ),
    ("pack change", "/v1/packs/changes", change(base=2**60), "base", "2^53"),
    (
        "pack change file",
        "/v1/packs/changes",
        change(files={NEW: -(2**53)}),
        f"files.{NEW}",
        "2^53",
    ),
    # lone surrogates
    ("pack file", "/v1/packs/changes", change(files={NEW: "x\ud800"}), f"files.{NEW}", "surrogate"),
    ("pack reason", "/v1/packs/changes", change(reason="\udfff"), "reason", "surrogate"),
    (
        "decision subject.id",
        "/v1/decisions",
        inquiry("s", subject={"id": "\ud800", "custody": "stopped"}),
        "subject.id",
        "surrogate",
    ),
    (
        "surrogate in actor.agency",
        "/v1/decisions",
        inquiry("c", actor={**actor(), "agency": "\ud800"}),
        "actor.agency",
        "surrogate",
    ),
    ("decision id", "/v1/decisions", inquiry("\udc80"), "id", "surrogate"),
    (
        "decision member name",
        "/v1/decisions",
        {**inquiry("k"), "\ud800": 1},
        "\\ud800",
        "surrogate",
    ),
    ("event note", "/v1/events", {**stop(), "note": "a\ud800b"}, "note", "surrogate"),
    ("event id", "/v1/events", {**stop(), "id": "\ud800"}, "id", "surrogate"),
    (
        "event place",
        "/v1/events",
        {**stop(), "encounter": {"kind": "checkpoint", "id": "c", "place": "\ud83d"}},
        "encounter.place",
        "surrogate",
    ),
    # NUL
    (
        "NUL in subject.id",
        "/v1/decisions",
        inquiry("a", subject={"id": "p\u0000", "custody": "stopped"}),
        "subject.id",
        "NUL",
    ),
    ("NUL in a member name", "/v1/decisions", {**inquiry("b"), "x\u0000": 1}, "x\u0000", "NUL"),
    # lengths
    ("id too long", "/v1/decisions", inquiry("x" * 257), "id", "at most 256 characters"),
    (
        "purposes",
        "/v1/decisions",
        inquiry("p", purposes=["warrant_check"] * 65),
        "purposes",
        "at most 64 items",
    ),
    (
        "data_classes",
        "/v1/decisions",
        inquiry("dc", data_classes=["identity"] * 65),
        "data_classes",
        "at most 64 items",
    ),
    (
        "partners",
        "/v1/decisions",
        inquiry("o", operation={"kind": "patrol", "partners": [ICE] * 65}),
        "operation.partners",
        "at most 64 items",
    ),
    (
        "agencies",
        "/v1/events",
        {**stop(), "encounter": {"kind": "checkpoint", "id": "c", "agencies": [ICE] * 65}},
        "encounter.agencies",
        "at most 64 items",
    ),
    (
        "pack files",
        "/v1/packs/changes",
        change(files={f"directives/X-{n}.toml": "x" for n in range(201)}),
        "files",
        "at most 200 items",
    ),
    # nesting, and what is not JSON or not an object
    (
        "nested too deep",
        "/v1/decisions",
        {**inquiry("h"), "colour": nested(40)},
        "colour" + "[0]" * 31,
        "nested",
    ),
    ("NaN", "/v1/decisions", '{"id": "i", "n": NaN}', None, "NaN is not a JSON value"),
    ("not an object", "/v1/decisions", "5", None, "must be a JSON object"),
    ("nested 10,000 deep", "/v1/decisions", DEEP, None, "nested too deeply"),
]


def refused_cases(path: str | None = None) -> list[Any]:
    """The cases of ``REFUSED`` (of one path, or all) as parameters (path, body, field, says)."""
    return [pytest.param(*case[1:], id=case[0]) for case in REFUSED if path in (None, case[1])]


@pytest.mark.parametrize(("path", "body", "field", "says"), refused_cases())
def test_a_bad_body_is_refused_naming_the_field(
    api: Api, path: str, body: Any, field: str | None, says: str
) -> None:
    before = api.size()
    error = refused(post(api, path, body), api, before, field)
    assert says in error["message"]


def test_the_largest_safe_integer_is_recorded(api: Api) -> None:
    response = post(api, "/v1/events", stop(vehicles_stopped=SAFE, arrests=0))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("bad", "echoed", "field", "says"),
    [
        ({**inquiry("batch-big"), "n": 2**53}, "batch-big", "n", "2^53"),
        (inquiry("\ud800"), None, "id", "surrogate"),  # an id that is not text is not echoed
    ],
    ids=["unsafe integer", "surrogate id"],
)
def test_a_bad_item_of_a_batch_is_refused_alone(
    api: Api, bad: dict[str, Any], echoed: str | None, field: str, says: str
) -> None:
    before = api.size()
    response = post(api, "/v1/decisions", [bad, inquiry(None)])
    assert response.status_code == 200, response.text
    answer, good = response.json()["results"]
    assert answer["id"] == echoed
    assert answer["error"]["field"] == field
    assert says in answer["error"]["message"]
    assert good["decision"]["decision"] == "permit"
    assert api.size() == before + 1


@pytest.mark.parametrize(("path", "body", "field", "says"), refused_cases("/v1/decisions"))
def test_the_cli_and_the_api_refuse_the_same_requests_naming_the_same_field(
    api: Api, path: str, body: Any, field: str | None, says: str
) -> None:
    before = api.size()
    error = refused(post(api, path, body), api, before, field)
    line = body if isinstance(body, str) else json.dumps(body)
    result = CliRunner().invoke(cli_app, ["decide", "-"], input=line + "\n")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2, result.output
    [answer] = [json.loads(text) for text in result.stdout.splitlines()]
    assert set(answer) == {"id", "error"}, answer
    assert answer["error"]["code"] == "invalid_request"
    assert answer["error"]["field"] == field
    assert answer["error"]["message"] == error["message"]  # one validation, one answer


# -- nesting ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", POSTS)
def test_a_body_nested_10000_deep_is_refused(api: Api, path: str) -> None:
    before = api.size()
    refused(post(api, path, DEEP), api, before, None)
    refused(post(api, path, '{"x": ' + DEEP + "}"), api, before, None)


def test_nesting_beyond_the_limit_names_the_field(api: Api) -> None:
    before = api.size()
    error = refused(post(api, "/v1/events", {**stop(), "note": nested(40)}), api, before, ANYF)
    assert error["field"].startswith("note[0]")
    assert "nested" in error["message"]


class _AnyField:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str)


ANYF: Any = _AnyField()


# -- liaison decide and verify-bundle: a line nested 10,000 deep ------------------------------


def _good(ident: str) -> str:
    return json.dumps(inquiry(ident))


@pytest.mark.parametrize("where", [0, 1, 2])
def test_decide_answers_a_deep_line_as_invalid_and_decides_the_rest(where: int) -> None:
    lines = [_good("one"), _good("two")]
    lines.insert(where, DEEP)
    result = CliRunner().invoke(cli_app, ["decide", "-"], input="\n".join(lines) + "\n")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2
    answers = [json.loads(text) for text in result.stdout.splitlines()]
    assert len(answers) == 3
    bad = answers.pop(where)
    assert bad == {
        "id": None,
        "error": {**bad["error"], "code": "invalid_request", "field": None, "line": where + 1},
    }
    assert [a["id"] for a in answers] == ["one", "two"]
    assert all(a["decision"] == "permit" for a in answers)


def _bundle(tmp_path: Path, *lines: str, **fields: Any) -> Path:
    """A bundle of ``lines`` after a header with ``fields`` changed (None: left out)."""
    _, vkey_path = keygen(tmp_path / "keys", "bad-input.example/ledger")
    header = {
        "format": "liaison-ledger-bundle",
        "version": 1,
        "origin": "bad-input.example/ledger",
        "vkey": vkey_path.read_text().strip(),
        "size": 0,
        "root": "",
    }
    header = {k: v for k, v in {**header, **fields}.items() if v is not None}
    path = tmp_path / "bundle.jsonl"
    path.write_text("".join(f"{t}\n" for t in [json.dumps(header), *lines]), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (DEEP, "line 2: not JSON"),
        ('{"index": 0, "entry": "{\\"kind\\": \\"\\ud800\\"}"}', "line 2: the entry"),
        ('{"kind": "key_rotation", "x": ' + DEEP + "}", "line 2: not JSON"),
        ('{"index": true, "entry": "{}"}', "line 2: an entry line needs an integer index"),
        ('{"index": 0.0, "entry": "{}"}', "line 2: an entry line needs an integer index"),
        ('{"checkpoint": "x", "index": 0, "entry": "{}"}', "line 2: a checkpoint line with"),
        ('{"checkpoint": "x", "entry": "{}"}', "line 2: a checkpoint line with an entry's"),
    ],
    ids=[
        "nested 10,000 deep",
        "entry with a lone surrogate",
        "nested and naming key_rotation (the first pass)",
        "index true",
        "index 0.0",
        "a checkpoint and an entry in one line",
        "a checkpoint with an entry",
    ],
)
def test_verify_bundle_reports_a_bad_line(tmp_path: Path, line: str, says: str) -> None:
    result = CliRunner().invoke(cli_app, ["verify-bundle", str(_bundle(tmp_path, line))])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {says}"), result.stderr


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"origin": None}, "line 1: the header's origin is missing or not a string"),
        ({"origin": 7}, "line 1: the header's origin is missing or not a string"),
        ({"origin": ""}, "line 1: the header's origin is missing or not a string"),
        ({"index": 0, "entry": "{}"}, "line 1: the header carries an entry's index or entry"),
    ],
    ids=["no origin", "origin 7", "empty origin", "an entry in the header"],
)
def test_verify_bundle_refuses_a_bad_header(
    tmp_path: Path, fields: dict[str, Any], says: str
) -> None:
    """A header without the log's origin would let checkpoints of any origin verify."""
    bundle = _bundle(tmp_path, **fields)
    for extra in ([], ["--structure-only"]):
        result = CliRunner().invoke(cli_app, ["verify-bundle", str(bundle), *extra])
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 1
        assert result.stderr.startswith(f"error: {says}"), result.stderr


def test_verify_bundle_reports_a_checkpoint_size_of_thousands_of_digits(tmp_path: Path) -> None:
    """Over Python's 4300-digit int() limit: a problem naming the checkpoint, no crash."""
    note = "bad-input.example/ledger\n" + "9" * 5000 + "\nAAAA\n\n\u2014 x AAAAAAAA\n"
    bundle = _bundle(tmp_path, json.dumps({"checkpoint": note}))
    result = CliRunner().invoke(cli_app, ["verify-bundle", str(bundle), "--json"])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert any(p["where"].startswith("checkpoint") for p in problems), problems


# -- size limits: bodies (413) and lists -----------------------------------------------------


def _limited(api: Api, **limits: Any) -> TestClient:
    """A second app over the same services with other limits (its lifespan is not run)."""
    settings = Settings(database_url=api.settings.database_url, checkpoint_interval=0, **limits)
    return TestClient(create_app(settings=settings, services=api.services))


@pytest.mark.parametrize("path", POSTS)
def test_a_body_over_the_limit_is_413(api: Api, path: str) -> None:
    client = _limited(api, max_body_bytes=2048)
    before = api.size()
    headers = {**_key(api, path), "content-type": "application/json"}
    over = client.post(path, content=b" " * 2049, headers=headers)
    error = assert_error(over, 413, "payload_too_large")
    assert "2048" in error["message"]
    at_limit = client.post(path, content=b"[" + b" " * 2046 + b"]", headers=headers)
    assert at_limit.status_code == 422  # read, and refused for what it says
    assert api.size() == before


def _asgi_post(
    app: Any, key: dict[str, str], headers: list[tuple[bytes, bytes]], incoming: Iterator[Any]
) -> tuple[int, bytes, int]:
    """POST to /v1/events through the ASGI interface, the app receiving ``incoming``'s
    messages as it asks for them; (status, body, messages the app received)."""
    read = 0
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return dict(next(incoming))

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/events",
        "raw_path": b"/v1/events",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "headers": [
            (b"authorization", key["Authorization"].encode()),
            (b"content-type", b"application/json"),
            *headers,
        ],
    }
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, body, read


def _spaces(chunks: int) -> Iterator[dict[str, Any]]:
    """``chunks`` chunks of 1 KiB of spaces."""
    for n in range(chunks):
        yield {"type": "http.request", "body": b" " * 1024, "more_body": n < chunks - 1}


def test_a_chunked_body_is_refused_once_it_passes_the_limit(api: Api) -> None:
    app = _limited(api, max_body_bytes=4096).app
    chunked = [(b"transfer-encoding", b"chunked")]
    status, body, read = _asgi_post(app, api.officer, chunked, _spaces(1000))
    assert (status, json.loads(body)["error"]["code"]) == (413, "payload_too_large")
    assert read <= 5  # never more than the limit (4 KiB) and one chunk


def test_a_declared_length_over_the_limit_is_refused_unread(api: Api) -> None:
    app = _limited(api, max_body_bytes=4096).app
    declared = [(b"content-length", b"1000000")]
    status, body, read = _asgi_post(app, api.officer, declared, _spaces(1000))
    assert (status, json.loads(body)["error"]["code"]) == (413, "payload_too_large")
    assert read == 0


def test_the_batch_limit_is_a_setting(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIAISON_MAX_BATCH", "2")
    monkeypatch.setenv("LIAISON_MAX_BODY_BYTES", "65536")
    assert (Settings().max_batch, Settings().max_body_bytes) == (2, 65536)
    client = _limited(api, max_batch=2)
    before = api.size()
    three = client.post("/v1/decisions", json=[inquiry(None)] * 3, headers=api.officer)
    error = assert_error(three, 422, "invalid_request", None)
    assert "1 to 2 requests" in error["message"]
    assert api.size() == before


# -- media type (415) --------------------------------------------------------------------------

BODIES = {
    "/v1/decisions": inquiry(None),
    "/v1/events": stop(vehicles_stopped=1),
    "/v1/packs/changes": change(),
}


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "application/json; charset=latin-1",
        "multipart/form-data; boundary=x",
    ],
)
def test_a_body_not_sent_as_json_is_415(api: Api, path: str, content_type: str | None) -> None:
    before = api.size()
    response = post(api, path, BODIES[path], content_type)
    assert_error(response, 415, "unsupported_media_type")
    assert api.size() == before


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "Application/JSON", 'application/json;charset="UTF-8"'],
)
def test_json_with_a_utf8_charset_is_accepted(api: Api, content_type: str) -> None:
    response = post(api, "/v1/decisions", inquiry(None), content_type)
    assert response.status_code == 200, response.text


def test_the_openapi_document_states_413_and_415_for_every_body() -> None:
    paths = openapi_document()["paths"]
    for path in POSTS:
        assert {"413", "415"} <= set(paths[path]["post"]["responses"]), path


def _cli_on(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """``liaison ARGS`` on the database ``db_url``, its keys in ``tmp_path/keys``."""
    monkeypatch.setenv("LIAISON_DATABASE_URL", db_url)
    monkeypatch.setenv("LIAISON_KEY_DIR", str(tmp_path / "keys"))
    return CliRunner().invoke(cli_app, list(args))


def test_ledger_append_refuses_a_deep_line(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "entries.jsonl"
    source.write_text(DEEP + "\n", encoding="utf-8")
    result = _cli_on(db_url, tmp_path, monkeypatch, "ledger", "append", str(source))
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2
    assert result.stderr.startswith("error: line 1: not JSON"), result.stderr


def test_an_entry_body_nested_too_deeply_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_body(DEEP.encode())


strings = st.text(max_size=4) | st.sampled_from(["\ud800", "a\x00", "é\udfff", "\U0001f600"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**54), 2**54) | st.floats() | strings,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner),
    max_leaves=40,
)


@settings(deadline=None, max_examples=300)
@given(value=json_values)
def test_the_fast_check_agrees_with_the_walk_that_names_the_field(value: Any) -> None:
    """A value passes ``check_json`` exactly when the walk finds no problem in it."""
    assert _clean(value, 0) == (_problem(value, 0) is None)
    assert _clean(nested_in(value, 33), 0) is False


def nested_in(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = {"x": value}
    return value


# -- a pack file nested too deeply (TOML) ----------------------------------------------------

DEEP_TOML = {
    "array": "a = " + "[" * 5_000 + "]" * 5_000 + "\n",
    "inline table": "a = " + "{b = " * 3_000 + "1" + "}" * 3_000 + "\n",
}


@pytest.mark.parametrize("text", DEEP_TOML.values(), ids=DEEP_TOML.keys())
def test_a_pack_change_with_deep_toml_names_the_file(api: Api, text: str) -> None:
    admin = bearer(api.services.keys, KeyRole.ADMIN, "admin-1")
    base = api.client.get("/v1/packs/current", headers=admin).json()["digest"]
    before = api.size()
    body = {"base": base, "reason": "a test", "files": {NEW: text}}
    response = api.client.post("/v1/packs/changes", json=body, headers=admin)
    assert response.status_code == 422, response.text
    problems = response.json()["error"]["problems"]
    assert [(p["file"], p["line"]) for p in problems] == [(NEW, None)]
    assert "nested too deeply" in problems[0]["message"]
    assert api.size() == before


def test_packs_import_of_a_folder_with_deep_toml_names_the_file(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liaison.policy import shipped_pack_path

    folder = tmp_path / "pack"
    shutil.copytree(shipped_pack_path("dc"), folder)
    (folder / NEW).write_text(DEEP_TOML["array"])
    args = ["packs", "import", str(folder), "--reason", "r", "--actor", "ops-1"]
    result = _cli_on(db_url, tmp_path, monkeypatch, *args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{folder / NEW}: TOML nested too deeply" in result.output


def test_a_client_gone_before_the_end_of_its_body_is_no_500(api: Api) -> None:
    """A client that declares a Content-Length and disconnects before sending it all was
    answered (and logged, with a traceback, and counted) as a 500 ClientDisconnect."""
    sent = [
        {"type": "http.request", "body": b'{"at": ', "more_body": True},
        {"type": "http.disconnect"},
    ]
    before = api.size()
    status, _, _ = _asgi_post(
        api.client.app, api.officer, [(b"content-length", b"1000")], iter(sent)
    )
    assert status == 422
    assert api.size() == before


MANGLED: dict[str, tuple[bytes | None, dict[str, Any]]] = {
    "a line that is not UTF-8": (b'{"index": 0, "entry": "\xff"}', {}),
    "a header size that is text": (None, {"size": "four"}),
    "a header size of 1e400": (None, {"size": 1e400}),
    "a header size that is a list": (None, {"size": [1]}),
    "a header root that is not base64": (None, {"root": "!!!"}),
    "a header vkey that is not a key": (None, {"vkey": "x+y+z"}),
    "a checkpoint with a superscript size": (
        json.dumps({"checkpoint": "o\n\u00b2\nAAAA\n\n\u2014 o sig\n"}).encode(),
        {},
    ),
}


@pytest.mark.parametrize(("line", "header"), MANGLED.values(), ids=MANGLED.keys())
def test_verify_bundle_on_a_mangled_bundle_exits_1_without_a_traceback(
    tmp_path: Path, line: bytes | None, header: dict[str, Any]
) -> None:
    path = _bundle(tmp_path)
    lines = path.read_bytes().splitlines()
    first = {**json.loads(lines[0]), **header}
    path.write_bytes(b"\n".join([json.dumps(first).encode(), *([line] if line else [])]) + b"\n")
    result = CliRunner().invoke(cli_app, ["verify-bundle", str(path)])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "error:" in result.stderr or "FAIL" in result.stdout, result.output


def test_verify_bundle_on_a_truncated_gzip_exits_1_without_a_traceback(tmp_path: Path) -> None:
    import gzip

    entries = [json.dumps({"index": n, "entry": "{}"}) for n in range(200)]
    plain = _bundle(tmp_path, *entries)
    packed = gzip.compress(plain.read_bytes())
    path = tmp_path / "bundle.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    result = CliRunner().invoke(cli_app, ["verify-bundle", str(path)])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert result.stderr.startswith("error:"), result.stderr
