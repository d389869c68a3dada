"""PDF printers: a page of the label's physical size, written atomically, that rasterises back
to the rendered bitmap and scans."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from label_fixtures import assert_same_pixels, assert_scans_to_lpn, make_label
from PIL import Image

from drivers.printers.label_printers import open_label_printer
from drivers.printers.pdf_printer import PdfPrinter
from station.labels.printers import JobState, render_label
from station.settings.printer_uri import LABEL_SIZES, LabelSize

PDFTOPPM = shutil.which("pdftoppm")


def page_size_points(pdf: bytes) -> tuple[float, float]:
    match = re.search(rb"/MediaBox \[ ?0 0 ([0-9.]+) ([0-9.]+) ?\]", pdf)
    assert match, "no MediaBox in the PDF"
    return float(match.group(1)), float(match.group(2))


def rasterised(pdf: Path, dpi: int, tmp_path: Path, oversample: int = 1) -> Image.Image:
    """The page as poppler draws it at `dpi` × `oversample`, then reduced to `dpi` by taking
    each block's centre pixel (poppler smooths 1-bit images drawn at less than 4×)."""
    if PDFTOPPM is None:
        pytest.skip("pdftoppm (Debian package poppler-utils) is not installed, so the PDF "
                    "cannot be rasterised to check its pixels and barcode")
    out = tmp_path / f"page-{oversample}"
    subprocess.run([PDFTOPPM, "-r", str(dpi * oversample), "-mono", "-singlefile", str(pdf),
                    str(out)], check=True, capture_output=True, timeout=30)
    with Image.open(out.with_suffix(".pbm")) as page:
        size = (page.width // oversample, page.height // oversample)
        return page.convert("1").resize(size, Image.Resampling.NEAREST)


@pytest.mark.parametrize("size_name", ["4x6@203", "80mm"])
def test_one_file_per_job_in_a_folder_at_the_physical_size(tmp_path: Path, size_name: str
                                                           ) -> None:
    folder = tmp_path / "labels"
    folder.mkdir()
    printer = open_label_printer(f"pdf://{folder}/?size={size_name}")
    size: LabelSize = LABEL_SIZES[size_name]
    image = render_label(make_label(), size)

    outcome = printer.print_label(image, job_id="BN0100000042K-1")

    assert outcome.state is JobState.PRINTED, outcome
    written = folder / "BN0100000042K-1.pdf"
    assert sorted(p.name for p in folder.iterdir()) == [written.name]  # no temporary left
    assert outcome.bytes_sent == written.stat().st_size
    width_pt, height_pt = page_size_points(written.read_bytes())
    assert width_pt == pytest.approx(image.width / size.dpi * 72, abs=0.01)
    assert height_pt == pytest.approx(image.height / size.dpi * 72, abs=0.01)
    if size.height_dots is not None:
        assert (width_pt, height_pt) == pytest.approx((4 * 72, 6 * 72), abs=0.5)


def test_pdf_rasterises_back_to_the_label_and_scans(tmp_path: Path) -> None:
    size = LABEL_SIZES["4x6@203"]
    printer = PdfPrinter(tmp_path / "label.pdf", size)
    image = render_label(make_label(), size)
    assert printer.print_label(image).state is JobState.PRINTED

    assert_scans_to_lpn(rasterised(tmp_path / "label.pdf", size.dpi, tmp_path))
    exact = rasterised(tmp_path / "label.pdf", size.dpi, tmp_path, oversample=4)
    assert_same_pixels(exact, image)


def test_a_single_file_is_replaced_by_each_job(tmp_path: Path) -> None:
    target = tmp_path / "label.pdf"
    printer = open_label_printer(f"pdf://{target}")
    first = printer.print_label(render_label(make_label(), printer.size))
    second = printer.print_label(render_label(make_label(lpn="BN0100000043"), printer.size))
    assert first.state is second.state is JobState.PRINTED
    assert [p.name for p in tmp_path.iterdir()] == ["label.pdf"]
    assert target.stat().st_size == second.bytes_sent


def test_jobs_without_an_id_get_distinct_names(tmp_path: Path) -> None:
    printer = open_label_printer(f"pdf://{tmp_path}/")
    image = render_label(make_label(), printer.size)
    for _ in range(3):
        assert printer.print_label(image).state is JobState.PRINTED
    assert len(list(tmp_path.glob("*.pdf"))) == 3


@pytest.mark.parametrize("job_id", ["../escape", "a/b", "", ".hidden", "x" * 101, "lpn\x1b"])
def test_a_job_id_that_is_no_safe_file_name_is_refused(tmp_path: Path, job_id: str) -> None:
    printer = open_label_printer(f"pdf://{tmp_path}/")
    outcome = printer.print_label(render_label(make_label(), printer.size), job_id=job_id)
    assert outcome.state is JobState.REFUSED
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_offline_and_an_unfitting_label_refused(tmp_path: Path) -> None:
    printer = open_label_printer(f"pdf://{tmp_path}/nowhere/")
    assert printer.status().state is JobState.OFFLINE
    assert printer.print_label(render_label(make_label(), printer.size)).state is JobState.OFFLINE

    ready = open_label_printer(f"pdf://{tmp_path}/")
    assert ready.status().state is JobState.READY
    wrong_width = render_label(make_label(), LABEL_SIZES["80mm"])
    refused = ready.print_label(wrong_width)
    assert refused.state is JobState.REFUSED and "576 dots wide" in refused.detail
