"""Named counters that many writers can bump at once without losing an increment.

`bump` is one `UPDATE … SET value = value + 1 … RETURNING value`: the row lock it takes
lasts until the caller's transaction ends, so numbers are handed out in commit order — what
a watermark pull (`change_seq > mark`) needs to never skip a row committed late.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from station.store.models import Counter


def bump(session: Session, name: str) -> int:
    """The next value of counter `name` (1 for a new counter), in the caller's transaction."""
    statement = update(Counter).where(Counter.name == name).values(
        value=Counter.value + 1).returning(Counter.value)
    value = session.scalar(statement)
    if value is not None:
        return int(value)
    try:
        with session.begin_nested():
            session.execute(insert(Counter).values(name=name, value=0))
    except IntegrityError:  # another writer created it first
        pass
    value = session.scalar(statement)
    assert value is not None
    return int(value)


def current(session: Session, name: str) -> int:
    return int(session.scalar(select(Counter.value).where(Counter.name == name)) or 0)


def set_to(session: Session, name: str, value: int) -> None:
    """Set counter `name` (a pull watermark, kept by one writer) to `value`."""
    counter = session.get(Counter, name)
    if counter is None:
        session.add(Counter(name=name, value=value))
    else:
        counter.value = value
