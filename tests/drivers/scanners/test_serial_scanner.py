"""A serial scanner on a real pseudo-terminal: codes arrive, and an unplug is survived."""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.scanners.serial_scanner import SerialScanner
from station.ports.scanner import SourceState, SourceStatus


class Device:
    """A pseudo-terminal pair standing in for a USB virtual-COM scanner at a fixed path."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master, slave = os.openpty()
        self.slave_path = os.ttyname(slave)
        os.close(slave)
        link.symlink_to(self.slave_path)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def unplug(self) -> None:
        self.link.unlink()
        os.close(self.master)


@pytest.fixture
def events() -> Iterator[queue.Queue[object]]:
    yield queue.Queue()


def wait_for(events: queue.Queue[object], predicate: object, timeout: float = 5.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            item = events.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if predicate(item):  # type: ignore[operator]
            return item
    raise AssertionError("the expected event did not arrive")


def connected(item: object) -> bool:
    return isinstance(item, SourceStatus) and item.state == SourceState.CONNECTED


def disconnected(item: object) -> bool:
    return isinstance(item, SourceStatus) and item.state == SourceState.DISCONNECTED


def test_codes_arrive_one_per_terminator_and_an_unplugged_scanner_comes_back(
    tmp_path: Path, events: queue.Queue[object]
) -> None:
    link = tmp_path / "ttyACM-scanner"
    device = Device(link)
    scanner = SerialScanner(str(link), 9600, "\r", retry_s=0.1)
    scanner.start(events.put, events.put)
    try:
        wait_for(events, connected)
        device.send(b"RMA-100001\rRMA-10")
        device.send(b"0002\r\n")
        assert wait_for(events, lambda i: isinstance(i, str)) == "RMA-100001"
        assert wait_for(events, lambda i: isinstance(i, str)) == "RMA-100002"

        device.unplug()
        wait_for(events, disconnected)
        replugged = Device(link)
        wait_for(events, connected)
        replugged.send(b"BN00000001X\r")
        assert wait_for(events, lambda i: isinstance(i, str)) == "BN00000001X"
        replugged.unplug()
    finally:
        scanner.stop()
    wait_for(events, lambda i: isinstance(i, SourceStatus) and i.state == SourceState.STOPPED)


def test_a_missing_port_is_reported_not_raised(tmp_path: Path,
                                               events: queue.Queue[object]) -> None:
    scanner = SerialScanner(str(tmp_path / "nothing-here"), retry_s=0.1)
    scanner.start(events.put, events.put)
    try:
        status = wait_for(events, disconnected)
        assert isinstance(status, SourceStatus) and "nothing-here" in status.text
    finally:
        scanner.stop()
