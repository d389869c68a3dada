"""The shared vocabulary of DESIGN.md as enums.

The enum *values* are the identifiers used in data files, JSON and the database, so they
must never be renamed; add new members instead.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    APPAREL = "apparel"
    FOOTWEAR = "footwear"
    ELECTRONICS = "electronics"
    HOME_KITCHEN = "home_kitchen"
    BEAUTY_PERSONAL_CARE = "beauty_personal_care"
    TOYS = "toys"
    BOOKS_MEDIA = "books_media"
    JEWELLERY_WATCHES = "jewellery_watches"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS.get(self, self.value.replace("_", " "))


_CATEGORY_LABELS = {
    Category.HOME_KITCHEN: "home & kitchen",
    Category.BEAUTY_PERSONAL_CARE: "beauty & personal care",
    Category.BOOKS_MEDIA: "books & media",
    Category.JEWELLERY_WATCHES: "jewellery & watches",
}


class Reason(StrEnum):
    CHANGED_MIND = "changed_mind"
    WRONG_SIZE = "wrong_size"
    DEFECTIVE = "defective"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    WRONG_ITEM_SENT = "wrong_item_sent"
    LATE_DELIVERY = "late_delivery"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Flag(StrEnum):
    WRONG_ITEM = "wrong_item"
    SERIAL_MISMATCH = "serial_mismatch"
    MISSING_PARTS = "missing_parts"
    EMPTY_BOX = "empty_box"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    USED_WORN = "used_worn"
    HYGIENE_SEAL_BROKEN = "hygiene_seal_broken"
    HAZARDOUS = "hazardous"
    COUNTERFEIT_SUSPECTED = "counterfeit_suspected"
    OVER_RETURN = "over_return"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    X = "X"

    @property
    def meaning(self) -> str:
        return _GRADE_MEANINGS[self]


_GRADE_MEANINGS = {
    Grade.A: "new / sealed",
    Grade.B: "like new / opened",
    Grade.C: "used, good",
    Grade.D: "damaged or defective",
    Grade.X: "unsellable",
}


class Disposition(StrEnum):
    RESTOCK = "RESTOCK"
    REFURBISH = "REFURBISH"
    OPEN_BOX = "OPEN_BOX"
    LIQUIDATE = "LIQUIDATE"
    RTV = "RTV"
    DONATE = "DONATE"
    RECYCLE = "RECYCLE"
    DESTROY = "DESTROY"
    HOLD = "HOLD"

    @property
    def label(self) -> str:
        """In words, for people ("open box", "return to vendor"); the value stays the
        identifier."""
        return "return to vendor" if self is Disposition.RTV else self.value.lower().replace(
            "_", " ")


class RefundAction(StrEnum):
    FULL = "FULL"
    PARTIAL = "PARTIAL"
    STORE_CREDIT = "STORE_CREDIT"
    EXCHANGE = "EXCHANGE"
    DENY = "DENY"
    HELD = "HELD"

    @property
    def label(self) -> str:
        """In words, for people ("store credit", "denied"); the value stays the identifier."""
        return {RefundAction.DENY: "denied", RefundAction.HELD: "held"}.get(
            self, self.value.lower().replace("_", " "))


class RequestedOutcome(StrEnum):
    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"


class Role(StrEnum):
    """Roles in increasing order of authority; each role may do what the ones below it may."""

    CLERK = "clerk"
    GRADER = "grader"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def level(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.level >= other.level


class ExceptionOutcome(StrEnum):
    """How a supervisor closed an exception."""

    ACCEPTED = "accepted"  # taken in as a return after all (e.g. an unexpected parcel matched)
    RETURNED_TO_CUSTOMER = "returned_to_customer"
    RETURNED_TO_CARRIER = "returned_to_carrier"
    REFUND_ADJUSTED = "refund_adjusted"  # the refund was corrected by a superseding trigger
    NO_ACTION = "no_action"  # nothing to do (e.g. a duplicate that was already handled)
    ESCALATED = "escalated"  # passed to fraud / customer service outside the station

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class ExceptionKind(StrEnum):
    UNEXPECTED_PARCEL = "unexpected_parcel"
    WRONG_ITEM = "wrong_item"
    OVER_RETURN = "over_return"
    DUPLICATE_RECEIPT = "duplicate_receipt"
    REFUND_CONFLICT = "refund_conflict"


class PhotoKind(StrEnum):
    """What a photo shows; the value is stored in `Photo.kind` and named in checklists."""

    FRONT = "front"
    BACK = "back"
    SIDE = "side"
    BOTTOM = "bottom"  # soles, base, underside
    LABEL_SERIAL = "label_serial"  # serial number, IMEI, hallmark, rating plate
    PACKAGING = "packaging"
    CONTENTS = "contents"  # everything in the box laid out
    DEFECT = "defect"  # a close-up of one defect

    @property
    def label(self) -> str:
        return _KIND_LABELS.get(self, self.value.replace("_", " "))


_KIND_LABELS = {
    PhotoKind.LABEL_SERIAL: "label / serial",
    PhotoKind.DEFECT: "defect close-up",
}
