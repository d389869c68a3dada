"""Where a scan goes at the bench: the rules a grader and a clerk learn, without a window."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from station_bench import StationUnderTest

from station.bench.scan_router import (
    Alert,
    ApproveWithBadge,
    BenchAction,
    BenchState,
    ChooseAnswer,
    ChooseGrade,
    Do,
    Ignore,
    LookUpParcel,
    OfferToInspection,
    ReprintLabel,
    Screen,
    SignInFirst,
    SignInWithBadge,
    SwitchUser,
    Tell,
    TypeIntoFocus,
    route,
)
from station.codes.badges import new_badge_code
from station.codes.lpn import format_lpn
from station.codes.scans import Payload, ScanError, inspect_scan
from station.common.vocabulary import Grade, Role
from station.receiving import parcels as receiving
from station.settings.config import DEFAULT_RMA_PATTERN
from station.store.models import Rma

RMA = re.compile(DEFAULT_RMA_PATTERN, re.ASCII)
LPN = format_lpn("BN", 1234)
TRACKING = "1Z999AA10123456784"
GTIN = "5012345036748"


def first_rma_number(bench: StationUnderTest) -> str:
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None
    return number


def scanned(code: str) -> Payload:
    return inspect_scan(code, RMA)


def at(screen: Screen, *, signed_in: bool = True, modal_open: bool = False,
       awaiting_approval: bool = False) -> BenchState:
    return BenchState(screen, signed_in, modal_open, awaiting_approval)


@pytest.mark.parametrize("screen", [Screen.SCAN, Screen.RMA, Screen.LABEL])
def test_an_lpn_scanned_at_the_dock_reprints_that_units_label(screen: Screen) -> None:
    assert route(scanned(LPN), at(screen)) == ReprintLabel(LPN)


@pytest.mark.parametrize("code", ["RMA-100001", TRACKING])
@pytest.mark.parametrize("screen", [Screen.SCAN, Screen.RMA, Screen.LABEL])
def test_a_parcels_code_at_the_dock_looks_its_rma_up(code: str, screen: Screen) -> None:
    assert route(scanned(code), at(screen)) == LookUpParcel(scanned(code))


def test_a_serial_or_gtin_during_an_inspection_is_offered_to_the_checklist_first() -> None:
    decision = route(scanned(GTIN), at(Screen.INSPECTION))
    assert isinstance(decision, OfferToInspection)
    assert decision.payload == scanned(GTIN)
    assert decision.otherwise == TypeIntoFocus(otherwise=Tell(
        "That code is not used on this screen. Finish this step first.", Alert.UNKNOWN))


def test_an_rma_number_during_an_inspection_is_not_the_checklists_and_is_not_used() -> None:
    assert route(scanned("RMA-100001"), at(Screen.INSPECTION)) == TypeIntoFocus(
        otherwise=Tell("That code is not used on this screen. Finish this step first.",
                       Alert.UNKNOWN))


def test_a_mistyped_lpn_during_an_inspection_is_an_error_when_the_checklist_declines() -> None:
    wrong = scanned(LPN[:-1] + ("0" if LPN[-1] != "0" else "1"))
    decision = route(wrong, at(Screen.INSPECTION))
    assert isinstance(decision, OfferToInspection)
    assert decision.otherwise == Tell(wrong.error or "", Alert.ERROR)


def test_a_wrong_check_digit_at_the_dock_says_what_is_wrong() -> None:
    wrong = scanned("1Z999AA10123456785")
    assert route(wrong, at(Screen.SCAN)) == Tell(wrong.error or "", Alert.ERROR)


def test_signed_out_a_scan_goes_into_the_field_or_asks_to_sign_in_first() -> None:
    assert route(scanned("RMA-100001"), at(Screen.SIGN_IN, signed_in=False)) == \
        TypeIntoFocus(otherwise=SignInFirst())
    assert route(scanned("RMA-100001"), at(Screen.FIRST_ADMIN, signed_in=False)) == \
        TypeIntoFocus(otherwise=Ignore())


def test_with_a_dialog_open_every_scan_is_typed_into_it() -> None:
    for code in (new_badge_code(), "CMD:SIGNOUT", LPN, "RMA-100001"):
        assert route(scanned(code), at(Screen.SCAN, modal_open=True)) == \
            TypeIntoFocus(otherwise=Ignore())


def test_a_badge_signs_in_switches_user_or_approves_a_held_refund() -> None:
    badge = new_badge_code()
    assert route(scanned(badge), at(Screen.SIGN_IN, signed_in=False)) == SignInWithBadge(badge)
    assert route(scanned(badge), at(Screen.INSPECTION)) == SwitchUser(badge)
    assert route(scanned(badge), at(Screen.DECISION)) == SwitchUser(badge)
    assert route(scanned(badge), at(Screen.DECISION, awaiting_approval=True)) == \
        ApproveWithBadge(badge)
    assert route(scanned(badge), at(Screen.FIRST_ADMIN, signed_in=False)) == Ignore()


def test_the_bench_card_does_on_each_screen_what_that_screens_key_does() -> None:
    expected = {
        (Screen.RMA, "CMD:NEXT"): Do(BenchAction.RECEIVE_OR_INSPECT),
        (Screen.RMA, "CMD:CANCEL"): Do(BenchAction.LEAVE_RMA),
        (Screen.INSPECTION, "CMD:NEXT"): Do(BenchAction.FINISH_INSPECTION),
        (Screen.INSPECTION, "CMD:CANCEL"): Do(BenchAction.PUT_BACK),
        (Screen.INSPECTION, "CMD:PHOTO"): Do(BenchAction.TAKE_PHOTO),
        (Screen.INSPECTION, "CMD:ASNEW"): Do(BenchAction.FAST_PATH),
        (Screen.INSPECTION, "CMD:BACK"): Do(BenchAction.UNDO_ANSWER),
        (Screen.INSPECTION, "CMD:GRADE:C"): ChooseGrade(Grade.C),
        (Screen.INSPECTION, "CMD:ANSWER:3"): ChooseAnswer(2),
        (Screen.DECISION, "CMD:NEXT"): Do(BenchAction.CONFIRM),
        (Screen.DECISION, "CMD:PRINT"): Do(BenchAction.CONFIRM),
        (Screen.DECISION, "CMD:CANCEL"): Do(BenchAction.BACK_TO_INSPECTION),
        (Screen.LABEL, "CMD:NEXT"): Do(BenchAction.NEXT_UNIT),
        (Screen.LABEL, "CMD:CANCEL"): Do(BenchAction.NEW_PARCEL),
    }
    for (screen, code), decision in expected.items():
        assert route(scanned(code), at(screen)) == decision, (screen, code)


@pytest.mark.parametrize("screen", [Screen.SCAN, Screen.RMA, Screen.INSPECTION,
                                    Screen.DECISION, Screen.LABEL])
def test_the_sign_out_card_signs_out_on_every_screen(screen: Screen) -> None:
    assert route(scanned("CMD:SIGNOUT"), at(screen)) == Do(BenchAction.SIGN_OUT)


def test_a_card_with_no_use_on_this_screen_says_so_by_its_caption() -> None:
    assert route(scanned("CMD:GRADE:A"), at(Screen.SCAN)) == Tell(
        "“Grade A: new / sealed” does nothing on this screen.", Alert.UNKNOWN)
    decision = route(scanned("CMD:PHOTO"), at(Screen.LABEL))
    assert decision == Tell("“Take a photo” does nothing on this screen.", Alert.UNKNOWN)


def test_the_parcel_look_up_uses_the_benchs_classification_of_the_scan(
    bench: StationUnderTest,
) -> None:
    clerk = bench.actors[Role.CLERK]
    number = first_rma_number(bench)
    payload = scanned(f"  {number}\r\n")

    assert receiving.look_up(bench.ctx, clerk, payload) == \
        receiving.look_up(bench.ctx, clerk, number)
    with pytest.raises(ScanError, match="control"):
        receiving.look_up(bench.ctx, clerk, scanned("RMA-1\x07"))
