"""The ``liaison`` command line, used as a person or a script would use it.

Most tests drive the Typer app in-process with ``CliRunner``; a few run the
installed console script in a real subprocess to prove the entry point works.
Inputs are the worked examples of dc-pack.md; outputs are checked against the
decision and error shapes of request-schema.md. Times are Eastern (-04:00 in
August and September 2025).
"""

from __future__ import annotations

import functools
import json
import re
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import liaison.cli.common
import liaison.cli.decide
import liaison.cli.directives
from liaison import __version__
from liaison.cli import app
from liaison.policy import Engine, Pack, load_pack

# -- inputs ---------------------------------------------------------------------------

ACTOR = {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
STOPPED = {"id": "person-1", "custody": "stopped"}
IN_CUSTODY = {"id": "person-2", "custody": "mpd_custody"}

NOON_15 = "2025-08-15T12:00:00-04:00"
EVENING_15 = "2025-08-15T20:00:00-04:00"

ALL_DIRECTIVES = {
    "USC-8-1373",
    "DC-CODE-24-211.07",
    "DC-MO-2011-174",
    "MPD-PRIOR-POLICY",
    "MPD-BASELINE",
    "EO-14333",
    "EO-25-005",
    "AG-ORDER-2025-08-14",
    "AG-DIRECTIVE-2025-08-15",
    "MO-2025-090",
}

DECISION_KEYS = {
    "id",
    "decision",
    "basis",
    "citations",
    "view",
    "at",
    "in_force",
    "policy_version",
}
CITATION_KEYS = {"directive", "section", "title", "issuer", "effective_from"}
ERROR_KEYS = {"code", "field", "message", "line"}


def share_stopped(**over: Any) -> dict[str, Any]:
    """An officer shares identity and location of a person at a traffic stop with ICE-ERO."""
    req: dict[str, Any] = {
        "actor": ACTOR,
        "action": "share_information",
        "purposes": ["assist_federal_agency"],
        "subject": STOPPED,
        "recipient": ICE,
        "data_classes": ["identity", "location"],
        "initiative": "proactive",
    }
    req.update(over)
    return req


def ncic_status(**over: Any) -> dict[str, Any]:
    """An NCIC inquiry about a stopped person, purposes {immigration_status}."""
    req: dict[str, Any] = {
        "actor": ACTOR,
        "action": "database_inquiry",
        "database": "NCIC",
        "purposes": ["immigration_status"],
        "subject": STOPPED,
    }
    req.update(over)
    return req


def share_custody(data_classes: list[str], **over: Any) -> dict[str, Any]:
    """Sharing data about a person in MPD custody with ICE-ERO, no judicial warrant."""
    return share_stopped(
        subject=IN_CUSTODY, data_classes=data_classes, purposes=["assist_federal_agency"], **over
    )


def transport_detained(**over: Any) -> dict[str, Any]:
    req: dict[str, Any] = {
        "actor": ACTOR,
        "action": "transport",
        "purposes": ["assist_federal_agency"],
        "subject": {"id": "person-3", "custody": "federal_custody"},
        "recipient": ICE,
        "transport": {"passengers": "detained_subject"},
    }
    req.update(over)
    return req


def jsonl(*requests: dict[str, Any] | str) -> str:
    """JSON lines: dicts are serialised, strings are taken as raw lines."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in requests)


# -- running --------------------------------------------------------------------------

# Loading and compiling the pack dominates a CLI run; the pack and the engine built on it
# are immutable for reading, so the in-process tests share them (the subprocess tests
# below run the real thing from scratch).
_load_pack_once = functools.cache(load_pack)
_engines: dict[int, tuple[Pack, Engine]] = {}


def _engine_once(pack: Pack) -> Engine:
    if id(pack) not in _engines:
        _engines[id(pack)] = (pack, Engine(pack))
    return _engines[id(pack)][1]


@pytest.fixture(autouse=True)
def _share_loaded_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(liaison.cli.common, "load_pack", _load_pack_once)
    monkeypatch.setattr(liaison.cli.decide, "Engine", _engine_once)
    monkeypatch.setattr(liaison.cli.directives, "Engine", _engine_once)


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


def out_lines(result: Result) -> list[dict[str, Any]]:
    """The JSON objects on stdout, one per line (every line must be JSON)."""
    return [json.loads(line) for line in result.stdout.splitlines()]


def flat(text: str) -> str:
    """Text with rich box borders removed and whitespace collapsed (help wraps)."""
    return re.sub(r"[\s│╭╮╰╯─]+", " ", text)


def cited(decision: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["directive"], c["section"]) for c in decision["citations"]}


def assert_decision_shape(decision: dict[str, Any]) -> None:
    assert set(decision) == DECISION_KEYS
    assert decision["decision"] in ("permit", "deny")
    assert decision["basis"] in ("permit", "forbid", "default", "error")
    assert decision["view"] in ("mpd", "doj")
    assert isinstance(decision["in_force"], list)
    assert decision["in_force"] == sorted(decision["in_force"])
    assert set(decision["in_force"]) <= ALL_DIRECTIVES
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", decision["policy_version"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", decision["at"])
    for c in decision["citations"]:
        assert set(c) == CITATION_KEYS
        assert c["directive"] in ALL_DIRECTIVES
        assert c["title"]
        assert c["issuer"]
    if decision["basis"] == "default":
        assert decision["decision"] == "deny"
        assert decision["citations"] == []
    else:
        assert decision["citations"]
    if decision["basis"] == "permit":
        assert decision["decision"] == "permit"
    else:
        assert decision["decision"] == "deny"


def assert_error(obj: dict[str, Any], *, line: int, field: str | None, id: str | None) -> None:
    assert set(obj) == {"id", "error"}, obj  # never a decision for an invalid request
    assert obj["id"] == id
    assert set(obj["error"]) == ERROR_KEYS
    assert obj["error"]["code"] == "invalid_request"
    assert obj["error"]["field"] == field
    assert obj["error"]["line"] == line
    assert obj["error"]["message"]
    if field is not None:
        assert field.split(".")[0] in obj["error"]["message"]


@pytest.fixture
def write(tmp_path: Path) -> Any:
    def _write(text: str | bytes, name: str = "requests.jsonl") -> str:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return str(path)

    return _write


# -- decide: JSON lines -----------------------------------------------------------------


def test_decide_json_lines_one_decision_per_line_in_order(write: Any) -> None:
    source = write(
        jsonl(
            share_stopped(id="r1", at="2025-08-10T12:00:00-04:00"),
            share_stopped(id="r2", at=NOON_15),
            ncic_status(id="r3", at=NOON_15),
            transport_detained(id="r4", at="2025-08-13T21:00:00-04:00"),
            ncic_status(id="r5", at=NOON_15, view="doj"),
            ncic_status(id="r6", at=EVENING_15, view="doj"),
            share_custody(["release_datetime"], id="r7", at="2025-08-20T12:00:00-04:00"),
            share_custody(["immigration_status"], id="r8", at="2025-08-20T12:00:00-04:00"),
        )
    )
    result = invoke("decide", source)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    decisions = out_lines(result)
    assert [d["id"] for d in decisions] == [f"r{i}" for i in range(1, 9)]
    for d in decisions:
        assert_decision_shape(d)
    expected = [
        ("deny", "forbid", {("MPD-PRIOR-POLICY", "sharing")}),
        ("permit", "permit", {("EO-25-005", "E1")}),
        ("deny", "forbid", {("EO-25-005", "E3")}),
        ("deny", "forbid", {("MPD-PRIOR-POLICY", "transport_arrest")}),
        ("deny", "default", set()),
        ("permit", "permit", {("AG-DIRECTIVE-2025-08-15", "cooperate")}),
        ("deny", "forbid", {("DC-CODE-24-211.07", "a4B"), ("EO-25-005", "E6")}),
        ("permit", "permit", {("USC-8-1373", "a")}),
    ]
    got = [(d["decision"], d["basis"], cited(d)) for d in decisions]
    assert got == expected
    assert [d["view"] for d in decisions] == ["mpd"] * 4 + ["doj"] * 2 + ["mpd"] * 2


def test_decide_records_nothing_and_its_help_says_so(
    write: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An inspector general took `liaison decide` for a way to record a decision: its help
    says plainly that it records nothing, and where recording is done; and it opens no
    database (the one configured is never created)."""
    database = tmp_path / "never.db"
    monkeypatch.setenv("LIAISON_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("LIAISON_KEY_DIR", str(tmp_path / "keys"))
    result = invoke("decide", write(jsonl(share_stopped(id="r1", at=NOON_15))))
    assert result.exit_code == 0, result.output
    assert out_lines(result)[0]["decision"] == "permit"
    assert not database.exists()
    assert not (tmp_path / "keys").exists()
    helped = " ".join(invoke("decide", "--help").stdout.split())
    assert "It only decides: it records nothing." in helped
    assert "send the request to the service: POST /v1/decisions" in helped


def test_decide_citation_fields_and_in_force(write: Any) -> None:
    result = invoke("decide", write(jsonl(share_stopped(id="r", at=NOON_15))))
    assert result.exit_code == 0, result.output
    [d] = out_lines(result)
    assert d["citations"] == [
        {
            "directive": "EO-25-005",
            "section": "E1",
            "title": "Immigration Enforcement",
            "issuer": "Chief of Police, Metropolitan Police Department",
            "effective_from": "2025-08-14T00:00:00-04:00",
        }
    ]
    assert d["at"] == NOON_15
    assert d["in_force"] == [
        "DC-CODE-24-211.07",
        "DC-MO-2011-174",
        "EO-14333",
        "EO-25-005",
        "MPD-BASELINE",
        "USC-8-1373",
    ]


def test_decide_request_without_id_echoes_null(write: Any) -> None:
    result = invoke("decide", write(jsonl(ncic_status(at=NOON_15))))
    assert result.exit_code == 0, result.output
    [d] = out_lines(result)
    assert d["id"] is None
    assert_decision_shape(d)


def test_decide_skips_blank_lines_and_numbers_physical_lines(write: Any) -> None:
    text = "\n" + jsonl(ncic_status(id="a", at=NOON_15)) + "\n   \n" + jsonl('{"id": "b"}')
    result = invoke("decide", write(text))
    assert result.exit_code == 2
    first, second = out_lines(result)
    assert first["id"] == "a"
    assert first["decision"] == "deny"
    assert_error(second, line=5, field="actor", id="b")


def test_decide_output_is_utf8_not_escaped(write: Any) -> None:
    result = invoke("decide", write(jsonl(ncic_status(id="réq-é", at=NOON_15))))
    assert result.exit_code == 0
    assert '"réq-é"' in result.stdout
    assert out_lines(result)[0]["id"] == "réq-é"


# -- decide: one pretty-printed object ------------------------------------------------------


def test_decide_pretty_printed_object_is_one_request(write: Any) -> None:
    text = json.dumps(share_stopped(id="pretty", at=NOON_15), indent=2)
    assert text.count("\n") > 10
    result = invoke("decide", write(text + "\n"))
    assert result.exit_code == 0, result.output
    [d] = out_lines(result)
    assert_decision_shape(d)
    assert d["id"] == "pretty"
    assert (d["decision"], cited(d)) == ("permit", {("EO-25-005", "E1")})


def test_decide_pretty_printed_object_with_leading_blank_lines_and_no_final_newline(
    write: Any,
) -> None:
    text = "\n\n" + json.dumps(ncic_status(id="p", at=NOON_15), indent=4)
    result = invoke("decide", write(text))
    assert result.exit_code == 0, result.output
    [d] = out_lines(result)
    assert (d["id"], d["basis"]) == ("p", "forbid")


def test_decide_invalid_pretty_printed_object_is_one_error_numbered_by_first_line(
    write: Any,
) -> None:
    text = "\n" + json.dumps(share_stopped(id="pp", at=NOON_15, bogus=True), indent=2) + "\n"
    result = invoke("decide", write(text))
    assert result.exit_code == 2
    [err] = out_lines(result)
    assert_error(err, line=2, field="bogus", id="pp")


def test_decide_broken_pretty_printed_object_is_one_error(write: Any) -> None:
    text = json.dumps(ncic_status(id="x", at=NOON_15), indent=2)
    broken = text.replace('"NCIC"', '"NCIC",')  # trailing comma: not JSON
    result = invoke("decide", write(broken + "\n"))
    assert result.exit_code == 2
    [err] = out_lines(result)
    assert_error(err, line=1, field=None, id=None)
    assert "JSON" in err["error"]["message"]


# -- decide: standard input -----------------------------------------------------------------


@pytest.mark.parametrize("args", [["decide", "-"], ["decide"]], ids=["dash", "no-argument"])
def test_decide_reads_standard_input(args: list[str]) -> None:
    text = jsonl(ncic_status(id="s1", at=NOON_15), share_stopped(id="s2", at=NOON_15))
    result = invoke(*args, input=text)
    assert result.exit_code == 0, result.output
    decisions = out_lines(result)
    assert [(d["id"], d["decision"]) for d in decisions] == [("s1", "deny"), ("s2", "permit")]


def test_decide_pretty_printed_object_on_standard_input() -> None:
    text = json.dumps(ncic_status(id="s", at=EVENING_15, view="doj"), indent=2)
    result = invoke("decide", input=text)
    assert result.exit_code == 0, result.output
    [d] = out_lines(result)
    assert (d["id"], d["decision"], d["view"]) == ("s", "permit", "doj")


# -- decide: invalid requests ----------------------------------------------------------------


def test_decide_mixed_valid_and_invalid_lines(write: Any) -> None:
    missing_database = ncic_status(id="bad-missing", at=NOON_15)
    del missing_database["database"]
    lines: list[dict[str, Any] | str] = [
        share_stopped(id="ok-1", at=NOON_15),  # 1 permit
        '{"id": "bad-json", "action": ',  # 2 not JSON
        share_stopped(id="bad-field", at=NOON_15, colour="blue"),  # 3 unknown field
        share_stopped(id="bad-at", at="2025-08-15T12:00:00"),  # 4 no offset
        missing_database,  # 5 missing required field for the action
        share_stopped(id="bad-view", at=NOON_15, view="fbi"),  # 6 unknown view
        ncic_status(id="ok-2", at=NOON_15),  # 7 deny
        share_stopped(id="bad-enum", at=NOON_15, initiative="sometimes"),  # 8 unknown enum
        "[1, 2, 3]",  # 9 JSON but not an object
        share_stopped(id="ok-3", at=EVENING_15, view="doj"),  # 10 permit
    ]
    result = invoke("decide", write(jsonl(*lines)))
    assert result.exit_code == 2
    out = out_lines(result)
    assert len(out) == len(lines)
    assert out[0]["decision"] == "permit"
    assert_error(out[1], line=2, field=None, id=None)
    assert "JSON" in out[1]["error"]["message"]
    assert_error(out[2], line=3, field="colour", id="bad-field")
    assert_error(out[3], line=4, field="at", id="bad-at")
    assert "offset" in out[3]["error"]["message"]
    assert_error(out[4], line=5, field="database", id="bad-missing")
    assert_error(out[5], line=6, field="view", id="bad-view")
    assert "fbi" in out[5]["error"]["message"]
    assert out[6]["decision"] == "deny"
    assert_error(out[7], line=8, field="initiative", id="bad-enum")
    assert_error(out[8], line=9, field=None, id=None)
    assert (out[9]["id"], out[9]["decision"]) == ("ok-3", "permit")
    for d in (out[0], out[6], out[9]):
        assert_decision_shape(d)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('{"id": "j", "actor": {', None),
        (json.dumps(share_stopped(id="j", at=NOON_15, extra=1)), "extra"),
        (json.dumps(share_stopped(id="j", at="2025-08-15 12:00:00")), "at"),
        (json.dumps(share_stopped(id="j", at=NOON_15, view="ice")), "view"),
        (json.dumps({k: v for k, v in share_stopped(id="j").items() if k != "recipient"}), None),
        (
            json.dumps({k: v for k, v in share_stopped(id="j").items() if k != "data_classes"}),
            "data_classes",
        ),
        (json.dumps(share_stopped(id="j", subject={"id": "p", "custody": "x"})), None),
    ],
    ids=[
        "bad-json",
        "unknown-field",
        "no-offset",
        "unknown-view",
        "no-recipient",
        "no-data-classes",
        "bad-custody",
    ],
)
def test_an_invalid_request_that_would_be_permitted_is_never_permitted(
    line: str, field: str | None
) -> None:
    """Each of these, were it valid, is the E1 permit; invalid, it must be an error."""
    result = invoke("decide", "--at", NOON_15, input=line + "\n")
    assert result.exit_code == 2
    [obj] = out_lines(result)
    assert "decision" not in obj
    assert obj["error"]["code"] == "invalid_request"
    assert obj["error"]["line"] == 1
    if field is not None:
        assert obj["error"]["field"] == field
    if line.startswith('{"id": "j", "actor"'):
        assert obj["id"] is None
    else:
        assert obj["id"] == "j"


