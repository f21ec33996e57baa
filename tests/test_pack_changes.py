"""Directive pack changes (issue 4): only admins change the pack, each change is validated
whole and is a ledger entry, and every decision after a change's entry was made under it,
whichever gateway (process) made it."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

import liaison.gateway.index_writes as index_writes
from liaison.errors import Forbidden, InvalidRequest, PackChanged, PackError, StalePack, Unavailable
from liaison.gateway.auth import Principal
from liaison.gateway.deciding import PACK_RETRIES
from liaison.gateway.events import Event
from liaison.gateway.index_writes import DecisionIndex, IndexData, write_index
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.ledger.check import check_ledger
from liaison.ledger.committer import GroupCommitter, Refusal
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.sequencer import Appended
from liaison.model.decision import Outcome
from liaison.model.request import parse_request
from liaison.policy import Engine as PolicyEngine
from liaison.policy import load_pack, load_pack_files, shipped_pack_path
from liaison.policy.pack_files import apply_changes, file_changes, pack_digest, read_pack_files

ORIGIN = "test.example/packs"
ADMIN = Principal("k-admin", KeyRole.ADMIN, "admin-1", None)
OFFICER = Principal("k-officer", KeyRole.OFFICER, "officer-1", "1D")
NEW = "directives/TEST-NO-INQUIRIES.toml"
EVENT = {
    "at": "2025-08-15T12:30:00-04:00",
    "actor": {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"},
}
FORBID_INQUIRIES = """\
id = "TEST-NO-INQUIRIES"
title = "No database inquiries (a test order)"
kind = "chief_order"
issuer = "Chief of Police, Metropolitan Police Department"
issued_at = "2025-01-01T00:00:00-05:00"
effective_from = "2025-01-01T00:00:00-05:00"
authority = [{ external = "A test authority" }]

[[sources]]
title = "A test"

