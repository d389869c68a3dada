"""Import of RMAs from the documented CSV format, all or nothing.

A file from outside is either imported whole or rejected with every problem listed by
physical line and column, so a clerk can fix the file in one pass and nothing half-imports.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import heapq
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Generic, NamedTuple, Protocol, TypeVar

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    text,
)

from station.codes.check_digits import gs1_check_digit, is_valid_gtin
from station.common.money import CURRENCY_EXPONENTS, MoneyError, check_currency, parse_major
from station.common.vocabulary import Category, Reason, RequestedOutcome
from station.receiving.rma_records import RmaFileRejected, RmaLineRecord, RmaRecord
from station.store.write_pacing import long_job

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

#: Rows in one file: a million RMAs of a few lines each.
MAX_ROWS = 5_000_000
#: The largest import file (a million RMAs of a few lines is about 600 MB).
MAX_FILE_BYTES = 1024 * 1024 * 1024
MAX_REPORTED_PROBLEMS = 200
MAX_QUANTITY = 999
MAX_LINE_NO = 9999

#: The import format: (column name, required, description), in the order we document it.
CSV_COLUMNS: tuple[tuple[str, bool, str], ...] = (
    ("rma_number", True,
     "The RMA number, e.g. RMA-100001; must match the station's configured RMA pattern."),
    ("order_number", True, "The shop's order number, e.g. SO-2026-004512 (at most 64 characters)."),
    ("order_date", True, "Date of the order as YYYY-MM-DD, e.g. 2026-03-14; not in the future."),
    ("customer_name", True, "The customer's name as on the order (at most 200 characters)."),
    ("requested", False,
     "What the customer asked for: refund, store_credit or exchange; empty means refund."),
    ("carrier_tracking", False,
     "Tracking number of the return parcel, if known (at most 64 characters)."),
    ("line_no", True, "Line number within the RMA: a whole number from 1, unique per RMA."),
    ("sku", True, "The shop's SKU of the item (at most 64 characters)."),
    ("description", True, "Item description, e.g. 'Merino crew-neck jumper, navy, M' (max 200)."),
    ("category", True, "Product category: " + ", ".join(c.value for c in Category) + "."),
    ("quantity", True, f"Units authorised for return: a whole number from 1 to {MAX_QUANTITY}."),
    ("unit_price", True,
     "Price paid per unit in major units with a decimal point, e.g. 19.99 (1999 for JPY 1999)."),
    ("currency", True, "ISO 4217 currency code of unit_price, e.g. EUR, GBP, USD, SEK, JPY."),
    ("reason", True, "The customer's reason: " + ", ".join(r.value for r in Reason) + "."),
    ("gtin", False, "GTIN/EAN/UPC of the item (8, 12, 13 or 14 digits with a valid check digit)."),
    ("expected_serial", False, "Serial number the returned unit should carry (at most 64)."),
)

_REQUIRED = frozenset(name for name, required, _ in CSV_COLUMNS if required)
_KNOWN = tuple(name for name, _, _ in CSV_COLUMNS)
_RMA_FIELDS = ("order_number", "order_date", "customer_name", "requested", "carrier_tracking")
#: The cells a row is staged with (besides line, RMA number and its bad columns).
_STAGED_CELLS = ("order_number", "order_date", "customer_name", "requested",
                 "carrier_tracking", "line_no", "sku", "description", "category", "quantity",
                 "currency", "unit_price", "reason", "gtin", "expected_serial")
_INTEGER_CELLS = frozenset({"line_no", "quantity", "unit_price"})

_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
_AMOUNT_SHAPE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?")
# Line and paragraph separators (Zl, Zp) break a cell across lines just like CR/LF do.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


@dataclass(frozen=True)
class CsvProblem:
    """One thing wrong with an import file, located by physical line (header = 1) and column."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, column {self.column}: {self.message}"


class RmaCsvError(RmaFileRejected):
    """A CSV file rejected; `problems` are CsvProblem (line and column)."""

    problems: list[CsvProblem]

    def __init__(self, problems: list[CsvProblem], omitted: int = 0) -> None:
        super().__init__(problems, omitted)


