"""A unit's summary row on a real PostgreSQL server when two transactions bring facts of
the same unit at the same moment (two stations pushing): the row ends up with both."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from station.store import schema, unit_summaries
from station.store.database import make_engine, session_factory
from station.store.models import Inspection, RefundTrigger, Unit, UnitSummary

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
GRADER = uuid.uuid4()


def _inspection(unit_id: uuid.UUID, grade: str, done: datetime) -> Inspection:
    return Inspection(unit_id=unit_id, grader_id=GRADER, grade=grade, flags=[], answers={},
                      started_at=done - timedelta(minutes=5), completed_at=done,
                      station_code="ST-01")


def test_facts_of_one_unit_committed_together_both_reach_its_row(
        fresh_postgres_url: str) -> None:
    engine = make_engine(fresh_postgres_url)
    schema.upgrade(engine, label="central")
    sessions = session_factory(engine)
    unit_id = uuid.uuid4()
    with sessions.begin() as session:
        session.add(Unit(id=unit_id, lpn="ST0100000001X", receipt_id=uuid.uuid4(),
                         station_code="ST-01", created_by=GRADER, created_at=T0))
        session.add(_inspection(unit_id, "A", T0 + timedelta(minutes=10)))

    first = sessions()
    first.begin()
    first.add(_inspection(unit_id, "C", T0 + timedelta(hours=2)))  # a re-grade at ST-01
    first.flush()
    unit_summaries.refresh(first.connection(), [unit_id])  # as a push does, before COMMIT

    errors: list[BaseException] = []

    def refund_from_another_station() -> None:
        try:
            with sessions.begin() as second:
                second.add(RefundTrigger(
                    idempotency_key=f"{unit_id}:1", unit_id=unit_id, action="FULL",
                    amount_minor=4999, currency="EUR", settling=True, decided_by=GRADER,
                    created_at=T0 + timedelta(hours=2), station_code="ST-02"))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    racer = threading.Thread(target=refund_from_another_station)
    racer.start()
    with engine.connect() as watcher:  # wait until the second one waits for the first
        for _ in range(200):
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the second transaction never waited for the first"
    first.commit()
    first.close()
    racer.join(timeout=30)
    assert not errors, errors

    with sessions() as session:
        row = session.scalars(select(UnitSummary).where(UnitSummary.unit_id == unit_id)).one()
    assert (row.grade, row.inspected_at) == ("C", T0 + timedelta(hours=2))
    assert (row.refund_action, row.refund_amount_minor) == ("FULL", 4999)
    engine.dispose()
