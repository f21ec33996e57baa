"""Who a key may decide or record as: its own actor, or those it acts for, at a rank its
role allows (docs/api.md, "Authentication and roles")."""

from __future__ import annotations

from liaison.errors import Forbidden
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.model.request import Actor
from liaison.model.vocabulary import ActorRole

# Ranks an officer's key may not claim for its actor (a supervisor's key may claim any).
SUPERVISORY_RANKS = frozenset({ActorRole.SUPERVISOR, ActorRole.COMMANDER})


def require_acting_for(who: Principal, actor: Actor, verb: str) -> None:
    """``Forbidden`` unless ``who`` may ``verb`` (decide, record) as ``actor``."""
    if not who.may_act_for(actor.id, actor.unit):
        raise Forbidden(
            f"{who.role.value} {who.actor_id} may not {verb} as {actor.id} (unit {actor.unit})"
        )
    if who.role is KeyRole.OFFICER and actor.role in SUPERVISORY_RANKS:
        raise Forbidden(
            f"an officer's key may not {verb} as a {actor.role.value} (actor.role); "
            "a supervisor's key may"
        )
