"""The same code on consecutive camera frames is reported once."""

from __future__ import annotations

from station.codes.holdoff import HoldOff


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_code_in_view_on_every_frame_is_reported_once() -> None:
    ticks = Ticks()
    holdoff = HoldOff(1.5, ticks)
    reports = []
    for _ in range(90):  # three seconds at 30 fps
        reports.append(holdoff.should_report("RMA-100001"))
        ticks.now += 1 / 30
    assert reports.count(True) == 1


def test_the_same_code_shown_again_after_the_hold_off_is_reported_again() -> None:
    ticks = Ticks()
    holdoff = HoldOff(1.5, ticks)
    assert holdoff.should_report("A")
    ticks.now = 2.0
    assert holdoff.should_report("A")
    assert holdoff.should_report("B")
