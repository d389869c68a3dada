"""Label layouts as data: `resources/labels/<name>.toml`, validated on load, drawn as 1-bit bitmaps.

A layout is a `kind` (which label it draws, so which fields it may use) and an ordered list
of `[[blocks]]`, each one of:

    type = "text"     text = "{disposition}" or a literal with {field} placeholders;
                      size = a fraction of the label width, or points = points at the
                      printer's dpi (optional min_size / min_points to shrink to);
                      bold, align = "left" | "center" | "right", max_lines
    type = "barcode"  field (the kind's barcode field), min_bar_height_mm, quiet_zone_modules
    type = "rule"     thickness = a fraction of the label width (at least one dot)
    type = "table"    rows = [["RMA", "rma_number"], ...] (label, field); size or points
    type = "spacer"   height = a fraction of the label width; stretch = true to share any
                      height the layout has beyond its content (see min_height)

Top-level keys: kind, description, margin and min_text (fractions of the width),
min_height (a multiple of the width) and compact (the layout to use on labels too short
for this one). Free text is cleaned with `clean_text`; the barcode field is never cleaned,
only checked to be [0-9A-Z-]+, and is refused rather than printed with bars too thin to scan.

Kept whole: the renderer draws exactly the block types the validator builds, and a new
block type or key needs both halves, so the format and its drawing change together.
"""

from __future__ import annotations

import functools
import math
import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal

from PIL import Image, ImageDraw, ImageFont

from station.common.bounded_files import MAX_TEXT_FILE_BYTES, FileReadError, read_bounded
from station.common.text_hygiene import ELLIPSIS, clean_text
from station.labels import code128
from station.settings.resource_dirs import RESOURCES_DIR
from station.settings.toml_text import parse_toml

MM_PER_INCH: Final = 25.4
#: Narrower bars than this are not reliably burnt and read on 203 dpi thermal printers.
MIN_MODULE_DOTS: Final = 2
LAYOUT_DIR: Final = RESOURCES_DIR / "labels"
FONT_DIR: Final = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES: Final = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}

#: The fields each kind of label has, and which one its barcode carries.
KIND_FIELDS: Final[Mapping[str, frozenset[str]]] = MappingProxyType({
    "disposition": frozenset({
        "disposition", "destination", "lpn", "rma_number", "sku", "grade", "printed_at",
        "station", "grader_initials", "refund",
    }),
    "receiving": frozenset({
        "rma_number", "receipt_code", "received_at", "station", "clerk_initials", "lines",
        "units", "tote",
    }),
    "exception": frozenset({
        "kind", "code", "opened_at", "station", "clerk_initials", "reference",
    }),
})
BARCODE_FIELD: Final[Mapping[str, str]] = MappingProxyType(
    {"disposition": "lpn", "receiving": "rma_number", "exception": "reference"}
)
_FIELD_TITLES: Final = {"lpn": "LPN", "rma_number": "RMA number", "reference": "reference"}
BARCODE_PATTERN: Final = re.compile(r"[0-9A-Z-]+")
_NAME: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_BLACK: Final = 0
_WHITE: Final = 1

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Align = Literal["left", "center", "right"]


class LabelError(ValueError):
    """A label that cannot be rendered so that it prints legibly and scans reliably."""


class LabelLayoutError(LabelError):
    """A layout file that is not valid; names the file and the key at fault."""

    def __init__(self, file: Path | str, key: str, problem: str) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        super().__init__(f"label layout {self.file}: {key}: {problem}")


# --------------------------------------------------------------------------- the layout model


@dataclass(frozen=True)
class TextBlock:
    template: str
    fields: tuple[str, ...]
    size: float  # a fraction of the width, or points when `points`
    points: bool
    min_size: float | None
    bold: bool
    align: Align
    max_lines: int


@dataclass(frozen=True)
class BarcodeBlock:
    field: str
    min_bar_height_mm: float
    quiet_zone_modules: int


@dataclass(frozen=True)
class RuleBlock:
    thickness: float