def test_decide_invalid_first_line_does_not_swallow_the_rest(write: Any) -> None:
    """A broken first JSON line is one error; the following lines are still decided."""
    text = jsonl(
        '{"id": "broken"',
        ncic_status(id="two", at=NOON_15),
        share_stopped(id="three", at=NOON_15),
    )
    result = invoke("decide", write(text))
    assert result.exit_code == 2
    first, second, third = out_lines(result)
    assert_error(first, line=1, field=None, id=None)
    assert (second["id"], second["decision"]) == ("two", "deny")
    assert (third["id"], third["decision"]) == ("three", "permit")


def test_decide_every_line_invalid_exits_2(write: Any) -> None:
    result = invoke("decide", write(jsonl('{"id": "a"}', '{"id": "b"}')))
    assert result.exit_code == 2
    a, b = out_lines(result)
    assert_error(a, line=1, field="actor", id="a")
    assert_error(b, line=2, field="actor", id="b")


def test_decide_instants_at_the_ends_of_the_calendar_are_invalid_not_a_crash(
    write: Any,
) -> None:
    """Valid RFC 3339, but not representable in UTC or the pack's zone: an error naming
    ``at`` on its line, and the other lines decided."""
    lines: list[dict[str, Any] | str] = [
        share_stopped(id="early", at="0001-01-01T00:00:00+05:00"),
        share_stopped(id="late", at="9999-12-31T23:59:59-12:00"),
        share_stopped(id="ok", at=NOON_15),
    ]
    result = invoke("decide", write(jsonl(*lines)))
    assert result.exit_code == 2
    early, late, ok = out_lines(result)
    assert_error(early, line=1, field="at", id="early")
    assert_error(late, line=2, field="at", id="late")
    assert ok["decision"] == "permit"


