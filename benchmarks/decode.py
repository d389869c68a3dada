"""Barcode decoders side by side on the real-photo corpus: read rate, wrong reads, time.

    .venv/bin/python benchmarks/decode.py [--corpus PATH] [--limit N] [--threads 1] [--quick]

The corpus (default ../shared/corpus/barcodes next to the repository) is described in its
README.md: manifest.csv lists each photo with the text it must give; nocode/ holds photos
with no barcode. For each decoder this prints

- read rate overall and per format: a photo counts as read when any returned code matches
  the expected text under the corpus README's rules (CRLF→LF, GS removed, a GS1 "(01)…"
  bracketed form compared without brackets, surrounding whitespace ignored, UPC-A equal
  to EAN-13 with a leading 0, Code 39 full ASCII accepted);
- wrong reads: returned codes that match neither the expected text nor another code known
  to be visible in that photo (codes other photos of the same set expect, e.g. the price
  code next to a book's ISBN, and the second label at the edge of code39-3/08), which are
  counted apart as "other";
- median and p95 milliseconds per photo;
- a 1280×720 camera frame: every photo placed at its own size on a 1280×720 background
  cut from the no-code photos (median ms, and the read rate there), and the no-code photos
  scaled and cropped to 1280×720 (median ms, and false positives).

OpenCV is limited to --threads threads; with 1 the process is also pinned to one CPU, so
the figures are single-core figures.

--quick needs no corpus: it writes a dozen synthetic photos (labels drawn by
tests/synthetic_codes.py on a textured bench, turned and blurred) and three no-code ones
into a temporary folder in the corpus's layout and measures those (with --corpus PATH,
about 12 photos of that corpus instead). CI runs it so, to keep the script working; the
figures say little about real photos.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from drivers.decoding.decode_pipeline import PipelineDecoder  # noqa: E402
from drivers.decoding.decoder_errors import DecoderUnavailable  # noqa: E402
from drivers.decoding.zbar_decoder import ZbarDecoder  # noqa: E402
from drivers.decoding.zxing_decoder import DEFAULT_FORMATS, ZxingDecoder  # noqa: E402
from station.ports.decoder import BarcodeDecoder, DecodedCode  # noqa: E402

FRAME_W, FRAME_H = 1280, 720
FORMATS = ("upca", "ean13", "qrcode", "code128", "datamatrix", "code39")
#: Codes visible in a photo that no photo of its set expects (checked by eye).
ALSO_VISIBLE = {"code39/zxing_code39-3_08.jpg": {"001EC9476B0A"}}

_CODE39_EXTENDED = {
    **{f"${chr(c)}": chr(c - 64) for c in range(ord("A"), ord("Z") + 1)},
    **{f"%{c}": chr(v) for c, v in zip("ABCDE", range(27, 32), strict=True)},
    **{f"%{c}": chr(v) for c, v in zip("FGHIJ", range(59, 64), strict=True)},
    **{f"%{c}": chr(v) for c, v in zip("KLMNO", range(91, 96), strict=True)},
    **{f"%{c}": chr(v) for c, v in zip("PQRST", range(123, 128), strict=True)},
    "%U": "\x00", "%V": "@", "%W": "`", "%X": "\x7f", "%Y": "\x7f", "%Z": "\x7f",
    **{f"/{chr(c)}": chr(c - 32) for c in range(ord("A"), ord("O") + 1)},
    "/Z": ":",
    **{f"+{chr(c)}": chr(c + 32) for c in range(ord("A"), ord("Z") + 1)},
}


def code39_full_ascii(text: str) -> str:
    """Code 39 extended pairs ("+A" → "a", "%U" → NUL, ...) decoded; other characters kept."""
    out, i = [], 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _CODE39_EXTENDED:
            out.append(_CODE39_EXTENDED[pair])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def normalise(text: str) -> str:
    """The corpus README's rules, except the per-pair UPC-A and Code 39 ones."""
    text = text.replace("\r\n", "\n").replace("\x1d", "").strip()
    if text.startswith("("):
        text = re.sub(r"\((\d{2,4})\)", r"\1", text)
    return text


