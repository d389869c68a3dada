"""Pull: copy RMAs changed centrally since this station's watermark into its local database.

Rows keep their central ids, so pulling the same page twice changes nothing, and the
watermark only moves after the page is committed locally.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from station import sequences
from station.models import Rma, RmaLine

_WATERMARK = "pull.rmas"
_RMA_COLUMNS = [c.key for c in Rma.__table__.columns]
_LINE_COLUMNS = [c.key for c in RmaLine.__table__.columns]


def _copy_rma(local: Session, source: Rma) -> None:
    target = local.get(Rma, source.id, options=[selectinload(Rma.lines)])
    if target is None:
        target = Rma(**{key: getattr(source, key) for key in _RMA_COLUMNS})
        local.add(target)
        target.lines = []
    else:
        for key in _RMA_COLUMNS:
            setattr(target, key, getattr(source, key))
    current = {line.id: line for line in target.lines}
    for line in source.lines:
        values = {key: getattr(line, key) for key in _LINE_COLUMNS}
        row = current.pop(line.id, None)
        if row is None:
            target.lines.append(RmaLine(**values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    for row in current.values():
        target.lines.remove(row)


def pull_rmas(
    central: sessionmaker[Session], local: sessionmaker[Session], *, page_size: int = 500
) -> int:
    """Copy every RMA changed since the watermark, a page per local transaction."""
    pulled = 0
    while True:
        with local.begin() as local_session:
            watermark = sequences.current(local_session, _WATERMARK)
            with central() as central_session:
                page = list(central_session.scalars(
                    select(Rma).where(Rma.change_seq > watermark).order_by(Rma.change_seq)
                    .limit(page_size).options(selectinload(Rma.lines))
                ))
                for rma in page:
                    _copy_rma(local_session, rma)
            if not page:
                return pulled
            sequences.set_to(local_session, _WATERMARK, page[-1].change_seq)
            pulled += len(page)
