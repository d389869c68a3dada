"""The evidence sheet as a PDF: real text that reads back, every photo embedded exactly as
stored (the extracted image has the recorded SHA-256), a box instead of a photo whose file
is gone, hostile text printed as typed, and the same sheet always giving the same bytes."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import subprocess
from pathlib import Path

import pytest
from pdf_reading import HOSTILE, one_line, pdf_text, poppler
from PIL import Image

from drivers.documents.evidence_pdf import ReportLabEvidenceRenderer
from drivers.photos.photo_store import FilePhotoStore
from station.supervision.evidence import (
    EvidenceAnswer,
    EvidenceDecision,
    EvidencePhoto,
    EvidenceSheet,
    PhotoFile,
    pdf_page_count,
)


def pdf_images(pdf: bytes, tmp_path: Path) -> list[Path]:
    """The images embedded in the PDF, extracted as they are stored in it."""
    source = tmp_path / "images.pdf"
    source.write_bytes(pdf)
    folder = tmp_path / "extracted"
    folder.mkdir()
    subprocess.run([poppler("pdfimages"), "-all", str(source), str(folder / "image")],
                   check=True, capture_output=True)
    return sorted(folder.iterdir())


def pdf_image_list(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    source = tmp_path / "listed.pdf"
    source.write_bytes(pdf)
    listing = subprocess.run([poppler("pdfimages"), "-list", str(source)], check=True,
                             capture_output=True, text=True).stdout
    return [line.split() for line in listing.splitlines()[2:] if line.strip()]


def jpeg(width: int, height: int, shade: int) -> bytes:
    image = Image.new("RGB", (width, height), (shade, 120, 255 - shade))
    for x in range(0, width, 64):  # some detail, so every photo is different
        image.paste((255, shade, 0), (x, 0, x + 8, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def photos(tmp_path: Path) -> list[EvidencePhoto]:
    """Three photos kept by the real photo store: landscape, portrait and small."""
    store = FilePhotoStore(tmp_path / "photos")
    kept = []
    for kind, (width, height), shade in (("front", (2048, 1536), 30),
                                         ("label / serial", (1200, 1600), 130),
                                         ("defect close-up", (800, 600), 230)):
        stored = store.store(jpeg(width, height, shade))
        kept.append(EvidencePhoto(kind, "2026-11-30 10:42 UTC", "Gus Grader", stored.size_bytes,
                                  stored.width, stored.height, stored.sha256,
                                  store.path(stored.sha256)))
    return kept


def make_sheet(photos: list[EvidencePhoto], **changes: object) -> EvidenceSheet:
    sheet = EvidenceSheet(
        station_code="BENCH-01", lpn="BN0100000042N", rma_number="RMA-100001",
        order_number="ORD-778812", order_date="2026-11-02", line_no=1, sku="PHN-X12-128",
        gtin="4006381333931", description="Phone X12, 128 GB, black", category="electronics",
        reason="defective", requested="refund", price_paid="499.00 EUR", grader="Gus Grader",
        started_at="2026-11-30 10:31 UTC", completed_at="2026-11-30 10:42 UTC",
        checklist="electronics", checklist_version="2026.11-1",
        answers=(EvidenceAnswer("Does it power on?", "no"),
                 EvidenceAnswer("How many scratches or dents?", "2"),
                 EvidenceAnswer("retired_question", "yes")),
        flags=("missing parts", "damaged in transit"), proposed_grade="C", grade="D",
        grade_meaning="damaged or defective", override_reason="Charging port bent",
        notes=HOSTILE,
        verification=("GTIN: expected 4006381333931, scanned 4006381333931: matches",),
        decision=EvidenceDecision("RTV", "RTV-CAGE", "grade-d-defect-rtv", "builtin-1",
                                  "a reported defect is returned to vendor",
                                  "2026-11-30 10:42 UTC", "Gus Grader"),
        refund="FULL 499.00 EUR", refund_why="full refund",
        exceptions=("wrong item, opened 2026-11-30 10:42 UTC (sku: PHN-X12-128)",),
        photos=tuple(photos), generated_at="2026-11-30 11:05 UTC", generated_by="Sam Supervisor",
    )
    return dataclasses.replace(sheet, **changes)  # type: ignore[arg-type]


def test_the_sheet_reads_back_as_text_with_every_fact_and_caption(
    photos: list[EvidencePhoto], tmp_path: Path,
) -> None:
    pdf = ReportLabEvidenceRenderer().render(make_sheet(photos))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path, "-raw")
    flat = one_line(text)
    for fact in ("Evidence sheet · LPN BN0100000042N", "RMA-100001", "ORD-778812",
                 "PHN-X12-128", "4006381333931", "499.00 EUR", "Does it power on? no",
                 "How many scratches or dents? 2", "retired_question yes", "missing parts",
                 "damaged in transit", "Grade D: damaged or defective",
                 "The checklist proposed C (overridden)", "Override reason: Charging port bent",
                 "RTV-CAGE", "grade-d-defect-rtv (rules builtin-1)", "FULL 499.00 EUR",
                 "wrong item, opened", "Photos (3)"):
        assert fact in flat, fact
    for photo in photos:
        assert f"sha256 {photo.sha256}" in text  # the full hash, on one line
        assert f"{photo.kind} · 2026-11-30 10:42 UTC · Gus Grader · " in flat
        assert f"{photo.width}×{photo.height}" in flat
    pages = pdf_page_count(pdf)
    assert text.count("\f") == pages
    for page in range(1, pages + 1):
        assert (f"Evidence sheet BN0100000042N · page {page}/{pages} · generated "
                "2026-11-30 11:05 UTC by station BENCH-01") in text


def test_every_photo_is_embedded_exactly_as_stored(
    photos: list[EvidencePhoto], tmp_path: Path,
) -> None:
    pdf = ReportLabEvidenceRenderer().render(make_sheet(photos))
    listed = pdf_image_list(pdf, tmp_path)
    assert len(listed) == 3
    assert {row[8] for row in listed} == {"jpeg"}
    extracted = [hashlib.sha256(path.read_bytes()).hexdigest()
                 for path in pdf_images(pdf, tmp_path)]
    assert sorted(extracted) == sorted(photo.sha256 for photo in photos)


def test_a_photo_deleted_by_retention_keeps_its_caption_and_hash(
    photos: list[EvidencePhoto], tmp_path: Path,
) -> None:
    gone = dataclasses.replace(photos[1], file=PhotoFile.DELETED_BY_RETENTION)
    gone.path.unlink()
    pdf = ReportLabEvidenceRenderer().render(make_sheet([photos[0], gone, photos[2]]))
    text = pdf_text(pdf, tmp_path, "-raw")
    assert "file deleted by retention; hash kept" in text
    assert f"sha256 {gone.sha256}" in text
    assert len(pdf_image_list(pdf, tmp_path)) == 2


def test_a_file_changed_or_removed_after_gathering_is_not_shown_as_the_photo(
    photos: list[EvidencePhoto], tmp_path: Path,
) -> None:
    photos[0].path.write_bytes(jpeg(640, 480, 90))
    photos[2].path.unlink()
    pdf = ReportLabEvidenceRenderer().render(make_sheet(photos))
    text = one_line(pdf_text(pdf, tmp_path, "-raw"))
    assert "file no longer matches its hash; not shown" in text
    assert "file not found in the photo folder; hash kept" in text
    assert len(pdf_image_list(pdf, tmp_path)) == 1


def test_a_file_that_is_not_an_image_is_named_not_drawn(tmp_path: Path) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"<html>not a photo</html>")
    photo = EvidencePhoto("front", "2026-11-30 10:42 UTC", "Gus Grader", 24, 0, 0,
                          hashlib.sha256(junk.read_bytes()).hexdigest(), junk)
    pdf = ReportLabEvidenceRenderer().render(make_sheet([photo]))
    text = one_line(pdf_text(pdf, tmp_path, "-raw"))
    assert "file cannot be read as an image; hash kept" in text


def test_hostile_text_prints_as_typed_without_breaking_the_sheet(tmp_path: Path) -> None:
    sheet = make_sheet([], description=HOSTILE, sku="<&>", grader=HOSTILE,
                       answers=(EvidenceAnswer(HOSTILE, "<br/>"),), flags=("<i>&",),
                       exceptions=(HOSTILE,), lpn="BN<0>&\x07")
    text = pdf_text(ReportLabEvidenceRenderer().render(sheet), tmp_path, "-raw")
    assert "<b>not bold</b> & <para>[2J</para> &amp; ]]>" in text
    assert "<br/>" in text and "<i>&" in text and "BN<0>&" in text
    assert "\x1b" not in text and "\x00" not in text and "\x07" not in text


def test_a_sheet_without_photos_or_answers_says_so(tmp_path: Path) -> None:
    sheet = make_sheet([], answers=(), flags=(), decision=None, refund=None, notes="",
                       proposed_grade=None, override_reason=None, gtin=None, line_no=None)
    text = one_line(pdf_text(ReportLabEvidenceRenderer().render(sheet), tmp_path, "-raw"))
    for phrase in ("No checklist answers were recorded.", "none raised", "No photos were taken.",
                   "no disposition recorded", "no refund decision recorded", "GTIN —"):
        assert phrase in text, phrase


def test_many_photos_run_over_pages_each_with_its_footer(
    photos: list[EvidencePhoto], tmp_path: Path,
) -> None:
    pdf = ReportLabEvidenceRenderer().render(make_sheet(photos * 4))
    pages = pdf_page_count(pdf)
    assert pages >= 4
    text = pdf_text(pdf, tmp_path, "-raw")
    assert f"page {pages}/{pages}" in text and f"page {pages + 1}/" not in text
    assert len(pdf_image_list(pdf, tmp_path)) == 12


def test_the_same_sheet_gives_the_same_bytes(photos: list[EvidencePhoto]) -> None:
    sheet = make_sheet(photos)
    assert ReportLabEvidenceRenderer().render(sheet) == ReportLabEvidenceRenderer().render(sheet)


def test_without_dejavu_the_built_in_fonts_still_give_real_text(
    photos: list[EvidencePhoto], tmp_path: Path,
) -> None:
    renderer = ReportLabEvidenceRenderer(font_dir=tmp_path / "no-fonts")
    text = pdf_text(renderer.render(make_sheet(photos)), tmp_path, "-raw")
    assert "BN0100000042N" in text and f"sha256 {photos[0].sha256}" in text
