"""Where a scan goes: the bench's rules for a scan in each state, as a pure function.

`route` takes the classified scan and what the bench is showing and returns a typed
decision; the window carries it out. Some decisions depend on what a widget does with the
scan (the inspection screen may take a serial number or not; a focused text field may take
the keys or not): those carry an `otherwise`, the decision when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from station.codes.scans import COMMAND_CAPTIONS, Payload, PayloadKind
from station.common.vocabulary import Grade

SIGN_IN_FIRST = "Sign in first: scan your badge or choose your name and type your PIN."
NOT_ON_THIS_SCREEN = "That code is not used on this screen. Finish this step first."
UNUSABLE = "That code cannot be used."


class Screen(StrEnum):
    """The bench's screens, in the order a return flows through them."""

    FIRST_ADMIN = "first_admin"
    SIGN_IN = "sign_in"
    SCAN = "scan"
    RMA = "rma"
    INSPECTION = "inspection"
    DECISION = "decision"
    LABEL = "label"


#: Screens where a parcel or a unit can be scanned to start over with it.
_RECEIVING_SCREENS = frozenset({Screen.SCAN, Screen.RMA, Screen.LABEL})


@dataclass(frozen=True)
class BenchState:
    """What the bench shows when a scan arrives."""

    screen: Screen
    signed_in: bool
    #: A dialog has the keyboard: scans are typed into it.
    modal_open: bool = False
    #: The decision screen waits for a supervisor's badge to approve a held refund.
    awaiting_approval: bool = False


class Alert(StrEnum):
    """How a message about a scan sounds: a wrong code, or a code of no use here."""

    ERROR = "error"
    UNKNOWN = "unknown"


class BenchAction(StrEnum):
    """A bench-card command resolved to what it does on the current screen."""

    SIGN_OUT = "sign_out"
    RECEIVE_OR_INSPECT = "receive_or_inspect"
    LEAVE_RMA = "leave_rma"
    PUT_BACK = "put_back"
    FINISH_INSPECTION = "finish_inspection"
    TAKE_PHOTO = "take_photo"
    FAST_PATH = "fast_path"
    UNDO_ANSWER = "undo_answer"
    CONFIRM = "confirm"
    BACK_TO_INSPECTION = "back_to_inspection"
    NEXT_UNIT = "next_unit"
    NEW_PARCEL = "new_parcel"


@dataclass(frozen=True)
class Ignore:
    """Nothing happens (a badge at the first-administrator screen)."""


@dataclass(frozen=True)
class Tell:
    """Say `text` on the current screen, with the sound of `alert`."""

    text: str
    alert: Alert


@dataclass(frozen=True)
class SignInFirst:
    """On the sign-in screen, signed out: say that signing in comes first (no sound)."""

    text: str = SIGN_IN_FIRST


@dataclass(frozen=True)
class SignInWithBadge:
    code: str


@dataclass(frozen=True)
class SwitchUser:
    """A badge while someone is signed in: whoever's badge it is takes over the bench."""

    code: str


@dataclass(frozen=True)
class ApproveWithBadge:
    """A supervisor's badge on a held refund: their approval, not a change of user."""

    code: str


@dataclass(frozen=True)
class ReprintLabel:
    """A unit's LPN at the dock: print its label again (with a reason)."""

    lpn: str


@dataclass(frozen=True)
class LookUpParcel:
    """A parcel's code: back to the scan screen and look its RMA up."""

    payload: Payload


@dataclass(frozen=True)
class Do:
    """A bench-card command that does `action` on the current screen."""

    action: BenchAction


@dataclass(frozen=True)
class ChooseGrade:
    grade: Grade


@dataclass(frozen=True)
class ChooseAnswer:
    """Answer the current question with its option `index` (from 0)."""

    index: int


@dataclass(frozen=True)
class OfferToInspection:
    """The inspection screen may take the scan (a serial, a GTIN); if not, `otherwise`."""

    payload: Payload
    otherwise: Decision


@dataclass(frozen=True)
class TypeIntoFocus:
    """Type the scan into the focused text field, as a very fast typist's keys would be;
    where no field takes it, `otherwise`."""

    otherwise: Decision


