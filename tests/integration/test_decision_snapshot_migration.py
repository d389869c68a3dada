"""Migration 0015 on SQLite and a real PostgreSQL: decisions already recorded get the line
they were made on (the case their routing explanation recorded, else the line as it is
now), the import tables appear, and the downgrade takes it all away again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from station.store import schema
from station.store.database import make_engine, sqlite_url
from station.store.models import DispositionDecision, Rma, RmaLine, Unit, UnitSummary

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def migrate(engine: sa.Engine, to: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(schema.MIGRATIONS_DIR))
        config.attributes["engine"] = engine
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, to)


def tables(engine: sa.Engine) -> sa.MetaData:
    meta = sa.MetaData()
    meta.reflect(engine)
    return meta


def decided_unit(engine: sa.Engine, *, explanation: dict[str, object]) -> uuid.UUID:
    """A line, its unit and a decision on it, written as a 0014 database holds them."""
    rma_id, line_id, unit_id, decision_id = (uuid.uuid4() for _ in range(4))
    with engine.begin() as connection:  # only the columns a 0014 database has
        connection.execute(sa.insert(Rma).values(
            id=rma_id, rma_number=f"RMA-{uuid.uuid4().int % 10**6:06d}", order_number="SO-1",
            order_date=T0.date(), customer_name="A", requested="refund", version=1,
            change_seq=1, updated_at=T0))
        connection.execute(sa.insert(RmaLine).values(
            id=line_id, rma_id=rma_id, line_no=1, sku="SKU", description="Serum",
            category="electronics", quantity=1, unit_price_minor=1190000, currency="JPY",
            reason="changed_mind"))
        connection.execute(sa.insert(Unit).values(
            id=unit_id, lpn=f"BN{uuid.uuid4().int % 10**8:08d}X", receipt_id=uuid.uuid4(),
            rma_line_id=line_id, station_code="ST-01", created_by=uuid.uuid4(),
            created_at=T0))
        connection.execute(sa.insert(DispositionDecision).values(
            id=decision_id, unit_id=unit_id, disposition="RESTOCK", destination="A-01",
            rule_id="r1", rules_version="v1", explanation=explanation,
            decided_by=uuid.uuid4(), decided_at=T0, supersedes_id=None,
            station_code="ST-01", override_reason=None))
    return unit_id


def snapshot(engine: sa.Engine, unit_id: uuid.UUID) -> tuple[object, ...]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(
            DispositionDecision.line_category, DispositionDecision.line_reason,
            DispositionDecision.line_unit_price_minor, DispositionDecision.line_currency)
            .where(DispositionDecision.unit_id == unit_id)).one()
    return tuple(row)


def check_the_migration(engine: sa.Engine) -> None:
    migrate(engine, "0014")
    with_case = decided_unit(engine, explanation={"case": {
        "category": "beauty_personal_care", "reason": "damaged_in_transit",
        "price_minor": 11900, "currency": "EUR"}})
    without_case = decided_unit(engine, explanation={})
    migrate(engine, "0015")
    assert snapshot(engine, with_case) == ("beauty_personal_care", "damaged_in_transit",
                                           11900, "EUR")
    assert snapshot(engine, without_case) == ("electronics", "changed_mind", 1190000, "JPY")
    with engine.connect() as connection:
        row = connection.execute(sa.select(UnitSummary.category, UnitSummary.currency)
                                 .where(UnitSummary.unit_id == with_case)).one()
    assert tuple(row) == ("beauty_personal_care", "EUR")
    assert {"rma_imports", "rma_import_rows"} <= set(tables(engine).tables)
    migrate(engine, "0014", down=True)
    meta = tables(engine)
    assert "rma_imports" not in meta.tables and "rma_import_rows" not in meta.tables
    assert "line_category" not in meta.tables["dispositions"].c
    migrate(engine, "head")


def test_the_migration_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "central.db"))
    try:
        check_the_migration(engine)
    finally:
        engine.dispose()


@pytest.fixture
def postgres_engine(fresh_postgres_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(fresh_postgres_url)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_the_migration_on_postgresql(postgres_engine: sa.Engine) -> None:
    check_the_migration(postgres_engine)
