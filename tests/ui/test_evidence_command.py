"""`returns-station evidence` through the composition root: a real PDF of a real unit."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cli_runner import run
from pdf_reading import pdf_file_text, poppler
from sqlalchemy import select
from station_bench import PINS, TINY_PNG, StationUnderTest, inspect_unit

from station.common.vocabulary import Grade, Role
from station.ports.photo_files import photo_path
from station.receiving import parcels as receiving
from station.store.models import Photo, Rma, Unit
from ui.launcher import Hardware


def test_a_units_evidence_sheet_is_written_as_a_pdf_that_reads_back(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    poppler("pdftotext")  # skip before the work if it cannot be checked
    grader = bench.actors[Role.GRADER]
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    view = receiving.receive(bench.ctx, grader, number)
    lpn = inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B).lpn
    sha = hashlib.sha256(TINY_PNG).hexdigest()
    kept = photo_path(bench.locations.photos_dir, sha)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(TINY_PNG)
    with bench.ctx.sessions() as session:
        unit_id = session.scalars(select(Unit.id).where(Unit.lpn == lpn)).one()
        photos = len(session.scalars(select(Photo).where(Photo.unit_id == unit_id)).all())
    assert photos > 0
    bench.opened.close()

    out = tmp_path / "evidence.pdf"
    assert run("--data-dir", str(bench.locations.data_dir), "evidence", lpn, "--out", str(out),
               "--as", "grader", stdin=f"{PINS[Role.GRADER]}\n", devices=Hardware()) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"Evidence sheet for {lpn} written to {out} (")
    assert f", {photos} photo" in said

    text = pdf_file_text(out, "-raw")
    assert f"Evidence sheet · LPN {lpn}" in text
    assert number in text and "Grade B: like new / opened" in text
    assert text.count(f"sha256 {sha}") == 1, "each photo of a unit is its own"
    assert text.count("sha256 ") == photos
    assert grader.display_name in text