[[sections]]
label = "1"
heading = "No database inquiries"
text = "Members shall not make database inquiries."
text_kind = "paraphrase"
source = "A test"
policy = '''
@directive("TEST-NO-INQUIRIES")
@section("1")
forbid (principal, action == Liaison::Action::"database_inquiry", resource);
'''
"""


@pytest.fixture(scope="module")
def dc_files() -> dict[str, str]:
    return read_pack_files(shipped_pack_path("dc"))


@pytest.fixture(scope="module")
def policy() -> PolicyEngine:
    return PolicyEngine(load_pack(shipped_pack_path("dc")))


def make_gateway(engine: Engine, policy: PolicyEngine) -> Gateway:
    return Gateway(policy, Ledger(engine, ORIGIN), engine)


@pytest.fixture
def gateway(engine: Engine, policy: PolicyEngine, dc_files: dict[str, str]) -> Iterator[Gateway]:
    gw = make_gateway(engine, policy)
    assert gw.record_pack(dc_files, actor="liaison", reason="first pack") is not None
    yield gw
    gw.close()


def inquiry(ident: str, **fields: Any) -> dict[str, Any]:
    """A WALES warrant check on a stopped driver: permitted by MPD-BASELINE."""
    body: dict[str, Any] = {
        "id": ident,
        "at": "2025-08-15T12:00:00-04:00",
        "actor": {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"},
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-77", "custody": "stopped"},
    }
    body.update(fields)
    return body


def decide(gw: Gateway, ident: str) -> dict[str, Any]:
    """The decision, as the API renders it."""
    done = gw.decide_and_record(parse_request(inquiry(ident)), OFFICER)
    return done.decision.to_dict(done.zone)


def forbid(gw: Gateway, reason: str = "a test order forbids inquiries") -> Any:
    base = gw.packs.latest()
    assert base is not None
    return gw.change_pack(ADMIN, reason=reason, base=base.digest, changes={NEW: FORBID_INQUIRIES})


# -- packs as content ----------------------------------------------------------------------


def test_digest_is_of_the_content_not_the_order(dc_files: dict[str, str]) -> None:
    reordered = dict(reversed(list(dc_files.items())))
    assert pack_digest(reordered) == pack_digest(dc_files)
    changed = {**dc_files, "views.toml": dc_files["views.toml"] + "\n"}
    assert pack_digest(changed) != pack_digest(dc_files)


@pytest.mark.parametrize(
    ("path", "text", "why"),
    [
        ("../etc/passwd", "x", "a pack holds only"),
        ("directives/../pack.toml", "x", "a pack holds only"),
        ("/pack.toml", "x", "a pack holds only"),
        ("directives/sub/X.toml", "x", "a pack holds only"),
        ("README.md", "x", "a pack holds only"),
        ("directives/NOPE.toml", None, "no such file to remove"),
        ("views.toml", "a\x00b", "NUL"),
    ],
)
def test_bad_changes_name_the_file(
    dc_files: dict[str, str], path: str, text: str | None, why: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        apply_changes(dc_files, {path: text})
    assert caught.value.field == f"files.{path}"
    assert why in caught.value.message


def test_no_change_is_refused(dc_files: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest, match="at least one file"):
        apply_changes(dc_files, {})


def test_file_changes_list_added_changed_and_removed() -> None:
    old = {"a": "1", "b": "2", "c": "3"}
    new = {"a": "1", "b": "two", "d": "4"}
    changes = file_changes(old, new)
    assert [(c["path"], c["change"]) for c in changes] == [
        ("b", "changed"),
        ("c", "removed"),
        ("d", "added"),
    ]
    assert changes[0]["text"] == "two"
    assert "text" not in changes[1]


def test_a_pack_given_as_content_names_its_files(dc_files: dict[str, str]) -> None:
    broken = apply_changes(dc_files, {NEW: FORBID_INQUIRIES.replace('title = "No', 'titel = "No')})
    with pytest.raises(PackError) as caught:
        load_pack_files(broken)
    problems = {(p.file, p.line) for p in caught.value.problems}
    assert (NEW, 2) in problems  # "titel: unknown key", on line 2 of the file as sent
    loaded = load_pack_files(apply_changes(dc_files, {NEW: FORBID_INQUIRIES}))
    assert str(loaded.directives["TEST-NO-INQUIRIES"].file) == NEW


# -- changing the pack through the gateway --------------------------------------------------


def test_a_change_is_a_ledger_entry_and_decides_from_then_on(gateway: Gateway) -> None:
    before = decide(gateway, "before")
    assert before["decision"] == "permit"
    change = forbid(gateway)
    assert change.seq == 2
    assert change.actor_id == "admin-1"
    entry = gateway.ledger.entry(change.ledger_index).document()
    assert entry["kind"] == "pack_change"
    assert entry["actor"] == "admin-1"
    record = entry["record"]
    assert record["seq"] == 2
    assert record["digest"] == change.digest
    assert record["reason"] == "a test order forbids inquiries"
    assert record["files"] == [
        {
            "path": NEW,
            "change": "added",
            "sha256": record["files"][0]["sha256"],
            "text": FORBID_INQUIRIES,
        }
    ]
    assert record["directives"] == {"added": ["TEST-NO-INQUIRIES"], "changed": [], "removed": []}
    after = decide(gateway, "after")
    assert after["decision"] == "deny"
    assert after["citations"][0]["directive"] == "TEST-NO-INQUIRIES"
    assert after["policy_version"] != before["policy_version"]
    assert not check_ledger(gateway.ledger, None, structure_only=True).problems


def test_the_ledger_alone_rebuilds_every_version(
    gateway: Gateway, dc_files: dict[str, str]
) -> None:
    """Replaying the pack_change entries gives each recorded pack, digest for digest."""
    forbid(gateway)
    latest = gateway.packs.latest()
    assert latest is not None
    gateway.change_pack(ADMIN, reason="withdrawn", base=latest.digest, changes={NEW: None})
    files: dict[str, str] = {}
    digests = []
    for index in range(gateway.ledger.head()[0]):
        document = gateway.ledger.entry(index).document()
        if document["kind"] != "pack_change":
            continue
        for change in document["record"]["files"]:
            if change["change"] == "removed":
                del files[change["path"]]
            else:
                files[change["path"]] = change["text"]
        assert pack_digest(files) == document["record"]["digest"]
        digests.append(document["record"]["digest"])
    assert [h["digest"] for h in gateway.packs.history()] == digests
    assert digests[0] == digests[2] == pack_digest(dc_files)  # withdrawn: as it was


def test_only_admins_change_the_pack(gateway: Gateway) -> None:
    size = gateway.ledger.head()[0]
    base = gateway.packs.latest()
    assert base is not None
    for role in (KeyRole.OFFICER, KeyRole.SUPERVISOR, KeyRole.AUDITOR, KeyRole.PUBLIC):
        who = Principal("k", role, "someone", "1D")
        with pytest.raises(Forbidden):
            gateway.change_pack(who, reason="r", base=base.digest, changes={NEW: FORBID_INQUIRIES})
    assert gateway.ledger.head()[0] == size
    assert gateway.packs.latest() == base


def test_an_invalid_pack_is_refused_and_nothing_is_written(gateway: Gateway) -> None:
    size = gateway.ledger.head()[0]
    base = gateway.packs.latest()
    assert base is not None
    dangling = FORBID_INQUIRIES.replace(
        'authority = [{ external = "A test authority" }]', 'authority = [{ directive = "NOPE" }]'
    )
    with pytest.raises(PackError) as caught:
        gateway.change_pack(ADMIN, reason="r", base=base.digest, changes={NEW: dangling})
    assert any(p.file == NEW and p.line == 7 for p in caught.value.problems)
    with pytest.raises(InvalidRequest, match="reason"):
        gateway.change_pack(ADMIN, reason="  ", base=base.digest, changes={NEW: FORBID_INQUIRIES})
    with pytest.raises(InvalidRequest, match="leaves the pack as it is"):
        gateway.change_pack(
            ADMIN, reason="r", base=base.digest, changes={"views.toml": base.files["views.toml"]}
        )
    renamed = base.files["pack.toml"].replace('id = "dc"', 'id = "ca"')
    with pytest.raises(InvalidRequest) as other_pack:
        gateway.change_pack(ADMIN, reason="r", base=base.digest, changes={"pack.toml": renamed})
    assert other_pack.value.field == "files.pack.toml"
    assert gateway.ledger.head()[0] == size
    assert gateway.packs.latest() == base
    assert decide(gateway, "still")["decision"] == "permit"


def test_a_change_against_an_old_pack_is_a_conflict(gateway: Gateway) -> None:
    old = gateway.packs.latest()
    assert old is not None
    forbid(gateway)
    newest = gateway.packs.latest()
    assert newest is not None
    size = gateway.ledger.head()[0]
    with pytest.raises(StalePack) as stale:
        gateway.change_pack(ADMIN, reason="r", base=old.digest, changes={NEW: None})
    # The admin is told which pack is in force now, to make the change again against it.
    assert f"against {old.digest!r}, but the pack is now {newest.digest}" in str(stale.value)
    assert stale.value.to_dict()["code"] == "conflict"
    assert gateway.ledger.head()[0] == size  # nothing recorded
    assert gateway.packs.latest() == newest  # the newer change stands (not undone)
    assert decide(gateway, "after-stale")["decision"] == "deny"


def test_record_pack_records_only_the_first(
    gateway: Gateway, engine: Engine, policy: PolicyEngine, dc_files: dict[str, str]
) -> None:
    size = gateway.ledger.head()[0]
    other = make_gateway(engine, policy)
    try:
        assert other.record_pack(dc_files, actor="liaison", reason="again") is None
    finally:
        other.close()
    assert gateway.ledger.head()[0] == size


# -- several gateways (processes) over one database -----------------------------------------


def test_another_gateway_decides_under_the_change(
    gateway: Gateway, engine: Engine, policy: PolicyEngine
) -> None:
    """A gateway that has not seen the change yet does not commit a decision made under
    the old pack after the change's entry: it makes the decision again under the new one."""
    other = make_gateway(engine, policy)
    try:
        assert decide(other, "warm")["decision"] == "permit"
        change = forbid(gateway)
        assert other.policy is not gateway.policy  # not reloaded yet
        recorded = other.decide_and_record(parse_request(inquiry("late")), OFFICER)
        assert recorded.ledger_index > change.ledger_index
        assert recorded.decision.decision is Outcome.DENY
        assert (
            other.current_policy().pack.directives.keys() == gateway.policy.pack.directives.keys()
        )
    finally:
        other.close()


