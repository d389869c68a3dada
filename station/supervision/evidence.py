"""The evidence sheet of a unit: everything that explains its grade, for disputes and
chargebacks.

`gather` reads the unit's facts (RMA line, latest inspection, decision and refund trigger,
exceptions, photos) into an `EvidenceSheet` of display-ready text and records an
"evidence.generated" audit event; an `EvidenceRenderer` (drivers.documents.evidence_pdf) turns the
sheet into a PDF. The sheet never carries the customer's name: the order number is enough
to find the order, and the sheet may leave the company.

Kept whole: the display-ready sheet, its formatting and its gathering from the unit's facts
are one use case whose output may leave the company, so what it shows (never the customer's
name) is checked in one place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, NamedTuple, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.audit import chain as audit
from station.common import atomic_file
from station.common.errors import UserFacingError
from station.common.money import format_minor
from station.common.permissions import Action, Actor
from station.common.text_hygiene import clean_text
from station.common.vocabulary import (
    Category,
    ExceptionKind,
    Grade,
    PhotoKind,
    Reason,
    RefundAction,
)
from station.grading.checklists import Checklist, format_answer
from station.ports.photo_files import photo_path
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store.models import (
    DispositionDecision,
    ExceptionCase,
    Inspection,
    InspectionDraft,
    Photo,
    RefundTrigger,
    Rma,
    RmaLine,
    Unit,
    User,
)

GENERATED_ACTION: Final = "evidence.generated"
#: Longest text kept from a free-text field (answers, notes, reasons).
TEXT_LEN: Final = 2000
#: Keys of an exception's details never put on a sheet: they may name the customer.
_PRIVATE_DETAIL = re.compile(r"customer|name|email|e_mail|phone|address|street|postcode|zip",
                             re.IGNORECASE)
_VERIFICATION_LABELS: Final = {"gtin": "GTIN", "serial": "Serial number", "sku": "SKU"}
_HASH_CHUNK: Final = 1 << 20


class EvidenceError(UserFacingError):
    """No evidence sheet can be made for that LPN (unknown, unfinished) or written there."""


class PhotoFile(StrEnum):
    """What became of a photo's file; the hash on the sheet stands in every case."""

    KEPT = "kept"  # present and its content matches the recorded SHA-256
    DELETED_BY_RETENTION = "deleted_by_retention"  # gone, and older than retention_days
    MISSING = "missing"  # gone although retention did not remove it
    ALTERED = "altered"  # present, but its content no longer matches the hash


@dataclass(frozen=True)
class EvidencePhoto:
    """One photo of the unit as the sheet lists it; `path` is where its file should be."""

    kind: str  # the PhotoKind label, e.g. "label / serial"
    taken_at: str
    taken_by: str
    size_bytes: int
    width: int
    height: int
    sha256: str
    path: Path
    file: PhotoFile = PhotoFile.KEPT

    @property
    def caption(self) -> str:
        """`front · 2026-11-30 10:42 UTC · Gus Grader · 1.2 MB · 2048×1536 · sha256 <hash>`."""
        parts = [self.kind, self.taken_at, self.taken_by, human_size(self.size_bytes)]
        if self.width and self.height:
            parts.append(f"{self.width}×{self.height}")
        parts.append(f"sha256 {self.sha256}")
        return " · ".join(parts)


class EvidenceAnswer(NamedTuple):
    """A checklist answer: the question as worded now (its id if the checklist dropped it)."""

    question: str
    answer: str


@dataclass(frozen=True)
class EvidenceDecision:
    """The unit's latest disposition and why it was made."""

    disposition: str
    destination: str
    rule_id: str
    rules_version: str
    why: str
    decided_at: str
    decided_by: str


