"""PIN hashing with argon2id, and the PIN rule of each role: the station never stores or logs
a PIN itself.

Who may do more needs a longer PIN: a clerk or grader at least 4 digits, a supervisor at
least 6, an admin at least 8 (a stolen database is no help anyway: hashes are sealed with
the station's pepper, station/settings/pin_pepper.py). A PIN set before this rule keeps
working until it is reset; a promotion to a role with a longer minimum needs a new PIN.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from station.common.vocabulary import Role

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 12
MIN_SUPERVISOR_PIN_LENGTH = 6
MIN_ADMIN_PIN_LENGTH = 8
_MIN_BY_ROLE = {
    Role.CLERK: MIN_PIN_LENGTH,
    Role.GRADER: MIN_PIN_LENGTH,
    Role.SUPERVISOR: MIN_SUPERVISOR_PIN_LENGTH,
    Role.ADMIN: MIN_ADMIN_PIN_LENGTH,
}


class PinPolicyError(ValueError):
    pass


def min_pin_length(role: Role) -> int:
    return _MIN_BY_ROLE[role]


def pin_rule(role: Role) -> str:
    """The rule for `role` in words, e.g. "an admin's PIN has 8 to 12 digits"."""
    article = "an" if role.value[0] in "aeiou" else "a"
    return f"{article} {role.value}'s PIN has {min_pin_length(role)} to {MAX_PIN_LENGTH} digits"


def needs_new_pin(old_role: Role, new_role: Role) -> bool:
    """A move to a role with a longer minimum needs a new PIN (a hash does not tell the
    length of the PIN it was made from)."""
    return min_pin_length(new_role) > min_pin_length(old_role)


def check_pin_policy(pin: str, role: Role) -> None:
    if not pin.isdigit() or not pin.isascii():
        raise PinPolicyError("a PIN is digits only")
    if not min_pin_length(role) <= len(pin) <= MAX_PIN_LENGTH:
        raise PinPolicyError(pin_rule(role))
    if len(set(pin)) == 1:
        raise PinPolicyError("a PIN cannot be one digit repeated")


# argon2 is imported on the first PIN hashed or checked, not at start: the sign-in screen
# shows before anyone types a PIN (start-up time, issue #17).
@functools.cache
def _hasher() -> PasswordHasher:
    """The station's argon2id hasher. Cheap enough for a bench PC to answer a sign-in in well
    under a second, costly enough to make guessing PINs offline slow; the online limit is
    the lockout."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_pin(pin: str, role: Role) -> str:
    check_pin_policy(pin, role)
    return _hasher().hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False
