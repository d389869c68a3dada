"""Label layouts as data (resources/labels/*.toml): loading, validation, every label kind at
every size scanning back to its barcode, the compact layout on 2×1 in labels."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from station.labels import layouts as label_layouts
from station.labels.layouts import (
    LabelLayoutError,
    load_layout,
    load_layout_file,
    parse_layout,
    render_layout,
)
from station.labels.printers import render_label
from station.labels.render import (
    AnyLabel,
    DispositionLabel,
    ExceptionLabel,
    LabelError,
    ReceivingLabel,
    disposition_fields,
    exception_reference,
    render_exception_label,
    render_receiving_label,
)
from station.settings.printer_uri import LABEL_SIZES

HOSTILE = "\x1b@\x1d!\x10\x1bp\x00^XA\u202eKCOTSER\u202a\u2066x\u2069\u200b\ufeff"
WHEN = datetime(2024, 5, 6, 14, 3)


def disposition(**changes: str) -> DispositionLabel:
    fields = {"disposition": "OPEN_BOX", "destination": "A-01", "lpn": "BN0100000042K",
              "rma_number": "RMA-200001", "sku": "SKU-TSHIRT-BLK-M", "grade": "B",
              "station": "DOCK-1", "grader_initials": "JD", "refund": "FULL 19.99 EUR"}
    fields.update(changes)
    return DispositionLabel(printed_at=WHEN, **fields)


def receiving(rma_number: str = "RMA-200001", text: str = "") -> ReceivingLabel:
    return ReceivingLabel(rma_number=rma_number, receipt_code="RC-7F3A" + text,
                          received_at=WHEN, station="DOCK-1" + text, clerk_initials="AB" + text,
                          lines=3, units=5, tote="T-042" + text)


def exception(text: str = "") -> ExceptionLabel:
    return ExceptionLabel(kind="no_rma" + text, code="NO RMA FOUND ON THE PARCEL" + text,
                          opened_at=WHEN, station="DOCK-1" + text, clerk_initials="AB" + text,
                          reference=exception_reference("1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"))


LABELS: dict[str, tuple[AnyLabel, str]] = {
    "disposition": (disposition(), "BN0100000042K"),
    "receiving": (receiving(), "RMA-200001"),
    "exception": (exception(), "EX-1A2B3C4D"),
}


def scanned(image: Image.Image) -> list[tuple[str, str]]:
    return [(str(r.format), r.text) for r in zxingcpp.read_barcodes(image)]


def code128(value: str) -> list[tuple[str, str]]:
    return [(str(zxingcpp.BarcodeFormat.Code128), value)]


class TestShippedLayouts:
    def test_every_layout_loads(self) -> None:
        names = label_layouts.layout_names()
        assert {"disposition", "disposition-compact", "receiving", "exception"} <= set(names)
        for name in names:
            layout = load_layout(name)
            assert layout.blocks
            assert layout.barcode_field in layout.fields

    def test_the_disposition_layout_names_its_compact_version(self) -> None:
        assert load_layout("disposition").compact == "disposition-compact"
        assert load_layout("disposition-compact").kind == "disposition"

    def test_layouts_are_cached(self) -> None:
        assert load_layout("receiving") is load_layout("receiving")

    def test_an_unknown_layout_is_refused_with_its_file(self) -> None:
        with pytest.raises(LabelLayoutError, match=r"nope\.toml: \(file\)"):
            load_layout("nope")


@pytest.mark.parametrize("size_name", ["80mm", "58mm", "4x6@203", "4x6@300"])
@pytest.mark.parametrize("kind", LABELS)
def test_every_label_kind_renders_and_scans_at_every_size(kind: str, size_name: str) -> None:
    label, value = LABELS[kind]
    size = LABEL_SIZES[size_name]
    image = render_label(label, size)
    assert image.mode == "1"
    assert image.width == size.width_dots
    if size.height_dots is not None:
        assert image.height == size.height_dots
    assert scanned(image) == code128(value)


@pytest.mark.parametrize("size_name", ["2x1@203", "2x1@300"])
def test_2x1_disposition_labels_use_the_compact_layout_and_fit_exactly(size_name: str) -> None:
    size = LABEL_SIZES[size_name]
    assert size.height_dots is not None
    image = render_label(disposition(), size)
    assert image.size == (size.width_dots, size.height_dots)
    assert scanned(image) == code128("BN0100000042K")
    compact = render_layout(load_layout("disposition-compact"), disposition_fields(disposition()),
                            size.width_dots, size.dpi, size.height_dots)
    assert image.tobytes() == compact.tobytes()


def test_the_full_layout_is_kept_where_it_fits() -> None:
    size = LABEL_SIZES["4x6@203"]
    image = render_label(disposition(), size)
    full = render_layout(load_layout("disposition"), disposition_fields(disposition()),
                         size.width_dots, size.dpi)
    assert image.crop((0, 0, full.width, full.height)).tobytes() == full.tobytes()


@pytest.mark.parametrize("size_name", ["2x1@203", "2x1@300"])
def test_a_barcode_too_long_for_2x1_is_refused_not_printed_thin(size_name: str) -> None:
    with pytest.raises(LabelError, match=r"LPN 'BN01ABCDEFGHIJKLMNOPQRSTUV' is too long for a "
                                         r"51 mm label .* at least 2 are needed to scan"):
        render_label(disposition(lpn="BN01ABCDEFGHIJKLMNOPQRSTUV"), LABEL_SIZES[size_name])


def test_a_long_rma_number_is_refused_on_58_mm_with_a_clear_message() -> None:
    with pytest.raises(LabelError, match=r"RMA number 'RMA-2024-000123' is too long for a 48 mm"):
        render_receiving_label(receiving("RMA-2024-000123"), width_dots=384, dpi=203)


class TestFields:
    @pytest.mark.parametrize("rma", ["rma-200001", "RMA 200001", "RMA-200001\x1b", ""])
    def test_the_barcode_field_is_checked_never_cleaned(self, rma: str) -> None:
        with pytest.raises(LabelError, match="RMA number"):
            render_receiving_label(receiving(rma))

    def test_hostile_free_text_still_renders_scannable_labels(self) -> None:
        for image, value in [
            (render_receiving_label(receiving(text=HOSTILE * 50)), "RMA-200001"),
            (render_exception_label(exception(text=HOSTILE * 50)), "EX-1A2B3C4D"),
        ]:
            assert scanned(image) == code128(value)

    def test_exception_reference_is_ex_and_eight_upper_case_hex_digits(self) -> None:
        assert exception_reference("1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d") == "EX-1A2B3C4D"

    def test_a_missing_field_is_refused(self) -> None:
        with pytest.raises(LabelError, match="needs the field"):
            label_layouts.render("receiving", {"rma_number": "RMA-1"}, 576, 203)

    def test_different_fields_change_the_receiving_bitmap(self) -> None:
        base = render_receiving_label(receiving()).tobytes()
        assert render_receiving_label(receiving(text="9")).tobytes() != base


GOOD = """
kind = "receiving"