@dataclass(frozen=True)
class TableBlock:
    rows: tuple[tuple[str, str], ...]
    size: float
    points: bool


@dataclass(frozen=True)
class SpacerBlock:
    height: float
    stretch: bool


LayoutBlock = TextBlock | BarcodeBlock | RuleBlock | TableBlock | SpacerBlock


@dataclass(frozen=True)
class Layout:
    name: str
    kind: str
    description: str
    margin: float
    min_text: float
    min_height: float
    compact: str | None
    blocks: tuple[LayoutBlock, ...]
    source: str

    @property
    def barcode_field(self) -> str:
        return BARCODE_FIELD[self.kind]

    @property
    def fields(self) -> frozenset[str]:
        """Every field the layout draws."""
        used: set[str] = set()
        for block in self.blocks:
            if isinstance(block, TextBlock):
                used.update(block.fields)
            elif isinstance(block, BarcodeBlock):
                used.add(block.field)
            elif isinstance(block, TableBlock):
                used.update(field for _, field in block.rows)
        return frozenset(used)


# --------------------------------------------------------------------------- validation

_TOP_KEYS: Final = frozenset({"kind", "description", "margin", "min_text", "min_height",
                              "compact", "blocks"})
_BLOCK_KEYS: Final[Mapping[str, frozenset[str]]] = MappingProxyType({
    "text": frozenset({"type", "text", "size", "points", "min_size", "min_points", "bold",
                       "align", "max_lines"}),
    "barcode": frozenset({"type", "field", "min_bar_height_mm", "quiet_zone_modules"}),
    "rule": frozenset({"type", "thickness"}),
    "table": frozenset({"type", "rows", "size", "points"}),
    "spacer": frozenset({"type", "height", "stretch"}),
})


class _Table:
    """One TOML table of a layout file, with the key path used in error messages."""

    def __init__(self, raw: dict[str, object], where: str, file: str, allowed: frozenset[str]):
        self.raw, self.where, self.file = raw, where, file
        for key in raw:
            if key not in allowed:
                raise self.error(key, f"unknown key; allowed: {', '.join(sorted(allowed))}")

    def error(self, key: str, problem: str) -> LabelLayoutError:
        return LabelLayoutError(self.file, f"{self.where}{key}", problem)

    def number(self, key: str, default: float | None, low: float, high: float) -> float:
        value = self.raw.get(key, default)
        if value is None:
            raise self.error(key, "is required")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"must be a number, not {value!r}")
        if not low <= value <= high:
            raise self.error(key, f"{value!r} is out of range; use {low:g} to {high:g}")
        return float(value)

    def optional_number(self, key: str, low: float, high: float) -> float | None:
        return self.number(key, None, low, high) if key in self.raw else None

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(key, f"must be a whole number from {low} to {high}, not {value!r}")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if value is None:
            raise self.error(key, "is required")
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, not {value!r}")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {value!r}")
        return value


def _field(table: _Table, key: str, name: str, kind: str) -> str:
    if name not in KIND_FIELDS[kind]:
        raise table.error(key, f"unknown field {name!r} for a {kind} label; known fields: "
                               f"{', '.join(sorted(KIND_FIELDS[kind]))}")
    return name


def _size(table: _Table) -> tuple[float, bool]:
    if ("size" in table.raw) == ("points" in table.raw):
        raise table.error("size", "give exactly one of size (a fraction of the label width) "
                                  "or points")
    if "size" in table.raw:
        return table.number("size", None, 0.01, 0.5), False
    return table.number("points", None, 4, 200), True


