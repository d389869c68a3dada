"""`returns-station privacy purge` applies the retention rule as an admin, and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_runner import run
from sqlalchemy import select, update

import resources
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import Rma

PIN = "13792468"




def names(db: Path) -> list[str | None]:
    engine = make_engine(sqlite_url(db))
    with session_factory(engine)() as session:
        found = list(session.scalars(select(Rma.customer_name).order_by(Rma.rma_number)))
    engine.dispose()
    return found


def age_all_rmas(db: Path, days: int) -> None:
    engine = make_engine(sqlite_url(db))
    with engine.begin() as connection:
        connection.execute(update(Rma).values(
            updated_at=datetime.now(UTC) - timedelta(days=days)))
    engine.dispose()


def test_purge_clears_old_customer_names_here_and_in_the_embedded_central(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("--data-dir", str(tmp_path))
    (tmp_path / "config.toml").write_text("[privacy]\nretention_days = 30\n", encoding="utf-8")
    assert run(*base, "users", "add", "boss", "--name", "Bea Boss", "--role", "admin",
               stdin=f"{PIN}\n") == 0
    assert run(*base, "import-rmas", str(resources.path("demo", "sample-rmas.csv")), "--as",
               "boss", stdin=f"{PIN}\n") == 0
    for db in ("station.db", "central.db"):
        age_all_rmas(tmp_path / db, 31)
    assert run(*base, "users", "add", "gus", "--name", "Gus", "--role", "supervisor", "--as",
               "boss", stdin=f"{PIN}\n482613\n") == 0
    assert run(*base, "privacy", "purge", "--as", "gus", stdin="482613\n") == 1
    assert "may not purge customer data" in capsys.readouterr().err
    assert None not in names(tmp_path / "station.db")
    assert run(*base, "privacy", "purge", "--as", "boss", stdin=f"{PIN}\n") == 0
    assert "3 customer names cleared here and 3 in the embedded central" in \
        capsys.readouterr().out
    assert names(tmp_path / "station.db") == [None, None, None]
    assert names(tmp_path / "central.db") == [None, None, None]
