"""A scanner's burst of keys becomes one scan; a person's typing goes where it was typed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from station.codes.wedge import Hold, Replay, Scan, WedgeDetector
from station.settings.config import ScannerConfig

ENTER = "<enter>"


def feed(detector: WedgeDetector[str], text: str, start: float, step: float,
         enter: bool = True) -> list[object]:
    decisions: list[object] = []
    now = start
    for char in text:
        decisions.append(detector.key(char, char, now))
        now += step
    if enter:
        decisions.append(detector.enter(ENTER, now))
    return decisions


def test_a_burst_of_keys_ending_in_enter_is_one_scan() -> None:
    detector: WedgeDetector[str] = WedgeDetector(ScannerConfig())
    decisions = feed(detector, "RMA-100001", 0, 4)
    assert all(isinstance(d, Hold) for d in decisions[:-1])
    assert decisions[-1] == Scan("RMA-100001")
    assert not detector.holding


def test_a_person_typing_gets_every_key_back_in_order() -> None:
    detector: WedgeDetector[str] = WedgeDetector(ScannerConfig())
    decisions = feed(detector, "RMA-1", 0, 120)
    released = [k for d in decisions if isinstance(d, Replay) for k in d.keys]
    assert isinstance(decisions[0], Hold)
    assert released == ["R", "M", "A", "-", "1", ENTER]


def test_a_lone_key_is_released_when_its_interval_runs_out() -> None:
    detector: WedgeDetector[str] = WedgeDetector(ScannerConfig())
    assert detector.key("b", "b", 0) == Hold(35)
    assert detector.timeout(40) == Replay(("b",))
    assert not detector.holding


def test_a_short_fast_burst_is_typing_not_a_scan() -> None:
    detector: WedgeDetector[str] = WedgeDetector(ScannerConfig(min_length=4))
    assert feed(detector, "ab", 0, 5)[-1] == Replay(("a", "b", ENTER))


def test_a_scanner_without_an_enter_suffix_is_caught_on_timeout() -> None:
    detector: WedgeDetector[str] = WedgeDetector(ScannerConfig())
    feed(detector, "BDG-ABCDEFGHIJKLMNOP", 0, 3, enter=False)
    assert detector.timeout(100) == Scan("BDG-ABCDEFGHIJKLMNOP", entered=False)


def test_prefix_and_suffix_are_stripped_and_a_prefix_is_required() -> None:
    detector: WedgeDetector[str] = WedgeDetector(ScannerConfig(prefix="~", suffix="#"))
    assert feed(detector, "~RMA-100001#", 0, 3)[-1] == Scan("RMA-100001")
    assert isinstance(feed(detector, "RMA-100001", 0, 3)[-1], Replay)


def test_a_pause_in_the_middle_splits_typing_from_what_follows() -> None:
    detector: WedgeDetector[str] = WedgeDetector(ScannerConfig())
    detector.key("x", "x", 0)
    decision = detector.key("R", "R", 500)
    assert decision == Replay(("x",))
    assert feed(detector, "MA-100001", 503, 3)[-1] == Scan("RMA-100001")


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
               max_size=40),
       st.floats(min_value=60, max_value=400))
def test_nothing_a_person_types_is_lost_or_reordered(text: str, step: float) -> None:
    detector: WedgeDetector[str] = WedgeDetector(ScannerConfig())
    decisions = feed(detector, text, 0, step)
    released = [k for d in decisions if isinstance(d, Replay) for k in d.keys]
    assert released == [*text, ENTER]