def parse_rma_csv(data: bytes, *, rma_pattern: re.Pattern[str], today: date) -> list[RmaRecord]:
    """Parse an RMA import file (see CSV_COLUMNS) into records in RMA number order, lines
    sorted by line_no. For files of any size use `staged_rma_csv`, which holds no more than
    a chunk in memory.

    Raises RmaCsvError listing every problem found (capped at 200) if anything is wrong.
    """
    with staged_rma_csv(io.BytesIO(data), rma_pattern=rma_pattern, today=today) as staged:
        return list(staged.records())


class StagedRmaCsv:
    """An import file whose rows passed their own checks, staged in a scratch SQLite file.
    `records()` reads them back one RMA at a time (so a file of a million RMAs never sits
    in memory), checking each row against the other rows of its RMA as it goes."""

    def __init__(self, engine: Engine, rows: int) -> None:
        self._engine = engine
        self.rows = rows

    def records(self) -> Iterator[RmaRecord]:
        """The file's RMAs in RMA number order, lines sorted by line_no, as long as no
        problem has been found; at the end raises RmaCsvError (the first 200 problems by
        line, the rest counted) if one was: the caller must then discard what it read."""
        later = _LowestProblems()
        for rma_number, group in _groups(self._engine, later):
            if not later.count:
                yield _build_record(rma_number, group)
        reported, omitted = _merged(_Problems(), later)
        if reported:
            raise RmaCsvError(reported, omitted)


@contextmanager
def staged_rma_csv(stream: BinaryIO, *, rma_pattern: re.Pattern[str], today: date,
                   folder: Path | None = None) -> Iterator[StagedRmaCsv]:
    """Read an import file from `stream` (any size up to MAX_ROWS rows) with at most a
    chunk of rows in memory: the rows go to a scratch SQLite file in `folder` (the
    system's temporary folder if None), deleted on leaving.

    Raises RmaCsvError listing the first 200 problems by line (the rest counted) if a row
    is wrong in itself (with the problems between rows found too); problems between the
    rows of one RMA otherwise come at the end of `records()`. Until leaving, what the
    process held when it began stays out of the garbage collector's full collections
    (station.store.write_pacing.long_job)."""
    with (long_job(), tempfile.TemporaryDirectory(prefix="rma-import-", dir=folder)
          as scratch):
        engine = _scratch_engine(Path(scratch) / "staged.db")
        try:
            problems = _Problems()
            rows = _stage_rows(stream, engine, rma_pattern=rma_pattern, today=today,
                               problems=problems)
            if problems.found:
                later = _LowestProblems()
                for _ in _groups(engine, later):
                    pass
                raise RmaCsvError(*_merged(problems, later))
            yield StagedRmaCsv(engine, rows)
        finally:
            engine.dispose()


_STAGED = Table(
    "staged_rows", MetaData(),
    Column("line", Integer, nullable=False),
    Column("rma_number", String, nullable=False),
    Column("bad", String, nullable=False),
    *(Column(name, Integer if name in _INTEGER_CELLS else String)
      for name in _STAGED_CELLS),
)
_STAGE_BATCH = 5000


def _scratch_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _scratch_only(dbapi_connection: Any, _record: Any) -> None:
        # A scratch file: nothing to recover after a crash, so no journal and no fsync.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    _STAGED.metadata.create_all(engine)
    return engine


_STAGED_COLUMNS = tuple(column.name for column in _STAGED.columns)
#: Rows go to and come from the scratch file through the driver, as tuples in
#: _STAGED_COLUMNS order (a million rows: SQLAlchemy's per-row work would cost seconds).
_INSERT_STAGED = (f"INSERT INTO staged_rows ({', '.join(_STAGED_COLUMNS)}) "  # noqa: S608
                  f"VALUES ({', '.join('?' for _ in _STAGED_COLUMNS)})")
_SELECT_STAGED = (f"SELECT {', '.join(_STAGED_COLUMNS)} FROM staged_rows "  # noqa: S608
                  "ORDER BY rma_number, line")