def test_no_decision_lands_after_a_change_it_did_not_see(
    gateway: Gateway, engine: Engine, policy: PolicyEngine
) -> None:
    """Under concurrent load from another gateway, every decision before the change's entry
    was made under the old pack and every one after it under the new (by policy_version)."""
    old_version = gateway.policy.regime(parse_request(inquiry("x")).at, None).version
    other = make_gateway(engine, policy)
    stop = threading.Event()

    def load(worker: int) -> int:
        n = late = 0
        while late < 5:  # until 5 decisions were begun after the change committed
            late += stop.is_set()
            decide(other, f"load-{worker}-{n}")
            n += 1
        return n

    try:
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(load, w) for w in range(4)]
            change = forbid(gateway)
            stop.set()
            total = sum(f.result() for f in futures)
        new_version = gateway.policy.regime(parse_request(inquiry("x")).at, None).version
        assert new_version != old_version
        seen = {"before": 0, "after": 0}
        for index in range(gateway.ledger.head()[0]):
            document = gateway.ledger.entry(index).document()
            if document["kind"] != "decision":
                continue
            version = document["record"]["decision"]["policy_version"]
            if index < change.ledger_index:
                assert version == old_version, index
                seen["before"] += 1
            else:
                assert version == new_version, index
                assert document["record"]["decision"]["decision"] == "deny"
                seen["after"] += 1
        assert seen["before"] + seen["after"] == total
        assert seen["after"] >= 4 * 5  # each worker began 5 after it
    finally:
        other.close()