def test_decide_undecodable_bytes_are_an_invalid_line_not_a_crash(write: Any) -> None:
    good = json.dumps(ncic_status(id="good", at=NOON_15)).encode()
    bad = b'{"id": "caf\xe9", "action": "arrest"}'
    result = invoke("decide", write(good + b"\n" + bad + b"\n" + good + b"\n"))
    assert result.exit_code == 2, result.output
    first, second, third = out_lines(result)
    assert first["decision"] == third["decision"] == "deny"
    assert_error(second, line=2, field=None, id=None)
    assert "UTF-8" in second["error"]["message"]


def test_decide_lone_surrogate_escape_is_rejected_and_output_stays_valid() -> None:
    line = json.dumps(ncic_status(at=NOON_15)).replace("{", '{"id": "\\ud800", ', 1)
    result = invoke("decide", input=line + "\n")
    assert result.exit_code == 2, result.output
    [obj] = out_lines(result)
    assert "decision" not in obj
    assert obj["error"]["code"] == "invalid_request"


def test_decide_ignores_a_byte_order_mark(write: Any) -> None:
    data = "\ufeff" + jsonl(ncic_status(id="bom", at=NOON_15))
    result = invoke("decide", write(data.encode("utf-8")))
    assert result.exit_code == 0, result.output
    assert out_lines(result)[0]["id"] == "bom"