@dataclass(frozen=True)
class EvidenceSheet:
    """The text of a unit's evidence sheet; every time is UTC, to the minute.

    Empty strings and None mean "not recorded"; renderers show them as a dash.
    """

    station_code: str
    lpn: str
    rma_number: str
    order_number: str
    order_date: str
    line_no: int | None
    sku: str
    gtin: str | None
    description: str
    category: str
    reason: str
    requested: str
    price_paid: str
    grader: str
    started_at: str
    completed_at: str
    checklist: str
    checklist_version: str
    answers: tuple[EvidenceAnswer, ...]
    flags: tuple[str, ...]
    proposed_grade: str | None
    grade: str
    grade_meaning: str
    override_reason: str | None
    notes: str
    verification: tuple[str, ...]
    decision: EvidenceDecision | None
    refund: str | None
    refund_why: str
    exceptions: tuple[str, ...]
    photos: tuple[EvidencePhoto, ...]
    generated_at: str
    generated_by: str


class EvidenceRenderer(Protocol):
    def render(self, sheet: EvidenceSheet) -> bytes:
        """The sheet as a PDF document; never raises for odd text or a missing photo file."""
        ...


@dataclass(frozen=True)
class WrittenSheet:
    """What `export_pdf` wrote."""

    lpn: str
    path: Path
    pages: int
    photos: int


# --------------------------------------------------------------------------- formatting


def utc_minutes(moment: datetime) -> str:
    """`2026-11-30 10:42 UTC`: the one way times appear on a sheet."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def human_size(size_bytes: int) -> str:
    """Decimal units, one decimal place from kB on: 812 B, 41.5 kB, 1.2 MB."""
    if size_bytes < 1000:
        return f"{size_bytes} B"
    for unit, scale in (("kB", 1e3), ("MB", 1e6)):
        if size_bytes < scale * 1000:
            return f"{size_bytes / scale:.1f} {unit}"
    return f"{size_bytes / 1e9:.1f} GB"


def normalise_lpn(text: str) -> str:
    """An LPN as a scan reads it: control characters and spaces dropped, upper case."""
    return clean_text(text, 40).replace(" ", "").upper()


def _text(value: object, max_len: int = TEXT_LEN) -> str:
    return clean_text(str(value), max_len) if value is not None else ""


def _multiline(value: str, max_len: int = TEXT_LEN) -> str:
    """Free text with its line breaks kept and everything else cleaned like `_text`."""
    lines = [clean_text(line, max_len) for line in value[: max_len * 2].splitlines()]
    return "\n".join(line for line in lines if line)[:max_len]


def _words(identifier: str) -> str:
    return identifier.replace("_", " ")


def vocabulary_label(enum: type[Category] | type[Reason], value: str) -> str:
    """A category's or return reason's label for people; an unknown value in words."""
    try:
        return enum(value).label
    except ValueError:
        return _text(_words(value))


def _answer_text(value: object) -> str:
    if value is None or isinstance(value, bool | int | float | str):
        return _text(format_answer(value))
    return _text(json.dumps(value, ensure_ascii=False, default=str))


def checklist_answers(raw: Mapping[str, Any],
                      checklist: Checklist | None) -> tuple[EvidenceAnswer, ...]:
    """An inspection's answers in the order given, each question worded as `checklist`
    words it now (its id if the checklist is unknown or dropped it)."""
    answers: list[EvidenceAnswer] = []
    for question_id, value in raw.items():
        question = _text(question_id, 100)
        if checklist is not None:
            with contextlib.suppress(KeyError):
                question = checklist.question(question_id).text
        answers.append(EvidenceAnswer(question, _answer_text(value)))
    return tuple(answers)


def checklist_named(checklists: Iterable[Checklist], name: str) -> Checklist | None:
    """The checklist called `name` among `checklists`, None if the station has none."""
    return next((checklist for checklist in checklists if checklist.name == name), None)


def _verification(raw: Mapping[str, Any]) -> tuple[str, ...]:
    lines: list[str] = []
    for key, check in raw.items():
        label = _VERIFICATION_LABELS.get(key, _text(_words(str(key)).capitalize(), 60))
        if not isinstance(check, Mapping):
            lines.append(f"{label}: {_text(json.dumps(check, default=str), 200)}")
            continue
        expected = _text(check.get("expected"), 100) or "none on the RMA"
        scanned = _text(check.get("scanned"), 100) or "not scanned"
        ok = check.get("ok")
        verdict = ("matches" if ok is True else "DOES NOT MATCH" if ok is False
                   else "nothing on file to compare with")
        message = _text(check.get("message"), 300)
        lines.append(f"{label}: expected {expected}, scanned {scanned}: {verdict}"
                     + (f" ({message})" if message else ""))
    return tuple(lines)


def _public(value: object) -> object:
    """`value` without any mapping key that may name the customer, at any depth."""
    if isinstance(value, Mapping):
        return {str(key): _public(item) for key, item in value.items()
                if not _PRIVATE_DETAIL.search(str(key))}
    if isinstance(value, list | tuple):
        return [_public(item) for item in value]
    return value


def _detail(value: object) -> str:
    if isinstance(value, str):
        return _text(value, 200)
    return _text(json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": ")),
                 300)


def exception_kind(kind: str) -> str:
    """An exception's kind in words ("unexpected parcel"), an unknown kind cleaned."""
    try:
        return _words(ExceptionKind(kind).value)
    except ValueError:
        return _text(_words(kind), 60)


