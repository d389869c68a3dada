"""`returns-station evidence LPN --out FILE.pdf --as USER`: who may, what it says, what it
refuses. The renderer here is a stand-in; tests/ui/test_evidence_command.py reads the real
PDF back."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run
from sqlalchemy import select
from station_bench import PINS, StationUnderTest, inspect_unit

from station.common.vocabulary import Grade, Role
from station.receiving import parcels as receiving
from station.store.models import Rma
from station.supervision.evidence import EvidenceRenderer, EvidenceSheet

# The sheets written here are not real PDFs: two page markers and the LPN.
FAKE_PDF = b"%PDF-1.4 /Type /Page /Type /Page "


class RendererOnly:
    """Devices with nothing but an evidence renderer, which keeps the sheets it is given."""

    def __init__(self) -> None:
        self.sheets: list[EvidenceSheet] = []

    def evidence_renderer(self) -> EvidenceRenderer:
        return self

    def render(self, sheet: EvidenceSheet) -> bytes:
        self.sheets.append(sheet)
        return FAKE_PDF + sheet.lpn.encode()


def finished_lpn(bench: StationUnderTest) -> str:
    grader = bench.actors[Role.GRADER]
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    view = receiving.receive(bench.ctx, grader, number)
    return str(inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B).lpn)


def evidence(bench: StationUnderTest, lpn: str, out: Path, *as_user: str, pin: str = "",
             devices: RendererOnly | None = None) -> int:
    bench.opened.close()
    return run("--data-dir", str(bench.locations.data_dir), "evidence", lpn, "--out", str(out),
               *as_user, stdin=f"{pin}\n" if pin else "", devices=devices)


def test_a_grader_writes_a_units_sheet_and_is_told_where_and_how_long(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    lpn = finished_lpn(bench)
    devices = RendererOnly()
    out = tmp_path / "sheets" / f"{lpn}.pdf"
    out.parent.mkdir()
    assert evidence(bench, lpn.lower(), out, "--as", "grader", pin=PINS[Role.GRADER],
                    devices=devices) == 0
    (sheet,) = devices.sheets
    assert out.read_bytes() == FAKE_PDF + lpn.encode()
    assert [path.name for path in out.parent.iterdir()] == [out.name]
    photos = len(sheet.photos)
    assert capsys.readouterr().out.strip() == (
        f"Evidence sheet for {lpn} written to {out} (2 pages, {photos} photo"
        f"{'s' if photos != 1 else ''})")


def test_an_unknown_lpn_fails_with_the_reason_and_writes_nothing(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "sheet.pdf"
    assert evidence(bench, "BN00000099Z", out, "--as", "grader", pin=PINS[Role.GRADER],
                    devices=RendererOnly()) == 1
    assert "No unit with LPN BN00000099Z on this station" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(("as_user", "pin", "message"), [
    ((), "", "Say who you are with --as USER"),
    (("--as", "grader"), "0000", "PIN"),
    (("--as", "clerk"), PINS[Role.CLERK], "may not inspect units"),
])
def test_only_a_signed_in_grader_or_above_gets_a_sheet(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    as_user: tuple[str, ...], pin: str, message: str,
) -> None:
    lpn = finished_lpn(bench)
    devices = RendererOnly()
    out = tmp_path / "sheet.pdf"
    assert evidence(bench, lpn, out, *as_user, pin=pin, devices=devices) == 1
    assert message in capsys.readouterr().err
    assert not out.exists() and not devices.sheets


def test_a_folder_that_does_not_exist_is_named(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    lpn = finished_lpn(bench)
    out = tmp_path / "missing" / "sheet.pdf"
    assert evidence(bench, lpn, out, "--as", "grader", pin=PINS[Role.GRADER],
                    devices=RendererOnly()) == 1
    assert f"Cannot write {out}" in capsys.readouterr().err


def test_an_installation_without_a_renderer_says_so(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert evidence(bench, "BN00000099Z", tmp_path / "sheet.pdf", "--as", "grader",
                    pin=PINS[Role.GRADER]) == 1
    assert "no PDF renderer" in capsys.readouterr().err
