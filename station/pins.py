"""PIN hashing with argon2id: the station never stores or logs a PIN itself."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Cheap enough for a bench PC to answer a sign-in in well under a second, costly enough to
# make guessing 4-8 digit PINs offline slow; the online limit is the lockout.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)

MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 12


class PinPolicyError(ValueError):
    pass


def check_pin_policy(pin: str) -> None:
    if not pin.isdigit() or not pin.isascii():
        raise PinPolicyError("a PIN is digits only")
    if not MIN_PIN_LENGTH <= len(pin) <= MAX_PIN_LENGTH:
        raise PinPolicyError(f"a PIN has {MIN_PIN_LENGTH} to {MAX_PIN_LENGTH} digits")
    if len(set(pin)) == 1:
        raise PinPolicyError("a PIN cannot be one digit repeated")


def hash_pin(pin: str) -> str:
    check_pin_policy(pin)
    return _hasher.hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False