def exception_details(details: object) -> str:
    """An exception's details as `key: value; ...` for paper that may leave the company:
    keys that may name the customer left out, every value cleaned and shortened."""
    shown = _public(details)
    return "; ".join(f"{_text(key, 40)}: {_detail(value)}" for key, value in shown.items()
                     ) if isinstance(shown, dict) else ""


def _exception_line(case: ExceptionCase) -> str:
    shown = exception_details(case.details)
    return f"{exception_kind(case.kind)}, opened {utc_minutes(case.opened_at)}" + (
        f" ({shown})" if shown else "")


def _refund(trigger: RefundTrigger | None) -> str | None:
    if trigger is None:
        return None
    money = format_minor(trigger.amount_minor, trigger.currency)
    action = _text(trigger.action, 16)
    text = (f"{action} ({money})" if action in {RefundAction.HELD, RefundAction.DENY}
            else f"{action} {money}")
    return text if trigger.settling else f"{text}, not settling: waits for a supervisor"


def file_state(path: Path, sha256: str, taken_at: datetime, retention_cutoff: datetime | None,
               ) -> PhotoFile:
    """What became of the photo file at `path`: hashed in full, so an altered file shows."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_HASH_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        if retention_cutoff is not None and taken_at < retention_cutoff:
            return PhotoFile.DELETED_BY_RETENTION
        return PhotoFile.MISSING
    except OSError:
        return PhotoFile.MISSING
    return PhotoFile.KEPT if digest.hexdigest() == sha256 else PhotoFile.ALTERED


# --------------------------------------------------------------------------- gathering


class Names:
    """Users' display names, looked up once each, in the first of `sessions` that knows
    them (users are not synced: the central database may not know a station's users)."""

    def __init__(self, *sessions: Session) -> None:
        self._sessions = sessions
        self._names: dict[uuid.UUID, str] = {}

    def __call__(self, user_id: uuid.UUID | None) -> str:
        if user_id is None:
            return ""
        if user_id not in self._names:
            user = next((found for session in self._sessions
                         if (found := session.get(User, user_id)) is not None), None)
            self._names[user_id] = (_text(user.display_name, 100) if user is not None
                                    else f"unknown user {user_id}")
        return self._names[user_id]


def _not_found(lpn: str) -> EvidenceError:
    shown = lpn or "(empty)"
    return EvidenceError(f"No unit with LPN {shown} on this station. Check the label and scan "
                         "or type the LPN again; a unit graded at another station has its "
                         "evidence sheet there.")


def unit_photos(session: Session, ctx: StationContext, unit: Unit, photos_folder: Path,
                names: Names) -> tuple[EvidencePhoto, ...]:
    """Every photo of the unit, oldest first, each with what became of its file in
    `photos_folder` (a photo taken at another station is missing here, its hash kept)."""
    days = ctx.config.privacy.retention_days
    cutoff = ctx.clock() - timedelta(days=days) if days > 0 else None
    photos: list[EvidencePhoto] = []
    rows = session.scalars(select(Photo).where(Photo.unit_id == unit.id)
                           .order_by(Photo.taken_at, Photo.id))
    for row in rows:
        try:
            kind = PhotoKind(row.kind).label
        except ValueError:
            kind = _text(_words(row.kind), 40)
        try:
            path = photo_path(photos_folder, row.sha256)
        except ValueError:  # a malformed hash in the row: list it, show no file
            photos.append(EvidencePhoto(kind, utc_minutes(row.taken_at), names(row.taken_by),
                                        row.size_bytes, row.width, row.height,
                                        _text(row.sha256, 64), photos_folder,
                                        PhotoFile.MISSING))
            continue
        photos.append(EvidencePhoto(
            kind, utc_minutes(row.taken_at), names(row.taken_by), row.size_bytes, row.width,
            row.height, row.sha256, path, file_state(path, row.sha256, row.taken_at, cutoff),
        ))
    return tuple(photos)


def _sheet(session: Session, ctx: StationContext, actor: Actor, lpn: str,
           photos_folder: Path) -> EvidenceSheet:
    unit = session.scalar(select(Unit).where(Unit.lpn == lpn))
    if unit is None:
        if session.get(InspectionDraft, lpn) is not None:
            raise EvidenceError(f"Unit {lpn} is still being inspected. Finish its inspection, "
                                "then make its evidence sheet.")
        raise _not_found(lpn)
    inspection = session.scalars(
        select(Inspection).where(Inspection.unit_id == unit.id)
        .order_by(Inspection.completed_at.desc(), Inspection.id.desc()).limit(1)).first()
    if inspection is None:
        raise EvidenceError(f"Unit {lpn} has no finished inspection yet, so there is no "
                            "evidence to show. Finish its inspection first.")
    decision = session.scalars(
        select(DispositionDecision).where(DispositionDecision.unit_id == unit.id)
        .order_by(DispositionDecision.decided_at.desc(), DispositionDecision.id.desc())
        .limit(1)).first()
    trigger = session.scalars(
        select(RefundTrigger).where(RefundTrigger.unit_id == unit.id)
        .order_by(RefundTrigger.created_at.desc(), RefundTrigger.id.desc()).limit(1)).first()
    line = session.get(RmaLine, unit.rma_line_id) if unit.rma_line_id else None
    rma = session.get(Rma, line.rma_id) if line is not None else None
    exceptions = session.scalars(select(ExceptionCase).where(ExceptionCase.unit_id == unit.id)
                                 .order_by(ExceptionCase.opened_at, ExceptionCase.id))
    names = Names(session)
    checklist = checklist_named(ctx.checklists.values(), inspection.checklist)
    try:
        grade_meaning = Grade(inspection.grade).meaning
    except ValueError:
        grade_meaning = ""
    explanation = decision.explanation if decision is not None else {}
    why = explanation.get("disposition") if isinstance(explanation, Mapping) else None
    refund_why = explanation.get("refund") if isinstance(explanation, Mapping) else None
    if isinstance(refund_why, Mapping):
        refund_why = refund_why.get("why")
    override = explanation.get("override") if isinstance(explanation, Mapping) else None
    if isinstance(override, Mapping) and isinstance(why, str):
        why = (f"{why}. Grader chose {override.get('chosen')} instead of "
               f"{override.get('proposed')}: {override.get('reason')}")
    return EvidenceSheet(
        station_code=ctx.station_code,
        lpn=unit.lpn,
        rma_number=_text(rma.rma_number, 64) if rma else "",
        order_number=_text(rma.order_number, 64) if rma else "",
        order_date=rma.order_date.isoformat() if rma else "",
        line_no=line.line_no if line else None,
        sku=_text(line.sku, 64) if line else "",
        gtin=_text(line.gtin, 14) if line and line.gtin else None,
        description=_text(line.description, 200) if line else "",
        category=vocabulary_label(Category, line.category) if line else "",
        reason=vocabulary_label(Reason, line.reason) if line else "",
        requested=_text(_words(rma.requested), 40) if rma else "",
        price_paid=format_minor(line.unit_price_minor, line.currency) if line else "",
        grader=names(inspection.grader_id),
        started_at=utc_minutes(inspection.started_at),
        completed_at=utc_minutes(inspection.completed_at),
        checklist=_text(inspection.checklist, 40),
        checklist_version=_text(inspection.checklist_version, 40),
        answers=checklist_answers(inspection.answers or {}, checklist),
        flags=tuple(_text(_words(str(flag)), 60) for flag in inspection.flags or ()),
        proposed_grade=_text(inspection.proposed_grade, 1) or None,
        grade=_text(inspection.grade, 1),
        grade_meaning=grade_meaning,
        override_reason=_multiline(inspection.override_reason or "") or None,
        notes=_multiline(inspection.notes or ""),
        verification=_verification(inspection.verification or {}),
        decision=None if decision is None else EvidenceDecision(
            disposition=_text(decision.disposition, 16),
            destination=_text(decision.destination, 32),
            rule_id=_text(decision.rule_id, 64),
            rules_version=_text(decision.rules_version, 64),
            why=_text(why, 300) if isinstance(why, str) else "",
            decided_at=utc_minutes(decision.decided_at),
            decided_by=names(decision.decided_by),
        ),
        refund=_refund(trigger),
        refund_why=_text(refund_why, 300) if isinstance(refund_why, str) else "",
        exceptions=tuple(_exception_line(case) for case in exceptions),
        photos=unit_photos(session, ctx, unit, photos_folder, names),
        generated_at=utc_minutes(ctx.clock()),
        generated_by=_text(actor.display_name, 100),
    )


def gather(ctx: StationContext, actor: Actor, lpn: str, photos_folder: Path) -> EvidenceSheet:
    """The evidence sheet of a finished unit (grader or above); audited as
    "evidence.generated". Raises EvidenceError for an unknown or unfinished LPN.

    Each photo's file is hashed, so the sheet says whether it is still the file photographed.
    """
    require(ctx, actor, Action.INSPECT)
    wanted = normalise_lpn(lpn)
    with ctx.sessions() as session:
        sheet = _sheet(session, ctx, actor, wanted, photos_folder)
    with ctx.sessions.begin() as session:
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action=GENERATED_ACTION, subject=sheet.lpn,
                     data={"photos": len(sheet.photos),
                           "photo_files": {state.value: sum(p.file == state for p in sheet.photos)
                                           for state in PhotoFile},
                           "grade": sheet.grade},
                     now=ctx.clock())
    return sheet


# --------------------------------------------------------------------------- writing


_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF whose page objects are not in compressed object streams (reportlab's)."""
    return len(_PDF_PAGE.findall(pdf))


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so a reader sees the old file or the whole new one, never half;
    raises EvidenceError saying why the file cannot be written."""
    target = path.expanduser()
    try:
        atomic_file.write_atomically(target, data)
    except OSError as error:
        raise EvidenceError(f"Cannot write {target}: {error.strerror or error}. Choose a "
                            "folder that exists and that you may write to.") from None


def export_pdf(ctx: StationContext, actor: Actor, lpn: str, photos_folder: Path,
               renderer: EvidenceRenderer, out: Path) -> WrittenSheet:
    """Gather, render and write a unit's evidence sheet to `out` (atomically)."""
    sheet = gather(ctx, actor, lpn, photos_folder)
    pdf = renderer.render(sheet)
    write_atomically(out, pdf)
    return WrittenSheet(sheet.lpn, out, pdf_page_count(pdf), len(sheet.photos))
