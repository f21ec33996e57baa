"""Properties of the engine over generated requests (hypothesis).

- the exact decision cache never changes a decision;
- evaluating the action's slice with the context cut to what it reads gives
  the same answer as the whole policy set with the whole context;
- every context the engine builds conforms to the pack's Cedar schema.

Every property holds for every shipped pack (dc, ca, il), over requests that use the
additions for state packs (recipient jurisdiction and declaration, qualifying conviction,
access of kind data).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import cedarpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaison.model import parse_request
from liaison.model import vocabulary as v
from liaison.model.request import ActionRequest
from liaison.policy import Engine, load_pack, shipped_pack_path
from liaison.policy.context import cedar_request, context_key

PACKS = ("dc", "ca", "il")
ENGINES = {name: Engine(load_pack(shipped_pack_path(name))) for name in PACKS}
# tiny caches: every batch evicts
SMALL = {name: Engine(engine.pack, cache_capacity=4) for name, engine in ENGINES.items()}
ENGINE = ENGINES["dc"]
START = datetime(2025, 8, 1, tzinfo=UTC)
# Where each pack's history happens: (start, minutes covered).
SPANS = {
    "dc": (START, 60 * 24 * 60),
    "ca": (datetime(2013, 6, 1, tzinfo=UTC), 60 * 24 * 365 * 13),
    "il": (datetime(2016, 6, 1, tzinfo=UTC), 60 * 24 * 365 * 10),
}


def _enum(kind: type[Any]) -> st.SearchStrategy[str]:
    return st.sampled_from([m.value for m in kind])


def _subset(kind: type[Any]) -> st.SearchStrategy[list[str]]:
    return st.lists(_enum(kind), min_size=1, max_size=4, unique=True)


party = st.fixed_dictionaries(
    {
        "agency": st.sampled_from(["ICE-ERO", "HSI", "FBI", "MSP", "X"]),
        "type": _enum(v.RecipientType),
    }
)
recipient = st.fixed_dictionaries(
    {
        "agency": st.sampled_from(["ICE-ERO", "HSI", "FBI", "MSP", "X"]),
        "type": _enum(v.RecipientType),
    },
    optional={"jurisdiction": _enum(v.Jurisdiction), "declaration_on_file": st.booleans()},
)


@st.composite
def requests(draw: st.DrawFn, pack: str = "dc") -> dict[str, Any]:
    action = draw(_enum(v.Action))
    start, span = SPANS[pack]
    at = start + timedelta(minutes=draw(st.integers(0, span)))
    req: dict[str, Any] = {
        "at": at.isoformat(),
        "view": draw(st.sampled_from(sorted(ENGINES[pack].pack.views))),
        "actor": {"id": "o", "agency": "MPD", "role": draw(_enum(v.ActorRole))},
        "action": action,
        "subject": {
            "id": "s",
            "custody": draw(_enum(v.Custody)),
            "federal_criminal_charge": draw(st.booleans()),
            "qualifying_conviction": draw(st.booleans()),
        },
        "legal_process": draw(_enum(v.LegalProcess)),
        "initiative": draw(_enum(v.Initiative)),
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "purposes": _subset(v.Purpose),
        "data_classes": _subset(v.DataClass),
        "recipient": recipient,
        "database": _enum(v.Database),
        "arrest_basis": _enum(v.ArrestBasis),
        "transport": st.fixed_dictionaries({"passengers": _enum(v.Passengers)}),
        "access": st.fixed_dictionaries(
            {
                "kind": _enum(v.AccessKind),
                "detainee_requested": st.booleans(),
                "counsel": _enum(v.Counsel),
            }
        ),
        "operation": st.fixed_dictionaries(
            {"kind": _enum(v.OperationKind), "partners": st.lists(party, min_size=1, max_size=3)}
        ),
        "case_number": st.sampled_from(["CCN-1", "CCN-2"]),
        "encounter": st.fixed_dictionaries({"kind": _enum(v.EncounterKind), "id": st.just("e")}),
    }
    required = v.REQUIRED_BY_ACTION[v.Action(action)]
    for name, strategy in optional.items():
        if name in required or draw(st.booleans()):
            req[name] = draw(strategy)
    if action == "joint_operation" and draw(st.booleans()):
        del req["subject"]
    if req.get("access", {}).get("kind") == "data":
        if action == "grant_access" and "data_classes" not in req:
            req["data_classes"] = draw(_subset(v.DataClass))
        for name in ("detainee_requested", "counsel"):
            if draw(st.booleans()):
                del req["access"][name]  # may be omitted for kind data
    return req


def _answer(engine: Engine, request: ActionRequest) -> tuple[Any, ...]:
    d = engine.decide(request, use_cache=False)
    return d.decision, d.basis, d.citations, d.errors, d.in_force, d.policy_version


@pytest.mark.parametrize("pack", PACKS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_cached_and_uncached_decisions_are_identical(pack: str, data: st.DataObject) -> None:
    batch = data.draw(st.lists(requests(pack), min_size=1, max_size=6))
    cached = SMALL[pack]
    for raw in batch + batch:  # the second pass hits the cache
        request = parse_request(raw)
        hit = cached.decide(request)
        assert (
            hit.decision,
            hit.basis,
            hit.citations,
            hit.errors,
            hit.in_force,
            hit.policy_version,
        ) == _answer(ENGINES[pack], request)


def _whole_policy_set(pack: str, data: st.DataObject, schema: str | None = None) -> Any:
    """A drawn request of ``pack``, its regime, and Cedar's answer from the regime's whole
    policy set (checked against ``schema`` when given)."""
    request = parse_request(data.draw(requests(pack)))
    regime = ENGINES[pack].regime(request.at or START, request.view)
    extra = {} if schema is None else {"schema": schema}
    result = cedarpy.is_authorized(
        cedar_request(request.action.value, context_key(request)),
        regime.compiled.policy_set,
        [],
        **extra,
    )
    return request, regime, result


@pytest.mark.parametrize("pack", PACKS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_slices_decide_like_the_whole_policy_set(pack: str, data: st.DataObject) -> None:
    request, regime, whole = _whole_policy_set(pack, data)
    assert not whole.diagnostics.errors
    expected = regime.compiled.interpret(whole)
    got = ENGINES[pack].decide(request, use_cache=False)
    assert (got.decision, got.basis, got.citations) == (
        expected.outcome,
        expected.basis,
        expected.citations,
    )


@pytest.mark.parametrize("pack", PACKS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_context_conforms_to_the_schema(pack: str, data: st.DataObject) -> None:
    _, _, result = _whole_policy_set(pack, data, schema=ENGINES[pack].pack.schema_text)
    assert result.diagnostics.errors == []
    assert result.decision in (cedarpy.Decision.Allow, cedarpy.Decision.Deny)


@pytest.mark.parametrize("view", ["mpd", "doj"])
def test_no_generated_request_ever_errors(view: str) -> None:
    """Smoke over every action at a fixed instant: the D.C. pack never errors at evaluation."""
    for action in v.Action:
        fields = v.REQUIRED_BY_ACTION[action]
        raw: dict[str, Any] = {
            "at": "2025-08-20T12:00:00-04:00",
            "view": view,
            "actor": {"id": "o", "agency": "MPD", "role": "officer"},
            "action": action.value,
            "subject": {"id": "s", "custody": "stopped"},
        }
        fill = {
            "purposes": ["criminal_investigation"],
            "recipient": {"agency": "FBI", "type": "federal_other"},
            "database": "NCIC",
            "data_classes": ["identity"],
            "transport": {"passengers": "mpd_arrestee"},
            "arrest_basis": "offense",
            "access": {"kind": "interview", "detainee_requested": True, "counsel": "present"},
            "operation": {
                "kind": "patrol",
                "partners": [{"agency": "FBI", "type": "federal_other"}],
            },
        }
        raw.update({k: fill[k] for k in fields if k in fill})
        assert not ENGINE.decide(parse_request(raw), use_cache=False).errors


@pytest.mark.parametrize("pack", PACKS)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), size=st.integers(1, 8))
def test_batch_decisions_equal_single_decisions(pack: str, data: st.DataObject, size: int) -> None:
    from liaison.errors import InvalidRequest

    batch = data.draw(st.lists(requests(pack), min_size=1, max_size=30))
    parsed = [parse_request(raw) for raw in batch]
    parsed.append(parsed[0].model_copy(update={"view": "no-such-view"}))
    # small: entries are evicted mid-batch
    engine = Engine(ENGINES[pack].pack, cache_capacity=size)
    got = engine.decide_many(parsed + parsed)
    for request, item in zip(parsed + parsed, got, strict=True):
        if request.view == "no-such-view":
            assert isinstance(item, InvalidRequest)
            assert item.field == "view"
            continue
        assert not isinstance(item, InvalidRequest)
        assert (
            item.decision,
            item.basis,
            item.citations,
            item.errors,
            item.in_force,
            item.policy_version,
            item.id,
            item.at,
        ) == (*_answer(ENGINES[pack], request), request.id, request.at)