# -- decide: --at and --view ---------------------------------------------------------------


def test_at_option_applies_only_where_the_request_has_no_at(write: Any) -> None:
    text = jsonl(
        ncic_status(id="no-at", view="doj"),
        ncic_status(id="own-at", view="doj", at=NOON_15),
    )
    result = invoke("decide", "--at", EVENING_15, write(text))
    assert result.exit_code == 0, result.output
    no_at, own_at = out_lines(result)
    assert (no_at["at"], no_at["decision"]) == (EVENING_15, "permit")
    assert (own_at["at"], own_at["decision"], own_at["basis"]) == (NOON_15, "deny", "default")


def test_view_option_applies_only_where_the_request_has_no_view(write: Any) -> None:
    text = jsonl(
        ncic_status(id="no-view", at=EVENING_15),
        ncic_status(id="own-view", at=EVENING_15, view="mpd"),
    )
    result = invoke("decide", "--view", "doj", write(text))
    assert result.exit_code == 0, result.output
    no_view, own_view = out_lines(result)
    assert (no_view["view"], no_view["decision"]) == ("doj", "permit")
    assert (own_view["view"], own_view["decision"]) == ("mpd", "deny")


def test_default_view_is_mpd(write: Any) -> None:
    result = invoke("decide", write(jsonl(ncic_status(id="d", at=EVENING_15))))
    assert out_lines(result)[0]["view"] == "mpd"