def _staged_values(line: int, bad: set[str], cells: _Cells) -> tuple[object, ...]:
    """The row as staged (a tuple in _STAGED_COLUMNS order); enums by str(), their value
    for a StrEnum, which costs less than `.value`."""
    requested, category, reason = cells.requested, cells.category, cells.reason
    return (
        line, cells.rma_number, ",".join(sorted(bad)) if bad else "",
        cells.order_number,
        None if cells.order_date is None else cells.order_date.isoformat(),
        cells.customer_name,
        None if requested is None else str(requested),
        cells.carrier_tracking, cells.line_no,
        cells.sku, cells.description,
        None if category is None else str(category),
        cells.quantity, cells.currency,
        cells.unit_price, None if reason is None else str(reason),
        cells.gtin, cells.expected_serial,
    )


def _written_out(engine: Engine) -> None:
    """Have what the scratch file got so far written to disk now, a batch at a time.

    Why: the scratch file is written without fsync, so on a journaling file system (ext4
    data=ordered) hundreds of MB would pile up in the page cache and the next fsync of
    any other database on that disk (a bench's write to the station's database) would wait
    for them all; written out a batch (about 1 MB) at a time, it waits for one batch."""
    path = engine.url.database
    if not path:
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(descriptor)
    finally:
        os.close(descriptor)


def _stage_rows(stream: BinaryIO, engine: Engine, *, rma_pattern: re.Pattern[str],
                today: date, problems: _Problems) -> int:
    """Pass 1: every row's cells checked (problems in file order) and staged."""
    rows = _physical_rows(_text_lines(stream, problems), problems)
    found = _read_header(rows, problems)
    if found is None:
        return 0
    header_line, header = found
    rma_number_parser = _rma_number_parser(rma_pattern)
    order_date_parser = _order_date_parser(today)
    data_rows = 0
    batch: list[tuple[object, ...]] = []
    with engine.begin() as connection:
        for line, cells in rows:
            joined = "".join(cells)
            if not joined.strip():
                continue  # blank lines and rows of empty cells (spreadsheet leftovers)
            data_rows += 1
            if data_rows > MAX_ROWS:
                problems.add(
                    line, None,
                    f"the file has more than {MAX_ROWS:,} RMA lines; split it into files of at "
                    f"most {MAX_ROWS:,} rows and import them one at a time",
                )
                break
            if len(cells) != len(header):
                problems.add(
                    line, None,
                    f"has {len(cells)} cells but the header has {len(header)} columns; check "
                    "for a missing or extra comma (cells that contain commas must be in "
                    "double quotes)",
                )
                continue
            row = _Row(line, dict(zip(header, cells, strict=True)), problems,
                       printable=joined.isprintable())
            parsed = _take_cells(row, rma_number_parser=rma_number_parser,
                                 order_date_parser=order_date_parser)
            if parsed is not None:
                batch.append(_staged_values(line, row.bad_columns, parsed))
                if len(batch) >= _STAGE_BATCH:
                    connection.exec_driver_sql(_INSERT_STAGED, batch)
                    batch = []
                    _written_out(engine)
        if batch:
            connection.exec_driver_sql(_INSERT_STAGED, batch)
        connection.execute(text(
            "CREATE INDEX staged_rows_by_rma ON staged_rows (rma_number, line)"))
    if data_rows == 0 and not problems.found:
        problems.add(
            header_line + 1, None,
            "the file has a header row but no RMA lines under it; add one row per RMA line",
        )
    return data_rows


_MEMBERS: dict[str, dict[str | None, Any]] = {
    "requested": {None: None, **{m.value: m for m in RequestedOutcome}},
    "category": {None: None, **{m.value: m for m in Category}},
    "reason": {None: None, **{m.value: m for m in Reason}},
}


