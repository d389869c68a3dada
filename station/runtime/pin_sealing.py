"""At start-up: find this station's PIN pepper and seal the PIN hashes stored before it.

Why: PIN hashes in `station.db` must be useless without the pepper kept outside the data
folder (station/settings/pin_pepper.py). A station database written before peppering holds plain
argon2 hashes; they are sealed once, in one audited transaction (`users.pins_sealed`).

Contract of `station_pepper(sessions, data_dir, …)`:
- The pepper's id is the local counter `pin_pepper_id` (not secret; the station database
  only names its key). A database without one gets a new id and a new pepper.
- Plain hashes are sealed only while the station holds no sealed hash yet: that is the
  one-time conversion. A plain hash found later was not written by this station (an edited
  database) and is left unsealed, so it never signs anyone in; it is reported instead.
- Sealed hashes that this pepper cannot open (the key was lost or replaced) are reported:
  one log line and one line on stderr; those users need a PIN reset.
"""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from station.audit import chain as audit
from station.settings.pin_pepper import PepperError, PinPepper, is_sealed, load_or_create_pepper
from station.store import sequences
from station.store.models import Counter, User

PEPPER_COUNTER = "pin_pepper_id"
log = logging.getLogger(__name__)


def _key_id(session: Session) -> str:
    counter = session.get(Counter, PEPPER_COUNTER)
    if counter is None:
        value = secrets.randbits(63)
        sequences.set_to(session, PEPPER_COUNTER, value)
        return f"{value:016x}"
    return f"{int(counter.value):016x}"


def _warn(message: str) -> None:
    log.warning("%s", message)
    print(f"returns-station: {message}", file=sys.stderr)


def station_pepper(sessions: sessionmaker[Session], data_dir: Path, *, station_code: str,
                   now: datetime, env: Mapping[str, str] | None = None) -> PinPepper:
    """The station's pepper, with every PIN hash of the local database sealed by it."""
    with sessions.begin() as session:
        pepper = load_or_create_pepper(_key_id(session), data_dir=data_dir, env=env)
        users = list(session.scalars(select(User).order_by(User.username)))
        sealed = [u for u in users if is_sealed(u.pin_hash)]
        plain = [u for u in users if not is_sealed(u.pin_hash)]
        if plain and not sealed:
            for user in plain:
                user.pin_hash = pepper.seal(user.pin_hash)
            audit.record(session, station_code=station_code, actor=None,
                         actor_name="start-up", action="users.pins_sealed", subject="users",
                         data={"count": len(plain)}, now=now)
            log.info("sealed %d PIN hashes with the station's PIN key", len(plain))
        elif plain:
            _warn(f"The PIN of {', '.join(u.username for u in plain)} was not set by this "
                  "station (stored unsealed) and will not sign in; an administrator must reset "
                  "it.")
    unreadable = []
    for user in sealed:
        try:
            pepper.open(user.pin_hash)
        except PepperError:
            unreadable.append(user.username)
    if unreadable:
        _warn(f"This station's PIN key does not open the PIN of {', '.join(unreadable)} (the "
              "key kept outside the database was lost or replaced). Those people sign in with "
              "a badge, or an administrator resets their PINs, or restore the key.")
    return pepper