@pytest.mark.parametrize(
    "bad", ["2025-08-15T12:00:00", "yesterday", "2025-13-01T00:00:00Z", "2025-08-15"]
)
def test_bad_at_option_is_a_usage_error(bad: str) -> None:
    result = invoke("decide", "--at", bad, input=jsonl(ncic_status(id="x")))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--at" in result.stderr


def test_unknown_view_option_is_a_usage_error() -> None:
    result = invoke("decide", "--view", "ice", input=jsonl(ncic_status(id="x", at=NOON_15)))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--view" in result.stderr
    assert "ice" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "--at", "soon"],
        ["explain", "--view", "ice"],
        ["directives", "in-force", "--at", "2025-08-15T12:00"],
        ["directives", "in-force", "--view", "ice"],
    ],
)
def test_bad_at_or_view_is_a_usage_error_for_other_commands(args: list[str]) -> None:
    result = invoke(*args, input=jsonl(ncic_status(id="x", at=NOON_15)))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert args[-2] in result.stderr


# -- decide: comparing views ---------------------------------------------------------------


def test_compare_noon_both_deny_on_different_bases_do_not_agree() -> None:
    """``agree`` compares (decision, basis): a forbid and a default deny do not agree;
    ``differs`` says it is the basis (and the sections cited), not the outcome."""
    result = invoke("decide", "--compare", input=jsonl(ncic_status(id="c", at=NOON_15)))
    assert result.exit_code == 0, result.output
    [cmp] = out_lines(result)
    assert set(cmp) == {"id", "agree", "differs", "views"}
    assert cmp["differs"] == ["basis", "citations"]
    assert cmp["id"] == "c"
    assert set(cmp["views"]) == {"mpd", "doj"}
    mpd, doj = cmp["views"]["mpd"], cmp["views"]["doj"]
    for name, d in cmp["views"].items():
        assert_decision_shape(d)
        assert d["view"] == name
        assert d["id"] == "c"
        assert d["at"] == NOON_15
    assert (mpd["decision"], mpd["basis"], cited(mpd)) == ("deny", "forbid", {("EO-25-005", "E3")})
    assert (doj["decision"], doj["basis"], doj["citations"]) == ("deny", "default", [])
    assert cmp["agree"] is False
    assert "EO-25-005" in mpd["in_force"]
    assert "EO-25-005" not in doj["in_force"]
    assert mpd["policy_version"] != doj["policy_version"]


def test_compare_evening_outcomes_differ() -> None:
    result = invoke(
        "decide", "--view", "mpd", "--view", "doj", input=jsonl(ncic_status(id="e", at=EVENING_15))
    )
    assert result.exit_code == 0, result.output
    [cmp] = out_lines(result)
    assert cmp["agree"] is False
    assert list(cmp["views"]) == ["mpd", "doj"]
    assert cmp["views"]["mpd"]["decision"] == "deny"
    assert cmp["views"]["doj"]["decision"] == "permit"
    assert cited(cmp["views"]["doj"]) == {("AG-DIRECTIVE-2025-08-15", "cooperate")}


def test_compare_views_that_agree() -> None:
    """Before the Chief's and the Attorney General's orders both views read the same."""
    text = jsonl(
        share_stopped(id="before", at="2025-08-10T12:00:00-04:00"),
        share_custody(["immigration_status"], id="status-only", at="2025-08-20T12:00:00-04:00"),
    )
    result = invoke("decide", "--compare", input=text)
    assert result.exit_code == 0, result.output
    before, status_only = out_lines(result)
    assert before["agree"] is True
    assert {d["basis"] for d in before["views"].values()} == {"forbid"}
    assert status_only["agree"] is True
    assert {d["decision"] for d in status_only["views"].values()} == {"permit"}


def test_compare_overrides_the_request_view_and_uses_at_option() -> None:
    text = jsonl(ncic_status(id="v", view="mpd"))
    result = invoke("decide", "--compare", "--at", EVENING_15, input=text)
    assert result.exit_code == 0, result.output
    [cmp] = out_lines(result)
    assert {name: d["view"] for name, d in cmp["views"].items()} == {"mpd": "mpd", "doj": "doj"}
    assert {d["at"] for d in cmp["views"].values()} == {EVENING_15}
    assert cmp["views"]["doj"]["decision"] == "permit"


def test_compare_reports_invalid_lines_as_errors() -> None:
    text = jsonl(
        ncic_status(id="ok", at=NOON_15),
        ncic_status(id="bad", at=NOON_15, view="nope"),
        ncic_status(id="bad2", at=NOON_15, bogus=1),
    )
    result = invoke("decide", "--compare", input=text)
    assert result.exit_code == 2
    ok, bad, bad2 = out_lines(result)
    assert ok["agree"] is False
    assert_error(bad, line=2, field="view", id="bad")
    assert_error(bad2, line=3, field="bogus", id="bad2")


# -- times ------------------------------------------------------------------------------------


def test_times_are_rendered_in_eastern_even_when_input_is_utc() -> None:
    text = jsonl(
        ncic_status(id="z", at="2025-08-15T16:00:00Z"),
        ncic_status(id="frac", at="2025-08-16T00:30:00.5+00:00"),
    )
    result = invoke("decide", input=text)
    assert result.exit_code == 0, result.output
    z, frac = out_lines(result)
    assert z["at"] == NOON_15
    assert frac["at"] == "2025-08-15T20:30:00.500000-04:00"
    assert z["citations"][0]["effective_from"] == "2025-08-14T00:00:00-04:00"


