"""A parcel scanned at a grader's bench is received and its next unit started in one go;
a clerk's bench only receives."""

from __future__ import annotations

from station_bench import StationUnderTest, inspect_unit

from station.bench.grader_arrival import arrive, grades_at_this_bench
from station.common.vocabulary import Grade, Role
from station.receiving import parcels as receiving

SPEAKER, TOYS_X3, SHOES_AND_VACUUM = "RMA-100002", "RMA-100003", "RMA-100001"


def test_a_graders_scan_receives_the_parcel_and_starts_its_only_open_line(
    bench: StationUnderTest,
) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.look_up(bench.ctx, grader, SPEAKER)

    arrival = arrive(bench.ctx, grader, view)

    assert arrival.received_now and arrival.view.receipt_id is not None
    assert arrival.work is not None and arrival.work.draft.rma_number == SPEAKER
    assert arrival.work.draft.line_no == 1


def test_each_further_scan_starts_the_next_unit_of_a_line_of_three(
    bench: StationUnderTest,
) -> None:
    grader = bench.actors[Role.GRADER]
    first = arrive(bench.ctx, grader, receiving.look_up(bench.ctx, grader, TOYS_X3))
    assert first.work is not None
    inspect_unit(bench, grader, first.view.receipt_id, first.view.lines[0].id, Grade.A)

    again = arrive(bench.ctx, grader, receiving.look_up(bench.ctx, grader, TOYS_X3))

    assert not again.received_now and again.work is not None
    assert again.work.draft.lpn != first.work.draft.lpn


def test_with_two_open_lines_the_grader_chooses_which(bench: StationUnderTest) -> None:
    grader = bench.actors[Role.GRADER]

    arrival = arrive(bench.ctx, grader, receiving.look_up(bench.ctx, grader, SHOES_AND_VACUUM))

    assert arrival.received_now and arrival.work is None and arrival.refused is None


def test_only_someone_who_may_inspect_gets_the_graders_flow(bench: StationUnderTest) -> None:
    assert grades_at_this_bench(bench.actors[Role.GRADER])
    assert grades_at_this_bench(bench.actors[Role.SUPERVISOR])
    assert not grades_at_this_bench(bench.actors[Role.CLERK])