def _text_block(table: _Table, kind: str) -> TextBlock:
    template = table.text("text")
    fields: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise table.error("text", f"bad placeholder: {error}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise table.error("text", f"placeholder {{{name}}} takes no format or conversion")
        fields.append(_field(table, "text", name, kind))
    if not template.strip():
        raise table.error("text", "is empty")
    size, points = _size(table)
    min_key = "min_points" if points else "min_size"
    other = "min_size" if points else "min_points"
    if other in table.raw:
        raise table.error(other, f"use {min_key} with {'points' if points else 'size'}")
    min_size = table.optional_number(min_key, 0.0, size)
    align_text = table.text("align", "left")
    aligns: dict[str, Align] = {"left": "left", "center": "center", "right": "right"}
    if align_text not in aligns:
        raise table.error("align", f"{align_text!r}: use left, center or right")
    align = aligns[align_text]
    return TextBlock(template, tuple(fields), size, points, min_size, table.flag("bold"),
                     align, table.integer("max_lines", 1, 1, 10))


def _table_block(table: _Table, kind: str) -> TableBlock:
    rows = table.raw.get("rows")
    if not isinstance(rows, list) or not rows:
        raise table.error("rows", 'must be a list of ["Label", "field"] pairs')
    parsed: list[tuple[str, str]] = []
    for index, row in enumerate(rows):
        key = f"rows[{index}]"
        if (not isinstance(row, list) or len(row) != 2
                or not all(isinstance(part, str) for part in row)):
            raise table.error(key, f'must be a ["Label", "field"] pair, not {row!r}')
        parsed.append((str(row[0]), _field(table, key, str(row[1]), kind)))
    size, points = _size(table)
    return TableBlock(tuple(parsed), size, points)


def _block(table: _Table, kind: str) -> LayoutBlock:
    block_type = table.raw["type"]
    if block_type == "text":
        return _text_block(table, kind)
    if block_type == "barcode":
        field = _field(table, "field", table.text("field"), kind)
        if field != BARCODE_FIELD[kind]:
            raise table.error("field", f"a {kind} label's barcode carries "
                                       f"{BARCODE_FIELD[kind]!r}, not {field!r}")
        return BarcodeBlock(field, table.number("min_bar_height_mm", 12.0, 5.0, 100.0),
                            table.integer("quiet_zone_modules", 10, 10, 40))
    if block_type == "rule":
        return RuleBlock(table.number("thickness", 0.005, 0.0, 0.05))
    if block_type == "table":
        return _table_block(table, kind)
    return SpacerBlock(table.number("height", 0.0, 0.0, 1.0), table.flag("stretch"))


def parse_layout(text: str, name: str, source: Path | str = "<text>") -> Layout:
    """Validate the text of a layout file; raises LabelLayoutError naming file and key."""
    try:
        raw = parse_toml(text)
    except tomllib.TOMLDecodeError as error:
        raise LabelLayoutError(source, "(syntax)", f"not valid TOML: {error}") from None
    top = _Table(raw, "", str(source), _TOP_KEYS)
    kind = top.text("kind")
    if kind not in KIND_FIELDS:
        raise top.error("kind", f"unknown kind {kind!r}; use one of {', '.join(KIND_FIELDS)}")
    compact = top.text("compact") if "compact" in raw else None
    if compact is not None and (not _NAME.fullmatch(compact) or compact == name):
        raise top.error("compact", f"{compact!r} is not the name of another layout")
    raw_blocks = raw.get("blocks")
    if (not isinstance(raw_blocks, list) or not raw_blocks
            or not all(isinstance(block, dict) for block in raw_blocks)):
        raise top.error("blocks", "needs one or more [[blocks]] tables")
    blocks: list[LayoutBlock] = []
    for index, raw_block in enumerate(raw_blocks):
        where = f"blocks[{index}]."
        block_type = raw_block.get("type")
        if block_type not in _BLOCK_KEYS:
            raise LabelLayoutError(source, f"{where}type", f"unknown block type {block_type!r}; "
                                   f"use one of {', '.join(_BLOCK_KEYS)}")
        table = _Table(raw_block, where, str(source), _BLOCK_KEYS[str(block_type)])
        blocks.append(_block(table, kind))
    if sum(isinstance(block, BarcodeBlock) for block in blocks) != 1:
        raise top.error("blocks", "a label needs exactly one barcode block")
    return Layout(
        name=name, kind=kind, description=top.text("description", ""),
        margin=top.number("margin", 0.03, 0.0, 0.2),
        min_text=top.number("min_text", 0.03, 0.005, 0.5),
        min_height=top.number("min_height", 0.0, 0.0, 5.0),
        compact=compact, blocks=tuple(blocks), source=str(source),
    )


def load_layout_file(path: Path) -> Layout:
    try:
        text = read_bounded(path, MAX_TEXT_FILE_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise LabelLayoutError(path, "(file)", "is not UTF-8 text; save it as UTF-8") from None
    except FileReadError as error:
        raise LabelLayoutError(path, "(file)", error.problem) from None
    return parse_layout(text, path.stem, path)


@functools.cache
def load_layout(name: str) -> Layout:
    """The shipped layout `resources/labels/<name>.toml`, validated once and cached."""
    if not _NAME.fullmatch(name):
        raise LabelLayoutError(LAYOUT_DIR / f"{name}.toml", "(file)", "not a layout name")
    path = LAYOUT_DIR / f"{name}.toml"
    if not path.is_file():
        raise LabelLayoutError(path, "(file)", "no such label layout is installed")
    layout = load_layout_file(path)
    if layout.compact is not None:
        compact = load_layout(layout.compact)
        if compact.kind != layout.kind:
            raise LabelLayoutError(path, "compact", f"layout {compact.name!r} draws a "
                                                    f"{compact.kind} label, not a {layout.kind}")
    return layout


def layout_names() -> list[str]:
    return sorted(path.stem for path in LAYOUT_DIR.glob("*.toml"))


# --------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class _Band:
    """A horizontal band of the label: its height and how to draw it with its top at y."""

    height: int
    draw: Callable[[ImageDraw.ImageDraw, int], None]
    stretch: bool = False


def _nothing(canvas: ImageDraw.ImageDraw, y: int) -> None:
    return None


@functools.cache
def _font(size: int, bold: bool) -> Font:
    """DejaVu Sans (Bold) at `size` pixels, else Pillow's built-in font; loaded once per size."""
    path = FONT_DIR / _FONT_FILES[bold]
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _ink_box(font: Font, text: str) -> tuple[int, int, int, int]:
    left, top, right, bottom = font.getbbox(text)
    return math.floor(left), math.floor(top), math.ceil(right), math.ceil(bottom)


def _ink_width(font: Font, text: str) -> int:
    left, _, right, _ = _ink_box(font, text)
    return right - left


def _fit(text: str, bold: bool, size: int, min_size: int, max_width: int) -> tuple[str, Font]:
    """Largest font from `size` down to `min_size` that fits; below that, truncate the text."""
    font = _font(size, bold)
    while size > min_size and (width := _ink_width(font, text)) > max_width:
        size = max(min_size, min(size - 1, size * max_width // width))
        font = _font(size, bold)
    return _truncate(text, font, max_width), font


def _truncate(text: str, font: Font, max_width: int) -> str:
    kept = text
    while len(kept) > 1 and _ink_width(font, text) > max_width:
        kept = kept[:-1].rstrip()
        text = kept + ELLIPSIS
    return text


def _wrap(text: str, font: Font, max_width: int) -> list[str]:
    """Greedy word wrap; a word wider than the line is broken between characters."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if _ink_width(font, candidate) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if line and _ink_width(font, line + char) > max_width:
                lines.append(line)
                line = ""
            line += char
    lines.append(line)
    return lines


def _pixels(size: float, points: bool, width_dots: int, dpi: int) -> int:
    return max(1, round(size * dpi / 72) if points else round(size * width_dots))


class _Renderer:
    def __init__(self, layout: Layout, fields: Mapping[str, str], width_dots: int, dpi: int):
        self.layout, self.width, self.dpi = layout, width_dots, dpi
        self.margin = max(4, round(width_dots * layout.margin)) if layout.margin else 0
        self.inner = width_dots - 2 * self.margin
        self.min_text = max(8, round(width_dots * layout.min_text))
        self.values = self._values(fields)

    def _values(self, fields: Mapping[str, str]) -> dict[str, str]:
        layout = self.layout
        missing = sorted(layout.fields - set(fields))
        if missing:
            raise LabelError(f"the {layout.name} label needs the field(s) {', '.join(missing)}")
        values = {name: clean_text(fields[name]) for name in layout.fields}
        barcode_field = layout.barcode_field
        raw = fields[barcode_field]
        if not BARCODE_PATTERN.fullmatch(raw):
            title = _FIELD_TITLES.get(barcode_field, barcode_field)
            raise LabelError(f"{title} {raw!r} must be digits, upper-case letters A-Z and '-' "
                             "only to print as a barcode")
        values[barcode_field] = raw
        return values

    def text(self, block: TextBlock) -> _Band:
        text = block.template.format_map(self.values).strip() or "-"
        size = _pixels(block.size, block.points, self.width, self.dpi)
        if block.min_size is None:
            min_size = min(size, self.min_text)
        else:
            min_size = min(size, max(6, _pixels(block.min_size, block.points, self.width,
                                                self.dpi)))
        if block.max_lines == 1:
            shown, font = _fit(text, block.bold, size, min_size, self.inner)
            return self._lines([shown], font, block.align)
        while True:
            font = _font(size, block.bold)
            lines = _wrap(text, font, self.inner)
            if len(lines) <= block.max_lines or size <= min_size:
                break
            size = max(min_size, size - max(1, size // 10))
        if len(lines) > block.max_lines:
            lines = lines[: block.max_lines]
            lines[-1] = _truncate(lines[-1] + ELLIPSIS, font, self.inner)
        return self._lines(lines, font, block.align)

    def _lines(self, lines: list[str], font: Font, align: Align) -> _Band:
        if len(lines) == 1:
            left, top, right, bottom = _ink_box(font, lines[0])
            pitch, height = 0, bottom - top
        else:
            _, top, _, bottom = _ink_box(font, "ÅÉgjpqy|")
            pitch = math.ceil((bottom - top) * 1.15)
            height = pitch * (len(lines) - 1) + (bottom - top)
        placed: list[tuple[int, int, str]] = []
        for index, line in enumerate(lines):
            left, line_top, right, _ = _ink_box(font, line)
            spare = self.inner - (right - left)
            offset = {"left": 0, "center": spare // 2, "right": spare}[align]
            y_top = top if len(lines) > 1 else line_top
            placed.append((self.margin + offset - left, index * pitch - y_top, line))

        def draw(canvas: ImageDraw.ImageDraw, y: int) -> None:
            for x, dy, line in placed:
                canvas.text((x, y + dy), line, font=font, fill=_BLACK)

        return _Band(height, draw)

    def barcode(self, block: BarcodeBlock) -> _Band:
        value = self.values[block.field]
        widths = code128.encode(value)
        modules = sum(widths)
        module = self.width // (modules + 2 * block.quiet_zone_modules)
        if module < MIN_MODULE_DOTS:
            print_mm = self.width / self.dpi * MM_PER_INCH
            title = _FIELD_TITLES.get(block.field, block.field)
            raise LabelError(
                f"{title} {value!r} is too long for a {print_mm:.0f} mm label "
                f"({self.width} dots at {self.dpi} dpi); its Code 128 bars would be {module} "
                f"dot(s) wide and at least {MIN_MODULE_DOTS} are needed to scan reliably; "
                f"use a shorter {title} or a wider label"
            )
        bar_height = math.ceil(block.min_bar_height_mm * self.dpi / MM_PER_INCH)
        start = (self.width - modules * module) // 2

        def draw(canvas: ImageDraw.ImageDraw, y: int) -> None:
            x = start
            for index, element in enumerate(widths):
                if index % 2 == 0:
                    canvas.rectangle((x, y, x + element * module - 1, y + bar_height - 1),
                                     fill=_BLACK)
                x += element * module

        return _Band(bar_height, draw)

    def rule(self, block: RuleBlock) -> _Band:
        thickness = max(1, round(self.width * block.thickness))
        x, width = self.margin, self.inner

        def draw(canvas: ImageDraw.ImageDraw, y: int) -> None:
            canvas.rectangle((x, y, x + width - 1, y + thickness - 1), fill=_BLACK)

        return _Band(thickness, draw)

    def table(self, block: TableBlock) -> list[_Band]:
        size = max(self.min_text, _pixels(block.size, block.points, self.width, self.dpi))
        rows = [(clean_text(key), self.values[field] or "-") for key, field in block.rows]
        key_font = _font(size, bold=False)
        _, top, _, bottom = _ink_box(key_font, "ÅÉgjpqy|")
        pitch = math.ceil((bottom - top) * 1.3)
        x = self.margin
        value_x = x + max(_ink_width(key_font, key) for key, _ in rows) + size
        value_width = max(1, x + self.inner - value_x)

        def row_band(key: str, value: str) -> _Band:
            shown, value_font = _fit(value, True, size, size, value_width)

            def draw(canvas: ImageDraw.ImageDraw, y: int) -> None:
                canvas.text((x, y - top), key, font=key_font, fill=_BLACK)
                canvas.text((value_x, y - top), shown, font=value_font, fill=_BLACK)

            return _Band(pitch, draw)

        return [row_band(key, value) for key, value in rows]

    def bands(self) -> list[_Band]:
        bands: list[_Band] = []
        for block in self.layout.blocks:
            if isinstance(block, TextBlock):
                bands.append(self.text(block))
            elif isinstance(block, BarcodeBlock):
                bands.append(self.barcode(block))
            elif isinstance(block, RuleBlock):
                bands.append(self.rule(block))
            elif isinstance(block, TableBlock):
                bands.extend(self.table(block))
            else:
                height = round(self.width * block.height)
                bands.append(_Band(height, _nothing, block.stretch))
        return bands


def render_layout(
    layout: Layout, fields: Mapping[str, str], width_dots: int, dpi: int,
    min_height_dots: int = 0,
) -> Image.Image:
    """`layout` drawn with `fields` as a mode "1" image exactly `width_dots` wide, at least
    `min_height_dots` (and the layout's min_height) tall, extra height shared by the
    stretching spacers. Raises LabelError for missing fields, a barcode value that is not
    [0-9A-Z-]+ or whose bars would be too thin to scan."""
    if width_dots <= 0 or dpi <= 0:
        raise LabelError(f"label width ({width_dots} dots) and dpi ({dpi}) must be positive")
    renderer = _Renderer(layout, fields, width_dots, dpi)
    bands = renderer.bands()
    content = sum(band.height for band in bands) + 2 * renderer.margin
    height = max(content, round(width_dots * layout.min_height), min_height_dots)
    stretchers = [band for band in bands if band.stretch]
    extra = height - content
    share = extra // len(stretchers) if stretchers else 0

    image = Image.new("1", (width_dots, height), _WHITE)
    canvas = ImageDraw.Draw(image)
    canvas.fontmode = "1"
    y = renderer.margin
    for band in bands:
        band.draw(canvas, y)
        y += band.height + (share if band.stretch else 0)
    image.info["dpi"] = (dpi, dpi)
    return image


def render(layout_name: str, fields: Mapping[str, str], width_dots: int, dpi: int) -> Image.Image:
    """The shipped layout `layout_name` drawn with `fields` (see `render_layout`)."""
    return render_layout(load_layout(layout_name), fields, width_dots, dpi)


def render_fitting(
    layout_name: str, fields: Mapping[str, str], width_dots: int, dpi: int,
    height_dots: int | None,
) -> Image.Image:
    """Like `render`, but on a label `height_dots` long that the layout overflows, its
    compact layout instead, stretched to the label's length. The result may still be too
    long (the caller refuses it); a barcode too dense for the width raises LabelError."""
    layout = load_layout(layout_name)
    image = render_layout(layout, fields, width_dots, dpi)
    if height_dots is None or image.height <= height_dots or layout.compact is None:
        return image
    return render_layout(load_layout(layout.compact), fields, width_dots, dpi, height_dots)