def test_at_option_in_utc_is_rendered_in_eastern() -> None:
    result = invoke("decide", "--at", "2025-08-16T00:00:00Z", input=jsonl(ncic_status(id="u")))
    assert result.exit_code == 0, result.output
    [d] = out_lines(result)
    assert d["at"] == EVENING_15
    assert d["basis"] == "forbid"


def test_winter_effective_dates_render_with_standard_offset() -> None:
    """MPD-BASELINE took effect on 1 January 2003: Eastern Standard Time, -05:00."""
    req = {
        "id": "arrest",
        "at": NOON_15,
        "actor": ACTOR,
        "action": "arrest",
        "subject": STOPPED,
        "arrest_basis": "offense",
    }
    result = invoke("decide", input=jsonl(req))
    assert result.exit_code == 0, result.output
    [d] = out_lines(result)
    assert d["decision"] == "permit"
    assert d["citations"][0]["directive"] == "MPD-BASELINE"
    assert d["citations"][0]["effective_from"] == "2003-01-01T00:00:00-05:00"


# -- explain ------------------------------------------------------------------------------------


def test_explain_forbid_cites_directive_title_issuer_and_quoted_text() -> None:
    result = invoke("explain", input=jsonl(ncic_status(id="ex-1", at=NOON_15)))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Request ex-1 at 2025-08-15T12:00:00-04:00, view 'mpd'" in text
    assert "officer officer-1 (MPD, unit 1D)" in text
    assert "in NCIC" in text
    assert "person-1 (custody: stopped)" in text
    assert "purposes: immigration_status" in text
    assert "DENIED: a section in force forbids it" in text
    assert "EO-25-005 § E3: Immigration Enforcement" in text
    assert "issued by Chief of Police, Metropolitan Police Department" in text
    assert "text (quoted" in text
    assert '"shall not make any inquiry through any database solely' in text
    assert (
        "In force: DC-CODE-24-211.07, DC-MO-2011-174, EO-14333, EO-25-005, MPD-BASELINE, "
        "USC-8-1373" in text
    )
    assert "Policy version: sha256:" in text


def test_explain_marks_paraphrase_and_cites_every_forbid() -> None:
    req = {
        "id": "ex-2",
        "at": NOON_15,
        "actor": ACTOR,
        "action": "verbal_inquiry",
        "purposes": ["civil_immigration_enforcement"],
        "subject": STOPPED,
    }
    result = invoke("explain", input=jsonl(req))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "DC-MO-2011-174 § inquiry: Mayor's Order 2011-174" in text
    assert "issued by Mayor of the District of Columbia" in text
    assert "EO-25-005 § E4: Immigration Enforcement" in text
    assert text.count("text (paraphrase") == 2


def test_explain_permit() -> None:
    result = invoke("explain", "--view", "doj", input=jsonl(ncic_status(id="p", at=EVENING_15)))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "view 'doj'" in text
    assert "PERMITTED: a section in force authorises it" in text
    assert "AG-DIRECTIVE-2025-08-15 § cooperate" in text
    assert "issued by Attorney General of the United States" in text