def _cells_of(staged: tuple[Any, ...], dates: dict[str | None, date | None]) -> _Cells:
    """The cells of a staged row (a tuple in _STAGED_COLUMNS order)."""
    (_line, rma_number, _bad, order_number, order_date, customer_name, requested,
     carrier_tracking, line_no, sku, description, category, quantity, currency, unit_price,
     reason, gtin, expected_serial) = staged
    day = dates.get(order_date)
    if day is None and order_date is not None:
        day = dates[order_date] = date.fromisoformat(order_date)
    return _Cells(
        rma_number, order_number, day, customer_name, _REQUESTED_OF[requested],
        carrier_tracking, line_no, sku, description, _CATEGORY_OF[category], quantity,
        currency, unit_price, _REASON_OF[reason], gtin, expected_serial)


_REQUESTED_OF = _MEMBERS["requested"]
_CATEGORY_OF = _MEMBERS["category"]
_REASON_OF = _MEMBERS["reason"]


def _groups(engine: Engine, problems: _Problems | _LowestProblems
            ) -> Iterator[tuple[str, _RmaGroup]]:
    """Pass 2 (and the reading of records): the staged rows one RMA at a time, each row
    checked against the earlier rows of its RMA as the file orders them."""
    with engine.connect() as connection:
        cursor = connection.connection.cursor()  # the driver's: rows read as they come
        try:
            cursor.execute(_SELECT_STAGED)
            number: str | None = None
            group = _RmaGroup()
            dates: dict[str | None, date | None] = {}
            while batch := cursor.fetchmany(_STAGE_BATCH):
                for staged in batch:
                    if staged[1] != number:
                        if number is not None:
                            yield number, group
                        number, group = staged[1], _RmaGroup()
                    row = _Row(staged[0], {}, problems)
                    if staged[2]:
                        row.bad_columns.update(staged[2].split(","))
                    _group_row(row, group, _cells_of(staged, dates))
            if number is not None:
                yield number, group
        finally:
            cursor.close()


class _LowestProblems:
    """Problems found out of file order: keeps the MAX_REPORTED_PROBLEMS first by line."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, CsvProblem]] = []  # (-line, -order, problem)
        self._order = 0
        self.count = 0

    def add(self, line: int, column: str | None, message: str) -> None:
        self.count += 1
        self._order += 1
        item = (-line, -self._order, CsvProblem(line, column, message))
        if len(self._heap) < MAX_REPORTED_PROBLEMS:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    @property
    def kept(self) -> list[CsvProblem]:
        return [problem for _, _, problem in sorted(self._heap, reverse=True)]


def _merged(first: _Problems, later: _LowestProblems) -> tuple[list[CsvProblem], int]:
    """The first MAX_REPORTED_PROBLEMS problems by line (a row's cell problems before its
    problems with other rows) and how many more there are."""
    merged = sorted(first.reported + later.kept, key=lambda problem: problem.line)
    total = first.count + later.count
    reported = merged[:MAX_REPORTED_PROBLEMS]
    return reported, total - len(reported)


#: The longest physical line read (a CSV row is a few hundred bytes).
MAX_LINE_BYTES = 64 * 1024


def _text_lines(stream: BinaryIO, problems: _Problems) -> Iterator[str]:
    """The file's physical lines as text (CR, LF and CRLF end a line), checked to be UTF-8
    one line at a time, each at most MAX_LINE_BYTES; a problem ends the file."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            problems.add(number, None,
                         f"the line is longer than {MAX_LINE_BYTES:,} bytes; an RMA line is "
                         "a few hundred: check that this is the RMA CSV file")
            return
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if number == 1 and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                detail = "it looks like UTF-16 (\"Unicode text\")"
            else:
                detail = f"byte 0x{raw[exc.start]:02X} is not valid UTF-8"
            problems.add(
                number, None,
                f"the file is not UTF-8 text ({detail}); save it as UTF-8 (in Excel: "
                "\"CSV UTF-8 (comma delimited)\") and import it again",
            )
            return
        if "\r" in line[:-2]:  # old Mac line ends (CR alone) inside this chunk
            pieces = _LINE_ENDS.findall(line)
            number += len(pieces) - 1
            yield from pieces
        else:
            yield line


_LINE_ENDS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


