"""Hostile text in every free-text field is stored literally or refused, never executed,
never passed to a printer raw, and never corrupts what is already recorded."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select
from station_bench import StationUnderTest, inspect_unit

from station.codes.scans import ScanError
from station.common.text_hygiene import clean_text
from station.common.vocabulary import Grade, Role
from station.labels.content import disposition_label
from station.labels.render import render_disposition_label
from station.people import users
from station.receiving import parcels as receiving
from station.receiving.rma_csv import RmaCsvError, parse_rma_csv
from station.store.models import ExceptionCase, Receipt, Rma, User

SQL = "Robert'); DROP TABLE rmas;--"
PRINTER_BYTES = "A\x1b@B\x1dV\x00C\x10\x04\x01"
RTL = "\u202egnp.exe\u202c"
HUGE = "x" * 10_000
HEADER = ("rma_number,order_number,order_date,customer_name,line_no,sku,description,category,"
          "quantity,unit_price,currency,reason\n")


def csv_with(customer: str = "Ann Example", description: str = "Kettle") -> bytes:
    row = (f'RMA-300001,SO-1,2026-10-01,"{customer}",1,SKU-1,"{description}",home_kitchen,1,'
           "10.00,EUR,changed_mind\n")
    return (HEADER + row).encode("utf-8")


def parse(data: bytes) -> object:
    return parse_rma_csv(data, rma_pattern=re.compile("RMA-[0-9]{6}"), today=date(2026, 11, 24))


def test_sql_in_an_import_is_stored_as_plain_text(bench: StationUnderTest) -> None:
    records = parse(csv_with(customer=SQL))
    assert records[0].customer_name == SQL  # type: ignore[index, attr-defined]


@pytest.mark.parametrize("hostile", [PRINTER_BYTES, RTL], ids=["printer-bytes", "rtl-override"])
def test_control_and_bidi_characters_in_an_import_are_refused_with_the_line(hostile: str) -> None:
    with pytest.raises(RmaCsvError) as caught:
        parse(csv_with(customer=hostile))
    assert any(p.line == 2 and p.column == "customer_name" for p in caught.value.problems)


def test_ten_thousand_characters_in_an_import_are_refused() -> None:
    with pytest.raises(RmaCsvError) as caught:
        parse(csv_with(description=HUGE))
    assert any(p.column == "description" for p in caught.value.problems)


@pytest.mark.parametrize("scan", [SQL, "' OR 1=1 --"])
def test_sql_in_a_scan_finds_nothing_and_changes_nothing(bench: StationUnderTest,
                                                         scan: str) -> None:
    with pytest.raises(receiving.NotFound):
        receiving.look_up(bench.ctx, bench.actors[Role.CLERK], scan)
    with bench.ctx.sessions() as session:
        assert (session.scalar(select(func.count()).select_from(Rma)) or 0) == 12


@pytest.mark.parametrize("scan", [PRINTER_BYTES, RTL, HUGE], ids=["printer", "rtl", "huge"])
def test_hostile_scans_are_refused_before_the_database(bench: StationUnderTest, scan: str
                                                       ) -> None:
    with pytest.raises(ScanError):
        receiving.receive_unexpected(bench.ctx, bench.actors[Role.CLERK], scan)
    with bench.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Receipt)) == 0


def test_an_unexpected_parcel_with_sql_in_its_code_is_kept_literally(bench: StationUnderTest
                                                                      ) -> None:
    result = receiving.receive_unexpected(bench.ctx, bench.actors[Role.CLERK], SQL)
    with bench.ctx.sessions() as session:
        case = session.get(ExceptionCase, result.exception_id)
        assert case is not None and case.details["code"] == SQL


@pytest.mark.parametrize("name", [SQL, PRINTER_BYTES + " Gus", RTL + " Gus", HUGE])
def test_hostile_display_names_are_stored_cleaned(bench: StationUnderTest, name: str) -> None:
    users.create_user(bench.ctx, bench.actors[Role.ADMIN], username="gus2", display_name=name,
                      role=Role.GRADER, pin="4826")
    with bench.ctx.sessions() as session:
        stored = session.scalar(select(User.display_name).where(User.username == "gus2"))
    assert stored == clean_text(name, max_len=100)
    assert stored is not None and stored.isprintable() and len(stored) <= 100


def test_a_label_never_carries_the_customer_name_or_raw_control_bytes(
    bench: StationUnderTest,
) -> None:
    grader = bench.actors[Role.GRADER]
    with bench.ctx.sessions() as session:
        rma = session.scalars(select(Rma).order_by(Rma.rma_number)).first()
        assert rma is not None
        number, customer = rma.rma_number, rma.customer_name
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    unit = inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.A)
    label = disposition_label(unit)
    assert customer is not None
    assert all(customer not in str(value) for value in vars(label).values())
    render_disposition_label(label)


@pytest.mark.parametrize("typed", [
    "rma-100001", "RMA\u2010100001", "RMA-\uff11\uff10\uff10\uff10\uff10\uff11",
])
def test_an_rma_number_typed_in_lower_case_or_with_a_look_alike_character_finds_the_rma(
    bench: StationUnderTest, typed: str
) -> None:
    clerk = bench.actors[Role.CLERK]
    assert receiving.look_up(bench.ctx, clerk, typed).rma_number == "RMA-100001"
    assert receiving.receive(bench.ctx, clerk, typed).rma_number == "RMA-100001"
