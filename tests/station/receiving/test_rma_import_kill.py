"""An RMA import killed with kill -9 at any step leaves RMAs only with the record of their
import, and the station's audit chain gets its `rmas.imported` event once (issue 15, item
7): the next import (or sync) finishes what the killed one committed, or drops what it had
not."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run
from sqlalchemy import func, select

from station.audit import chain as audit
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import AuditEvent, Rma, RmaImport

RMAS = 1200  # more than two chunks, so a kill can fall between two of them
HEADER = ("rma_number,order_number,order_date,customer_name,line_no,sku,description,"
          "category,quantity,unit_price,currency,reason\n")


def write_csv(path: Path) -> Path:
    rows = (f"RMA-{300000 + n},SO-{n},2026-10-02,Customer {n},1,SKU-{n},Item {n},apparel,1,"
            f"19.99,EUR,wrong_size\n" for n in range(RMAS))
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def count(db: Path, what: object, *where: object) -> int:
    with session_factory(make_engine(sqlite_url(db)))() as session:
        return int(session.scalar(select(func.count()).select_from(what).where(*where)) or 0)


def imported_events(folder: Path) -> int:
    return count(folder / "station.db", AuditEvent, AuditEvent.action == "rmas.imported")


def recorded_imports(folder: Path) -> int:
    return count(folder / "central.db", RmaImport,
                 RmaImport.state.in_(["committed", "applied"]))


@pytest.mark.parametrize("step", ["staged", "committed", "chunk applied", "applied"])
def test_an_import_killed_at_any_step_is_recorded_with_its_rmas_and_audited_once(
        tmp_path: Path, step: str) -> None:
    folder = tmp_path / "station"
    csv_file = write_csv(tmp_path / "rmas.csv")
    assert run("--data-dir", str(folder), "db", "upgrade") == 0
    killed = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("rma_import_kill.py")), str(folder),
         str(csv_file), step], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    present = count(folder / "central.db", Rma)
    # RMAs present centrally => the record of their import is there, committed with them.
    assert present == 0 or recorded_imports(folder) == 1
    if step == "chunk applied":  # killed between two chunks: some applied, not all
        assert 0 < present < RMAS
    else:
        assert present == {"staged": 0, "committed": 0, "applied": RMAS}[step]
    assert imported_events(folder) == 0  # the process died before its audit event

    assert run("--data-dir", str(folder), "import-rmas", str(csv_file)) == 0

    assert count(folder / "central.db", Rma) == RMAS
    assert count(folder / "station.db", Rma) == RMAS
    # The killed import, once it had committed, is audited late; the new one on time.
    assert imported_events(folder) == (1 if step == "staged" else 2)
    assert recorded_imports(folder) == imported_events(folder)
    assert all(report.broken is None for report in audit.verify_all(
        session_factory(make_engine(sqlite_url(folder / "station.db")))))