def test_explain_default_deny_says_nothing_authorises_it() -> None:
    result = invoke(
        "explain", "--view", "doj", "--at", NOON_15, input=jsonl(ncic_status(id="dflt"))
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Request dflt at 2025-08-15T12:00:00-04:00, view 'doj'" in text
    assert "no section in force authorises it" in text
    own, other = text.split("Under view 'mpd': ")  # the doj decision, then the other view's
    assert "§" not in own  # nothing cited
    assert "In force: AG-ORDER-2025-08-14," in own
    assert "EO-25-005" not in own
    assert other.startswith("deny (forbid); cites EO-25-005 E3")  # same outcome: no warning
    assert "CONTESTED READING" not in text


def test_explain_reads_a_file_and_reports_invalid_lines(write: Any) -> None:
    source = write(jsonl(ncic_status(id="one", at=NOON_15), '{"id": "two"}'))
    result = invoke("explain", source)
    assert result.exit_code == 2
    assert "Request one" in result.stdout
    assert "line 2: invalid request: actor" in result.stdout


# -- directives ---------------------------------------------------------------------------------


def test_directives_list_shows_all_ten() -> None:
    result = invoke("directives", "list")
    assert result.exit_code == 0, result.output
    ids = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert ids == ALL_DIRECTIVES
    assert "EO-14333                   2025-08-11T00:00:00-04:00 until 2025-09-10" in result.stdout


def test_directives_list_json() -> None:
    result = invoke("directives", "list", "--json")
    assert result.exit_code == 0, result.output
    [obj] = out_lines(result)
    assert {d["id"] for d in obj["directives"]} == ALL_DIRECTIVES
    eo = next(d for d in obj["directives"] if d["id"] == "AG-ORDER-2025-08-14")
    assert set(eo["rescinds"]) == {"EO-25-005", "MPD-PRIOR-POLICY"}
    assert eo["effective_from"] == "2025-08-14T21:00:00-04:00"


def test_directives_show() -> None:
    result = invoke("directives", "show", "EO-25-005")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("EO-25-005: Immigration Enforcement")
    assert "issuer: Chief of Police, Metropolitan Police Department (Pamela A. Smith)" in text
    assert "supersedes: MPD-PRIOR-POLICY" in text
    for label in ("E1", "E2", "E3", "E4", "E5", "E6", "E7"):
        assert f"§ {label}" in text
    assert "solely for the purpose of inquiring" in text


def test_directives_show_json() -> None:
    result = invoke("directives", "show", "EO-25-005", "--json")
    assert result.exit_code == 0, result.output
    [obj] = out_lines(result)
    assert obj["id"] == "EO-25-005"
    assert [s["label"] for s in obj["sections"]] == [f"E{i}" for i in range(1, 8)]
    assert obj["issuer"] == "Chief of Police, Metropolitan Police Department"


def test_directives_show_unknown_id() -> None:
    result = invoke("directives", "show", "NOPE")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "NOPE" in result.stderr
    assert "no directive" in result.stderr
    assert "EO-25-005" in result.stderr  # lists what exists


def _status_lines(text: str) -> dict[str, str]:
    return {line.split()[0]: line for line in text.splitlines()[1:] if line.strip()}


def test_directives_in_force_doj_at_noon_15_august() -> None:
    result = invoke("directives", "in-force", "--at", NOON_15, "--view", "doj")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("At 2025-08-15T12:00:00-04:00 in view 'doj':")
    lines = _status_lines(result.stdout)
    assert set(lines) == ALL_DIRECTIVES
    assert "not in force" in lines["EO-25-005"]
    assert "rescinded by AG-ORDER-2025-08-14" in lines["EO-25-005"]
    assert "not in force" in lines["AG-DIRECTIVE-2025-08-15"]
    assert "not yet effective" in lines["AG-DIRECTIVE-2025-08-15"]
    assert "effective from 2025-08-15T18:30:00-04:00" in lines["AG-DIRECTIVE-2025-08-15"]
    assert "since" not in lines["AG-DIRECTIVE-2025-08-15"]  # not "not yet effective since"
    assert "IN FORCE" in lines["AG-ORDER-2025-08-14"]
    assert "IN FORCE" in lines["EO-14333"]


def test_directives_in_force_mpd_is_the_default_view() -> None:
    result = invoke("directives", "in-force", "--at", NOON_15)
    assert result.exit_code == 0, result.output
    lines = _status_lines(result.stdout)
    assert "in view 'mpd'" in result.stdout
    assert "IN FORCE" in lines["EO-25-005"]
    assert "not recognised" in lines["AG-ORDER-2025-08-14"]


def test_directives_in_force_json_shape_matches_decide() -> None:
    result = invoke("directives", "in-force", "--at", NOON_15, "--view", "doj", "--json")
    assert result.exit_code == 0, result.output
    [obj] = out_lines(result)
    assert set(obj) == {"at", "view", "in_force", "policy_version", "directives"}
    assert obj["at"] == NOON_15
    assert obj["view"] == "doj"
    assert obj["in_force"] == sorted(obj["in_force"])
    for status in obj["directives"]:
        assert set(status) == {
            "directive",
            "title",
            "issuer",
            "issuer_name",
            "authority",
            "authority_chain",
            "authority_paths",
            "in_force",
            "standing",
            "reason",
            "by",
            "since",
            "superseded_sections",
        }
    by_id = {s["directive"]: s for s in obj["directives"]}
    assert set(by_id) == ALL_DIRECTIVES
    assert sorted(i for i, s in by_id.items() if s["in_force"]) == obj["in_force"]
    eo = by_id["EO-25-005"]
    assert (eo["in_force"], eo["standing"], eo["by"]) == (False, "rescinded", "AG-ORDER-2025-08-14")
    assert eo["since"] == "2025-08-14T21:00:00-04:00"
    assert by_id["AG-DIRECTIVE-2025-08-15"]["standing"] == "not_yet_effective"
    # the same instant and view decide against exactly this regime
    decided = invoke("decide", "--view", "doj", input=jsonl(ncic_status(at=NOON_15)))
    [d] = out_lines(decided)
    assert d["in_force"] == obj["in_force"]
    assert d["policy_version"] == obj["policy_version"]


def test_directives_in_force_after_the_emergency_lapsed() -> None:
    at = "2025-09-20T12:00:00-04:00"
    result = invoke("directives", "in-force", "--at", at, "--view", "doj")
    assert result.exit_code == 0, result.output
    lines = _status_lines(result.stdout)
    assert "not in force" in lines["AG-DIRECTIVE-2025-08-15"]
    assert "lapsed with its authority EO-14333" in lines["AG-DIRECTIVE-2025-08-15"]
    assert "not in force" in lines["EO-14333"]
    assert "2025-09-10T00:00:00-04:00" in lines["EO-14333"]
    assert "rescinded by AG-ORDER-2025-08-14" in lines["EO-25-005"]  # rescission is permanent
    assert "IN FORCE" in lines["MO-2025-090"]
    as_json = invoke("directives", "in-force", "--at", at, "--view", "doj", "--json")
    [obj] = out_lines(as_json)
    ag = next(s for s in obj["directives"] if s["directive"] == "AG-DIRECTIVE-2025-08-15")
    assert (ag["standing"], ag["by"]) == ("lapsed", "EO-14333")
    assert "AG-DIRECTIVE-2025-08-15" not in obj["in_force"]


def test_directives_in_force_at_in_utc_is_shown_in_eastern() -> None:
    result = invoke("directives", "in-force", "--at", "2025-08-15T16:00:00Z", "--json")
    [obj] = out_lines(result)
    assert obj["at"] == NOON_15


def test_directives_validate() -> None:
    result = invoke("directives", "validate")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "pack dc" in text
    assert "is valid" in text
    assert "10 directives" in text
    assert re.search(r"\d+ sections, \d+ policies", text)
    assert "views: doj, mpd (default mpd)" in text


def test_directives_with_missing_pack_folder_fails(tmp_path: Path) -> None:
    result = invoke("directives", "list", "--pack", str(tmp_path / "no-such-pack"))
    assert result.exit_code != 0
    assert result.stdout == ""


# -- help and version ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "purpose"),
    [
        ([], "decide, record and oversee actions that touch immigration enforcement"),
        (["decide"], "one JSON decision per line"),
        (["explain"], "explain each decision for a person"),
        (["directives"], "List, show, validate the directives of a pack"),
        (["directives", "list"], "List every directive of the pack"),
        (["directives", "show"], "Show one directive"),
        (["directives", "in-force"], "Which directives are in force at an instant"),
        (["directives", "validate"], "Validate a pack completely"),
    ],
    ids=["liaison", "decide", "explain", "directives", "list", "show", "in-force", "validate"],
)
def test_help(args: list[str], purpose: str) -> None:
    result = invoke(*args, "--help")
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "Usage:" in text
    assert purpose in text