def matches(expected: str, got: str, fmt: str) -> bool:
    """True when a returned text is the expected one under the corpus README's rules."""
    e, g = normalise(expected), normalise(got)
    if e == g:
        return True
    if e.isdigit() and g.isdigit():  # UPC-A (12 digits) is EAN-13 with a leading 0
        if (len(e), len(g)) == (12, 13) and g == "0" + e:
            return True
        if (len(e), len(g)) == (13, 12) and e == "0" + g:
            return True
    return fmt == "code39" and code39_full_ascii(e) == code39_full_ascii(g)


@dataclass(frozen=True)
class Photo:
    file: str
    fmt: str
    expected: str
    image: np.ndarray


def load_corpus(
    root: Path, limit: int | None
) -> tuple[list[Photo], list[np.ndarray], dict[str, set[str]]]:
    """The photos (about `limit` of them, spread over the manifest), the no-code frames, and
    for every photo the codes known to be visible in it (from the whole manifest)."""
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        raise SystemExit(f"no barcode corpus at {root} ({manifest.name} missing); "
                         "pass --corpus PATH")
    with manifest.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    visible = visible_codes([(row["file"], row["expected_text"]) for row in rows])
    if limit:
        rows = rows[:: max(1, len(rows) // limit)][:limit]
    photos = []
    for row in rows:
        image = cv2.imread(str(root / row["file"]), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"cannot read {root / row['file']}")
        photos.append(Photo(row["file"], row["format"], row["expected_text"], image))
    nocode = []
    for path in sorted((root / "nocode").glob("*.jpg")):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is not None:
            nocode.append(to_frame_size(image))
    return photos, nocode, visible


def to_frame_size(image: np.ndarray) -> np.ndarray:
    """Scaled to cover 1280×720, then centre-cropped to it."""
    h, w = image.shape[:2]
    factor = max(FRAME_W / w, FRAME_H / h)
    if abs(factor - 1) > 1e-6:
        interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        image = cv2.resize(image, (round(w * factor), round(h * factor)), interpolation=interp)
    h, w = image.shape[:2]
    top, left = (h - FRAME_H) // 2, (w - FRAME_W) // 2
    return np.ascontiguousarray(image[top : top + FRAME_H, left : left + FRAME_W])


def in_frame(photo: np.ndarray, background: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The photo at its own size (shrunk only if too big) somewhere on a 1280×720 frame."""
    frame = background.copy()
    h, w = photo.shape[:2]
    factor = min(1.0, FRAME_W / w, FRAME_H / h)
    if factor < 1:
        photo = cv2.resize(photo, (int(w * factor), int(h * factor)), interpolation=cv2.INTER_AREA)
        h, w = photo.shape[:2]
    y, x = int(rng.integers(0, FRAME_H - h + 1)), int(rng.integers(0, FRAME_W - w + 1))
    frame[y : y + h, x : x + w] = photo
    return frame


@dataclass
class Tally:
    read: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    wrong: int = 0
    other: int = 0
    wrong_examples: list[str] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)

    def rate(self, fmt: str | None = None) -> float:
        if fmt is None:
            return 100 * sum(self.read.values()) / max(1, sum(self.total.values()))
        return 100 * self.read.get(fmt, 0) / max(1, self.total.get(fmt, 0))


def timed(decoder: BarcodeDecoder, image: np.ndarray) -> tuple[list[DecodedCode], float]:
    start = time.perf_counter()
    found = decoder.decode(image)
    return found, (time.perf_counter() - start) * 1000


def score(decoder: BarcodeDecoder, photos: Sequence[Photo], visible: dict[str, set[str]]) -> Tally:
    tally = Tally()
    for photo in photos:
        found, ms = timed(decoder, photo.image)
        tally.ms.append(ms)
        tally.total[photo.fmt] = tally.total.get(photo.fmt, 0) + 1
        if any(matches(photo.expected, code.text, photo.fmt) for code in found):
            tally.read[photo.fmt] = tally.read.get(photo.fmt, 0) + 1
        for code in found:
            if matches(photo.expected, code.text, photo.fmt):
                continue
            if any(matches(text, code.text, photo.fmt) for text in visible[photo.file]):
                tally.other += 1
            else:
                tally.wrong += 1
                tally.wrong_examples.append(f"{photo.file}: {code.format} {code.text!r}")
    return tally


def visible_codes(expected: Sequence[tuple[str, str]]) -> dict[str, set[str]]:
    """For each photo, the other codes known to be in it (see the module docstring)."""
    by_set: dict[str, set[str]] = {}
    for file, text in expected:
        by_set.setdefault(file.rsplit("_", 1)[0], set()).add(text)
    return {
        file: by_set[file.rsplit("_", 1)[0]] | ALSO_VISIBLE.get(file, set())
        for file, _ in expected
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def single_core(threads: int) -> None:
    cv2.setNumThreads(threads)
    if threads == 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def chain(first: BarcodeDecoder, second: BarcodeDecoder) -> BarcodeDecoder:
    class Chain:
        name = f"{first.name} then {second.name}"

        def decode(self, image: object) -> list[DecodedCode]:
            return first.decode(image) or second.decode(image)

    return Chain()


def decoders() -> list[tuple[str, BarcodeDecoder]]:
    out: list[tuple[str, BarcodeDecoder]] = [
        ("zxing-cpp, library defaults", ZxingDecoder(
            DEFAULT_FORMATS, try_rotate=True, try_downscale=True, try_invert=True)),
        ("zxing-cpp, tuned (ZxingDecoder)", ZxingDecoder()),
    ]
    try:
        zbar = ZbarDecoder()
    except DecoderUnavailable as exc:
        print(f"(ZBar skipped: {exc})")
    else:
        out += [("pyzbar (ZbarDecoder)", zbar),
                ("zxing-cpp tuned, then pyzbar", chain(ZxingDecoder(), zbar))]
    out.append(("PipelineDecoder (the app's)", PipelineDecoder()))
    return out


#: The synthetic photos of --quick: (format in the manifest, zxing-cpp's name, text, angle).
SYNTHETIC = (
    ("code128", "Code128", "RS00000042", 0), ("code128", "Code128", "1Z999AA10123456784", 20),
    ("code128", "Code128", "LPN-000317", -35), ("ean13", "EAN13", "5030159003930", 0),
    ("ean13", "EAN13", "4006381333931", 15), ("upca", "UPCA", "036000291452", -10),
    ("qrcode", "QRCode", "RMA-100004", 0), ("qrcode", "QRCode", "https://example.com/r/42", 30),
    ("datamatrix", "DataMatrix", "0108903819987659", 0),
    ("datamatrix", "DataMatrix", "DM-12345", -20), ("code39", "Code39", "ABC-1234", 0),
    ("code39", "Code39", "RETURN 7", 10),
)


def synthetic_corpus(root: Path) -> Path:
    """A dozen photos of labels on a textured bench and three without a code, written to
    `root` in the corpus's layout (manifest.csv, one folder per format, nocode/)."""
    sys.path.insert(0, str(REPO / "tests"))
    from synthetic_codes import background, bgr, degrade, place, zxing_label

    rows = []
    for index, (fmt, zxing_name, text, angle) in enumerate(SYNTHETIC):
        scale = 3 if fmt in ("code128", "ean13", "upca", "code39") else 6
        frame = background(100 + index)[:480, :640]
        photo, _ = place(frame, zxing_label(text, zxing_name, scale), angle, (320, 240))
        file = f"{fmt}/synthetic-{index}_{index:02d}.jpg"
        (root / fmt).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / file), bgr(degrade(photo, blur=0.8, noise=3, seed=index)))
        rows.append({"file": file, "format": fmt, "expected_text": text})
    with (root / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "format", "expected_text"])
        writer.writeheader()
        writer.writerows(rows)
    (root / "nocode").mkdir()
    for index in range(3):
        cv2.imwrite(str(root / "nocode" / f"bench-{index}.jpg"), bgr(background(200 + index)))
    return root


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="default: ../shared/corpus/barcodes next to the repository")
    parser.add_argument("--limit", type=int, default=None, help="use about N photos")
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1)")
    parser.add_argument("--show-wrong", action="store_true", help="list every wrong read")
    parser.add_argument("--only", default="", help="measure only decoders whose label has this")
    parser.add_argument("--quick", action="store_true",
                        help="a dozen synthetic photos (or about 12 of --corpus)")
    args = parser.parse_args(argv)
    single_core(args.threads)
    with tempfile.TemporaryDirectory(prefix="decode-bench-") as scratch:
        if args.quick and args.corpus is None:
            corpus, limit = synthetic_corpus(Path(scratch)), None
            print(f"--quick: synthetic photos, not the corpus ({corpus})")
        else:
            corpus = args.corpus or REPO.parent / "shared/corpus/barcodes"
            limit = 12 if args.quick and args.limit is None else args.limit
        photos, nocode, visible = load_corpus(corpus, limit)
    measure_all(photos, nocode, visible, args.only, args.show_wrong)