class _Problems:
    """Collects problems up to the reporting cap, counting the rest."""

    def __init__(self) -> None:
        self.reported: list[CsvProblem] = []
        self.omitted = 0

    @property
    def count(self) -> int:
        return len(self.reported) + self.omitted

    @property
    def found(self) -> bool:
        return self.count > 0

    def add(self, line: int, column: str | None, message: str) -> None:
        if len(self.reported) < MAX_REPORTED_PROBLEMS:
            self.reported.append(CsvProblem(line, column, message))
        else:
            self.omitted += 1


class _CellError(Exception):
    """A cell's value is wrong; the message says what and what to do."""


@dataclass
class _RmaGroup:
    """What the rows of one RMA number have said so far."""

    # Field name -> (parsed value, line it was first read from): what later rows must match.
    fields: dict[str, tuple[object, int]] = field(default_factory=dict)
    line_numbers: dict[int, int] = field(default_factory=dict)  # line_no -> physical line
    header: _RmaFields | None = None
    lines: list[RmaLineRecord] = field(default_factory=list)


@dataclass(frozen=True)
class _RmaFields:
    order_number: str
    order_date: date
    customer_name: str
    requested: RequestedOutcome
    carrier_tracking: str | None


def _physical_rows(lines: Iterator[str], problems: _Problems
                   ) -> Iterator[tuple[int, list[str]]]:
    """Yield (first physical line, cells) per CSV record; broken quoting ends the file."""
    reader = csv.reader(lines, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add(
                start, None,
                f"the CSV is malformed here ({exc}); every cell that starts with a double quote "
                "must end with one, and quotes inside such a cell must be doubled (\"\")",
            )
            return
        yield start, cells


def _read_header(
    rows: Iterator[tuple[int, list[str]]], problems: _Problems
) -> tuple[int, list[str]] | None:
    """The header's line and column names in file order; None (with problems) if unusable."""
    for line, cells in rows:
        if all(not cell.strip() for cell in cells):
            continue
        names = [cell.strip().lower() for cell in cells]
        if _header_problems(line, names, problems):
            return None
        return line, names
    if not problems.found:
        problems.add(
            1, None,
            "the file is empty; it needs a header row naming the columns ("
            + ", ".join(_KNOWN) + ") and then one row per RMA line",
        )
    return None


def _header_problems(line: int, names: list[str], problems: _Problems) -> bool:
    before = problems.count
    seen: dict[str, int] = {}
    unknown: list[str] = []
    for position, name in enumerate(names, start=1):
        if not name:
            problems.add(
                line, None,
                f"header column {position} has no name; name it or delete that column",
            )
        elif name in seen:
            problems.add(
                line, name,
                f"appears twice in the header (columns {seen[name]} and {position}); keep one",
            )
        else:
            seen[name] = position
            if name not in _KNOWN:
                unknown.append(name)
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, _KNOWN, n=1)
            hints.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
        problems.add(
            line, None,
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; remove or "
            "rename them; the accepted columns are " + ", ".join(_KNOWN),
        )
    missing = [name for name in _KNOWN if name in _REQUIRED and name not in seen]
    if missing:
        problems.add(
            line, None,
            f"missing required column{'s' if len(missing) > 1 else ''} "
            + ", ".join(repr(name) for name in missing) + "; add them to the header row",
        )
    return problems.count > before


class _ProblemSink(Protocol):
    def add(self, line: int, column: str | None, message: str) -> None: ...