def test_help_lists_options() -> None:
    text = flat(invoke("decide", "--help").stdout)
    for option in ("--at", "--view", "--compare", "--pack"):
        assert option in text


def test_in_force_help_names_no_requests() -> None:
    """``directives in-force --at`` is the instant looked at: no request's own ``at`` to win."""
    text = flat(invoke("directives", "in-force", "--help").stdout)
    assert "--at" in text
    assert "RFC 3339 instant with offset (default: now)" in text
    assert "requests" not in text
    assert "requests' own `at` wins" in flat(invoke("decide", "--help").stdout)


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"liaison {__version__}"


# -- empty and missing input --------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "\n\n  \n"], ids=["empty", "blank-lines"])
@pytest.mark.parametrize("command", ["decide", "explain"])
def test_empty_input_file_gives_no_output(write: Any, command: str, content: str) -> None:
    result = invoke(command, write(content))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_empty_standard_input_gives_no_output() -> None:
    result = invoke("decide", input="")
    assert result.exit_code == 0
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["decide", "explain"])
def test_missing_input_file_is_a_clear_error(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nope.jsonl"
    result = invoke(command, str(missing))
    assert result.exit_code != 0
    assert result.stdout == ""
    assert str(missing) in result.stderr
    assert "No such file" in result.stderr
    assert "Traceback" not in result.output


def test_directory_as_input_is_a_clear_error(tmp_path: Path) -> None:
    result = invoke("decide", str(tmp_path))
    assert result.exit_code != 0
    assert result.stdout == ""
    assert str(tmp_path) in result.stderr


# -- the installed console script, in a real subprocess ----------------------------------------

SCRIPT = Path(sys.executable).with_name("liaison")


def run_script(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.exists(), f"console script not installed at {SCRIPT}"
    return subprocess.run(
        [str(SCRIPT), *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_console_script_decides_mixed_json_lines_from_stdin() -> None:
    text = jsonl(
        ncic_status(id="sp-1", at="2025-08-15T16:00:00Z"),
        share_stopped(id="sp-2", at=NOON_15, colour="red"),
        ncic_status(id="sp-3", at=EVENING_15, view="doj"),
    )
    proc = run_script("decide", "-", input=text)
    assert proc.returncode == 2, proc.stderr
    first, second, third = (json.loads(line) for line in proc.stdout.splitlines())
    assert_decision_shape(first)
    assert (first["id"], first["basis"], first["at"]) == ("sp-1", "forbid", NOON_15)
    assert_error(second, line=2, field="colour", id="sp-2")
    assert (third["id"], third["decision"]) == ("sp-3", "permit")


def test_console_script_decides_a_file_and_compares(write: Any) -> None:
    source = write(jsonl(ncic_status(id="f", at=EVENING_15)))
    proc = run_script("decide", "--compare", source)
    assert proc.returncode == 0, proc.stderr
    [cmp] = (json.loads(line) for line in proc.stdout.splitlines())
    assert cmp["agree"] is False
    assert (cmp["views"]["mpd"]["decision"], cmp["views"]["doj"]["decision"]) == ("deny", "permit")


def test_console_script_version_and_errors() -> None:
    version = run_script("--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"liaison {__version__}")
    missing = run_script("directives", "show", "NOPE")
    assert missing.returncode == 2
    assert "no directive 'NOPE'" in missing.stderr


def test_decide_answers_each_line_as_it_arrives_on_a_pipe() -> None:
    """A caller that writes one request and waits for its answer is not kept waiting."""
    exe = Path(sys.executable).with_name("liaison")
    proc = subprocess.Popen(
        [str(exe), "decide", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        for n in range(3):
            proc.stdin.write(json.dumps({**_INTERACTIVE, "id": f"live-{n}"}) + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            assert ready, "no answer within 30 s: the CLI waited for more input"
            answer = json.loads(proc.stdout.readline())
            assert answer["id"] == f"live-{n}"
            assert answer["decision"] == "permit"
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert proc.returncode == 0


_INTERACTIVE = {
    "at": "2025-08-15T12:00:00-04:00",
    "actor": {"id": "officer-1", "agency": "MPD", "role": "officer"},
    "action": "share_information",
    "purposes": ["assist_federal_agency"],
    "subject": {"id": "p", "custody": "stopped"},
    "recipient": {"agency": "ICE-ERO", "type": "federal_immigration"},
    "data_classes": ["identity"],
}
