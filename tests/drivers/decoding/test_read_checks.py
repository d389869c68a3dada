"""read_checks: plausibility rules and the second-opinion vote, with scripted engines."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.decoding.read_checks import SecondOpinion, needs_opinion, plausible
from drivers.decoding.reads import ZBAR, ZXING, Read, box_corners

IMAGE = np.full((200, 400), 255, np.uint8)
CORNERS = box_corners(100, 80, 300, 120)


def read(fmt: str, text: str, engine: str = ZXING) -> Read:
    return Read(fmt, text, CORNERS, engine)


@pytest.mark.parametrize(
    ("fmt", "text", "ok"),
    [
        ("EAN13", "5901234123457", True),
        ("EAN13", "5901234123458", False),  # check digit
        ("EAN13", "590123412345", False),  # length
        ("UPCA", "036000291452", True),
        ("UPCA", "036000291453", False),
        ("EAN8", "96385074", True),
        ("EAN8", "96385075", False),
        ("UPCE", "01234565", True),  # 012345000065 expanded
        ("UPCE", "01234566", False),
        ("UPCE", "21234565", False),  # number system 2 does not exist in UPC-E
        ("ITF", "12345678901231", True),
        ("ITF", "1234", False),  # a typical ghost of a partial scan
        ("ITF", "12345", False),  # ITF is always an even number of digits
        ("Code128", "RMA-1", True),
        ("Code128", "C", False),
        ("Code39", "AB", False),
        ("QRCode", "x", True),
    ],
)
def test_plausible(fmt: str, text: str, ok: bool) -> None:
    assert plausible(read(fmt, text)) is ok


def test_opinions_are_asked_for_weak_checks_and_fallback_finds() -> None:
    assert needs_opinion(read("EAN13", "5901234123457"), first_pass=True)
    assert not needs_opinion(read("Code128", "RMA-1"), first_pass=True)
    assert needs_opinion(read("Code128", "RMA-1"), first_pass=False)
    assert not needs_opinion(read("QRCode", "x"), first_pass=False)


def scripted(engine: str, *answers: list[tuple[str, str]]) -> object:
    """An engine giving one scripted answer per call (then nothing)."""
    queue = list(answers)

    def run(view: np.ndarray) -> list[Read]:
        found = queue.pop(0) if queue else []
        return [Read(fmt, text, box_corners(0, 0, 10, 10), engine) for fmt, text in found]

    return run


EAN = ("EAN13", "5901234123457")
RIVAL = ("EAN13", "4006381333931")


def test_both_engines_agreeing_accepts() -> None:
    judge = SecondOpinion([scripted(ZBAR, [EAN]), scripted(ZXING)])
    assert judge.verify(IMAGE, read(*EAN), first_pass=False) is not None


def test_a_lone_unconfirmed_read_is_dropped() -> None:
    judge = SecondOpinion([scripted(ZBAR), scripted(ZXING)])
    assert judge.verify(IMAGE, read(*EAN), first_pass=True) is None


def test_first_pass_read_confirmed_by_another_view_stands() -> None:
    judge = SecondOpinion([scripted(ZBAR), scripted(ZXING, [EAN])])
    assert judge.verify(IMAGE, read(*EAN), first_pass=True) is not None


def test_one_engine_alone_needs_four_views_and_no_contest() -> None:
    four = [[EAN]] * 3
    assert SecondOpinion([scripted(ZBAR, *four), scripted(ZXING)]).verify(
        IMAGE, read(*EAN, engine=ZBAR), first_pass=False) is not None
    assert SecondOpinion([scripted(ZBAR, *four), scripted(ZXING)]).verify(
        IMAGE, read(*EAN, engine=ZBAR), first_pass=False, contested=True) is None
    assert SecondOpinion([scripted(ZBAR, [EAN]), scripted(ZXING)]).verify(
        IMAGE, read(*EAN, engine=ZBAR), first_pass=False) is None


def test_a_rival_both_engines_prefer_replaces_the_read() -> None:
    judge = SecondOpinion([scripted(ZBAR, [RIVAL], [RIVAL]), scripted(ZXING, [RIVAL])])
    checked = judge.verify(IMAGE, read(*EAN), first_pass=True)
    assert checked is not None
    assert checked.text == RIVAL[1]
    assert np.array_equal(checked.corners, CORNERS)  # still where the code is in the image


def test_a_tie_drops_the_read() -> None:
    judge = SecondOpinion([scripted(ZBAR, [RIVAL]), scripted(ZXING)])
    assert judge.verify(IMAGE, read(*EAN), first_pass=True) is None


def test_an_implausible_rival_cannot_win_but_still_casts_doubt() -> None:
    judge = SecondOpinion([scripted(ZBAR, [("EAN13", "5901234123458")]), scripted(ZXING)])
    assert judge.verify(IMAGE, read(*EAN), first_pass=True) is None


def test_upc_a_and_ean13_with_leading_zero_vote_together() -> None:
    judge = SecondOpinion([scripted(ZBAR, [("UPCA", "036000291452")]), scripted(ZXING)])
    assert judge.verify(IMAGE, read("EAN13", "0036000291452"), first_pass=False) is not None
