"""A grader's standard unit, on the real app under a real X server: scan the RMA, one key
for "sealed / as new", Enter to confirm and print (plus the serial scan where the line
asks for it) — at most four inputs, for three categories, with the scans typed at a
wedge scanner's speed, and once with the RMA typed by hand at a person's speed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_printer import FakePrinter
from printer_streams import parse_escpos
from xvfb_bench import HUMAN_DELAY_MS, Bench, demo_station, running_app, tools_or_skip, x_server

MAX_INPUTS = 4

#: Demo RMAs (the demo's data is generated the same way every day) of one line, one unit,
#: an ordinary value, in the return window: a standard unit each. (RMA, category, serial
#: the line asks to scan or None).
STANDARD_UNITS = (
    ("RMA-100112", "apparel", None),
    ("RMA-100068", "electronics", "SN-NWSU6PJRE"),
    ("RMA-100119", "home_kitchen", None),
)


@pytest.fixture
def display() -> Iterator[str]:
    tools_or_skip()
    with x_server() as name:
        yield name


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    """A label printer on 127.0.0.1 speaking ESC/POS over a raw port, as at the bench."""
    with FakePrinter() as fake:
        yield fake


@pytest.fixture
def station(tmp_path: Path, printer: FakePrinter) -> Path:
    folder = tmp_path / "demo"
    demo_station(folder, f"escpos+tcp://{printer.uri_authority}")
    return folder


def sign_in_as_grader(bench: Bench) -> None:
    """Gus Grader, the third name of the demo's list, with the demo PIN (not counted)."""
    bench.wait_for_screen("sign_in")
    bench.keys_not_counted("Down", "Down", "Down", "Return", text="1357")
    bench.keys_not_counted("Return")
    bench.wait_for_screen("scan")


def standard_unit(bench: Bench, rma: str, serial: str | None, *,
                  typed_by_hand: bool = False) -> list[str]:
    """One unit from the RMA's scan to its printed label; the inputs it took."""
    start = len(bench.inputs)
    bench.scan(rma, **({"delay_ms": HUMAN_DELAY_MS} if typed_by_hand else {}))
    bench.wait_for_screen("inspection")
    bench.press("s")
    if serial is not None:
        bench.scan(serial)
    bench.wait_for_screen("decision")
    bench.press("Return")
    bench.wait_for_screen("label")
    return bench.inputs[start:]


def recorded(bench: Bench, rma: str) -> tuple[str, str, list[dict[str, object]], int]:
    """The unit of `rma` as the station recorded it: grade, disposition, answer log and the
    number of its labels the printer took."""
    rows = bench.query(
        "SELECT i.grade, d.disposition, i.answer_log, "
        "  (SELECT count(*) FROM print_jobs p JOIN print_attempts a ON a.job_id = p.id "
        "   WHERE p.unit_id = u.id AND a.state = 'printed') "
        "FROM units u JOIN rma_lines l ON l.id = u.rma_line_id JOIN rmas r ON r.id = l.rma_id "
        "JOIN inspections i ON i.unit_id = u.id JOIN dispositions d ON d.unit_id = u.id "
        "WHERE r.rma_number = ?", rma)
    assert len(rows) == 1, f"{rma}: {len(rows)} units recorded"
    grade, disposition, log, jobs = rows[0]
    return str(grade), str(disposition), json.loads(str(log)), int(str(jobs))


def test_three_standard_units_take_at_most_four_inputs_each(
    display: str, station: Path, printer: FakePrinter, tmp_path: Path,
) -> None:
    with running_app(display, station) as bench:
        sign_in_as_grader(bench)
        taken = {rma: standard_unit(bench, rma, serial) for rma, _cat, serial in STANDARD_UNITS}
        bench.screenshot(tmp_path / "label.png")
        bench.until("the three labels printed", lambda: all(
            recorded(bench, rma)[3] == 1 for rma, _category, _serial in STANDARD_UNITS))
        for rma, category, serial in STANDARD_UNITS:
            inputs = taken[rma]
            assert len(inputs) <= MAX_INPUTS, f"{category} {rma} took {inputs}"
            grade, disposition, log, jobs = recorded(bench, rma)
            assert (grade, disposition) == ("A", "RESTOCK"), category
            assert jobs == 1, f"{rma}: its label printed once"
            via = {str(entry["via"]) for entry in log}
            assert via == ({"fast_path", "check"} if serial else {"fast_path"})
            assert all(entry["by"] and entry["at"] for entry in log)
    labels = [parse_escpos(connection.received) for connection in printer.connections
              if len(connection.received) > 1000]
    assert len(labels) == len(STANDARD_UNITS)


def test_a_standard_unit_typed_by_hand_at_a_persons_speed(
    display: str, station: Path,
) -> None:
    with running_app(display, station) as bench:
        sign_in_as_grader(bench)
        rma, _category, serial = STANDARD_UNITS[0]
        inputs = standard_unit(bench, rma, serial, typed_by_hand=True)
        assert len(inputs) <= MAX_INPUTS, inputs
        assert recorded(bench, rma)[:2] == ("A", "RESTOCK")