class _Row:
    """One data row: cleans each cell and records problems against its line and column.

    `printable`: the caller found the whole row printable (str.isprintable of its cells
    joined), so no cell needs that check again: one call per row instead of one per cell."""

    def __init__(self, line: int, cells: Mapping[str, str], problems: _ProblemSink, *,
                 printable: bool = False) -> None:
        self.line = line
        self._cells = cells
        self._problems = problems
        self._printable = printable
        self.bad_columns: set[str] = set()

    def problem(self, column: str | None, message: str) -> None:
        if column is not None:
            self.bad_columns.add(column)
        self._problems.add(self.line, column, message)

    def take(self, column: str, parse: Callable[[str], T]) -> T | None:
        """Parsed cell value; None when an optional cell is empty or the cell is wrong."""
        raw = self._cells.get(column, "")
        # rare: printable text has no Cc, Cf, Zl or Zp characters
        if not self._printable and not raw.isprintable():
            control = _control_character(raw)
            if control is not None:
                self.problem(column, control)
                return None
        value = raw.strip()
        if not value:
            if column in _REQUIRED:
                self.problem(column, "must not be empty; this column is required on every row")
            return None
        try:
            return parse(value)
        except _CellError as exc:
            self.problem(column, str(exc))
            return None

    def take_text(self, column: str, parse: _TextParser) -> str | None:
        """`take(column, parse)` for a free-text cell, the most common kind: a clean cell
        of a printable row is returned without a call per cell; anything else (empty, too
        long, unprintable) goes through `take`, so the problems are the same."""
        value = self._cells.get(column, "").strip()
        if self._printable:
            if value and len(value) <= parse.most:
                return value
            if not value and column not in _REQUIRED:
                return None
        return self.take(column, parse)

    def take_known(self, column: str, parse: _Known[T]) -> T | None:
        """`take(column, parse)` for a cell that usually holds one of a few values (an
        enum, a small number): a clean cell of a printable row is looked up; anything else
        goes through `take`, so the values and the problems are the same."""
        if self._printable:
            known = parse.known.get(self._cells.get(column, "").strip())
            if known is not None:
                return known
        return self.take(column, parse)


class _Cells(NamedTuple):
    """One data row's parsed cells (None: empty, or wrong and reported), as staged.

    A named tuple, not a frozen dataclass: made twice per row (read, then read back), and
    a frozen dataclass sets each of its 16 fields through object.__setattr__."""

    rma_number: str
    order_number: str | None
    order_date: date | None
    customer_name: str | None
    requested: RequestedOutcome | None
    carrier_tracking: str | None
    line_no: int | None
    sku: str | None
    description: str | None
    category: Category | None
    quantity: int | None
    currency: str | None
    unit_price: int | None
    reason: Reason | None
    gtin: str | None
    expected_serial: str | None


def _take_cells(
    row: _Row,
    *,
    rma_number_parser: Callable[[str], str],
    order_date_parser: Callable[[str], date],
) -> _Cells | None:
    """Every cell of the row parsed (problems reported); None without a valid RMA number,
    as then the row cannot be compared with its siblings."""
    rma_number = row.take("rma_number", rma_number_parser)
    order_number = row.take_text("order_number", _SHORT_TEXT)
    order_date = row.take("order_date", order_date_parser)
    customer_name = row.take_text("customer_name", _LONG_TEXT)
    requested = row.take_known("requested", _REQUESTED)
    carrier_tracking = row.take_text("carrier_tracking", _SHORT_TEXT)
    line_no = row.take_known("line_no", _LINE_NO)
    sku = row.take_text("sku", _SHORT_TEXT)
    description = row.take_text("description", _LONG_TEXT)
    category = row.take_known("category", _CATEGORY)
    quantity = row.take_known("quantity", _QUANTITY)
    currency = row.take("currency", _currency)
    unit_price = row.take("unit_price", _price_parser(currency))
    reason = row.take_known("reason", _REASON)
    gtin = row.take("gtin", _gtin)
    expected_serial = row.take_text("expected_serial", _SHORT_TEXT)
    if rma_number is None:
        return None
    return _Cells(rma_number, order_number, order_date, customer_name, requested,
                  carrier_tracking, line_no, sku, description, category, quantity, currency,
                  unit_price, reason, gtin, expected_serial)