Decision = (Ignore | Tell | SignInFirst | SignInWithBadge | SwitchUser | ApproveWithBadge
            | ReprintLabel | LookUpParcel | Do | ChooseGrade | ChooseAnswer | OfferToInspection
            | TypeIntoFocus)

#: Commands that do the same on a screen as the key shown there.
_SCREEN_COMMANDS: dict[tuple[Screen, str], BenchAction] = {
    (Screen.RMA, "NEXT"): BenchAction.RECEIVE_OR_INSPECT,
    (Screen.RMA, "CANCEL"): BenchAction.LEAVE_RMA,
    (Screen.INSPECTION, "CANCEL"): BenchAction.PUT_BACK,
    (Screen.INSPECTION, "NEXT"): BenchAction.FINISH_INSPECTION,
    (Screen.INSPECTION, "PHOTO"): BenchAction.TAKE_PHOTO,
    (Screen.INSPECTION, "ASNEW"): BenchAction.FAST_PATH,
    (Screen.INSPECTION, "BACK"): BenchAction.UNDO_ANSWER,
    (Screen.DECISION, "NEXT"): BenchAction.CONFIRM,
    (Screen.DECISION, "PRINT"): BenchAction.CONFIRM,
    (Screen.DECISION, "CANCEL"): BenchAction.BACK_TO_INSPECTION,
    (Screen.LABEL, "NEXT"): BenchAction.NEXT_UNIT,
    (Screen.LABEL, "CANCEL"): BenchAction.NEW_PARCEL,
}


def route(payload: Payload, state: BenchState) -> Decision:
    """The decision for one classified scan (`station.codes.scans.inspect_scan`) in `state`."""
    if state.modal_open:
        return TypeIntoFocus(otherwise=Ignore())
    if payload.kind is PayloadKind.BADGE:
        return _badge(payload, state)
    if not state.signed_in:
        return TypeIntoFocus(
            otherwise=SignInFirst() if state.screen is Screen.SIGN_IN else Ignore())
    if state.screen is Screen.INSPECTION and payload.kind not in (PayloadKind.COMMAND,
                                                                 PayloadKind.RMA):
        return OfferToInspection(payload, otherwise=_signed_in(payload, state))
    return _signed_in(payload, state)


def _badge(payload: Payload, state: BenchState) -> Decision:
    if state.signed_in and state.screen is Screen.DECISION and state.awaiting_approval:
        return ApproveWithBadge(payload.value)
    if not state.signed_in and state.screen is Screen.SIGN_IN:
        return SignInWithBadge(payload.value)
    if state.signed_in:
        return SwitchUser(payload.value)
    return Ignore()


def _signed_in(payload: Payload, state: BenchState) -> Decision:
    if not payload.valid:
        return Tell(payload.error or UNUSABLE, Alert.ERROR)
    if payload.kind is PayloadKind.COMMAND:
        return _command(payload, state.screen)
    if payload.kind is PayloadKind.LPN and state.screen in _RECEIVING_SCREENS:
        return ReprintLabel(payload.value)
    if state.screen in _RECEIVING_SCREENS:
        return LookUpParcel(payload)
    return TypeIntoFocus(otherwise=Tell(NOT_ON_THIS_SCREEN, Alert.UNKNOWN))


def _command(payload: Payload, screen: Screen) -> Decision:
    """A bench-card barcode: the same action as the key shown on the current screen."""
    command = payload.fields.get("command", "")
    if command == "SIGNOUT":
        return Do(BenchAction.SIGN_OUT)
    if command == "GRADE" and screen is Screen.INSPECTION:
        return ChooseGrade(Grade(payload.fields["grade"]))
    if command == "ANSWER" and screen is Screen.INSPECTION:
        return ChooseAnswer(int(payload.fields["argument"]) - 1)
    action = _SCREEN_COMMANDS.get((screen, command))
    if action is not None:
        return Do(action)
    caption = COMMAND_CAPTIONS.get(payload.text, payload.text)
    return Tell(f"“{caption}” does nothing on this screen.", Alert.UNKNOWN)
