"""Who may do what: checked in the core for every use case, whatever the UI shows.

A refusal is itself an audited security event, written in its own transaction so that it
survives the failed use case that caused it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from station.common.errors import UserFacingError
from station.common.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    """The signed-in person a use case acts for."""

    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role

    @property
    def initials(self) -> str:
        parts = [p for p in self.display_name.split() if p[:1].isalpha()]
        return "".join(p[0].upper() for p in parts[:3]) or self.username[:2].upper()


class Action(StrEnum):
    RECEIVE = "receive"
    INSPECT = "inspect"
    ROUTE = "route"
    APPROVE_REFUND = "approve_refund"
    VOID = "void"
    RESOLVE_EXCEPTION = "resolve_exception"
    EDIT_RULES = "edit_rules"
    MANAGE_USERS = "manage_users"
    IMPORT_RMAS = "import_rmas"
    PURGE_DATA = "purge_data"


REQUIRED_ROLE: dict[Action, Role] = {
    Action.RECEIVE: Role.CLERK,
    Action.INSPECT: Role.GRADER,
    Action.ROUTE: Role.GRADER,
    Action.APPROVE_REFUND: Role.SUPERVISOR,
    Action.VOID: Role.SUPERVISOR,
    Action.RESOLVE_EXCEPTION: Role.SUPERVISOR,
    Action.EDIT_RULES: Role.SUPERVISOR,
    Action.IMPORT_RMAS: Role.SUPERVISOR,
    Action.MANAGE_USERS: Role.ADMIN,
    Action.PURGE_DATA: Role.ADMIN,
}


ACTION_PHRASES: dict[Action, str] = {
    Action.RECEIVE: "receive parcels",
    Action.INSPECT: "inspect units",
    Action.ROUTE: "route units",
    Action.APPROVE_REFUND: "approve held refunds",
    Action.VOID: "void or reprint",
    Action.RESOLVE_EXCEPTION: "resolve exceptions",
    Action.EDIT_RULES: "edit routing rules",
    Action.IMPORT_RMAS: "import RMAs",
    Action.MANAGE_USERS: "manage users",
    Action.PURGE_DATA: "purge customer data",
}


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


class PermissionDenied(UserFacingError, PermissionError):
    def __init__(self, actor: Actor, action: Action) -> None:
        needed = REQUIRED_ROLE[action].value
        super().__init__(
            f"{actor.display_name} ({actor.role.value}) may not {ACTION_PHRASES[action]}: "
            f"that needs {_a(needed)} or above. Ask {_a(needed)} to sign in."
        )
        self.actor = actor
        self.action = action


def allowed(role: Role, action: Action) -> bool:
    return role.at_least(REQUIRED_ROLE[action])