def _group_row(row: _Row, group: _RmaGroup, cells: _Cells) -> None:
    """Check a row against the earlier rows of its RMA and add its line to the group."""
    rma_number = cells.rma_number
    requested = cells.requested
    rma_fields: dict[str, object] = {
        "order_number": cells.order_number,
        "order_date": cells.order_date,
        "customer_name": cells.customer_name,
        "requested": requested if requested is not None else RequestedOutcome.REFUND,
        "carrier_tracking": cells.carrier_tracking,
    }
    _check_agreement(row, rma_number, group, rma_fields)
    line_no = cells.line_no
    if line_no is not None:
        earlier = group.line_numbers.get(line_no)
        if earlier is not None:
            row.problem(
                "line_no",
                f"line_no {line_no} of {rma_number} already appears on line {earlier}; number "
                "the lines of one RMA 1, 2, 3, ... without repeats",
            )
        else:
            group.line_numbers[line_no] = row.line

    order_number, order_date, customer_name = (cells.order_number, cells.order_date,
                                               cells.customer_name)
    sku, description, category = cells.sku, cells.description, cells.category
    quantity, currency, unit_price, reason = (cells.quantity, cells.currency,
                                              cells.unit_price, cells.reason)
    if row.bad_columns or (
        order_number is None or order_date is None or customer_name is None
        or line_no is None or sku is None or description is None or category is None
        or quantity is None or currency is None or unit_price is None or reason is None
    ):
        return
    if group.header is None:
        group.header = _RmaFields(
            order_number=order_number,
            order_date=order_date,
            customer_name=customer_name,
            requested=requested if requested is not None else RequestedOutcome.REFUND,
            carrier_tracking=cells.carrier_tracking,
        )
    group.lines.append(
        RmaLineRecord(
            line_no=line_no,
            sku=sku,
            description=description,
            category=category,
            quantity=quantity,
            unit_price_minor=unit_price,
            currency=currency,
            reason=reason,
            gtin=cells.gtin,
            expected_serial=cells.expected_serial,
        )
    )


def _check_agreement(
    row: _Row, rma_number: str, group: _RmaGroup, rma_fields: Mapping[str, object]
) -> None:
    for name in _RMA_FIELDS:
        if name in row.bad_columns:
            continue
        value = rma_fields[name]
        first = group.fields.get(name)
        if first is None:
            group.fields[name] = (value, row.line)
        elif first[0] != value:
            row.problem(
                name,
                f"differs from line {first[1]} for the same RMA {rma_number} (line {first[1]} "
                f"has {_shown(first[0])}, this row has {_shown(value)}); every row of one RMA "
                f"must repeat the same {name}",
            )


def _build_record(rma_number: str, group: _RmaGroup) -> RmaRecord:
    header = group.header
    if header is None:  # pragma: no cover - only reachable if a row problem went unreported
        raise AssertionError(f"RMA {rma_number} has no valid row although no problem was found")
    return RmaRecord(
        rma_number=rma_number,
        order_number=header.order_number,
        order_date=header.order_date,
        customer_name=header.customer_name,
        requested=header.requested,
        lines=tuple(sorted(group.lines, key=lambda line: line.line_no)),
        carrier_tracking=header.carrier_tracking,
    )


def _control_character(raw: str) -> str | None:
    """A message for the first control or invisible formatting character, or None if clean."""
    for position, char in enumerate(raw, start=1):
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            name = unicodedata.name(char, "control character")
            return (
                f"contains an invisible control character U+{ord(char):04X} ({name}) at "
                f"position {position}; retype the cell without it (tabs, line breaks and "
                "text-direction marks are not allowed)"
            )
    return None


def _shown(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, date):
        return repr(value.isoformat())
    return repr(str(value))


def _got(value: str) -> str:
    shown = value if len(value) <= 40 else value[:37] + "..."
    return f"(got {shown!r})"


@dataclass(frozen=True)
class _TextParser:
    """Free text of at most `most` characters."""

    most: int

    def __call__(self, value: str) -> str:
        if len(value) > self.most:
            raise _CellError(
                f"must be at most {self.most} characters (got {len(value)}); shorten it"
            )
        return value