[[blocks]]
type = "text"
text = "TOTE {tote}"
size = 0.1

[[blocks]]
type = "barcode"
field = "rma_number"
"""


class TestValidation:
    def test_a_minimal_layout_is_accepted(self) -> None:
        layout = parse_layout(GOOD, "mini")
        assert layout.fields == {"tote", "rma_number"}

    @pytest.mark.parametrize(("change", "key", "problem"), [
        (('type = "text"', 'type = "picture"'), "blocks[0].type", "unknown block type 'picture'"),
        (("{tote}", "{customer_name}"), "blocks[0].text", "unknown field 'customer_name'"),
        (('field = "rma_number"', 'field = "tote"'), "blocks[1].field", "barcode carries"),
        (("size = 0.1", "size = 3"), "blocks[0].size", "out of range"),
        (("size = 0.1", 'size = "big"'), "blocks[0].size", "must be a number"),
        (("size = 0.1", ""), "blocks[0].size", "exactly one of size"),
        (("size = 0.1", "size = 0.1\ncolour = 'red'"), "blocks[0].colour", "unknown key"),
        (('kind = "receiving"', 'kind = "invoice"'), "kind", "unknown kind"),
        (('kind = "receiving"', 'kind = "receiving"\nmargin = -1'), "margin", "out of range"),
        (('type = "barcode"', 'type = "spacer"'), "blocks[1].field", "unknown key"),
    ])
    def test_errors_name_the_file_and_key(
        self, tmp_path: Path, change: tuple[str, str], key: str, problem: str
    ) -> None:
        path = tmp_path / "broken.toml"
        path.write_text(GOOD.replace(*change), encoding="utf-8")
        with pytest.raises(LabelLayoutError) as caught:
            load_layout_file(path)
        error = caught.value
        assert error.file == str(path)
        assert error.key == key
        assert problem in error.problem
        assert str(path) in str(error) and key in str(error)

    def test_a_layout_without_a_barcode_is_refused(self) -> None:
        text = GOOD.split("[[blocks]]\ntype = \"barcode\"")[0]
        with pytest.raises(LabelLayoutError, match="exactly one barcode"):
            parse_layout(text, "mini", "x.toml")

    def test_bad_toml_is_refused(self) -> None:
        with pytest.raises(LabelLayoutError, match=r"x\.toml: \(syntax\)"):
            parse_layout("kind = ", "mini", "x.toml")

    def test_layout_errors_are_label_errors(self) -> None:
        assert issubclass(LabelLayoutError, LabelError)