def measure_all(photos: list[Photo], nocode: list[np.ndarray], visible: dict[str, set[str]],
                only: str, show_wrong: bool) -> None:
    rng = np.random.default_rng(2024)
    framed = [
        Photo(p.file, p.fmt, p.expected, in_frame(p.image, nocode[i % len(nocode)], rng))
        for i, p in enumerate(photos)
    ]
    print(f"{len(photos)} photos, {len(nocode)} no-code frames; OpenCV threads: "
          f"{cv2.getNumThreads()}; CPUs used: {len(os.sched_getaffinity(0))}\n")
    results = []
    for label, decoder in decoders():
        if only.lower() not in label.lower():
            continue
        as_is = score(decoder, photos, visible)
        in_frames = score(decoder, framed, visible)
        empty = [timed(decoder, frame) for frame in nocode]
        false_pos = sum(1 for found, _ in empty if found)
        results.append((label, as_is, in_frames, [ms for _, ms in empty], false_pos))
        print(f"  measured {label}", file=sys.stderr)
    print_tables(results)
    if show_wrong:
        for label, as_is, in_frames, *_ in results:
            for example in as_is.wrong_examples + in_frames.wrong_examples:
                print(f"wrong ({label}): {example}")


def print_tables(results: list[tuple[str, Tally, Tally, list[float], int]]) -> None:
    width = max(len(label) for label, *_ in results)
    head = (f"{'decoder':<{width}}  {'read':>6}  {'wrong':>5}  {'other':>5}  "
            f"{'median':>7}  {'p95':>7}  | {'720p+code':>9}  {'read':>6}  {'wrong':>5}  "
            f"{'720p empty':>10}  {'FP':>3}")
    print(head)
    print("-" * len(head))
    for label, as_is, in_frames, empty_ms, false_pos in results:
        print(f"{label:<{width}}  {as_is.rate():5.1f}%  {as_is.wrong:>5}  {as_is.other:>5}  "
              f"{median(as_is.ms):5.1f}ms  {p95(as_is.ms):5.1f}ms  | "
              f"{median(in_frames.ms):7.1f}ms  {in_frames.rate():5.1f}%  {in_frames.wrong:>5}  "
              f"{median(empty_ms):8.1f}ms  {false_pos:>3}")
    print("\nread/wrong/other/median/p95: the photos as they are; 720p+code: the same photos "
          "placed in a\n1280x720 frame (median ms, read rate, wrong reads); 720p empty: the "
          "no-code photos at 1280x720\n(median ms, false positives). other: a code really "
          "in the photo but not the one expected.\n")
    formats = [f for f in FORMATS if any(f in r[1].total for r in results)]
    print(f"{'read rate per format':<{width}}  " + "  ".join(f"{f:>10}" for f in formats))
    for label, as_is, *_ in results:
        cells = [f"{as_is.rate(f):5.1f}% {as_is.total.get(f, 0):>3}" for f in formats]
        print(f"{label:<{width}}  " + "  ".join(f"{c:>10}" for c in cells))
    print(f"{'(in 720p frames)':<{width}}")
    for label, _, in_frames, *_ in results:
        cells = [f"{in_frames.rate(f):5.1f}% {in_frames.total.get(f, 0):>3}" for f in formats]
        print(f"{label:<{width}}  " + "  ".join(f"{c:>10}" for c in cells))


if __name__ == "__main__":
    main()