def _rma_number_parser(pattern: re.Pattern[str]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if pattern.fullmatch(value) is None:
            raise _CellError(
                f"is not an RMA number this station accepts {_got(value)}; check it for typos "
                f"(RMA numbers here must match the pattern {pattern.pattern})"
            )
        return value

    return parse


def _order_date_parser(today: date) -> Callable[[str], date]:
    seen: dict[str, date] = {}  # a file holds few distinct dates; parse each once

    def parse(value: str) -> date:
        known = seen.get(value)
        if known is not None:
            return known
        if _DATE_SHAPE.fullmatch(value) is None:
            raise _CellError(f"must be a date written YYYY-MM-DD, e.g. 2026-03-14 {_got(value)}")
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise _CellError(f"is not a real calendar date {_got(value)}; check it") from None
        if parsed > today:
            raise _CellError(
                f"is in the future {_got(value)}, today is {today.isoformat()}; check the order "
                "date"
            )
        seen[value] = parsed
        return parsed

    return parse


@dataclass(frozen=True)
class _Known(Generic[T]):
    """A cell parser and the values it returns for the texts most cells hold (see
    `_Row.take_known`)."""

    parse: Callable[[str], T]
    known: Mapping[str, T]

    def __call__(self, value: str) -> T:
        return self.parse(value)


def _whole_number_parser(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if _WHOLE_NUMBER.fullmatch(value) is None or not low <= int(value) <= high:
            raise _CellError(f"must be a whole number from {low} to {high} {_got(value)}")
        return int(value)

    return parse


def _enum_parser(kind: type[E]) -> Callable[[str], E]:
    members = {member.value: member for member in kind}
    allowed = ", ".join(members)

    def parse(value: str) -> E:
        member = members.get(value.lower())
        if member is None:
            raise _CellError(f"must be one of {allowed} {_got(value)}")
        return member

    return parse


def _currency(value: str) -> str:
    try:
        return check_currency(value)
    except MoneyError as exc:
        raise _CellError(str(exc)) from None


def _price_parser(currency: str | None) -> Callable[[str], int | None]:
    """Parse unit_price in the row's currency; with a bad currency only the shape is checked."""

    def parse(value: str) -> int | None:
        if _AMOUNT_SHAPE.fullmatch(value) is None:
            raise _CellError(
                f"must be an amount like 19.99: digits with an optional decimal point, no "
                f"currency sign, thousands separator or decimal comma {_got(value)}"
            )
        if currency is None:
            return None
        try:
            return parse_major(value, currency)
        except MoneyError as exc:
            example = "1999" if CURRENCY_EXPONENTS[currency] == 0 else "19.99"
            raise _CellError(
                f"{exc}; write the price paid per unit in {currency}, e.g. {example}"
            ) from None

    return parse


def _gtin(value: str) -> str:
    if is_valid_gtin(value):
        return value
    if value.isascii() and value.isdigit() and len(value) in (8, 12, 13, 14):
        expected = gs1_check_digit(value[:-1])
        raise _CellError(
            f"has a wrong check digit {_got(value)}, the last digit should be {expected}; "
            "re-scan or retype it, or leave the cell empty"
        )
    raise _CellError(
        f"must be a GTIN/EAN/UPC of 8, 12, 13 or 14 digits {_got(value)}; copy it from the "
        "item's barcode or leave the cell empty"
    )


_SHORT_TEXT = _TextParser(64)
_LONG_TEXT = _TextParser(200)
#: Line numbers and quantities up to this are looked up (larger ones are parsed).
_KNOWN_NUMBERS = 999
_LINE_NO = _Known(_whole_number_parser(1, MAX_LINE_NO),
                  {str(n): n for n in range(1, min(MAX_LINE_NO, _KNOWN_NUMBERS) + 1)})
_QUANTITY = _Known(_whole_number_parser(1, MAX_QUANTITY),
                   {str(n): n for n in range(1, min(MAX_QUANTITY, _KNOWN_NUMBERS) + 1)})
_REQUESTED = _Known(_enum_parser(RequestedOutcome), {m.value: m for m in RequestedOutcome})
_CATEGORY = _Known(_enum_parser(Category), {m.value: m for m in Category})
_REASON = _Known(_enum_parser(Reason), {m.value: m for m in Reason})