def test_a_pack_that_keeps_changing_leaves_nothing_behind(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When every try meets a newer pack, the caller is told so (503) and nothing of the
    request is left queued to commit afterwards."""
    real = index_writes.current_seq
    calls = {"n": 0}

    def moving(conn: Any) -> int:
        calls["n"] += 1
        return 999 if calls["n"] <= PACK_RETRIES else real(conn)

    monkeypatch.setattr(index_writes, "current_seq", moving)
    size = gateway.ledger.head()[0]
    with pytest.raises(Unavailable, match="kept changing; the request was not decided"):
        gateway.decide_and_record(parse_request(inquiry("moving")), OFFICER)
    assert calls["n"] == PACK_RETRIES  # one check per try, then the refusal
    gateway.record(Event.model_validate({**EVENT, "kind": "arrest"}), OFFICER)  # a later commit
    assert gateway.ledger.head()[0] == size + 1  # the event only
    # The id was not used: the same request, sent again, is decided afresh (not a replay).
    again = gateway.decide_and_record(parse_request(inquiry("moving")), OFFICER)
    assert again.decision.decision is Outcome.PERMIT
    assert again.ledger_index == size + 1


def test_a_stale_decision_fails_alone_in_its_group(gateway: Gateway) -> None:
    """A group commit holding a decision made under an older pack commits the rest at once;
    the stale one is made again under the new pack."""
    groups: list[int] = []
    append_many = gateway.ledger.append_many

    def counted(entries: Any, after: Any = None) -> Any:
        groups.append(len(entries))
        return append_many(entries, after=after)

    gateway.ledger.append_many = counted  # type: ignore[method-assign]
    stale, fresh = 0, gateway.rules.seq  # 0: a version that is no longer newest
    hold = threading.Event()

    def held(conn: Any, written: Sequence[tuple[IndexData, Appended]]) -> Refusal | None:
        hold.wait(5)
        return write_index(conn, written)

    committer: GroupCommitter[IndexData] = GroupCommitter(gateway.ledger, held)
    blocker = committer.enqueue(NewEntry("test", {"hold": True}, "t"), decision_index(9, fresh))
    futures = [
        committer.enqueue(
            NewEntry("test", {"n": n}, "t"), decision_index(n, stale if n == 1 else fresh)
        )
        for n in range(3)
    ]
    hold.set()
    blocker.result()
    with pytest.raises(PackChanged):
        futures[1].result()
    indexes = [futures[0].result().index, futures[2].result().index]
    assert indexes[1] == indexes[0] + 1  # in order, without the stale job
    # The group refused (with or without the blocker), then the rest again, together.
    assert groups in ([1, 3, 2], [4, 3])
    committer.close()


def decision_index(n: int, seq: int) -> DecisionIndex:
    """A decision row made under pack version ``seq`` (its content does not matter here)."""
    now = datetime.now(UTC)
    row = {
        "id": f"grouped-{n}",
        "recorded_at": now,
        "at": now,
        "actor_id": "t",
        "unit": None,
        "action": "inquiry",
        "view": "mpd",
        "decision": "permit",
        "basis": "permit",
        "policy_version": "v",
        "encounter_id": None,
        "encounter_unit": None,
        "document": "{}",
    }
    return DecisionIndex(row, seq)


def test_a_whole_pack_is_checked_as_files_are(gateway: Gateway) -> None:
    """``whole=`` (``liaison packs import``) gets the checks a change's files get."""
    base = gateway.packs.latest()
    assert base is not None
    whole = {**base.files, "views.toml": base.files["views.toml"] + "\x00"}
    with pytest.raises(InvalidRequest) as caught:
        gateway.change_pack(ADMIN, reason="r", base=base.digest, whole=whole)
    assert caught.value.field == "files.views.toml"
    assert gateway.packs.latest() == base


def test_the_digest_is_sha256_of_the_canonical_json_of_the_files() -> None:
    """Pinned to its definition (docs/packs.md), computed here independently."""
    files = {"views.toml": "b = 2\n", "pack.toml": 'id = "x"\n'}
    canonical = b'{"pack.toml":"id = \\"x\\"\\n","views.toml":"b = 2\\n"}'
    assert pack_digest(files) == "sha256:" + hashlib.sha256(canonical).hexdigest()
